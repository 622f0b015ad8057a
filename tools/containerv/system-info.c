/*
 * info / system info: docker info's summary of the engine (here the
 * library and its state root) and the host: container counts by state,
 * images, the storage and cgroup drivers, kernel, OS, CPUs and memory.
 * --format takes json or a template over docker's field names.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

struct counts {
	json_int_t containers, running, paused, stopped, images;
};

static int count_container(const struct containerv_info *info, void *user)
{
	struct counts *counts = user;

	counts->containers++;
	if (info->state == CV_STATE_RUNNING && info->paused)
		counts->paused++;
	else if (info->state == CV_STATE_RUNNING || info->state == CV_STATE_HELD)
		counts->running++;
	else
		counts->stopped++;
	return 0;
}

static int count_image(const struct containerv_image_info *info, void *user)
{
	(void)info;
	((struct counts *)user)->images++;
	return 0;
}

/* PRETTY_NAME of /etc/os-release, as docker prints Operating System. */
static void operating_system(char *buffer, size_t size)
{
	char line[512];
	FILE *file = fopen("/etc/os-release", "re");

	snprintf(buffer, size, "Linux");
	while (file != NULL && fgets(line, sizeof line, file) != NULL) {
		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		char *value = line + 12;
		value[strcspn(value, "\n")] = '\0';
		if (value[0] == '"') {
			value++;
			value[strcspn(value, "\"")] = '\0';
		}
		snprintf(buffer, size, "%s", value);
	}
	if (file != NULL)
		fclose(file);
}

static json_t *info_object(const struct counts *counts)
{
	enum containerv_cgroup_mode mode = CONTAINERV_CGROUP_V2;
	struct utsname host;
	char os[256];
	long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);

	if (uname(&host) < 0)
		memset(&host, 0, sizeof host);
	if (containerv_cgroup_mode(&mode) < 0)
		mode = CONTAINERV_CGROUP_V2;
	operating_system(os, sizeof os);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:[s,s]}", "Containers",
	                 counts->containers, "ContainersRunning", counts->running, "ContainersPaused", counts->paused,
	                 "ContainersStopped", counts->stopped, "Images", counts->images, "ServerVersion",
	                 CONTAINERV_VERSION_STRING, "Driver", "overlay", "CgroupDriver", "cgroupfs", "CgroupVersion",
	                 mode == CONTAINERV_CGROUP_V2 ? "2" : "1", "KernelVersion", host.release, "OperatingSystem", os,
	                 "OSType", "linux", "Architecture", host.machine, "NCPU",
	                 (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
	                 (json_int_t)(pages > 0 && page_size > 0 ? pages * page_size : 0), "DockerRootDir",
	                 containerv_root(), "SecurityOptions", "name=seccomp,profile=builtin", "name=cgroupns");
}

static void print_info(json_t *info)
{
	char memory[32];

#define FIELD(name) json_string_value(json_object_get(info, name))
#define NUMBER(name) (long long)json_integer_value(json_object_get(info, name))
	format_size_binary((double)json_integer_value(json_object_get(info, "MemTotal")), memory, sizeof memory);
	printf("Client:\n Version:    %s\n\nServer:\n", CONTAINERV_VERSION_STRING);
	printf(" Containers: %lld\n  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n", NUMBER("Containers"),
	       NUMBER("ContainersRunning"), NUMBER("ContainersPaused"), NUMBER("ContainersStopped"));
	printf(" Images: %lld\n Server Version: %s\n Storage Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s\n",
	       NUMBER("Images"), FIELD("ServerVersion"), FIELD("Driver"), FIELD("CgroupDriver"),
	       FIELD("CgroupVersion"));
	printf(" Security Options:\n  seccomp\n   Profile: builtin\n  cgroupns\n");
	printf(" Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n CPUs: %lld\n"
	       " Total Memory: %s\n Root Dir: %s\n",
	       FIELD("KernelVersion"), FIELD("OperatingSystem"), FIELD("OSType"), FIELD("Architecture"), NUMBER("NCPU"),
	       memory, FIELD("DockerRootDir"));
#undef FIELD
#undef NUMBER
}

int cmd_info(int argc, char **argv)
{
	static const char *format;
	static const struct flag table[] = {
	        {"format", 'f', FLAG_STRING, &format, "string", "json, or a template such as '{{.Containers}}'"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "info",
	        "[OPTIONS]",
	        "Display system-wide information",
	        table,
	        false,
	        0,
	        0,
	        "Template fields: Containers, ContainersRunning, ContainersPaused, ContainersStopped, Images,\n"
	        "ServerVersion, Driver, CgroupDriver, CgroupVersion, KernelVersion, OperatingSystem, OSType,\n"
	        "Architecture, NCPU, MemTotal, DockerRootDir, SecurityOptions.",
	};
	_cleanup_free_ char **words = NULL;
	struct counts counts = {0};
	struct arguments positional;
	json_t *info;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (format != NULL && strcmp(format, "json") != 0 && template_check(format) < 0)
		return EXIT_CLI_ERROR;
	if (containerv_list(count_container, &counts) < 0 || containerv_image_list(count_image, &counts) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	info = info_object(&counts);
	if (info == NULL)
		return cli_fail(EXIT_CONTAINER_FAILURE, "info: out of memory");
	if (format == NULL)
		print_info(info);
	else if (strcmp(format, "json") == 0)
		json_print_line(info, stdout);
	else if (template_print(format, info, stdout) == 0)
		fputc('\n', stdout);
	json_decref(info);
	return 0;
}
