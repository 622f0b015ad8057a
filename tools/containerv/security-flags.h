/*
 * The security flags of run and create, parsed by run.c's flag table and
 * turned into a profile by security.c.
 */
#ifndef CV_CLI_SECURITY_FLAGS_H
#define CV_CLI_SECURITY_FLAGS_H

#include "flags.h"

struct containerv_options;

struct security_flags {
	const char *level;   /* --security-level */
	const char *profile; /* --security-profile NAME|FILE */
	const char *userns;  /* --userns auto|host|CONTAINER:HOST:COUNT */
	struct string_list cap_add, cap_drop, security_opts;
	int privileged;
	int no_network; /* out: the profile allows loopback only (paranoid): the default network becomes none */
};

/* The flags' profile on the options; 0, or 125 after printing the error. */
int cli_build_security(struct security_flags *flags, struct containerv_options *options);

#endif
