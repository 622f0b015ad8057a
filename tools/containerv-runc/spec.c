/*
 * spec: a config.json template (runc's, less what containerv refuses); features: what this runtime
 * supports, in the runtime-spec's features.json form.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runc.h"

static const char spec_template[] =
        "{\n"
        "  \"ociVersion\": \"" CONTAINERV_OCI_VERSION "\",\n"
        "  \"process\": {\n"
        "    \"terminal\": true,\n"
        "    \"user\": {\"uid\": 0, \"gid\": 0},\n"
        "    \"args\": [\"sh\"],\n"
        "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\"],\n"
        "    \"cwd\": \"/\",\n"
        "    \"capabilities\": {\n"
        "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
        "      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
        "      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
        "      \"ambient\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]\n"
        "    },\n"
        "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
        "    \"noNewPrivileges\": true\n"
        "  },\n"
        "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
        "  \"hostname\": \"containerv\",\n"
        "  \"mounts\": [\n"
        "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
        "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
        "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
        "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
        "     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\"]},\n"
        "    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
        "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
        "    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
        "     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
        "    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
        "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},\n"
        "    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
        "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}\n"
        "  ],\n"
        "  \"linux\": {\n"
        "    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},\n"
        "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"},\n"
        "                   {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],\n"
        "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", "
        "\"/proc/latency_stats\",\n"
        "                    \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/sys/firmware\",\n"
        "                    \"/proc/scsi\"],\n"
        "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\"]\n"
        "  }\n"
        "}\n";

int runc_spec(int argc, char **argv)
{
	const char *bundle = ".";
	bool rootless = false;
	struct flag table[] = {{"bundle", true, &bundle, NULL},
	                       {"b", true, &bundle, NULL},
	                       {"rootless", false, NULL, &rootless},
	                       {NULL, false, NULL, NULL}};
	char *positional[1], path[4096];
	int count;

	if (runc_parse_flags(argc, argv, table, positional, 0, &count) != 0)
		return 1;
	if (rootless)
		return runc_error("spec: --rootless is not supported (containerv-runc runs as root)");
	if (snprintf(path, sizeof path, "%s/config.json", bundle) >= (int)sizeof path)
		return runc_error("spec: bundle path too long");
	/* O_EXCL: never overwrite a config someone wrote (runc refuses too). */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return runc_error("spec: %s: %s", path, strerror(errno));
	size_t length = strlen(spec_template);
	if (write(fd, spec_template, length) != (ssize_t)length) {
		int saved = errno;
		close(fd);
		unlink(path);
		return runc_error("spec: %s: %s", path, strerror(saved));
	}
	return close(fd) < 0 ? runc_error("spec: %s: %s", path, strerror(errno)) : 0;
}

int runc_features(int argc, char **argv)
{
	static const char features[] =
	        "{\n"
	        "  \"ociVersionMin\": \"1.0.0\",\n"
	        "  \"ociVersionMax\": \"" CONTAINERV_OCI_VERSION "\",\n"
	        "  \"hooks\": [\"prestart\", \"createRuntime\", \"poststart\", \"poststop\"],\n"
	        "  \"mountOptions\": [\"async\", \"atime\", \"bind\", \"defaults\", \"dev\", \"diratime\", \"exec\", "
	        "\"lazytime\", \"noatime\", \"nodev\", \"nodiratime\", \"noexec\", \"nolazytime\", \"norelatime\", "
	        "\"nosuid\", \"nostrictatime\", \"private\", \"rbind\", \"relatime\", \"ro\", \"rprivate\", \"rro\", "
	        "\"rshared\", \"rslave\", \"rw\", \"shared\", \"slave\", \"strictatime\", \"suid\", \"sync\"],\n"
	        "  \"linux\": {\n"
	        "    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", \"user\", \"uts\"],\n"
	        "    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": false},\n"
	        "    \"seccomp\": {\"enabled\": true,\n"
	        "      \"actions\": [\"SCMP_ACT_ALLOW\", \"SCMP_ACT_ERRNO\", \"SCMP_ACT_KILL\", "
	        "\"SCMP_ACT_KILL_PROCESS\", "
	        "\"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_LOG\", \"SCMP_ACT_TRACE\", \"SCMP_ACT_TRAP\"],\n"
	        "      \"operators\": [\"SCMP_CMP_EQ\", \"SCMP_CMP_GE\", \"SCMP_CMP_GT\", \"SCMP_CMP_LE\", "
	        "\"SCMP_CMP_LT\", "
	        "\"SCMP_CMP_MASKED_EQ\", \"SCMP_CMP_NE\"],\n"
	        "      \"archs\": [\"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_ARM\", \"SCMP_ARCH_X32\", \"SCMP_ARCH_X86\", "
	        "\"SCMP_ARCH_X86_64\"],\n"
	        "      \"knownFlags\": [], \"supportedFlags\": []},\n"
	        "    \"apparmor\": {\"enabled\": true},\n"
	        "    \"selinux\": {\"enabled\": true},\n"
	        "    \"intelRdt\": {\"enabled\": false},\n"
	        "    \"mountExtensions\": {\"idmap\": {\"enabled\": false}}\n"
	        "  },\n"
	        "  \"annotations\": {\"org.opencontainers.runtime-spec.features.containerv\": \"refusals are named, "
	        "see "
	        "docs/oci.md\"}\n"
	        "}\n";
	char *positional[1];
	int count;
	struct flag table[] = {{NULL, false, NULL, NULL}};

	if (runc_parse_flags(argc, argv, table, positional, 0, &count) != 0)
		return 1;
	fputs(features, stdout);
	return 0;
}
