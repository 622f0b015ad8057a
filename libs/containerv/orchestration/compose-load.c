/*
 * Loading an app: the files in -f order, .env and the environment, then
 * interpolation, merge, extends, profiles, validation and the start order.
 * Parse, then act: the result is a complete, valid model or an error.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-internal.h"

extern char **environ;

#define EXTENDS_DEPTH_MAX 16

static void loader_free(struct cv_compose_loader *loader)
{
	json_decref(loader->documents);
	json_decref(loader->lines);
	json_decref(loader->variables);
	json_decref(loader->resolving);
	for (size_t i = 0; i < loader->file_count; i++)
		free(loader->files[i]);
	free(loader->project_directory);
}

static int add_file(struct cv_compose_loader *loader, const char *path, size_t *index)
{
	for (size_t i = 0; i < loader->file_count; i++)
		if (strcmp(loader->files[i], path) == 0) {
			*index = i;
			return 0;
		}
	if (loader->file_count == CV_COMPOSE_FILES_MAX)
		return cv_error_errno(E2BIG, "compose: more than %d files", CV_COMPOSE_FILES_MAX);
	if ((loader->files[loader->file_count] = strdup(path)) == NULL)
		return cv_error_errno(ENOMEM, "compose: out of memory");
	*index = loader->file_count++;
	return 0;
}

/* Reads, parses and interpolates one file. */
static int load_file(struct cv_compose_loader *loader, const char *path, json_t **document)
{
	char *text = NULL;
	size_t length, index = 0;
	int ret;

	if (add_file(loader, path, &index) < 0)
		return -1;
	if (cv_read_file(path, &text, &length, CV_COMPOSE_FILE_MAX) < 0)
		return cv_error_prefix("compose file %s", path);
	ret = cv_compose_parse(loader, text, length, index, document);
	free(text);
	if (ret < 0)
		return -1;
	return cv_compose_interpolate(loader, *document, index);
}

/* An absolute path for FILE relative to DIRECTORY. */
static char *resolve_path(const char *directory, const char *file)
{
	char *path = NULL;

	if (file[0] == '/')
		return strdup(file);
	if (cv_asprintf(&path, "%s/%s", directory, file) < 0)
		return NULL;
	return path;
}

static int default_file(const char *directory, char **path)
{
	static const char *const names[] = {"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml",
	                                    NULL};

	for (size_t i = 0; names[i]; i++) {
		if (cv_asprintf(path, "%s/%s", directory, names[i]) < 0)
			return -1;
		if (access(*path, F_OK) == 0)
			return 0;
		free(*path);
		*path = NULL;
	}
	return cv_error_errno(ENOENT, "no configuration file provided: not found (compose.yaml in %s)", directory);
}

static int set_variables(struct cv_compose_loader *loader, const struct containerv_compose_options *options)
{
	const char *const *environment = options->environment ? options->environment : (const char *const *)environ;
	char *dotenv = NULL;
	json_t *process = json_object();

	if (process == NULL || (loader->variables = json_object()) == NULL) {
		json_decref(process);
		return cv_error_errno(ENOMEM, "compose: out of memory");
	}
	for (size_t i = 0; environment && environment[i]; i++) {
		const char *equals = strchr(environment[i], '=');
		if (equals == NULL || equals == environment[i])
			continue;
		char *key = strndup(environment[i], (size_t)(equals - environment[i]));
		if (key)
			json_object_set_new(process, key, json_string(equals + 1));
		free(key);
	}
	/* .env sees the environment while it is read (its values may use ${HOME}), then the environment wins. */
	json_object_update(loader->variables, process);
	if (cv_asprintf(&dotenv, "%s/.env", loader->project_directory) < 0 ||
	    cv_compose_read_env_file(loader, dotenv, loader->variables, 0) < 0) {
		free(dotenv);
		json_decref(process);
		return -1;
	}
	free(dotenv);
	json_object_update(loader->variables, process);
	json_decref(process);
	return 0;
}

