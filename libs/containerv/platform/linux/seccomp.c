/*
 * seccomp: the profile model compiled to a BPF program with libseccomp, in
 * the parent before the clone (the child loads it with one raw system call
 * and allocates nothing).
 *
 * Compiling docker's default profile costs ~10 ms with libseccomp (more than
 * a whole container start), so compiled programs are cached under
 * <root>/cache/seccomp/. The key is the text of the rules as they apply to
 * this container (after the capability and architecture conditions) plus
 * libseccomp's version, so a changed profile, capability set or library
 * never reuses a stale program; a hit costs no libseccomp call at all.
 *
 * Calls newer than the profile return ENOSYS: a few instructions put before
 * libseccomp's program check the native architecture and a syscall number
 * above the highest one the profile names (what runc does too), so glibc's
 * fallbacks (clone3 -> clone, faccessat2 -> faccessat, ...) keep working.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/lazy.h"
#include "common/util.h"
#include "platform/linux/security-linux.h"
#include "security/security-internal.h"

#if defined(__x86_64__)
#define NATIVE_ARCH CV_ARCH_X86_64
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#define NATIVE_COMPAT_ARCHES (CV_ARCH_X86 | CV_ARCH_X32)
#elif defined(__aarch64__)
#define NATIVE_ARCH CV_ARCH_AARCH64
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#define NATIVE_COMPAT_ARCHES CV_ARCH_ARM
#else
#error "containerv's seccomp support knows x86_64 and aarch64"
#endif

/* x32 system calls are x86_64's numbers with this bit set; libseccomp's program handles them. */
#define X32_SYSCALL_BIT 0x40000000u

/* A growing text buffer for the cache key. */
struct key_text {
	char *data;
	size_t length, capacity;
	bool failed;
};

