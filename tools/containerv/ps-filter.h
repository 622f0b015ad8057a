/* ps --filter (ps-filter.c): docker's keys, checked before listing, matched per container. */
#ifndef CV_CLI_PS_FILTER_H
#define CV_CLI_PS_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include <chef/containerv.h>

/* A filter's syntax and key; prints why not and returns -1. */
int ps_filter_check(const char *filter);
/* Every key asked for has one value that matches (values of one key are alternatives). */
bool ps_filters_match(const struct containerv_info *info, const char *const *filters, size_t count);
/* Whether the container has a label KEY=VALUE, or KEY=anything when value is NULL. */
bool ps_has_label(const char *id, const char *key, const char *value);

#endif
