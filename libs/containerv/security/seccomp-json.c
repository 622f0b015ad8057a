/*
 * docker/moby and OCI seccomp profiles (JSON) into the profile model. Both
 * formats share their core: defaultAction, defaultErrnoRet, architectures
 * (or docker's archMap), and syscalls[] with names, action, errnoRet, args
 * and docker's includes/excludes (caps, arches, minKernel). The file is
 * hostile input: every field is type-checked, unknown actions, operators and
 * architectures are refused, and sizes are bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "security/security-internal.h"

#define MAX_RULES 4096
#define MAX_NAMES 4096

static const struct {
	const char *name;
	enum cv_seccomp_action action;
} actions[] = {
        {"SCMP_ACT_ALLOW", CV_SECCOMP_ALLOW},
        {"SCMP_ACT_ERRNO", CV_SECCOMP_ERRNO},
        {"SCMP_ACT_KILL", CV_SECCOMP_KILL_THREAD},
        {"SCMP_ACT_KILL_THREAD", CV_SECCOMP_KILL_THREAD},
        {"SCMP_ACT_KILL_PROCESS", CV_SECCOMP_KILL_PROCESS},
        {"SCMP_ACT_TRAP", CV_SECCOMP_TRAP},
        {"SCMP_ACT_LOG", CV_SECCOMP_LOG},
        {"SCMP_ACT_TRACE", CV_SECCOMP_TRACE},
        {"SCMP_ACT_NOTIFY", CV_SECCOMP_NOTIFY},
};

static const struct {
	const char *name;
	enum cv_seccomp_op op;
} operators[] = {
        {"SCMP_CMP_NE", CV_SECCOMP_OP_NE},
        {"SCMP_CMP_LT", CV_SECCOMP_OP_LT},
        {"SCMP_CMP_LE", CV_SECCOMP_OP_LE},
        {"SCMP_CMP_EQ", CV_SECCOMP_OP_EQ},
        {"SCMP_CMP_GE", CV_SECCOMP_OP_GE},
        {"SCMP_CMP_GT", CV_SECCOMP_OP_GT},
        {"SCMP_CMP_MASKED_EQ", CV_SECCOMP_OP_MASKED_EQ},
};

static const struct {
	const char *name;
	unsigned int arch;
} architectures[] = {
        {"SCMP_ARCH_X86_64", CV_ARCH_X86_64},   {"SCMP_ARCH_X86", CV_ARCH_X86}, {"SCMP_ARCH_X32", CV_ARCH_X32},
        {"SCMP_ARCH_AARCH64", CV_ARCH_AARCH64}, {"SCMP_ARCH_ARM", CV_ARCH_ARM},
};

/* Architectures we cannot filter for (mips, ppc, s390, riscv ...) are known but ignored, as they never run here. */
static const char *const foreign_architectures[] = {
        "SCMP_ARCH_MIPS",
        "SCMP_ARCH_MIPS64",
        "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL",
        "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32",
        "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64",
        "SCMP_ARCH_PPC64LE",
        "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X",
        "SCMP_ARCH_PARISC",
        "SCMP_ARCH_PARISC64",
        "SCMP_ARCH_RISCV64",
        "SCMP_ARCH_LOONGARCH64",
        "SCMP_ARCH_M68K",
        "SCMP_ARCH_SH",
        "SCMP_ARCH_SHEB",
        NULL,
};

static int parse_action(json_t *value, const char *where, enum cv_seccomp_action *action)
{
	const char *name = json_string_value(value);

	for (size_t i = 0; name != NULL && i < sizeof actions / sizeof actions[0]; i++) {
		if (strcmp(actions[i].name, name) == 0) {
			if (actions[i].action == CV_SECCOMP_NOTIFY)
				return cv_error_errno(ENOTSUP,
				                      "%s: SCMP_ACT_NOTIFY needs a listener, which containerv has not",
				                      where);
			*action = actions[i].action;
			return 0;
		}
	}
	return cv_error_errno(EINVAL, "%s: unknown action \"%s\"", where, name ? name : "(not a string)");
}

/* An architecture name: *arch 0 for a foreign one we skip; -1 for a name nobody knows. */
static int parse_arch(const char *name, unsigned int *arch)
{
	*arch = 0;
	for (size_t i = 0; name != NULL && i < sizeof architectures / sizeof architectures[0]; i++)
		if (strcmp(architectures[i].name, name) == 0) {
			*arch = architectures[i].arch;
			return 0;
		}
	for (size_t i = 0; name != NULL && foreign_architectures[i] != NULL; i++)
		if (strcmp(foreign_architectures[i], name) == 0)
			return 0;
	return cv_error_errno(EINVAL, "unknown architecture \"%s\"", name ? name : "(not a string)");
}

static int parse_arch_list(json_t *list, const char *where, unsigned int *arches)
{
	size_t i;
	json_t *value;

	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return cv_error_errno(EINVAL, "%s: must be a list", where);
	json_array_foreach(list, i, value)
	{
		unsigned int arch;
		if (parse_arch(json_string_value(value), &arch) < 0)
			return cv_error_prefix("%s", where);
		*arches |= arch;
	}
	return 0;
}