static void key_append(struct key_text *key, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void key_append(struct key_text *key, const char *format, ...)
{
	va_list args;
	char piece[256];
	int n;

	va_start(args, format);
	n = vsnprintf(piece, sizeof piece, format, args);
	va_end(args);
	if (key->failed || n < 0)
		return;
	if (key->length + (size_t)n + 1 > key->capacity) {
		size_t capacity = (key->capacity + (size_t)n + 1) * 2;
		char *grown = realloc(key->data, capacity);
		if (grown == NULL) {
			key->failed = true;
			return;
		}
		key->data = grown;
		key->capacity = capacity;
	}
	memcpy(key->data + key->length, piece, (size_t)n + 1);
	key->length += (size_t)n;
}

static uint32_t libseccomp_action(enum cv_seccomp_action action, int errno_value)
{
	switch (action) {
	case CV_SECCOMP_ALLOW:
		return SCMP_ACT_ALLOW;
	case CV_SECCOMP_ERRNO:
		return SCMP_ACT_ERRNO((uint16_t)errno_value);
	case CV_SECCOMP_KILL_THREAD:
		return SCMP_ACT_KILL;
	case CV_SECCOMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case CV_SECCOMP_TRAP:
		return SCMP_ACT_TRAP;
	case CV_SECCOMP_LOG:
		return SCMP_ACT_LOG;
	case CV_SECCOMP_TRACE:
		return SCMP_ACT_TRACE((uint16_t)errno_value);
	case CV_SECCOMP_NOTIFY:
		break;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static enum scmp_compare libseccomp_operator(enum cv_seccomp_op op)
{
	static const enum scmp_compare table[] = {
	        [CV_SECCOMP_OP_NE] = SCMP_CMP_NE,
	        [CV_SECCOMP_OP_LT] = SCMP_CMP_LT,
	        [CV_SECCOMP_OP_LE] = SCMP_CMP_LE,
	        [CV_SECCOMP_OP_EQ] = SCMP_CMP_EQ,
	        [CV_SECCOMP_OP_GE] = SCMP_CMP_GE,
	        [CV_SECCOMP_OP_GT] = SCMP_CMP_GT,
	        [CV_SECCOMP_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
	};
	return table[op];
}

static uint32_t libseccomp_arch(unsigned int arch)
{
	switch (arch) {
	case CV_ARCH_X86_64:
		return SCMP_ARCH_X86_64;
	case CV_ARCH_X86:
		return SCMP_ARCH_X86;
	case CV_ARCH_X32:
		return SCMP_ARCH_X32;
	case CV_ARCH_AARCH64:
		return SCMP_ARCH_AARCH64;
	case CV_ARCH_ARM:
		return SCMP_ARCH_ARM;
	}
	return 0;
}

static bool rule_applies(const struct cv_seccomp_rule *rule, uint64_t capabilities)
{
	if ((rule->caps_all & capabilities) != rule->caps_all || (rule->caps_none & capabilities) != 0)
		return false;
	if (rule->arches != 0 && !(rule->arches & NATIVE_ARCH))
		return false;
	return !(rule->not_arches & NATIVE_ARCH);
}

/* Same-index conditions are alternatives (docker's reading), distinct ones all must hold. */
static bool args_are_alternatives(const struct cv_seccomp_rule *rule)
{
	for (unsigned int i = 0; i < rule->arg_count; i++)
		for (unsigned int j = i + 1; j < rule->arg_count; j++)
			if (rule->args[i].index == rule->args[j].index)
				return true;
	return false;
}

static int add_syscall(scmp_filter_ctx ctx, uint32_t action, int number, const struct scmp_arg_cmp *cmp,
                       unsigned int count, const char *name)
{
	int rc = seccomp_rule_add_array(ctx, action, number, count, cmp);

	/* EACCES: the action is the default one; EEXIST: an earlier rule already covers the call. */
	if (rc == 0 || rc == -EACCES || rc == -EEXIST)
		return 0;
	return cv_error_errno(-rc, "seccomp: cannot add a rule for %s", name);
}

/* The rule as text, names unresolved: what the cache key is made of (resolving names costs more than compiling). */
static void describe_rule(struct key_text *key, const struct cv_seccomp_profile *profile,
                          const struct cv_seccomp_rule *rule)
{
	key_append(key, "%d %d", (int)rule->action, rule->has_errno ? rule->errno_ret : profile->default_errno);
	for (unsigned int i = 0; i < rule->arg_count; i++)
		key_append(key, " %u:%d:%llu:%llu", rule->args[i].index, (int)rule->args[i].op,
		           (unsigned long long)rule->args[i].value, (unsigned long long)rule->args[i].value_two);
	for (size_t n = 0; rule->names[n] != NULL; n++)
		key_append(key, " %s", rule->names[n]);
	key_append(key, "\n");
}

static int add_rule(scmp_filter_ctx ctx, const struct cv_seccomp_profile *profile, const struct cv_seccomp_rule *rule,
                    int *highest)
{
	int errno_value = rule->has_errno ? rule->errno_ret : profile->default_errno;
	uint32_t action = libseccomp_action(rule->action, errno_value);
	struct scmp_arg_cmp cmp[6];

	for (unsigned int i = 0; i < rule->arg_count; i++) {
		const struct cv_seccomp_arg *a = &rule->args[i];
		cmp[i] = (struct scmp_arg_cmp){a->index, libseccomp_operator(a->op), a->value, a->value_two};
	}
	for (size_t n = 0; rule->names[n] != NULL; n++) {
		int number = seccomp_syscall_resolve_name(rule->names[n]);
		if (number == __NR_SCMP_ERROR)
			continue; /* unknown to libseccomp on every architecture */
		if (number > *highest)
			*highest = number;
		if (!args_are_alternatives(rule)) {
			if (add_syscall(ctx, action, number, cmp, rule->arg_count, rule->names[n]) < 0)
				return -1;
			continue;
		}
		for (unsigned int i = 0; i < rule->arg_count; i++)
			if (add_syscall(ctx, action, number, &cmp[i], 1, rule->names[n]) < 0)
				return -1;
	}
	return 0;
}

static int add_architectures(scmp_filter_ctx ctx, unsigned int arches)
{
	if (arches == 0)
		arches = NATIVE_ARCH | NATIVE_COMPAT_ARCHES;
	for (unsigned int bit = 1; bit != 0 && bit <= CV_ARCH_ARM; bit <<= 1) {
		if (!(arches & bit) || bit == NATIVE_ARCH)
			continue;
		int rc = seccomp_arch_add(ctx, libseccomp_arch(bit));
		if (rc < 0 && rc != -EEXIST)
			return cv_error_errno(-rc, "seccomp: cannot add architecture %u", bit);
	}
	return 0;
}

/* The program libseccomp builds, read back from a memfd (libseccomp 2.5 exports only to a descriptor). */
static int export_program(scmp_filter_ctx ctx, struct cv_bpf *out)
{
	cleanup_close int fd = memfd_create("containerv-seccomp", MFD_CLOEXEC);
	off_t size;
	int rc;

	if (fd < 0)
		return cv_error_sys("seccomp: memfd");
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return cv_error_errno(-rc, "seccomp: cannot export the filter");
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 || size > (off_t)(BPF_MAXINSNS * 8))
		return cv_error_errno(EINVAL, "seccomp: exported filter has a bad size");
	out->filter = cv_malloc0((size_t)size);
	if (out->filter == NULL)
		return -1;
	if (pread(fd, out->filter, (size_t)size, 0) != size) {
		free(out->filter);
		out->filter = NULL;
		return cv_error_sys("seccomp: read the exported filter");
	}
	out->length = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	return 0;
}

/* Puts "native arch and nr in (highest, x32 bit) -> ENOSYS" in front of the program. */
static int prepend_enosys(struct cv_bpf *bpf, int highest)
{
	const struct sock_filter stub[] = {
	        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 0, 4),
	        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)highest, 0, 2),
	        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 1, 0),
	        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
	};
	size_t stub_length = sizeof stub / sizeof stub[0];
	struct sock_filter *program;

	if (bpf->length + stub_length > BPF_MAXINSNS)
		return cv_error_errno(E2BIG, "seccomp: the filter is too long");
	program = cv_malloc0((bpf->length + stub_length) * sizeof *program);
	if (program == NULL)
		return -1;
	memcpy(program, stub, sizeof stub);
	memcpy(program + stub_length, bpf->filter, bpf->length * sizeof *program);
	free(bpf->filter);
	bpf->filter = program;
	bpf->length = (unsigned short)(bpf->length + stub_length);
	return 0;
}

