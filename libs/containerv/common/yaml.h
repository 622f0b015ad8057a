/*
 * Internal: YAML (libyaml) into jansson values, for configuration files.
 */
#ifndef CV_COMMON_YAML_H
#define CV_COMMON_YAML_H

#include <jansson.h>
#include <stddef.h>

struct json_t;

/* Parses one YAML document; *out is a new reference. The error names the line or the problem. */
int cv_yaml_to_json(const char *text, size_t length, struct json_t **out);

/*
 * A plain (unquoted) YAML scalar as the JSON value YAML 1.2's core schema
 * gives it: true/false, null (also "~" and empty), an integer, a finite
 * real, else the string itself.
 */
json_t *cv_yaml_plain_scalar(const char *text, size_t length);

#endif
