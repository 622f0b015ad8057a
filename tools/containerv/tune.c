/*
 * tune: what held a running container back, and the limits that would not (tune.h); --apply
 * updates them live.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

static struct {
	const char *interval;
	int apply;
} flags;

/* "2s", "500ms" or a bare number of seconds, 0.1 to 600 s. */
static int parse_interval(const char *text, unsigned int *milliseconds)
{
	char *end;
	double value = strtod(text, &end);

	if (end == text)
		return -1;
	if (strcmp(end, "ms") == 0)
		value /= 1000;
	else if (*end != '\0' && strcmp(end, "s") != 0)
		return -1;
	if (!(value >= 0.1 && value <= 600))
		return -1;
	*milliseconds = (unsigned int)(value * 1000 + 0.5);
	return 0;
}

static void print_report(const char *name, const struct containerv_tune_report *report)
{
	printf("%s: sampled %.1fs%s\n", name, (double)report->interval_ns / 1e9,
	       report->has_pressure ? ""
	                            : " (no pressure stall information here: CPU, memory and I/O waits not judged)");
	if (report->count == 0) {
		printf("no bottleneck found\n");
		return;
	}
	for (size_t i = 0; i < report->count; i++) {
		const struct containerv_tune_finding *finding = &report->findings[i];

		if (finding->suggestion[0] != '\0')
			printf("%s; suggest %s\n", finding->message, finding->suggestion);
		else
			printf("%s; no limit change would help\n", finding->message);
	}
}

static bool has_suggestion(const struct containerv_tune_report *report)
{
	for (size_t i = 0; i < report->count; i++)
		if (report->findings[i].suggestion[0] != '\0')
			return true;
	return false;
}

int cmd_tune(int argc, char **argv)
{
	static const struct flag table[] = {
	        {"interval", 0, FLAG_STRING, &flags.interval, "DURATION",
	         "How long to sample (default 2s; 100ms to 600s)"},
	        {"apply", 0, FLAG_BOOL, &flags.apply, NULL, "Apply the suggested limits at once (as update does)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "tune",
	        "[OPTIONS] CONTAINER",
	        "Find what holds a running container back and suggest (or apply) limits",
	        table,
	        false,
	        1,
	        1,
	        "Looks for a CPU quota that throttles, memory near its limit or OOM kills, a pids limit nearly\n"
	        "reached, and (cgroup v2 with PSI) time spent waiting for CPU, memory or I/O.",
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_tune_report report = {.version = CONTAINERV_TUNE_VERSION};
	unsigned int interval_ms = 2000;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (flags.interval != NULL && parse_interval(flags.interval, &interval_ms) < 0)
		return cli_fail(EXIT_CLI_ERROR, "tune: invalid --interval %s: give 100ms to 600s, for example 2s",
		                flags.interval);
	if (cli_open(positional.items[0], &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	if (containerv_tune(container, interval_ms, &report) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	print_report(containerv_name(container), &report);
	if (!flags.apply || !has_suggestion(&report))
		return 0;
	if (containerv_update(container, &report.suggested) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, "tune --apply %s", positional.items[0]);
	printf("applied\n");
	return 0;
}
