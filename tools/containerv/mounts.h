/*
 * The CLI's mount flags, docker's dialect: -v, --mount, --tmpfs, --read-only.
 */
#ifndef CLI_MOUNTS_H
#define CLI_MOUNTS_H

#include <chef/containerv.h>

#include "flags.h"

/*
 * Parses every -v, --mount and --tmpfs value and adds the mounts to options.
 * Prints one error line and returns -1 on the first bad one.
 */
int cli_add_mounts(struct containerv_options *options, const struct string_list *volumes,
                   const struct string_list *mounts, const struct string_list *tmpfs);

#endif