static int parse_caps(json_t *list, const char *where, uint64_t *caps)
{
	size_t i;
	json_t *value;

	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return cv_error_errno(EINVAL, "%s: must be a list", where);
	json_array_foreach(list, i, value)
	{
		int number = cv_capability_number(json_string_value(value));
		if (number < 0)
			return cv_error_errno(EINVAL, "%s: unknown capability \"%s\"", where,
			                      json_string_value(value) ? json_string_value(value) : "(not a string)");
		*caps |= CV_CAP_BIT(number);
	}
	return 0;
}

/* docker's archMap: the native architecture's entry and its sub-architectures. */
static int parse_arch_map(json_t *map, unsigned int *arches)
{
	size_t i;
	json_t *entry;

	if (!json_is_array(map))
		return cv_error_errno(EINVAL, "archMap: must be a list");
	json_array_foreach(map, i, entry)
	{
		unsigned int arch;
		if (parse_arch(json_string_value(json_object_get(entry, "architecture")), &arch) < 0)
			return cv_error_prefix("archMap");
		*arches |= arch;
		if (arch != 0 && parse_arch_list(json_object_get(entry, "subArchitectures"), "archMap", arches) < 0)
			return -1;
	}
	return 0;
}

static int parse_args(json_t *list, struct cv_seccomp_rule *rule, const char *where)
{
	size_t i;
	json_t *arg;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list) || json_array_size(list) > 6)
		return cv_error_errno(EINVAL, "%s: args must be a list of at most 6", where);
	json_array_foreach(list, i, arg)
	{
		json_t *index = json_object_get(arg, "index"), *value = json_object_get(arg, "value");
		json_t *value_two = json_object_get(arg, "valueTwo");
		const char *op = json_string_value(json_object_get(arg, "op"));
		struct cv_seccomp_arg *out = &rule->args[rule->arg_count];
		size_t k = 0;

		if (!json_is_integer(index) || json_integer_value(index) < 0 || json_integer_value(index) > 5 ||
		    !json_is_integer(value) || (value_two != NULL && !json_is_integer(value_two)))
			return cv_error_errno(EINVAL, "%s: an argument needs index 0-5 and integer values", where);
		while (k < sizeof operators / sizeof operators[0] && (op == NULL || strcmp(operators[k].name, op) != 0))
			k++;
		if (k == sizeof operators / sizeof operators[0])
			return cv_error_errno(EINVAL, "%s: unknown operator \"%s\"", where, op ? op : "(none)");
		out->index = (unsigned int)json_integer_value(index);
		out->value = (uint64_t)json_integer_value(value);
		out->value_two = value_two ? (uint64_t)json_integer_value(value_two) : 0;
		out->op = operators[k].op;
		rule->arg_count++;
	}
	return 0;
}

/* "minKernel": "4.8" and the like: true when the running kernel is at least that. */
static bool kernel_at_least(const char *version)
{
	static int running_major = -1, running_minor;
	int major = 0, minor = 0;

	if (version == NULL || sscanf(version, "%d.%d", &major, &minor) < 1)
		return false;
	if (running_major < 0) {
		char release[65] = "";
		FILE *file = fopen("/proc/sys/kernel/osrelease", "re");
		if (file != NULL) {
			if (fgets(release, sizeof release, file) == NULL)
				release[0] = '\0';
			fclose(file);
		}
		if (sscanf(release, "%d.%d", &running_major, &running_minor) < 2)
			running_major = running_minor = 0;
	}
	return running_major > major || (running_major == major && running_minor >= minor);
}

static int parse_filter(json_t *object, const char *where, uint64_t *caps, unsigned int *arches, bool *kernel_ok,
                        bool including)
{
	json_t *min_kernel;

	if (object == NULL)
		return 0;
	if (!json_is_object(object))
		return cv_error_errno(EINVAL, "%s: must be an object", where);
	if (parse_caps(json_object_get(object, "caps"), where, caps) < 0 ||
	    parse_arch_list(json_object_get(object, "arches"), where, arches) < 0)
		return -1;
	min_kernel = json_object_get(object, "minKernel");
	if (min_kernel != NULL) {
		bool at_least = kernel_at_least(json_string_value(min_kernel));
		*kernel_ok = including ? at_least : !at_least;
	}
	return 0;
}

