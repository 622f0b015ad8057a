/*
 * ps: the containers under the state root, as docker ps shows them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "flags.h"
#include "image-cli.h"
#include "network-flags.h"
#include "output.h"

struct ps_flags {
	int all, quiet, no_trunc;
	const char *format;
	struct string_list filters;
};

static struct ps_flags flags;

struct ps_listing {
	struct table table;
	int64_t now;
};

static const char *container_name(const struct containerv_info *info, char *buffer, size_t size)
{
	if (info->name[0] != '\0')
		return info->name;
	snprintf(buffer, size, "%.12s", info->id);
	return buffer;
}

/* "Up 3 seconds", "Up 3 seconds (Paused)", "Exited (0) 2 minutes ago", "Created". */
static void format_status(const struct containerv_info *info, int64_t now, char *buffer, size_t size)
{
	char duration[64];

	switch (info->state) {
	case CV_STATE_RUNNING:
		format_duration(now - info->started_ns, duration, sizeof duration);
		snprintf(buffer, size, "Up %s%s", duration, info->paused ? " (Paused)" : "");
		return;
	case CV_STATE_EXITED:
		format_duration(now - info->finished_ns, duration, sizeof duration);
		snprintf(buffer, size, "Exited (%d) %s ago", info->exit.code, duration);
		return;
	case CV_STATE_CREATED:
	case CV_STATE_HELD: /* set up, command not executed: docker's "Created" */
		break;
	}
	snprintf(buffer, size, "Created");
}

/* The image's familiar name; for a root filesystem, the directory's last component stands in. */
static const char *image_name(const struct containerv_info *info)
{
	const char *slash = strrchr(info->rootfs, '/');

	if (info->image[0] != '\0')
		return image_familiar(info->image);
	return slash != NULL && slash[1] != '\0' ? slash + 1 : info->rootfs;
}

/* docker shows the command quoted and cut to 20 characters, the last one an ellipsis. */
static void format_command(const char *command, char *buffer, size_t size)
{
	size_t characters = 0;
	size_t cut = 0;

	for (const char *c = command; *c != '\0'; c++)
		if (((unsigned char)*c & 0xc0) != 0x80) {
			if (characters == 19)
				cut = (size_t)(c - command);
			characters++;
		}
	if (flags.no_trunc || characters <= 20)
		snprintf(buffer, size, "\"%s\"", command);
	else
		snprintf(buffer, size, "\"%.*s…\"", (int)cut, command);
}

/* The published ports of a running container as docker's PORTS column; "" for the others or one that went. */
static char *ports_text(const struct containerv_info *info)
{
	struct containerv_container *container = NULL;
	char *text;

	if (info->state != CV_STATE_RUNNING || containerv_open(info->id, &container) < 0)
		return xstrdup("");
	text = cli_ports_text(container);
	containerv_close(container);
	return text;
}

static json_t *info_to_json(const struct containerv_info *info, int64_t now)
{
	char name[16], created[64], running_for[64], status[128], id[65];
	_cleanup_free_ char *ports = ports_text(info);

	snprintf(id, sizeof id, flags.no_trunc ? "%s" : "%.12s", info->id);
	format_rfc3339nano(info->created_ns, created, sizeof created);
	format_duration(now - info->created_ns, running_for, sizeof running_for);
	strcat(running_for, " ago");
	format_status(info, now, status, sizeof status);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "Names",
	                 container_name(info, name, sizeof name), "Image", image_name(info), "Command", info->command,
	                 "CreatedAt", created, "RunningFor", running_for, "State", cli_info_state_name(info), "Status",
	                 status, "Ports", ports);
}

/* Whether the container has a label KEY=VALUE, or KEY=anything when value is NULL. */
static bool has_label(const char *id, const char *key, const char *value)
{
	struct containerv_container *container = NULL;
	char **labels = NULL;
	size_t length = strlen(key);
	bool found = false;

	if (containerv_open(id, &container) < 0)
		return false;
	if (containerv_get_strings(container, CV_STRINGS_LABELS, &labels, NULL) == 0) {
		for (size_t i = 0; labels[i] != NULL && !found; i++)
			found = strncmp(labels[i], key, length) == 0 &&
			        (labels[i][length] == '\0' || labels[i][length] == '=') &&
			        (value == NULL ||
			         (labels[i][length] == '=' && strcmp(labels[i] + length + 1, value) == 0));
		containerv_strings_free(labels);
	}
	containerv_close(container);
	return found;
}

