/*
 * Internal: cleanup attributes, file helpers and small string helpers
 * shared by every module.
 */
#ifndef CV_COMMON_UTIL_H
#define CV_COMMON_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "error.h" /* CV_PRINTF */

/* Cleanup helpers, crun-style: the variable is released when it leaves scope. */
void cv_freep(void *pointer);
void cv_closep(int *fd);
void cv_fclosep(FILE **file);
void cv_closedirp(DIR **dir);
void cv_strv_freep(char ***strv);

#define cleanup_free __attribute__((cleanup(cv_freep)))
#define cleanup_close __attribute__((cleanup(cv_closep)))
#define cleanup_fclose __attribute__((cleanup(cv_fclosep)))
#define cleanup_dir __attribute__((cleanup(cv_closedirp)))
#define cleanup_strv __attribute__((cleanup(cv_strv_freep)))

/* Moves ownership out of a cleanup variable. */
#define cv_steal_pointer(pp)                                                                                           \
	({                                                                                                             \
		__typeof__(*(pp)) stolen_ = *(pp);                                                                     \
		*(pp) = NULL;                                                                                          \
		stolen_;                                                                                               \
	})
#define cv_steal_fd(pfd)                                                                                               \
	({                                                                                                             \
		int stolen_fd_ = *(pfd);                                                                               \
		*(pfd) = -1;                                                                                           \
		stolen_fd_;                                                                                            \
	})

/* Allocation that records ENOMEM as the last error. */
void *cv_malloc0(size_t size);
char *cv_strdup(const char *text);
/* *slot becomes a copy of value (NULL clears it); the old string is freed. -1 (ENOMEM) leaves *slot as it was. */
int cv_replace_string(char **slot, const char *value);
int cv_asprintf(char **out, const char *format, ...) CV_PRINTF(2, 3);

/* NULL-terminated string vectors. */
size_t cv_strv_length(char *const *strv);
char **cv_strv_dup(const char *const *strv);
void cv_strv_free(char **strv);
int cv_strv_append(char ***strv, const char *text);
/* Joins with sep into a fresh string. */
char *cv_strv_join(char *const *strv, const char *sep);

/* Reads a whole file (at most max bytes) into a NUL-terminated buffer. */
int cv_read_file(const char *path, char **content, size_t *length, size_t max);
int cv_read_file_at(int dirfd, const char *path, char **content, size_t *length, size_t max);
/* The same from an open descriptor (read to its end); path names it in errors. */
int cv_read_fd(int fd, const char *path, char **content, size_t *length, size_t max);
/* Reads a file holding one unsigned number. */
int cv_read_u64(const char *path, uint64_t *value);
/* Writes text to an existing file (cgroup and proc files: no create, no truncate). */
int cv_write_file(const char *path, const char *text);
/* Creates or truncates dir/name and writes content (no link followed); for files no one reads meanwhile. */
int cv_write_file_at(int dirfd, const char *name, const char *content, size_t length, mode_t mode);
/*
 * Writes content to dir/name atomically: a temporary file renamed over the
 * old one, so a reader sees the old or the new content, never a part. No
 * fsync: this is run-time state that a host crash makes moot anyway, and
 * an fsync per state change cost milliseconds on the start-up path.
 */
int cv_write_file_atomic_at(int dirfd, const char *name, const char *content, size_t length, mode_t mode);
/*
 * The same, written through the existing empty file spare (renamed over name, so no new inode is
 * made: a create is the dearest metadata operation on a busy filesystem) when it is a plain file
 * of ours with that mode, linked once; else as cv_write_file_atomic_at. The caller keeps other
 * writers of name out (a lock), as they would share the spare.
 */
int cv_write_file_atomic_via_at(int dirfd, const char *name, const char *spare, const char *content, size_t length,
                                mode_t mode);
/*
 * cv_write_file_atomic_via_at also keeps the file it replaces linked as .NAME.retired-SLOT while a slot
 * is free: a rename over the last link frees the old file's blocks, and on a filesystem mounted with
 * `discard` (this project's VM: ext4 without a journal) that is a synchronous discard request to the
 * disk, 1-15 ms in the writer, paid by every state change of a start. The retired files are never
 * written again (a reader still holding one reads it whole) and go with the container's directory.
 */
