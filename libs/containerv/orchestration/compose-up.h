/*
 * Internal: bringing an app up and down (compose-up.c, compose-down.c) and
 * a replica's container options (compose-service-options.c).
 */
#ifndef CV_ORCHESTRATION_COMPOSE_UP_H
#define CV_ORCHESTRATION_COMPOSE_UP_H

#include <jansson.h>

#include <chef/containerv.h>

#include "orchestration/compose-internal.h"

/* docker compose's labels: how any shell finds an app's containers again. */
#define CV_COMPOSE_LABEL_PROJECT "com.docker.compose.project"
#define CV_COMPOSE_LABEL_SERVICE "com.docker.compose.service"
#define CV_COMPOSE_LABEL_NUMBER "com.docker.compose.container-number"
#define CV_COMPOSE_LABEL_HASH "com.docker.compose.config-hash"
#define CV_COMPOSE_LABEL_ONEOFF "com.docker.compose.oneoff"
#define CV_COMPOSE_LABEL_WORKING_DIR "com.docker.compose.project.working_dir"
#define CV_COMPOSE_LABEL_CONFIG_FILES "com.docker.compose.project.config_files"
#define CV_COMPOSE_LABEL_VOLUME "com.docker.compose.volume"
/* The names a container answers to on its networks (the service name first): for the DNS server. */
#define CV_COMPOSE_LABEL_ALIASES "containerv.network.aliases"

/* One container of a service. */
struct cv_compose_replica {
	const struct containerv_compose *app;
	const char *service_name;
	json_t *service;
	int number;
	char name[256];
	char config_hash[72];
	const char *config_files;
	const char *rootfs_search_path;
	int oneoff; /* a one-off container of compose run: labelled so, no published ports */
};

int cv_compose_replica_options(const struct cv_compose_replica *replica, struct containerv_options **options);
const char *cv_compose_first_network(json_t *service);
int cv_compose_stop_signal(json_t *service);
/* Makes what a service needs that is missing (compose-up.c); *made gets the names of what was made. */
int cv_compose_make_networks(const struct containerv_compose *app, json_t *service, char ***made,
                             containerv_compose_progress_fn progress, void *user);
int cv_compose_make_volumes(const struct containerv_compose *app, char ***made, containerv_compose_progress_fn progress,
                            void *user);
/* compose-down.c: a service's place in the start order; -1 when the app (may be NULL) does not have it. */
long cv_compose_rank(const struct containerv_compose *app, const char *service);
/* compose-secrets.c: a replica's secrets and configs, as read-only binds of copies made under the root. */
int cv_compose_add_secrets(const struct cv_compose_replica *replica, struct containerv_options *options);
/* The copies lie under the state root, whose binds the restricted level refuses: each copy is allowed by name. */
int cv_compose_allow_secret_binds(const struct cv_compose_replica *replica, struct containerv_security *security);
/* <root>/compose/<project> (service NULL), or <root>/compose/<project>/<service>/<kind>. */
int cv_compose_files_directory(const char *project, const char *service, const char *kind, char *buffer, size_t size);
/* The label com.docker.compose.config-hash of a service (its replica count left out). */
int cv_compose_config_hash(json_t *service, char out[72]);
/* The hash of the whole model with every replica count left out (what an autoscaling balancer scales with). */
int cv_compose_model_hash(const struct containerv_compose *app, char out[72]);
unsigned int cv_compose_stop_timeout(json_t *service);

#endif
