/*
 * Security: the run/create flags that shape a container's profile
 * (--security-level, --security-profile, --cap-add, --cap-drop,
 * --security-opt, --privileged) and the `security profiles|audit` commands.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "flags.h"
#include "output.h"
#include "security-flags.h"

static void security_deletep(struct containerv_security **security)
{
	containerv_security_delete(*security);
}
#define _cleanup_security_ __attribute__((cleanup(security_deletep)))

static int apply_security_opt(struct containerv_security *security, const char *opt)
{
	const char *equals = strchr(opt, '=');
	const char *colon = strchr(opt, ':');
	/* docker takes both "no-new-privileges:true" and "no-new-privileges=true". */
	const char *separator = equals != NULL ? equals : colon;
	size_t key_length = separator ? (size_t)(separator - opt) : strlen(opt);
	const char *value = separator ? separator + 1 : NULL;

#define KEY_IS(k) (key_length == strlen(k) && strncmp(opt, k, key_length) == 0)
	if (KEY_IS("no-new-privileges")) {
		if (value != NULL && strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return cli_fail(EXIT_CLI_ERROR,
			                "invalid --security-opt %s: no-new-privileges takes true or false", opt);
		return containerv_security_set_no_new_privileges(security, value == NULL || strcmp(value, "true") == 0);
	}
	if (equals == NULL || value[0] == '\0')
		return cli_fail(
		        EXIT_CLI_ERROR,
		        "invalid --security-opt %s: use seccomp=FILE|unconfined, no-new-privileges[=true|false], "
		        "apparmor=PROFILE, label=LABEL, allow-sensitive-bind=PATH or systempaths=unconfined",
		        opt);
	if (KEY_IS("seccomp"))
		return containerv_security_set_seccomp(security, value);
	if (KEY_IS("apparmor"))
		return strcmp(value, "unconfined") == 0 ? 0 : containerv_security_set_apparmor_profile(security, value);
	if (KEY_IS("allow-sensitive-bind")) /* one host path (exactly) that may be bound although sensitive */
		return containerv_security_allow_sensitive_bind(security, value);
	if (KEY_IS("label"))
		return strcmp(value, "disable") == 0 ? 0 : containerv_security_set_selinux_label(security, value);
	if (KEY_IS("systempaths") && strcmp(value, "unconfined") == 0) {
		/* docker's way to unmask /proc and /sys: start from a profile without the path lists. */
		return cli_fail(EXIT_CLI_ERROR,
		                "--security-opt systempaths=unconfined is not supported: use --privileged "
		                "or a security profile file with your own masked_paths");
	}
	return cli_fail(EXIT_CLI_ERROR, "invalid --security-opt %s: unknown option", opt);
#undef KEY_IS
}

/* --userns: auto, host, or CONTAINER:HOST:COUNT for both uids and gids. */
static int apply_userns(const char *userns, struct containerv_security *security, struct containerv_options *options)
{
	unsigned long inside, outside, count;
	char end;

	if (userns == NULL)
		return 0;
	if (strcmp(userns, "auto") == 0)
		return containerv_options_set_userns_auto(options, 1) < 0 ? cli_fail_library(EXIT_CLI_ERROR, "--userns")
		                                                          : 0;
	if (strcmp(userns, "host") == 0) {
		if (containerv_security_level(security) == CV_SECURITY_PARANOID)
			return cli_fail(EXIT_CLI_ERROR, "--userns host: the paranoid level needs a user namespace");
		return 0;
	}
	if (sscanf(userns, "%lu:%lu:%lu%c", &inside, &outside, &count, &end) != 3 || count == 0 ||
	    inside > UINT32_MAX || outside > UINT32_MAX || count > UINT32_MAX)
		return cli_fail(EXIT_CLI_ERROR, "invalid --userns %s: use auto, host or CONTAINER:HOST:COUNT", userns);
	if (containerv_options_set_users(options, (containerv_uid_t)outside, (containerv_uid_t)inside,
	                                 (uint32_t)count) < 0 ||
	    containerv_options_set_groups(options, (containerv_gid_t)outside, (containerv_gid_t)inside,
	                                  (uint32_t)count) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, "--userns %s", userns);
	return 0;
}

