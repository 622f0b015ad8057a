/*
 * secrets and configs: top-level file sources, and a service's references
 * (short: the name; long: source, target, uid, gid, mode), mounted read-only
 * at /run/secrets/<name> (secrets) or /<name> (configs), or their target.
 *
 * The source path comes from a hostile file. It is resolved from the
 * project directory, judged as a read-only bind of it would be (a sensitive
 * host path, named or through a symlink, is refused), opened once (O_NONBLOCK: a FIFO cannot stall the open),
 * checked with fstat on that descriptor to be a regular file, and read from
 * it (bounded). What the container gets is a copy of those bytes, made by us
 * under the state root with the reference's mode, uid and gid, so the user's
 * file is never chmod'ed or chown'ed and a file swapped after the check is
 * never what gets mounted. The target is checked like any mount's (absolute,
 * no "..") and mounted inside the root with openat2(RESOLVE_IN_ROOT) by the
 * runtime, so a symlink in the image cannot lead it out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-up.h"

/* docker's limit for a secret is 500 KiB; configs are small files too. */
#define SOURCE_MAX (1024 * 1024)

static const char *const kinds[] = {"secrets", "configs"};

/*
 * Opens a source as a regular file: the descriptor, or -1 with the reason in problem. The source is judged
 * first as a read-only bind of it would be, at compose's level (restricted): a copy must not bring into the
 * container what a bind may not (/etc/shadow, /root/.ssh/id_rsa, another container's files under the state
 * root), whether named so or through a symlink in the project directory.
 */
static int open_source(const char *path, char *problem, size_t size)
{
	struct containerv_security *restricted = NULL;
	struct stat st;
	int fd;

	if (containerv_security_new(CV_SECURITY_RESTRICTED, &restricted) < 0 ||
	    containerv_security_check_host_source(restricted, path, containerv_root()) < 0) {
		snprintf(problem, size, "%s", containerv_last_error());
		containerv_security_delete(restricted);
		return -1;
	}
	containerv_security_delete(restricted);
	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		snprintf(problem, size, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(problem, size, "not a regular file");
		return -1;
	}
	if (st.st_size > SOURCE_MAX) {
		close(fd);
		snprintf(problem, size, "larger than 1 MiB");
		return -1;
	}
	return fd;
}

/* One top-level secret or config: {file: PATH} (made absolute from the project directory). */
static int normalize_source(struct cv_compose_loader *loader, const char *kind, json_t *map, const char *name,
                            json_t *source)
{
	char path[512];
	const char *key;
	json_t *member;

	snprintf(path, sizeof path, "%s.%.200s", kind, name);
	/* The name names the copy's file under the root: no '/', no leading '.'. */
	if (!cv_name_is_valid(name, 128))
		return cv_compose_fail(loader, map, name, path, "invalid name (letters, digits, '_', '.' and '-')");
	if (!json_is_object(source))
		return cv_compose_fail(loader, map, name, path, "must be a mapping (file:)");
	json_object_foreach(source, key, member)
	{
		if (strcmp(key, "file") == 0 || strcmp(key, "name") == 0 || strncmp(key, "x-", 2) == 0)
			continue;
		return cv_compose_fail(loader, source, key, path, "%s: not supported (file: is)", key);
	}
	const char *file = json_string_value(json_object_get(source, "file"));
	if (file == NULL || file[0] == '\0')
		return cv_compose_fail(loader, map, name, path, "file: a path is needed");
	char *absolute = NULL;
	if (file[0] == '/' ? cv_asprintf(&absolute, "%s", file) < 0
	                   : cv_asprintf(&absolute, "%s/%s", loader->project_directory, file) < 0)
		return -1;
	/* Checked now for an error that names the file, line and key; opened again (and checked) at up. */
	char problem[1024];
	int fd = open_source(absolute, problem, sizeof problem);
	if (fd < 0) {
		int ret = cv_compose_fail(loader, source, "file", path, "file %s: %s", absolute, problem);
		free(absolute);
		return ret;
	}
	close(fd);
	json_object_set_new(source, "file", json_string(absolute));
	free(absolute);
	return 0;
}

