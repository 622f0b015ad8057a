/*
 * Output helpers: error lines, docker-like tables, human durations and
 * sizes, JSON and simple Go-template formatting.
 */
#ifndef CV_CLI_OUTPUT_H
#define CV_CLI_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* Prints "containerv: <formatted>" on stderr and returns code, so callers can `return cli_fail(125, ...)`. */
int cli_fail(int code, const char *format, ...) __attribute__((format(printf, 2, 3)));

/*
 * Prints "containerv: <context>: <containerv_last_error()>" and returns code. The context is left
 * out when NULL or when the reason already starts with it.
 */
int cli_fail_library(int code, const char *context_format, ...) __attribute__((format(printf, 2, 3)));
/* Like cli_fail_library, with the reason given (a library message kept from an earlier call). */
int cli_fail_reason(int code, const char *reason, const char *context_format, ...)
        __attribute__((format(printf, 3, 4)));

/* A table printed with columns aligned on the widest cell, three spaces apart, as docker's tabwriter does. */
struct table {
	size_t columns;
	size_t rows;  /* the header included */
	char **cells; /* rows * columns, row-major */
};

void table_init(struct table *table, size_t columns, const char *const *header);
/* Adds one row of exactly table->columns cells (copied). */
void table_add(struct table *table, const char *const *cells);
void table_print(const struct table *table, FILE *out);
void table_free(struct table *table);

/* docker's HumanDuration: "Less than a second", "3 seconds", "About a minute", "2 hours", "5 days"... */
void format_duration(int64_t nanoseconds, char *buffer, size_t size);

/* Binary sizes as docker's BytesSize ("1.5MiB", "512KiB", "0B"). */
void format_size_binary(double bytes, char *buffer, size_t size);

/* Decimal sizes with 3 significant digits as docker's NET I/O and BLOCK I/O columns ("1.23kB", "0B"). */
void format_size_decimal(double bytes, char *buffer, size_t size);

/* A wall-clock time in Go's RFC3339Nano ("2026-01-02T15:04:05.123456789Z"); 0 gives Go's zero time. */
void format_rfc3339nano(int64_t nanoseconds, char *buffer, size_t size);

/* Nanoseconds since the epoch, now. */
int64_t now_ns(void);

/*
 * Expands a Go-style template against a JSON value: literal text is copied,
 * "{{.A.B}}" prints the value at that path (strings without quotes),
 * "{{json .A}}" prints it as JSON, "{{.}}" the whole value, and "\t", "\n"
 * escapes in the template are honoured as docker does. Returns 0, or -1 with
 * a message on stderr for an unsupported action.
 */
int template_print(const char *template_text, json_t *value, FILE *out);

/* Checks a template's syntax without printing (to fail before acting). */
int template_check(const char *template_text);

/* Prints a JSON value on one line followed by a newline. */
void json_print_line(json_t *value, FILE *out);

/* One object (ownership taken) with --format F: "json" prints it on one line, else F is a template. */
void format_emit(const char *format, json_t *object);

/*
 * docker inspect's output of one object (ownership taken): without a format it joins all (printed
 * by inspect_finish as one array), with "json" it is one line, else the format is a template.
 */
void inspect_emit(json_t *all, const char *format, json_t *object);
void inspect_finish(json_t *all, const char *format);

/* `X inspect [--format F] NAME...` of one kind of object (network, volume, image). */
struct inspect_kind {
	const char *command;     /* "network inspect" */
	const char *usage;       /* "[OPTIONS] NETWORK [NETWORK...]" */
	const char *summary;     /* one line */
	const char *format_help; /* the --format flag's help */
	/* Emits the object named into all (inspect_emit); -1 once it has printed why it could not. */
	int (*emit_one)(const char *name, const char *format, json_t *all);
};

/* The emit_one of `volume inspect` and `network inspect` (volume.c, network.c), for inspect --type. */
int volume_inspect_one(const char *name, const char *format, json_t *all);
int network_inspect_one(const char *name, const char *format, json_t *all);

/* Parses, checks the format and emits every name: the exit code (1 when one was missing, as docker's). */
int inspect_command(int argc, char **argv, const struct inspect_kind *kind);

#endif
