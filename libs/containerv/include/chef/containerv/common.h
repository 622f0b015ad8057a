/*
 * containerv: errors, versions, the state root and the portable types shared
 * by every area.
 */
#ifndef CHEF_CONTAINERV_COMMON_H
#define CHEF_CONTAINERV_COMMON_H

#include <stdint.h>

/*
 * Source compatibility: earlier versions of the public headers declared
 * uid_t, gid_t and pid_t parameters and included <sys/types.h>. They now
 * use the containerv_*_t types below, which are the very same types on
 * Linux, and no longer need <sys/types.h>; it is still included on POSIX
 * systems so that a caller that took pid_t or uid_t from these headers
 * keeps compiling. Do not rely on it in new code: include it yourself.
 */
#if !defined(_WIN32)
#include <sys/types.h>
#endif

/*
 * Windows: the library's build exports its public functions from containerv.dll; a caller
 * links the import library (libcontainerv.dll.a) and needs no declaration attribute.
 */
#if defined(_WIN32) && defined(CONTAINERV_BUILDING_DLL)
#define CONTAINERV_API __declspec(dllexport)
#elif defined(_WIN32)
#define CONTAINERV_API
#elif defined(__GNUC__)
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
 * Portable types of the public API: the headers compile on Linux and, for a
 * Windows backend, with a Windows C compiler (CI checks them with mingw).
 * On Linux each is the same type as the POSIX one it replaces (the library
 * asserts it at compile time), so existing callers keep their uid_t, gid_t,
 * pid_t and int variables and pointers, with the same size and signedness.
 */

/* A numeric user id, of the container or of the host in id maps (Linux: uid_t, unsigned 32 bits). */
typedef uint32_t containerv_uid_t;

/* A numeric group id, of the container or of the host in id maps (Linux: gid_t, unsigned 32 bits). */
typedef uint32_t containerv_gid_t;

/*
 * A process id as the caller's host sees it (Linux: pid_t, a signed int;
 * 0 means none). 32 bits because that is what pid_t is on Linux, so a
 * caller's pid_t * stays a valid out-parameter. Windows process ids are
 * DWORDs that stay far below 2^31 in practice (small multiples of 4).
 */
typedef int32_t containerv_pid_t;

/*
 * An operating-system handle the caller passes in or gets back for stdio,
 * tar streams, archives and (later) pollable state changes:
 * - Linux and other POSIX systems: a file descriptor, plain int, exactly
 *   as before (int variables, int arrays and -1 for "none" keep working).
 * - Windows: a HANDLE-sized value (intptr_t; cast a HANDLE, or the result
 *   of _get_osfhandle(), to it). -1 (INVALID_HANDLE_VALUE) means "none".
 * The negative CONTAINERV_STDIO_* values of container.h are never a
 * descriptor nor a handle a caller could pass for stdio.
 */
#if defined(_WIN32)
typedef intptr_t containerv_fd_t;
#else
typedef int containerv_fd_t;
#endif

/*
 * The reason the last failing containerv call on this thread failed, as one
 * line naming the object ("create web: memory limit 12XB: invalid size").
 * Never NULL; an empty string when nothing has failed yet. The text stays
 * valid until the next containerv call on the same thread.
 */
CONTAINERV_API const char *containerv_last_error(void);

/*
 * What kind of failure the last failing containerv call on this thread had,
 * for a program that must react to it (retry, ask for credentials, map to
 * an exit code): decide on the code, never on the message text, which is
 * for people and may change. The code is recorded together with the message
 * (containerv_last_error()); errno is still set as each function documents.
 * Where nothing more precise is known the code follows errno, as noted.
 * The values are stable; new codes may be added, so keep a default case.
 */
enum containerv_error_code {
	/* Nothing has failed on this thread since the last successful call that cleared it. */
	CONTAINERV_OK = 0,
	/* A failure none of the codes below describes (errno says what it can: EIO, ENOMEM ...). */
	CONTAINERV_E_ERROR = 1,
	/*
	 * The object does not exist: no such container, image, volume, network or
	 * file; a registry answering 404 (manifest or repository unknown). errno ENOENT.
	 */
	CONTAINERV_E_NOT_FOUND = 2,
	/* The name is taken: a container, volume or network of that name exists. errno EEXIST. */
	CONTAINERV_E_EXISTS = 3,
	/*
	 * The object is in use or busy: a running container to start or remove,
	 * a volume, network or image a container uses. errno EBUSY (ETXTBSY).
	 */
	CONTAINERV_E_IN_USE = 4,
	/*
	 * An argument, option, reference or file content that is not valid (a
	 * bad size, name, mount, seccomp profile). errno EINVAL (ERANGE,
	 * ENAMETOOLONG, E2BIG).
	 */
	CONTAINERV_E_INVALID = 5,
	/* The host refused the operation to this process: not root, a read-only file. errno EPERM or EACCES. */
	CONTAINERV_E_PERMISSION = 6,
	/*
	 * A registry refused the credentials, or needs some and none were
	 * given (401, 403, a token server's refusal). errno EACCES.
	 */
	CONTAINERV_E_AUTH = 7,
	/*
	 * TLS with a registry failed: an untrusted or invalid certificate, a
	 * failed handshake, or a server that does not speak TLS at all.
	 */
	CONTAINERV_E_TLS = 8,
	/*
	 * A peer could not be reached or the connection broke: name not
	 * resolved, connection refused or reset. errno ECONNREFUSED,
	 * EHOSTUNREACH, ENETUNREACH, ECONNRESET.
	 */
	CONTAINERV_E_NETWORK = 9,
	/* Waited too long: a registry sent nothing, a container did not stop in time. errno ETIMEDOUT. */
	CONTAINERV_E_TIMEOUT = 10,
	/*
	 * This kernel, host or build cannot do what was asked (a cgroup
	 * controller, a namespace, a feature left out). errno ENOSYS, ENOTSUP.
	 */
	CONTAINERV_E_UNSUPPORTED = 11,
	/* A file system or a volume's quota is full. errno ENOSPC or EDQUOT. */
	CONTAINERV_E_NO_SPACE = 12,
	/*
	 * The container's (or a spawned) command could not be executed; errno
	 * says why: ENOENT not found (a shell's 127), EACCES or ENOEXEC not
	 * executable (126). Nothing of the failed start is left running.
	 */
	CONTAINERV_E_EXEC = 13,
	/* The container is not running (exec, kill, pause of a stopped one). errno ESRCH. */
	CONTAINERV_E_NOT_RUNNING = 14,
	/*
	 * Data failed its check: a digest or size mismatch from a registry or
	 * in the image store, a malformed manifest or archive. errno EBADMSG.
	 */
	CONTAINERV_E_CORRUPT = 15,
};

