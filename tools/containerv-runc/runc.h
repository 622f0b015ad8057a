/*
 * containerv-runc: what the verbs share. Each verb parses its own flags and
 * makes library calls; errors are one line on stderr (and in --log).
 */
#ifndef CV_RUNC_H
#define CV_RUNC_H

#include <stdbool.h>

#include <jansson.h>

#include <chef/containerv.h>

/* The label that keeps a container's bundle directory (for state). */
#define RUNC_BUNDLE_LABEL "org.opencontainers.bundle="
/* The label that keeps process.rlimits ("RESOURCE:SOFT:HARD,..."): exec gives them to its processes too. */
#define RUNC_RLIMITS_LABEL "org.containerv.runc.rlimits="

/* The label that keeps config.json's hooks and annotations ({"hooks": ..., "annotations": ...}, compact JSON). */
#define RUNC_HOOKS_LABEL "org.containerv.runc.hooks="

/* hooks.c: *label the RUNC_HOOKS_LABEL of config (NULL when it has neither hooks nor annotations); 0 or 1. */
int runc_hooks_label(json_t *config, char **label);
/* The hooks and annotations kept with container (a new reference, NULL when none). */
json_t *runc_hooks_of(struct containerv_container *container);
/*
 * Runs kept's hooks of phase in order, each with state on stdin. fatal: the first
 * failure is an error (returns 1); else each failure is a warning and 0 is returned.
 */
int runc_hooks_run(json_t *kept, const char *phase, json_t *state, bool fatal);
/* The OCI state of a container (a new reference). */
json_t *runc_state_json(struct containerv_container *container, const struct containerv_info *info);

/* Flags of one verb: "--name VALUE"/"--name=VALUE"/"-name VALUE" or boolean "--name"; the rest positional. */
struct flag {
	const char *name;
	bool takes_value;
	const char **value; /* takes_value */
	bool *set;          /* boolean */
};

/* Parses argv[1..] against flags (ended by a NULL name); at most max_positional other arguments. Returns 0 or 1. */
int runc_parse_flags(int argc, char **argv, struct flag *flags, char **positional, int max_positional,
                     int *positional_count);

/* Prints "containerv-runc: MESSAGE" (and logs it); returns 1. */
int runc_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* runc_error with the library's last error appended: "WHAT: last error". */
int runc_library_error(const char *what);
/* A debug line to the log (--debug only). */
void runc_debug(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Opens the container whose OCI id is exactly id (the container's name), never a prefix. */
int runc_open(const char *id, struct containerv_container **container);
/* "creating", "created", "running", "paused" or "stopped", as OCI names them. */
const char *runc_status(const struct containerv_info *info);
/* Writes pid to path through a temporary file and a rename, as runc does. */
int runc_write_pid_file(const char *path, long pid);
/* Sends fd over the unix socket at path (SCM_RIGHTS): the console socket protocol. */
int runc_send_console(const char *socket_path, int fd);
/* Applies process's rlimits and oomScoreAdj to this process (the container's init inherits them). */
int runc_apply_process(const struct containerv_oci_process *process);
/* process's rlimits as the RUNC_RLIMITS_LABEL label, and back (the count of entries read into process). */
void runc_rlimits_label(const struct containerv_oci_process *process, char *buffer, size_t size);
int runc_rlimits_from_labels(struct containerv_container *container, struct containerv_oci_process *process);
/* A signal by name ("KILL", "SIGKILL") or number; -1 when unknown. */
int runc_signal_number(const char *text);

int runc_create(int argc, char **argv);
int runc_run(int argc, char **argv);
int runc_start(int argc, char **argv);
int runc_state(int argc, char **argv);
int runc_kill(int argc, char **argv);
int runc_delete(int argc, char **argv);
int runc_exec(int argc, char **argv);
int runc_ps(int argc, char **argv);
int runc_list(int argc, char **argv);
int runc_pause(int argc, char **argv);
int runc_resume(int argc, char **argv);
int runc_features(int argc, char **argv);
int runc_spec(int argc, char **argv);
int runc_update(int argc, char **argv);
int runc_events(int argc, char **argv);
/* A verb containerv-runc does not implement (checkpoint, restore): one line, exit 1. */
int runc_unsupported(int argc, char **argv);

#endif
