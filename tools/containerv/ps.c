/*
 * ps: the containers under the state root, as docker ps shows them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "supervise-flags.h"
#include "flags.h"
#include "image-cli.h"
#include "network-flags.h"
#include "output.h"
#include "ps-filter.h"

struct ps_flags {
	int all, quiet, no_trunc, size, latest;
	const char *format, *last;
	struct string_list filters;
};

static struct ps_flags flags;

struct ps_listing {
	struct table table;
	int64_t now;
	size_t matched, skip;     /* -n/-l: the oldest matches skipped, only the last N shown */
	const char *row_template; /* --format 'table ...': the template of one row, tab-separated */
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
	char duration[64], health[32];

	switch (info->state) {
	case CV_STATE_RUNNING:
		format_duration(now - info->started_ns, duration, sizeof duration);
		cli_health_suffix(info->id, health, sizeof health);
		snprintf(buffer, size, "Up %s%s%s", duration, info->paused ? " (Paused)" : "", health);
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

/* -s: the writable layer's bytes, as docker prints SIZE ("12B (virtual 4.26MB)" without the virtual part). */
static void container_size(const struct containerv_info *info, char *buffer, size_t size)
{
	struct containerv_container *container = NULL;
	uint64_t bytes = 0;

	if (containerv_open(info->id, &container) == 0) {
		if (containerv_disk_usage(container, &bytes) < 0)
			bytes = 0;
		containerv_close(container);
	}
	format_size_decimal((double)bytes, buffer, size);
}

static json_t *info_to_json(const struct containerv_info *info, int64_t now)
{
	char name[16], created[64], running_for[64], status[128], id[65], size[64];
	_cleanup_free_ char *ports = ports_text(info);

	snprintf(id, sizeof id, flags.no_trunc ? "%s" : "%.12s", info->id);
	format_rfc3339nano(info->created_ns, created, sizeof created);
	format_duration(now - info->created_ns, running_for, sizeof running_for);
	strcat(running_for, " ago");
	format_status(info, now, status, sizeof status);
	container_size(info, size, sizeof size);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "Names",
	                 container_name(info, name, sizeof name), "Image", image_name(info), "Command", info->command,
	                 "CreatedAt", created, "RunningFor", running_for, "State", cli_info_state_name(info), "Status",
	                 status, "Ports", ports, "Size", size);
}

static bool matches_filters(const struct containerv_info *info)
{
	return ps_filters_match(info, flags.filters.items, flags.filters.count);
}

/*
 * A pool's ready container (held, labelled containerv.pool) is the pool's, not yet anyone's: hidden as
 * docker hides its own machinery, unless a filter asks for labels ('ps -a --filter label=containerv.pool').
 */
static bool hidden_pool_container(const struct containerv_info *info)
{
	return info->state == CV_STATE_HELD && flags.filters.count == 0 &&
	       ps_has_label(info->id, CONTAINERV_POOL_LABEL, NULL);
}

/* Splits a row at its tabs into the table's columns (missing cells empty, extra text kept in the last). */
static void table_add_split(struct table *table, char *text)
{
	const char *cells[32] = {0};
	size_t count = 0;

	text[strcspn(text, "\n")] = '\0';
	for (char *cell = text; cell != NULL && count < table->columns; count++) {
		char *tab = count + 1 < table->columns ? strchr(cell, '\t') : NULL;
		cells[count] = cell;
		if (tab != NULL)
			*tab++ = '\0';
		cell = tab;
	}
	table_add(table, cells);
}

/* docker's column titles for the template fields. */
static const char *field_title(const char *field)
{
	static const char *const titles[][2] = {
	        {"ID", "CONTAINER ID"},    {"Image", "IMAGE"}, {"Command", "COMMAND"}, {"CreatedAt", "CREATED AT"},
	        {"RunningFor", "CREATED"}, {"Ports", "PORTS"}, {"State", "STATE"},     {"Status", "STATUS"},
	        {"Size", "SIZE"},          {"Names", "NAMES"}, {"Labels", "LABELS"},   {"Mounts", "MOUNTS"},
	        {"Networks", "NETWORKS"},
	};

	for (size_t i = 0; i < sizeof titles / sizeof *titles; i++)
		if (strcmp(field, titles[i][0]) == 0)
			return titles[i][1];
	return field;
}

/*
 * --format 'table {{.ID}}\t{{.Names}}': the row template (docker's "\t" made a tab) in *row, the header
 * (each {{.Field}} replaced by its title) in *header; both malloc'ed. Returns the number of columns.
 */
static size_t parse_table_format(const char *format, char **row, char **header)
{
	const char *body = format + strlen("table");
	size_t columns = 1;
	char *out, *titles;

	while (*body == ' ')
		body++;
	out = *row = xstrdup(body);
	for (const char *p = body; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == 't') {
			*out++ = '\t';
			p++;
		} else
			*out++ = *p;
	}
	*out = '\0';
	titles = *header = xmalloc(strlen(*row) * 2 + 64);
	for (const char *p = *row; *p != '\0';) {
		const char *open = strstr(p, "{{"), *close = open != NULL ? strstr(open, "}}") : NULL;
		if (open == NULL || close == NULL) {
			strcpy(titles, p);
			titles += strlen(p);
			break;
		}
		memcpy(titles, p, (size_t)(open - p));
		titles += open - p;
		char field[64];
		const char *name = open + 2;
		while (*name == ' ' || *name == '.')
			name++;
		snprintf(field, sizeof field, "%.*s", (int)strcspn(name, " }"), name);
		titles += sprintf(titles, "%s", field_title(field));
		p = close + 2;
	}
	*titles = '\0';
	for (const char *p = *row; *p != '\0'; p++)
		columns += *p == '\t';
	return columns < 32 ? columns : 31;
}

