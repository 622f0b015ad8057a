/*
 * Compose YAML (libyaml) into jansson values with positions, and the model
 * back into YAML for `compose config`.
 *
 * Differences from common/yaml.c, which reads security profiles: merge keys
 * (`<<: *base`, `<<: [*a, *b]`) are applied, each key's line is recorded, and
 * the bounds count scalar bytes as well as values, because one 1 MiB scalar
 * aliased 100000 times is as much a bomb as nested aliases are.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/error.h"
#include "common/yaml.h"
#include "orchestration/compose-internal.h"

struct conversion {
	struct cv_compose_loader *loader;
	yaml_document_t *document;
	size_t file;
	size_t values;
	size_t bytes;
	const char *error;
	size_t error_line;
};

static json_t *fail(struct conversion *c, yaml_node_t *node, const char *error)
{
	if (c->error == NULL) {
		c->error = error;
		c->error_line = node ? node->start_mark.line + 1 : 0;
	}
	return NULL;
}

static json_t *convert(struct conversion *c, yaml_node_t *node, int depth);

static bool is_merge_key(const yaml_node_t *key)
{
	return key->type == YAML_SCALAR_NODE && key->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       strcmp((const char *)key->data.scalar.value, "<<") == 0;
}

/* Adds the keys of one merged mapping that the mapping does not have yet (explicit keys win, then earlier merges). */
static int merge_from(struct conversion *c, json_t *into, yaml_node_t *source, int depth)
{
	if (source == NULL || source->type != YAML_MAPPING_NODE) {
		fail(c, source, "a merge key (<<) takes a mapping or a list of mappings");
		return -1;
	}
	json_t *merged = convert(c, source, depth);
	if (merged == NULL)
		return -1;
	const char *key;
	json_t *value;
	json_object_foreach(merged, key, value)
	{
		if (json_object_get(into, key) != NULL)
			continue;
		json_object_set(into, key, value);
		cv_compose_copy_line(c->loader, into, key, merged, key);
	}
	json_array_append_new(c->loader->documents, merged); /* its positions stay valid */
	return 0;
}

static json_t *convert_mapping(struct conversion *c, yaml_node_t *node, int depth)
{
	json_t *value = json_object();
	yaml_node_pair_t *pair;

	if (value == NULL)
		return fail(c, node, "out of memory");
	for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(c->document, pair->key);
		if (key == NULL || key->type != YAML_SCALAR_NODE) {
			json_decref(value);
			return fail(c, key, "a mapping key is not a scalar");
		}
		if (is_merge_key(key))
			continue;
		const char *name = (const char *)key->data.scalar.value;
		if (strlen(name) != key->data.scalar.length || strpbrk(name, "\x01\x02\x03\x1f") != NULL) {
			json_decref(value);
			return fail(c, key, "a control character in a key");
		}
		if (json_object_get(value, name) != NULL) {
			json_decref(value);
			return fail(c, key, "a duplicate key");
		}
		json_t *member = convert(c, yaml_document_get_node(c->document, pair->value), depth + 1);
		if (member == NULL || json_object_set_new(value, name, member) < 0) {
			json_decref(value);
			return fail(c, node, "out of memory");
		}
		cv_compose_note_line(c->loader, value, name, c->file, key->start_mark.line + 1);
	}
	/* Then the merge keys, whose values fill in what is not set explicitly (YAML's merge key type). */
	for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(c->document, pair->key);
		if (!is_merge_key(key))
			continue;
		yaml_node_t *source = yaml_document_get_node(c->document, pair->value);
		int failed = 0;
		if (source != NULL && source->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *item = source->data.sequence.items.start;
			     !failed && item < source->data.sequence.items.top; item++)
				failed = merge_from(c, value, yaml_document_get_node(c->document, *item), depth + 1);
		} else {
			failed = merge_from(c, value, source, depth + 1);
		}
		if (failed) {
			json_decref(value);
			return NULL;
		}
	}
	return value;
}