int cli_build_security(struct security_flags *flags, struct containerv_options *options)
{
	_cleanup_security_ struct containerv_security *security = NULL;
	enum containerv_security_level level = CV_SECURITY_RESTRICTED;

	if (flags->level != NULL && flags->profile != NULL)
		return cli_fail(EXIT_CLI_ERROR, "--security-level and --security-profile exclude each other (a profile "
		                                "names its level)");
	if (flags->profile != NULL) {
		if (containerv_security_load(flags->profile, &security) < 0)
			return cli_fail_library(EXIT_CLI_ERROR, "--security-profile");
	} else {
		if (flags->level != NULL && containerv_security_level_parse(flags->level, &level) < 0)
			return cli_fail_library(EXIT_CLI_ERROR, "--security-level");
		if (containerv_security_new(level, &security) < 0)
			return cli_fail_library(EXIT_CLI_ERROR, "security");
	}
	/* docker applies the drops first when both name ALL; in order otherwise. */
	for (size_t i = 0; i < flags->cap_drop.count; i++)
		if (containerv_security_drop_capability(security, flags->cap_drop.items[i]) < 0)
			return cli_fail_library(EXIT_CLI_ERROR, "--cap-drop");
	for (size_t i = 0; i < flags->cap_add.count; i++)
		if (containerv_security_add_capability(security, flags->cap_add.items[i]) < 0)
			return cli_fail_library(EXIT_CLI_ERROR, "--cap-add");
	for (size_t i = 0; i < flags->security_opts.count; i++) {
		errno = 0;
		int ret = apply_security_opt(security, flags->security_opts.items[i]);
		if (ret == EXIT_CLI_ERROR)
			return EXIT_CLI_ERROR;
		if (ret < 0)
			return cli_fail_library(EXIT_CLI_ERROR, "--security-opt %s", flags->security_opts.items[i]);
	}
	if (flags->privileged) {
		fprintf(stderr,
		        "containerv: WARNING: --privileged: every capability, every device, no seccomp filter and "
		        "no masked paths; root in this container is root on the host\n");
		containerv_security_set_privileged(security, 1);
	}
	flags->no_network = containerv_security_network_allowed(security) == 0;
	if (apply_userns(flags->userns, security, options) != 0)
		return EXIT_CLI_ERROR;
	if (containerv_options_set_security(options, security) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, "security");
	return 0;
}

/* security profiles */

static int print_profile_row(const char *name, const char *description, void *user)
{
	struct table *table = user;
	const char *cells[] = {name, description};

	table_add(table, cells);
	return 0;
}

static int add_profile_json(const char *name, const char *description, void *user)
{
	json_t *array = user;
	struct containerv_security *security = NULL;
	char *text = NULL;
	json_t *object = NULL;

	if (containerv_security_load(name, &security) == 0 && containerv_security_to_json(security, &text) == 0)
		object = json_loads(text, 0, NULL);
	if (object == NULL)
		object = json_object();
	json_object_set_new(object, "name", json_string(name));
	json_object_set_new(object, "description", json_string(description));
	json_array_append_new(array, object);
	free(text);
	containerv_security_delete(security);
	return 0;
}