/* What ps lists: -a or running, pool machinery hidden, --filter matched. */
static bool shown(const struct containerv_info *info)
{
	bool all = flags.all || flags.last != NULL || flags.latest;

	/* docker: a status or exited filter looks at every container. */
	for (size_t i = 0; i < flags.filters.count; i++)
		all = all || strncmp(flags.filters.items[i], "status=", 7) == 0 ||
		      strncmp(flags.filters.items[i], "exited=", 7) == 0;

	if (!all && info->state != CV_STATE_RUNNING)
		return false;
	return !hidden_pool_container(info) && matches_filters(info);
}

static int count_shown(const struct containerv_info *info, void *user)
{
	*(size_t *)user += shown(info);
	return 0;
}

/* --format 'table ...': one template line split at its tabs into the table's cells. */
static int table_row_from_template(struct ps_listing *listing, const struct containerv_info *info)
{
	json_t *object = info_to_json(info, listing->now);
	char *text = NULL;
	size_t length = 0;
	FILE *out = open_memstream(&text, &length);

	if (out == NULL) {
		json_decref(object);
		return cli_fail(-1, "ps: out of memory");
	}
	template_print(listing->row_template, object, out);
	fclose(out);
	json_decref(object);
	table_add_split(&listing->table, text);
	free(text);
	return 0;
}

static int print_one(const struct containerv_info *info, void *user)
{
	struct ps_listing *listing = user;
	char id[65], command[4200], created[80], status[128], name[16], size[64];
	_cleanup_free_ char *ports = NULL;

	if (!shown(info) || listing->matched++ < listing->skip)
		return 0;
	snprintf(id, sizeof id, flags.no_trunc ? "%s" : "%.12s", info->id);
	if (flags.quiet) {
		printf("%s\n", id);
		return 0;
	}
	if (listing->row_template != NULL)
		return table_row_from_template(listing, info);
	if (flags.format != NULL) {
		json_t *object = info_to_json(info, listing->now);

		format_emit(flags.format, object);
		return 0;
	}
	format_command(info->command, command, sizeof command);
	format_duration(listing->now - info->created_ns, created, sizeof created - 4);
	strcat(created, " ago");
	format_status(info, listing->now, status, sizeof status);
	ports = ports_text(info);
	container_size(info, size, sizeof size);
	table_add(&listing->table, (const char *const[]){id, image_name(info), command, created, status, ports,
	                                                 container_name(info, name, sizeof name), size});
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
	         "id, name, label, status, exited, ancestor, network, volume (a pool's ready containers show only with "
	         "a "
	         "filter)"},
	        {"last", 'n', FLAG_STRING, &flags.last, "int", "Show n last created containers (includes all states)"},
	        {"latest", 'l', FLAG_BOOL, &flags.latest, NULL,
	         "Show the latest created container (includes all states)"},
	        {"size", 's', FLAG_BOOL, &flags.size, NULL, "Display total file sizes (the writable layer's)"},
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
	        "Template fields: ID, Names, Image, Command, CreatedAt, RunningFor, State, Status, Ports, Size.\n"
	        "--format 'table {{.ID}}\\t{{.Names}}' prints docker's column titles as a header.",
	};
	static const char *const header[] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
	                                     "STATUS",       "PORTS", "NAMES",   "SIZE"};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	struct ps_listing listing = {.now = now_ns()};
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (flags.format != NULL && strcmp(flags.format, "json") != 0 && strncmp(flags.format, "table", 5) != 0 &&
	    template_check(flags.format) < 0)
		return EXIT_CLI_ERROR;
	for (size_t i = 0; i < flags.filters.count; i++)
		if (ps_filter_check(flags.filters.items[i]) < 0)
			return EXIT_CLI_ERROR;
	int64_t last = flags.latest ? 1 : -1;
	if (flags.last != NULL && (cli_parse_int64(flags.last, &last) < 0 || last < -1))
		return cli_fail(EXIT_CLI_ERROR, "invalid --last \"%s\": expected a number", flags.last);
	if (last >= 0) {
		size_t total = 0;
		if (containerv_list(count_shown, &total) < 0)
			return cli_fail_library(EXIT_CLI_ERROR, "list containers");
		listing.skip = total > (size_t)last ? total - (size_t)last : 0;
	}
	_cleanup_free_ char *row = NULL, *titles = NULL;
	if (flags.format != NULL && strncmp(flags.format, "table", 5) == 0 &&
	    (flags.format[5] == '\0' || flags.format[5] == ' ')) {
		if (flags.format[5] == '\0') {
			flags.format = NULL; /* "table" alone: the default table */
		} else {
			size_t columns = parse_table_format(flags.format, &row, &titles);
			if (template_check(row) < 0)
				return EXIT_CLI_ERROR;
			listing.row_template = row;
			/* The header is a row like the others: split at the same tabs. */
			listing.table = (struct table){.columns = columns, .rows = 0, .cells = NULL};
			table_add_split(&listing.table, titles);
		}
	}
	if (listing.row_template == NULL)
		table_init(&listing.table, flags.size ? 8 : 7, header);
	if (containerv_list(print_one, &listing) < 0) {
		table_free(&listing.table);
		return cli_fail_library(EXIT_CLI_ERROR, "list containers");
	}
	if (listing.row_template != NULL) {
		table_print(&listing.table, stdout);
		table_free(&listing.table);
		return 0;
	}
	if (!flags.quiet && flags.format == NULL)
		table_print(&listing.table, stdout);
	table_free(&listing.table);
	return 0;
}
