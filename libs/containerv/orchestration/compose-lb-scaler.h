/*
 * Internal: the privileged half of a project's balancer process. The
 * balancer reads hostile traffic and runs confined (cv_process_confine: no
 * capabilities, no_new_privs, seccomp); scaling a service makes and removes
 * containers, which takes root. So before it confines itself the balancer
 * forks this scaler, which reads nothing from the network and takes one kind
 * of request over a socketpair: "service S to N replicas", accepted only for
 * a service the plan autoscales and N within its policy's bounds. A taken-over
 * balancer can at most move a service within its min and max.
 */
#ifndef CV_COMPOSE_LB_SCALER_H
#define CV_COMPOSE_LB_SCALER_H

#include <stddef.h>
#include <sys/types.h>

struct containerv_compose;

/* A service the scaler may scale, and the bounds of its policy. */
struct cv_lb_scaler_service {
	const char *name;
	unsigned int min, max;
};

/*
 * Forks the scaler for APP (call before any thread is started). CLOSE_FDS: the caller's descriptors the
 * scaler must not keep (the report pipe to the starter, the balancer's lock). The scaler ends when the
 * balancer closes its end (cv_lb_scaler_stop, or the balancer's death), after the change in flight.
 */
int cv_lb_scaler_start(const struct containerv_compose *app, const struct cv_lb_scaler_service *services, size_t count,
                       const int *close_fds, size_t close_count);

/* Asks the scaler to scale SERVICE to COUNT (REASON goes to the scale event); 0, or -1 with its error. Thread-safe. */
int cv_lb_scaler_scale(const char *service, unsigned int count, const char *reason);

/* Closes the channel and reaps the scaler (a no-op when none was started). */
void cv_lb_scaler_stop(void);

/* The scaler's pid (0: none), for tests and the status. */
pid_t cv_lb_scaler_pid(void);

#endif