static int security_profiles(int argc, char **argv)
{
	static const char *format;
	static const struct flag table_flags[] = {
	        {"format", 0, FLAG_STRING, &format, "string", "json for the full profiles as JSON"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "security profiles",
	        "[OPTIONS]",
	        "List the predefined security profiles",
	        table_flags,
	        false,
	        0,
	        0,
	        NULL,
	};
	static const char *const header[] = {"NAME", "DESCRIPTION"};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (format != NULL && strcmp(format, "json") != 0)
		return cli_fail(EXIT_CLI_ERROR, "invalid --format %s: only json is supported", format);
	if (format != NULL) {
		json_t *array = json_array();
		containerv_security_list_profiles(add_profile_json, array);
		json_print_line(array, stdout);
		json_decref(array);
		return 0;
	}
	struct table table;
	table_init(&table, 2, header);
	containerv_security_list_profiles(print_profile_row, &table);
	table_print(&table, stdout);
	table_free(&table);
	return 0;
}

/* security audit */

static json_t *audit_to_json(const struct containerv_audit *audit, const char *subject)
{
	json_t *findings = json_array();

	for (size_t i = 0; i < containerv_audit_count(audit); i++) {
		struct containerv_finding f;
		containerv_audit_finding(audit, i, &f);
		json_array_append_new(findings, json_pack("{s:s,s:s,s:s,s:s,s:s}", "severity",
		                                          containerv_severity_name(f.severity), "id", f.id, "what",
		                                          f.what, "why", f.why, "fix", f.fix));
	}
	return json_pack("{s:s,s:i,s:o}", "subject", subject, "score", containerv_audit_score(audit), "findings",
	                 findings);
}

static void print_audit(const struct containerv_audit *audit, const char *subject)
{
	printf("%s: score %d/100, %zu finding%s\n", subject, containerv_audit_score(audit),
	       containerv_audit_count(audit), containerv_audit_count(audit) == 1 ? "" : "s");
	for (size_t i = 0; i < containerv_audit_count(audit); i++) {
		struct containerv_finding f;
		containerv_audit_finding(audit, i, &f);
		printf("\n[%s] %s (%s)\n  why: %s\n  fix: %s\n", containerv_severity_name(f.severity), f.what, f.id,
		       f.why, f.fix);
	}
}

static int security_audit(int argc, char **argv)
{
	static const char *format, *profile;
	static const struct flag audit_flags[] = {
	        {"profile", 0, FLAG_STRING, &profile, "NAME|FILE", "Audit a security profile instead of a container"},
	        {"format", 0, FLAG_STRING, &format, "string", "json for machine-readable output"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "security audit",
	        "[OPTIONS] CONTAINER | --profile NAME|FILE",
	        "Score what a container's (or a profile's) configuration lets through",
	        audit_flags,
	        false,
	        0,
	        1,
	        NULL,
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_container_ struct containerv_container *container = NULL;
	_cleanup_security_ struct containerv_security *security = NULL;
	struct containerv_audit *audit = NULL;
	struct arguments positional;
	const char *subject;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (format != NULL && strcmp(format, "json") != 0)
		return cli_fail(EXIT_CLI_ERROR, "invalid --format %s: only json is supported", format);
	if ((profile != NULL) == (positional.count == 1))
		return cli_fail(EXIT_CLI_ERROR, "give a CONTAINER or --profile NAME|FILE (one of them)");
	if (profile != NULL) {
		subject = profile;
		if (containerv_security_load(profile, &security) < 0 || containerv_security_audit(security, &audit) < 0)
			return cli_fail_library(EXIT_CLI_ERROR, "audit");
	} else {
		subject = positional.items[0];
		if (cli_open(positional.items[0], &container) < 0)
			return EXIT_CLI_ERROR;
		if (containerv_audit_container(container, &audit) < 0)
			return cli_fail_library(EXIT_CLI_ERROR, "audit");
	}
	if (format != NULL) {
		json_t *object = audit_to_json(audit, subject);
		json_print_line(object, stdout);
		json_decref(object);
	} else {
		print_audit(audit, subject);
	}
	containerv_audit_delete(audit);
	return 0;
}

int cmd_security(int argc, char **argv)
{
	static const struct subcommand commands[] = {
	        {"audit", security_audit, "Score a container's or a profile's configuration"},
	        {"profiles", security_profiles, "List the predefined security profiles"},
	};

	return subcommand_dispatch("security", "Security profiles and audits", commands,
	                           sizeof commands / sizeof commands[0], argc, argv);
}
