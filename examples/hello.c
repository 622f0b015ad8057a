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
#include <unistd.h>

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
	    /* A pipe for the container's output (never our own descriptor: it could reopen it), copied to ours. */
	    containerv_options_set_stdio(options, CONTAINERV_STDIO_NULL, CONTAINERV_STDIO_PIPE,
	                                 CONTAINERV_STDIO_STDOUT) != 0) {
		fprintf(stderr, "hello: options: %s\n", containerv_last_error());
		goto done;
	}

	if (containerv_create(options, &container) != 0) {
		fprintf(stderr, "hello: create: %s\n", containerv_last_error());
		goto done;
	}

	containerv_fd_t ends[3]; /* file descriptors on Linux */
	char buffer[4096];
	ssize_t length;
	if (containerv_take_stdio(container, ends) == 0 && ends[1] >= 0) {
		while ((length = read(ends[1], buffer, sizeof buffer)) > 0)
			fwrite(buffer, 1, (size_t)length, stdout);
		close(ends[1]);
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
