/*
 * The containerv CLI: what every command file shares.
 *
 * The CLI is a thin client of the public API (chef/containerv.h): it parses
 * docker-style flags into plain values, validates them all, and only then
 * calls the library. Exit codes follow docker's: 125 for a CLI or library
 * error, 126 when the command cannot be executed, 127 when it is not found,
 * 1 for a failure on one of several containers, and otherwise the exit code
 * of the container's (or exec'd) process.
 */
#ifndef CV_CLI_H
#define CV_CLI_H

#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <chef/containerv.h>

#define EXIT_CLI_ERROR 125
#define EXIT_CANNOT_EXECUTE 126
#define EXIT_COMMAND_NOT_FOUND 127
#define EXIT_CONTAINER_FAILURE 1

/* Cleanup helpers, crun-style: the variable is released when it leaves scope. */
void cli_freep(void *pointer);
void cli_closep(int *fd);
void cli_container_closep(struct containerv_container **container);
void cli_options_deletep(struct containerv_options **options);

#define _cleanup_free_ __attribute__((cleanup(cli_freep)))
#define _cleanup_close_ __attribute__((cleanup(cli_closep)))
#define _cleanup_container_ __attribute__((cleanup(cli_container_closep)))
#define _cleanup_options_ __attribute__((cleanup(cli_options_deletep)))

/* Moves ownership out of a cleanup variable. */
#define steal_pointer(pp)                                                                                              \
	({                                                                                                             \
		__typeof__(*(pp)) stolen_ = *(pp);                                                                     \
		*(pp) = NULL;                                                                                          \
		stolen_;                                                                                               \
	})

/* Commands, one per docker verb; argv[0] is the command's name. Each returns the process exit code. */
int cmd_run(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_volume(int argc, char **argv);
int cmd_security(int argc, char **argv);
int cmd_network(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_system(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_pool(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_compose(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_container(int argc, char **argv);
int cmd_container_prune(int argc, char **argv);
int cmd_system_prune(int argc, char **argv);
/* volume.c: volume prune's removal and listing, for system prune --volumes too. */
int volume_prune_unused(uint64_t *reclaimed);
int cmd_lb(int argc, char **argv);
/* run.c: run --pool NAME [COMMAND...] (the flags are run's, already parsed). */
struct arguments;
int cli_run_pool(const char *pool, const struct arguments *positional);
/* run.c: pool create's template from run's flags; -1 with *options set, or the exit code. */
int cli_pool_template(int argc, char **argv, struct containerv_options **options);
/* pool-cli.c: starts the pool's keeper (a daemon process) unless one runs; 0, or -1 after the error line. */
int cli_pool_ensure_keeper(const char *pool);

/* Allocation that cannot fail: a CLI out of memory has nothing better to do than stop. */
void *xmalloc(size_t size);
void *xrealloc(void *pointer, size_t size);
char *xstrdup(const char *text);

/*
 * Opens a container by name, id or unique id prefix; on failure prints
 * "containerv: <reason>" and returns -1.
 */
int cli_open(const char *reference, struct containerv_container **container);

/*
 * The exit code docker uses for the library call that just failed to start a
 * process: 127 when the command was not found, 126 when it could not be
 * executed (CONTAINERV_E_EXEC, errno telling which), else 125.
 */
int cli_exec_exit_code(void);
/* The state as docker names it: a held container (set up, command not executed) is "created" to docker. */
const char *cli_state_name(enum containerv_state state);
/* Like cli_state_name, with docker's "paused" for a running container that is paused. */
const char *cli_info_state_name(const struct containerv_info *info);
/* Whether our stdout and stderr are one file (2>&1): a process then gets one pipe for both, in order (run.c). */
bool cli_stderr_is_stdout(void);

/*
 * Copies the container's log from offset to stdout; with follow, keeps
 * reading as it grows until the container is no longer running and all of
 * it has been read. Returns 0, or -1 after printing an error.
 */
struct containerv_logs_options;
/* logs.c: a container's log replayed to our stdout and stderr (timestamps: each line prefixed with its time). */
int logs_copy(struct containerv_container *container, const struct containerv_logs_options *options, bool timestamps);

/*
 * containerv_get_strings() when the library has it; -1 with ENOSYS when it
 * does not yet. Free the vector with cli_strings_free().
 */
int cli_get_strings(struct containerv_container *container, enum containerv_strings which, char ***strings);
void cli_strings_free(char **strings);

/* Parses a signal given as a name ("KILL", "SIGTERM", "sigint") or a number; -1 when invalid. */
int cli_parse_signal(const char *text);

/* Parses a non-negative decimal integer that fits in an int64_t; -1 when invalid. */
int cli_parse_int64(const char *text, int64_t *value);

#endif
