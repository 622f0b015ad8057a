/*
 * system df (images, containers and volumes, as docker prints them) and
 * system gc (the image store's garbage collection).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "flags.h"
#include "image-cli.h"
#include "output.h"

/* system df: images, containers and volumes, as docker prints them. */
struct container_usage {
	uint64_t total, active, bytes, reclaimable;
	struct table *verbose; /* -v: one row per container, else NULL */
	int64_t now;
};

/* The writable layer's bytes of one container; 0 for one removed during the walk. */
static uint64_t container_bytes(const struct containerv_info *info)
{
	struct containerv_container *container = NULL;
	uint64_t bytes = 0;

	if (containerv_open(info->id, &container) == 0) {
		if (containerv_disk_usage(container, &bytes) < 0)
			bytes = 0;
		containerv_close(container);
	}
	return bytes;
}

static void container_row(struct table *table, const struct containerv_info *info, uint64_t bytes, int64_t now)
{
	char id[13], size[32], created[80], command[64], status[32];
	const char *name = info->name[0] != '\0' ? info->name : id;

	snprintf(id, sizeof id, "%.12s", info->id);
	snprintf(command, sizeof command, "\"%.20s\"", info->command);
	format_size_decimal((double)bytes, size, sizeof size);
	format_duration(now - info->created_ns, created, sizeof created - 4);
	strcat(created, " ago");
	snprintf(status, sizeof status, "%s", cli_info_state_name(info));
	table_add(table, (const char *const[]){id, info->image[0] != '\0' ? image_familiar(info->image) : info->rootfs,
	                                       command, size, created, status, name});
}

static int count_container(const struct containerv_info *info, void *user)
{
	struct container_usage *usage = user;
	uint64_t bytes = container_bytes(info);
	bool running = info->state == CV_STATE_RUNNING;

	usage->total++;
	usage->active += running;
	usage->bytes += bytes;
	/* docker: what removing the stopped containers would free. */
	if (!running)
		usage->reclaimable += bytes;
	if (usage->verbose != NULL)
		container_row(usage->verbose, info, bytes, usage->now);
	return 0;
}

struct volume_usage {
	uint64_t total, active, bytes, reclaimable;
	struct table *verbose;
};

static int count_volume(const struct containerv_volume_info *info, void *user)
{
	struct volume_usage *usage = user;
	size_t links = 0;

	while (info->used_by != NULL && info->used_by[links] != NULL)
		links++;
	usage->total++;
	usage->active += links > 0;
	usage->bytes += info->bytes_used;
	if (links == 0)
		usage->reclaimable += info->bytes_used;
	if (usage->verbose != NULL) {
		char links_text[32], size[32];

		snprintf(links_text, sizeof links_text, "%zu", links);
		format_size_decimal((double)info->bytes_used, size, sizeof size);
		table_add(usage->verbose, (const char *const[]){info->name, links_text, size});
	}
	return 0;
}

static void df_row(struct table *table, const char *type, uint64_t total, uint64_t active, uint64_t size,
                   uint64_t reclaimable)
{
	char total_text[32], active_text[32], size_text[32], reclaim_text[64], reclaim_size[32];

	snprintf(total_text, sizeof total_text, "%llu", (unsigned long long)total);
	snprintf(active_text, sizeof active_text, "%llu", (unsigned long long)active);
	format_size_decimal((double)size, size_text, sizeof size_text);
	format_size_decimal((double)reclaimable, reclaim_size, sizeof reclaim_size);
	snprintf(reclaim_text, sizeof reclaim_text, "%s (%d%%)", reclaim_size,
	         size > 0 ? (int)(reclaimable * 100 / size) : 0);
	table_add(table, (const char *const[]){type, total_text, active_text, size_text, reclaim_text});
}

/* -v's images: one row per name, as docker's "Images space usage". */
static int image_row(const struct containerv_image_info *info, void *user)
{
	struct table *table = user;
	char id[13], created[80], size[32], containers[32];
	size_t users = 0;

	snprintf(id, sizeof id, "%.12s", strncmp(info->id, "sha256:", 7) == 0 ? info->id + 7 : info->id);
	format_duration(now_ns() - info->created_ns, created, sizeof created - 4);
	strcat(created, " ago");
	format_size_decimal((double)info->unpacked_size, size, sizeof size);
	while (info->used_by != NULL && info->used_by[users] != NULL)
		users++;
	snprintf(containers, sizeof containers, "%zu", users);
	for (size_t i = 0; info->names == NULL || info->names[i] != NULL; i++) {
		char repository[512] = "<none>", tag[256] = "<none>";

		if (info->names != NULL) {
			const char *familiar = image_familiar(info->names[i]);
			const char *colon = strrchr(familiar, ':');
			bool tagged = colon != NULL && strchr(colon, '/') == NULL;

			snprintf(repository, sizeof repository, "%.*s",
			         tagged ? (int)(colon - familiar) : (int)strlen(familiar), familiar);
			if (tagged)
				snprintf(tag, sizeof tag, "%s", colon + 1);
		}
		table_add(table, (const char *const[]){repository, tag, id, created, size, containers});
		if (info->names == NULL)
			break;
	}
	return 0;
}

