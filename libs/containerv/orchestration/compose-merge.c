/*
 * Merging compose files in -f order (and a service over the one it extends),
 * with the compose specification's rules (merge.md):
 *   mappings merge key by key, recursively; scalars are replaced;
 *   command, entrypoint and healthcheck.test are replaced whole;
 *   environment, labels, sysctls, extra_hosts: lists become KEY=VALUE maps, merged by key;
 *   volumes and tmpfs of a service: merged by their target;
 *   other sequences (ports, expose, dns, cap_add ...): appended, without duplicates.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "common/error.h"
#include "orchestration/compose-internal.h"

static bool is_one_of(const char *key, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (strcmp(key, names[i]) == 0)
			return true;
	return false;
}

/* "KEY=VALUE" (or "KEY" for null) entries as a map; a map is returned as is (new reference). */
static json_t *as_map(json_t *value, const char *separator)
{
	if (!json_is_array(value))
		return json_incref(value);
	json_t *map = json_object();
	size_t index;
	json_t *element;
	json_array_foreach(value, index, element)
	{
		const char *text = json_string_value(element);
		if (text == NULL) {
			json_decref(map);
			return json_incref(value); /* not a list of strings: the validator names it */
		}
		const char *split = strpbrk(text, separator);
		if (split == NULL) {
			json_object_set_new(map, text, json_null());
		} else {
			char *key = strndup(text, (size_t)(split - text));
			if (key != NULL)
				json_object_set_new(map, key, json_string(split + 1));
			free(key);
		}
	}
	return map;
}

/* Where a volume or tmpfs entry mounts: its "target", or the text after the first ':' of the short form. */
static const char *mount_target(json_t *entry, char *buffer, size_t size)
{
	if (json_is_object(entry))
		return json_string_value(json_object_get(entry, "target"));
	const char *text = json_string_value(entry);
	if (text == NULL)
		return NULL;
	const char *colon = strchr(text, ':');
	const char *target = colon ? colon + 1 : text;
	size_t length = strcspn(target, ":");
	if (length >= size)
		return NULL;
	memcpy(buffer, target, length);
	buffer[length] = '\0';
	return buffer;
}

static int merge_by_target(json_t *base, json_t *override)
{
	size_t i, j;
	json_t *entry, *existing;
	char a[4096], b[4096];

	json_array_foreach(override, i, entry)
	{
		const char *target = mount_target(entry, a, sizeof a);
		bool replaced = false;
		json_array_foreach(base, j, existing)
		{
			const char *other = mount_target(existing, b, sizeof b);
			if (target && other && strcmp(target, other) == 0) {
				json_array_set(base, j, entry);
				replaced = true;
				break;
			}
		}
		if (!replaced)
			json_array_append(base, entry);
	}
	return 0;
}

static int append_unique(json_t *base, json_t *override)
{
	size_t i, j;
	json_t *entry, *existing;

	json_array_foreach(override, i, entry)
	{
		bool seen = false;
		json_array_foreach(base, j, existing) seen = seen || json_equal(existing, entry);
		if (!seen)
			json_array_append(base, entry);
	}
	return 0;
}

static int merge_value(struct cv_compose_loader *loader, json_t *base, json_t *override, int depth);

/* base[key] := merge(base[key], value), with the position of the override's key. */
static int merge_member(struct cv_compose_loader *loader, json_t *base, const char *key, json_t *value,
                        json_t *override, int depth)
{
	static const char *const replaced[] = {"command", "entrypoint", "test", NULL};
	static const char *const maps[] = {"environment", "labels", "sysctls", "extra_hosts", "annotations", NULL};
	static const char *const by_target[] = {"volumes", "tmpfs", NULL};
	json_t *current = json_object_get(base, key);

	if (current == NULL || is_one_of(key, replaced) || json_typeof(current) != json_typeof(value)) {
		if (depth >= 2 && is_one_of(key, maps) && current != NULL) {
			/* A list over a map (or the reverse): both as maps. */
			json_t *a = as_map(current, key[0] == 'e' && key[1] == 'x' ? ":=" : "=");
			json_t *b = as_map(value, key[0] == 'e' && key[1] == 'x' ? ":=" : "=");
			int ret = json_is_object(a) && json_is_object(b) ? json_object_update(a, b) : -1;
			if (ret == 0)
				json_object_set(base, key, a);
			else
				json_object_set(base, key, value);
			json_decref(a);
			json_decref(b);
		} else {
			json_object_set(base, key, value);
		}
	} else if (json_is_object(current)) {
		if (merge_value(loader, current, value, depth + 1) < 0)
			return -1;
	} else if (json_is_array(current)) {
		if (depth >= 2 && is_one_of(key, maps)) {
			json_t *a = as_map(current, "=");
			json_t *b = as_map(value, "=");
			if (json_is_object(a) && json_is_object(b) && json_object_update(a, b) == 0)
				json_object_set(base, key, a);
			else
				json_object_set(base, key, value);
			json_decref(a);
			json_decref(b);
		} else {
			/* A copy: the base array may be shared with another service through an alias. */
			json_t *copy = cv_compose_copy(loader, current);
			if (copy == NULL)
				return cv_error_errno(ENOMEM, "compose: out of memory");
			if (depth >= 2 && is_one_of(key, by_target))
				merge_by_target(copy, value);
			else
				append_unique(copy, value);
			json_object_set_new(base, key, copy);
		}
	} else {
		json_object_set(base, key, value);
	}
	cv_compose_copy_line(loader, base, key, override, key);
	return 0;
}

static int merge_value(struct cv_compose_loader *loader, json_t *base, json_t *override, int depth)
{
	const char *key;
	json_t *value;

	if (depth > CV_COMPOSE_DEPTH_MAX)
		return cv_error_errno(EINVAL, "compose: nested too deep to merge");
	json_object_foreach(override, key, value)
	{
		if (merge_member(loader, base, key, value, override, depth) < 0)
			return -1;
	}
	return 0;
}

/* depth 2: a service's own keys (services.NAME.KEY), where the special rules apply. */
int cv_compose_merge_service(struct cv_compose_loader *loader, json_t *base, json_t *override)
{
	return merge_value(loader, base, override, 2);
}

int cv_compose_merge_top(struct cv_compose_loader *loader, json_t *base, json_t *override)
{
	const char *key;
	json_t *value;

	json_object_foreach(override, key, value)
	{
		json_t *current = json_object_get(base, key);
		if (strcmp(key, "services") == 0 && json_is_object(current) && json_is_object(value)) {
			const char *name;
			json_t *service;
			json_object_foreach(value, name, service)
			{
				json_t *existing = json_object_get(current, name);
				if (json_is_object(existing) && json_is_object(service)) {
					/* Copy first: the base may be an alias shared with another service. */
					json_t *copy = cv_compose_copy(loader, existing);
					if (copy == NULL)
						return cv_error_errno(ENOMEM, "compose: out of memory");
					json_object_set_new(current, name, copy);
					if (cv_compose_merge_service(loader, copy, service) < 0)
						return -1;
				} else {
					json_object_set(current, name, service);
					cv_compose_copy_line(loader, current, name, value, name);
				}
			}
		} else if (json_is_object(current) && json_is_object(value)) {
			if (merge_value(loader, current, value, 1) < 0)
				return -1;
		} else {
			json_object_set(base, key, value);
			cv_compose_copy_line(loader, base, key, override, key);
		}
	}
	return 0;
}
