/*
 * Progress of pull and push: on a terminal one bar per layer (bytes and
 * speed), redrawn in place at most ten times a second; otherwise plain
 * lines, one per layer event; nothing with --quiet.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "progress.h"

#define REDRAW_NS 100000000LL

static const char *short_digest(const char *digest)
{
	static char buffer[16];
	const char *colon = digest ? strchr(digest, ':') : NULL;
	snprintf(buffer, sizeof buffer, "%.12s", colon ? colon + 1 : (digest ? digest : ""));
	return buffer;
}

void progress_init(struct progress *progress, FILE *out, bool quiet, bool push)
{
	memset(progress, 0, sizeof *progress);
	progress->out = out;
	progress->quiet = quiet;
	progress->push = push;
	progress->terminal = isatty(fileno(out)) && getenv("TERM") != NULL && strcmp(getenv("TERM"), "dumb") != 0;
}

void progress_free(struct progress *progress)
{
	free(progress->layers);
	progress->layers = NULL;
}

static void draw(struct progress *progress)
{
	int64_t now = now_ns();

	if (progress->drawn > 0)
		fprintf(progress->out, "\033[%uA", progress->drawn);
	for (unsigned i = 0; i < progress->count; i++) {
		struct progress_layer *layer = &progress->layers[i];
		char done[32], total[32], speed[32] = "";
		const int width = 30;
		int filled = layer->total ? (int)((double)layer->current / (double)layer->total * width) : 0;
		char bar[64];

		if (filled > width)
			filled = width;
		format_size_decimal((double)layer->current, done, sizeof done);
		format_size_decimal((double)layer->total, total, sizeof total);
		if (layer->state == PROGRESS_MOVING && now > layer->started_ns) {
			double seconds = (double)(now - layer->started_ns) / 1e9;
			format_size_decimal((double)(layer->current - layer->start_bytes) / seconds, speed,
			                    sizeof speed);
			strcat(speed, "/s");
		}
		memset(bar, ' ', (size_t)width);
		memset(bar, '=', (size_t)filled);
		if (filled < width && filled > 0)
			bar[filled] = '>';
		bar[width] = '\0';
		fprintf(progress->out, "\r%s: ", short_digest(layer->digest));
		switch (layer->state) {
		case PROGRESS_WAITING:
			fputs("Waiting", progress->out);
			break;
		case PROGRESS_MOVING:
			fprintf(progress->out, "%s [%s] %s/%s %s", progress->push ? "Pushing" : "Downloading", bar,
			        done, total, speed);
			break;
		case PROGRESS_EXISTS:
			fputs(progress->push ? "Layer already exists" : "Already exists", progress->out);
			break;
		case PROGRESS_MOUNTED:
			fputs("Mounted from another repository", progress->out);
			break;
		case PROGRESS_DONE:
			fprintf(progress->out, "%s %s", progress->push ? "Pushed" : "Download complete", total);
			break;
		}
		fputs("\033[K\n", progress->out);
	}
	progress->drawn = progress->count;
	progress->drawn_ns = now;
	fflush(progress->out);
}

static void plain_line(struct progress *progress, struct progress_layer *layer, const char *what)
{
	char total[32];
	format_size_decimal((double)layer->total, total, sizeof total);
	fprintf(progress->out, "%s: %s (%s)\n", short_digest(layer->digest), what, total);
	fflush(progress->out);
}

void progress_callback(const struct containerv_transfer_progress *event, void *user)
{
	struct progress *progress = user;
	struct progress_layer *layer = NULL;

	if (progress->quiet)
		return;
	if (event->event == CONTAINERV_TRANSFER_RESOLVED || (progress->layers == NULL && event->count > 0)) {
		if (progress->layers == NULL && event->count > 0) {
			progress->layers = xmalloc(event->count * sizeof *progress->layers);
			memset(progress->layers, 0, event->count * sizeof *progress->layers);
			progress->count = event->count;
		}
		if (event->event == CONTAINERV_TRANSFER_RESOLVED) {
			fprintf(progress->out, "%s: resolved to %s\n", event->name, event->digest);
			fflush(progress->out);
			return;
		}
	}
	if (event->index < progress->count && event->event != CONTAINERV_TRANSFER_UNPACKING &&
	    event->event != CONTAINERV_TRANSFER_DONE) {
		layer = &progress->layers[event->index];
		snprintf(layer->digest, sizeof layer->digest, "%s", event->digest ? event->digest : "");
		layer->total = event->total;
		layer->current = event->current;
	}
	switch (event->event) {
	case CONTAINERV_TRANSFER_RESOLVED:
		break;
	case CONTAINERV_TRANSFER_LAYER_EXISTS:
		if (layer == NULL)
			break;
		layer->state = PROGRESS_EXISTS;
		if (!progress->terminal)
			plain_line(progress, layer, progress->push ? "layer already exists" : "already exists");
		break;
	case CONTAINERV_TRANSFER_LAYER_MOUNTED:
		if (layer == NULL)
			break;
		layer->state = PROGRESS_MOUNTED;
		if (!progress->terminal)
			plain_line(progress, layer, "mounted from another repository");
		break;
	case CONTAINERV_TRANSFER_LAYER_PROGRESS:
		if (layer == NULL)
			break;
		if (layer->state != PROGRESS_MOVING) {
			layer->state = PROGRESS_MOVING;
			layer->started_ns = now_ns();
			layer->start_bytes = event->current;
		}
		if (progress->terminal && now_ns() - progress->drawn_ns < REDRAW_NS)
			return;
		break;
	case CONTAINERV_TRANSFER_LAYER_DONE:
		if (layer == NULL)
			break;
		layer->state = PROGRESS_DONE;
		layer->current = layer->total;
		if (!progress->terminal)
			plain_line(progress, layer, progress->push ? "pushed" : "downloaded and verified");
		break;
	case CONTAINERV_TRANSFER_UNPACKING:
		if (progress->terminal)
			draw(progress);
		fprintf(progress->out, "Unpacking layers\n");
		fflush(progress->out);
		progress->drawn = 0;
		return;
	case CONTAINERV_TRANSFER_DONE:
		if (progress->terminal && progress->drawn > 0)
			draw(progress);
		progress->drawn = 0;
		fprintf(progress->out, "Digest: %s\n", event->digest);
		fflush(progress->out);
		return;
	}
	if (progress->terminal)
		draw(progress);
}
