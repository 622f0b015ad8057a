/*
 * Replays a fuzz corpus as an ordinary test: every file of the directories
 * given goes once through the harness's LLVMFuzzerTestOneInput (built
 * with any compiler; with clang and -DCONTAINERV_FUZZ=ON the same harness
 * is also built as a libFuzzer binary that grows the corpus).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	uint8_t *data;
	long size;

	if (file == NULL || fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0 ||
	    fseek(file, 0, SEEK_SET) != 0) {
		if (file != NULL)
			fclose(file);
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	data = malloc((size_t)size + 1);
	if (data == NULL || fread(data, 1, (size_t)size, file) != (size_t)size) {
		free(data);
		fclose(file);
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	fclose(file);
	LLVMFuzzerTestOneInput(data, (size_t)size);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0;

	for (int i = 1; i < argc; i++) {
		DIR *dir = opendir(argv[i]);
		struct dirent *entry;

		if (dir == NULL) {
			fprintf(stderr, "cannot open corpus %s\n", argv[i]);
			return 1;
		}
		while ((entry = readdir(dir)) != NULL) {
			char path[4096];
			if (entry->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[i], entry->d_name);
			if (replay_file(path) != 0) {
				closedir(dir);
				return 1;
			}
			files++;
		}
		closedir(dir);
	}
	printf("replayed %d corpus files\n", files);
	return files > 0 ? 0 : 1;
}