static int parse_names(json_t *entry, struct cv_seccomp_rule *rule, const char *where)
{
	json_t *names = json_object_get(entry, "names"), *name = json_object_get(entry, "name");
	size_t i;
	json_t *value;

	rule->names = cv_malloc0(sizeof *rule->names);
	if (rule->names == NULL)
		return -1;
	if (json_is_string(name) && cv_strv_append(&rule->names, json_string_value(name)) < 0)
		return -1;
	if (names != NULL && (!json_is_array(names) || json_array_size(names) > MAX_NAMES))
		return cv_error_errno(EINVAL, "%s: names must be a list", where);
	json_array_foreach(names, i, value)
	{
		const char *text = json_string_value(value);
		if (text == NULL || text[0] == '\0' || strlen(text) > 64)
			return cv_error_errno(EINVAL, "%s: a syscall name must be a short string", where);
		if (cv_strv_append(&rule->names, text) < 0)
			return -1;
	}
	if (rule->names[0] == NULL)
		return cv_error_errno(EINVAL, "%s: no syscall names", where);
	return 0;
}

static int parse_rule(json_t *entry, size_t index, struct cv_seccomp_rule *rule, bool *applies)
{
	char where[48];
	json_t *errno_ret = json_object_get(entry, "errnoRet");
	bool kernel_ok = true;
	unsigned int excluded_arches = 0;

	snprintf(where, sizeof where, "syscalls[%zu]", index);
	memset(rule, 0, sizeof *rule);
	if (!json_is_object(entry))
		return cv_error_errno(EINVAL, "%s: must be an object", where);
	if (parse_names(entry, rule, where) < 0 ||
	    parse_action(json_object_get(entry, "action"), where, &rule->action) < 0 ||
	    parse_args(json_object_get(entry, "args"), rule, where) < 0 ||
	    parse_filter(json_object_get(entry, "includes"), where, &rule->caps_all, &rule->arches, &kernel_ok, true) <
	            0 ||
	    parse_filter(json_object_get(entry, "excludes"), where, &rule->caps_none, &excluded_arches, &kernel_ok,
	                 false) < 0)
		return -1;
	rule->not_arches = excluded_arches;
	if (errno_ret != NULL) {
		if (!json_is_integer(errno_ret) || json_integer_value(errno_ret) < 0 ||
		    json_integer_value(errno_ret) > 4095)
			return cv_error_errno(EINVAL, "%s: errnoRet must be 0-4095", where);
		rule->errno_ret = (int)json_integer_value(errno_ret);
		rule->has_errno = true;
	}
	*applies = kernel_ok;
	return 0;
}

static int parse_syscalls(json_t *syscalls, struct cv_seccomp_profile *p)
{
	size_t i;
	json_t *entry;

	if (syscalls == NULL || json_is_null(syscalls))
		return 0;
	if (!json_is_array(syscalls) || json_array_size(syscalls) > MAX_RULES)
		return cv_error_errno(EINVAL, "syscalls: must be a list of at most %d", MAX_RULES);
	p->rules = cv_malloc0((json_array_size(syscalls) + 1) * sizeof *p->rules);
	if (p->rules == NULL)
		return -1;
	json_array_foreach(syscalls, i, entry)
	{
		struct cv_seccomp_rule *rule = &p->rules[p->rule_count];
		bool applies = true;

		if (parse_rule(entry, i, rule, &applies) < 0) {
			cv_strv_free(rule->names);
			rule->names = NULL;
			return -1;
		}
		if (!applies) {
			cv_strv_free(rule->names);
			memset(rule, 0, sizeof *rule);
			continue;
		}
		p->rule_count++;
	}
	return 0;
}

int cv_seccomp_profile_parse(const char *text, struct cv_seccomp_profile *p)
{
	json_error_t error;
	json_t *root, *default_errno, *arch_map;
	int ret = -1;

	memset(p, 0, sizeof *p);
	root = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, &error);
	if (root == NULL)
		return cv_error_errno(EINVAL, "line %d: %s", error.line, error.text);
	if (!json_is_object(root)) {
		cv_error_errno(EINVAL, "not a JSON object");
		goto done;
	}
	if (parse_action(json_object_get(root, "defaultAction"), "defaultAction", &p->default_action) < 0)
		goto done;
	p->default_errno = EPERM;
	default_errno = json_object_get(root, "defaultErrnoRet");
	if (default_errno != NULL) {
		if (!json_is_integer(default_errno) || json_integer_value(default_errno) < 0 ||
		    json_integer_value(default_errno) > 4095) {
			cv_error_errno(EINVAL, "defaultErrnoRet must be 0-4095");
			goto done;
		}
		p->default_errno = (int)json_integer_value(default_errno);
	}
	arch_map = json_object_get(root, "archMap");
	if (parse_arch_list(json_object_get(root, "architectures"), "architectures", &p->arches) < 0 ||
	    (arch_map != NULL && !json_is_null(arch_map) && parse_arch_map(arch_map, &p->arches) < 0) ||
	    parse_syscalls(json_object_get(root, "syscalls"), p) < 0)
		goto done;
	/* A deny-by-default profile, like docker's: calls newer than it should look absent, not forbidden. */
	p->unknown_enosys = p->default_action != CV_SECCOMP_ALLOW && p->default_action != CV_SECCOMP_LOG;
	ret = 0;
done:
	json_decref(root);
	if (ret < 0)
		cv_seccomp_profile_clear(p);
	return ret;
}