/* A number given as a YAML number or a string of digits ("103"), from 0 to max. */
static bool number_of(json_t *value, long long max, long long *out)
{
	const char *text = json_string_value(value);
	char *end;

	if (json_is_integer(value))
		*out = json_integer_value(value);
	else if (text != NULL && text[0] != '\0') {
		errno = 0;
		*out = strncmp(text, "0o", 2) == 0 ? strtoll(text + 2, &end, 8) : strtoll(text, &end, 0);
		if (errno != 0 || *end != '\0')
			return false;
	} else
		return false;
	return *out >= 0 && *out <= max;
}

/*
 * A mode written 0400 in YAML reaches us as the integer 400 (the plain-scalar typing is YAML 1.2's), while
 * docker compose reads it as octal: an integer whose decimal digits are all octal ones is taken as octal
 * (400 -> 0400, 444 -> 0444); others (256, 292) as they are. A string ("0400", "0o400") is parsed as written.
 */
static long long mode_value(json_t *given, long long number)
{
	char digits[32];

	if (!json_is_integer(given))
		return number;
	snprintf(digits, sizeof digits, "%lld", number);
	if (strspn(digits, "01234567") != strlen(digits))
		return number;
	return strtoll(digits, NULL, 8);
}

/* One reference of a service: the short syntax (a name) or the long one, into {source, target, uid, gid, mode}. */
static int normalize_reference(struct cv_compose_loader *loader, const char *kind, json_t *declared, json_t *list,
                               size_t index, const char *path)
{
	json_t *entry = json_array_get(list, index), *normal;
	long long number;

	if (json_is_string(entry)) {
		normal = json_pack("{s:s}", "source", json_string_value(entry));
	} else if (json_is_object(entry)) {
		const char *key;
		json_t *member;
		json_object_foreach(entry, key, member)
		{
			if (strcmp(key, "source") && strcmp(key, "target") && strcmp(key, "uid") &&
			    strcmp(key, "gid") && strcmp(key, "mode"))
				return cv_compose_fail(loader, entry, key, path, "element %zu: unknown key %s", index,
				                       key);
		}
		normal = json_deep_copy(entry);
	} else {
		return cv_compose_fail(loader, list, NULL, path, "element %zu: a name or a mapping (source, target...)",
		                       index);
	}
	if (normal == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	const char *source = json_string_value(json_object_get(normal, "source"));
	const char *target = json_string_value(json_object_get(normal, "target"));
	int ret = 0;
	if (source == NULL || json_object_get(declared, source) == NULL)
		ret = cv_compose_fail(loader, list, NULL, path,
		                      "element %zu: %s \"%s\" is not declared in the top-level %s", index, kind,
		                      source ? source : "", kind);
	else if (json_object_get(normal, "target") != NULL && (target == NULL || target[0] == '\0'))
		ret = cv_compose_fail(loader, list, NULL, path, "element %zu: target must be a path", index);
	/* The defaults: /run/secrets/<name> (a relative target is there too), /<name> for a config. */
	char *full = NULL;
	if (ret == 0 && (target == NULL || target[0] != '/')) {
		if (strcmp(kind, "secrets") == 0)
			ret = cv_asprintf(&full, "/run/secrets/%s", target ? target : source);
		else
			ret = cv_asprintf(&full, "/%s", target ? target : source);
		if (ret == 0)
			json_object_set_new(normal, "target", json_string(full));
		free(full);
	}
	static const char *const ids[] = {"uid", "gid"};
	for (size_t i = 0; ret == 0 && i < 2; i++) {
		json_t *value = json_object_get(normal, ids[i]);
		if (value == NULL)
			json_object_set_new(normal, ids[i], json_integer(0));
		else if (!number_of(value, UINT32_MAX - 1, &number))
			ret = cv_compose_fail(loader, list, NULL, path, "element %zu: %s must be a number", index,
			                      ids[i]);
		else
			json_object_set_new(normal, ids[i], json_integer(number));
	}
	json_t *mode = json_object_get(normal, "mode");
	if (ret == 0 && mode == NULL)
		json_object_set_new(normal, "mode", json_integer(0444));
	else if (ret == 0 && (!number_of(mode, 99999, &number) || (number = mode_value(mode, number)) > 07777))
		ret = cv_compose_fail(loader, list, NULL, path, "element %zu: mode must be a number from 0 to 07777",
		                      index);
	else if (ret == 0)
		json_object_set_new(normal, "mode", json_integer(number));
	if (ret == 0)
		json_array_set(list, index, normal);
	json_decref(normal);
	return ret;
}

int cv_compose_normalize_secrets(struct cv_compose_loader *loader, json_t *model)
{
	json_t *services = json_object_get(model, "services");
	const char *name;
	json_t *value;
	char path[300];

	for (size_t k = 0; k < 2; k++) {
		json_t *declared = json_object_get(model, kinds[k]);
		if (declared != NULL && !json_is_object(declared))
			return cv_compose_fail(loader, model, kinds[k], kinds[k], "must be a mapping");
		json_object_foreach(declared, name, value)
		{
			if (normalize_source(loader, kinds[k], declared, name, value) < 0)
				return -1;
		}
		json_object_foreach(services, name, value)
		{
			json_t *list = json_object_get(value, kinds[k]);
			snprintf(path, sizeof path, "services.%.100s.%s", name, kinds[k]);
			if (list == NULL)
				continue;
			if (!json_is_array(list))
				return cv_compose_fail(loader, value, kinds[k], path, "must be a list");
			for (size_t i = 0; i < json_array_size(list); i++)
				if (normalize_reference(loader, kinds[k], declared, list, i, path) < 0)
					return -1;
		}
	}
	return 0;
}

/* <root>/compose/<project>[/<service>/<kind>]: where the copies live; removed by compose down. */
int cv_compose_files_directory(const char *project, const char *service, const char *kind, char *buffer, size_t size)
{
	int n = service ? snprintf(buffer, size, "%s/compose/%s/%s/%s", containerv_root(), project, service, kind)
	                : snprintf(buffer, size, "%s/compose/%s", containerv_root(), project);

	if (n < 0 || (size_t)n >= size)
		return cv_error_errno(ENAMETOOLONG, "compose %s: path too long", project);
	return 0;
}

/* The source's bytes, read from the descriptor that was checked; *length set. */
static int read_source(const char *kind, const char *name, const char *file, char **content, size_t *length)
{
	char problem[1024];
	int fd = open_source(file, problem, sizeof problem);

	if (fd < 0)
		return cv_error_errno(EINVAL, "%s.%s: file %s: %s", kind, name, file, problem);
	char *buffer = malloc(SOURCE_MAX + 1);
	if (buffer == NULL) {
		close(fd);
		return cv_error_errno(ENOMEM, "out of memory");
	}
	ssize_t got = cv_read_all(fd, buffer, SOURCE_MAX + 1);
	close(fd);
	if (got < 0 || got > SOURCE_MAX) {
		free(buffer);
		return cv_error_errno(got < 0 ? errno : EFBIG, "%s.%s: file %s: %s", kind, name, file,
		                      got < 0 ? "cannot be read" : "larger than 1 MiB");
	}
	*content = buffer;
	*length = (size_t)got;
	return 0;
}

/* The copy for one reference, with its mode and owner: written beside (its directory made) and renamed into place. */
static int write_copy(const char *copy, const char *content, size_t length, json_t *reference)
{
	char temporary[PATH_MAX + 300], directory[PATH_MAX + 256];

	snprintf(directory, sizeof directory, "%s", copy);
	*strrchr(directory, '/') = '\0';
	if (cv_mkdir_p(directory, 0700) < 0)
		return -1;
	if (snprintf(temporary, sizeof temporary, "%s.tmp.%d", copy, (int)getpid()) >= (int)sizeof temporary)
		return cv_error_errno(ENAMETOOLONG, "%s: path too long", copy);
	int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cv_error_errno(errno, "write %s", temporary);
	int ret = cv_write_all(fd, content, length) == (ssize_t)length ? 0 : -1;
	if (ret == 0 && fchown(fd, (uid_t)json_integer_value(json_object_get(reference, "uid")),
	                       (gid_t)json_integer_value(json_object_get(reference, "gid"))) < 0)
		ret = -1;
	if (ret == 0 && fchmod(fd, (mode_t)json_integer_value(json_object_get(reference, "mode"))) < 0)
		ret = -1;
	if (ret < 0)
		cv_error_errno(errno, "write %s", temporary);
	close(fd);
	if (ret == 0 && rename(temporary, copy) < 0)
		ret = cv_error_errno(errno, "rename %s", temporary);
	if (ret < 0)
		unlink(temporary);
	return ret;
}

/* Calls visit for each secret and config reference of the replica's service with its copy's path. */
static int for_each_reference(const struct cv_compose_replica *replica,
                              int (*visit)(const char *kind, json_t *reference, const char *copy, void *user),
                              void *user)
{
	for (size_t k = 0; k < 2; k++) {
		json_t *list = json_object_get(replica->service, kinds[k]);
		size_t index;
		json_t *reference;
		char directory[PATH_MAX], copy[PATH_MAX + 256];
		if (json_array_size(list) == 0)
			continue;
		if (cv_compose_files_directory(replica->app->project, replica->service_name, kinds[k], directory,
		                               sizeof directory) < 0)
			return -1;
		json_array_foreach(list, index, reference)
		{
			/* One copy per reference: two references of one source may differ in mode and owner. */
			snprintf(copy, sizeof copy, "%s/%zu-%s", directory, index,
			         json_string_value(json_object_get(reference, "source")));
			if (visit(kinds[k], reference, copy, user) < 0)
				return -1;
		}
	}
	return 0;
}

static int allow_bind(const char *kind, json_t *reference, const char *copy, void *user)
{
	(void)kind;
	(void)reference;
	return containerv_security_allow_sensitive_bind(user, copy);
}

int cv_compose_allow_secret_binds(const struct cv_compose_replica *replica, struct containerv_security *security)
{
	return for_each_reference(replica, allow_bind, security);
}

struct binding {
	const struct cv_compose_replica *replica;
	struct containerv_options *options;
};

static int bind_copy(const char *kind, json_t *reference, const char *copy, void *user)
{
	struct binding *binding = user;
	const char *source = json_string_value(json_object_get(reference, "source"));
	json_t *declared = json_object_get(json_object_get(binding->replica->app->model, kind), source);
	const char *file = json_string_value(json_object_get(declared, "file"));
	char *content = NULL;
	size_t length = 0;

	if (file == NULL)
		return cv_error_errno(EINVAL, "%s.%s: no file", kind, source ? source : "");
	if (read_source(kind, source, file, &content, &length) < 0)
		return -1;
	int ret = write_copy(copy, content, length, reference);
	free(content);
	if (ret < 0)
		return -1;
	struct containerv_mount mount = CONTAINERV_MOUNT_INIT;
	mount.type = CV_MOUNT_TYPE_BIND;
	mount.source = copy;
	mount.target = json_string_value(json_object_get(reference, "target"));
	mount.flags = CV_MOUNT_READONLY | CV_MOUNT_NOSUID | CV_MOUNT_NODEV | CV_MOUNT_NOEXEC;
	if (containerv_options_add_mount(binding->options, &mount) < 0)
		return cv_error_prefix("%s.%s: target %s", kind, source, mount.target);
	return 0;
}

int cv_compose_add_secrets(const struct cv_compose_replica *replica, struct containerv_options *options)
{
	struct binding binding = {.replica = replica, .options = options};

	return for_each_reference(replica, bind_copy, &binding);
}
