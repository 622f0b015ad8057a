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
};

/*
 * Calls callback for each container labelled with a compose project (project
 * NULL: any project), in creation order. A non-zero return stops the walk and
 * is returned.
 */
CONTAINERV_API int
containerv_compose_list(const char *project,
                        int (*callback)(const struct containerv_compose_container *container, void *user), void *user);

#ifdef __cplusplus
}
#endif

#endif
