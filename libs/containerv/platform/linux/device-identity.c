/*
 * cv_device_identify on Linux (security/security-internal.h): a device node's type and numbers from
 * stat, and the name of its major in /proc/devices, which is how drivers whose major the kernel picks
 * at boot (bsg, nvme-generic) are known.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/error.h"
#include "security/security-internal.h"

/* The first name /proc/devices gives major MAJOR of TYPE ("" when it lists none, or cannot be read). */
static void driver_name(char type, unsigned int major, char *name, size_t size)
{
	const char *section = type == 'b' ? "Block devices:" : "Character devices:";
	char line[128], listed[64];
	bool in_section = false;
	unsigned int number;
	FILE *devices;

	name[0] = '\0';
	devices = fopen("/proc/devices", "re");
	if (devices == NULL)
		return;
	while (fgets(line, sizeof line, devices) != NULL) {
		if (strchr(line, ':') != NULL) {
			in_section = strncmp(line, section, strlen(section)) == 0;
			continue;
		}
		if (in_section && sscanf(line, "%u %63s", &number, listed) == 2 && number == major) {
			snprintf(name, size, "%s", listed);
			break;
		}
	}
	fclose(devices);
}

int cv_device_identify(const char *host_path, struct cv_device_identity *identity)
{
	struct stat st;

	if (stat(host_path, &st) < 0)
		return cv_error_sys("device %s", host_path);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return cv_error_errno(EINVAL, "device %s: not a device node (a character or block device)", host_path);
	*identity = (struct cv_device_identity){
	        .type = S_ISBLK(st.st_mode) ? 'b' : 'c',
	        .major = major(st.st_rdev),
	        .minor = minor(st.st_rdev),
	        .permissions = st.st_mode & 07777,
	};
	driver_name(identity->type, identity->major, identity->driver, sizeof identity->driver);
	return 0;
}
