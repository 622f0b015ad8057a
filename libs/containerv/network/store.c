/*
 * Network definitions and address leases on disk (layout in
 * network-internal.h). Every change happens under one flock, so two CLIs
 * never hand out one address twice nor remove a network a third is
 * attaching to.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "network/network-internal.h"

static int networks_dir(char *buffer, size_t size)
{
	return cv_mkdir_private(containerv_root(), "networks", buffer, size);
}

int cv_network_path(const char *name, const char *leaf, char *buffer, size_t size)
{
	char dir[PATH_MAX];
	int n;

	if (networks_dir(dir, sizeof dir) < 0)
		return -1;
	n = snprintf(buffer, size, "%s/%s%s%s", dir, name, leaf[0] ? "/" : "", leaf);
	if (n < 0 || (size_t)n >= size)
		return cv_error_errno(ENAMETOOLONG, "network %s: path too long", name);
	return 0;
}

bool cv_network_store_exists(void)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof path, "%s/networks", containerv_root());
	return stat(path, &st) == 0;
}

static int lock_networks(int operation)
{
	char path[PATH_MAX];
	int fd;

	if (networks_dir(path, sizeof path) < 0)
		return -1;
	strncat(path, "/lock", sizeof path - strlen(path) - 1);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cv_error_sys("open %s", path);
	while (flock(fd, operation) < 0) {
		if (errno != EINTR) {
			close(fd);
			return cv_error_sys("lock %s", path);
		}
	}
	return fd;
}

int cv_network_lock(void)
{
	return lock_networks(LOCK_EX);
}

int cv_network_lock_try(void)
{
	return lock_networks(LOCK_EX | LOCK_NB);
}

void cv_network_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

static int network_from_json(json_t *root, struct cv_network *network)
{
	const char *name = json_string_value(json_object_get(root, "name"));
	const char *id = json_string_value(json_object_get(root, "id"));
	const char *subnet = json_string_value(json_object_get(root, "subnet"));
	const char *gateway = json_string_value(json_object_get(root, "gateway"));
	const char *bridge = json_string_value(json_object_get(root, "bridge"));

	memset(network, 0, sizeof *network);
	if (name == NULL || id == NULL || subnet == NULL || gateway == NULL || bridge == NULL ||
	    strlen(name) > CV_NETWORK_NAME_MAX || strlen(id) != 64 || strlen(bridge) >= sizeof network->bridge ||
	    !cv_network_bridge_name_is_ours(bridge))
		return cv_error_errno(EINVAL, "network.json: missing or malformed fields");
	if (cv_subnet_parse(subnet, &network->subnet) < 0 || cv_address_parse(gateway, &network->gateway) < 0)
		return cv_error_prefix("network.json");
	snprintf(network->name, sizeof network->name, "%s", name);
	snprintf(network->id, sizeof network->id, "%s", id);
	snprintf(network->bridge, sizeof network->bridge, "%s", bridge);
	network->created_ns = json_integer_value(json_object_get(root, "created_ns"));
	return 0;
}

int cv_network_load(const char *name, struct cv_network *network)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;
	json_error_t error;
	json_t *root;
	int ret;

	if (!cv_name_is_valid(name, CV_NETWORK_NAME_MAX))
		return cv_error_errno(EINVAL, "invalid network name \"%s\"", name);
	if (cv_network_path(name, "network.json", path, sizeof path) < 0)
		return -1;
	if (cv_read_file(path, &text, NULL, 1 << 16) < 0) {
		if (errno == ENOENT)
			return cv_error_errno(ENOENT, "network %s not found", name);
		return -1;
	}
	root = json_loads(text, 0, &error);
	if (root == NULL)
		return cv_error_errno(EINVAL, "network %s: invalid network.json", name);
	ret = network_from_json(root, network);
	json_decref(root);
	if (ret < 0)
		return cv_error_prefix("network %s", name);
	return 0;
}

/* Written in a fresh directory that is then renamed into place: a network appears whole or not at all. */
int cv_network_save_new(const struct cv_network *network)
{
	char final[PATH_MAX], temporary[PATH_MAX], subnet[20], gateway[16];
	cleanup_free char *text = NULL;
	cleanup_close int dirfd = -1;
	json_t *root;

	if (cv_network_path(network->name, "", final, sizeof final) < 0 ||
	    cv_network_path(network->id, "", temporary, sizeof temporary) < 0)
		return -1;
	/* The id as a hidden temporary name: never a valid network name ('.' first). */
	char *slash = strrchr(temporary, '/');
	memmove(slash + 2, slash + 1, strlen(slash + 1) + 1);
	slash[1] = '.';
	cv_subnet_format(&network->subnet, subnet);
	cv_address_format(network->gateway, gateway);
	root = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "name", network->name, "id", network->id, "subnet", subnet,
	                 "gateway", gateway, "bridge", network->bridge, "created_ns", (json_int_t)network->created_ns);
	text = root != NULL ? json_dumps(root, JSON_INDENT(2)) : NULL;
	json_decref(root);
	if (text == NULL)
		return cv_error_errno(ENOMEM, "network %s: cannot encode", network->name);
	cv_rm_rf(temporary);
	if (mkdir(temporary, 0700) < 0)
		return cv_error_sys("create %s", temporary);
	dirfd = open(temporary, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || mkdirat(dirfd, "leases", 0700) < 0 ||
	    cv_write_file_atomic_at(dirfd, "network.json", text, strlen(text), 0600) < 0 ||
	    rename(temporary, final) < 0) {
		int err = errno;
		struct cv_error_saved saved;
		if (err == EEXIST || err == ENOTEMPTY)
			cv_error_errno(EEXIST, "network with name %s already exists", network->name);
		else
			cv_error_sys("network %s: create", network->name);
		cv_error_save(&saved);
		cv_rm_rf(temporary);
		return cv_error_restore(&saved);
	}
	return 0;
}

