/*
 * The dependency graph: depends_on edges, a depth-first topological order
 * (dependencies first, ties in name order so that the order is stable) and
 * cycle detection that names the cycle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-internal.h"

enum mark { UNSEEN, ON_PATH, DONE };

struct walk {
	json_t *services;
	json_t *marks; /* name -> enum mark */
	char **path;   /* the current path, for the cycle's message */
	char **order;
};

static int visit(struct walk *w, const char *name)
{
	json_t *mark = json_object_get(w->marks, name);

	if (mark != NULL && json_integer_value(mark) == DONE)
		return 0;
	if (mark != NULL && json_integer_value(mark) == ON_PATH) {
		/* The cycle: from the first occurrence of name on the path back to name. */
		size_t start = 0, length = cv_strv_length(w->path);
		while (start < length && strcmp(w->path[start], name) != 0)
			start++;
		char *cycle = cv_strv_join(w->path + start, " -> ");
		cv_error_errno(ELOOP, "dependency cycle: %s -> %s", cycle ? cycle : "?", name);
		free(cycle);
		return -1;
	}
	json_object_set_new(w->marks, name, json_integer(ON_PATH));
	if (cv_strv_append(&w->path, name) < 0)
		return -1;
	json_t *depends = json_object_get(json_object_get(w->services, name), "depends_on");
	const char *dependency;
	json_t *condition;
	json_object_foreach(depends, dependency, condition)
	{
		/* A dependency not enabled (required: false) has no node. */
		if (json_object_get(w->services, dependency) == NULL)
			continue;
		if (visit(w, dependency) < 0)
			return -1;
	}
	size_t length = cv_strv_length(w->path);
	free(w->path[length - 1]);
	w->path[length - 1] = NULL;
	json_object_set_new(w->marks, name, json_integer(DONE));
	return cv_strv_append(&w->order, name);
}

int cv_compose_order(json_t *services, char ***order)
{
	struct walk w = {.services = services, .marks = json_object()};
	const char *name;
	json_t *service;

	*order = NULL;
	if (w.marks == NULL)
		return cv_error_errno(ENOMEM, "compose: out of memory");
	json_object_foreach(services, name, service)
	{
		if (visit(&w, name) < 0) {
			json_decref(w.marks);
			cv_strv_free(w.path);
			cv_strv_free(w.order);
			return -1;
		}
	}
	json_decref(w.marks);
	cv_strv_free(w.path);
	*order = w.order;
	return 0;
}