/* docker compose's rule: lowercase letters, digits, dashes and underscores, starting with a letter or digit. */
static char *normalize_project_name(const char *name)
{
	char *out = malloc(strlen(name) + 1), *q = out;

	if (out == NULL)
		return NULL;
	for (const char *p = name; *p; p++) {
		char c = (char)tolower((unsigned char)*p);
		if (isalnum((unsigned char)c) || ((c == '-' || c == '_') && q != out))
			*q++ = c;
	}
	*q = '\0';
	return out;
}

/*
 * -p, then COMPOSE_PROJECT_NAME, then the top-level name:, each of which must be valid as given; else the
 * project directory's name, normalised (as docker compose does: "My App" becomes "myapp").
 */
static int choose_project_name(struct cv_compose_loader *loader, const struct containerv_compose_options *options,
                               json_t *model, char **project)
{
	const char *name = options->project_name;
	char copy[PATH_MAX];

	*project = NULL;
	if (name == NULL || name[0] == '\0')
		name = json_string_value(json_object_get(loader->variables, "COMPOSE_PROJECT_NAME"));
	if (name == NULL || name[0] == '\0') {
		json_t *top = json_object_get(model, "name");
		if (top != NULL && !json_is_string(top))
			return cv_compose_fail(loader, model, "name", "name", "must be a string");
		name = json_string_value(top);
	}
	if (name != NULL && name[0] != '\0') {
		if ((*project = normalize_project_name(name)) == NULL)
			return cv_error_errno(ENOMEM, "compose: out of memory");
		if (strcmp(*project, name) != 0 || strlen(name) > 64) {
			free(*project);
			*project = NULL;
			return cv_error_errno(
			        EINVAL,
			        "invalid project name \"%s\": at most 64 lowercase letters, digits, dashes "
			        "and underscores, starting with a letter or digit",
			        name);
		}
		return 0;
	}
	snprintf(copy, sizeof copy, "%s", loader->project_directory);
	if ((*project = normalize_project_name(basename(copy))) == NULL)
		return cv_error_errno(ENOMEM, "compose: out of memory");
	if ((*project)[0] == '\0' || strlen(*project) > 64) {
		free(*project);
		*project = NULL;
		return cv_error_errno(EINVAL, "no valid project name from the directory %s: set one with -p",
		                      loader->project_directory);
	}
	return 0;
}

/* ---- extends ---- */

static int resolve_extends(struct cv_compose_loader *loader, json_t *services, const char *name, int depth);

/* The service `extends` names: in this file's services, or in another file (loaded, and its own extends resolved). */
static int extends_base(struct cv_compose_loader *loader, json_t *services, const char *name, json_t *extends,
                        int depth, json_t **base)
{
	const char *base_name = json_string_value(extends), *file = NULL;
	char path[64 + 256];

	snprintf(path, sizeof path, "services.%.200s.extends", name);
	if (json_is_object(extends)) {
		base_name = json_string_value(json_object_get(extends, "service"));
		file = json_string_value(json_object_get(extends, "file"));
		if (json_object_get(extends, "file") != NULL && file == NULL)
			return cv_compose_fail(loader, extends, "file", path, "file must be a string");
	}
	if (base_name == NULL)
		return cv_compose_fail(loader, json_object_get(services, name), "extends", path,
		                       "expected a service name or {service: NAME, file: FILE}");
	if (file == NULL) {
		if (strcmp(base_name, name) == 0 || !json_is_object(json_object_get(services, base_name)))
			return cv_compose_fail(loader, json_object_get(services, name), "extends", path,
			                       "service \"%s\" not found", base_name);
		if (resolve_extends(loader, services, base_name, depth + 1) < 0)
			return -1;
		*base = json_object_get(services, base_name);
		return 0;
	}
	char *full = resolve_path(loader->project_directory, file);
	json_t *document = NULL;
	if (full == NULL)
		return cv_error_errno(ENOMEM, "compose: out of memory");
	int ret = load_file(loader, full, &document);
	free(full);
	if (ret < 0)
		return -1;
	json_t *other = json_object_get(document, "services");
	if (!json_is_object(json_object_get(other, base_name)))
		return cv_compose_fail(loader, extends, "service", path, "service \"%s\" not found in %s", base_name,
		                       file);
	if (resolve_extends(loader, other, base_name, depth + 1) < 0)
		return -1;
	*base = json_object_get(other, base_name);
	return 0;
}

