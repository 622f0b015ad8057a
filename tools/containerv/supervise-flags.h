/*
 * run and create's health check and restart flags (--health-*, --no-healthcheck, --restart), parsed by
 * run.c's flag table and applied by supervise-flags.c.
 */
#ifndef CV_CLI_SUPERVISE_FLAGS_H
#define CV_CLI_SUPERVISE_FLAGS_H

struct containerv_options;

struct supervise_flags {
	const char *health_cmd, *health_interval, *health_timeout, *health_start_period, *health_start_interval;
	const char *health_retries, *restart;
	const char *health_http, *health_http_status, *health_http_body, *health_tcp; /* containerv's own */
	int no_healthcheck;
};

#define SUPERVISE_RUN_FLAGS(f)                                                                                         \
	{"health-cmd", 0, FLAG_STRING, &(f).health_cmd, "string", "Command to run to check health"},                   \
	        {"health-interval",    0,          FLAG_STRING,                                                        \
	         &(f).health_interval, "duration", "Time between running the check (ms|s|m|h) (default 30s)"},         \
	        {"health-timeout",    0,          FLAG_STRING,                                                         \
	         &(f).health_timeout, "duration", "Maximum time to allow one check to run (ms|s|m|h) (default 30s)"},  \
	        {"health-retries",    0,     FLAG_STRING,                                                              \
	         &(f).health_retries, "int", "Consecutive failures needed to report unhealthy (default 3)"},           \
	        {"health-start-period",                                                                                \
	         0,                                                                                                    \
	         FLAG_STRING,                                                                                          \
	         &(f).health_start_period,                                                                             \
	         "duration",                                                                                           \
	         "Start period for the container to initialize before failures count (ms|s|m|h) (default 0s)"},        \
	        {"health-start-interval",                                                                              \
	         0,                                                                                                    \
	         FLAG_STRING,                                                                                          \
	         &(f).health_start_interval,                                                                           \
	         "duration",                                                                                           \
	         "Time between running the check during the start period (ms|s|m|h) (default 5s)"},                    \
	        {"health-http",                                                                                        \
	         0,                                                                                                    \
	         FLAG_STRING,                                                                                          \
	         &(f).health_http,                                                                                     \
	         "url",                                                                                                \
	         "containerv: check with an HTTP GET from the container's network (http://[ADDRESS][:PORT][/PATH])"},  \
	        {"health-http-status",                                                                                 \
	         0,                                                                                                    \
	         FLAG_STRING,                                                                                          \
	         &(f).health_http_status,                                                                              \
	         "int",                                                                                                \
	         "containerv: the status --health-http expects (default any 2xx or 3xx)"},                             \
	        {"health-http-body",    0,        FLAG_STRING,                                                         \
	         &(f).health_http_body, "string", "containerv: a text the answer to --health-http must contain"},      \
	        {"health-tcp", 0,                                                                                      \
	         FLAG_STRING,  &(f).health_tcp,                                                                        \
	         "port",       "containerv: check with a TCP connect to this port from the container's network"},      \
	        {"no-healthcheck",    0,    FLAG_BOOL,                                                                 \
	         &(f).no_healthcheck, NULL, "Disable any container-specified HEALTHCHECK"},                            \
	{                                                                                                              \
		"restart", 0, FLAG_STRING, &(f).restart, "string",                                                     \
		        "Restart policy to apply when a container exits (no, always, on-failure[:N], unless-stopped)"  \
	}

/* The flags on the options (after the image, whose Healthcheck they override); 0, or -1 after printing. */
int cli_apply_supervision(const struct supervise_flags *flags, struct containerv_options *options);

/* supervise-show.c: State.Health, RestartCount, RestartPolicy and Config.Healthcheck into inspect's object. */
struct containerv_container;
struct json_t;
void cli_add_supervision(struct containerv_container *container, struct json_t *object);
/* ps: " (healthy)", " (unhealthy)", " (health: starting)", or "" without a check. */
void cli_health_suffix(const char *id, char *buffer, size_t size);

/* events.c: the journal shown, filtered to a compose project when project is given. */
struct string_list;
int cli_events_run(const char *since, const char *until, const struct string_list *filters, const char *format,
                   const char *project, int compose_json);

#endif