int cv_network_delete_files(const char *name)
{
	char path[PATH_MAX], doomed[PATH_MAX];

	if (cv_network_path(name, "", path, sizeof path) < 0 ||
	    cv_network_path(".removing", "", doomed, sizeof doomed) < 0)
		return -1;
	strncat(doomed, name, sizeof doomed - strlen(doomed) - 1);
	/* Out of sight at once, then deleted. */
	if (rename(path, doomed) < 0)
		return cv_error_sys("remove network %s", name);
	return cv_rm_rf(doomed);
}

int cv_network_names(int (*callback)(const char *name, void *user), void *user)
{
	char path[PATH_MAX];
	cleanup_dir DIR *dir = NULL;
	struct dirent *entry;
	cleanup_strv char **names = NULL;

	if (networks_dir(path, sizeof path) < 0)
		return -1;
	dir = opendir(path);
	if (dir == NULL)
		return cv_error_sys("open %s", path);
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.' || strcmp(entry->d_name, "lock") == 0 ||
		    !cv_name_is_valid(entry->d_name, CV_NETWORK_NAME_MAX))
			continue;
		if (cv_strv_append(&names, entry->d_name) < 0)
			return -1;
	}
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		int ret = callback(names[i], user);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* ---- leases ---- */

static json_t *string_array(char *const *strv)
{
	json_t *array = json_array();

	for (size_t i = 0; strv != NULL && strv[i] != NULL; i++)
		json_array_append_new(array, json_string(strv[i]));
	return array;
}

/* Strings of a lease's array; what is not a valid name is left out (the file is ours, but a name is answered). */
static int names_from(json_t *array, char ***out)
{
	size_t index;
	json_t *value;

	json_array_foreach(array, index, value)
	{
		const char *text = json_string_value(value);
		if (text != NULL && strlen(text) <= 2 * CV_NETWORK_NAME_MAX + 1 && cv_strv_append(out, text) < 0)
			return -1;
	}
	return 0;
}