/* --filter label=KEY[=VALUE] (each must match), as docker ps's. */
static bool matches_filters(const struct containerv_info *info)
{
	for (size_t i = 0; i < flags.filters.count; i++) {
		char key[256];
		const char *label = flags.filters.items[i] + strlen("label="), *equals = strchr(label, '=');
		snprintf(key, sizeof key, "%.*s", (int)(equals != NULL ? (size_t)(equals - label) : strlen(label)),
		         label);
		if (!has_label(info->id, key, equals != NULL ? equals + 1 : NULL))
			return false;
	}
	return true;
}

/*
 * A pool's ready container (held, labelled containerv.pool) is the pool's, not yet anyone's: hidden as
 * docker hides its own machinery, unless a filter asks for labels ('ps -a --filter label=containerv.pool').
 */
static bool hidden_pool_container(const struct containerv_info *info)
{
	return info->state == CV_STATE_HELD && flags.filters.count == 0 &&
	       has_label(info->id, CONTAINERV_POOL_LABEL, NULL);
}

static int print_one(const struct containerv_info *info, void *user)
{
	struct ps_listing *listing = user;
	char id[65], command[4200], created[80], status[128], name[16];
	_cleanup_free_ char *ports = NULL;

	if (!flags.all && info->state != CV_STATE_RUNNING)
		return 0;
	if (hidden_pool_container(info) || !matches_filters(info))
		return 0;
	snprintf(id, sizeof id, flags.no_trunc ? "%s" : "%.12s", info->id);
	if (flags.quiet) {
		printf("%s\n", id);
		return 0;
	}
	if (flags.format != NULL) {
		json_t *object = info_to_json(info, listing->now);

		if (strcmp(flags.format, "json") == 0)
			json_print_line(object, stdout);
		else if (template_print(flags.format, object, stdout) == 0)
			fputc('\n', stdout);
		json_decref(object);
		return 0;
	}
	format_command(info->command, command, sizeof command);
	format_duration(listing->now - info->created_ns, created, sizeof created - 4);
	strcat(created, " ago");
	format_status(info, listing->now, status, sizeof status);
	ports = ports_text(info);
	table_add(&listing->table, (const char *const[]){id, image_name(info), command, created, status, ports,
	                                                 container_name(info, name, sizeof name)});
	return 0;
}

int cmd_ps(int argc, char **argv)
{
	static const struct flag table[] = {
	        {"all", 'a', FLAG_BOOL, &flags.all, NULL, "Show all containers (default shows just running)"},
	        {"quiet", 'q', FLAG_BOOL, &flags.quiet, NULL, "Only display container IDs"},
	        {"no-trunc", 0, FLAG_BOOL, &flags.no_trunc, NULL, "Don't truncate output"},
	        {"format", 0, FLAG_STRING, &flags.format, "string", "json, or a template such as '{{.Names}}'"},
	        {"filter", 'f', FLAG_LIST, &flags.filters, "filter",
	         "label=KEY or label=KEY=VALUE (a pool's ready containers show only with a filter)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "ps",
	        "[OPTIONS]",
	        "List containers",
	        table,
	        false,
	        0,
	        0,
	        "Template fields: ID, Names, Image, Command, CreatedAt, RunningFor, State, Status, Ports.",
	};
	static const char *const header[] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	struct ps_listing listing = {.now = now_ns()};
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (flags.format != NULL && strcmp(flags.format, "json") != 0 && template_check(flags.format) < 0)
		return EXIT_CLI_ERROR;
	for (size_t i = 0; i < flags.filters.count; i++)
		if (strncmp(flags.filters.items[i], "label=", 6) != 0 || flags.filters.items[i][6] == '\0' ||
		    flags.filters.items[i][6] == '=')
			return cli_fail(EXIT_CLI_ERROR, "ps: --filter takes label=KEY or label=KEY=VALUE, not \"%s\"",
			                flags.filters.items[i]);
	table_init(&listing.table, 7, header);
	if (containerv_list(print_one, &listing) < 0) {
		table_free(&listing.table);
		return cli_fail_library(EXIT_CLI_ERROR, "list containers");
	}
	if (!flags.quiet && flags.format == NULL)
		table_print(&listing.table, stdout);
	table_free(&listing.table);
	return 0;
}
