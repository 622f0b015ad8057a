/*
 * YAML documents (libyaml) as jansson values, so that every configuration
 * file (security profiles now, compose files later) is read by one JSON
 * code path. Plain scalars take YAML's core schema types (true/false, null,
 * integers, floats); quoted ones stay strings. The input is hostile: aliases
 * could expand exponentially ("billion laughs"), so the values made are
 * counted and bounded, and so is the nesting depth.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/error.h"
#include "common/yaml.h"

#define MAX_VALUES 1000000
#define MAX_DEPTH 64

struct conversion {
	yaml_document_t *document;
	size_t values;
	const char *error;
};

json_t *cv_yaml_plain_scalar(const char *text, size_t length)
{
	static const char *const trues[] = {"true", "True", "TRUE", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", NULL};
	static const char *const nulls[] = {"null", "Null", "NULL", "~", "", NULL};
	char *end;

	for (size_t i = 0; trues[i]; i++)
		if (strcmp(text, trues[i]) == 0)
			return json_true();
	for (size_t i = 0; falses[i]; i++)
		if (strcmp(text, falses[i]) == 0)
			return json_false();
	for (size_t i = 0; nulls[i]; i++)
		if (strcmp(text, nulls[i]) == 0)
			return json_null();
	if (length > 0 && strspn(text, "+-0123456789") == length && strpbrk(text, "0123456789") != NULL) {
		errno = 0;
		long long number = strtoll(text, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_integer(number);
	}
	if (length > 0 && strspn(text, "+-0123456789.eE") == length && strchr(text, '.') != NULL) {
		double number = strtod(text, &end);
		if (*end == '\0' && isfinite(number))
			return json_real(number);
	}
	return json_stringn(text, length);
}

static json_t *convert(struct conversion *c, yaml_node_t *node, int depth)
{
	json_t *value = NULL;

	if (node == NULL || depth > MAX_DEPTH || ++c->values > MAX_VALUES) {
		c->error = node == NULL        ? "bad node"
		           : depth > MAX_DEPTH ? "nested too deep"
		                               : "too many values (aliases?)";
		return NULL;
	}
	switch (node->type) {
	case YAML_SCALAR_NODE: {
		const char *text = (const char *)node->data.scalar.value;
		size_t length = node->data.scalar.length;
		if (strlen(text) != length) {
			c->error = "a NUL byte in a scalar";
			return NULL;
		}
		return node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? cv_yaml_plain_scalar(text, length)
		                                                          : json_stringn(text, length);
	}
	case YAML_SEQUENCE_NODE:
		value = json_array();
		for (yaml_node_item_t *item = node->data.sequence.items.start; item < node->data.sequence.items.top;
		     item++) {
			json_t *element = convert(c, yaml_document_get_node(c->document, *item), depth + 1);
			if (element == NULL || json_array_append_new(value, element) < 0) {
				json_decref(value);
				return NULL;
			}
		}
		return value;
	case YAML_MAPPING_NODE:
		value = json_object();
		for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top;
		     pair++) {
			yaml_node_t *key = yaml_document_get_node(c->document, pair->key);
			if (key == NULL || key->type != YAML_SCALAR_NODE) {
				c->error = "a mapping key is not a scalar";
				json_decref(value);
				return NULL;
			}
			const char *name = (const char *)key->data.scalar.value;
			if (json_object_get(value, name) != NULL) {
				c->error = "a duplicate key";
				json_decref(value);
				return NULL;
			}
			json_t *member = convert(c, yaml_document_get_node(c->document, pair->value), depth + 1);
			if (member == NULL || json_object_set_new(value, name, member) < 0) {
				json_decref(value);
				return NULL;
			}
		}
		return value;
	case YAML_NO_NODE:
		break;
	}
	c->error = "an empty node";
	return NULL;
}

int cv_yaml_to_json(const char *text, size_t length, json_t **out)
{
	yaml_parser_t parser;
	yaml_document_t document;
	struct conversion c = {.document = &document};
	int ret = -1;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return cv_error_errno(ENOMEM, "yaml: out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);
	if (!yaml_parser_load(&parser, &document)) {
		cv_error_errno(EINVAL, "line %zu: %s", parser.problem_mark.line + 1,
		               parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&document);
	if (root == NULL) {
		cv_error_errno(EINVAL, "empty YAML document");
	} else {
		*out = convert(&c, root, 0);
		if (*out == NULL)
			cv_error_errno(EINVAL, "yaml: %s", c.error ? c.error : "out of memory");
		else
			ret = 0;
	}
	yaml_document_delete(&document);
	yaml_parser_delete(&parser);
	return ret;
}
