/*
 * containerv: compose applications (the compose specification's app model).
 *
 * An app is loaded from one or more compose files, merged in the order
 * given (docker compose's -f), with the project's .env, ${VAR}
 * interpolation, YAML anchors and merge keys, `extends` and `profiles`
 * resolved, then validated completely into one model: an error names the
 * file, the line and the key ("compose.yaml:12: services.web.ports[0]:
 * invalid port"), an unknown key is reported to the warning callback by
 * name, and a dependency cycle names the cycle. Nothing is created before
 * the whole app is valid.
 *
 * Containers are named <project>-<service>-<n> and labelled as docker
 * compose labels them (com.docker.compose.project, .service,
 * .container-number, .config-hash ...), networks and volumes
 * <project>_<name>; so any shell finds the app's containers again, without a
 * daemon. Each container is reachable on its networks under its service
 * name (the network alias the DNS server answers).
 */
#ifndef CHEF_CONTAINERV_ORCHESTRATION_H
#define CHEF_CONTAINERV_ORCHESTRATION_H

#include <stddef.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_compose;

/* Receives one warning (an unknown key, an unset variable, a key accepted but not applied). */
typedef void (*containerv_compose_warn_fn)(const char *message, void *user);

#define CONTAINERV_COMPOSE_OPTIONS_VERSION 1

/* How to load an app. Initialise with CONTAINERV_COMPOSE_OPTIONS_INIT. */
struct containerv_compose_options {
	unsigned int version; /* CONTAINERV_COMPOSE_OPTIONS_VERSION */
	/* Compose files, NULL-terminated, merged in this order; NULL: compose.yaml, compose.yml,
	 * docker-compose.yaml or docker-compose.yml in working_directory ("-" is not supported). */
	const char *const *files;
	/* The project name (docker compose -p); NULL: COMPOSE_PROJECT_NAME, the top-level name:, the
	 * project directory's name. */
	const char *project_name;
	/* Active profiles, NULL-terminated (--profile); NULL: COMPOSE_PROFILES (comma-separated). */
	const char *const *profiles;
	/* Where to look for the default files; NULL: the current directory. The project directory is
	 * the first file's directory: relative paths and .env are resolved from it. */
	const char *working_directory;
	/* The variables for interpolation, "KEY=VALUE", NULL-terminated; NULL: this process's environment.
	 * They override the project's .env file, as the shell's do in docker compose. */
	const char *const *environment;
	containerv_compose_warn_fn warn; /* may be NULL */
	void *user;
};

#define CONTAINERV_COMPOSE_OPTIONS_INIT                                                                                \
	{                                                                                                              \
		CONTAINERV_COMPOSE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL                           \
	}

/*
 * Loads, interpolates, merges and validates an app. EINVAL with
 * "FILE:LINE: KEY: reason" for an invalid file, ELOOP for a dependency
 * cycle ("dependency cycle: a -> b -> a"), ENOENT when no file is found.
 * Free with containerv_compose_free().
 */
CONTAINERV_API int containerv_compose_load(const struct containerv_compose_options *options,
                                           struct containerv_compose **app);

/* Frees an app (never touches its containers). NULL is allowed. */
CONTAINERV_API void containerv_compose_free(struct containerv_compose *app);

/* The project name: lowercase letters, digits, '-' and '_'. */
CONTAINERV_API const char *containerv_compose_project(const struct containerv_compose *app);

/* The number of enabled services; they are numbered in start order (dependencies first). */
CONTAINERV_API size_t containerv_compose_service_count(const struct containerv_compose *app);

/* The name of service i (in start order), NULL past the end. */
CONTAINERV_API const char *containerv_compose_service_name(const struct containerv_compose *app, size_t i);

/* The resolved model as YAML (docker compose config) into *yaml, to be freed with free(). */
CONTAINERV_API int containerv_compose_config(const struct containerv_compose *app, char **yaml);

#define CONTAINERV_COMPOSE_UP_OPTIONS_VERSION 1

/* Reports one step of up or down ("Container app-web-1  Started"); may be NULL. */
typedef void (*containerv_compose_progress_fn)(const char *resource, const char *status, void *user);

/* How containerv_compose_up() runs. Initialise with CONTAINERV_COMPOSE_UP_OPTIONS_INIT. */
struct containerv_compose_up_options {
	unsigned int version;           /* CONTAINERV_COMPOSE_UP_OPTIONS_VERSION */
	const char *const *services;    /* only these and what they depend on, NULL-terminated; NULL: all */
	unsigned int parallel;          /* containers started at once; 0: 4 */
	int wait_timeout_seconds;       /* for depends_on conditions; 0: 300 */
	const char *rootfs_search_path; /* as containerv_spec_image_options' (the built-in busybox); may be NULL */
	containerv_compose_progress_fn progress;
	void *user;
};

