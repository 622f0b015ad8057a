/*
 * docker's management-command spellings: `container ls`, `container run`
 * ... are the top-level commands under another name (image, volume and
 * network have their own files).
 */
#include <string.h>

#include "cli.h"
#include "flags.h"

static int container_ls(int argc, char **argv)
{
	argv[0] = "ps";
	return cmd_ps(argc, argv);
}

static const struct subcommand container_commands[] = {
        {"attach", cmd_attach, "Attach to a running container's output"},
        {"commit", cmd_commit, "Create a new image from a container's changes"},
        {"cp", cmd_cp, "Copy files/folders between a container and the local filesystem"},
        {"create", cmd_create, "Create a new container"},
        {"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem"},
        {"exec", cmd_exec, "Execute a command in a running container"},
        {"export", cmd_export, "Export a container's filesystem as a tar archive"},
        {"inspect", cmd_inspect, "Display detailed information on one or more containers"},
        {"kill", cmd_kill, "Kill one or more running containers"},
        {"logs", cmd_logs, "Fetch the logs of a container"},
        {"ls", container_ls, "List containers"},
        {"pause", cmd_pause, "Pause all processes within one or more containers"},
        {"port", cmd_port, "List port mappings of a container"},
        {"prune", cmd_container_prune, "Remove all stopped containers"},
        {"rename", cmd_rename, "Rename a container"},
        {"restart", cmd_restart, "Restart one or more containers"},
        {"rm", cmd_rm, "Remove one or more containers"},
        {"run", cmd_run, "Create and run a new container"},
        {"start", cmd_start, "Start one or more stopped containers"},
        {"stats", cmd_stats, "Display a live stream of container resource usage statistics"},
        {"stop", cmd_stop, "Stop one or more running containers"},
        {"top", cmd_top, "Display the running processes of a container"},
        {"unpause", cmd_unpause, "Unpause all processes within one or more containers"},
        {"update", cmd_update, "Update configuration of one or more containers"},
        {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
};

int cmd_container(int argc, char **argv)
{
	/* docker's aliases: container list / ps, container remove is handled by the dispatcher. */
	if (argc >= 2 && strcmp(argv[1], "ps") == 0)
		argv[1] = "ls";
	return subcommand_dispatch("container", "Manage containers", container_commands,
	                           sizeof container_commands / sizeof *container_commands, argc, argv);
}
