/*
 * Shared by the unit tests that make containers: what a failed CHECK left
 * behind (it jumps over the test's own cleanup) is removed before the next
 * test, so one failure does not cascade into leak reports in the others.
 */
#include <stdio.h>

#include <chef/containerv.h>

#include "test.h"

static int remove_callback(const struct containerv_info *info, void *user)
{
	struct containerv_container *c = NULL;

	(*(int *)user)++;
	if (containerv_open(info->id, &c) == 0)
		containerv_remove(c, CV_REMOVE_VOLUMES);
	return 0;
}

void cv_test_remove_all_containers(void)
{
	int removed = 0;

	containerv_list(remove_callback, &removed);
	if (removed > 0)
		fprintf(stderr, "  (removed %d container(s) a failed test left)\n", removed);
}
