/*
 * Image commands over the image API: images (image ls), image inspect,
 * rmi (image rm), tag, image prune, and the `image` dispatcher; import,
 * commit, load and save are in image-transfer.c, system df/gc in system.c.
 *
 * Store errors (no such image, in use, corrupt) exit 1 as docker's
 * daemon-side errors do; malformed flags exit 125.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "flags.h"
#include "image-cli.h"
#include "progress.h"
#include "output.h"

/* docker's familiar form: "docker.io/library/busybox" is "busybox", "docker.io/user/x" is "user/x". */
const char *image_familiar(const char *name)
{
	if (strncmp(name, "docker.io/library/", 18) == 0)
		return name + 18;
	if (strncmp(name, "docker.io/", 10) == 0)
		return name + 10;
	return name;
}

/* Splits a full name into repository and tag (familiar form); "<none>" where absent. */
static void split_name(const char *name, char *repository, size_t repository_size, char *tag, size_t tag_size)
{
	const char *familiar = image_familiar(name);
	const char *at = strchr(familiar, '@');
	const char *slash = strrchr(familiar, '/');
	const char *colon = strrchr(slash != NULL ? slash : familiar, ':');
	size_t end = at != NULL ? (size_t)(at - familiar) : strlen(familiar);

	if (colon != NULL && (at == NULL || colon < at)) {
		snprintf(repository, repository_size, "%.*s", (int)(colon - familiar), familiar);
		snprintf(tag, tag_size, "%.*s", (int)(end - (size_t)(colon - familiar) - 1), colon + 1);
	} else {
		snprintf(repository, repository_size, "%.*s", (int)end, familiar);
		snprintf(tag, tag_size, "<none>");
	}
}

static void created_since(int64_t created_ns, char *buffer, size_t size)
{
	char duration[64];

	if (created_ns <= 0) {
		snprintf(buffer, size, "N/A");
		return;
	}
	format_duration(now_ns() - created_ns, duration, sizeof duration);
	snprintf(buffer, size, "%s ago", duration);
}

static json_t *strv_json(char *const *strv)
{
	json_t *array;

	if (strv == NULL)
		return json_null();
	array = json_array();
	for (size_t i = 0; strv[i] != NULL; i++)
		json_array_append_new(array, json_string(strv[i]));
	return array;
}

/* ["80/tcp"] -> {"80/tcp": {}} as docker shows ExposedPorts and Volumes. */
static json_t *set_json(char *const *strv)
{
	json_t *object;

	if (strv == NULL)
		return json_null();
	object = json_object();
	for (size_t i = 0; strv[i] != NULL; i++)
		json_object_set_new(object, strv[i], json_object());
	return object;
}

static json_t *labels_json(char *const *labels)
{
	json_t *object;

	if (labels == NULL)
		return json_null();
	object = json_object();
	for (size_t i = 0; labels[i] != NULL; i++) {
		const char *equals = strchr(labels[i], '=');
		char key[1024];
		snprintf(key, sizeof key, "%.*s", equals != NULL ? (int)(equals - labels[i]) : (int)strlen(labels[i]),
		         labels[i]);
		json_object_set_new(object, key, json_string(equals != NULL ? equals + 1 : ""));
	}
	return object;
}

/* docker image inspect's object, plus containerv's Digest and UsedBy. */
static json_t *inspect_object(const struct containerv_image_info *info)
{
	char created[64];
	json_t *tags = json_array();

	for (size_t i = 0; info->names != NULL && info->names[i] != NULL; i++)
		json_array_append_new(tags, json_string(image_familiar(info->names[i])));
	format_rfc3339nano(info->created_ns, created, sizeof created);
	return json_pack(
	        "{s:s, s:o, s:[], s:s, s:s, s:s, s:I, s:I, s:{s:o, s:o, s:o, s:s?, s:s?, s:o, s:o, s:o, s:s?}, "
	        "s:{s:s, s:o}, s:s, s:o}",
	        "Id", info->id, "RepoTags", tags, "RepoDigests", "Created", created, "Architecture", info->architecture,
	        "Os", info->os, "Size", (json_int_t)info->unpacked_size, "CompressedSize", (json_int_t)info->size,
	        "Config", "Cmd", strv_json(info->cmd), "Entrypoint", strv_json(info->entrypoint), "Env",
	        strv_json(info->env), "WorkingDir", info->working_dir, "User", info->user, "Labels",
	        labels_json(info->labels), "Volumes", set_json(info->volumes), "ExposedPorts",
	        set_json(info->exposed_ports), "StopSignal", info->stop_signal, "RootFS", "Type", "layers", "Layers",
	        strv_json(info->layers), "Digest", info->digest, "UsedBy", strv_json(info->used_by));
}

int image_inspect_one(const char *name, const char *format, json_t *all)
{
	struct containerv_image_info info = {.version = CONTAINERV_IMAGE_INFO_VERSION, .disk_usage = 1};

	if (containerv_image_inspect(name, &info) < 0)
		return -1;
	inspect_emit(all, format, inspect_object(&info));
	containerv_image_info_clear(&info);
	return 0;
}

