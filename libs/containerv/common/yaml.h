/*
 * Internal: YAML (libyaml) into jansson values, for configuration files.
 */
#ifndef CV_COMMON_YAML_H
#define CV_COMMON_YAML_H

#include <stddef.h>

struct json_t;

/* Parses one YAML document; *out is a new reference. The error names the line or the problem. */
int cv_yaml_to_json(const char *text, size_t length, struct json_t **out);

#endif
