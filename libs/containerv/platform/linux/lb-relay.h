/*
 * Internal to the Linux backend: the load balancer's relays (lb-tcp.c, lb-udp.c)
 * and what they share (lb-relay.c).
 */
#ifndef CV_PLATFORM_LINUX_LB_RELAY_H
#define CV_PLATFORM_LINUX_LB_RELAY_H

#include "lb/lb-internal.h"

/* Checks that nobody holds the balancer's port and sets lb->port (the kernel's choice for port 0). */
int cv_lb_claim_port(struct containerv_lb *lb, int type);

/*
 * A listening socket (SOCK_STREAM or SOCK_DGRAM) on the balancer's address,
 * on lb->port (claimed first), with SO_REUSEPORT so that each TCP worker has
 * its own.
 */
int cv_lb_listen(struct containerv_lb *lb, int type);

/* The TCP relay: one worker per options.threads. */
int cv_lb_tcp_start(struct containerv_lb *lb);
void cv_lb_tcp_stop(struct containerv_lb *lb);

/* The UDP relay: one thread and its flow table. */
int cv_lb_udp_start(struct containerv_lb *lb);
void cv_lb_udp_stop(struct containerv_lb *lb);

#endif