static int image_emit(const char *name, const char *format, json_t *all)
{
	if (image_inspect_one(name, format, all) < 0) {
		cli_fail_library(0, NULL);
		return -1;
	}
	return 0;
}

static int image_inspect(int argc, char **argv)
{
	static const struct inspect_kind kind = {
	        "image inspect",
	        "[OPTIONS] IMAGE [IMAGE...]",
	        "Display detailed information on one or more images",
	        "json, or a template such as '{{.Id}}'",
	        image_emit,
	};

	return inspect_command(argc, argv, &kind);
}

struct ls_state {
	int quiet, no_trunc, digests;
	const char *format;
	struct table table;
	struct string_list filters;
	struct image_filters parsed;
};

static void short_id(const char *id, int no_trunc, char *out, size_t size)
{
	snprintf(out, size, "%s", no_trunc ? id : (strncmp(id, "sha256:", 7) == 0 ? id + 7 : id));
	if (!no_trunc && strlen(out) > 12)
		out[12] = '\0';
}

static int ls_one(const struct containerv_image_info *info, void *user)
{
	struct ls_state *state = user;
	char id[80], created[64], size[32], created_at[64], repository[512], tag[160];

	bool any_name = false;

	if (!image_filters_match_image(&state->parsed, info))
		return 0;
	for (size_t i = 0; info->names != NULL && info->names[i] != NULL && !any_name; i++)
		any_name = image_filters_match_name(&state->parsed, info->names[i]);
	if (!any_name)
		return 0;
	short_id(info->id, state->no_trunc, id, sizeof id);
	if (state->quiet) {
		printf("%s\n", id);
		return 0;
	}
	created_since(info->created_ns, created, sizeof created);
	format_size_decimal((double)info->unpacked_size, size, sizeof size);
	format_rfc3339nano(info->created_ns, created_at, sizeof created_at);
	for (size_t i = 0; info->names != NULL && info->names[i] != NULL; i++) {
		if (!image_filters_match_name(&state->parsed, info->names[i]))
			continue;
		split_name(info->names[i], repository, sizeof repository, tag, sizeof tag);
		if (state->format == NULL) {
			const char *cells[] = {repository, tag, info->digest, id, created, size};
			if (state->digests)
				table_add(&state->table, cells);
			else
				table_add(&state->table, (const char *const[]){repository, tag, id, created, size});
			continue;
		}
		json_t *object =
		        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "Containers", "N/A",
		                  "CreatedAt", created_at, "CreatedSince", created, "Digest", info->digest, "ID", id,
		                  "Repository", repository, "SharedSize", "N/A", "Size", size, "Tag", tag, "Layers",
		                  (json_int_t)info->layer_count, "UniqueSize", "N/A", "VirtualSize", size);
		format_emit(state->format, object);
	}
	return 0;
}