/* docker system df -v: a table per type. */
static int system_df_verbose(void)
{
	static const char *const image_header[] = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "CONTAINERS"};
	static const char *const container_header[] = {"CONTAINER ID", "IMAGE",  "COMMAND", "SIZE",
	                                               "CREATED",      "STATUS", "NAMES"};
	static const char *const volume_header[] = {"VOLUME NAME", "LINKS", "SIZE"};
	struct table images, containers, volumes;
	struct container_usage container_usage = {.verbose = &containers, .now = now_ns()};
	struct volume_usage volume_usage = {.verbose = &volumes};
	int code = 0;

	table_init(&images, 6, image_header);
	table_init(&containers, 7, container_header);
	table_init(&volumes, 3, volume_header);
	if (containerv_image_list(image_row, &images) < 0 || containerv_list(count_container, &container_usage) < 0 ||
	    containerv_volume_list(count_volume, &volume_usage) < 0) {
		code = cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	} else {
		printf("Images space usage:\n\n");
		table_print(&images, stdout);
		printf("\nContainers space usage:\n\n");
		table_print(&containers, stdout);
		printf("\nLocal Volumes space usage:\n\n");
		table_print(&volumes, stdout);
	}
	table_free(&images);
	table_free(&containers);
	table_free(&volumes);
	return code;
}

static int system_df(int argc, char **argv)
{
	static const char *format;
	static int verbose;
	static const struct flag table_flags[] = {
	        {"format", 0, FLAG_STRING, &format, "string", "json for one JSON line per type"},
	        {"verbose", 'v', FLAG_BOOL, &verbose, NULL, "Show detailed information on space usage"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "system df", "[OPTIONS]", "Show containerv disk usage", table_flags, false, 0, 0, NULL,
	};
	static const char *const header[] = {"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"};
	_cleanup_free_ char **words = NULL;
	struct containerv_image_df df;
	struct arguments positional;
	struct table table;
	struct container_usage containers = {0};
	struct volume_usage volumes = {0};
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (format != NULL && strcmp(format, "json") != 0)
		return cli_fail(EXIT_CLI_ERROR, "invalid --format \"%s\": only json", format);
	if (verbose && format != NULL)
		return cli_fail(EXIT_CLI_ERROR, "--verbose and --format cannot be combined");
	if (verbose)
		return system_df_verbose();
	if (containerv_image_df(&df) < 0 || containerv_list(count_container, &containers) < 0 ||
	    containerv_volume_list(count_volume, &volumes) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	if (format != NULL) {
		json_t *rows[] = {
		        json_pack("{s:s, s:I, s:I, s:I, s:I}", "Type", "Images", "TotalCount", (json_int_t)df.images,
		                  "Active", (json_int_t)df.images_in_use, "Size",
		                  (json_int_t)(df.blob_bytes + df.layer_bytes), "Reclaimable",
		                  (json_int_t)df.reclaimable_bytes),
		        json_pack("{s:s, s:I, s:I, s:I, s:I}", "Type", "Containers", "TotalCount",
		                  (json_int_t)containers.total, "Active", (json_int_t)containers.active, "Size",
		                  (json_int_t)containers.bytes, "Reclaimable", (json_int_t)containers.reclaimable),
		        json_pack("{s:s, s:I, s:I, s:I, s:I}", "Type", "Local Volumes", "TotalCount",
		                  (json_int_t)volumes.total, "Active", (json_int_t)volumes.active, "Size",
		                  (json_int_t)volumes.bytes, "Reclaimable", (json_int_t)volumes.reclaimable),
		};
		for (size_t i = 0; i < 3; i++) {
			json_print_line(rows[i], stdout);
			json_decref(rows[i]);
		}
		return 0;
	}
	table_init(&table, 5, header);
	df_row(&table, "Images", df.images, df.images_in_use, df.blob_bytes + df.layer_bytes, df.reclaimable_bytes);
	df_row(&table, "Containers", containers.total, containers.active, containers.bytes, containers.reclaimable);
	df_row(&table, "Local Volumes", volumes.total, volumes.active, volumes.bytes, volumes.reclaimable);
	table_print(&table, stdout);
	table_free(&table);
	return 0;
}

static int system_gc(int argc, char **argv)
{
	static const struct flag table[] = {FLAG_END};
	static const struct command_spec spec = {
	        "system gc", "", "Remove image data no name and no container uses", table, false, 0, 0, NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct containerv_image_gc_result result;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (containerv_image_gc(&result) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	printf("Removed %llu blobs and %llu layers\n", (unsigned long long)result.blobs_removed,
	       (unsigned long long)result.layers_removed);
	image_print_reclaimed(&result);
	return 0;
}

int cmd_system(int argc, char **argv)
{
	static const struct subcommand commands[] = {
	        {"df", system_df, "Show containerv disk usage"},
	        {"events", cmd_events, "Get real time events from the server"},
	        {"gc", system_gc, "Remove image data no name and no container uses"},
	        {"info", cmd_info, "Display system-wide information"},
	        {"prune", cmd_system_prune, "Remove unused data"},
	};

	return subcommand_dispatch("system", "Manage containerv", commands, sizeof commands / sizeof commands[0], argc,
	                           argv);
}
