/*
 * Compose's variables: the .env file and ${...} interpolation, as the compose
 * specification defines them (spec.md, "Interpolation"):
 *   $VAR, ${VAR}          the value, "" when unset (with a warning)
 *   ${VAR:-default}       default when VAR is unset or empty; ${VAR-default}: when unset
 *   ${VAR:?error}         an error when unset or empty;        ${VAR?error}: when unset
 *   ${VAR:+replacement}   replacement when set and non-empty;  ${VAR+replacement}: when set
 *   $$                    a literal $
 * Defaults and replacements are interpolated themselves (nested), to a
 * bounded depth. Only string values are interpolated, never keys.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-internal.h"

#define NESTING_MAX 16

struct output {
	char *text;
	size_t length;
	size_t capacity;
};

static int append(struct output *out, const char *text, size_t length)
{
	if (out->length + length > CV_COMPOSE_SCALAR_MAX)
		return -1;
	if (out->length + length + 1 > out->capacity) {
		size_t capacity = (out->length + length + 1) * 2;
		char *grown = realloc(out->text, capacity);
		if (grown == NULL)
			return -1;
		out->text = grown;
		out->capacity = capacity;
	}
	memcpy(out->text + out->length, text, length);
	out->length += length;
	out->text[out->length] = '\0';
	return 0;
}

static size_t name_length(const char *text)
{
	size_t n = 0;

	if (!(isalpha((unsigned char)text[0]) || text[0] == '_'))
		return 0;
	while (isalnum((unsigned char)text[n]) || text[n] == '_')
		n++;
	return n;
}

/* The end of a ${...} starting after "${": the matching brace, nested ones counted; NULL when there is none. */
static const char *closing_brace(const char *text)
{
	int depth = 1;

	for (const char *p = text; *p; p++) {
		if (p[0] == '$' && p[1] == '$') {
			p++;
			continue;
		}
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p;
	}
	return NULL;
}

static int substitute(struct cv_compose_loader *loader, const char *text, size_t length, struct output *out,
                      int nesting, const char **problem);

static int expand_braced(struct cv_compose_loader *loader, const char *inner, size_t inner_length, struct output *out,
                         int nesting, const char **problem)
{
	static char message[512];
	size_t n = name_length(inner);
	char name[256];

	if (n == 0 || n >= sizeof name) {
		*problem = "invalid interpolation format: a variable name is expected after \"${\"";
		return -1;
	}
	memcpy(name, inner, n);
	name[n] = '\0';
	const char *rest = inner + n;
	size_t rest_length = inner_length - n;
	json_t *found = json_object_get(loader->variables, name);
	const char *value = json_string_value(found);
	bool set = value != NULL, non_empty = set && value[0] != '\0';

	if (rest_length == 0) {
		if (!set)
			cv_compose_warn(loader, "the \"%s\" variable is not set: defaulting to a blank string", name);
		return set ? append(out, value, strlen(value)) : 0;
	}
	bool colon = rest[0] == ':';
	const char *operator= rest +(colon ? 1 : 0);
	size_t word_length = rest_length - (colon ? 2 : 1);
	const char *word = operator+ 1;
	if ((size_t)(operator- rest) >= rest_length) {
		*problem = "invalid interpolation format: an operator is expected after \":\"";
		return -1;
	}
	bool condition = colon ? non_empty : set;
	switch (*operator) {
	case '-':
		return condition ? append(out, value, strlen(value))
		                 : substitute(loader, word, word_length, out, nesting + 1, problem);
	case '+':
		return condition ? substitute(loader, word, word_length, out, nesting + 1, problem) : 0;
	case '?':
		if (condition)
			return append(out, value, strlen(value));
		snprintf(message, sizeof message, "required variable %s is missing a value: %.*s", name,
		         (int)(word_length > 200 ? 200 : word_length), word);
		*problem = message;
		return -1;
	default:
		*problem = "invalid interpolation format: expected ${VAR}, ${VAR:-default}, ${VAR-default}, "
		           "${VAR:?error}, ${VAR?error}, ${VAR:+value} or ${VAR+value}";
		return -1;
	}
}

static int substitute(struct cv_compose_loader *loader, const char *text, size_t length, struct output *out,
                      int nesting, const char **problem)
{
	const char *end = text + length;

	if (nesting > NESTING_MAX) {
		*problem = "interpolation nested too deep";
		return -1;
	}
	for (const char *p = text; p < end;) {
		const char *dollar = memchr(p, '$', (size_t)(end - p));
		if (dollar == NULL)
			return append(out, p, (size_t)(end - p));
		if (append(out, p, (size_t)(dollar - p)) < 0)
			return -1;
		if (dollar + 1 < end && dollar[1] == '$') {
			if (append(out, "$", 1) < 0)
				return -1;
			p = dollar + 2;
		} else if (dollar + 1 < end && dollar[1] == '{') {
			const char *close = closing_brace(dollar + 2);
			if (close == NULL || close >= end) {
				*problem = "invalid interpolation format: \"${\" without \"}\"";
				return -1;
			}
			if (expand_braced(loader, dollar + 2, (size_t)(close - dollar - 2), out, nesting, problem) < 0)
				return -1;
			p = close + 1;
		} else {
			size_t n = dollar + 1 < end ? name_length(dollar + 1) : 0;
			if (n > (size_t)(end - dollar - 1))
				n = (size_t)(end - dollar - 1);
			if (n == 0) {
				/* A lone "$" is kept, as compose does ("$ 5", "cost: $"). */
				if (append(out, "$", 1) < 0)
					return -1;
				p = dollar + 1;
				continue;
			}
			char name[256];
			if (n >= sizeof name) {
				*problem = "a variable name is too long";
				return -1;
			}
			memcpy(name, dollar + 1, n);
			name[n] = '\0';
			const char *value = json_string_value(json_object_get(loader->variables, name));
			if (value == NULL)
				cv_compose_warn(loader, "the \"%s\" variable is not set: defaulting to a blank string",
				                name);
			else if (append(out, value, strlen(value)) < 0)
				return -1;
			p = dollar + 1 + n;
		}
	}
	return 0;
}