static json_t *convert(struct conversion *c, yaml_node_t *node, int depth)
{
	if (node == NULL)
		return fail(c, node, "bad node");
	if (depth > CV_COMPOSE_DEPTH_MAX)
		return fail(c, node, "nested too deep");
	if (++c->values > CV_COMPOSE_VALUES_MAX)
		return fail(c, node, "too many values (aliases expand beyond the limit)");
	switch (node->type) {
	case YAML_SCALAR_NODE: {
		const char *text = (const char *)node->data.scalar.value;
		size_t length = node->data.scalar.length;
		if (length > CV_COMPOSE_SCALAR_MAX)
			return fail(c, node, "a scalar is too large");
		c->bytes += length;
		if (c->bytes > CV_COMPOSE_BYTES_MAX)
			return fail(c, node, "too much text (aliases expand beyond the limit)");
		if (strlen(text) != length)
			return fail(c, node, "a NUL byte in a scalar");
		json_t *value = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? cv_yaml_plain_scalar(text, length)
		                                                                   : json_stringn(text, length);
		return value ? value : fail(c, node, "invalid text (not UTF-8?)");
	}
	case YAML_SEQUENCE_NODE: {
		json_t *value = json_array();
		size_t index = 0;
		for (yaml_node_item_t *item = node->data.sequence.items.start; item < node->data.sequence.items.top;
		     item++, index++) {
			yaml_node_t *child = yaml_document_get_node(c->document, *item);
			json_t *element = convert(c, child, depth + 1);
			if (element == NULL || json_array_append_new(value, element) < 0) {
				json_decref(value);
				return fail(c, node, "out of memory");
			}
			cv_compose_note_index(c->loader, value, index, c->file, child->start_mark.line + 1);
		}
		return value;
	}
	case YAML_MAPPING_NODE:
		return convert_mapping(c, node, depth);
	case YAML_NO_NODE:
		break;
	}
	return fail(c, node, "an empty node");
}

int cv_compose_parse(struct cv_compose_loader *loader, const char *text, size_t length, size_t file, json_t **out)
{
	yaml_parser_t parser;
	yaml_document_t document;
	struct conversion c = {.loader = loader, .document = &document, .file = file};
	const char *name = loader->files[file];
	int ret = -1;

	*out = NULL;
	if (length > CV_COMPOSE_FILE_MAX)
		return cv_error_errno(EFBIG, "%s: larger than %d bytes", name, CV_COMPOSE_FILE_MAX);
	if (!yaml_parser_initialize(&parser))
		return cv_error_errno(ENOMEM, "%s: out of memory", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);
	if (!yaml_parser_load(&parser, &document)) {
		cv_error_errno(EINVAL, "%s:%zu: %s", name, parser.problem_mark.line + 1,
		               parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&document);
	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		cv_error_errno(EINVAL, "%s: %s", name,
		               root == NULL ? "empty compose file" : "the top level is not a mapping");
	} else {
		*out = convert(&c, root, 0);
		if (*out == NULL)
			cv_error_errno(EINVAL, "%s:%zu: %s", name, c.error_line, c.error ? c.error : "out of memory");
		else if (json_array_append_new(loader->documents, *out) < 0) /* *out is borrowed from the loader */
			cv_error_errno(ENOMEM, "%s: out of memory", name);
		else
			ret = 0;
	}
	yaml_document_delete(&document);
	yaml_parser_delete(&parser);
	return ret;
}

/* ---- Positions ---- */

static void line_key(char *buffer, size_t size, const json_t *container, const char *key)
{
	snprintf(buffer, size, "%p/%s", (const void *)container, key);
}

void cv_compose_note_line(struct cv_compose_loader *loader, json_t *container, const char *key, size_t file,
                          size_t line)
{
	char name[320];

	if (strlen(key) > 256)
		return;
	line_key(name, sizeof name, container, key);
	/* One integer (file in the high bits): notes are made for every value, aliases expanded. */
	json_object_set_new(loader->lines, name,
	                    json_integer((json_int_t)(((uint64_t)file << 32) | (line & 0xffffffffu))));
}