#define CV_RETIRED_SLOTS 3
void cv_retired_name(const char *name, int slot, char *buffer, size_t size);

/* Whether path is absolute on this platform ("/..."; Windows: a drive letter, colon, separator, or a UNC path). */
bool cv_path_is_absolute(const char *path);
/* The default state root: /var/lib/containerv; Windows: %ProgramData%, then containerv. */
const char *cv_default_state_root(void);

/* mkdir -p with mode; existing directories are fine. */
int cv_mkdir_p(const char *path, mode_t mode);
/*
 * <root>/<leaf> (leaf may be NULL: the root itself) of a state root, made 0700, and an existing one
 * with group or other bits (made by an older version) tightened to 0700; the path goes to buffer.
 * Nothing under a state root may be reachable by path for another host user: it holds images' and
 * containers' setuid files and device nodes (CVE-2021-41091). A root that is not ours or is sticky
 * (a shared directory such as /tmp) is left as it is; its top directories are private all the same.
 */
int cv_mkdir_private(const char *root, const char *leaf, char *buffer, size_t size);
/* rm -rf that never crosses into another mount and never follows links. */
int cv_rm_rf(const char *path);

/* write()/read() loops that retry on EINTR and short counts. */
ssize_t cv_write_all(int fd, const void *buffer, size_t length);
ssize_t cv_read_all(int fd, void *buffer, size_t length);

/* CLOCK_REALTIME / CLOCK_MONOTONIC in nanoseconds. */
int64_t cv_now_ns(void);
int64_t cv_monotonic_ns(void);
/*
 * An event (docker's Type, Action, Actor.ID and attributes "key=value", NULL-terminated) into the current
 * context's events journal (common/journal-note.c), for the layers below core. Never fails its caller.
 */
void cv_journal_note(const char *type, const char *action, const char *id, const char *const *attributes);
/* bytes (at most 64) random bytes as 2 * bytes hex digits and a NUL into buffer; -1 if the random source failed. */
int cv_random_hex(char *buffer, size_t bytes);
/* length bytes from the kernel's random source (platform/linux/random.c, platform/windows/random.c); 0 or -1. */
int cv_random_bytes(void *buffer, size_t length);

/* Name rule shared by containers, volumes and networks. */
bool cv_name_is_valid(const char *name, size_t max);

/*
 * Makes text valid UTF-8 in place: each byte that does not belong to a well-formed sequence (a stray
 * continuation byte, an overlong or surrogate form, a sequence cut short, as at a truncation) becomes '?'.
 * For bytes a container controls that go into JSON: jansson refuses invalid UTF-8, and drops the value.
 */
void cv_utf8_repair(char *text);

/* containerv's own directory under each cgroup hierarchy's root (its containers' cgroups are below it). */
#define CV_CGROUP_OWN_DIR "containerv"

/* The longest cgroup path a container may be given (containerv_options_set_cgroup_path). */
#define CV_CGROUP_PATH_MAX 512

/* The longest value of a cgroup file set by name (containerv_options_set_cgroup_file): one page, what the kernel reads.
 */
#define CV_CGROUP_FILE_VALUE_MAX 4096

/*
 * A cgroup path from a config: an optional leading "/", then components of [A-Za-z0-9_.:@-] separated by
 * single "/", none "." or "..", no trailing "/", at most CV_CGROUP_PATH_MAX characters. Nothing else can
 * climb out of the hierarchy or name a control file's directory by surprise.
 */
bool cv_cgroup_path_is_plain(const char *path);

/*
 * Whether key may name a file of OCI's linux.resources.unified: a plain file name ("memory.oom.group";
 * no "/", not "." or ".."; letters, digits, "._-"), "<controller>.<file>", or a "cgroup." file that
 * neither moves processes nor changes the tree (cgroup.procs, cgroup.threads, cgroup.subtree_control,
 * cgroup.kill, cgroup.type and cgroup.freeze are refused). Kernel-free: 0, or -1 with EINVAL/EPERM and the reason.
 */
int cv_cgroup_file_name_check(const char *key);

#endif
