/*
 * Fuzz harness: an image's USER (or run -u) resolved against the image's own /etc/passwd and
 * /etc/group (cv_image_parse_user), both written by whoever made the image. The input is three parts
 * split at NUL bytes: the user spec, the passwd file, the group file (a part missing: no such file).
 * An accepted user has ids a process can take: never (uid_t)-1 or (gid_t)-1, which setresuid and
 * setresgid read as "leave unchanged" (the process would stay root); a refusal sets errno.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image-options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char layer[64];

static void remove_layer(void)
{
	char path[128];

	snprintf(path, sizeof path, "%s/etc/passwd", layer);
	unlink(path);
	snprintf(path, sizeof path, "%s/etc/group", layer);
	unlink(path);
	snprintf(path, sizeof path, "%s/etc", layer);
	rmdir(path);
	rmdir(layer);
}

/* A one-layer image in a private temporary directory, made once. */
static const char *layer_directory(void)
{
	char etc[128];

	if (layer[0] == '\0') {
		snprintf(layer, sizeof layer, "/tmp/cv-fuzz-user.XXXXXX");
		if (mkdtemp(layer) == NULL)
			abort();
		snprintf(etc, sizeof etc, "%s/etc", layer);
		if (mkdir(etc, 0700) < 0)
			abort();
		atexit(remove_layer);
	}
	return layer;
}

/* Writes content (length bytes) as etc/<name> of the layer, or removes the file when content is NULL. */
static void write_file(const char *name, const char *content, size_t length)
{
	char path[128];
	FILE *file;

	snprintf(path, sizeof path, "%s/etc/%s", layer_directory(), name);
	unlink(path);
	if (content == NULL)
		return;
	file = fopen(path, "wb");
	if (file == NULL || fwrite(content, 1, length, file) != length || fclose(file) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *end = text + size;
	const char *passwd = memchr(text, '\0', size), *group = NULL;
	char *user, *layers[2] = {NULL, NULL};
	uid_t uid;
	gid_t gid;

	if (passwd != NULL) {
		passwd++;
		group = memchr(passwd, '\0', (size_t)(end - passwd));
		if (group != NULL)
			group++;
	}
	user = strndup(text, passwd != NULL ? (size_t)(passwd - 1 - text) : size);
	if (user == NULL)
		return 0;
	write_file("passwd", passwd, passwd == NULL ? 0 : (size_t)((group != NULL ? group - 1 : end) - passwd));
	write_file("group", group, group == NULL ? 0 : (size_t)(end - group));
	layers[0] = (char *)layer_directory();
	errno = 0;
	if (cv_image_parse_user(layers, user, &uid, &gid) == 0) {
		if (uid == (uid_t)-1 || gid == (gid_t)-1)
			abort();
	} else if (errno == 0) {
		abort();
	}
	free(user);
	return 0;
}
