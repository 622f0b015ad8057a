/*
 * volume: docker's `volume create|ls|inspect|rm|prune` over the volume API.
 *
 * Errors of the store (no such volume, in use, already exists) exit 1 as
 * docker's daemon-side errors do; malformed flags and options exit 125.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

/* Parses one --opt: size=SIZE, uid=N, gid=N (docker's local driver takes type/device/o, which mean nothing here). */
static int apply_opt(const char *opt, struct containerv_volume_options *options)
{
	const char *equals = strchr(opt, '=');
	const char *value = equals != NULL ? equals + 1 : "";
	size_t key_length = equals != NULL ? (size_t)(equals - opt) : strlen(opt);
	int64_t number;

	if (key_length == 4 && strncmp(opt, "size", 4) == 0) {
		if (containerv_parse_size(value, &number) < 0 || number <= 0)
			return cli_fail(EXIT_CLI_ERROR, "invalid --opt %s: not a size (such as 100m or 1g)", opt);
		options->size_limit = (uint64_t)number;
		return 0;
	}
	if ((key_length == 3 && strncmp(opt, "uid", 3) == 0) || (key_length == 3 && strncmp(opt, "gid", 3) == 0)) {
		if (cli_parse_int64(value, &number) < 0 || number > 0x7fffffff)
			return cli_fail(EXIT_CLI_ERROR, "invalid --opt %s: not a numeric id", opt);
		*(opt[0] == 'u' ? &options->uid : &options->gid) = (int)number;
		return 0;
	}
	if (key_length == 11 && strncmp(opt, "preallocate", 11) == 0) {
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0 && equals != NULL)
			return cli_fail(EXIT_CLI_ERROR, "invalid --opt %s: preallocate takes true or false", opt);
		options->preallocate = equals == NULL || strcmp(value, "true") == 0;
		return 0;
	}
	return cli_fail(EXIT_CLI_ERROR, "invalid --opt %s: use size=SIZE, preallocate=true, uid=N or gid=N", opt);
}