static int resolve_extends(struct cv_compose_loader *loader, json_t *services, const char *name, int depth)
{
	json_t *service = json_object_get(services, name);
	json_t *extends = json_object_get(service, "extends"), *base = NULL;
	char key[320];

	/* A service whose extends is being resolved further up: a cycle. */
	snprintf(key, sizeof key, "%p/%.256s", (void *)services, name);
	if (json_object_get(loader->resolving, key) != NULL)
		return cv_compose_fail(loader, services, name, name, "extends forms a cycle");
	if (extends == NULL)
		return 0;
	if (depth > EXTENDS_DEPTH_MAX)
		return cv_compose_fail(loader, service, "extends", name, "extends goes deeper than %d (a cycle?)",
		                       EXTENDS_DEPTH_MAX);
	json_incref(extends);
	json_object_set_new(loader->resolving, key, json_true());
	int ret = extends_base(loader, services, name, extends, depth, &base);
	json_object_del(loader->resolving, key);
	json_object_del(service, "extends"); /* resolved */
	json_decref(extends);
	if (ret < 0)
		return -1;
	json_t *merged = cv_compose_copy(loader, base);
	if (merged == NULL || cv_compose_merge_service(loader, merged, service) < 0) {
		json_decref(merged);
		return merged ? -1 : cv_error_errno(ENOMEM, "compose: out of memory");
	}
	json_object_set_new(services, name, merged);
	return 0;
}

/* ---- top level ---- */

static int check_top_level(struct cv_compose_loader *loader, json_t *model)
{
	const char *key;
	json_t *value;

	json_object_foreach(model, key, value)
	{
		if (strcmp(key, "services") == 0 || strcmp(key, "networks") == 0 || strcmp(key, "volumes") == 0) {
			if (!json_is_object(value) && !json_is_null(value))
				return cv_compose_fail(loader, model, key, key, "must be a mapping");
		} else if (strcmp(key, "version") == 0) {
			cv_compose_warn(loader, "the top-level \"version\" is obsolete: it is ignored");
		} else if (strcmp(key, "name") == 0 || strncmp(key, "x-", 2) == 0) {
			continue;
		} else if (strcmp(key, "secrets") == 0 || strcmp(key, "configs") == 0) {
			continue; /* compose-secrets.c */
		} else if (strcmp(key, "include") == 0) {
			return cv_compose_fail(loader, model, key, key, "not supported yet");
		} else {
			cv_compose_warn(loader, "unknown top-level key \"%s\": ignored", key);
		}
	}
	return 0;
}

static bool profile_active(json_t *service, const char *const *profiles)
{
	json_t *list = json_object_get(service, "profiles");
	size_t index;
	json_t *profile;

	if (list == NULL)
		return true;
	json_array_foreach(list, index, profile)
	{
		for (size_t i = 0; profiles && profiles[i]; i++)
			if (json_is_string(profile) &&
			    (strcmp(profiles[i], "*") == 0 || strcmp(json_string_value(profile), profiles[i]) == 0))
				return true;
	}
	return false;
}

