/*
 * history / image history: an image's history newest first, as docker
 * prints it (the image id on the newest row, <missing> on the others, which
 * have no image of their own), or one template line per row.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

struct history_state {
	const char *format;
	int no_trunc, quiet, human;
	char id[80];
	size_t row;
	struct table table;
};

/* created_by cut to docker's 45 columns ("…" marks the cut) unless --no-trunc. */
static void shorten(const char *text, int no_trunc, char *out, size_t size)
{
	if (no_trunc || strlen(text) <= 45)
		snprintf(out, size, "%s", text);
	else
		snprintf(out, size, "%.44s…", text);
}

static int history_row(const struct containerv_image_history *entry, void *user)
{
	struct history_state *state = user;
	char created[64], created_at[64], size[32], created_by[4096];
	const char *id = state->row++ == 0 ? state->id : "<missing>";

	if (state->quiet) {
		printf("%s\n", id);
		return 0;
	}
	if (entry->created_ns <= 0)
		snprintf(created, sizeof created, "N/A");
	else if (state->human) {
		format_duration(now_ns() - entry->created_ns, created, sizeof created);
		strncat(created, " ago", sizeof created - strlen(created) - 1);
	} else
		format_rfc3339nano(entry->created_ns, created, sizeof created);
	format_rfc3339nano(entry->created_ns, created_at, sizeof created_at);
	if (state->human)
		format_size_decimal((double)entry->size, size, sizeof size);
	else
		snprintf(size, sizeof size, "%llu", (unsigned long long)entry->size);
	shorten(entry->created_by, state->no_trunc || state->format != NULL, created_by, sizeof created_by);
	if (state->format == NULL) {
		table_add(&state->table, (const char *const[]){id, created, created_by, size, entry->comment});
		return 0;
	}
	json_t *object = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "CreatedSince", created, "CreatedAt",
	                           created_at, "CreatedBy", created_by, "Size", size, "Comment", entry->comment);
	format_emit(state->format, object);
	return 0;
}

int cmd_history(int argc, char **argv)
{
	static struct history_state state = {.human = 1};
	static const struct flag table[] = {
	        {"format", 0, FLAG_STRING, &state.format, "string",
	         "json, or a template: {{.ID}} {{.CreatedSince}} {{.CreatedAt}} {{.CreatedBy}} {{.Size}} {{.Comment}}"},
	        {"human", 'H', FLAG_BOOL, &state.human, NULL,
	         "Print sizes and dates in human readable format (default true)"},
	        {"no-trunc", 0, FLAG_BOOL, &state.no_trunc, NULL, "Don't truncate output"},
	        {"quiet", 'q', FLAG_BOOL, &state.quiet, NULL, "Only show image IDs"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "history", "[OPTIONS] IMAGE", "Show the history of an image", table, false, 1, 1, NULL,
	};
	static const char *const header[] = {"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"};
	_cleanup_free_ char **words = NULL;
	struct containerv_image_info info = {.version = CONTAINERV_IMAGE_INFO_VERSION};
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (state.format != NULL && strcmp(state.format, "json") != 0 && template_check(state.format) < 0)
		return EXIT_CLI_ERROR;
	if (containerv_image_inspect(positional.items[0], &info) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	snprintf(state.id, sizeof state.id, "%s",
	         state.no_trunc ? info.id : (strncmp(info.id, "sha256:", 7) == 0 ? info.id + 7 : info.id));
	if (!state.no_trunc)
		state.id[12] = '\0';
	containerv_image_info_clear(&info);
	table_init(&state.table, 5, header);
	code = containerv_image_history(positional.items[0], history_row, &state);
	if (code == 0 && state.format == NULL && !state.quiet)
		table_print(&state.table, stdout);
	table_free(&state.table);
	return code < 0 ? cli_fail_library(EXIT_CONTAINER_FAILURE, NULL) : 0;
}
