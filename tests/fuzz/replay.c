/*
 * Runs a fuzz target over every file of its corpus directories (argv), as an
 * ordinary test: what the fuzzer once found stays fixed. Built instead of
 * libFuzzer's main when the fuzzers themselves are not (CONTAINERV_FUZZ=OFF).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	struct stat st;
	uint8_t *data;

	if (file == NULL || fstat(fileno(file), &st) < 0) {
		perror(path);
		return -1;
	}
	data = malloc((size_t)st.st_size + 1);
	if (data == NULL || fread(data, 1, (size_t)st.st_size, file) != (size_t)st.st_size) {
		fprintf(stderr, "%s: cannot read\n", path);
		return -1;
	}
	fclose(file);
	LLVMFuzzerTestOneInput(data, (size_t)st.st_size);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0;

	for (int i = 1; i < argc; i++) {
		DIR *dir = opendir(argv[i]);
		if (dir == NULL) {
			perror(argv[i]);
			return 1;
		}
		for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
			char path[4096];
			if (entry->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[i], entry->d_name);
			if (run_file(path) < 0)
				return 1;
			files++;
		}
		closedir(dir);
	}
	printf("%d passed, 0 failed\n", files);
	return files > 0 ? 0 : 1;
}