#define CONTAINERV_COMPOSE_UP_OPTIONS_INIT                                                                             \
	{                                                                                                              \
		CONTAINERV_COMPOSE_UP_OPTIONS_VERSION, NULL, 0, 0, NULL, NULL, NULL                                    \
	}

/*
 * Creates the app's networks and volumes and starts its containers, detached,
 * dependencies first (independent services in parallel), waiting for
 * depends_on conditions service_started, service_healthy (every replica
 * healthy; one that turns unhealthy fails the call, named) and
 * service_completed_successfully.
 * Idempotent: a container whose service is unchanged (same config hash) is
 * kept (started again when it had exited); a changed one is recreated.
 * A service gets deploy.replicas replicas (without it: x-containerv.autoscale's
 * min, else 1); those above are drained through the balancer and removed.
 * It resumes the autoscaling of the services it brings up that a manual
 * containerv_compose_scale() paused.
 * On failure what this call created is removed again.
 */
CONTAINERV_API int containerv_compose_up(const struct containerv_compose *app,
                                         const struct containerv_compose_up_options *options);

/*
 * docker compose up --wait: waits until every replica of services (NULL: all)
 * is healthy, or running when its service has no health check, at most
 * timeout_seconds (0: 300). EHOSTDOWN names a replica that turned unhealthy,
 * ESRCH one that ended, ETIMEDOUT one still starting at the timeout.
 */
CONTAINERV_API int containerv_compose_wait(const struct containerv_compose *app, const char *const *services,
                                           int timeout_seconds);

enum containerv_compose_down_flags {
	CV_COMPOSE_DOWN_VOLUMES = 0x1, /* also the project's named volumes and the containers' anonymous ones (-v) */
	CV_COMPOSE_DOWN_ORPHANS = 0x2, /* also containers of services the app no longer has (--remove-orphans) */
};

/*
 * Stops and removes a project's containers in reverse dependency order, then
 * its networks (and with CV_COMPOSE_DOWN_VOLUMES its volumes). app may be NULL
 * when only the project name is known: then every container labelled with it
 * goes, newest first. Containers of services no longer in the app are left
 * (with a warning through progress) unless CV_COMPOSE_DOWN_ORPHANS.
 */
CONTAINERV_API int containerv_compose_down(const struct containerv_compose *app, const char *project,
                                           unsigned int flags, containerv_compose_progress_fn progress, void *user);

/* One container of a project, as containerv_compose_list() reports it. */
struct containerv_compose_container {
	const char *id;
	const char *name;
	const char *service;
	const char *project;
	const char *config_files; /* the files it was created from, comma-separated */
	int number;               /* the replica's com.docker.compose.container-number */
	int state;                /* enum containerv_state */
	int exit_code;            /* when it has exited */
	int oneoff;               /* 1: made by containerv_compose_run() (com.docker.compose.oneoff=True) */
	int paused;               /* 1: running with its processes frozen */
};

/*
 * Calls callback for each container labelled with a compose project (project
 * NULL: any project), in creation order. A non-zero return stops the walk and
 * is returned.
 */
CONTAINERV_API int
containerv_compose_list(const char *project,
                        int (*callback)(const struct containerv_compose_container *container, void *user), void *user);

/* An action on a project's existing containers (docker compose start, stop ...). */
enum containerv_compose_action {
	CV_COMPOSE_START = 1,   /* start those not running, dependencies first */
	CV_COMPOSE_STOP = 2,    /* stop running ones, dependents first */
	CV_COMPOSE_RESTART = 3, /* stop, then start, every one (dependents stopped first, dependencies started first) */
	CV_COMPOSE_PAUSE = 4,   /* freeze running ones */
	CV_COMPOSE_UNPAUSE = 5, /* thaw paused ones */
	CV_COMPOSE_KILL = 6,    /* signal running ones */
	CV_COMPOSE_REMOVE = 7,  /* remove stopped ones (running ones too with CV_COMPOSE_ACT_STOP) */
};

enum containerv_compose_act_flags {
	CV_COMPOSE_ACT_STOP = 0x1,    /* remove: stop running containers first (rm -s) */
	CV_COMPOSE_ACT_VOLUMES = 0x2, /* remove: their anonymous volumes too (rm -v) */
	CV_COMPOSE_ACT_ONEOFF = 0x4,  /* also the one-off containers of containerv_compose_run() */
};

#define CONTAINERV_COMPOSE_ACT_OPTIONS_VERSION 1

