/*
 * containerv.exe: the Windows CLI (docs/windows.md).
 *
 *   containerv [--root DIR] version
 *   containerv [--root DIR] run (--rm | -d [--rm] [--name NAME]) [--memory SIZE] [--cpus N]
 *                  [--pids-limit N] [--security LEVEL] --rootfs DIR PROGRAM [ARG...]
 *   containerv [--root DIR] ps|inspect|rm|stop|kill|wait|logs|stats|top ... (verbs.c)
 *   containerv security audit LEVEL|FILE
 *
 * run: PROGRAM is looked up in DIR (DIR\PROGRAM, then DIR\PROGRAM.exe), started in a new job
 * object with the limits, the level's token and DIR as its working directory. With --rm alone it
 * runs attached: its output goes to ours and its exit code is ours. With -d it is a container of
 * the state store (containerv_create_in: the same code as on Linux, over the Windows backend) under
 * the state root (--root, else %ProgramData%\containerv): its id is printed, its output goes to its
 * log. Docker's codes otherwise: 125 for a bad command line or a failure before the program
 * starts, 126 for a program that cannot be executed, 127 for one that is not there.
 */
#include <chef/containerv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <windows.h>

#include "platform/windows/quote.h"
#include "platform/windows/windows.h"
#include "verbs.h"

#define EXIT_RUN_FAILED 125
#define EXIT_CANNOT_EXECUTE 126
#define EXIT_NOT_FOUND 127

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: containerv [--root DIR] COMMAND\n"
	        "       containerv version\n"
	        "       containerv run (--rm | -d [--rm] [--name NAME]) [--memory SIZE] [--cpus N] [--pids-limit N]\n"
	        "                      [--security LEVEL] --rootfs DIR PROGRAM [ARG...]\n"
	        "       containerv ps [-a] [-q]\n"
	        "       containerv inspect|logs|top|stats CONTAINER\n"
	        "       containerv rm [-f] CONTAINER...\n"
	        "       containerv stop [-t SECONDS] CONTAINER...\n"
	        "       containerv kill [-s SIGNAL] CONTAINER...\n"
	        "       containerv wait CONTAINER...\n"
	        "       containerv security audit LEVEL|FILE\n"
	        "Not in the Windows build yet: images, exec, networks, volumes, compose (docs/windows.md).\n");
}

static int cmd_version(void)
{
	printf("containerv %s (Windows, x86_64, mingw-w64)\n", CONTAINERV_VERSION_STRING);
	printf("HCS (computecore.dll) on this host: %s\n", cv_win_hcs_available() ? "present" : "absent");
	fputs(cv_win_mechanisms(), stdout);
	return 0;
}

