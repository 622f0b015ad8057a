/*
 * A container's security profile in its options and config.json, and the
 * security checks of a whole configuration (its binds, its audit), which
 * read the options for security/ (below them, it does not know them). Options
 * hold no profile until one is set; the config of a created container always
 * records one (the default level when none was set), so a container runs
 * with the same walls whichever containerv version later starts it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>

#include "common/error.h"
#include "config/options.h"
#include "common/util.h"
#include "security/security-internal.h"

#define DEFAULT_LEVEL CV_SECURITY_RESTRICTED

int containerv_options_set_security(struct containerv_options *options, const struct containerv_security *security)
{
	struct containerv_security *copy = NULL;

	cv_error_clear();
	if (options == NULL || security == NULL)
		return cv_error_errno(EINVAL, "set_security: NULL argument");
	if (containerv_security_copy(security, &copy) < 0)
		return -1;
	containerv_security_delete(options->security);
	options->security = copy;
	return 0;
}

int cv_security_config_to_json(const struct containerv_security *security, json_t *root)
{
	struct containerv_security *fallback = NULL;
	json_t *object;

	if (security == NULL) {
		if (containerv_security_new(DEFAULT_LEVEL, &fallback) < 0)
			return -1;
		security = fallback;
	}
	object = cv_security_to_json_object(security);
	containerv_security_delete(fallback);
	if (object == NULL || json_object_set_new(root, "security", object) < 0)
		return cv_error_errno(ENOMEM, "config: cannot encode the security profile");
	return 0;
}

int cv_security_config_from_json(json_t *root, struct containerv_security **out)
{
	json_t *object = json_object_get(root, "security");
	struct containerv_security *security;

	if (object == NULL)
		return containerv_security_new(DEFAULT_LEVEL, out);
	security = cv_malloc0(sizeof *security);
	if (security == NULL)
		return -1;
	if (cv_security_from_json_object(object, security) < 0) {
		free(security);
		return -1;
	}
	*out = security;
	return 0;
}

int cv_security_check_binds(const struct containerv_options *options, const char *state_root)
{
	for (size_t i = 0; i < options->mount_count; i++) {
		const struct cv_mount *m = &options->mounts[i];
		if (m->type == CV_MOUNT_TYPE_BIND &&
		    cv_security_check_bind(options->security, m->source, (m->flags & CV_MOUNT_READONLY) != 0,
		                           state_root, NULL, 0) < 0)
			return -1;
	}
	return 0;
}

/* The subject of the audit and of the isolation check; DEVICES has room for the config's. */
static void fill_subject(const struct containerv_options *config, struct cv_audit_device *devices,
                         struct cv_audit_subject *subject)
{
	*subject = (struct cv_audit_subject){
	        .security = config->security,
	        .namespaces = config->namespaces,
	        .devices = devices,
	        .device_count = config->host_device_count,
	        .runs_as_root = config->uid == 0,
	        .memory_bytes = config->limits.memory_bytes,
	        .pids_max = config->limits.pids_max,
	        .mounts = config->mounts,
	        .mount_count = config->mount_count,
	};
	for (int i = 0; i < CV_JOIN_COUNT && i < CV_AUDIT_JOINS; i++)
		subject->joined[i] = config->join_paths[i] != NULL ? config->join_paths[i] : config->join_containers[i];
	for (size_t i = 0; i < config->host_device_count; i++)
		devices[i] = (struct cv_audit_device){config->host_devices[i].host_path,
		                                      config->host_devices[i].container_path,
		                                      config->host_devices[i].permissions};
}

int cv_security_check_host_access(const struct containerv_options *options)
{
	struct cv_audit_device devices[CONTAINERV_DEVICES_MAX];
	struct cv_audit_subject subject;

	fill_subject(options, devices, &subject);
	return cv_security_check_isolation(&subject);
}

int cv_audit_config(const struct containerv_options *config, const char *state_root, struct containerv_audit **out)
{
	struct cv_audit_device devices[CONTAINERV_DEVICES_MAX];
	struct cv_audit_subject subject;

	fill_subject(config, devices, &subject);
	return cv_audit_subject(&subject, state_root, out);
}
