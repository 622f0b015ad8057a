/*
 * Internal: a compose service's balancer (compose-lb.c: its x-containerv.lb
 * keys and which published ports it serves; compose-lb-daemon.c: the process
 * that serves them) and its autoscaling policy (compose-autoscale.c).
 */
#ifndef CV_ORCHESTRATION_COMPOSE_LB_H
#define CV_ORCHESTRATION_COMPOSE_LB_H

#include <stdbool.h>

#include <jansson.h>

#include <chef/containerv.h>

#include "orchestration/compose-internal.h"

/* The label that chooses a service's algorithm when x-containerv.lb.algorithm does not. */
#define CV_COMPOSE_LABEL_LB_ALGORITHM "containerv.lb.algorithm"

/*
 * Validates and normalises a service's x-containerv (lb, autoscale) in place;
 * one error naming file, line and key ("services.web.x-containerv.lb.weights[1]: ...").
 */
int cv_compose_check_extensions(struct cv_compose_loader *loader, const char *name, json_t *service);

/* compose-autoscale.c: x-containerv.autoscale, normalised to numbers (milliseconds for the cooldowns). */
int cv_compose_check_autoscale(struct cv_compose_loader *loader, const char *name, json_t *service, json_t *autoscale);

/* The policy of a validated x-containerv.autoscale (the loader's), over the defaults in *policy. */
int cv_compose_autoscale_policy(json_t *autoscale, struct containerv_autoscale_policy *policy);

/* One published port of a service served by a balancer instead of by each replica. */
struct cv_compose_lb_port {
	char host_ip[16]; /* numeric IPv4; "0.0.0.0" when none was given */
	unsigned int published;
	unsigned int target;
	int udp;
};

/*
 * Is the port text (docker's -p form, as the loader normalised it) served by
 * a balancer for this service? Yes for a fixed host port of a service that
 * has more than one replica, an x-containerv.lb, an autoscale or the
 * algorithm label. Fills *port when yes.
 */
int cv_compose_port_balanced(json_t *service, const char *text, struct cv_compose_lb_port *port);

/* Adds the service's published ports to a replica's options, except those a balancer serves. */
int cv_compose_add_ports(struct containerv_options *options, json_t *service);

/*
 * compose-lb-daemon.c: after a successful up, makes the project's balancer
 * process serve what the app's balanced ports are now (started, told to
 * re-read the replicas, or replaced when the ports changed; stopped when the
 * app has none).
 */
int cv_compose_lb_up(const struct containerv_compose *app, containerv_compose_progress_fn progress, void *user);

/* Is a balancer process alive for the project directory <root>/compose/<project> (its lock held)? */
bool cv_compose_lb_serving(const char *directory);

/*
 * compose-lb-log.c: the balancer process's stdout and stderr, lb.log in the
 * project's directory, at most CV_COMPOSE_LB_LOG_MAX bytes before it becomes
 * lb.log.1. _open: the file to hand the process (a descriptor, -1 on error);
 * _bound: called by the process at each refresh, moves the full file aside
 * and points its stdout and stderr at a new one.
 */
#define CV_COMPOSE_LB_LOG "lb.log"
#define CV_COMPOSE_LB_LOG_MAX (1 << 20)
int cv_compose_lb_log_open(const char *directory);
void cv_compose_lb_log_bound(int directory);

/* Stops the project's balancer process, if any, and forgets its record (down). */
int cv_compose_lb_down(const char *project, containerv_compose_progress_fn progress, void *user);

/*
 * compose-lb-control.c: what others tell a running balancer process, as
 * marks in <root>/compose/<project>/ ('@' is in no service or container
 * name, so a mark never meets a service's own directory there).
 *
 * Draining before a replica is stopped: marks the containers (drain@NAME),
 * tells the balancer (SIGHUP), and waits until each of them is out of
 * rotation with no connection open, at most timeout_seconds (then the stop
 * closes what is left). Returns at once when no balancer runs. The marks
 * stay until cv_compose_lb_undrain(): a replica being removed never comes
 * back into rotation in between.
 */
int cv_compose_lb_drain(const char *project, char *const *containers, unsigned int timeout_seconds);
void cv_compose_lb_undrain(const char *project, char *const *containers);
/* Is the container marked to drain? (the balancer process asks, with its project directory open) */
bool cv_compose_lb_draining(int directory, const char *container);

/*
 * The rule between a manual scale and autoscaling: containerv_compose_scale()
 * of an autoscaled service pauses its autoscaling (autoscale-paused@SERVICE)
 * until the next containerv_compose_up() of that service resumes it.
 */
int cv_compose_autoscale_pause(const char *project, const char *service);
void cv_compose_autoscale_resume(const char *project, const char *service);
bool cv_compose_autoscale_paused(int directory, const char *service);

/*
 * The lock of a service's replica count (scale@SERVICE, flock): held by
 * cv_compose_scale_service() for the whole change, so a manual scale that
 * arrives while an autoscaling change runs waits for its end (and pauses the
 * autoscaling first: the autoscaler, once it holds the lock, finds the pause
 * and gives its change up). Returns the descriptor; -1 on error.
 */
int cv_compose_scale_lock(const char *project, const char *service);
void cv_compose_scale_unlock(int lock);

/*
 * compose-scale.c: scales a service. trigger: "manual" (containerv_compose_scale(),
 * which pauses an autoscaled service's autoscaling) or "autoscale" (the
 * balancer process); reason (may be NULL) goes into the scale event.
 * Replicas removed are drained through the balancer first.
 */
int cv_compose_scale_service(const struct containerv_compose *app, const char *name, unsigned int count,
                             const struct containerv_compose_up_options *options, const char *trigger,
                             const char *reason);

/* Drains, stops and removes these replicas of a service (scale down, up's surplus). */
int cv_compose_remove_replicas(const struct containerv_compose *app, json_t *service, char *const *names,
                               containerv_compose_progress_fn progress, void *user);

/* compose-up.c: up; resume_autoscale false for scale's own up (it keeps a pause). */
int cv_compose_up(const struct containerv_compose *app, const struct containerv_compose_up_options *options,
                  bool resume_autoscale);

#endif
