/*
 * Error codes (containerv_last_error_code()) and the internal save/restore
 * of the last error: the codes typical failures get, through the public
 * API against the real kernel (as root) and against a tiny in-process
 * HTTP server standing in for a registry; that cleanup after a failure
 * never replaces the first error.
 */
#include <chef/containerv.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "test.h"

static char root[256];
static const char *rootfs = CV_TEST_ROOTFS;

TEST(codes_follow_errno_unless_given)
{
	cv_error_clear();
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_OK);
	cv_error_errno(ENOENT, "thing: not found");
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_NOT_FOUND);
	CHECK_EQ_INT(errno, ENOENT);
	errno = EEXIST;
	cv_error_sys("mkdir x");
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_EXISTS);
	CHECK_EQ_STR(containerv_last_error(), "mkdir x: File exists");
	/* Context added on the way up keeps the code of the failure itself. */
	cv_error_prefix("create web");
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_EXISTS);
	CHECK_EQ_STR(containerv_last_error(), "create web: mkdir x: File exists");
	/* Where errno cannot tell: EACCES from a registry is an authentication failure, not a permission. */
	cv_error_code(CONTAINERV_E_AUTH, EACCES, "registry r: 401");
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_AUTH);
	CHECK_EQ_INT(errno, EACCES);
	cv_error_clear();
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_OK);
	CHECK_EQ_STR(containerv_last_error(), "");

	static const struct {
		int err;
		enum containerv_error_code code;
	} table[] = {
	        {ENOENT, CONTAINERV_E_NOT_FOUND},     {EEXIST, CONTAINERV_E_EXISTS},
	        {EBUSY, CONTAINERV_E_IN_USE},         {EINVAL, CONTAINERV_E_INVALID},
	        {EPERM, CONTAINERV_E_PERMISSION},     {EACCES, CONTAINERV_E_PERMISSION},
	        {ECONNREFUSED, CONTAINERV_E_NETWORK}, {ETIMEDOUT, CONTAINERV_E_TIMEOUT},
	        {ENOSYS, CONTAINERV_E_UNSUPPORTED},   {EOPNOTSUPP, CONTAINERV_E_UNSUPPORTED},
	        {ENOSPC, CONTAINERV_E_NO_SPACE},      {ESRCH, CONTAINERV_E_NOT_RUNNING},
	        {EBADMSG, CONTAINERV_E_CORRUPT},      {EIO, CONTAINERV_E_ERROR},
	        {ENOMEM, CONTAINERV_E_ERROR},
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		cv_error_errno(table[i].err, "x");
		CHECK_EQ_INT(containerv_last_error_code(), table[i].code);
	}
	cv_error_clear();
}

/* A cleanup step that fails on its own, as a real one may (a cgroup that will not go). */
static void failing_cleanup(void)
{
	cv_error_errno(EBUSY, "remove cgroup: busy");
}

TEST(save_restore_keeps_the_first_error)
{
	struct cv_error_saved saved;

	cv_error_code(CONTAINERV_E_EXEC, ENOENT, "exec \"nope\": executable file not found in $PATH");
	cv_error_save(&saved);
	failing_cleanup();
	errno = EPERM;
	CHECK_EQ_INT(cv_error_restore(&saved), -1);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_EXEC);
	CHECK_EQ_STR(containerv_last_error(), "exec \"nope\": executable file not found in $PATH");
	/* Nothing recorded yet: restoring gives back "nothing". */
	cv_error_clear();
	errno = 0;
	cv_error_save(&saved);
	failing_cleanup();
	cv_error_restore(&saved);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_OK);
	CHECK_EQ_STR(containerv_last_error(), "");
}

static struct containerv_options *options_for(const char *const *argv)
{
	struct containerv_options *o = NULL;

	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, rootfs));
	if (argv != NULL)
		CHECK_OK(containerv_options_set_command(o, argv));
	return o;
}

TEST(container_failures_have_their_codes)
{
	const char *missing[] = {"no-such-command", NULL};
	const char *not_executable[] = {"/etc/passwd", NULL};
	const char *idle[] = {"sleep", "60", NULL};
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL, *dup = NULL;

	CHECK(containerv_open("no-such-container", &c) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_NOT_FOUND);

	/* A command that cannot be executed is EXEC (errno says which), a missing rootfs is not. */
	o = options_for(missing);
	CHECK(containerv_create(o, &c) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_EXEC);
	CHECK_EQ_INT(errno, ENOENT);
	containerv_options_delete(o);
	o = options_for(not_executable);
	CHECK(containerv_create(o, &c) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_EXEC);
	CHECK_EQ_INT(errno, EACCES);
	CHECK_OK(containerv_options_set_rootfs(o, "/nonexistent/rootfs"));
	CHECK(containerv_create(o, &c) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_NOT_FOUND);
	containerv_options_delete(o);

	CHECK_OK(containerv_options_new(&o));
	CHECK(containerv_options_set_name(o, "../../etc") == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_INVALID);
	containerv_options_delete(o);

	o = options_for(idle);
	CHECK_OK(containerv_options_set_name(o, "taken"));
	CHECK_OK(containerv_create(o, &c));
	CHECK(containerv_create(o, &dup) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_EXISTS);
	containerv_options_delete(o);
	CHECK(containerv_start(c) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_IN_USE);

	struct containerv_spawn_options spawn = CONTAINERV_SPAWN_OPTIONS_INIT;
	spawn.argv = missing;
	CHECK(containerv_spawn(c, &spawn, NULL, NULL) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_EXEC);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_OK(containerv_kill(c, SIGKILL));
	struct containerv_exit exit_status;
	CHECK_OK(containerv_wait(c, &exit_status));
	spawn.argv = idle;
	CHECK(containerv_spawn(c, &spawn, NULL, NULL) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_NOT_RUNNING);
	CHECK_OK(containerv_destroy(c));
	/* A success leaves no code behind. */
	CHECK(containerv_last_error_code() == CONTAINERV_OK);
}

