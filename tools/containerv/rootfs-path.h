/*
 * Where the CLI looks up a root filesystem by name: the built-in "busybox"
 * (imported as an image on first use) and, as before images existed, a
 * rootfs directory named like the image.
 */
#ifndef CV_CLI_ROOTFS_PATH_H
#define CV_CLI_ROOTFS_PATH_H

/*
 * Colon-separated directories, in order: $CONTAINERV_ROOTFS_PATH when set;
 * else the path given at configure time (-DCONTAINERV_ROOTFS_PATH=...) when
 * there is one; else the rootfs directory of this very binary: <build>/rootfs
 * for the binary in the build tree (then the installed one), and
 * <bindir>/../share/containerv/rootfs for an installed binary, found from
 * /proc/self/exe, so that an install under any prefix finds its own rootfs
 * and never touches the build tree. Never NULL.
 */
const char *cli_rootfs_search_path(void);

#endif