void cv_compose_note_index(struct cv_compose_loader *loader, json_t *array, size_t index, size_t file, size_t line)
{
	char key[32];

	snprintf(key, sizeof key, "%zu", index);
	cv_compose_note_line(loader, array, key, file, line);
}

void cv_compose_copy_line(struct cv_compose_loader *loader, json_t *to, const char *to_key, json_t *from,
                          const char *from_key)
{
	char name[320];
	json_t *position;

	if (strlen(from_key) > 256 || strlen(to_key) > 256)
		return;
	line_key(name, sizeof name, from, from_key);
	position = json_object_get(loader->lines, name);
	if (position == NULL)
		return;
	line_key(name, sizeof name, to, to_key);
	json_object_set(loader->lines, name, position);
}

const char *cv_compose_where(struct cv_compose_loader *loader, json_t *container, const char *key, char *buffer,
                             size_t size)
{
	char name[320];
	json_t *position = NULL;

	buffer[0] = '\0';
	if (container != NULL && key != NULL && strlen(key) <= 256) {
		line_key(name, sizeof name, container, key);
		position = json_object_get(loader->lines, name);
	}
	if (position != NULL) {
		uint64_t packed = (uint64_t)json_integer_value(position);
		size_t file = (size_t)(packed >> 32);
		if (file < loader->file_count)
			snprintf(buffer, size, "%s:%llu: ", loader->files[file],
			         (unsigned long long)(packed & 0xffffffffu));
	} else if (loader->file_count > 0) {
		snprintf(buffer, size, "%s: ", loader->files[0]);
	}
	return buffer;
}

int cv_compose_fail(struct cv_compose_loader *loader, json_t *container, const char *key, const char *path,
                    const char *format, ...)
{
	char where[4200], message[1024];
	va_list arguments;

	va_start(arguments, format);
	vsnprintf(message, sizeof message, format, arguments);
	va_end(arguments);
	return cv_error_errno(EINVAL, "%s%s: %s", cv_compose_where(loader, container, key, where, sizeof where), path,
	                      message);
}

void cv_compose_warn(struct cv_compose_loader *loader, const char *format, ...)
{
	char message[1024];
	va_list arguments;

	if (loader->warn == NULL)
		return;
	va_start(arguments, format);
	vsnprintf(message, sizeof message, format, arguments);
	va_end(arguments);
	loader->warn(message, loader->user);
}

/* ---- The model as YAML (libyaml's emitter quotes what needs quoting) ---- */

static int emit_scalar(yaml_emitter_t *emitter, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t event;

	yaml_scalar_event_initialize(&event, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1, style);
	return yaml_emitter_emit(emitter, &event) ? 0 : -1;
}

static int emit_value(yaml_emitter_t *emitter, json_t *value)
{
	yaml_event_t event;
	char number[64];

	switch (json_typeof(value)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *member;
		yaml_mapping_start_event_initialize(&event, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(emitter, &event))
			return -1;
		json_object_foreach(value, key, member)
		{
			if (emit_scalar(emitter, key, YAML_ANY_SCALAR_STYLE) < 0 || emit_value(emitter, member) < 0)
				return -1;
		}
		yaml_mapping_end_event_initialize(&event);
		return yaml_emitter_emit(emitter, &event) ? 0 : -1;
	}
	case JSON_ARRAY: {
		size_t index;
		json_t *element;
		yaml_sequence_start_event_initialize(&event, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(emitter, &event))
			return -1;
		json_array_foreach(value, index, element)
		{
			if (emit_value(emitter, element) < 0)
				return -1;
		}
		yaml_sequence_end_event_initialize(&event);
		return yaml_emitter_emit(emitter, &event) ? 0 : -1;
	}
	case JSON_STRING: {
		/* A string that would read back as another type ("8080", "true", "") is quoted. */
		const char *text = json_string_value(value);
		json_t *back = cv_yaml_plain_scalar(text, strlen(text));
		/* "8080:80" too: YAML 1.1 readers take digits and colons for a base-60 number. */
		int is_string = back != NULL && json_is_string(back) && strspn(text, "0123456789:") != strlen(text);
		json_decref(back);
		return emit_scalar(emitter, text, is_string ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	}
	case JSON_INTEGER:
		snprintf(number, sizeof number, "%lld", (long long)json_integer_value(value));
		return emit_scalar(emitter, number, YAML_PLAIN_SCALAR_STYLE);
	case JSON_REAL:
		snprintf(number, sizeof number, "%.17g", json_real_value(value));
		return emit_scalar(emitter, number, YAML_PLAIN_SCALAR_STYLE);
	case JSON_TRUE:
		return emit_scalar(emitter, "true", YAML_PLAIN_SCALAR_STYLE);
	case JSON_FALSE:
		return emit_scalar(emitter, "false", YAML_PLAIN_SCALAR_STYLE);
	case JSON_NULL:
		return emit_scalar(emitter, "null", YAML_PLAIN_SCALAR_STYLE);
	}
	return -1;
}