static int apply_profiles(struct cv_compose_loader *loader, const struct containerv_compose_options *options,
                          json_t *services)
{
	char **from_variable = NULL;
	const char *const *profiles = options->profiles;
	const char *key;
	json_t *service, *list;
	void *next;
	int ret = 0;

	if (profiles == NULL) {
		const char *text = json_string_value(json_object_get(loader->variables, "COMPOSE_PROFILES"));
		char *copy = text ? strdup(text) : NULL, *save = NULL;
		for (char *p = copy ? strtok_r(copy, ",", &save) : NULL; p; p = strtok_r(NULL, ",", &save))
			cv_strv_append(&from_variable, p);
		free(copy);
		profiles = (const char *const *)from_variable;
	}
	json_object_foreach_safe(services, next, key, service)
	{
		if ((list = json_object_get(service, "profiles")) != NULL) {
			size_t index;
			json_t *profile;
			char path[300];
			snprintf(path, sizeof path, "services.%.200s.profiles", key);
			if (!json_is_array(list)) {
				ret = cv_compose_fail(loader, service, "profiles", path, "must be a list of names");
				break;
			}
			json_array_foreach(list, index, profile) if (!json_is_string(profile))
			{
				ret = cv_compose_fail(loader, service, "profiles", path, "must be a list of names");
				break;
			}
			if (ret < 0)
				break;
		}
		if (!profile_active(service, profiles))
			json_object_del(services, key);
	}
	cv_strv_free(from_variable);
	return ret;
}

/* Every depends_on names an enabled service (one disabled by its profile says so). */
static int check_dependencies(struct cv_compose_loader *loader, json_t *services, json_t *all)
{
	const char *name;
	json_t *service;

	json_object_foreach(services, name, service)
	{
		const char *dependency;
		json_t *condition;
		json_t *depends = json_object_get(service, "depends_on");
		json_object_foreach(depends, dependency, condition)
		{
			char path[300];
			snprintf(path, sizeof path, "services.%.100s.depends_on.%.100s", name, dependency);
			if (json_object_get(services, dependency) != NULL)
				continue;
			if (json_is_false(json_object_get(condition, "required")))
				continue;
			return cv_compose_fail(loader, depends, dependency, path,
			                       json_object_get(all, dependency)
			                               ? "service \"%s\" is not enabled (its profiles)"
			                               : "service \"%s\" not found",
			                       dependency);
		}
	}
	return 0;
}

static int load_model(struct cv_compose_loader *loader, const struct containerv_compose_options *options,
                      const char *const *files, json_t **model)
{
	*model = NULL;
	for (size_t i = 0; files[i]; i++) {
		json_t *document;
		if (load_file(loader, files[i], &document) < 0)
			return -1;
		if (*model == NULL) {
			*model = json_incref(document);
		} else if (cv_compose_merge_top(loader, *model, document) < 0) {
			return -1;
		}
	}
	if (check_top_level(loader, *model) < 0)
		return -1;
	json_t *services = json_object_get(*model, "services");
	if (!json_is_object(services) || json_object_size(services) == 0)
		return cv_error_errno(EINVAL, "%s: no service defined (services:)", loader->files[0]);
	const char *name;
	json_t *service;
	json_object_foreach(services, name, service)
	{
		if (!json_is_object(service))
			return cv_compose_fail(loader, services, name, name, "a service must be a mapping");
	}
	json_object_foreach(services, name, service)
	{
		if (resolve_extends(loader, services, name, 0) < 0)
			return -1;
	}
	/* Profiles need the complete services, and validation only the enabled ones. */
	json_t *all = json_copy(services);
	if (all == NULL || apply_profiles(loader, options, services) < 0) {
		json_decref(all);
		return -1;
	}
	if (json_object_size(services) == 0) {
		json_decref(all);
		return cv_error_errno(EINVAL, "no service enabled: every service has profiles (use --profile)");
	}
	json_object_foreach(services, name, service)
	{
		if (cv_compose_normalize_service(loader, name, service) < 0) {
			json_decref(all);
			return -1;
		}
	}
	int ret = check_dependencies(loader, services, all);
	json_decref(all);
	if (ret < 0)
		return -1;
	if (cv_compose_normalize_resources(loader, *model) < 0)
		return -1;
	return cv_compose_normalize_secrets(loader, *model);
}

