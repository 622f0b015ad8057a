/*
 * Security profiles: the levels' settings, capability names, profile files,
 * docker/OCI seccomp profiles (and hostile ones), the JSON round trip, the
 * compiled filter and its cache, the audit, and the cgroup v2 device program
 * enforced by the kernel.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include <chef/containerv.h>

#include "config/options.h"
#include "common/util.h"
#include "common/yaml.h"
#include "platform/linux/cgroup-internal.h"
#include "platform/linux/security-linux.h"
#include "security/security-internal.h"
#include "test.h"

static char work_dir[] = "/tmp/cvtest-security.XXXXXX";

static const char *write_temp(const char *name, const char *content);

TEST(yaml_profiles_and_hostile_yaml)
{
	struct containerv_security *s = NULL;
	const char *path = write_temp("db.yaml", "# a database\nextends: database\ncap_drop:\n  - IPC_LOCK\n"
	                                         "read_only_rootfs: true\nmasked_paths: ['/opt/keys']\n");
	json_t *value = NULL;

	CHECK_OK(containerv_security_load(path, &s));
	CHECK_EQ_INT(containerv_security_has_capability(s, "IPC_LOCK"), 0);
	CHECK(s->read_only_rootfs);
	containerv_security_delete(s);
	/* Types: plain scalars follow the core schema, quoted ones stay strings. */
	CHECK_OK(cv_yaml_to_json("a: true\nb: 'true'\nc: 42\nd: -1.5\ne: ~\nf: x\n", 40, &value));
	CHECK(json_is_true(json_object_get(value, "a")) && json_is_string(json_object_get(value, "b")));
	CHECK_EQ_INT(json_integer_value(json_object_get(value, "c")), 42);
	CHECK(json_is_real(json_object_get(value, "d")) && json_is_null(json_object_get(value, "e")));
	json_decref(value);
	/* A billion laughs: nine levels of nine aliases would be 10^9 values. */
	static const char laughs[] = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	                             "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	                             "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	                             "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	                             "i: [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	CHECK(cv_yaml_to_json(laughs, strlen(laughs), &value) == -1 && strstr(containerv_last_error(), "too many"));
	char deep[400] = "";
	for (int i = 0; i < 100; i++)
		strcat(deep, "[");
	CHECK(cv_yaml_to_json(deep, strlen(deep), &value) == -1);
	static const char *const bad[] = {"a: 1\na: 2\n", "? [1, 2]\n: x\n", "a: [1, 2\n", "\"unterminated\n", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(cv_yaml_to_json(bad[i], strlen(bad[i]), &value) == -1 && errno == EINVAL);
	path = write_temp("bad.yml", "extends: strict\ncap_add: NET_RAW\n");
	CHECK(containerv_security_load(path, &s) == -1 && strstr(containerv_last_error(), "cap_add") != NULL);
}

static const char *write_temp(const char *name, const char *content)
{
	static char path[PATH_MAX];
	FILE *file;

	snprintf(path, sizeof path, "%s/%s", work_dir, name);
	file = fopen(path, "w");
	CHECK(file != NULL);
	fputs(content, file);
	fclose(file);
	return path;
}

TEST(levels_have_their_documented_settings)
{
	struct containerv_security *s = NULL;
	const uint64_t docker = 0xa80425fbULL, strict = 0x4fbULL;

	CHECK_OK(containerv_security_new(CV_SECURITY_PERMISSIVE, &s));
	CHECK_EQ_INT(s->capabilities, docker);
	CHECK(!s->no_new_privileges && !s->read_only_rootfs && s->seccomp_mode == CV_SECCOMP_LEVEL);
	containerv_security_delete(s);
	CHECK_OK(containerv_security_new(CV_SECURITY_RESTRICTED, &s));
	/* docker's minus NET_RAW (bit 13): no ARP spoofing or router advertisements to the neighbours. */
	CHECK_EQ_INT(s->capabilities, docker & ~(1ULL << 13));
	CHECK_EQ_INT(containerv_security_has_capability(s, "NET_RAW"), 0);
	CHECK(s->no_new_privileges && !s->read_only_rootfs);
	CHECK_OK(containerv_security_add_capability(s, "NET_RAW"));
	CHECK_EQ_INT(s->capabilities, docker);
	containerv_security_delete(s);
	CHECK_OK(containerv_security_new(CV_SECURITY_STRICT, &s));
	CHECK_EQ_INT(s->capabilities, strict);
	CHECK(s->no_new_privileges && s->read_only_rootfs && !s->landlock);
	CHECK_EQ_INT(containerv_security_has_capability(s, "NET_RAW"), 0);
	containerv_security_delete(s);
	CHECK_OK(containerv_security_new(CV_SECURITY_PARANOID, &s));
	CHECK_EQ_INT(s->capabilities, 0);
	CHECK(s->landlock && s->no_network && s->read_only_rootfs);
	containerv_security_delete(s);
	CHECK(containerv_security_new((enum containerv_security_level)9, &s) == -1 && errno == EINVAL);
}

static bool has_path(char *const *paths, const char *path)
{
	for (size_t i = 0; paths != NULL && paths[i] != NULL; i++)
		if (strcmp(paths[i], path) == 0)
			return true;
	return false;
}

TEST(every_level_masks_docker_paths_and_the_kernel_layout)
{
	static const char *const masked[] = {"/proc/kcore",       "/proc/keys",       "/proc/interrupts",
	                                     "/sys/firmware",     "/sys/block",       "/sys/kernel/vmcoreinfo",
	                                     "/proc/sched_debug", "/proc/timer_list", "/sys/devices/virtual/powercap"};

	for (int level = CV_SECURITY_PERMISSIVE; level <= CV_SECURITY_PARANOID; level++) {
		struct containerv_security *s = NULL;
		CHECK_OK(containerv_security_new((enum containerv_security_level)level, &s));
		for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++)
			CHECK(has_path(s->masked_paths, masked[i]));
		CHECK(has_path(s->readonly_paths, "/proc/sys"));
		containerv_security_delete(s);
	}
}

