/*
 * cv_journal_note: an event of the layers below core (networks, images) into the current context's
 * events journal, through the public containerv_journal_append (core/events-journal.c). The state
 * change it reports has happened: the caller's error state is kept, and a journal that cannot be
 * written is a warning in the log.
 */
#include <chef/containerv/supervise.h>

#include "common/error.h"
#include "common/util.h"

void cv_journal_note(const char *type, const char *action, const char *id, const char *const *attributes)
{
	struct cv_error_saved saved;

	cv_error_save(&saved);
	if (containerv_journal_append(NULL, type, action, id, attributes) < 0)
		cv_log(CONTAINERV_LOG_WARNING, "%s", containerv_last_error());
	cv_error_restore(&saved);
}
