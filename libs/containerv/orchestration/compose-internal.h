/*
 * Internal: the compose loader. Files are parsed into jansson values (YAML is
 * hostile input: sizes, depth and alias expansion are bounded), interpolated,
 * merged in -f order, extended, filtered by profile and validated into one
 * canonical model (a json object shaped like `docker compose config` prints).
 *
 * Line numbers: errors name "FILE:LINE: KEY.PATH". jansson values carry no
 * position, and true/false/null are shared singletons, so the position is
 * kept per (container, key) in a side table: the container objects and
 * arrays stay alive (the loader holds every document) while it is used.
 */
#ifndef CV_ORCHESTRATION_COMPOSE_INTERNAL_H
#define CV_ORCHESTRATION_COMPOSE_INTERNAL_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>

#include <chef/containerv/orchestration.h>

/* Bounds on hostile files. */
#define CV_COMPOSE_FILE_MAX (4 * 1024 * 1024)   /* bytes of one compose or .env file */
#define CV_COMPOSE_SCALAR_MAX (1024 * 1024)     /* bytes of one scalar, also after interpolation */
#define CV_COMPOSE_VALUES_MAX 100000            /* values made, aliases expanded (billion laughs) */
#define CV_COMPOSE_BYTES_MAX (32 * 1024 * 1024) /* scalar bytes made, aliases expanded */
#define CV_COMPOSE_DEPTH_MAX 64                 /* nesting */
#define CV_COMPOSE_FILES_MAX 64                 /* -f files plus extends' files */

struct cv_compose_loader {
	json_t *documents; /* every parsed document, kept alive: its containers are line-table keys */
	json_t *lines;     /* "%p/KEY" -> file index << 32 | line */
	char *files[CV_COMPOSE_FILES_MAX];
	size_t file_count;
	json_t *resolving; /* "%p/NAME" of the services whose extends is being resolved: cycles */
	json_t *variables; /* interpolation: .env values, then the process environment over them */
	char *project_directory;
	containerv_compose_warn_fn warn;
	void *user;
};

/* The app: the canonical model and what it was loaded from. */
struct containerv_compose {
	char *project;
	char *project_directory;
	json_t *model;        /* {"name", "services", "networks", "volumes"} */
	char **service_order; /* services in start order (dependencies first) */
	char **config_files;
	containerv_compose_warn_fn warn;
	void *user;
};

/* compose-yaml.c: *out is borrowed (the loader's documents hold it until the loader is freed). */
int cv_compose_parse(struct cv_compose_loader *loader, const char *text, size_t length, size_t file, json_t **out);
int cv_compose_emit_yaml(json_t *value, char **text);

/* A deep copy keeping positions. */
json_t *cv_compose_copy(struct cv_compose_loader *loader, json_t *value);

/* Positions. */
void cv_compose_note_line(struct cv_compose_loader *loader, json_t *container, const char *key, size_t file,
                          size_t line);
void cv_compose_note_index(struct cv_compose_loader *loader, json_t *array, size_t index, size_t file, size_t line);
void cv_compose_copy_line(struct cv_compose_loader *loader, json_t *to, const char *to_key, json_t *from,
                          const char *from_key);
/* "FILE:LINE: " for a key (or "FILE: " / "" when unknown) into buffer. */
const char *cv_compose_where(struct cv_compose_loader *loader, json_t *container, const char *key, char *buffer,
                             size_t size);
/* Records "FILE:LINE: PATH: message" with EINVAL; returns -1. */
int cv_compose_fail(struct cv_compose_loader *loader, json_t *container, const char *key, const char *path,
                    const char *format, ...) __attribute__((format(printf, 5, 6)));
void cv_compose_warn(struct cv_compose_loader *loader, const char *format, ...) __attribute__((format(printf, 2, 3)));

struct containerv_options;
/* compose-supervise.c: healthcheck, restart and deploy.restart_policy on a replica's options. */
int cv_compose_apply_supervision(struct containerv_options *options, json_t *service);
/* x-containerv.healthcheck ({http, expect_status, body} or {tcp}) checked whole; the error names its key. */
int cv_compose_check_health_extension(struct cv_compose_loader *loader, const char *name, json_t *service,
                                      json_t *probe);
/* depends_on service_healthy: every replica of dependency healthy within the timeout; the error names it. */
int cv_compose_wait_healthy(const char *project, const char *name, const char *dependency, json_t *service,
                            int timeout_seconds);

/* compose-interpolate.c */
int cv_compose_read_env_file(struct cv_compose_loader *loader, const char *path, json_t *into, int required);
int cv_compose_interpolate(struct cv_compose_loader *loader, json_t *value, size_t file);
int cv_compose_substitute(struct cv_compose_loader *loader, const char *text, char **out, const char **problem);

/* compose-merge.c */
int cv_compose_merge_service(struct cv_compose_loader *loader, json_t *base, json_t *override);
int cv_compose_merge_top(struct cv_compose_loader *loader, json_t *base, json_t *override);

/* compose-service.c: validates and normalises one service in place; path is "services.NAME". */
int cv_compose_normalize_service(struct cv_compose_loader *loader, const char *name, json_t *service);
int cv_compose_normalize_resources(struct cv_compose_loader *loader, json_t *model);

/* compose-networks.c: one top-level network (path "networks.NAME"): driver, ipam, internal, labels. */
int cv_compose_normalize_network(struct cv_compose_loader *loader, const char *path, json_t *network);

/* compose-secrets.c: top-level secrets and configs (file sources) and the services' references to them. */
int cv_compose_normalize_secrets(struct cv_compose_loader *loader, json_t *model);

/* compose-graph.c: the start order (dependencies first); ELOOP naming the cycle. */
int cv_compose_order(json_t *services, char ***order);

/* Duration text ("1m30s", "10s", "500ms", a number of seconds) into nanoseconds. */
int cv_compose_parse_duration(const char *text, long long *ns);

#endif