/*
 * The code of the last failure on this thread, recorded with the message of
 * containerv_last_error(); CONTAINERV_OK when nothing has failed.
 */
CONTAINERV_API enum containerv_error_code containerv_last_error_code(void);

/*
 * Sets the directory under which containerv keeps its state (containers,
 * and later images and volumes). The default is $CONTAINERV_ROOT when set,
 * else /var/lib/containerv. The directory is created on first use.
 * Process-wide: it is the root of the default context, the one every
 * function without a context argument acts in; call it before creating or
 * opening containers.
 */
CONTAINERV_API int containerv_set_root(const char *path);

/*
 * The state root in force: during a call made in a context (the
 * containerv_*_in() functions, or any function on a handle opened in one)
 * that context's root, else the root of the context this thread entered
 * (containerv_context_enter()), else the default context's
 * (containerv_set_root()). Never NULL.
 */
CONTAINERV_API const char *containerv_root(void);

/*
 * A context: one state root as an object, so that several roots coexist in
 * one process (a supervisor of several apps, tests). Containers created or
 * opened in a context (containerv_create_in(), containerv_open_in(),
 * containerv_list_in()) keep it: every later call on their handle acts in
 * its root, images, networks and volumes included. Calls without a handle
 * act in a context inside containerv_context_enter()/_leave() (below).
 */
struct containerv_context;

/*
 * Opens a context over the state root path (absolute; created on first
 * use). 0, or -1 (EINVAL: not absolute, ENAMETOOLONG). Close it with
 * containerv_context_close() after the last handle opened in it.
 */
CONTAINERV_API int containerv_context_open(const char *path, struct containerv_context **context);

/* Frees a context; NULL is allowed. Its handles must be closed first. */
CONTAINERV_API void containerv_context_close(struct containerv_context *context);

/* The context's state root; NULL: the default context's. Never NULL. */
CONTAINERV_API const char *containerv_context_root(struct containerv_context *context);

/*
 * Acting in a context without a handle: images, networks, volumes, the
 * registry, pools, and the context-less container calls (containerv_create(),
 * containerv_open(), containerv_list() ...).
 *
 * containerv_context_enter() makes context the one every context-less call
 * of this thread acts in, until containerv_context_leave() gives back the
 * one it returned; scopes nest. It is thread-local, like uselocale(3): other
 * threads, and calls on a handle (which act in the handle's own context), are
 * not affected. Callbacks the library calls during the scope run in it too.
 *
 *     struct containerv_context *previous = containerv_context_enter(app);
 *     ret = containerv_image_pull(&pull, "alpine", &image);   (app's store)
 *     containerv_context_leave(previous);
 *
 * Why a scope and not a context argument on each call: the image, network,
 * volume, registry and pool areas have some fifty public functions; a
 * *_in() twin of each would double the API and still leave out what they
 * call back into. The library already carries the context of a call this way
 * (a call on a handle acts in the handle's context), so one pair gives every
 * function, present and future, the same answer. containerv_create_in(),
 * containerv_open_in() and containerv_list_in() stay: they are the same as
 * calling the plain function inside a scope.
 *
 * context NULL enters the default context (containerv_set_root()). Returns
 * the context in force before (NULL when it was the default one); never
 * fails. Leave before closing the entered context.
 */
CONTAINERV_API struct containerv_context *containerv_context_enter(struct containerv_context *context);

/* Ends the scope containerv_context_enter() began: previous is what it returned. */
CONTAINERV_API void containerv_context_leave(struct containerv_context *previous);

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

/*
 * Installs (or with NULL removes) the process-wide log callback: the default
 * context's, and every other context's that has none of its own. Never fails.
 */
CONTAINERV_API void containerv_set_log(containerv_log_fn callback, void *user);

/*
 * Installs (or with NULL removes) context's own log callback: messages of
 * every call acting in context (its handles, the *_in() functions, calls
 * made between containerv_context_enter() and _leave()) go to it, so a
 * supervisor of several apps can tell them apart. Without one they go to the
 * process-wide callback. context NULL: the default context, the same as
 * containerv_set_log(). Set it before the context is used from other
 * threads. Never fails.
 */
CONTAINERV_API void containerv_context_set_log(struct containerv_context *context, containerv_log_fn callback,
                                               void *user);

#ifdef __cplusplus
}
#endif

#endif