/* "--flag VALUE" or "--flag=VALUE" at argv[*i]: the value, or NULL (not this flag). */
const char *flag_value(int argc, char **argv, int *i, const char *flag, int *missing)
{
	size_t length = strlen(flag);

	if (strncmp(argv[*i], flag, length) != 0)
		return NULL;
	if (argv[*i][length] == '=')
		return argv[*i] + length + 1;
	if (argv[*i][length] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmd_run(int argc, char **argv)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	enum containerv_security_level level = CV_SECURITY_RESTRICTED;
	const char *rootfs = NULL, *name = NULL, *value;
	int remove = 0, detach = 0, i, missing = 0;

	for (i = 2; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--rm") == 0) {
			remove = 1;
		} else if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--detach") == 0) {
			detach = 1;
		} else if ((value = flag_value(argc, argv, &i, "--name", &missing)) != NULL) {
			name = value;
		} else if ((value = flag_value(argc, argv, &i, "--memory", &missing)) != NULL ||
		           (value = flag_value(argc, argv, &i, "-m", &missing)) != NULL) {
			if (containerv_parse_size(value, &limits.memory_bytes) < 0) {
				fprintf(stderr, "containerv: invalid --memory %s: %s\n", value,
				        containerv_last_error());
				return EXIT_RUN_FAILED;
			}
		} else if ((value = flag_value(argc, argv, &i, "--cpus", &missing)) != NULL) {
			if (containerv_parse_cpus(value, &limits.cpu_quota_us, &limits.cpu_period_us) < 0) {
				fprintf(stderr, "containerv: invalid --cpus %s: %s\n", value, containerv_last_error());
				return EXIT_RUN_FAILED;
			}
		} else if ((value = flag_value(argc, argv, &i, "--pids-limit", &missing)) != NULL) {
			char *end;
			errno = 0;
			long long n = strtoll(value, &end, 10);
			if (errno != 0 || end == value || *end != '\0' || n < -1 || n == 0) {
				fprintf(stderr, "containerv: invalid --pids-limit %s: a positive number or -1\n",
				        value);
				return EXIT_RUN_FAILED;
			}
			limits.pids_max = n;
		} else if ((value = flag_value(argc, argv, &i, "--security", &missing)) != NULL) {
			if (containerv_security_level_parse(value, &level) < 0) {
				fprintf(stderr, "containerv: invalid --security %s: %s\n", value,
				        containerv_last_error());
				return EXIT_RUN_FAILED;
			}
		} else if ((value = flag_value(argc, argv, &i, "--rootfs", &missing)) != NULL) {
			rootfs = value;
		} else if (missing) {
			fprintf(stderr, "containerv: %s needs a value\n", argv[i]);
			return EXIT_RUN_FAILED;
		} else {
			fprintf(stderr, "containerv: run: unknown flag %s (containerv help)\n", argv[i]);
			return EXIT_RUN_FAILED;
		}
	}
	if (missing) {
		fprintf(stderr, "containerv: %s needs a value\n", argv[i]);
		return EXIT_RUN_FAILED;
	}
	if (!remove && !detach) {
		fprintf(stderr,
		        "containerv: run: give --rm (attached) or -d (detached): an attached run that keeps its "
		        "container is not in the Windows build yet (docs/windows.md)\n");
		return EXIT_RUN_FAILED;
	}
	if (name != NULL && !detach) {
		fprintf(stderr, "containerv: run: --name needs -d on Windows\n");
		return EXIT_RUN_FAILED;
	}
	if (rootfs == NULL) {
		fprintf(stderr, "containerv: run: --rootfs DIR is needed on Windows (no images yet)\n");
		return EXIT_RUN_FAILED;
	}
	if (i >= argc) {
		fprintf(stderr, "containerv: run: no program given\n");
		return EXIT_RUN_FAILED;
	}

	/* The program: a name inside the root, not a path out of it. */
	const char *program = argv[i];
	if (strpbrk(program, "/\\:") != NULL || strcmp(program, "..") == 0 || strcmp(program, ".") == 0) {
		fprintf(stderr, "containerv: run: %s: give a program name inside --rootfs, not a path\n", program);
		return EXIT_RUN_FAILED;
	}
	char application[MAX_PATH];
	snprintf(application, sizeof(application), "%s\\%s", rootfs, program);
	if (!file_exists(application)) {
		snprintf(application, sizeof(application), "%s\\%s.exe", rootfs, program);
		if (!file_exists(application)) {
			fprintf(stderr, "containerv: run: %s: not found in %s\n", program, rootfs);
			return EXIT_NOT_FOUND;
		}
	}

	if (detach)
		return run_detached(rootfs, name, remove, &limits, level, (const char *const *)argv + i);

	struct cv_win_job_limits job_limits;
	if (cv_win_job_limits_from(&limits, &job_limits) < 0) {
		fprintf(stderr, "containerv: run: %s\n", containerv_last_error());
		return EXIT_RUN_FAILED;
	}
	char *line = cv_windows_command_line((const char *const *)argv + i);
	if (line == NULL) {
		fprintf(stderr, "containerv: run: out of memory\n");
		return EXIT_RUN_FAILED;
	}
	struct cv_win_job *job = NULL;
	if (cv_win_job_create(NULL, &job_limits, &job) < 0) {
		fprintf(stderr, "containerv: run: %s\n", containerv_last_error());
		free(line);
		return EXIT_RUN_FAILED;
	}
	fflush(stdout);
	fflush(stderr);
	if (cv_win_job_spawn(job, application, line, rootfs, level) < 0) {
		int code = errno == EACCES || errno == EINVAL ? EXIT_CANNOT_EXECUTE : EXIT_RUN_FAILED;
		fprintf(stderr, "containerv: run: %s\n", containerv_last_error());
		cv_win_job_close(job);
		free(line);
		return code;
	}
	free(line);
	DWORD exit_code = EXIT_RUN_FAILED;
	if (cv_win_job_wait(job, INFINITE, &exit_code) < 0) {
		fprintf(stderr, "containerv: run: %s\n", containerv_last_error());
		exit_code = EXIT_RUN_FAILED;
	}
	cv_win_job_close(job); /* kill-on-close: what the program left running ends with it */
	return (int)exit_code;
}

static int cmd_security(int argc, char **argv)
{
	struct containerv_security *security = NULL;
	struct containerv_audit *audit = NULL;

	if (argc != 4 || strcmp(argv[2], "audit") != 0) {
		fprintf(stderr, "usage: containerv security audit LEVEL|FILE\n");
		return 2;
	}
	if (containerv_security_load(argv[3], &security) < 0 || containerv_security_audit(security, &audit) < 0) {
		fprintf(stderr, "containerv: security audit %s: %s\n", argv[3], containerv_last_error());
		containerv_security_delete(security);
		return 1;
	}
	printf("profile %s, level %s, score %d/100\n", argv[3],
	       containerv_security_level_name(containerv_security_level(security)), containerv_audit_score(audit));
	for (size_t i = 0; i < containerv_audit_count(audit); i++) {
		struct containerv_finding finding;
		if (containerv_audit_finding(audit, i, &finding) == 0)
			printf("%-8s %-24s %s\n", containerv_severity_name(finding.severity), finding.id, finding.what);
	}
	containerv_audit_delete(audit);
	containerv_security_delete(security);
	return 0;
}

int main(int argc, char **argv)
{
	int missing = 0, i = 1;
	const char *root;

	/* --root DIR before the command: argv[1..] is shifted past it */
	if (argc > 1 && (root = flag_value(argc, argv, &i, "--root", &missing)) != NULL) {
		if (containerv_set_root(root) < 0) {
			fprintf(stderr, "containerv: --root %s: %s\n", root, containerv_last_error());
			return 125;
		}
		argv[i] = argv[0];
		argv += i;
		argc -= i;
	} else if (missing) {
		fprintf(stderr, "containerv: --root needs a value\n");
		return 125;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0)
		return cmd_version();
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc, argv);
	if (strcmp(argv[1], "security") == 0)
		return cmd_security(argc, argv);
	for (size_t v = 0; v < verb_count; v++)
		if (strcmp(argv[1], verbs[v].name) == 0)
			return verbs[v].run(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr,
	        "containerv: unknown command %s (in the Windows build: version, run, ps, inspect, rm, stop, kill, "
	        "wait, "
	        "logs, stats, top, security)\n",
	        argv[1]);
	return 2;
}
