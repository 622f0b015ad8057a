/* A Windows command line from an argument vector (the rules CommandLineToArgvW and the C runtime
 * read back: quotes around arguments with spaces, tabs or quotes; backslashes doubled before a
 * quote). */
#ifndef CONTAINERV_WINDOWS_QUOTE_H
#define CONTAINERV_WINDOWS_QUOTE_H

#include "platform/windows/windows.h"

/* A fresh string, NULL when out of memory. (In the DLL: its start of a container and containerv.exe share it.) */
CV_WIN_API char *cv_windows_command_line(const char *const *argv);

#endif