TEST(capability_names)
{
	struct containerv_security *s = NULL;

	CHECK_EQ_INT(cv_capability_number("CAP_SYS_ADMIN"), 21);
	CHECK_EQ_INT(cv_capability_number("sys_admin"), 21);
	CHECK_EQ_INT(cv_capability_number("Net_Raw"), 13);
	CHECK_EQ_INT(cv_capability_number("CHECKPOINT_RESTORE"), 40);
	CHECK_EQ_INT(cv_capability_number("CAP_"), -1);
	CHECK_EQ_INT(cv_capability_number("SYS_ADMINX"), -1);
	CHECK_EQ_STR(cv_capability_name(0), "CAP_CHOWN");
	CHECK(cv_capability_name(41) == NULL);
	CHECK_OK(containerv_security_new(CV_SECURITY_RESTRICTED, &s));
	CHECK_OK(containerv_security_drop_capability(s, "ALL"));
	CHECK_EQ_INT(s->capabilities, 0);
	CHECK_OK(containerv_security_add_capability(s, "cap_net_admin"));
	CHECK_EQ_INT(containerv_security_has_capability(s, "NET_ADMIN"), 1);
	CHECK(containerv_security_add_capability(s, "NOT_A_CAP") == -1 && errno == EINVAL);
	CHECK(strstr(containerv_last_error(), "NOT_A_CAP") != NULL);
	CHECK(containerv_security_add_capability(s, NULL) == -1);
	CHECK_EQ_INT(containerv_security_has_capability(s, "ALL"), -1);
	containerv_security_delete(s);
}

TEST(paths_and_labels_are_validated)
{
	struct containerv_security *s = NULL;

	CHECK_OK(containerv_security_new(CV_SECURITY_RESTRICTED, &s));
	CHECK_OK(containerv_security_add_masked_path(s, "/proc/mine"));
	CHECK(containerv_security_add_masked_path(s, "relative") == -1 && errno == EINVAL);
	CHECK(containerv_security_add_masked_path(s, "/proc/../etc") == -1 && errno == EINVAL);
	CHECK(containerv_security_add_readonly_path(s, "/a/./b") == -1 && errno == EINVAL);
	CHECK(containerv_security_set_apparmor_profile(s, "has space") == -1 && errno == EINVAL);
	CHECK(containerv_security_set_selinux_label(s, "") == -1 && errno == EINVAL);
	CHECK_OK(containerv_security_set_apparmor_profile(s, "containerv-test-not-loaded"));
	/* A profile that is not there is refused at create, never ignored: without AppArmor
	 * (EOPNOTSUPP) and with it (ENOENT, e.g. Debian's kernel in tests/vm). */
	CHECK(cv_security_check_host(s) == -1 && (errno == EOPNOTSUPP || errno == ENOENT));
	containerv_security_delete(s);
}

