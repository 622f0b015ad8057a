/*
 * containerv_compose_autoscale_status(): the autoscaled services of a
 * project as its balancer process last wrote them in lb-status.json
 * (compose-lb-daemon.c, once a second), for compose ps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-lb.h"
#include "orchestration/compose-up.h"

static double number_or_unknown(json_t *value)
{
	return json_is_number(value) ? json_number_value(value) : -1;
}

CONTAINERV_API int containerv_compose_autoscale_status(
        const char *project, int (*callback)(const struct containerv_compose_autoscale_status *status, void *user),
        void *user)
{
	char directory[PATH_MAX], path[PATH_MAX + 32];
	char *text = NULL;
	json_t *balancers, *balancer;
	size_t i;
	int ret = 0;

	cv_error_clear();
	if (project == NULL || callback == NULL || !cv_name_is_valid(project, 128) ||
	    cv_compose_files_directory(project, NULL, NULL, directory, sizeof directory) < 0)
		return cv_error_errno(EINVAL, "compose autoscale status: invalid project name");
	snprintf(path, sizeof path, "%s/lb-status.json", directory);
	if (!cv_compose_lb_serving(directory) || cv_read_file(path, &text, NULL, 64 << 20) < 0)
		return cv_error_errno(ENOENT, "project %s has no balancer running", project);
	balancers = json_loads(text, 0, NULL);
	free(text);
	json_array_foreach(balancers, i, balancer)
	{
		json_t *autoscale = json_object_get(balancer, "autoscale");
		const char *service = json_string_value(json_object_get(balancer, "service"));
		if (!json_is_object(autoscale) || service == NULL)
			continue;
		const char *error = json_string_value(json_object_get(autoscale, "error"));
		struct containerv_compose_autoscale_status status = {
		        .version = CONTAINERV_COMPOSE_AUTOSCALE_STATUS_VERSION,
		        .service = service,
		        .replicas = (unsigned int)json_integer_value(json_object_get(autoscale, "replicas")),
		        .wanted = (unsigned int)json_integer_value(json_object_get(autoscale, "wanted")),
		        .min = (unsigned int)json_integer_value(json_object_get(autoscale, "min")),
		        .max = (unsigned int)json_integer_value(json_object_get(autoscale, "max")),
		        .cpu_percent = number_or_unknown(json_object_get(autoscale, "cpu_percent")),
		        .memory_percent = number_or_unknown(json_object_get(autoscale, "memory_percent")),
		        .paused = json_is_true(json_object_get(autoscale, "paused")),
		        .scaling = json_is_true(json_object_get(autoscale, "scaling")),
		        .changes = (unsigned long long)json_integer_value(json_object_get(autoscale, "changes")),
		        .error = error != NULL ? error : "",
		};
		ret = callback(&status, user);
		if (ret != 0)
			break;
	}
	json_decref(balancers);
	return ret;
}
