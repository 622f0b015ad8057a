/*
 * Internal: the events journal of a state root (core/events-journal.c).
 */
#ifndef CV_CORE_EVENTS_JOURNAL_H
#define CV_CORE_EVENTS_JOURNAL_H

#include "core/container.h"

/* <root>/events.log, and its one rotated predecessor events.log.1. */
#define CV_JOURNAL_FILE "events.log"
#define CV_JOURNAL_ROTATED "events.log.1"
/* Rotated past this size: the two files hold at most twice as much. */
#define CV_JOURNAL_MAX_BYTES (1024 * 1024)

/*
 * Records a container's event (docker's types: "create", "start", "die", ...)
 * with its name, image and labels, and extra ("key=value", NULL-terminated,
 * may be NULL). Never fails its caller: the state change it reports has
 * happened; a journal that cannot be written is reported through the log.
 */
void cv_journal_container(struct containerv_container *container, const char *action, const char *const *extra);
/* (A "start" is preceded by a volume "mount" per named volume of the container, a "die" followed by "unmount"s.) */

/*
 * An exec's event on its container (docker's): "exec_create: CMD ARGS", "exec_start: CMD ARGS" with
 * execID, "exec_die" with execID and exitCode (exit_code is read for exec_die only).
 */
void cv_journal_exec(struct containerv_container *container, const char *action, const char *exec_id, int exit_code);

/* Other types ("network", "volume", "image"): cv_journal_note (common/util.h). */

#endif
