/*
 * containerv-runc: runc's command line over libcontainerv, as containerd's
 * shim and podman call it (also when invoked through a symlink named runc).
 *
 * Global flags come before the verb: --root DIR (default
 * /run/containerv-runc, apart from the containerv CLI's root), --log FILE,
 * --log-format text|json, --systemd-cgroup (accepted: containerv always
 * manages the container's cgroup itself), --debug.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "runc.h"

#define RUNC_DEFAULT_ROOT "/run/containerv-runc"

static FILE *log_file;
static bool log_json, debug;

static void log_line(const char *level, const char *message)
{
	char stamp[64];
	struct timespec now;
	struct tm tm;

	if (log_file == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (log_json) {
		/* jansson escapes the message: it may hold anything a config.json put there. */
		json_t *line = json_pack("{s:s,s:s,s:s}", "level", level, "msg", message, "time", stamp);
		char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
		if (text != NULL)
			fprintf(log_file, "%s\n", text);
		free(text);
		json_decref(line);
	} else {
		fprintf(log_file, "time=\"%s\" level=%s msg=\"%s\"\n", stamp, level, message);
	}
	fflush(log_file);
}

int runc_error(const char *format, ...)
{
	char message[2048];
	va_list args;

	va_start(args, format);
	vsnprintf(message, sizeof message, format, args);
	va_end(args);
	/* One line: a newline inside (from a hostile config's text) would forge a second one. */
	for (char *p = message; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "containerv-runc: %s\n", message);
	log_line("error", message);
	return 1;
}

int runc_library_error(const char *what)
{
	return runc_error("%s: %s", what, containerv_last_error());
}

void runc_debug(const char *format, ...)
{
	char message[2048];
	va_list args;

	if (!debug)
		return;
	va_start(args, format);
	vsnprintf(message, sizeof message, format, args);
	va_end(args);
	log_line("debug", message);
}

static void library_log(enum containerv_log_level level, const char *message, void *user)
{
	(void)user;
	if (level <= CONTAINERV_LOG_WARNING || debug)
		log_line(level == CONTAINERV_LOG_ERROR     ? "error"
		         : level == CONTAINERV_LOG_WARNING ? "warning"
		                                           : "debug",
		         message);
}

int runc_open(const char *id, struct containerv_container **container)
{
	struct containerv_container *found = NULL;

	if (id == NULL || id[0] == '\0')
		return runc_error("container id cannot be empty");
	/* containerv_open also takes id prefixes: only an exact name is this OCI id. */
	if (containerv_open(id, &found) < 0 || strcmp(containerv_name(found), id) != 0) {
		containerv_close(found);
		return runc_error("container \"%s\" does not exist", id);
	}
	*container = found;
	return 0;
}

const char *runc_status(const struct containerv_info *info)
{
	switch (info->state) {
	case CV_STATE_HELD:
		return "created";
	case CV_STATE_RUNNING:
		return info->paused ? "paused" : "running";
	default:
		return "stopped";
	}
}

int runc_write_pid_file(const char *path, long pid)
{
	char temporary[4096];
	FILE *file;

	if (snprintf(temporary, sizeof temporary, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof temporary)
		return runc_error("pid file %s: path too long", path);
	file = fopen(temporary, "wxe");
	if (file == NULL)
		return runc_error("pid file %s: %s", path, strerror(errno));
	if (fprintf(file, "%ld", pid) < 0 || fclose(file) != 0 || rename(temporary, path) < 0) {
		int saved = errno;
		unlink(temporary);
		return runc_error("pid file %s: %s", path, strerror(saved));
	}
	return 0;
}

int runc_send_console(const char *socket_path, int fd)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	char control[CMSG_SPACE(sizeof(int))] = {0};
	char name[] = "/dev/ptmx";
	struct iovec iov = {.iov_base = name, .iov_len = sizeof name - 1};
	struct msghdr message = {
	        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
	struct cmsghdr *header = CMSG_FIRSTHDR(&message);
	int sock;

	if (strlen(socket_path) >= sizeof address.sun_path)
		return runc_error("console socket %s: path too long", socket_path);
	strcpy(address.sun_path, socket_path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&address, sizeof address) < 0) {
		int saved = errno;
		if (sock >= 0)
			close(sock);
		return runc_error("console socket %s: %s", socket_path, strerror(saved));
	}
	header->cmsg_level = SOL_SOCKET;
	header->cmsg_type = SCM_RIGHTS;
	header->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(header), &fd, sizeof fd);
	ssize_t sent;
	do
		sent = sendmsg(sock, &message, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	int saved = errno;
	close(sock);
	return sent < 0 ? runc_error("console socket %s: send: %s", socket_path, strerror(saved)) : 0;
}

int runc_apply_process(const struct containerv_oci_process *process)
{
	for (size_t i = 0; i < process->rlimit_count; i++) {
		const struct containerv_oci_rlimit *r = &process->rlimits[i];
		struct rlimit limit = {.rlim_cur = (rlim_t)r->soft, .rlim_max = (rlim_t)r->hard};
		if (setrlimit(r->resource, &limit) < 0)
			return runc_error("process.rlimits: resource %d: %s", r->resource, strerror(errno));
	}
	if (process->has_oom_score_adj) {
		FILE *file = fopen("/proc/self/oom_score_adj", "we");
		if (file == NULL || fprintf(file, "%d", process->oom_score_adj) < 0 || fclose(file) != 0)
			return runc_error("process.oomScoreAdj: %s", strerror(errno));
	}
	return 0;
}