static int collect_files(const struct containerv_compose_options *options, const char *directory, char ***files)
{
	*files = NULL;
	if (options->files == NULL || options->files[0] == NULL) {
		char *path;
		if (default_file(directory, &path) < 0)
			return -1;
		int ret = cv_strv_append(files, path);
		free(path);
		return ret;
	}
	for (size_t i = 0; options->files[i]; i++) {
		char *path = resolve_path(directory, options->files[i]);
		if (path == NULL || cv_strv_append(files, path) < 0) {
			free(path);
			return cv_error_errno(ENOMEM, "compose: out of memory");
		}
		free(path);
	}
	return 0;
}

int containerv_compose_load(const struct containerv_compose_options *options, struct containerv_compose **app)
{
	struct containerv_compose_options defaults = CONTAINERV_COMPOSE_OPTIONS_INIT;
	struct cv_compose_loader loader = {0};
	char cwd[PATH_MAX], **files = NULL, *project = NULL;
	json_t *model = NULL;

	cv_error_clear();
	if (app == NULL)
		return cv_error_errno(EINVAL, "compose: no app pointer");
	*app = NULL;
	if (options == NULL)
		options = &defaults;
	if (options->version != CONTAINERV_COMPOSE_OPTIONS_VERSION)
		return cv_error_errno(EINVAL, "compose: unknown options version %u", options->version);
	if (options->working_directory != NULL)
		snprintf(cwd, sizeof cwd, "%s", options->working_directory);
	else if (getcwd(cwd, sizeof cwd) == NULL)
		return cv_error_sys("compose: current directory");
	loader.warn = options->warn;
	loader.user = options->user;
	loader.documents = json_array();
	loader.lines = json_object();
	loader.resolving = json_object();
	if (loader.documents == NULL || loader.lines == NULL || loader.resolving == NULL ||
	    collect_files(options, cwd, &files) < 0)
		goto fail;
	char directory[PATH_MAX];
	snprintf(directory, sizeof directory, "%s", files[0]);
	loader.project_directory = strdup(dirname(directory));
	if (loader.project_directory == NULL || set_variables(&loader, options) < 0 ||
	    load_model(&loader, options, (const char *const *)files, &model) < 0 ||
	    choose_project_name(&loader, options, model, &project) < 0)
		goto fail;

	struct containerv_compose *result = cv_malloc0(sizeof *result);
	if (result == NULL)
		goto fail;
	if (cv_compose_order(json_object_get(model, "services"), &result->service_order) < 0) {
		free(result);
		goto fail;
	}
	json_object_set_new(model, "name", json_string(project));
	result->project = project;
	result->model = model;
	result->config_files = files;
	result->project_directory = loader.project_directory;
	loader.project_directory = NULL;
	result->warn = options->warn;
	result->user = options->user;
	loader_free(&loader);
	*app = result;
	return 0;
fail:
	json_decref(model);
	free(project);
	cv_strv_free(files);
	loader_free(&loader);
	return -1;
}

void containerv_compose_free(struct containerv_compose *app)
{
	if (app == NULL)
		return;
	free(app->project);
	free(app->project_directory);
	json_decref(app->model);
	cv_strv_free(app->service_order);
	cv_strv_free(app->config_files);
	free(app);
}

const char *containerv_compose_project(const struct containerv_compose *app)
{
	return app ? app->project : NULL;
}

size_t containerv_compose_service_count(const struct containerv_compose *app)
{
	return app ? cv_strv_length(app->service_order) : 0;
}

const char *containerv_compose_service_name(const struct containerv_compose *app, size_t i)
{
	return app && i < cv_strv_length(app->service_order) ? app->service_order[i] : NULL;
}

int containerv_compose_config(const struct containerv_compose *app, char **yaml)
{
	cv_error_clear();
	if (app == NULL || yaml == NULL)
		return cv_error_errno(EINVAL, "compose config: no app");
	return cv_compose_emit_yaml(app->model, yaml);
}
