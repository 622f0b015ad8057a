/*
 * container prune and system prune: stopped containers (created or
 * exited), then unused networks and images (-a: every image no container
 * uses, else only unreferenced data), and with --volumes unused volumes,
 * printed as docker prints them. Each removal is decided by the library
 * under the object's lock: something started meanwhile stays.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "flags.h"
#include "image-cli.h"
#include "output.h"

struct pruned_containers {
	size_t count;
	uint64_t bytes;
};

static void print_container(const char *id, void *user)
{
	struct pruned_containers *pruned = user;

	if (pruned->count++ == 0)
		printf("Deleted Containers:\n");
	printf("%s\n", id);
}

/* docker asks unless -f; anything but y/yes is a no. */
static bool confirm(const char *what)
{
	char answer[16];

	printf("WARNING! This will remove:\n%s\nAre you sure you want to continue? [y/N] ", what);
	fflush(stdout);
	if (fgets(answer, sizeof answer, stdin) == NULL)
		return false;
	return strcmp(answer, "y\n") == 0 || strcmp(answer, "Y\n") == 0 || strcmp(answer, "yes\n") == 0;
}

static int prune_containers(struct pruned_containers *pruned)
{
	if (containerv_prune(0, print_container, pruned) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	if (pruned->count > 0)
		printf("\n");
	return 0;
}

int cmd_container_prune(int argc, char **argv)
{
	static int force;
	static const struct flag table[] = {
	        {"force", 'f', FLAG_BOOL, &force, NULL, "Do not prompt for confirmation"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "container prune", "[OPTIONS]", "Remove all stopped containers", table, false, 0, 0, NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct pruned_containers pruned = {0, 0};
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (!force && !confirm("  - all stopped containers"))
		return 0;
	code = prune_containers(&pruned);
	printf("Total reclaimed space: 0B\n");
	return code;
}

static void print_network(const char *name, void *user)
{
	size_t *count = user;

	if ((*count)++ == 0)
		printf("Deleted Networks:\n");
	printf("%s\n", name);
}

int cmd_system_prune(int argc, char **argv)
{
	static int force, all, volumes;
	static const struct flag table[] = {
	        {"all", 'a', FLAG_BOOL, &all, NULL, "Remove all unused images not just dangling ones"},
	        {"force", 'f', FLAG_BOOL, &force, NULL, "Do not prompt for confirmation"},
	        {"volumes", 0, FLAG_BOOL, &volumes, NULL, "Prune volumes"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "system prune", "[OPTIONS]", "Remove unused data", table, false, 0, 0, NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct pruned_containers pruned = {0, 0};
	struct containerv_image_gc_result images;
	struct arguments positional;
	uint64_t volume_bytes = 0;
	size_t networks = 0;
	char what[256];
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	snprintf(what, sizeof what,
	         "  - all stopped containers\n  - all networks not used by at least one container\n%s%s",
	         volumes ? "  - all volumes not used by at least one container\n" : "",
	         all ? "  - all images without at least one container associated to them" : "  - all dangling images");
	if (!force && !confirm(what))
		return 0;
	code = prune_containers(&pruned);
	if (containerv_network_prune(print_network, &networks) < 0)
		code = cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	else if (networks > 0)
		printf("\n");
	if (volumes && volume_prune_unused(&volume_bytes) != 0)
		code = EXIT_CONTAINER_FAILURE;
	memset(&images, 0, sizeof images);
	if ((all ? containerv_image_prune(&images) : containerv_image_gc(&images)) < 0)
		code = cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	images.bytes_freed += volume_bytes;
	image_print_reclaimed(&images);
	return code;
}
