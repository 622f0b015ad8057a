/*
 * The start's sync socket (SOCK_SEQPACKET) between the parent and the
 * init: a failure the init reports reaches the parent intact even when the
 * init exits with a message of the parent's unread. That is the cgroup v1
 * start whose init fails during setup: the parent's CV_SYNC_CGROUP is queued,
 * the init sends its error and exits, and the kernel then reports
 * ECONNRESET on the parent's next receive before the queued error (CI saw a
 * refused create come back as EIO instead of its message). Deterministic:
 * the child exits only after the parent's byte is queued.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "platform/linux/container-private.h"
#include "platform/linux/init-plan.h"
#include "test.h"

/*
 * A peer that reads nothing: once the parent's byte is queued at it (the pipe says so), it sends
 * a setup error and exits. Returns its pid; *parent_end is the parent's socket.
 */
static pid_t failing_peer(int *parent_end, const char *text)
{
	int sockets[2], go[2];
	char byte;
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) == 0);
	CHECK(pipe2(go, O_CLOEXEC) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct cv_sync_message message = {.type = CV_SYNC_SETUP_ERROR, .error = ENOTSUP};
		close(sockets[0]);
		close(go[1]);
		if (read(go[0], &byte, 1) != 1)
			_exit(2);
		snprintf(message.text, sizeof message.text, "%s", text);
		_exit(send(sockets[1], &message, sizeof message, MSG_NOSIGNAL) == (ssize_t)sizeof message ? 125 : 3);
	}
	close(sockets[1]);
	close(go[0]);
	/* What the parent sends before the init has read anything: the cgroup's descriptors on v1. */
	CHECK(cv_sync_send(sockets[0], CV_SYNC_CGROUP, NULL, 0) == 0);
	CHECK(write(go[1], "g", 1) == 1);
	close(go[1]);
	*parent_end = sockets[0];
	return pid;
}

static void check_message(const struct cv_sync_message *message, const char *text)
{
	CHECK_EQ_INT(message->type, CV_SYNC_SETUP_ERROR);
	CHECK_EQ_INT(message->error, ENOTSUP);
	CHECK_EQ_STR(message->text, text);
}

TEST(error_of_an_init_that_exits_with_our_message_unread_arrives)
{
	struct cv_sync_message message;
	int fd, status, passed;
	pid_t pid = failing_peer(&fd, "open /etc/hosts: not a regular file");

	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 125);
	memset(&message, 0, sizeof message);
	CHECK_EQ_INT(cv_receive_with_fd(fd, &message, sizeof message, &passed, 0), (ssize_t)sizeof message);
	CHECK_EQ_INT(passed, -1);
	check_message(&message, "open /etc/hosts: not a regular file");
	/* Then the end: EOF, not a second reset. */
	CHECK_EQ_INT(cv_receive_with_fd(fd, &message, sizeof message, &passed, 0), 0);
	close(fd);
}

/* The parent's look for a queued reason after a failed step of its own (MSG_DONTWAIT). */
TEST(queued_error_is_found_without_waiting)
{
	struct cv_sync_message message;
	int fd, passed;
	pid_t pid = failing_peer(&fd, "mount the cgroup view: Operation not supported");

	CHECK(waitpid(pid, NULL, 0) == pid);
	memset(&message, 0, sizeof message);
	CHECK_EQ_INT(cv_receive_with_fd(fd, &message, sizeof message, &passed, MSG_DONTWAIT), (ssize_t)sizeof message);
	check_message(&message, "mount the cgroup view: Operation not supported");
	close(fd);
}

/* The init's side: a parent that sent "go" and died with the init's message unread still delivers "go". */
TEST(byte_of_a_peer_that_exits_with_our_message_unread_arrives)
{
	int sockets[2], fds[1];
	size_t count;
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) == 0);
	struct cv_sync_message ready = {.type = CV_SYNC_READY};
	CHECK(send(sockets[0], &ready, sizeof ready, 0) == (ssize_t)sizeof ready);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(sockets[0]);
		_exit(cv_sync_send(sockets[1], CV_GO_PLAIN, NULL, 0) == 0 ? 0 : 1);
	}
	close(sockets[1]);
	CHECK(waitpid(pid, NULL, 0) == pid);
	CHECK_EQ_INT(cv_sync_receive(sockets[0], fds, 1, &count), CV_GO_PLAIN);
	CHECK_EQ_INT(count, 0);
	CHECK_EQ_INT(cv_sync_receive(sockets[0], fds, 1, &count), -1);
	close(sockets[0]);
}

int main(void)
{
	RUN(error_of_an_init_that_exits_with_our_message_unread_arrives);
	RUN(queued_error_is_found_without_waiting);
	RUN(byte_of_a_peer_that_exits_with_our_message_unread_arrives);
	return cv_test_summary();
}
