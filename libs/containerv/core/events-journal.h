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

/* The same for another type ("network", "volume", "image") in the current context. */
void cv_journal_other(const char *type, const char *action, const char *id, const char *const *attributes);

#endif
