/*
 * events: the state root's events journal (supervise.h), as docker's events
 * command shows it: the entries since --since (default: from now on), until
 * --until (default: followed until interrupted), filtered by type, container,
 * event, label and image, as a line, as JSON ({{json .}}) or a template.
 * compose events uses the same with the project's label.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv.h>
#include <jansson.h>

#include "cli.h"
#include "flags.h"
#include "output.h"
#include "supervise-flags.h"

struct events_view {
	const struct string_list *filters;
	const char *format;
	const char *project; /* compose events: only this project's */
	int compose_json;
};

static const char *attribute(const struct containerv_journal_event *event, const char *key)
{
	size_t length = strlen(key);

	for (size_t i = 0; event->attributes[i] != NULL; i++)
		if (strncmp(event->attributes[i], key, length) == 0 && event->attributes[i][length] == '=')
			return event->attributes[i] + length + 1;
	return NULL;
}

/* One filter KEY=VALUE against the event. */
static bool filter_matches(const struct containerv_journal_event *event, const char *key, const char *value)
{
	if (strcmp(key, "type") == 0)
		return strcmp(event->type, value) == 0;
	if (strcmp(key, "event") == 0) {
		/* "health_status" matches "health_status: healthy", as docker's. */
		size_t length = strlen(value);
		return strcmp(event->action, value) == 0 ||
		       (strncmp(event->action, value, length) == 0 && event->action[length] == ':');
	}
	if (strcmp(key, "container") == 0) {
		const char *name = attribute(event, "name");
		return strcmp(event->type, "container") == 0 &&
		       ((name != NULL && strcmp(name, value) == 0) || strncmp(event->id, value, strlen(value)) == 0);
	}
	if (strcmp(key, "network") == 0 || strcmp(key, "volume") == 0) {
		const char *name = attribute(event, "name");
		return strcmp(event->type, key) == 0 &&
		       ((name != NULL && strcmp(name, value) == 0) || strncmp(event->id, value, strlen(value)) == 0);
	}
	if (strcmp(key, "image") == 0) {
		const char *image = attribute(event, "image");
		return image != NULL && (strcmp(image, value) == 0 || strstr(image, value) != NULL);
	}
	if (strcmp(key, "label") == 0) {
		const char *equals = strchr(value, '=');
		for (size_t i = 0; event->attributes[i] != NULL; i++) {
			if (equals == NULL ? strncmp(event->attributes[i], value, strlen(value)) == 0 &&
			                             event->attributes[i][strlen(value)] == '='
			                   : strcmp(event->attributes[i], value) == 0)
				return true;
		}
		return false;
	}
	return false;
}

/* docker: filters of one key are alternatives, of different keys all required. */
static bool event_selected(const struct events_view *view, const struct containerv_journal_event *event)
{
	static const char *const keys[] = {"type", "event", "container", "image", "label", "network", "volume"};

	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
		bool present = false, matched = false;
		for (size_t i = 0; i < view->filters->count; i++) {
			const char *filter = view->filters->items[i];
			size_t length = strlen(keys[k]);
			if (strncmp(filter, keys[k], length) != 0 || filter[length] != '=')
				continue;
			present = true;
			matched = matched || filter_matches(event, keys[k], filter + length + 1);
		}
		if (present && !matched)
			return false;
	}
	if (view->project != NULL) {
		const char *project = attribute(event, "com.docker.compose.project");
		return project != NULL && strcmp(project, view->project) == 0;
	}
	return true;
}

/*
 * A field of the line, its control characters escaped (\n, \x1b ...): an image's labels are attributes of its
 * containers' events, and a label's value is the image author's, who could otherwise end the line and forge
 * the next event, or send escape sequences to the terminal of whoever reads the events.
 */
