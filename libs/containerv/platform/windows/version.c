/* What the Windows build contains and how each part was tested (containerv version; docs/windows.md). */
#include "platform/windows/windows.h"

const char *cv_win_mechanisms(void)
{
	return "job objects (limits, kill-on-close, accounting): tested under wine; memory and CPU rate limits "
	       "accepted but not enforced by wine: untested here\n"
	       "restricted tokens, low integrity, AppContainer (security levels): untested here\n"
	       "virtual disks (VHDX volumes): untested here\n"
	       "HCS (process-isolated and Hyper-V containers): untested here\n"
	       "not in this build: the state store, images, networks, compose (docs/windows.md)\n";
}
