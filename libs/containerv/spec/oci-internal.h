/*
 * Internal: the parts of the config.json loader (spec/oci-*.c) shared by its files.
 */
#ifndef CV_SPEC_OCI_INTERNAL_H
#define CV_SPEC_OCI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <chef/containerv.h>
#include <chef/containerv/oci.h>

#include "config/options.h"
#include "security/security-internal.h"

/* One translation: the options being filled (a private object until the whole config has passed). */
struct cv_oci_load {
	struct containerv_options *options;
	struct containerv_security *security; /* options->security, for short */
	const char *bundle;
	struct containerv_oci_process *process; /* NULL: the caller applies nothing itself */
	bool uts_namespace;                     /* checked against hostname */
};

/* A refusal or malformed field: "FIELD: WHY" with errno EINVAL; returns -1. */
int cv_oci_refuse(const char *field, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The member name of object as a string (NULL when absent); -1 when present but not a string. */
int cv_oci_string(json_t *object, const char *name, const char *field, const char **value);
/* Members that must be arrays of strings, or absent (then *count 0). */
int cv_oci_string_array(json_t *object, const char *name, const char *field, json_t **array);
/* Whether a member is present with a value that means something (not null, "", [], {}, false, 0). */
bool cv_oci_is_set(json_t *value);
/* Refuses name of object when it is set (cv_oci_is_set): "FIELD.NAME: WHY". */
int cv_oci_refuse_if_set(json_t *object, const char *name, const char *field, const char *why);

/* oci-mounts.c: config.json's "mounts". */
int cv_oci_load_mounts(struct cv_oci_load *load, json_t *mounts);

/* A propagation's name ("private", "rslave", ...) into *propagation; false for any other text. */
bool cv_oci_propagation(const char *name, enum containerv_mount_propagation *propagation);

/* oci-linux.c: config.json's "linux" object. */
int cv_oci_load_linux(struct cv_oci_load *load, json_t *linux_object);

#endif