static void print_field(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\r')
			fputs("\\r", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

/* docker's line: "2024-05-01T12:00:00.000000000Z container start ID (image=..., name=...)". */
static void print_line(const struct containerv_journal_event *event)
{
	char time_text[32];

	containerv_logs_format_time(event->time_ns, time_text);
	printf("%s ", time_text);
	print_field(event->type);
	putchar(' ');
	print_field(event->action);
	putchar(' ');
	print_field(event->id);
	fputs(" (", stdout);
	for (size_t i = 0; event->attributes[i] != NULL; i++) {
		fputs(i > 0 ? ", " : "", stdout);
		print_field(event->attributes[i]);
	}
	printf(")\n");
}

/* compose events: "2024-05-01 12:00:00.000000 container start ID (image=..., name=...)", or --json. */
static void print_compose(const struct events_view *view, const struct containerv_journal_event *event)
{
	const char *service = attribute(event, "com.docker.compose.service");
	char time_text[32];

	containerv_logs_format_time(event->time_ns, time_text);
	if (view->compose_json) {
		json_t *attributes = json_object();
		for (size_t i = 0; event->attributes[i] != NULL; i++) {
			const char *equals = strchr(event->attributes[i], '=');
			char key[256];
			snprintf(key, sizeof key, "%.*s", (int)(equals - event->attributes[i]), event->attributes[i]);
			json_object_set_new(attributes, key, json_string(equals + 1));
		}
		json_t *line = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "time", time_text, "type", event->type, "action",
		                         event->action, "id", event->id, "service", service != NULL ? service : "",
		                         "attributes", attributes);
		json_print_line(line, stdout);
		json_decref(line);
		return;
	}
	print_line(event);
}

static int show(const struct containerv_journal_event *event, void *user)
{
	const struct events_view *view = user;

	if (!event_selected(view, event))
		return 0;
	if (view->project != NULL) {
		print_compose(view, event);
	} else if (view->format == NULL) {
		print_line(event);
	} else if (strcmp(view->format, "json") == 0 || strcmp(view->format, "{{json .}}") == 0) {
		printf("%s\n", event->json);
	} else {
		json_t *object = json_loads(event->json, 0, NULL);
		if (object != NULL && template_print(view->format, object, stdout) == 0)
			fputc('\n', stdout);
		json_decref(object);
	}
	fflush(stdout);
	return 0;
}

static int check_filters(const struct string_list *filters)
{
	static const char *const keys[] = {"type=", "event=", "container=", "image=", "label=", "network=", "volume="};

	for (size_t i = 0; i < filters->count; i++) {
		bool known = false;
		for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
			known = known || strncmp(filters->items[i], keys[k], strlen(keys[k])) == 0;
		if (!known)
			return cli_fail(
			        EXIT_CLI_ERROR,
			        "invalid filter '%s' (type=, event=, container=, image=, label=, network=, volume=)",
			        filters->items[i]);
	}
	return 0;
}

int cli_events_run(const char *since, const char *until, const struct string_list *filters, const char *format,
                   const char *project, int compose_json)
{
	struct events_view view = {
	        .filters = filters, .format = format, .project = project, .compose_json = compose_json};
	int64_t now = now_ns(), since_ns = now, until_ns = 0;

	if (check_filters(filters) != 0)
		return EXIT_CLI_ERROR;
	if (since != NULL && containerv_logs_parse_time(since, now, &since_ns) < 0)
		return cli_fail(EXIT_CLI_ERROR, "invalid --since \"%s\": a time (RFC 3339, Unix seconds) or a duration",
		                since);
	if (until != NULL && containerv_logs_parse_time(until, now, &until_ns) < 0)
		return cli_fail(EXIT_CLI_ERROR, "invalid --until \"%s\": a time (RFC 3339, Unix seconds) or a duration",
		                until);
	/* Followed until --until (or an interrupt); an --until already past reads the past only. */
	int follow = until_ns == 0 || until_ns > now;
	if (containerv_journal_read(NULL, since_ns, until_ns, follow, show, &view) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, "events");
	return 0;
}

int cmd_events(int argc, char **argv)
{
	static const char *since, *until, *format;
	static struct string_list filters;
	static const struct flag table[] = {
	        {"since", 0, FLAG_STRING, &since, "string", "Show all events created since timestamp"},
	        {"until", 0, FLAG_STRING, &until, "string", "Stream events until this timestamp"},
	        {"filter", 'f', FLAG_LIST, &filters, "filter",
	         "Filter output based on conditions provided (type=, container=, event=, label=, image=, network=, "
	         "volume=)"},
	        {"format", 0, FLAG_STRING, &format, "string", "Format the output: json, or a template ('{{json .}}')"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "events",
	        "[OPTIONS]",
	        "Get real time events from the server",
	        table,
	        false,
	        0,
	        0,
	        "Events are read from the state root's journal (<root>/events.log), written by every containerv\n"
	        "process that changes a container. Without --until they are followed until interrupted.",
	};
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	size_t arguments = positional.count;
	free(positional.items);
	if (arguments > 0)
		code = cli_fail(EXIT_CLI_ERROR, "\"events\" accepts no arguments");
	else
		code = cli_events_run(since, until, &filters, format, NULL, 0);
	free(filters.items);
	return code;
}
