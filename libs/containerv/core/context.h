/*
 * Internal: the context a container operation acts in (its state root).
 *
 * Every handle belongs to one context; the state store (core/store.c) takes
 * it explicitly. Lower layers (image/, network/, the backend's volume and
 * user-namespace stores) reach the root through the public containerv_root(),
 * which answers for the context of the public call under way on this thread
 * (CV_CONTEXT_SCOPE), else for the default context: the process-wide one
 * containerv_set_root() and $CONTAINERV_ROOT configure, which every
 * context-less public function acts in.
 */
#ifndef CV_CORE_CONTEXT_H
#define CV_CORE_CONTEXT_H

#include <limits.h>
#include <stdbool.h>

#include <chef/containerv.h>

#include "common/error.h"

struct containerv_context {
	char root[PATH_MAX];              /* absolute; "" in the default context until first use */
	struct cv_log_target log;         /* callback NULL: the process-wide one (containerv_set_log) */
	struct cv_context_events *events; /* containerv_context_subscribe (core/context-events.c) */
	bool is_default;
};

/* Ends a context's subscription: its handles closed, its watch closed. NULL is allowed. */
void cv_context_events_free(struct cv_context_events *events);

/* The process-wide context of the root-less API. */
struct containerv_context *cv_context_default(void);

/* The context of the public call under way on this thread, else the default one. Never NULL. */
struct containerv_context *cv_context_current(void);

/* The context's state root (the default one resolved on first use). Never NULL. */
const char *cv_context_root(struct containerv_context *context);

/* context NULL: the current one. */
static inline struct containerv_context *cv_context_or_current(struct containerv_context *context)
{
	return context != NULL ? context : cv_context_current();
}

/*
 * Makes context the current one, its log callback the thread's too; returns
 * the one it replaces (for cv_context_leave).
 */
struct containerv_context *cv_context_enter(struct containerv_context *context);
void cv_context_leave(struct containerv_context **previous);

/*
 * Acts in context until the end of the enclosing block: what the call reaches
 * below core (networks, volumes, images, id leases) uses that context's root.
 * Nests (a public function calling another restores the outer one).
 */
#define CV_CONTEXT_SCOPE(context)                                                                                      \
	struct containerv_context *cv_context_previous_ __attribute__((cleanup(cv_context_leave), unused)) =           \
	        cv_context_enter(context)

#endif