static json_t *lease_to_json(const struct cv_lease *lease)
{
	json_t *ports = json_array();
	char address[16];

	for (size_t i = 0; i < lease->port_count; i++) {
		const struct cv_port *p = &lease->ports[i];
		json_array_append_new(ports, json_pack("{s:I,s:i,s:i,s:i}", "host_address", (json_int_t)p->host_address,
		                                       "host_port", (int)p->host_port, "container_port",
		                                       (int)p->container_port, "protocol", p->protocol));
	}
	cv_address_format(lease->address, address);
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:o,s:o,s:o,s:o,s:b}", "container", lease->container, "address",
	                 address, "veth", lease->veth, "interface", lease->interface, "owner_pid",
	                 (int)lease->owner_pid, "owner_start", (json_int_t)lease->owner_start, "ports", ports, "names",
	                 string_array(lease->names), "links", string_array(lease->links), "dns",
	                 string_array(lease->dns), "unready", (int)lease->unready);
}

static int copy_field(json_t *root, const char *key, char *out, size_t size)
{
	const char *value = json_string_value(json_object_get(root, key));

	if (value == NULL || strlen(value) >= size)
		return -1;
	snprintf(out, size, "%s", value);
	return 0;
}

static int lease_from_json(json_t *root, struct cv_lease *lease)
{
	char address[16];
	json_t *ports = json_object_get(root, "ports"), *port;
	size_t index;

	memset(lease, 0, sizeof *lease);
	if (copy_field(root, "container", lease->container, sizeof lease->container) < 0 ||
	    copy_field(root, "address", address, sizeof address) < 0 ||
	    copy_field(root, "veth", lease->veth, sizeof lease->veth) < 0 ||
	    copy_field(root, "interface", lease->interface, sizeof lease->interface) < 0 ||
	    cv_address_parse(address, &lease->address) < 0 ||
	    (lease->veth[0] != '\0' && !cv_network_veth_name_is_ours(lease->veth)))
		return cv_error_errno(EINVAL, "lease: malformed");
	lease->owner_pid = (pid_t)json_integer_value(json_object_get(root, "owner_pid"));
	lease->owner_start = (uint64_t)json_integer_value(json_object_get(root, "owner_start"));
	lease->unready = json_is_true(json_object_get(root, "unready")); /* absent (older leases): ready */
	if (names_from(json_object_get(root, "names"), &lease->names) < 0 ||
	    names_from(json_object_get(root, "links"), &lease->links) < 0 ||
	    names_from(json_object_get(root, "dns"), &lease->dns) < 0)
		return -1;
	if (json_is_array(ports) && json_array_size(ports) > 0) {
		lease->ports = cv_malloc0(json_array_size(ports) * sizeof *lease->ports);
		if (lease->ports == NULL)
			return -1;
		json_array_foreach(ports, index, port)
		{
			struct cv_port *p = &lease->ports[lease->port_count++];
			p->host_address = (uint32_t)json_integer_value(json_object_get(port, "host_address"));
			p->host_port = (uint16_t)json_integer_value(json_object_get(port, "host_port"));
			p->container_port = (uint16_t)json_integer_value(json_object_get(port, "container_port"));
			p->protocol = (int)json_integer_value(json_object_get(port, "protocol"));
		}
	}
	return 0;
}

void cv_leases_free(struct cv_lease *leases, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(leases[i].ports);
		cv_strv_free(leases[i].names);
		cv_strv_free(leases[i].links);
		cv_strv_free(leases[i].dns);
	}
	free(leases);
}

