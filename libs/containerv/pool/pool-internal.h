/*
 * Internal: a pool on disk (pool.h). <root>/pools/<name>/ holds
 *   pool.json       the policy (struct containerv_pool_config); gone first at removal, so nothing new starts
 *   template.json   the template's options (config/options.h's JSON, as config.json)
 *   ready/<id>      a held container anyone may claim: a take unlinks the entry, and one unlink succeeds
 *   remove/<id>     a taken container the keeper removes once it has ended (docker's --rm, off the caller's path)
 *   claims/<id>     flock'ed by the owner of a held container not in ready/ (a take until its release, a sweep
 *                   removing it): a sweep never removes a claimed container (claim.c)
 *   sweep.lock      shared by a take making a container the cold way until it has claimed it, exclusive for a
 *                   sweep's decisions: the sweep never mistakes that container for a dead take's
 *   keeper.lock     flock'ed by the keeper for its life: a keeper killed with SIGKILL frees it
 *   keeper.json     the keeper's pid and counters (inspect)
 *   keeper.sock     the keeper's datagram socket: a take wakes it to refill
 *   keeper.log      what the keeper has to say (start, stop, failed refills and removals); past 256 KiB it
 *                   becomes keeper.log.1 (two files at most)
 * The pool layer uses only the public API and config/ (no platform header): the backend stays swappable.
 */
#ifndef CV_POOL_INTERNAL_H
#define CV_POOL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <chef/containerv.h>
#include <chef/containerv/pool.h>

#define CV_POOL_LABEL CONTAINERV_POOL_LABEL
#define CV_POOL_NAME_MAX 64

/* Opens <root>/pools/<name> (O_PATH | O_DIRECTORY); ENOENT when the pool does not exist. */
int cv_pool_open(const char *name, int *dirfd);
/* pool.json of an open pool. */
int cv_pool_read_config(int dirfd, struct containerv_pool_config *config);
/* The options new containers of the pool are made with: the template, held, labelled, stdio /dev/null. */
int cv_pool_load_template(int dirfd, const char *name, struct containerv_options **options);
/* Creates one held container of the pool (not yet ready: the caller publishes or claims it). */
int cv_pool_make_held(const struct containerv_options *options, struct containerv_container **container);
/* Adds an empty entry <sub>/<id> (ready, remove). */
int cv_pool_mark(int dirfd, const char *sub, const char *id);
/* Whether the container carries the pool's label. */
bool cv_pool_owns(struct containerv_container *container, const char *name);
/* The keeper's socket address: through /proc/self/fd of the pool's directory (the path may not fit sun_path). */
struct sockaddr_un;
void cv_pool_socket_address(int dirfd, struct sockaddr_un *address);
/* Locks claims/<id> (made if missing): its descriptor, or -1 with EWOULDBLOCK when someone owns it. */
int cv_pool_claim(int dirfd, const char *id);
/* Gives a claim up: unlinks claims/<id> under the lock, then closes fd. */
void cv_pool_unclaim(int dirfd, const char *id, int fd);
/* Keeps a take's claim in this process until cv_pool_claim_drop(id) (containerv_pool_start). */
int cv_pool_claim_keep(int dirfd, const char *id, int fd);
/* Gives the claim on id up: the pool's directory it was in (the caller closes it), -1 when none was kept. */
int cv_pool_claim_drop(const char *id);
/* sweep.lock of the pool, flock'ed with operation (LOCK_SH, LOCK_EX): the descriptor, or -1. */
int cv_pool_lock_sweep(int dirfd, int operation);
/* Removes every container of the pool that is not a taken, kept one (pool rm; a keeper's first round). */
void cv_pool_sweep(int dirfd, const char *name, bool everything);

#endif
