/*
 * Output helpers shared by the commands. Formats follow docker's so that
 * scripts written for docker read our output unchanged.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

int cli_fail(int code, const char *format, ...)
{
	va_list args;

	fputs("containerv: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	return code;
}

/*
 * "containerv: <context>: <reason>", where the context is left out when the reason already starts
 * with it: the library names what it was doing ("start web: ..."), and saying it twice reads badly.
 */
static int print_failure(int code, const char *reason, const char *context_format, va_list args)
{
	char context[256] = "";
	size_t length;

	if (context_format != NULL)
		vsnprintf(context, sizeof context, context_format, args);
	length = strlen(context);
	fputs("containerv: ", stderr);
	if (length > 0 && !(strncmp(reason, context, length) == 0 && reason[length] == ':'))
		fprintf(stderr, "%s: ", context);
	fprintf(stderr, "%s\n", reason);
	return code;
}

int cli_fail_library(int code, const char *context_format, ...)
{
	/* Copy the reason first: stdio or vfprintf must not get a chance to change it. */
	char reason[1024];
	va_list args;

	snprintf(reason, sizeof reason, "%s", containerv_last_error());
	if (reason[0] == '\0')
		snprintf(reason, sizeof reason, "%s", strerror(errno));
	va_start(args, context_format);
	code = print_failure(code, reason, context_format, args);
	va_end(args);
	return code;
}

int cli_fail_reason(int code, const char *reason, const char *context_format, ...)
{
	va_list args;

	va_start(args, context_format);
	code = print_failure(code, reason, context_format, args);
	va_end(args);
	return code;
}

void table_init(struct table *table, size_t columns, const char *const *header)
{
	table->columns = columns;
	table->rows = 0;
	table->cells = NULL;
	table_add(table, header);
}

void table_add(struct table *table, const char *const *cells)
{
	size_t base = table->rows * table->columns;

	table->cells = xrealloc(table->cells, (base + table->columns) * sizeof *table->cells);
	for (size_t i = 0; i < table->columns; i++)
		table->cells[base + i] = xstrdup(cells[i] != NULL ? cells[i] : "");
	table->rows++;
}

/* Display width: count UTF-8 code points, not bytes, so "…" takes one column. */
static size_t display_width(const char *text)
{
	size_t width = 0;

	for (; *text != '\0'; text++)
		if (((unsigned char)*text & 0xc0) != 0x80)
			width++;
	return width;
}

void table_print(const struct table *table, FILE *out)
{
	size_t widths[table->columns];

	memset(widths, 0, sizeof widths);
	for (size_t row = 0; row < table->rows; row++)
		for (size_t column = 0; column < table->columns; column++) {
			size_t width = display_width(table->cells[row * table->columns + column]);
			if (width > widths[column])
				widths[column] = width;
		}
	for (size_t row = 0; row < table->rows; row++) {
		for (size_t column = 0; column < table->columns; column++) {
			const char *cell = table->cells[row * table->columns + column];
			bool last = column + 1 == table->columns;

			fputs(cell, out);
			if (!last)
				fprintf(out, "%*s", (int)(widths[column] - display_width(cell) + 3), "");
		}
		fputc('\n', out);
	}
}

void table_free(struct table *table)
{
	for (size_t i = 0; i < table->rows * table->columns; i++)
		free(table->cells[i]);
	free(table->cells);
	table->cells = NULL;
	table->rows = 0;
}

void format_duration(int64_t nanoseconds, char *buffer, size_t size)
{
	int64_t seconds = nanoseconds / 1000000000;
	int64_t minutes = seconds / 60;
	/* docker rounds hours to the nearest one before choosing the unit. */
	int64_t hours = (seconds + 1800) / 3600;

	if (seconds < 1)
		snprintf(buffer, size, "Less than a second");
	else if (seconds == 1)
		snprintf(buffer, size, "1 second");
	else if (seconds < 60)
		snprintf(buffer, size, "%lld seconds", (long long)seconds);
	else if (minutes == 1)
		snprintf(buffer, size, "About a minute");
	else if (minutes < 60)
		snprintf(buffer, size, "%lld minutes", (long long)minutes);
	else if (hours == 1)
		snprintf(buffer, size, "About an hour");
	else if (hours < 48)
		snprintf(buffer, size, "%lld hours", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buffer, size, "%lld days", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(buffer, size, "%lld weeks", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(buffer, size, "%lld months", (long long)(hours / 24 / 30));
	else
		snprintf(buffer, size, "%lld years", (long long)(seconds / 3600 / 24 / 365));
}

static void format_size(double bytes, double base, const char *const *units, size_t unit_count, int precision,
                        char *buffer, size_t size)
{
	size_t unit = 0;

	while (bytes >= base && unit + 1 < unit_count) {
		bytes /= base;
		unit++;
	}
	snprintf(buffer, size, "%.*g%s", precision, bytes, units[unit]);
}

void format_size_binary(double bytes, char *buffer, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

	format_size(bytes, 1024.0, units, sizeof units / sizeof *units, 4, buffer, size);
}

void format_size_decimal(double bytes, char *buffer, size_t size)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};

	format_size(bytes, 1000.0, units, sizeof units / sizeof *units, 3, buffer, size);
}

