/*
 * hello: the smallest complete use of libcontainerv.
 *
 * Runs `echo hello` in a new container whose root filesystem is the
 * directory given as the first argument, waits for it and removes it.
 *
 *   make && sudo ./hello /usr/local/share/containerv/rootfs/busybox
 *
 * State goes under $CONTAINERV_ROOT when it is set, else /var/lib/containerv.
 */
#include <stdio.h>

#include <chef/containerv.h>

int main(int argc, char **argv)
{
	struct containerv_options *options = NULL;
	struct containerv_container *container = NULL;
	struct containerv_exit exit_status = {0};
	const char *const command[] = {"echo", "hello", NULL};
	int status = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s ROOTFS-DIRECTORY\n", argv[0]);
		return 2;
	}

	if (containerv_options_new(&options) != 0 || containerv_options_set_rootfs(options, argv[1]) != 0 ||
	    containerv_options_set_command(options, command) != 0 ||
	    /* The container's output goes to ours instead of its log file. */
	    containerv_options_set_stdio(options, -1, 1, 2) != 0) {
		fprintf(stderr, "hello: options: %s\n", containerv_last_error());
		goto done;
	}

	if (containerv_create(options, &container) != 0) {
		fprintf(stderr, "hello: create: %s\n", containerv_last_error());
		goto done;
	}

	if (containerv_wait(container, &exit_status) != 0) {
		fprintf(stderr, "hello: wait: %s\n", containerv_last_error());
		goto done;
	}
	status = exit_status.code;

done:
	if (container != NULL && containerv_destroy(container) != 0) {
		fprintf(stderr, "hello: destroy: %s\n", containerv_last_error());
		status = 1;
	}
	containerv_options_delete(options);
	return status;
}
