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
static int count_container(const struct containerv_info *info, void *user)
{
	uint64_t *counts = user;

	counts[0]++;
	counts[1] += info->state == CV_STATE_RUNNING;
	return 0;
}

static int count_volume(const struct containerv_volume_info *info, void *user)
{
	uint64_t *counts = user;

	counts[0]++;
	counts[1] += info->used_by != NULL && info->used_by[0] != NULL;
	counts[2] += info->bytes_used;
	if (info->used_by == NULL || info->used_by[0] == NULL)
		counts[3] += info->bytes_used;
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

static int system_df(int argc, char **argv)
{
	static const char *format;
	static const struct flag table_flags[] = {
	        {"format", 0, FLAG_STRING, &format, "string", "json for one JSON line per type"},
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
	uint64_t containers[2] = {0, 0}, volumes[4] = {0, 0, 0, 0};
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (containerv_image_df(&df) < 0 || containerv_list(count_container, containers) < 0 ||
	    containerv_volume_list(count_volume, volumes) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	if (format != NULL && strcmp(format, "json") == 0) {
		json_t *rows[] = {
		        json_pack("{s:s, s:I, s:I, s:I, s:I}", "Type", "Images", "TotalCount", (json_int_t)df.images,
		                  "Active", (json_int_t)df.images_in_use, "Size",
		                  (json_int_t)(df.blob_bytes + df.layer_bytes), "Reclaimable",
		                  (json_int_t)df.reclaimable_bytes),
		        json_pack("{s:s, s:I, s:I}", "Type", "Containers", "TotalCount", (json_int_t)containers[0],
		                  "Active", (json_int_t)containers[1]),
		        json_pack("{s:s, s:I, s:I, s:I, s:I}", "Type", "Local Volumes", "TotalCount",
		                  (json_int_t)volumes[0], "Active", (json_int_t)volumes[1], "Size",
		                  (json_int_t)volumes[2], "Reclaimable", (json_int_t)volumes[3]),
		};
		for (size_t i = 0; i < 3; i++) {
			json_print_line(rows[i], stdout);
			json_decref(rows[i]);
		}
		return 0;
	}
	if (format != NULL)
		return cli_fail(EXIT_CLI_ERROR, "invalid --format \"%s\": only json", format);
	table_init(&table, 5, header);
	df_row(&table, "Images", df.images, df.images_in_use, df.blob_bytes + df.layer_bytes, df.reclaimable_bytes);
	df_row(&table, "Containers", containers[0], containers[1], 0, 0);
	df_row(&table, "Local Volumes", volumes[0], volumes[1], volumes[2], volumes[3]);
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
	        {"gc", system_gc, "Remove image data no name and no container uses"},
	};

	return subcommand_dispatch("system", "Manage containerv", commands, sizeof commands / sizeof commands[0], argc,
	                           argv);
}
