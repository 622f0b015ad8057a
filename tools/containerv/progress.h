/*
 * Progress display for pull and push (the library's progress callback).
 */
#ifndef CV_CLI_PROGRESS_H
#define CV_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <chef/containerv.h>

enum progress_state {
	PROGRESS_WAITING = 0,
	PROGRESS_MOVING,
	PROGRESS_EXISTS,
	PROGRESS_MOUNTED,
	PROGRESS_DONE,
};

struct progress_layer {
	char digest[72];
	enum progress_state state;
	uint64_t current, total, start_bytes;
	int64_t started_ns;
};

struct progress {
	FILE *out;
	bool quiet;
	bool terminal; /* bars redrawn in place, else plain lines */
	bool push;
	struct progress_layer *layers;
	unsigned count;
	unsigned drawn; /* lines of bars on the screen */
	int64_t drawn_ns;
};

void progress_init(struct progress *progress, FILE *out, bool quiet, bool push);
void progress_free(struct progress *progress);
/* A containerv_transfer_progress_fn; user is the struct progress. */
void progress_callback(const struct containerv_transfer_progress *event, void *user);

/*
 * Pulls reference with base's registry options and a progress display on
 * out (stderr when stdout belongs to a container). 0, or 1 after printing
 * the error.
 */
int cli_image_pull(const char *reference, const struct containerv_registry_options *base, bool quiet, FILE *out);

int cmd_pull(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_search(int argc, char **argv);

#endif
