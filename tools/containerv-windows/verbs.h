/* containerv.exe's verbs over the state store (verbs.c) and what main.c shares with them. */
#ifndef CONTAINERV_WINDOWS_VERBS_H
#define CONTAINERV_WINDOWS_VERBS_H

#include <chef/containerv.h>

/* "--flag VALUE" or "--flag=VALUE" at argv[*i]: the value, or NULL (not this flag; *missing set when it has none). */
const char *flag_value(int argc, char **argv, int *i, const char *flag, int *missing);

/* run -d: a container of the state store, started; prints its id. Docker's exit codes. */
int run_detached(const char *rootfs, const char *name, int autoremove, const struct containerv_limits *limits,
                 enum containerv_security_level level, const char *const *command);

/* A verb: argv[0] is its name. */
struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
};
extern const struct verb verbs[];
extern const size_t verb_count;

#endif