/*
 * The cache file of a key: <root>/cache/seccomp/<FNV-1a 64 of the key>.bpf, holding the key's text, a NUL,
 * then the program. A hit compares the whole text, so a hash collision can only cost a compile, never
 * load another container's filter; and no hashing library is loaded on a start.
 */
static void cache_path(const struct key_text *key, char *path, size_t size)
{
	uint64_t hash = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < key->length; i++)
		hash = (hash ^ (unsigned char)key->data[i]) * 0x100000001b3ULL;
	snprintf(path, size, "%s/cache/seccomp/%016llx.bpf", containerv_root(), (unsigned long long)hash);
}

static int read_cached(const char *path, const struct key_text *key, struct cv_bpf *out)
{
	cleanup_free char *data = NULL;
	size_t length = 0, program_length;

	if (cv_read_file(path, &data, &length, key->length + 1 + BPF_MAXINSNS * sizeof(struct sock_filter)) < 0) {
		cv_error_clear();
		return -1;
	}
	if (length <= key->length + 1 || memcmp(data, key->data, key->length + 1) != 0)
		return -1;
	program_length = length - key->length - 1;
	if (program_length % sizeof(struct sock_filter) != 0)
		return -1;
	out->filter = cv_malloc0(program_length);
	if (out->filter == NULL)
		return -1;
	memcpy(out->filter, data + key->length + 1, program_length);
	out->length = (unsigned short)(program_length / sizeof(struct sock_filter));
	return 0;
}

/* Best effort: a cache that cannot be written only costs the next start the compile. */
static void write_cached(const char *path, const struct key_text *key, const struct cv_bpf *bpf)
{
	size_t program_length = bpf->length * sizeof(struct sock_filter);
	cleanup_free char *content = malloc(key->length + 1 + program_length);
	char dir[PATH_MAX];
	int dirfd;

	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	*slash = '\0';
	if (content == NULL || cv_mkdir_p(dir, 0700) < 0) {
		cv_error_clear();
		return;
	}
	memcpy(content, key->data, key->length + 1);
	memcpy(content + key->length + 1, bpf->filter, program_length);
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || cv_write_file_atomic_at(dirfd, slash + 1, content, key->length + 1 + program_length, 0600) < 0)
		cv_error_clear();
	if (dirfd >= 0)
		close(dirfd);
}

