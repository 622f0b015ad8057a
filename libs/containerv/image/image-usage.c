/*
 * The containers' side of image use: <root>/containers/<id>/config.json
 * records the image digest and the layer paths (containerv_options_set_image).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/util.h"
#include "image/image-usage.h"

void cv_image_users_free(struct cv_image_user *users, size_t count)
{
	for (size_t i = 0; users != NULL && i < count; i++) {
		free(users[i].image_digest);
		cv_strv_free(users[i].layers);
	}
	free(users);
}

static int read_user(const char *directory, const char *id, struct cv_image_user *user)
{
	char path[4096];
	cleanup_free char *text = NULL;
	json_t *root, *layers, *item;
	const char *digest;
	size_t i;

	snprintf(path, sizeof path, "%s/%s/config.json", directory, id);
	if (cv_read_file(path, &text, NULL, 16 << 20) != 0)
		return -1;
	root = json_loads(text, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	memset(user, 0, sizeof *user);
	snprintf(user->id, sizeof user->id, "%s", id);
	digest = json_string_value(json_object_get(json_object_get(root, "image"), "digest"));
	if (digest != NULL)
		user->image_digest = strdup(digest);
	layers = json_object_get(root, "layers");
	json_array_foreach(layers, i, item)
	{
		if (json_is_string(item))
			cv_strv_append(&user->layers, json_string_value(item));
	}
	json_decref(root);
	return 0;
}

int cv_image_users(struct cv_image_user **users_out, size_t *count_out)
{
	char directory[4096];
	cleanup_dir DIR *dir = NULL;
	struct dirent *entry;
	struct cv_image_user *users = NULL;
	size_t count = 0, capacity = 0;

	*users_out = NULL;
	*count_out = 0;
	snprintf(directory, sizeof directory, "%s/containers", containerv_root());
	dir = opendir(directory);
	if (dir == NULL)
		return errno == ENOENT ? 0 : cv_error_sys("open %s", directory);
	while ((entry = readdir(dir)) != NULL) {
		if (strlen(entry->d_name) != 64 || strspn(entry->d_name, "0123456789abcdef") != 64)
			continue;
		if (count == capacity) {
			capacity = capacity ? capacity * 2 : 16;
			struct cv_image_user *grown = realloc(users, capacity * sizeof *grown);
			if (grown == NULL) {
				cv_image_users_free(users, count);
				return cv_error_errno(ENOMEM, "out of memory");
			}
			users = grown;
		}
		if (read_user(directory, entry->d_name, &users[count]) == 0)
			count++;
	}
	cv_error_clear();
	*users_out = users;
	*count_out = count;
	return 0;
}