/*
 * A stand-in registry on 127.0.0.1: answers every request with one canned response and closes
 * the connection, a TLS ClientHello included (so that TLS sees a server speaking plain http).
 */
struct fake_registry {
	int listen_fd;
	unsigned short port;
	atomic_int mode; /* 0: 401 with a Basic challenge everywhere; 1: /v2/ open, everything else 404 */
	pthread_t thread;
};

static void *serve(void *user)
{
	struct fake_registry *registry = user;
	static const char unauthorized[] = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"test\"\r\n"
	                                   "Content-Length: 0\r\nConnection: close\r\n\r\n";
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
	static const char not_found[] =
	        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 58\r\n"
	        "Connection: close\r\n\r\n{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"unknown\"}]}";

	for (;;) {
		char request[4096];
		int fd = accept4(registry->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		ssize_t n;

		if (fd < 0)
			return NULL; /* shut down */
		n = read(fd, request, sizeof request - 1);
		request[n > 0 ? n : 0] = '\0';
		const char *answer = unauthorized;
		if (registry->mode == 1)
			answer = strncmp(request, "GET /v2/ ", 9) == 0 ? ok : not_found;
		if (write(fd, answer, strlen(answer)) < 0) {
			/* the client went: nothing to answer */
		}
		shutdown(fd, SHUT_WR);
		while (read(fd, request, sizeof request) > 0)
			;
		close(fd);
	}
}

static void fake_registry_start(struct fake_registry *registry)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t length = sizeof address;

	registry->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(registry->listen_fd >= 0);
	CHECK(bind(registry->listen_fd, (struct sockaddr *)&address, sizeof address) == 0);
	CHECK(listen(registry->listen_fd, 16) == 0);
	CHECK(getsockname(registry->listen_fd, (struct sockaddr *)&address, &length) == 0);
	registry->port = ntohs(address.sin_port);
	CHECK(pthread_create(&registry->thread, NULL, serve, registry) == 0);
}

static void fake_registry_stop(struct fake_registry *registry)
{
	shutdown(registry->listen_fd, SHUT_RDWR); /* wakes accept() */
	pthread_join(registry->thread, NULL);
	close(registry->listen_fd);
}

/* A port nothing listens on: one bound and closed again. */
static unsigned short closed_port(void)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t length = sizeof address;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&address, sizeof address) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&address, &length) == 0);
	close(fd);
	return ntohs(address.sin_port);
}

TEST(registry_failures_have_their_codes)
{
	struct fake_registry registry = {.listen_fd = -1};
	struct containerv_registry_options options = CONTAINERV_REGISTRY_OPTIONS_INIT;
	char reference[128];

	fake_registry_start(&registry);
	snprintf(reference, sizeof reference, "127.0.0.1:%u/test/image:v1", registry.port);

	/* Wrong credentials (the registry answers 401 to them): AUTH, errno EACCES as before. */
	options.tls_verify = 0;
	options.username = "alice";
	options.password = "wrong";
	CHECK(containerv_image_pull(reference, &options, NULL) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_AUTH);
	CHECK_EQ_INT(errno, EACCES);
	CHECK(strstr(containerv_last_error(), "401") != NULL);

	/* TLS asked for, the server speaks plain http: TLS. */
	options.tls_verify = 1;
	CHECK(containerv_image_pull(reference, &options, NULL) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_TLS);

	/* An open registry without that image: NOT_FOUND (manifest unknown). */
	registry.mode = 1;
	options.tls_verify = 0;
	options.username = options.password = NULL;
	CHECK(containerv_image_pull(reference, &options, NULL) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_NOT_FOUND);
	CHECK(strstr(containerv_last_error(), "404") != NULL);
	fake_registry_stop(&registry);

	/* Nobody there: NETWORK. */
	snprintf(reference, sizeof reference, "127.0.0.1:%u/test/image:v1", closed_port());
	CHECK(containerv_image_pull(reference, &options, NULL) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_NETWORK);
}

int main(void)
{
	RUN(codes_follow_errno_unless_given);
	RUN(save_restore_keeps_the_first_error);
	snprintf(root, sizeof root, "/tmp/cvtest-errors-%d", (int)getpid());
	if (containerv_set_root(root) != 0) {
		fprintf(stderr, "set_root: %s\n", containerv_last_error());
		return 1;
	}
	RUN(registry_failures_have_their_codes);
	if (geteuid() == 0) {
		cv_test_after_each = cv_test_remove_all_containers;
		RUN(container_failures_have_their_codes);
	}
	char command[512];
	snprintf(command, sizeof command, "rm -rf %s", root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return cv_test_summary();
}
