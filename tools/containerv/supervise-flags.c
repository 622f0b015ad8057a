/*
 * --health-cmd, --health-interval, --health-timeout, --health-retries, --health-start-period,
 * --health-start-interval, --no-healthcheck and --restart: docker's flags, handed to the library
 * (supervise.h), which validates them before anything is created. --health-http (with
 * --health-http-status and --health-http-body) and --health-tcp are containerv's own: the library's
 * HTTP and TCP tests, probed from the container's network namespace.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv.h>

#include "cli.h"
#include "flags.h"
#include "output.h"
#include "supervise-flags.h"

static int duration(const char *text, const char *flag, int64_t *ns)
{
	if (text == NULL)
		return 0;
	if (containerv_parse_duration(text, ns) < 0)
		return cli_fail(-1,
		                "invalid argument \"%s\" for \"--%s\" flag: a duration (30s, 1m30s, 500ms) is expected",
		                text, flag);
	return 0;
}

static bool any_health_flag(const struct supervise_flags *f)
{
	return f->health_cmd != NULL || f->health_http != NULL || f->health_tcp != NULL ||
	       f->health_http_status != NULL || f->health_http_body != NULL || f->health_interval != NULL ||
	       f->health_timeout != NULL || f->health_retries != NULL || f->health_start_period != NULL ||
	       f->health_start_interval != NULL;
}

int cli_apply_supervision(const struct supervise_flags *f, struct containerv_options *options)
{
	struct containerv_healthcheck check = {.version = CONTAINERV_HEALTHCHECK_VERSION};
	const char *none[] = {"NONE", NULL};
	const char *shell[] = {"CMD-SHELL", f->health_cmd, NULL};
	const char *tcp[] = {"TCP", f->health_tcp, NULL};
	const char *http[5] = {"HTTP", f->health_http, NULL};
	char status[32], body[1100];

	if (f->no_healthcheck && any_health_flag(f))
		return cli_fail(-1, "--no-healthcheck conflicts with --health-* options");
	if (f->no_healthcheck) {
		check.test = none;
		if (containerv_options_set_healthcheck(options, &check) < 0)
			return cli_fail_library(-1, "--no-healthcheck");
	} else if (any_health_flag(f)) {
		if (duration(f->health_interval, "health-interval", &check.interval_ns) < 0 ||
		    duration(f->health_timeout, "health-timeout", &check.timeout_ns) < 0 ||
		    duration(f->health_start_period, "health-start-period", &check.start_period_ns) < 0 ||
		    duration(f->health_start_interval, "health-start-interval", &check.start_interval_ns) < 0)
			return -1;
		if (f->health_retries != NULL) {
			int64_t retries;
			if (cli_parse_int64(f->health_retries, &retries) < 0 || retries < 0 || retries > 1000000)
				return cli_fail(-1, "--health-retries cannot be negative (\"%s\")", f->health_retries);
			check.retries = (int)retries;
		}
		if ((f->health_cmd != NULL) + (f->health_http != NULL) + (f->health_tcp != NULL) > 1)
			return cli_fail(-1, "--health-cmd, --health-http and --health-tcp: one of them at most");
		if ((f->health_http_status != NULL || f->health_http_body != NULL) && f->health_http == NULL)
			return cli_fail(-1, "--health-http-status and --health-http-body need --health-http");
		size_t words = 2;
		if (f->health_http_status != NULL) {
			snprintf(status, sizeof status, "status=%s", f->health_http_status);
			http[words++] = status;
		}
		if (f->health_http_body != NULL) {
			snprintf(body, sizeof body, "body=%s", f->health_http_body);
			http[words++] = body;
		}
		/* Without a test flag the image's test stays, with these settings (docker). */
		check.test = f->health_cmd != NULL    ? shell
		             : f->health_http != NULL ? http
		             : f->health_tcp != NULL  ? tcp
		                                      : NULL;
		if (containerv_options_set_healthcheck(options, &check) < 0)
			return cli_fail_library(-1, "--health-*");
	}
	if (f->restart != NULL) {
		enum containerv_restart_policy policy;
		int max_retries;
		if (containerv_restart_policy_parse(f->restart, &policy, &max_retries) < 0 ||
		    containerv_options_set_restart_policy(options, policy, max_retries) < 0)
			return cli_fail_library(-1, "--restart");
	}
	return 0;
}
