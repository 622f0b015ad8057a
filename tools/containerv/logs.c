/*
 * logs: a detached container's log (containerv_logs_read()), each line to
 * the descriptor it was written to (stdout or stderr), as docker does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

struct replay {
	bool timestamps;
	bool at_line_start[3]; /* per stream: the next entry starts a line (gets the timestamp) */
};

/* One entry to its stream; -1 (stops the read) when that cannot be written. */
static int replay_entry(const struct containerv_log_entry *entry, void *user)
{
	struct replay *replay = user;
	FILE *out = entry->stream == CONTAINERV_LOG_STDERR ? stderr : stdout;
	int stream = entry->stream == CONTAINERV_LOG_STDERR ? 2 : 1;

	if (replay->timestamps && replay->at_line_start[stream]) {
		char time_text[32];
		containerv_logs_format_time(entry->time_ns, time_text);
		fprintf(out, "%s ", time_text);
	}
	replay->at_line_start[stream] = !entry->partial;
	if (fwrite(entry->data, 1, entry->length, out) != entry->length || (!entry->partial && putc('\n', out) == EOF))
		return -1;
	/* Flushed each time: a follower sees lines as they come, and both streams keep their order. */
	return fflush(out) == 0 ? 0 : -1;
}

int logs_copy(struct containerv_container *container, const struct containerv_logs_options *options, bool timestamps)
{
	struct replay replay = {.timestamps = timestamps, .at_line_start = {true, true, true}};
	int ret = containerv_logs_read(container, options, replay_entry, &replay);

	if (ret < 0 && containerv_last_error()[0] != '\0')
		return cli_fail_library(-1, NULL);
	return ret < 0 ? -1 : 0;
}

/* --since/--until: docker's forms (containerv_logs_parse_time); NULL leaves *time_ns 0. */
static int parse_time_flag(const char *name, const char *text, int64_t now_ns, int64_t *time_ns)
{
	if (text == NULL)
		return 0;
	if (containerv_logs_parse_time(text, now_ns, time_ns) < 0)
		return cli_fail(-1, "invalid --%s: %s", name, containerv_last_error());
	return 0;
}

int cmd_logs(int argc, char **argv)
{
	static int follow, timestamps;
	static const char *tail, *since, *until;
	static const struct flag table[] = {
	        {"follow", 'f', FLAG_BOOL, &follow, NULL, "Follow log output until the container stops"},
	        {"tail", 'n', FLAG_STRING, &tail, "string",
	         "Number of lines to show from the end of the logs (or \"all\")"},
	        {"timestamps", 't', FLAG_BOOL, &timestamps, NULL, "Show timestamps"},
	        {"since", 0, FLAG_STRING, &since, "string",
	         "Show logs since timestamp (2024-05-01T12:00:00Z, Unix seconds) or relative (42m)"},
	        {"until", 0, FLAG_STRING, &until, "string",
	         "Show logs before a timestamp (2024-05-01T12:00:00Z, Unix seconds) or relative (42m)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", table, false, 1, 1, NULL,
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_logs_options options = CONTAINERV_LOGS_OPTIONS_INIT;
	struct arguments positional;
	struct timespec now;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
	if (tail != NULL && strcmp(tail, "all") != 0 && (cli_parse_int64(tail, &options.tail) < 0 || options.tail < 0))
		return cli_fail(EXIT_CLI_ERROR, "invalid --tail \"%s\": expected a number or \"all\"", tail);
	if (parse_time_flag("since", since, now_ns, &options.since_ns) < 0 ||
	    parse_time_flag("until", until, now_ns, &options.until_ns) < 0)
		return EXIT_CLI_ERROR;
	options.follow = follow;
	if (cli_open(positional.items[0], &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	return logs_copy(container, &options, timestamps) < 0 ? EXIT_CONTAINER_FAILURE : 0;
}