void runc_rlimits_label(const struct containerv_oci_process *process, char *buffer, size_t size)
{
	size_t used = (size_t)snprintf(buffer, size, "%s", RUNC_RLIMITS_LABEL);

	for (size_t i = 0; i < process->rlimit_count && used < size; i++)
		used += (size_t)snprintf(buffer + used, size - used, "%s%d:%llu:%llu", i ? "," : "",
		                         process->rlimits[i].resource, (unsigned long long)process->rlimits[i].soft,
		                         (unsigned long long)process->rlimits[i].hard);
}

int runc_rlimits_from_labels(struct containerv_container *container, struct containerv_oci_process *process)
{
	char **labels = NULL;

	if (containerv_get_strings(container, CV_STRINGS_LABELS, &labels, NULL) < 0)
		return runc_library_error("labels");
	for (size_t i = 0; labels[i] != NULL; i++) {
		if (strncmp(labels[i], RUNC_RLIMITS_LABEL, strlen(RUNC_RLIMITS_LABEL)) != 0)
			continue;
		const char *p = labels[i] + strlen(RUNC_RLIMITS_LABEL);
		int resource, consumed;
		unsigned long long soft, hard;
		while (process->rlimit_count < CONTAINERV_OCI_RLIMITS_MAX &&
		       sscanf(p, "%d:%llu:%llu%n", &resource, &soft, &hard, &consumed) == 3) {
			process->rlimits[process->rlimit_count++] =
			        (struct containerv_oci_rlimit){resource, (uint64_t)soft, (uint64_t)hard};
			p += consumed;
			if (*p == ',')
				p++;
		}
	}
	containerv_strings_free(labels);
	return 0;
}

int runc_signal_number(const char *text)
{
	static const struct {
		const char *name;
		int number;
	} names[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
	             {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}, {"WINCH", SIGWINCH},
	             {"ALRM", SIGALRM}, {"PIPE", SIGPIPE}, {"CHLD", SIGCHLD}, {"ABRT", SIGABRT}, {"TSTP", SIGTSTP}};
	char *end = NULL;
	long number = strtol(text, &end, 10);

	if (end != text && *end == '\0')
		return number > 0 && number < 65 ? (int)number : -1;
	if (strncmp(text, "SIG", 3) == 0)
		text += 3;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(text, names[i].name) == 0)
			return names[i].number;
	return -1;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} verbs[] = {
        {"create", runc_create, "create a container held before its process runs"},
        {"start", runc_start, "execute the process of a created container"},
        {"run", runc_run, "create and start a container"},
        {"state", runc_state, "output the state of a container (OCI state JSON)"},
        {"kill", runc_kill, "send a signal to the container's process"},
        {"delete", runc_delete, "delete a container and everything it holds"},
        {"exec", runc_exec, "execute a new process inside a running container"},
        {"ps", runc_ps, "list the processes of a container"},
        {"list", runc_list, "list the containers of this root"},
        {"pause", runc_pause, "freeze every process of a container"},
        {"resume", runc_resume, "thaw a paused container"},
        {"update", runc_update, "change a container's resource limits (--resources FILE or flags)"},
        {"events", runc_events, "resource use of a container (--stats: one sample)"},
        {"checkpoint", runc_unsupported, "not supported (no CRIU)"},
        {"restore", runc_unsupported, "not supported (no CRIU)"},
        {"features", runc_features, "show what this runtime supports (JSON)"},
        {"spec", runc_spec, "write a config.json template"},
};

static int usage(FILE *out)
{
	fprintf(out, "usage: containerv-runc [--root DIR] [--log FILE] [--log-format text|json] [--systemd-cgroup] "
	             "[--debug] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		fprintf(out, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
	return out == stderr ? 1 : 0;
}

/* "--flag value", "--flag=value", "-flag value" (runc's parser takes one dash too). */
static const char *flag_value(int argc, char **argv, int *i, const char *name)
{
	const char *arg = argv[*i] + (argv[*i][1] == '-' ? 2 : 1);
	size_t length = strlen(name);

	if (strncmp(arg, name, length) != 0)
		return NULL;
	if (arg[length] == '=')
		return arg + length + 1;
	if (arg[length] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int main(int argc, char **argv)
{
	const char *root = RUNC_DEFAULT_ROOT, *log_path = NULL, *value;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		if ((value = flag_value(argc, argv, &i, "root")) != NULL)
			root = value;
		else if ((value = flag_value(argc, argv, &i, "log-format")) != NULL)
			log_json = strcmp(value, "json") == 0;
		else if ((value = flag_value(argc, argv, &i, "log")) != NULL)
			log_path = value;
		else if (strcmp(arg, "systemd-cgroup") == 0 || strcmp(arg, "rootless=false") == 0)
			continue;
		else if (strcmp(arg, "debug") == 0)
			debug = true;
		else if (strcmp(arg, "help") == 0 || strcmp(arg, "h") == 0)
			return usage(stdout);
		else if (strcmp(arg, "version") == 0 || strcmp(arg, "v") == 0) {
			printf("containerv-runc\nspec: %s\n", CONTAINERV_OCI_VERSION);
			return 0;
		} else {
			return runc_error("unknown global flag %s", argv[i]);
		}
	}
	if (log_path != NULL && (log_file = fopen(log_path, "ae")) == NULL)
		return runc_error("--log %s: %s", log_path, strerror(errno));
	containerv_set_log(library_log, NULL);
	if (i >= argc)
		return usage(stderr);
	if (containerv_set_root(root) < 0)
		return runc_library_error("--root");
	for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++)
		if (strcmp(argv[i], verbs[v].name) == 0)
			return verbs[v].run(argc - i, argv + i);
	return runc_error("unknown command \"%s\" (see containerv-runc --help)", argv[i]);
}