TEST(predefined_and_file_profiles)
{
	struct containerv_security *s = NULL;
	const char *path;

	CHECK_OK(containerv_security_load("database", &s));
	CHECK_EQ_INT(containerv_security_has_capability(s, "IPC_LOCK"), 1);
	CHECK_EQ_INT(containerv_security_has_capability(s, "NET_RAW"), 0);
	CHECK(!s->read_only_rootfs);
	containerv_security_delete(s);
	CHECK(containerv_security_load("nope", &s) == -1 && errno == ENOENT);
	path = write_temp("web.json",
	                  "{\"extends\": \"web-server\", \"cap_add\": [\"SYS_PTRACE\"], \"cap_drop\": [\"KILL\"],"
	                  " \"read_only_rootfs\": false, \"masked_paths\": [\"/opt/secret\"]}");
	CHECK_OK(containerv_security_load(path, &s));
	CHECK_EQ_INT(containerv_security_level(s), CV_SECURITY_STRICT);
	CHECK_EQ_INT(containerv_security_has_capability(s, "SYS_PTRACE"), 1);
	CHECK_EQ_INT(containerv_security_has_capability(s, "KILL"), 0);
	CHECK(!s->read_only_rootfs);
	CHECK(cv_strv_length(s->masked_paths) > 1 &&
	      strcmp(s->masked_paths[cv_strv_length(s->masked_paths) - 1], "/opt/secret") == 0);
	containerv_security_delete(s);
	/* Hostile or broken files: each one clear error. */
	path = write_temp("unknown.json", "{\"cap_add\": [], \"rm_rf\": true}");
	CHECK(containerv_security_load(path, &s) == -1 && strstr(containerv_last_error(), "rm_rf") != NULL);
	path = write_temp("type.json", "{\"cap_add\": \"SYS_ADMIN\"}");
	CHECK(containerv_security_load(path, &s) == -1 && errno == EINVAL);
	path = write_temp("dup.json", "{\"extends\": \"strict\", \"extends\": \"permissive\"}");
	CHECK(containerv_security_load(path, &s) == -1 && errno == EINVAL);
	char self[PATH_MAX], text[PATH_MAX + 32];
	snprintf(self, sizeof self, "%s/self.json", work_dir);
	snprintf(text, sizeof text, "{\"extends\": \"%s\"}", self);
	write_temp("self.json", text);
	CHECK(containerv_security_load(self, &s) == -1 && errno == ELOOP);
	path = write_temp("garbage.json", "\x01\x02{[");
	CHECK(containerv_security_load(path, &s) == -1 && errno == EINVAL);
}

#define DOCKER_LIKE_PROFILE(s390_arch)                                                                                 \
	"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"                                              \
	" \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\"]},"          \
	"               {\"architecture\": \"SCMP_ARCH_S390X\", \"subArchitectures\": [\"SCMP_ARCH_S390\"]}],"         \
	" \"syscalls\": ["                                                                                             \
	"  {\"names\": [\"read\", \"write\", \"exit_group\", \"not_a_syscall_at_all\"], \"action\": "                  \
	"\"SCMP_ACT_ALLOW\"},"                                                                                         \
	"  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","                                             \
	"   \"args\": [{\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 0, \"value\": 8, \"op\": "   \
	"\"SCMP_CMP_EQ\"}]},"                                                                                          \
	"  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"   \
	"  {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"4.8\"}},"         \
	"  {\"names\": [\"s390_pci_mmio_read\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": "          \
	"[\"" s390_arch "\"]}}"                                                                                        \
	" ]}"

TEST(docker_seccomp_profiles_parse)
{
	struct cv_seccomp_profile p;

	/* "s390x" is no libseccomp name: refused. */
	CHECK(cv_seccomp_profile_parse(DOCKER_LIKE_PROFILE("s390x"), &p) == -1 && errno == EINVAL);
	CHECK_OK(cv_seccomp_profile_parse(DOCKER_LIKE_PROFILE("SCMP_ARCH_S390X"), &p));
	CHECK_EQ_INT(p.default_action, CV_SECCOMP_ERRNO);
	CHECK_EQ_INT(p.default_errno, 1);
	CHECK(p.arches & CV_ARCH_X86_64 && p.arches & CV_ARCH_X86);
	CHECK_EQ_INT(p.rule_count, 5);
	CHECK_EQ_INT(p.rules[1].arg_count, 2);
	CHECK(p.rules[2].caps_all != 0);
	CHECK(p.unknown_enosys);
	cv_seccomp_profile_clear(&p);
}

TEST(hostile_seccomp_profiles_are_refused)
{
	static const char *const bad[] = {
	        "",
	        "[]",
	        "{\"defaultAction\": \"SCMP_ACT_BOGUS\"}",
	        "{\"defaultAction\": 7}",
	        "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}",
	        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 99999}",
	        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_Z80\"]}",
	        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}",
	        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [], \"action\": "
	        "\"SCMP_ACT_ALLOW\"}]}",
	        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"]}]}",
	        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
	        "\"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
	        "\"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_LIKE\"}]}]}",
	        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
	        "\"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_TIME_TRAVEL\"]}}]}",
	        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\", 5], \"action\": "
	        "\"SCMP_ACT_ALLOW\"}]}",
	        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultAction\": \"SCMP_ACT_ERRNO\"}",
	};
	struct cv_seccomp_profile p;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (cv_seccomp_profile_parse(bad[i], &p) != -1) {
			fprintf(stderr, "  accepted: %s\n", bad[i]);
			CHECK(0);
		}
		CHECK(errno == EINVAL || errno == ENOTSUP);
		CHECK(containerv_last_error()[0] != '\0');
	}
	/* 7 arguments: more than a system call has. */
	char seven[1024] = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
	                   "\"SCMP_ACT_ALLOW\", \"args\": [";
	for (int i = 0; i < 7; i++)
		strcat(seven, i ? ",{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}"
		                : "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}");
	strcat(seven, "]}]}");
	CHECK(cv_seccomp_profile_parse(seven, &p) == -1);
}