int cmd_images(int argc, char **argv)
{
	static struct ls_state state;
	static int all;
	static const struct flag table[] = {
	        {"all", 'a', FLAG_BOOL, &all, NULL, "Show all images (there are no intermediate ones here)"},
	        {"quiet", 'q', FLAG_BOOL, &state.quiet, NULL, "Only show image IDs"},
	        {"no-trunc", 0, FLAG_BOOL, &state.no_trunc, NULL, "Don't truncate output"},
	        {"digests", 0, FLAG_BOOL, &state.digests, NULL, "Show digests"},
	        {"format", 0, FLAG_STRING, &state.format, "string", "json, or a template such as '{{.Repository}}'"},
	        {"filter", 'f', FLAG_LIST, &state.filters, "filter",
	         "Filter output based on conditions provided (dangling, label, before, since, reference)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "images",
	        "[OPTIONS] [REPOSITORY[:TAG]]",
	        "List images",
	        table,
	        false,
	        0,
	        1,
	        "Template fields: Repository, Tag, ID, Digest, CreatedAt, CreatedSince, Size, Layers.\n"
	        "Filters: dangling=true|false, label=KEY[=VALUE], before=IMAGE, since=IMAGE (created before or\n"
	        "after it), reference=PATTERN (a glob over the name with or without its tag: 'busy*',\n"
	        "'*:1.36'). REPOSITORY[:TAG] is one more reference pattern.",
	};
	static char positional_reference[1024];
	static const char *const header[] = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"};
	static const char *const digest_header[] = {"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (state.format != NULL && strcmp(state.format, "json") != 0 && template_check(state.format) < 0)
		return EXIT_CLI_ERROR;
	if (positional.count == 1) {
		snprintf(positional_reference, sizeof positional_reference, "reference=%s", positional.items[0]);
		string_list_add(&state.filters, positional_reference);
	}
	/* Bad filters exit 125; a before= or since= image that does not exist is the store's error (1). */
	code = image_filters_parse(&state.filters, &state.parsed);
	if (code < 0)
		return code == -2 ? EXIT_CONTAINER_FAILURE : EXIT_CLI_ERROR;
	if (state.digests)
		table_init(&state.table, 6, digest_header);
	else
		table_init(&state.table, 5, header);
	if (containerv_image_list(ls_one, &state) < 0) {
		table_free(&state.table);
		string_list_free(&state.filters);
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	}
	if (!state.quiet && state.format == NULL)
		table_print(&state.table, stdout);
	table_free(&state.table);
	string_list_free(&state.filters);
	return 0;
}

/* Prints what rmi did: the names that went and, when none is left, the image id. */
static int remove_one(const char *name, void *user)
{
	unsigned int flags = *(const unsigned int *)user;
	struct containerv_image_info before = {.version = CONTAINERV_IMAGE_INFO_VERSION};
	struct containerv_image_info after = {.version = CONTAINERV_IMAGE_INFO_VERSION};
	bool gone;

	if (containerv_image_inspect(name, &before) < 0)
		return cli_fail_library(-1, NULL);
	if (containerv_image_remove(name, flags, NULL) < 0) {
		containerv_image_info_clear(&before);
		return cli_fail_library(-1, NULL);
	}
	gone = containerv_image_inspect(before.digest, &after) < 0;
	for (size_t i = 0; before.names != NULL && before.names[i] != NULL; i++) {
		bool kept = false;
		for (size_t j = 0; !gone && after.names != NULL && after.names[j] != NULL && !kept; j++)
			kept = strcmp(before.names[i], after.names[j]) == 0;
		if (!kept)
			printf("Untagged: %s\n", image_familiar(before.names[i]));
	}
	if (gone)
		printf("Deleted: %s\n", before.id);
	containerv_image_info_clear(&before);
	containerv_image_info_clear(&after);
	return 0;
}

int cmd_rmi(int argc, char **argv)
{
	static int force;
	static const struct flag table[] = {
	        {"force", 'f', FLAG_BOOL, &force, NULL, "Force removal of the image (also while containers use it)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "rmi", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", table, false, 1, 0, NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	unsigned int flags = force ? CV_IMAGE_REMOVE_FORCE : 0;
	code = arguments_for_each(&positional, remove_one, &flags);
	/* docker deletes the layers with the last name: collect what nobody names any more. */
	if (containerv_image_gc(NULL) < 0 && code == 0)
		code = cli_fail_library(EXIT_CONTAINER_FAILURE, "rmi");
	return code;
}

int cmd_tag(int argc, char **argv)
{
	static const struct flag table[] = {FLAG_END};
	static const struct command_spec spec = {
	        "tag",
	        "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
	        "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	        table,
	        false,
	        2,
	        2,
	        NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (containerv_image_tag(positional.items[0], positional.items[1]) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	return 0;
}

void image_print_reclaimed(const struct containerv_image_gc_result *result)
{
	char size[32];

	format_size_decimal((double)result->bytes_freed, size, sizeof size);
	printf("Total reclaimed space: %s\n", size);
}

static int image_prune(int argc, char **argv)
{
	static int force, all;
	static const struct flag table[] = {
	        {"all", 'a', FLAG_BOOL, &all, NULL, "Remove all images not used by a container, not only unnamed data"},
	        {"force", 'f', FLAG_BOOL, &force, NULL, "Do not prompt for confirmation"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "image prune",
	        "[OPTIONS]",
	        "Remove unused images",
	        table,
	        false,
	        0,
	        0,
	        "Without -a only what no name reaches is removed (there are no dangling images here).",
	};
	_cleanup_free_ char **words = NULL;
	struct containerv_image_gc_result result;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (!force) {
		char answer[16];
		printf("WARNING! This will remove %s.\nAre you sure you want to continue? [y/N] ",
		       all ? "all images without at least one container associated to them" : "all dangling images");
		fflush(stdout);
		if (fgets(answer, sizeof answer, stdin) == NULL ||
		    !(strcmp(answer, "y\n") == 0 || strcmp(answer, "Y\n") == 0 || strcmp(answer, "yes\n") == 0))
			return 0;
	}
	if ((all ? containerv_image_prune(&result) : containerv_image_gc(&result)) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	image_print_reclaimed(&result);
	return 0;
}

static int image_ls(int argc, char **argv)
{
	argv[0] = "images";
	return cmd_images(argc, argv);
}

static const struct subcommand image_commands[] = {
        {"history", cmd_history, "Show the history of an image"},
        {"import", cmd_import, "Import a root filesystem as a one-layer image"},
        {"inspect", image_inspect, "Display detailed information on one or more images"},
        {"load", cmd_load, "Load images from a tar archive or STDIN"},
        {"ls", image_ls, "List images"},
        {"prune", image_prune, "Remove unused images"},
        {"pull", cmd_pull, "Download an image from a registry"},
        {"push", cmd_push, "Upload an image to a registry"},
        {"rm", cmd_rmi, "Remove one or more images"},
        {"save", cmd_save, "Save one or more images to a tar archive"},
        {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
};

int cmd_image(int argc, char **argv)
{
	/* docker's image rmi alias too. */
	if (argc >= 2 && strcmp(argv[1], "rmi") == 0)
		argv[1] = "rm";
	return subcommand_dispatch("image", "Manage images", image_commands,
	                           sizeof image_commands / sizeof *image_commands, argc, argv);
}
