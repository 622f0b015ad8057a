/*
 * containerv: the balancers of compose projects.
 *
 * A published port of a service with several replicas (or with
 * x-containerv.lb) is served by the project's balancer process, started by
 * containerv_compose_up() and stopped by containerv_compose_down(); it
 * re-reads the project's replicas every second and at once on SIGHUP (so
 * replicas added or removed by any means join or drain), and writes its
 * counters to the project's state every second. This reads them.
 */
#ifndef CHEF_CONTAINERV_COMPOSE_LB_H
#define CHEF_CONTAINERV_COMPOSE_LB_H

#include <chef/containerv/common.h>
#include <chef/containerv/loadbalancer.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One backend (a replica) of one balanced port, as containerv_compose_lb_status() reports it. */
struct containerv_compose_lb_backend {
	const char *service;   /* the service whose port it is */
	const char *listen;    /* "ADDRESS:PORT/tcp" or ".../udp" */
	const char *algorithm; /* as containerv_lb_algorithm_name() */
	const char *container; /* the replica's name */
	struct containerv_lb_backend_stats stats;
	struct containerv_lb_histogram connect;    /* CONTAINERV_LB_LATENCY_CONNECT */
	struct containerv_lb_histogram first_byte; /* CONTAINERV_LB_LATENCY_FIRST_BYTE */
};

/*
 * Calls callback for each backend of each balanced port of a project, as its
 * balancer last wrote them (within a second). ENOENT when the project has no
 * balancer running. A non-zero return of callback stops the walk and is
 * returned.
 */
CONTAINERV_API int containerv_compose_lb_status(const char *project,
                                                int (*callback)(const struct containerv_compose_lb_backend *backend,
                                                                void *user),
                                                void *user);

#define CONTAINERV_COMPOSE_AUTOSCALE_STATUS_VERSION 1

/* One autoscaled service (x-containerv.autoscale), as containerv_compose_autoscale_status() reports it. */
struct containerv_compose_autoscale_status {
	unsigned int version;       /* CONTAINERV_COMPOSE_AUTOSCALE_STATUS_VERSION */
	const char *service;        /* the service */
	unsigned int replicas;      /* running at the last sample (healthy or not) */
	unsigned int wanted;        /* the last decision (replicas while paused) */
	unsigned int min, max;      /* its bounds */
	double cpu_percent;         /* mean CPU use of its replicas in rotation, % of one CPU; -1: unknown yet */
	double memory_percent;      /* mean memory use, % of their limit; -1: unknown */
	int paused;                 /* a manual scale paused it, until the next compose up */
	int scaling;                /* a change is under way */
	unsigned long long changes; /* changes applied since the balancer process started */
	const char *error;          /* the last failed change's error; "" after a success */
};

/*
 * Calls callback for each autoscaled service of a project, as its balancer
 * process last wrote them (within a second; a service shows from its first
 * sample on). ENOENT when the project has no balancer process. A non-zero
 * return of callback stops the walk and is returned.
 */
CONTAINERV_API int containerv_compose_autoscale_status(
        const char *project, int (*callback)(const struct containerv_compose_autoscale_status *status, void *user),
        void *user);

/*
 * Tells a project's balancer to re-read its replicas now (after replicas
 * were added or removed outside compose up); 0 when none runs.
 */
CONTAINERV_API int containerv_compose_lb_refresh(const char *project);

#ifdef __cplusplus
}
#endif

#endif