static int volume_create(int argc, char **argv)
{
	static struct string_list opts, labels;
	static const struct flag table[] = {
	        {"opt", 'o', FLAG_LIST, &opts, "map",
	         "Set driver specific options (size=100m, preallocate=true, uid=N, gid=N)"},
	        {"label", 0, FLAG_LIST, &labels, "list", "Set metadata for a volume"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "volume create", "[OPTIONS] [VOLUME]", "Create a volume", table, false, 0, 1, NULL,
	};
	struct containerv_volume_options options = CONTAINERV_VOLUME_OPTIONS_INIT;
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	unsigned char random[32];
	char generated[65];
	const char *name;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	for (size_t i = 0; i < opts.count; i++)
		if (apply_opt(opts.items[i], &options) != 0)
			return EXIT_CLI_ERROR;
	options.labels = labels.count > 0 ? labels.items : NULL;
	if (positional.count > 0) {
		name = positional.items[0];
	} else {
		/* No name: a random 64-hex one, as docker makes. */
		if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
			return cli_fail(EXIT_CLI_ERROR, "generate a volume name: %s", strerror(errno));
		for (size_t i = 0; i < sizeof random; i++)
			snprintf(generated + 2 * i, 3, "%02x", random[i]);
		name = generated;
	}
	if (containerv_volume_create(name, &options) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	printf("%s\n", name);
	return 0;
}

/* Labels "k=v" as a JSON object. */
static json_t *labels_object(char *const *labels)
{
	json_t *object = json_object();

	for (; labels != NULL && *labels != NULL; labels++) {
		const char *equals = strchr(*labels, '=');

		if (equals != NULL) {
			char key[1024];
			snprintf(key, sizeof key, "%.*s", (int)(equals - *labels), *labels);
			json_object_set_new(object, key, json_string(equals + 1));
		} else {
			json_object_set_new(object, *labels, json_string(""));
		}
	}
	return object;
}

/* docker's volume CreatedAt: RFC3339 to the second. */
static void format_created(int64_t nanoseconds, char *buffer, size_t size)
{
	time_t seconds = (time_t)(nanoseconds / 1000000000);
	struct tm tm;

	gmtime_r(&seconds, &tm);
	strftime(buffer, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *volume_object(const struct containerv_volume_info *info)
{
	char created[64], size[32];
	json_t *used_by = json_array();
	json_t *options = json_null();

	for (char **id = info->used_by; id != NULL && *id != NULL; id++)
		json_array_append_new(used_by, json_string(*id));
	if (info->size_limit != 0) {
		snprintf(size, sizeof size, "%llu", (unsigned long long)info->size_limit);
		options = json_pack("{s:s}", "size", size);
	}
	format_created(info->created_ns, created, sizeof created);
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:s, s:{s:I, s:I}, s:o}", "CreatedAt", created, "Driver",
	                 "local", "Labels", labels_object(info->labels), "Mountpoint", info->mountpoint, "Name",
	                 info->name, "Options", options, "Scope", "local", "UsageData", "Size",
	                 (json_int_t)info->bytes_used, "RefCount", (json_int_t)json_array_size(used_by), "UsedBy",
	                 used_by);
}

int volume_inspect_one(const char *name, const char *format, json_t *all)
{
	struct containerv_volume_info info = {.version = CONTAINERV_VOLUME_INFO_VERSION};
	json_t *object;

	if (containerv_volume_inspect(name, &info) < 0) {
		if (errno == ENOENT)
			cli_fail(0, "No such volume: %s", name);
		else
			cli_fail_library(0, NULL);
		return -1;
	}
	object = volume_object(&info);
	containerv_volume_info_clear(&info);
	inspect_emit(all, format, object);
	return 0;
}

static int volume_inspect(int argc, char **argv)
{
	static const struct inspect_kind kind = {
	        "volume inspect",
	        "[OPTIONS] VOLUME [VOLUME...]",
	        "Display detailed information on one or more volumes",
	        "json, or a template such as '{{.Mountpoint}}'",
	        volume_inspect_one,
	};

	return inspect_command(argc, argv, &kind);
}

struct ls_state {
	int quiet;
	const char *format;
	struct table table;
};

/* One line of `volume ls --format json`, with docker's fields (Links and RefCount: the users). */
static json_t *ls_object(const struct containerv_volume_info *info)
{
	char *labels = NULL;
	char size[32], links[32];
	size_t length = 0, users = 0;
	FILE *stream = open_memstream(&labels, &length);
	json_t *object;

	for (size_t i = 0; stream != NULL && info->labels != NULL && info->labels[i] != NULL; i++)
		fprintf(stream, "%s%s", i > 0 ? "," : "", info->labels[i]);
	if (stream != NULL)
		fclose(stream);
	while (info->used_by != NULL && info->used_by[users] != NULL)
		users++;
	snprintf(links, sizeof links, "%zu", users);
	format_size_decimal((double)info->bytes_used, size, sizeof size);
	object = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "Driver", "local", "Labels",
	                   labels != NULL ? labels : "", "Mountpoint", info->mountpoint, "Name", info->name, "Scope",
	                   "local", "Size", size, "Links", links, "RefCount", (json_int_t)users);
	free(labels);
	return object;
}

static int ls_one(const struct containerv_volume_info *info, void *user)
{
	struct ls_state *state = user;
	json_t *object;

	if (state->quiet) {
		printf("%s\n", info->name);
		return 0;
	}
	if (state->format == NULL) {
		table_add(&state->table, (const char *const[]){"local", info->name});
		return 0;
	}
	object = ls_object(info);
	format_emit(state->format, object);
	return 0;
}

static int volume_ls(int argc, char **argv)
{
	static struct ls_state state;
	static const struct flag table[] = {
	        {"quiet", 'q', FLAG_BOOL, &state.quiet, NULL, "Only display volume names"},
	        {"format", 0, FLAG_STRING, &state.format, "string", "json, or a template such as '{{.Name}}'"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "volume ls",
	        "[OPTIONS]",
	        "List volumes",
	        table,
	        false,
	        0,
	        0,
	        "Template fields: Driver, Labels, Mountpoint, Name, Scope, Size, Links, RefCount.",
	};
	static const char *const header[] = {"DRIVER", "VOLUME NAME"};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (state.format != NULL && strcmp(state.format, "json") != 0 && template_check(state.format) < 0)
		return EXIT_CLI_ERROR;
	table_init(&state.table, 2, header);
	if (containerv_volume_list(ls_one, &state) < 0) {
		table_free(&state.table);
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	}
	if (!state.quiet && state.format == NULL)
		table_print(&state.table, stdout);
	table_free(&state.table);
	return 0;
}

static int remove_volume(const char *name, void *user)
{
	if (containerv_volume_remove(name, *(const int *)user) < 0)
		return cli_fail_library(-1, NULL);
	printf("%s\n", name);
	return 0;
}

static int volume_rm(int argc, char **argv)
{
	static int force;
	static const struct flag table[] = {
	        {"force", 'f', FLAG_BOOL, &force, NULL, "Force the removal of one or more volumes"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "volume rm", "[OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes", table, false, 1, 0, NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	return arguments_for_each(&positional, remove_volume, &force);
}

/* docker asks before pruning unless -f; anything but y/yes is a no. */
static bool confirm_prune(void)
{
	char answer[16];

	printf("WARNING! This will remove all local volumes not used by at least one container.\n"
	       "Are you sure you want to continue? [y/N] ");
	fflush(stdout);
	if (fgets(answer, sizeof answer, stdin) == NULL)
		return false;
	return strcmp(answer, "y\n") == 0 || strcmp(answer, "Y\n") == 0 || strcmp(answer, "yes\n") == 0;
}

struct prune_candidates {
	struct string_list names;
	uint64_t *sizes;
};

static int collect_unused(const struct containerv_volume_info *info, void *user)
{
	struct prune_candidates *candidates = user;

	if (info->used_by != NULL && info->used_by[0] != NULL)
		return 0;
	candidates->sizes = xrealloc(candidates->sizes, (candidates->names.count + 1) * sizeof *candidates->sizes);
	candidates->sizes[candidates->names.count] = info->bytes_used;
	string_list_add(&candidates->names, xstrdup(info->name));
	return 0;
}

/*
 * Removes every volume no container uses, printing "Deleted Volumes:" and the names as docker does;
 * *reclaimed gets their bytes. Returns 0, or 1 when any removal failed (each failure printed).
 */
int volume_prune_unused(uint64_t *reclaimed)
{
	struct prune_candidates candidates = {{NULL, 0}, NULL};
	size_t deleted = 0;
	int code = 0;

	*reclaimed = 0;
	if (containerv_volume_list(collect_unused, &candidates) < 0)
		code = cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	for (size_t i = 0; i < candidates.names.count; i++) {
		if (containerv_volume_remove(candidates.names.items[i], 0) < 0) {
			if (errno != EBUSY && errno != ENOENT)
				code = cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
			continue;
		}
		if (deleted++ == 0)
			printf("Deleted Volumes:\n");
		printf("%s\n", candidates.names.items[i]);
		*reclaimed += candidates.sizes[i];
	}
	if (deleted > 0)
		printf("\n");
	for (size_t i = 0; i < candidates.names.count; i++)
		free((char *)candidates.names.items[i]);
	string_list_free(&candidates.names);
	free(candidates.sizes);
	return code;
}

/*
 * Prunes volume by volume rather than with containerv_volume_prune(), to
 * print the names and sizes docker prints; each removal still refuses a
 * volume that a container started using meanwhile.
 */
static int volume_prune(int argc, char **argv)
{
	static int force;
	static const struct flag table[] = {
	        {"force", 'f', FLAG_BOOL, &force, NULL, "Do not prompt for confirmation"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "volume prune", "[OPTIONS]", "Remove unused local volumes", table, false, 0, 0, NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	uint64_t reclaimed = 0;
	char size[32];
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (!force && !confirm_prune())
		return 0;
	code = volume_prune_unused(&reclaimed);
	format_size_decimal((double)reclaimed, size, sizeof size);
	printf("Total reclaimed space: %s\n", size);
	return code;
}

static const struct subcommand volume_commands[] = {
        {"create", volume_create, "Create a volume"},
        {"inspect", volume_inspect, "Display detailed information on one or more volumes"},
        {"ls", volume_ls, "List volumes"},
        {"prune", volume_prune, "Remove unused local volumes"},
        {"rm", volume_rm, "Remove one or more volumes"},
};

int cmd_volume(int argc, char **argv)
{
	return subcommand_dispatch("volume", "Manage volumes", volume_commands,
	                           sizeof volume_commands / sizeof *volume_commands, argc, argv);
}