int cv_compose_substitute(struct cv_compose_loader *loader, const char *text, char **result, const char **problem)
{
	struct output out = {0};

	*problem = NULL;
	*result = NULL;
	if (append(&out, "", 0) < 0 || substitute(loader, text, strlen(text), &out, 0, problem) < 0) {
		free(out.text);
		if (*problem == NULL)
			*problem = "the interpolated value is too large";
		return -1;
	}
	*result = out.text;
	return 0;
}

static int interpolate_member(struct cv_compose_loader *loader, json_t *container, const char *key, json_t *value,
                              size_t file, int *replace, char **replacement)
{
	const char *problem;

	(void)file;
	*replace = 0;
	if (json_is_object(value) || json_is_array(value))
		return cv_compose_interpolate(loader, value, file);
	if (!json_is_string(value) || strchr(json_string_value(value), '$') == NULL)
		return 0;
	if (cv_compose_substitute(loader, json_string_value(value), replacement, &problem) < 0) {
		char where[4200];
		return cv_error_errno(EINVAL, "%s%s: %s", cv_compose_where(loader, container, key, where, sizeof where),
		                      key, problem);
	}
	*replace = 1;
	return 0;
}

int cv_compose_interpolate(struct cv_compose_loader *loader, json_t *value, size_t file)
{
	int replace;
	char *replacement;

	if (json_is_object(value)) {
		const char *key;
		json_t *member;
		json_object_foreach(value, key, member)
		{
			if (interpolate_member(loader, value, key, member, file, &replace, &replacement) < 0)
				return -1;
			if (replace) {
				json_object_set_new(value, key, json_string(replacement));
				free(replacement);
			}
		}
	} else if (json_is_array(value)) {
		size_t index;
		json_t *element;
		json_array_foreach(value, index, element)
		{
			char key[32];
			snprintf(key, sizeof key, "%zu", index);
			if (interpolate_member(loader, value, key, element, file, &replace, &replacement) < 0)
				return -1;
			if (replace) {
				json_array_set_new(value, index, json_string(replacement));
				free(replacement);
			}
		}
	}
	return 0;
}

/* One value of a .env line: 'single' kept as is, "double" with \n \t \" \\ escapes, bare text up to " #". */
static char *env_value(const char *text)
{
	size_t length = strlen(text);

	if (text[0] == '\'' && length >= 2 && text[length - 1] == '\'')
		return strndup(text + 1, length - 2);
	if (text[0] == '"' && length >= 2 && text[length - 1] == '"') {
		char *value = malloc(length), *q = value;
		if (value == NULL)
			return NULL;
		for (size_t i = 1; i < length - 1; i++) {
			if (text[i] == '\\' && i + 1 < length - 1) {
				char next = text[++i];
				*q++ = next == 'n' ? '\n' : next == 't' ? '\t' : next;
			} else {
				*q++ = text[i];
			}
		}
		*q = '\0';
		return value;
	}
	const char *comment = strstr(text, " #");
	size_t keep = comment ? (size_t)(comment - text) : length;
	while (keep > 0 && isspace((unsigned char)text[keep - 1]))
		keep--;
	return strndup(text, keep);
}

int cv_compose_read_env_file(struct cv_compose_loader *loader, const char *path, json_t *into, int required)
{
	char *content = NULL, *save = NULL;
	size_t length;
	size_t number = 0;

	if (cv_read_file(path, &content, &length, CV_COMPOSE_FILE_MAX) < 0) {
		if (errno == ENOENT && !required) {
			cv_error_clear();
			return 0;
		}
		return cv_error_prefix("env file %s", path);
	}
	if (strlen(content) != length) {
		free(content);
		return cv_error_errno(EINVAL, "env file %s: a NUL byte", path);
	}
	for (char *line = strtok_r(content, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		number++;
		line[strcspn(line, "\r")] = '\0';
		while (isspace((unsigned char)*line))
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		if (strncmp(line, "export ", 7) == 0)
			line += 7;
		char *equals = strchr(line, '=');
		size_t n = name_length(line);
		if (n == 0 || (equals != NULL && line + n != equals) || (equals == NULL && line[n] != '\0')) {
			free(content);
			return cv_error_errno(EINVAL, "env file %s:%zu: expected KEY=VALUE", path, number);
		}
		if (equals == NULL)
			continue; /* "KEY" alone: only meaningful for env_file, where the caller's value is taken */
		*equals = '\0';
		char *value = env_value(equals + 1);
		char *expanded = NULL;
		const char *problem = NULL;
		/* Values of .env may use the variables set above them (and the environment), as compose's do. */
		if (value == NULL || (equals[1] != '\'' && strchr(value, '$') != NULL &&
		                      cv_compose_substitute(loader, value, &expanded, &problem) < 0)) {
			free(value);
			free(content);
			return cv_error_errno(EINVAL, "env file %s:%zu: %s", path, number,
			                      problem ? problem : "out of memory");
		}
		json_object_set_new(into, line, json_string(expanded ? expanded : value));
		free(expanded);
		free(value);
	}
	free(content);
	return 0;
}