int cv_network_leases(const struct cv_network *network, struct cv_lease **out, size_t *count)
{
	char path[PATH_MAX];
	cleanup_dir DIR *dir = NULL;
	struct dirent *entry;
	struct cv_lease *leases = NULL;
	size_t n = 0, capacity = 0;

	*out = NULL;
	*count = 0;
	if (cv_network_path(network->name, "leases", path, sizeof path) < 0)
		return -1;
	dir = opendir(path);
	if (dir == NULL)
		return errno == ENOENT ? 0 : cv_error_sys("open %s", path);
	while ((entry = readdir(dir)) != NULL) {
		cleanup_free char *text = NULL;
		json_t *root;
		uint32_t address;

		if (entry->d_name[0] == '.' || cv_address_parse(entry->d_name, &address) < 0) {
			cv_error_clear();
			continue;
		}
		if (cv_read_file_at(dirfd(dir), entry->d_name, &text, NULL, 1 << 20) < 0)
			continue;
		root = json_loads(text, 0, NULL);
		if (n == capacity) {
			capacity = capacity ? capacity * 2 : 16;
			struct cv_lease *grown = realloc(leases, capacity * sizeof *leases);
			if (grown == NULL) {
				json_decref(root);
				cv_leases_free(leases, n);
				return cv_error_errno(ENOMEM, "out of memory");
			}
			leases = grown;
		}
		/* A lease we cannot read still holds its address (its file name), owned by nobody alive. */
		if (root == NULL || lease_from_json(root, &leases[n]) < 0 || leases[n].address != address) {
			memset(&leases[n], 0, sizeof leases[n]);
			leases[n].address = address;
		}
		json_decref(root);
		n++;
	}
	cv_error_clear();
	*out = leases;
	*count = n;
	return 0;
}

int cv_lease_save(const struct cv_network *network, const struct cv_lease *lease)
{
	char path[PATH_MAX], name[16];
	cleanup_close int dirfd = -1;
	cleanup_free char *text = NULL;
	json_t *root = lease_to_json(lease);

	text = root != NULL ? json_dumps(root, 0) : NULL;
	json_decref(root);
	if (text == NULL)
		return cv_error_errno(ENOMEM, "lease: cannot encode");
	if (cv_network_path(network->name, "leases", path, sizeof path) < 0)
		return -1;
	dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cv_error_sys("open %s", path);
	cv_address_format(lease->address, name);
	return cv_write_file_atomic_at(dirfd, name, text, strlen(text), 0600);
}

int cv_lease_remove(const struct cv_network *network, uint32_t address)
{
	char path[PATH_MAX], name[16];

	if (cv_network_path(network->name, "leases", path, sizeof path) < 0)
		return -1;
	cv_address_format(address, name);
	strncat(path, "/", sizeof path - strlen(path) - 1);
	strncat(path, name, sizeof path - strlen(path) - 1);
	if (unlink(path) < 0 && errno != ENOENT)
		return cv_error_sys("release %s", path);
	return 0;
}

bool cv_network_load_with_leases(const char *name, struct cv_network *network, struct cv_lease **leases, size_t *count)
{
	*leases = NULL;
	*count = 0;
	if (cv_network_load(name, network) < 0 || cv_network_leases(network, leases, count) < 0) {
		cv_error_clear();
		return false;
	}
	return true;
}

struct set_ready {
	const char *container;
	bool ready;
};

static int set_ready_on(const char *name, void *user)
{
	const struct set_ready *want = user;
	struct cv_network network;
	struct cv_lease *leases;
	size_t count;
	int ret = 0;

	if (!cv_network_load_with_leases(name, &network, &leases, &count))
		return 0; /* removed meanwhile: nothing of ours there */
	for (size_t i = 0; i < count && ret == 0; i++) {
		if (strcmp(leases[i].container, want->container) != 0 || leases[i].unready == !want->ready)
			continue;
		leases[i].unready = !want->ready;
		ret = cv_lease_save(&network, &leases[i]);
	}
	cv_leases_free(leases, count);
	return ret;
}

int cv_network_set_ready(const char *container, bool ready)
{
	struct set_ready want = {.container = container, .ready = ready};
	int lock, ret;

	if (!cv_network_store_exists())
		return 0;
	lock = cv_network_lock();
	if (lock < 0)
		return -1;
	ret = cv_network_names(set_ready_on, &want);
	cv_network_unlock(lock);
	return ret;
}

