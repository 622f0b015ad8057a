/*
 * The scrape's balancer series: every backend of every compose project's
 * balancer (containerv_compose_lb_status()), labelled with the project, the
 * service, the balanced address and the replica: its state, counters, and
 * its connect and first-byte latency as Prometheus histograms (the
 * balancer's log-linear buckets summed into fixed `le` bounds).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv.h>

#include "metrics/metrics-internal.h"

/* Bounds in seconds: 100 us to 10 s. */
static const double latency_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
#define BOUND_COUNT (sizeof latency_bounds / sizeof latency_bounds[0])

struct entry {
	char *project, *service, *listen, *container;
	struct containerv_lb_backend_stats stats;
	struct containerv_lb_histogram connect, first_byte;
};

struct collection {
	const char *project;
	struct entry *entries;
	size_t count;
	char **projects; /* seen, once each */
	size_t project_count;
};

static int add_backend(const struct containerv_compose_lb_backend *backend, void *user)
{
	struct collection *collection = user;
	struct entry *grown = realloc(collection->entries, (collection->count + 1) * sizeof *grown);

	if (grown == NULL)
		return 0;
	collection->entries = grown;
	grown[collection->count] = (struct entry){
	        .project = strdup(collection->project),
	        .service = strdup(backend->service),
	        .listen = strdup(backend->listen),
	        .container = strdup(backend->container),
	        .stats = backend->stats,
	        .connect = backend->connect,
	        .first_byte = backend->first_byte,
	};
	collection->count++;
	return 0;
}

static int add_project(const struct containerv_compose_container *container, void *user)
{
	struct collection *collection = user;
	char **grown;

	for (size_t i = 0; i < collection->project_count; i++) {
		if (strcmp(collection->projects[i], container->project) == 0)
			return 0;
	}
	grown = realloc(collection->projects, (collection->project_count + 1) * sizeof *grown);
	if (grown == NULL)
		return 0;
	collection->projects = grown;
	grown[collection->project_count] = strdup(container->project);
	if (grown[collection->project_count] != NULL)
		collection->project_count++;
	return 0;
}

static void labels(FILE *out, const struct entry *entry)
{
	fputs("{project=\"", out);
	cv_metrics_label_value(out, entry->project);
	fputs("\",service=\"", out);
	cv_metrics_label_value(out, entry->service);
	fputs("\",listen=\"", out);
	cv_metrics_label_value(out, entry->listen);
	fputs("\",backend=\"", out);
	cv_metrics_label_value(out, entry->container);
	fputc('"', out);
}

static void histogram(FILE *out, const char *name, const struct entry *entry,
                      const struct containerv_lb_histogram *values)
{
	size_t bucket = 0;
	uint64_t below = 0;

	for (size_t b = 0; b < BOUND_COUNT; b++) {
		/* A bucket counts under a bound when all of it lies below: its limit. */
		while (bucket < CONTAINERV_LB_HISTOGRAM_BUCKETS &&
		       (double)containerv_lb_histogram_bucket_limit(bucket) / 1e6 <= latency_bounds[b])
			below += values->buckets[bucket++];
		fprintf(out, "%s_bucket", name);
		labels(out, entry);
		fprintf(out, ",le=\"%g\"} %llu\n", latency_bounds[b], (unsigned long long)below);
	}
	fprintf(out, "%s_bucket", name);
	labels(out, entry);
	fprintf(out, ",le=\"+Inf\"} %llu\n%s_sum", (unsigned long long)values->count, name);
	labels(out, entry);
	fprintf(out, "} %.15g\n%s_count", (double)values->sum_us / 1e6, name);
	labels(out, entry);
	fprintf(out, "} %llu\n", (unsigned long long)values->count);
}

void cv_metrics_write_balancers(FILE *out)
{
	static const struct {
		const char *name, *type, *help;
	} families[] = {
	        {"containerv_lb_backend_up", "gauge", "1 while the balancer sends new connections to the backend."},
	        {"containerv_lb_connections_total", "counter", "Connections (UDP: flows) relayed to the backend."},
	        {"containerv_lb_active_connections", "gauge", "Connections open to the backend now."},
	        {"containerv_lb_received_bytes_total", "counter", "Bytes from clients to the backend."},
	        {"containerv_lb_sent_bytes_total", "counter", "Bytes from the backend to clients."},
	        {"containerv_lb_errors_total", "counter",
	         "Refused or timed-out connects, failed probes, reset relays."},
	};
	struct collection collection = {0};

	/* Errors here (no store yet, a project without a balancer) mean no series, not a failed scrape. */
	(void)containerv_compose_list(NULL, add_project, &collection);
	for (size_t i = 0; i < collection.project_count; i++) {
		collection.project = collection.projects[i];
		(void)containerv_compose_lb_status(collection.projects[i], add_backend, &collection);
	}
	for (size_t f = 0; collection.count > 0 && f < sizeof families / sizeof families[0]; f++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help, families[f].name,
		        families[f].type);
		for (size_t i = 0; i < collection.count; i++) {
			const struct containerv_lb_backend_stats *s = &collection.entries[i].stats;
			double values[] = {s->state == CONTAINERV_LB_BACKEND_UP,
			                   (double)s->connections,
			                   (double)s->active,
			                   (double)s->bytes_in,
			                   (double)s->bytes_out,
			                   (double)s->errors};

			if (collection.entries[i].container == NULL || collection.entries[i].listen == NULL ||
			    collection.entries[i].service == NULL || collection.entries[i].project == NULL)
				continue;
			fputs(families[f].name, out);
			labels(out, &collection.entries[i]);
			fprintf(out, "} %.15g\n", values[f]);
		}
	}
	for (int kind = 0; collection.count > 0 && kind < 2; kind++) {
		const char *name = kind == 0 ? "containerv_lb_connect_seconds" : "containerv_lb_first_byte_seconds";
		fprintf(out, "# HELP %s %s\n# TYPE %s histogram\n", name,
		        kind == 0 ? "Time for the backend to accept a connection."
		                  : "Time from the backend's accept to its first byte back.",
		        name);
		for (size_t i = 0; i < collection.count; i++) {
			const struct entry *entry = &collection.entries[i];
			if (entry->container != NULL && entry->listen != NULL && entry->service != NULL &&
			    entry->project != NULL)
				histogram(out, name, entry, kind == 0 ? &entry->connect : &entry->first_byte);
		}
	}
	for (size_t i = 0; i < collection.count; i++) {
		free(collection.entries[i].project);
		free(collection.entries[i].service);
		free(collection.entries[i].listen);
		free(collection.entries[i].container);
	}
	free(collection.entries);
	for (size_t i = 0; i < collection.project_count; i++)
		free(collection.projects[i]);
	free(collection.projects);
}