void format_rfc3339nano(int64_t nanoseconds, char *buffer, size_t size)
{
	time_t seconds = (time_t)(nanoseconds / 1000000000);
	long fraction = (long)(nanoseconds % 1000000000);
	struct tm tm;
	char date[64];
	char digits[16];
	size_t length;

	if (nanoseconds <= 0) {
		snprintf(buffer, size, "0001-01-01T00:00:00Z");
		return;
	}
	gmtime_r(&seconds, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	if (fraction == 0) {
		snprintf(buffer, size, "%sZ", date);
		return;
	}
	/* Go's RFC3339Nano drops trailing zeros of the fraction. */
	snprintf(digits, sizeof digits, "%09ld", fraction);
	length = strlen(digits);
	while (length > 0 && digits[length - 1] == '0')
		digits[--length] = '\0';
	snprintf(buffer, size, "%s.%sZ", date, digits);
}

int64_t now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

void json_print_line(json_t *value, FILE *out)
{
	json_dumpf(value, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	fputc('\n', out);
}

/* Looks up ".A.B.C" (or "." for the value itself) in value; NULL when a step is missing. */
static json_t *template_lookup(json_t *value, const char *path, size_t length)
{
	size_t position = 1;

	if (length == 1)
		return value;
	while (position < length && value != NULL) {
		size_t end = position;
		char key[256];

		while (end < length && path[end] != '.')
			end++;
		if (end - position >= sizeof key)
			return NULL;
		memcpy(key, path + position, end - position);
		key[end - position] = '\0';
		value = json_is_object(value) ? json_object_get(value, key) : NULL;
		position = end + 1;
	}
	return value;
}

static void template_print_value(json_t *value, bool as_json, FILE *out)
{
	if (value == NULL) {
		fputs(as_json ? "null" : "<no value>", out);
		return;
	}
	if (!as_json && json_is_string(value)) {
		fputs(json_string_value(value), out);
		return;
	}
	json_dumpf(value, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

/* Parses one action between "{{" and "}}": "[json ].Path". Returns 0 and the path, or -1. */
static int template_parse_action(const char *start, size_t length, bool *as_json, const char **path,
                                 size_t *path_length)
{
	while (length > 0 && (*start == ' ' || *start == '-')) {
		start++;
		length--;
	}
	while (length > 0 && (start[length - 1] == ' ' || start[length - 1] == '-'))
		length--;
	*as_json = length > 5 && strncmp(start, "json ", 5) == 0;
	if (*as_json) {
		start += 5;
		length -= 5;
		while (length > 0 && *start == ' ') {
			start++;
			length--;
		}
	}
	if (length == 0 || start[0] != '.')
		return -1;
	for (size_t i = 0; i < length; i++)
		if (start[i] == ' ' || start[i] == '(' || start[i] == '|')
			return -1;
	*path = start;
	*path_length = length;
	return 0;
}

static int template_walk(const char *text, json_t *value, FILE *out)
{
	while (*text != '\0') {
		const char *open = strstr(text, "{{");
		const char *close;
		const char *path;
		size_t path_length;
		bool as_json;

		if (open == NULL)
			open = text + strlen(text);
		for (const char *c = text; c < open; c++) {
			/* docker's CLI turns the two-character escapes \t and \n into real ones. */
			if (c[0] == '\\' && c + 1 < open && (c[1] == 't' || c[1] == 'n')) {
				if (out != NULL)
					fputc(c[1] == 't' ? '\t' : '\n', out);
				c++;
			} else if (out != NULL) {
				fputc(*c, out);
			}
		}
		if (*open == '\0')
			return 0;
		close = strstr(open + 2, "}}");
		if (close == NULL) {
			fprintf(stderr, "containerv: template: unclosed action\n");
			return -1;
		}
		if (template_parse_action(open + 2, (size_t)(close - open - 2), &as_json, &path, &path_length) < 0) {
			fprintf(stderr,
			        "containerv: template: unsupported action \"%.*s\" (only {{.Path}} and {{json "
			        ".Path}})\n",
			        (int)(close - open - 2), open + 2);
			return -1;
		}
		if (out != NULL)
			template_print_value(template_lookup(value, path, path_length), as_json, out);
		text = close + 2;
	}
	return 0;
}

int template_print(const char *template_text, json_t *value, FILE *out)
{
	return template_walk(template_text, value, out);
}

int template_check(const char *template_text)
{
	return template_walk(template_text, NULL, NULL);
}

void format_emit(const char *format, json_t *object)
{
	if (strcmp(format, "json") == 0)
		json_print_line(object, stdout);
	else if (template_print(format, object, stdout) == 0)
		fputc('\n', stdout);
	json_decref(object);
}

void inspect_emit(json_t *all, const char *format, json_t *object)
{
	if (format == NULL)
		json_array_append_new(all, object);
	else
		format_emit(format, object);
}

void inspect_finish(json_t *all, const char *format)
{
	if (format == NULL) {
		json_dumpf(all, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	}
	json_decref(all);
}

struct emit_each {
	const struct inspect_kind *kind;
	const char *format;
	json_t *all;
};

static int emit_each_one(const char *name, void *user)
{
	const struct emit_each *each = user;

	return each->kind->emit_one(name, each->format, each->all);
}

int inspect_command(int argc, char **argv, const struct inspect_kind *kind)
{
	static const char *format;
	const struct flag table[] = {
	        {"format", 'f', FLAG_STRING, &format, "string", kind->format_help},
	        FLAG_END,
	};
	const struct command_spec spec = {kind->command, kind->usage, kind->summary, table, false, 1, 0, NULL};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	json_t *all;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (format != NULL && strcmp(format, "json") != 0 && template_check(format) < 0)
		return EXIT_CLI_ERROR;
	all = json_array();
	struct emit_each each = {kind, format, all};
	code = arguments_for_each(&positional, emit_each_one, &each);
	inspect_finish(all, format);
	return code;
}