int cv_lease_allocate(const struct cv_network *network, uint32_t requested, struct cv_lease *lease)
{
	struct cv_lease *leases = NULL;
	size_t count = 0;
	uint32_t size = 1u << (32 - network->subnet.prefix);
	uint32_t first = network->subnet.address, broadcast = first + size - 1;
	cleanup_free unsigned char *used = NULL;
	char text[20];

	if (cv_network_leases(network, &leases, &count) < 0)
		return -1;
	used = cv_malloc0(size / 8 + 1);
	if (used == NULL) {
		cv_leases_free(leases, count);
		return -1;
	}
#define MARK(a) (used[((a)-first) / 8] |= (unsigned char)(1u << (((a)-first) % 8)))
#define USED(a) ((used[((a)-first) / 8] >> (((a)-first) % 8)) & 1u)
	MARK(first);
	MARK(broadcast);
	MARK(network->gateway);
	for (size_t i = 0; i < count; i++)
		if (cv_subnet_contains(&network->subnet, leases[i].address))
			MARK(leases[i].address);
	cv_leases_free(leases, count);
	cv_subnet_format(&network->subnet, text);
	if (requested != 0) {
		char address[16];
		cv_address_format(requested, address);
		if (!cv_subnet_contains(&network->subnet, requested))
			return cv_error_errno(EINVAL, "address %s is not in network %s (%s)", address, network->name,
			                      text);
		if (USED(requested))
			return cv_error_errno(EADDRINUSE, "address %s is already in use on network %s", address,
			                      network->name);
		lease->address = requested;
	} else {
		lease->address = 0;
		for (uint32_t a = first + 1; a < broadcast; a++) {
			if (!USED(a)) {
				lease->address = a;
				break;
			}
		}
		if (lease->address == 0)
			return cv_error_errno(ENOSPC, "network %s: no free address left in %s", network->name, text);
	}
#undef MARK
#undef USED
	cv_process_self(&lease->owner_pid, &lease->owner_start);
	return cv_lease_save(network, lease);
}

/* Releases the stale leases of one network. */
static void reconcile_network(const struct cv_network *network)
{
	struct cv_lease *leases = NULL;
	size_t count = 0, released = 0;

	if (cv_network_leases(network, &leases, &count) < 0)
		return;
	for (size_t i = 0; i < count; i++) {
		if (leases[i].owner_pid > 0 && cv_process_alive(leases[i].owner_pid, leases[i].owner_start))
			continue;
		cv_network_platform_release(network, &leases[i], false);
		cv_lease_remove(network, leases[i].address);
		released++;
	}
	cv_leases_free(leases, count);
	if (released > 0 && released == count)
		cv_network_platform_unused(network);
}

static int reconcile_one(const char *name, void *user)
{
	struct cv_network network;

	(void)user;
	if (cv_network_load(name, &network) < 0)
		return 0;
	reconcile_network(&network);
	return 0;
}

/*
 * Files of a writer that died: every write here happens under the lock, so
 * under it a temporary file (".<name>.tmp.<tid>" of an atomic write) or
 * directory (".<id>" of a network being made, ".removing<name>") is an
 * orphan.
 */
static void remove_orphans(const char *path, bool directories)
{
	cleanup_dir DIR *dir = opendir(path);
	struct dirent *entry;

	while (dir != NULL && (entry = readdir(dir)) != NULL) {
		char orphan[PATH_MAX];
		if (entry->d_name[0] != '.' || strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		snprintf(orphan, sizeof orphan, "%s/%s", path, entry->d_name);
		if (directories)
			cv_rm_rf(orphan);
		else
			unlinkat(dirfd(dir), entry->d_name, 0);
	}
}

static int remove_lease_orphans(const char *name, void *user)
{
	char path[PATH_MAX];

	(void)user;
	if (cv_network_path(name, "leases", path, sizeof path) == 0)
		remove_orphans(path, false);
	return 0;
}

void cv_network_reconcile_locked(void)
{
	char path[PATH_MAX];

	if (networks_dir(path, sizeof path) == 0)
		remove_orphans(path, true);
	cv_network_names(remove_lease_orphans, NULL);
	cv_network_names(reconcile_one, NULL);
	cv_error_clear();
}