/* How containerv_compose_act() acts. Initialise with CONTAINERV_COMPOSE_ACT_OPTIONS_INIT. */
struct containerv_compose_act_options {
	unsigned int version;        /* CONTAINERV_COMPOSE_ACT_OPTIONS_VERSION */
	const char *const *services; /* only these services' containers, NULL-terminated; NULL: all */
	int signal;                  /* kill: the signal (0: SIGKILL); stop, restart: 0 the service's stop_signal */
	int timeout_seconds;         /* stop, restart, remove: the grace period; -1: the service's stop_grace_period */
	unsigned int flags;          /* enum containerv_compose_act_flags */
	containerv_compose_progress_fn progress;
	void *user;
};

#define CONTAINERV_COMPOSE_ACT_OPTIONS_INIT                                                                            \
	{                                                                                                              \
		CONTAINERV_COMPOSE_ACT_OPTIONS_VERSION, NULL, 0, -1, 0, NULL, NULL                                     \
	}

/*
 * Applies action to the containers of a project (app's, or project's when app
 * is NULL: then services are not checked and the order is the creation
 * order). With app, start order is dependencies first and the other actions
 * go dependents first; ENOENT names a service the app does not have. A
 * container already in the wanted state is left alone. Every container is
 * tried; the first failure is returned, naming the container.
 */
CONTAINERV_API int containerv_compose_act(const struct containerv_compose *app, const char *project,
                                          enum containerv_compose_action action,
                                          const struct containerv_compose_act_options *options);

/*
 * The full id (65 bytes with the NUL) of a service's replica: number index
 * (com.docker.compose.container-number, docker compose's --index), or with
 * index 0 the lowest-numbered running one. One-off containers are not
 * counted. ENOENT names the service and index when there is none.
 */
CONTAINERV_API int containerv_compose_find(const char *project, const char *service, int index, char *id);

/*
 * Scales a service to replicas containers (docker compose scale, up --scale):
 * down removes the highest-numbered replicas first (stopped as down stops
 * them); up makes the missing <project>-<service>-<n> as containerv_compose_up()
 * does, its dependencies started first (options->services is ignored).
 * Replicas already there are kept (the replica count is not part of the
 * config hash). Replicas removed leave the project's balancer first and
 * their open connections finish (at most the service's stop grace period).
 * On a service with x-containerv.autoscale this is a manual scale: it
 * pauses the service's autoscaling until the next containerv_compose_up()
 * of it (docs/orchestration.md). A "scale" event goes to the journal.
 * EINVAL for a service with container_name and more than one replica.
 */
CONTAINERV_API int containerv_compose_scale(const struct containerv_compose *app, const char *service,
                                            unsigned int replicas, const struct containerv_compose_up_options *options);

#define CONTAINERV_COMPOSE_RUN_OPTIONS_VERSION 1

struct containerv_options;
struct containerv_container;

/* How containerv_compose_run() makes a one-off container. Initialise with CONTAINERV_COMPOSE_RUN_OPTIONS_INIT. */
struct containerv_compose_run_options {
	unsigned int version;           /* CONTAINERV_COMPOSE_RUN_OPTIONS_VERSION */
	const char *service;            /* the service whose configuration it takes */
	const char *const *command;     /* NULL: the service's command */
	const char *const *entrypoint;  /* NULL: the service's; an empty vector: none */
	const char *const *environment; /* "KEY=VALUE" added to the service's, NULL-terminated; may be NULL */
	int no_deps;                    /* 1: do not start the service's dependencies */
	const char *rootfs_search_path; /* as containerv_compose_up_options' */
	/* Called with the options before the container is made (stdio, a terminal ...); may be NULL. */
	int (*configure)(struct containerv_options *options, void *user);
	containerv_compose_progress_fn progress;
	void *user;
};

#define CONTAINERV_COMPOSE_RUN_OPTIONS_INIT                                                                            \
	{                                                                                                              \
		CONTAINERV_COMPOSE_RUN_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL              \
	}

/*
 * docker compose run: brings up the service's dependencies (unless no_deps),
 * then creates a one-off container of the service named
 * <project>-<service>-run-<12 hex digits>, labelled
 * com.docker.compose.oneoff=True, without the service's published ports (as
 * docker's without --service-ports). It is not started unless configure
 * enabled autostart (containerv_options_set_autostart(), so that the stdio
 * pipes are the creating handle's); the caller waits for it and removes it
 * (run --rm). On failure nothing of it is left (dependencies started stay,
 * as docker's).
 */
CONTAINERV_API int containerv_compose_run(const struct containerv_compose *app,
                                          const struct containerv_compose_run_options *options,
                                          struct containerv_container **container);

/*
 * Pulls the images of services (NULL-terminated; NULL: all), each image
 * once, in service order. An error names the service and the image.
 */
CONTAINERV_API int containerv_compose_pull(const struct containerv_compose *app, const char *const *services,
                                           containerv_compose_progress_fn progress, void *user);

#ifdef __cplusplus
}
#endif

#endif