static int write_to_stream(void *data, unsigned char *buffer, size_t size)
{
	return fwrite(buffer, 1, size, data) == size;
}

int cv_compose_emit_yaml(json_t *value, char **text)
{
	yaml_emitter_t emitter;
	yaml_event_t event;
	char *buffer = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&buffer, &size);
	int ret = -1;

	*text = NULL;
	if (stream == NULL)
		return cv_error_sys("compose config");
	if (!yaml_emitter_initialize(&emitter)) {
		fclose(stream);
		free(buffer);
		return cv_error_errno(ENOMEM, "compose config: out of memory");
	}
	yaml_emitter_set_output(&emitter, write_to_stream, stream);
	yaml_emitter_set_unicode(&emitter, 1);
	yaml_emitter_set_width(&emitter, -1);
	yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING);
	if (yaml_emitter_emit(&emitter, &event)) {
		yaml_document_start_event_initialize(&event, NULL, NULL, NULL, 1);
		if (yaml_emitter_emit(&emitter, &event) && emit_value(&emitter, value) == 0) {
			yaml_document_end_event_initialize(&event, 1);
			if (yaml_emitter_emit(&emitter, &event)) {
				yaml_stream_end_event_initialize(&event);
				if (yaml_emitter_emit(&emitter, &event))
					ret = 0;
			}
		}
	}
	if (ret < 0)
		cv_error_errno(EINVAL, "compose config: %s", emitter.problem ? emitter.problem : "cannot write YAML");
	yaml_emitter_delete(&emitter);
	fclose(stream);
	if (ret == 0)
		*text = buffer;
	else
		free(buffer);
	return ret;
}

/* A deep copy that keeps the positions of every key and element. */
json_t *cv_compose_copy(struct cv_compose_loader *loader, json_t *value)
{
	json_t *copy;

	if (json_is_object(value)) {
		const char *key;
		json_t *member;
		copy = json_object();
		json_object_foreach(value, key, member)
		{
			json_t *child = cv_compose_copy(loader, member);
			if (copy == NULL || child == NULL || json_object_set_new(copy, key, child) < 0) {
				json_decref(copy);
				return NULL;
			}
			cv_compose_copy_line(loader, copy, key, value, key);
		}
	} else if (json_is_array(value)) {
		size_t index;
		json_t *element;
		copy = json_array();
		json_array_foreach(value, index, element)
		{
			char key[32];
			json_t *child = cv_compose_copy(loader, element);
			if (copy == NULL || child == NULL || json_array_append_new(copy, child) < 0) {
				json_decref(copy);
				return NULL;
			}
			snprintf(key, sizeof key, "%zu", index);
			cv_compose_copy_line(loader, copy, key, value, key);
		}
	} else {
		return json_incref(value); /* scalars are immutable here: shared */
	}
	if (copy != NULL)
		json_array_append(loader->documents, copy); /* keeps its address (a position key) from being reused */
	return copy;
}
