/*
 * Internal: a compose service's balancer (compose-lb.c: its x-containerv.lb
 * keys and which published ports it serves; compose-lb-daemon.c: the process
 * that serves them) and its autoscaling policy (compose-autoscale.c).
 */
#ifndef CV_ORCHESTRATION_COMPOSE_LB_H
#define CV_ORCHESTRATION_COMPOSE_LB_H

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

/* Stops the project's balancer process, if any, and forgets its record (down). */
int cv_compose_lb_down(const char *project, containerv_compose_progress_fn progress, void *user);

#endif