/* Compiles with libseccomp (the slow part, ~10 ms for the default profile). */
static int compile_program(const struct cv_seccomp_profile *profile, uint64_t capabilities, struct cv_bpf *out)
{
	scmp_filter_ctx ctx = seccomp_init(libseccomp_action(profile->default_action, profile->default_errno));
	int highest = -1, ret = -1;

	if (ctx == NULL)
		return cv_error_errno(ENOMEM, "seccomp: cannot make a filter");
	if (add_architectures(ctx, profile->arches) < 0)
		goto done;
	for (size_t i = 0; i < profile->rule_count; i++) {
		if (rule_applies(&profile->rules[i], capabilities) &&
		    add_rule(ctx, profile, &profile->rules[i], &highest) < 0)
			goto done;
	}
	/* A binary tree over the syscall numbers: fewer instructions per call than a linear list. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (export_program(ctx, out) < 0 ||
	    (profile->unknown_enosys && highest >= 0 && prepend_enosys(out, highest) < 0)) {
		cv_bpf_clear(out);
		goto done;
	}
	ret = 0;
done:
	seccomp_release(ctx);
	return ret;
}

static int build_program(const struct cv_seccomp_profile *profile, uint64_t capabilities, struct cv_bpf *out)
{
	struct key_text key = {0};
	char path[PATH_MAX];
	int ret = -1;

	if (profile->default_action == CV_SECCOMP_NOTIFY)
		return cv_error_errno(ENOTSUP, "seccomp: SCMP_ACT_NOTIFY needs a listener");
	/* The build's libseccomp version (not the loaded one: asking would load it on every start). */
	key_append(&key, "libseccomp %u.%u.%u arch %u default %d %d enosys %d arches %u\n", SCMP_VER_MAJOR,
	           SCMP_VER_MINOR, SCMP_VER_MICRO, (unsigned)NATIVE_ARCH, (int)profile->default_action,
	           profile->default_errno, (int)profile->unknown_enosys, profile->arches);
	for (size_t i = 0; i < profile->rule_count; i++)
		if (rule_applies(&profile->rules[i], capabilities))
			describe_rule(&key, profile, &profile->rules[i]);
	if (key.failed) {
		cv_error_errno(ENOMEM, "out of memory");
		goto done;
	}
	cache_path(&key, path, sizeof path);
	if (read_cached(path, &key, out) == 0) {
		ret = 0;
	} else if (compile_program(profile, capabilities, out) == 0) {
		write_cached(path, &key, out);
		ret = 0;
	}
done:
	free(key.data);
	return ret;
}

int cv_seccomp_compile(const struct containerv_security *security, struct cv_bpf *out)
{
	struct cv_seccomp_profile profile;
	bool enabled;
	int ret;

	memset(out, 0, sizeof *out);
	if (cv_seccomp_profile_of(security, &profile, &enabled) < 0)
		return cv_error_prefix("seccomp");
	if (!enabled)
		return 0;
	/* Loaded lazily: a library that cannot be loaded now (no descriptor left) fails this start, no more. */
	if (cv_lazy_seccomp_load != NULL && cv_lazy_seccomp_load() < 0) {
		cv_seccomp_profile_clear(&profile);
		return cv_error_prefix("seccomp");
	}
	ret = build_program(&profile, security->capabilities, out);
	cv_seccomp_profile_clear(&profile);
	return ret;
}

void cv_bpf_clear(struct cv_bpf *bpf)
{
	free(bpf->filter);
	bpf->filter = NULL;
	bpf->length = 0;
}

int cv_seccomp_load(const struct cv_bpf *bpf)
{
	struct sock_fprog program = {.len = bpf->length, .filter = bpf->filter};

	if (bpf->filter == NULL)
		return 0;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) < 0)
		return cv_error_sys("load the seccomp filter");
	return 0;
}
