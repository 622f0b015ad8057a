/*
 * -v, --mount and --tmpfs: docker's syntax is the library's (spec.h); the
 * CLI only hands each value over and prints the error.
 */
#include "cli.h"
#include "mounts.h"
#include "output.h"

static int add_each(struct containerv_options *options, const struct string_list *values,
                    int (*add)(struct containerv_options *options, const char *text))
{
	for (size_t i = 0; i < values->count; i++)
		if (add(options, values->items[i]) < 0)
			return cli_fail_library(-1, NULL);
	return 0;
}

int cli_add_mounts(struct containerv_options *options, const struct string_list *volumes,
                   const struct string_list *mounts, const struct string_list *tmpfs)
{
	if (add_each(options, volumes, containerv_spec_add_volume) < 0 ||
	    add_each(options, mounts, containerv_spec_add_mount) < 0 ||
	    add_each(options, tmpfs, containerv_spec_add_tmpfs) < 0)
		return -1;
	return 0;
}