TEST(json_round_trip)
{
	struct containerv_security *s = NULL, back;
	const char *path = write_temp("deny.json", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
	                                           "[\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
	char *json = NULL;

	CHECK_OK(containerv_security_new(CV_SECURITY_STRICT, &s));
	CHECK_OK(containerv_security_add_capability(s, "SYS_NICE"));
	CHECK_OK(containerv_security_set_seccomp(s, path));
	CHECK_OK(containerv_security_add_readonly_path(s, "/data"));
	json_t *object = cv_security_to_json_object(s);
	CHECK(object != NULL);
	CHECK_OK(cv_security_from_json_object(object, &back));
	json_decref(object);
	CHECK_EQ_INT(back.level, CV_SECURITY_STRICT);
	CHECK_EQ_INT(back.capabilities, s->capabilities);
	CHECK_EQ_INT(back.seccomp_mode, CV_SECCOMP_CUSTOM);
	CHECK_EQ_STR(back.seccomp_json, s->seccomp_json);
	CHECK_EQ_INT(cv_strv_length(back.readonly_paths), cv_strv_length(s->readonly_paths));
	CHECK(back.no_new_privileges && back.read_only_rootfs);
	cv_security_clear(&back);
	CHECK_OK(containerv_security_to_json(s, &json));
	CHECK(strstr(json, "\"CAP_SYS_NICE\"") != NULL && strstr(json, "\"custom\"") != NULL);
	free(json);
	containerv_security_delete(s);
}

TEST(filters_compile_once_and_are_cached)
{
	struct containerv_options *options = NULL;
	struct cv_security_plan first, second;
	char cache[PATH_MAX];

	CHECK_OK(containerv_set_root(work_dir));
	CHECK_OK(containerv_options_new(&options));
	CHECK_OK(containerv_security_new(CV_SECURITY_RESTRICTED, &options->security));
	CHECK_OK(cv_security_plan_prepare(options, &first));
	CHECK(first.seccomp.filter != NULL && first.seccomp.length > 100);
	/* The ENOSYS stub leads: load the architecture first. */
	CHECK_EQ_INT(first.seccomp.filter[0].code, BPF_LD | BPF_W | BPF_ABS);
	snprintf(cache, sizeof cache, "%s/cache/seccomp", work_dir);
	DIR *dir = opendir(cache);
	CHECK(dir != NULL);
	int files = 0;
	for (struct dirent *e; (e = readdir(dir)) != NULL;)
		files += e->d_name[0] != '.';
	closedir(dir);
	CHECK_EQ_INT(files, 1);
	CHECK_OK(cv_security_plan_prepare(options, &second));
	CHECK_EQ_INT(second.seccomp.length, first.seccomp.length);
	CHECK(memcmp(second.seccomp.filter, first.seccomp.filter, first.seccomp.length * sizeof(struct sock_filter)) ==
	      0);
	cv_security_plan_clear(&second);
	/* Another capability set is another program. */
	CHECK_OK(containerv_security_add_capability(options->security, "SYS_ADMIN"));
	CHECK_OK(cv_security_plan_prepare(options, &second));
	CHECK(second.seccomp.length != first.seccomp.length ||
	      memcmp(second.seccomp.filter, first.seccomp.filter, first.seccomp.length * sizeof(struct sock_filter)) !=
	              0);
	cv_security_plan_clear(&second);
	cv_security_plan_clear(&first);
	/* Unconfined and privileged: no program at all. */
	CHECK_OK(containerv_security_set_seccomp(options->security, "unconfined"));
	CHECK_OK(cv_security_plan_prepare(options, &first));
	CHECK(first.seccomp.filter == NULL);
	cv_security_plan_clear(&first);
	containerv_options_delete(options);
}

TEST(audit_scores_and_findings)
{
	struct containerv_security *s = NULL;
	struct containerv_audit *audit = NULL;
	struct containerv_finding finding;
	int scores[4];

	for (int level = 0; level < 4; level++) {
		CHECK_OK(containerv_security_new((enum containerv_security_level)level, &s));
		CHECK_OK(containerv_security_audit(s, &audit));
		scores[level] = containerv_audit_score(audit);
		containerv_audit_delete(audit);
		containerv_security_delete(s);
	}
	CHECK(scores[0] < scores[1] && scores[1] < scores[2] && scores[2] <= scores[3] && scores[3] <= 100);
	CHECK_OK(containerv_security_new(CV_SECURITY_RESTRICTED, &s));
	CHECK_OK(containerv_security_add_capability(s, "SYS_ADMIN"));
	CHECK_OK(containerv_security_set_seccomp(s, "unconfined"));
	CHECK_OK(containerv_security_audit(s, &audit));
	CHECK_OK(containerv_audit_finding(audit, 0, &finding));
	CHECK_EQ_INT(finding.severity, CV_SEVERITY_CRITICAL);
	CHECK_EQ_STR(finding.id, "cap-sys-admin");
	CHECK(finding.why[0] && finding.fix[0]);
	CHECK(containerv_audit_finding(audit, containerv_audit_count(audit), &finding) == -1 && errno == EINVAL);
	CHECK(containerv_audit_score(audit) < scores[1]);
	containerv_audit_delete(audit);
	CHECK_OK(containerv_security_set_privileged(s, 1));
	CHECK_OK(containerv_security_audit(s, &audit));
	CHECK_EQ_INT(containerv_audit_count(audit), 1);
	CHECK_OK(containerv_audit_finding(audit, 0, &finding));
	CHECK_EQ_STR(finding.id, "privileged");
	containerv_audit_delete(audit);
	containerv_security_delete(s);
}

/* The audit's one finding about a single bind of SOURCE at /x, at LEVEL; its severity or -1 when none. */
static int audit_bind(const char *source, unsigned int flags, enum containerv_security_level level,
                      const char *state_root, char *what, size_t what_size)
{
	struct containerv_options *options = NULL;
	struct containerv_security *s = NULL;
	struct containerv_audit *audit = NULL;
	struct containerv_mount bind = CONTAINERV_MOUNT_INIT;
	struct containerv_finding finding;
	int severity = -1;

	bind.source = source;
	bind.target = "/x";
	bind.flags = flags | CV_MOUNT_CREATE;
	CHECK_OK(containerv_options_new(&options));
	CHECK_OK(containerv_security_new(level, &s));
	CHECK_OK(containerv_options_set_security(options, s));
	CHECK_OK(containerv_options_add_mount(options, &bind));
	CHECK_OK(cv_audit_config(options, state_root, &audit));
	for (size_t i = 0; i < containerv_audit_count(audit); i++) {
		CHECK_OK(containerv_audit_finding(audit, i, &finding));
		if (strstr(finding.id, "bind") != NULL) {
			severity = (int)finding.severity;
			snprintf(what, what_size, "%s", finding.what);
		}
	}
	containerv_audit_delete(audit);
	containerv_security_delete(s);
	containerv_options_delete(options);
	return severity;
}

/*
 * Issue 9, attack 6: sources were compared as given, so "/etc/", "//",
 * "/usr/../", a link to /etc and what lies inside or contains a sensitive
 * path all passed as ordinary binds.
 */
TEST(sensitive_binds_are_resolved_and_flagged)
{
	char root[PATH_MAX], link[PATH_MAX], plain[PATH_MAX], what[512], resolved[PATH_MAX];
	const char *spellings[] = {"/etc/",
	                           "//",
	                           "/usr/../",
	                           "/run",
	                           "/etc/shadow",
	                           "/proc/sys",
	                           "/sys/fs/cgroup",
	                           "/var/lib",
	                           "/var",
	                           "/",
	                           "/dev/null",
	                           "/boot",
	                           "/var/run",
	                           root,
	                           link,
	                           "/var/spool/cron/crontabs",
	                           "/var/spool/at",
	                           NULL};

	snprintf(root, sizeof root, "%s/state-root", work_dir);
	snprintf(link, sizeof link, "%s/etc-link", work_dir);
	snprintf(plain, sizeof plain, "%s/data", work_dir);
	CHECK(mkdir(root, 0711) == 0 && mkdir(plain, 0755) == 0 && symlink("/etc", link) == 0);
	for (size_t i = 0; spellings[i] != NULL; i++) {
		int severity = audit_bind(spellings[i], 0, CV_SECURITY_PERMISSIVE, root, what, sizeof what);
		if (severity != CV_SEVERITY_CRITICAL)
			fprintf(stderr, "  %s: severity %d\n", spellings[i], severity);
		CHECK_EQ_INT(severity, CV_SEVERITY_CRITICAL);
		/* Read-only changes nothing for these: they are read-only secrets or whole trees. */
		CHECK_EQ_INT(
		        audit_bind(spellings[i], CV_MOUNT_READONLY, CV_SECURITY_PERMISSIVE, root, what, sizeof what),
		        CV_SEVERITY_CRITICAL);
	}
	/* What resolution gives: the kernel's path, and the missing rest folded. */
	CHECK_OK(cv_resolve_host_path("//usr/../etc/", resolved, sizeof resolved));
	CHECK_EQ_STR(resolved, "/etc");
	CHECK_OK(cv_resolve_host_path(link, resolved, sizeof resolved));
	CHECK_EQ_STR(resolved, "/etc");
	snprintf(what, sizeof what, "%s/new/../new2/./x", plain);
	CHECK_OK(cv_resolve_host_path(what, resolved, sizeof resolved));
	snprintf(what, sizeof what, "%s/new2/x", plain);
	CHECK_EQ_STR(resolved, what);
	/* A missing directory under /etc is still /etc; a state root's inside is the state root. */
	CHECK_EQ_INT(audit_bind("/etc/cvtest-missing/dir", 0, CV_SECURITY_PERMISSIVE, root, what, sizeof what),
	             CV_SEVERITY_CRITICAL);
	snprintf(resolved, sizeof resolved, "%s/containers", root);
	CHECK_EQ_INT(audit_bind(resolved, 0, CV_SECURITY_PERMISSIVE, root, what, sizeof what), CV_SEVERITY_CRITICAL);
	/* Ordinary: a plain directory, a file, a read-only /usr tree, a harmless /etc file read-only (low). */
	CHECK_EQ_INT(audit_bind(plain, 0, CV_SECURITY_RESTRICTED, root, what, sizeof what), -1);
	CHECK_EQ_INT(audit_bind("/usr/share", CV_MOUNT_READONLY, CV_SECURITY_RESTRICTED, root, what, sizeof what), -1);
	/* Review r3: what cron, atd and the package manager run as root, written from a container. */
	CHECK_EQ_INT(audit_bind("/var/lib/dpkg/info", 0, CV_SECURITY_PERMISSIVE, root, what, sizeof what),
	             CV_SEVERITY_CRITICAL);
	CHECK_EQ_INT(audit_bind("/var/lib/dpkg", CV_MOUNT_READONLY, CV_SECURITY_RESTRICTED, root, what, sizeof what),
	             -1);
	CHECK_EQ_INT(audit_bind("/usr/share", 0, CV_SECURITY_PERMISSIVE, root, what, sizeof what),
	             CV_SEVERITY_CRITICAL);
	CHECK_EQ_INT(audit_bind("/etc/hostname", CV_MOUNT_READONLY, CV_SECURITY_RESTRICTED, root, what, sizeof what),
	             CV_SEVERITY_LOW);
	CHECK_EQ_INT(audit_bind("/etc/hostname", 0, CV_SECURITY_PERMISSIVE, root, what, sizeof what),
	             CV_SEVERITY_CRITICAL);
	CHECK_EQ_INT(audit_bind("/etc/shadow", CV_MOUNT_READONLY, CV_SECURITY_PERMISSIVE, root, what, sizeof what),
	             CV_SEVERITY_CRITICAL);
	unlink(link);
}

/* Below permissive a sensitive bind is refused with its reason, unless that exact path is allowed. */
TEST(sensitive_binds_are_refused_below_permissive)
{
	struct containerv_security *s = NULL;
	char resolved[PATH_MAX];

	for (int level = CV_SECURITY_RESTRICTED; level <= CV_SECURITY_PARANOID; level++) {
		CHECK_OK(containerv_security_new((enum containerv_security_level)level, &s));
		CHECK(cv_security_check_bind(s, "/sys/fs/cgroup", false, "/nonexistent-root", NULL, 0) == -1 &&
		      errno == EPERM);
		CHECK(strstr(containerv_last_error(), "/sys/fs/cgroup") &&
		      strstr(containerv_last_error(), "inside /sys"));
		CHECK_OK(containerv_security_allow_sensitive_bind(s, "/sys/fs/cgroup/"));
		CHECK_OK(cv_security_check_bind(s, "/sys/fs/cgroup", false, "/nonexistent-root", resolved,
		                                sizeof resolved));
		CHECK_EQ_STR(resolved, "/sys/fs/cgroup");
		/* Exactly that path: not what it contains, not what contains it. */
		CHECK(cv_security_check_bind(s, "/sys", false, "/nonexistent-root", NULL, 0) == -1);
		CHECK(cv_security_check_bind(s, "/sys/fs/cgroup/pids", false, "/nonexistent-root", NULL, 0) == -1);
		CHECK_OK(cv_security_check_bind(s, work_dir, false, "/nonexistent-root", NULL, 0));
		CHECK_OK(cv_security_check_bind(s, "/etc/hostname", true, "/nonexistent-root", NULL, 0));
		containerv_security_delete(s);
	}
	CHECK_OK(containerv_security_new(CV_SECURITY_PERMISSIVE, &s));
	CHECK_OK(cv_security_check_bind(s, "/sys/fs/cgroup", false, "/nonexistent-root", NULL, 0));
	containerv_security_delete(s);
	CHECK(containerv_security_allow_sensitive_bind(NULL, "/etc") == -1 && errno == EINVAL);
	/* A host file copied in (compose's secrets) is judged as a read-only bind of it. */
	CHECK(containerv_security_check_host_source(NULL, "/etc/shadow", NULL) == -1 && errno == EPERM);
	CHECK(containerv_security_check_host_source(NULL, "/etc/hostname", NULL) == 0);
	CHECK(containerv_security_check_host_source(NULL, "/nonexistent-root/x", "/nonexistent-root") == -1 &&
	      errno == EPERM);
	CHECK(containerv_security_check_host_source(NULL, "etc/shadow", NULL) == -1 && errno == EINVAL);
	CHECK_OK(containerv_security_new(CV_SECURITY_STRICT, &s));
	CHECK(containerv_security_allow_sensitive_bind(s, "etc") == -1 && errno == EINVAL);
	/* The allowance is part of the profile: config.json keeps it, a profile file can give it. */
	char *json = NULL;
	struct containerv_security back = {0};
	CHECK_OK(containerv_security_allow_sensitive_bind(s, "/sys/fs/cgroup"));
	CHECK_OK(containerv_security_to_json(s, &json));
	json_t *object = json_loads(json, 0, NULL);
	CHECK(object != NULL);
	CHECK_OK(cv_security_from_json_object(object, &back));
	CHECK(cv_security_bind_allowed(&back, "/sys/fs/cgroup") && !cv_security_bind_allowed(&back, "/sys"));
	cv_security_clear(&back);
	json_decref(object);
	free(json);
	containerv_security_delete(s);
	const char *path = write_temp("allow.json", "{\"extends\": \"strict\", \"allow_sensitive_binds\": [\"/var/run/"
	                                            "cvtest.sock\"]}");
	CHECK_OK(containerv_security_load(path, &s));
	CHECK(cv_security_bind_allowed(s, "/run/cvtest.sock"));
	containerv_security_delete(s);
}

static bool is_cgroup2(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && fs.f_type == 0x63677270 /* CGROUP2_SUPER_MAGIC */;
}

/* The v2 device program, attached to a real cgroup2 directory: the kernel enforces it on a child in it. */
TEST(cgroup2_device_program_is_enforced)
{
	const char *root = is_cgroup2("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified"
	                   : is_cgroup2("/sys/fs/cgroup")       ? "/sys/fs/cgroup"
	                                                        : NULL;
	char dir[PATH_MAX], node[PATH_MAX];
	int status;

	if (root == NULL)
		SKIP("no cgroup2 mount");
	snprintf(dir, sizeof dir, "%s/cvtest-devices-%d", root, (int)getpid());
	snprintf(node, sizeof node, "%s/kmsg", work_dir);
	CHECK(mkdir(dir, 0755) == 0);
	CHECK(mknod(node, S_IFCHR | 0600, makedev(1, 11)) == 0);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0);
	int attached = cv_cgroup_v2_attach_devices(fd, cv_default_device_rules, cv_default_device_rule_count);
	close(fd);
	if (attached < 0)
		fprintf(stderr, "  %s\n", containerv_last_error());
	pid_t child = fork();
	if (child == 0) {
		char procs[PATH_MAX + 16], pid[16];
		snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
		snprintf(pid, sizeof pid, "%d", (int)getpid());
		if (cv_write_file(procs, pid) < 0)
			_exit(10);
		int null_fd = open("/dev/null", O_WRONLY);       /* c 1:3: in the list */
		int kmsg_fd = open(node, O_RDONLY | O_NONBLOCK); /* c 1:11: not in it */
		_exit(null_fd >= 0 && kmsg_fd < 0 && errno == EPERM ? 0 : 11);
	}
	CHECK(waitpid(child, &status, 0) == child);
	rmdir(dir);
	unlink(node);
	CHECK_EQ_INT(attached, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

/* --device by numbers (devices.txt) and, for boot-time majors, by the driver /proc/devices names. */
TEST(devices_are_classified_by_number_not_path)
{
	static const struct {
		struct cv_device_identity identity;
		enum cv_device_risk risk;
	} cases[] = {
	        {{'c', 10, 229, 0644, "misc"}, CV_DEVICE_ORDINARY}, /* fuse */
	        {{'c', 4, 64, 0660, "ttyS"}, CV_DEVICE_ORDINARY},   /* ttyS0 */
	        {{'c', 10, 200, 0666, "misc"}, CV_DEVICE_ORDINARY}, /* net/tun */
	        {{'c', 226, 0, 0660, "drm"}, CV_DEVICE_ORDINARY},   /* dri/card0 */
	        {{'c', 21, 3, 0660, "sg"}, CV_DEVICE_STORAGE},      /* sg3 */
	        {{'c', 248, 0, 0600, "bsg"}, CV_DEVICE_STORAGE},    /* bsg/0:0:0:0, major picked at boot */
	        {{'c', 237, 1, 0600, "nvme-generic"}, CV_DEVICE_STORAGE},
	        {{'c', 237, 1, 0600, "something"}, CV_DEVICE_ORDINARY}, /* the same numbers, another driver */
	        {{'c', 10, 237, 0600, "misc"}, CV_DEVICE_STORAGE},      /* loop-control */
	        {{'c', 202, 5, 0600, "cpu/msr"}, CV_DEVICE_CPU},
	        {{'c', 10, 184, 0600, "misc"}, CV_DEVICE_CPU}, /* cpu/microcode */
	        {{'c', 4, 1, 0620, "tty"}, CV_DEVICE_CONSOLE}, /* tty1 */
	        {{'c', 4, 63, 0620, "tty"}, CV_DEVICE_CONSOLE},
	        {{'c', 5, 1, 0600, "/dev/console"}, CV_DEVICE_CONSOLE},
	        {{'c', 5, 0, 0666, "/dev/tty"}, CV_DEVICE_ORDINARY}, /* the caller's own terminal */
	        {{'c', 136, 2, 0620, "pts"}, CV_DEVICE_CONSOLE},
	        {{'c', 1, 1, 0640, "mem"}, CV_DEVICE_KERNEL},
	        {{'c', 1, 3, 0666, "mem"}, CV_DEVICE_ORDINARY},   /* null */
	        {{'c', 1, 11, 0644, "mem"}, CV_DEVICE_KERNEL},    /* kmsg */
	        {{'c', 10, 130, 0600, "misc"}, CV_DEVICE_KERNEL}, /* watchdog */
	        {{'b', 8, 0, 0660, "sd"}, CV_DEVICE_BLOCK},
	};
	struct cv_device_class class;
	struct containerv_security *restricted = NULL, *permissive = NULL;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cv_device_classify(&cases[i].identity, &class);
		if (class.risk != cases[i].risk)
			fprintf(stderr, "  %c %u:%u (%s): risk %d, expected %d\n", cases[i].identity.type,
			        cases[i].identity.major, cases[i].identity.minor, cases[i].identity.driver,
			        (int)class.risk, (int)cases[i].risk);
		CHECK_EQ_INT(class.risk, cases[i].risk);
		CHECK(class.why != NULL && (class.risk == CV_DEVICE_ORDINARY) == (class.what == NULL));
	}
	CHECK_OK(containerv_security_new(CV_SECURITY_RESTRICTED, &restricted));
	CHECK_OK(containerv_security_new(CV_SECURITY_PERMISSIVE, &permissive));
	CHECK(cv_security_check_device(restricted, "/x/sg3", &cases[4].identity) < 0 && errno == EPERM);
	CHECK(strstr(containerv_last_error(), "char 21:3 is SCSI generic") != NULL);
	CHECK_OK(cv_security_check_device(restricted, "/x/fuse", &cases[0].identity));
	CHECK_OK(cv_security_check_device(permissive, "/x/sg3", &cases[4].identity));
	containerv_security_delete(restricted);
	containerv_security_delete(permissive);
}

int main(void)
{
	CHECK(mkdtemp(work_dir) != NULL);
	RUN(levels_have_their_documented_settings);
	RUN(every_level_masks_docker_paths_and_the_kernel_layout);
	RUN(capability_names);
	RUN(paths_and_labels_are_validated);
	RUN(predefined_and_file_profiles);
	RUN(yaml_profiles_and_hostile_yaml);
	RUN(docker_seccomp_profiles_parse);
	RUN(hostile_seccomp_profiles_are_refused);
	RUN(json_round_trip);
	RUN(filters_compile_once_and_are_cached);
	RUN(audit_scores_and_findings);
	RUN(sensitive_binds_are_resolved_and_flagged);
	RUN(sensitive_binds_are_refused_below_permissive);
	RUN(cgroup2_device_program_is_enforced);
	RUN(devices_are_classified_by_number_not_path);
	cv_rm_rf(work_dir);
	return cv_test_summary();
}
