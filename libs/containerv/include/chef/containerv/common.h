/*
 * containerv: errors, versions and the state root shared by every area.
 */
#ifndef CHEF_CONTAINERV_COMMON_H
#define CHEF_CONTAINERV_COMMON_H

#if defined(__GNUC__)
#define CONTAINERV_API __attribute__((visibility("default")))
#else
#define CONTAINERV_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define CONTAINERV_VERSION_MAJOR 0
#define CONTAINERV_VERSION_MINOR 1
#define CONTAINERV_VERSION_PATCH 0
#define CONTAINERV_VERSION_STRING "0.1.0"

/*
 * The reason the last failing containerv call on this thread failed, as one
 * line naming the object ("create web: memory limit 12XB: invalid size").
 * Never NULL; an empty string when nothing has failed yet. The text stays
 * valid until the next containerv call on the same thread.
 */
CONTAINERV_API const char *containerv_last_error(void);

/*
 * Sets the directory under which containerv keeps its state (containers,
 * and later images and volumes). The default is $CONTAINERV_ROOT when set,
 * else /var/lib/containerv. The directory is created on first use.
 * Process-wide; call it before creating or opening containers.
 */
CONTAINERV_API int containerv_set_root(const char *path);

/* The state root in force (see containerv_set_root()). Never NULL. */
CONTAINERV_API const char *containerv_root(void);

/*
 * Log levels for messages the library wants a person to see (warnings about
 * the host, debug traces). The library never writes to stdout or stderr by
 * itself: install a callback to receive them.
 */
enum containerv_log_level {
	CONTAINERV_LOG_ERROR = 0,
	CONTAINERV_LOG_WARNING = 1,
	CONTAINERV_LOG_INFO = 2,
	CONTAINERV_LOG_DEBUG = 3,
};

/* Receives one message without a trailing newline. */
typedef void (*containerv_log_fn)(enum containerv_log_level level, const char *message, void *user);

/* Installs (or with NULL removes) the process-wide log callback. Never fails. */
CONTAINERV_API void containerv_set_log(containerv_log_fn callback, void *user);

#ifdef __cplusplus
}
#endif

#endif
