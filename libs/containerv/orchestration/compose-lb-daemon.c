/*
 * The balancer process of a compose project: one process serving every
 * balanced port of the project (compose-lb.c says which), started by up,
 * stopped by down, no daemon besides it.
 *
 * State, in <root>/compose/<project>/:
 *   lb.lock        held (flock) by the process for its whole life: "is it
 *                  alive" is "is the lock held", so a recycled pid is never
 *                  signalled;
 *   lb.json        its pid and the plan it serves (the balanced ports, with
 *                  algorithm, weights, probes): up compares the plan and
 *                  keeps, or replaces, the process;
 *   lb-status.json every backend's counters and histograms, rewritten every
 *                  second (containerv_compose_lb_status(), compose ps, metrics);
 *   lb.log         its stdout and stderr, bounded (compose-lb-log.c).
 *
 * The replica set: every second and on SIGHUP (up sends it; so can whatever
 * scales a service, through containerv_compose_lb_refresh()) the process
 * lists the project's containers: a running replica of the service is a
 * backend at its address on the service's first network; one that is gone
 * or stopped drains; one that comes back is restored under its old index.
 * A killed replica is taken out at once by the relay (refused connect, the
 * client retried elsewhere) before the next listing notices.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/process.h"
#include "common/util.h"
#include "orchestration/compose-lb-scaler.h"
#include "orchestration/compose-lb.h"
#include "orchestration/compose-up.h"

#define REFRESH_MS 1000
#define STOP_WAIT_MS 5000
#define REPORT_MAX 1024

struct member {
	char name[256];
	char address[16];
	size_t index;
	bool present; /* seen running in this listing */
	/* Autoscaled services: CPU over the interval between two listings, memory now. */
	uint64_t cpu_time_ns, sampled_ns;
	double cpu_percent, memory_percent; /* negative: unknown yet */
};

#define AUTOSCALE_HISTORY 4096 /* samples, one a second: about an hour */

struct daemon;

/*
 * A service's autoscaling (autoscale.h), evaluated where its replica set is
 * known: here. A decision is applied by a thread of its own (creating and
 * draining replicas takes seconds; the refreshes and the status go on
 * meanwhile), one change at a time per service.
 */
struct autoscaler {
	struct containerv_autoscale_policy policy;
	struct containerv_autoscale_state state;
	struct containerv_autoscale_sample history[AUTOSCALE_HISTORY];
	size_t count;
	unsigned int wanted;   /* the last decision */
	unsigned int running;  /* replicas running at the last listing (healthy or not) */
	bool paused;           /* a manual scale paused it (autoscale-paused@SERVICE) until the next up */
	struct daemon *daemon; /* for the scaling thread */
	const char *service;
	pthread_t thread;
	bool scaling;        /* the thread runs (or has ended and is not joined yet) */
	atomic_bool scaled;  /* set by the thread when it ends */
	unsigned int target; /* what the thread scales to */
	char reason[128];    /* the sample that decided it, for the scale event */
	char error[512];     /* the last failed change's error, "" after a success */
	uint64_t changes;    /* changes applied */
};

struct balanced {
	json_t *entry; /* its plan entry */
	const char *service;
	const char *network; /* <project>_<first network> */
	struct containerv_lb *lb;
	struct member members[CONTAINERV_LB_MAX_BACKENDS];
	size_t member_count;
	struct autoscaler *autoscaler; /* the service's first balanced port only; NULL: none */
};

struct daemon {
	const char *project;
	/*
	 * The app as the up that started this process loaded it (this process
	 * is a fork of that up): an autoscaling change scales it. The plan holds
	 * the model's hash, so an up with another model replaces the process.
	 */
	const struct containerv_compose *app;
	int directory; /* <root>/compose/<project> */
	struct balanced *balanced;
	size_t count;
};

/* ---- where: <root>/compose/<project> ---- */

static int project_directory(const char *project, bool create, char *path, size_t size)
{
	char compose[PATH_MAX];

	if (!cv_name_is_valid(project, 128))
		return cv_error_errno(EINVAL, "invalid project name \"%s\"", project);
	if (create) {
		if (cv_mkdir_private(containerv_root(), "compose", compose, sizeof compose) < 0)
			return -1;
	} else if (snprintf(compose, sizeof compose, "%s/compose", containerv_root()) >= (int)sizeof compose) {
		return cv_error_errno(ENAMETOOLONG, "state root too long");
	}
	if (snprintf(path, size, "%s/%s", compose, project) >= (int)size)
		return cv_error_errno(ENAMETOOLONG, "state root too long");
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return cv_error_sys("mkdir %s", path);
	return 0;
}

/* Is the lock held (by a live balancer)? */
bool cv_compose_lb_serving(const char *directory)
{
	char path[PATH_MAX + 32];
	int fd;
	bool held;

	snprintf(path, sizeof path, "%s/lb.lock", directory);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/* Is the project's balancer alive (its lock held)? Its recorded pid and plan when it is. */
static bool running_balancer(const char *directory, pid_t *pid, char **plan)
{
	char path[PATH_MAX + 32];
	char *text = NULL;
	json_t *record;

	if (!cv_compose_lb_serving(directory))
		return false;
	snprintf(path, sizeof path, "%s/lb.json", directory);
	if (cv_read_file(path, &text, NULL, 1 << 20) < 0) {
		cv_error_clear();
		return false; /* starting: not recorded yet */
	}
	record = json_loads(text, 0, NULL);
	free(text);
	*pid = (pid_t)json_integer_value(json_object_get(record, "pid"));
	if (plan != NULL)
		*plan = json_dumps(json_object_get(record, "plan"), JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(record);
	return *pid > 0;
}

/* ---- the plan: what the app's balanced ports are ---- */

static json_t *plan_entry(const struct containerv_compose *app, const char *name, json_t *service,
                          const struct cv_compose_lb_port *port)
{
	json_t *lb = json_object_get(json_object_get(service, "x-containerv"), "lb");
	const char *algorithm = json_string_value(json_object_get(lb, "algorithm"));
	const char *label =
	        json_string_value(json_object_get(json_object_get(service, "labels"), CV_COMPOSE_LABEL_LB_ALGORITHM));
	const char *probe = json_string_value(json_object_get(lb, "probe_interval"));
	long long probe_ns = 0;
	char network[300];

	if (probe != NULL)
		cv_compose_parse_duration(probe, &probe_ns);
	snprintf(network, sizeof network, "%s_%s", app->project, cv_compose_first_network(service));
	json_t *weights = json_object_get(lb, "weights");

	json_t *entry = json_pack(
	        "{s:s, s:s, s:s, s:I, s:I, s:b, s:s, s:o, s:I, s:s?, s:s?, s:O?}", "service", name, "network", network,
	        "host_ip", port->host_ip, "published", (json_int_t)port->published, "target", (json_int_t)port->target,
	        "udp", port->udp, "algorithm",
	        algorithm ? algorithm
	        : label   ? label
	                  : "round_robin",
	        "weights", weights != NULL ? json_incref(weights) : json_object(), "probe_interval_ms",
	        (json_int_t)(probe_ns / 1000000), "udp_probe", json_string_value(json_object_get(lb, "udp_probe")),
	        "udp_expect", json_string_value(json_object_get(lb, "udp_expect")), "autoscale",
	        json_object_get(json_object_get(service, "x-containerv"), "autoscale"));
	/*
	 * An autoscaled service is scaled with the model this process holds: a
	 * changed model (an image, a dependency) must replace the process, a
	 * changed replica count must not.
	 */
	char hash[72];
	if (entry != NULL && json_object_get(entry, "autoscale") != NULL) {
		if (cv_compose_model_hash(app, hash) < 0) {
			json_decref(entry);
			return NULL;
		}
		json_object_set_new(entry, "model", json_string(hash));
	}
	return entry;
}

static json_t *make_plan(const struct containerv_compose *app)
{
	json_t *services = json_object_get(app->model, "services"), *plan = json_array();

	for (size_t i = 0; plan != NULL && app->service_order[i] != NULL; i++) {
		const char *name = app->service_order[i];
		json_t *service = json_object_get(services, name), *element;
		size_t index, balanced_ports = 0;

		json_array_foreach(json_object_get(service, "ports"), index, element)
		{
			struct cv_compose_lb_port port;
			if (!cv_compose_port_balanced(service, json_string_value(element), &port))
				continue;
			json_t *entry = plan_entry(app, name, service, &port);
			if (entry == NULL || json_array_append_new(plan, entry) < 0) {
				json_decref(plan);
				return NULL;
			}
			balanced_ports++;
		}
		/* An autoscaled service without one: an entry with no port, for its autoscaler alone. */
		if (balanced_ports == 0 && json_object_get(json_object_get(service, "x-containerv"), "autoscale")) {
			struct cv_compose_lb_port none = {.host_ip = ""};
			json_t *entry = plan_entry(app, name, service, &none);
			if (entry == NULL || json_array_append_new(plan, entry) < 0) {
				json_decref(plan);
				return NULL;
			}
		}
	}
	return plan;
}

/* ---- inside the process: the replica set ---- */

struct listing {
	struct daemon *daemon;
};

/* CPU (over the time since the last sample) and memory use of a replica, for its service's autoscaler. */
static void sample_member(struct member *member, struct containerv_container *container)
{
	struct containerv_stats stats;
	uint64_t now = (uint64_t)cv_monotonic_ns();

	if (containerv_get_stats(container, &stats) < 0) {
		cv_error_clear();
		member->cpu_percent = member->memory_percent = -1;
		return;
	}
	if (member->sampled_ns != 0 && now > member->sampled_ns && stats.cpu_time_ns >= member->cpu_time_ns)
		member->cpu_percent =
		        100.0 * (double)(stats.cpu_time_ns - member->cpu_time_ns) / (double)(now - member->sampled_ns);
	else
		member->cpu_percent = -1;
	member->memory_percent =
	        stats.memory_limit > 0 ? 100.0 * (double)stats.memory_usage / (double)stats.memory_limit : -1;
	member->cpu_time_ns = stats.cpu_time_ns;
	member->sampled_ns = now;
}

/*
 * The replica's address on the balancer's network ("" when it has none, or
 * when it has a health check and is not healthy: a replica joins the
 * rotation only once healthy, and leaves it when it turns unhealthy);
 * sampled when member is given.
 */
static void replica_address(const char *name, const char *network, char *address, size_t size, struct member *member)
{
	struct containerv_container *container = NULL;
	struct containerv_network_endpoint *endpoints = NULL;
	struct containerv_supervision supervision = {.version = CONTAINERV_SUPERVISION_VERSION};
	size_t count = 0;

	address[0] = '\0';
	if (containerv_open(name, &container) < 0) {
		cv_error_clear();
		return;
	}
	if (member != NULL)
		sample_member(member, container);
	if (containerv_supervision_inspect(container, &supervision) == 0 && supervision.has_healthcheck &&
	    supervision.health != CV_HEALTH_HEALTHY) {
		cv_error_clear();
		containerv_close(container);
		return;
	}
	if (containerv_network_endpoints(container, &endpoints, &count) == 0) {
		for (size_t i = 0; i < count; i++) {
			if (endpoints[i].network != NULL && strcmp(endpoints[i].network, network) == 0 &&
			    endpoints[i].address != NULL)
				snprintf(address, size, "%s", endpoints[i].address);
		}
		containerv_network_endpoints_free(endpoints, count);
	}
	cv_error_clear();
	containerv_close(container);
}

static unsigned int weight_of(json_t *entry, int number)
{
	char key[24];
	json_t *weight;

	snprintf(key, sizeof key, "%d", number);
	weight = json_object_get(json_object_get(entry, "weights"), key);
	return weight != NULL ? (unsigned int)json_integer_value(weight) : 1;
}

static void admit(struct balanced *balanced, const struct containerv_compose_container *container)
{
	char address[16];
	struct containerv_lb_backend_stats stats = {.version = CONTAINERV_LB_BACKEND_STATS_VERSION};
	unsigned int target = (unsigned int)json_integer_value(json_object_get(balanced->entry, "target"));

	struct member *known = NULL;

	/* The newest entry of that name: a replica made again at another address is a new entry. */
	for (size_t i = balanced->member_count; i-- > 0 && known == NULL;) {
		if (strcmp(balanced->members[i].name, container->name) == 0)
			known = &balanced->members[i];
	}
	replica_address(container->name, balanced->network, address, sizeof address,
	                balanced->autoscaler != NULL ? known : NULL);
	if (address[0] == '\0')
		return;
	for (size_t i = 0; i < balanced->member_count; i++) {
		struct member *member = &balanced->members[i];
		if (strcmp(member->name, container->name) != 0 || strcmp(member->address, address) != 0)
			continue;
		member->present = true;
		if (balanced->lb != NULL && containerv_lb_backend_stats(balanced->lb, member->index, &stats) == 0 &&
		    (stats.state == CONTAINERV_LB_BACKEND_DRAINING || stats.state == CONTAINERV_LB_BACKEND_REMOVED))
			containerv_lb_restore_backend(balanced->lb, member->index);
		return;
	}
	if (balanced->member_count == CONTAINERV_LB_MAX_BACKENDS)
		return; /* full: its connections stay with the others */
	struct member *member = &balanced->members[balanced->member_count];
	if (balanced->lb != NULL &&
	    containerv_lb_add_backend(balanced->lb, address, target, weight_of(balanced->entry, container->number),
	                              &member->index) < 0) {
		cv_error_clear();
		return;
	}
	snprintf(member->name, sizeof member->name, "%s", container->name);
	snprintf(member->address, sizeof member->address, "%s", address);
	member->present = true;
	member->sampled_ns = 0;
	member->cpu_percent = member->memory_percent = -1;
	balanced->member_count++;
}

static int on_container(const struct containerv_compose_container *container, void *user)
{
	struct daemon *daemon = user;

	if (container->state != CV_STATE_RUNNING || container->oneoff)
		return 0;
	for (size_t i = 0; i < daemon->count; i++) {
		struct balanced *balanced = &daemon->balanced[i];
		if (strcmp(balanced->service, container->service) != 0)
			continue;
		if (balanced->autoscaler != NULL)
			balanced->autoscaler->running++;
		/* Marked by a scale-down: out of the rotation while its connections finish. */
		if (!cv_compose_lb_draining(daemon->directory, container->name))
			admit(balanced, container);
	}
	return 0;
}

/* The scaling thread: one change, through compose scale (drains what it removes, journals the event). */
static void *apply_change(void *data)
{
	struct autoscaler *autoscaler = data;

	/* Through the scaler: this process holds no privilege to make containers (compose-lb-scaler.h). */
	if (cv_lb_scaler_scale(autoscaler->service, autoscaler->target, autoscaler->reason) < 0)
		snprintf(autoscaler->error, sizeof autoscaler->error, "%s", containerv_last_error());
	else
		autoscaler->error[0] = '\0';
	cv_error_clear();
	atomic_store(&autoscaler->scaled, true);
	kill(getpid(), SIGHUP); /* the main loop joins it at once */
	return NULL;
}

/* Has the change in flight ended? Joins its thread then; the cooldowns count from its end. */
static bool change_in_flight(struct autoscaler *autoscaler, int64_t now_ms)
{
	if (!autoscaler->scaling)
		return false;
	if (!atomic_load(&autoscaler->scaled))
		return true;
	pthread_join(autoscaler->thread, NULL);
	autoscaler->scaling = false;
	if (autoscaler->error[0] == '\0')
		autoscaler->changes++;
	/* Making and draining replicas takes a while under load: that time is not cooldown. */
	autoscaler->state.last_change_ms = now_ms;
	return false;
}

static void start_change(struct daemon *daemon, struct autoscaler *autoscaler,
                         const struct containerv_autoscale_sample *sample)
{
	autoscaler->daemon = daemon;
	autoscaler->target = autoscaler->wanted;
	snprintf(autoscaler->reason, sizeof autoscaler->reason, "cpu_percent=%.1f memory_percent=%.1f",
	         sample->cpu_percent, sample->memory_percent);
	atomic_store(&autoscaler->scaled, false);
	/* The thread inherits the blocked SIGHUP/SIGTERM: the main loop's sigtimedwait keeps them. */
	if (pthread_create(&autoscaler->thread, NULL, apply_change, autoscaler) != 0) {
		snprintf(autoscaler->error, sizeof autoscaler->error, "cannot start the scaling thread");
		return;
	}
	autoscaler->scaling = true;
}

/* One second of a service's history: the mean use of its replicas in rotation, then the decision. */
static void autoscale(struct daemon *daemon, struct balanced *balanced)
{
	struct autoscaler *autoscaler = balanced->autoscaler;
	struct containerv_autoscale_sample sample = {
	        .time_ms = cv_monotonic_ns() / 1000000, .cpu_percent = -1, .memory_percent = -1};
	double cpu = 0, memory = 0;
	unsigned int with_cpu = 0, with_memory = 0;
	bool paused = cv_compose_autoscale_paused(daemon->directory, balanced->service);

	for (size_t m = 0; m < balanced->member_count; m++) {
		const struct member *member = &balanced->members[m];
		if (!member->present)
			continue;
		if (member->cpu_percent >= 0) {
			cpu += member->cpu_percent;
			with_cpu++;
		}
		if (member->memory_percent >= 0) {
			memory += member->memory_percent;
			with_memory++;
		}
	}
	if (change_in_flight(autoscaler, sample.time_ms))
		return; /* no sample while the count moves: the next decision sees the new one's load */
	if (autoscaler->paused && !paused)
		autoscaler->state.started = 0; /* resumed by an up: the cooldowns count from now */
	autoscaler->paused = paused;
	/* Every running replica counts, the ones not healthy yet too: they are the service's size. */
	sample.replicas = autoscaler->running;
	if (sample.replicas == 0)
		return; /* nothing runs: a scale from zero is not ours to decide */
	sample.cpu_percent = with_cpu > 0 ? cpu / with_cpu : -1;
	sample.memory_percent = with_memory > 0 ? memory / with_memory : -1;
	if (autoscaler->count == AUTOSCALE_HISTORY) {
		memmove(autoscaler->history, autoscaler->history + 1, (AUTOSCALE_HISTORY - 1) * sizeof sample);
		autoscaler->count--;
	}
	autoscaler->history[autoscaler->count++] = sample;
	if (paused) {
		autoscaler->wanted = sample.replicas;
		return;
	}
	if (containerv_autoscale_decide(&autoscaler->policy, autoscaler->history, autoscaler->count, sample.time_ms,
	                                &autoscaler->state, &autoscaler->wanted) < 0) {
		cv_error_clear();
		return;
	}
	if (autoscaler->wanted != sample.replicas)
		start_change(daemon, autoscaler, &sample);
}

/* Lists the project's replicas: the running ones are (or become again) backends, the others drain. */
static void refresh(struct daemon *daemon)
{
	for (size_t i = 0; i < daemon->count; i++) {
		for (size_t m = 0; m < daemon->balanced[i].member_count; m++)
			daemon->balanced[i].members[m].present = false;
		if (daemon->balanced[i].autoscaler != NULL)
			daemon->balanced[i].autoscaler->running = 0;
	}
	if (containerv_compose_list(daemon->project, on_container, daemon) < 0) {
		cv_error_clear();
		return; /* the store could not be read this time: change nothing */
	}
	for (size_t i = 0; i < daemon->count; i++) {
		struct balanced *balanced = &daemon->balanced[i];
		for (size_t m = 0; m < balanced->member_count; m++) {
			if (!balanced->members[m].present && balanced->lb != NULL) /* ENOENT: gone already */
				containerv_lb_remove_backend(balanced->lb, balanced->members[m].index);
		}
		if (balanced->autoscaler != NULL)
			autoscale(daemon, balanced);
	}
	cv_error_clear();
}

/* ---- inside the process: the status file ---- */

static json_t *histogram_json(const struct containerv_lb_histogram *histogram)
{
	json_t *buckets = json_array();

	for (size_t i = 0; i < CONTAINERV_LB_HISTOGRAM_BUCKETS; i++) {
		if (histogram->buckets[i] != 0)
			json_array_append_new(buckets,
			                      json_pack("[I, I]", (json_int_t)i, (json_int_t)histogram->buckets[i]));
	}
	return json_pack("{s:I, s:I, s:o}", "count", (json_int_t)histogram->count, "sum_us",
	                 (json_int_t)histogram->sum_us, "buckets", buckets);
}

static json_t *backend_json(struct balanced *balanced, const struct member *member)
{
	struct containerv_lb_backend_stats stats = {.version = CONTAINERV_LB_BACKEND_STATS_VERSION};
	struct containerv_lb_histogram connect, first_byte;

	if (balanced->lb == NULL || containerv_lb_backend_stats(balanced->lb, member->index, &stats) < 0 ||
	    containerv_lb_backend_histogram(balanced->lb, member->index, CONTAINERV_LB_LATENCY_CONNECT, &connect) < 0 ||
	    containerv_lb_backend_histogram(balanced->lb, member->index, CONTAINERV_LB_LATENCY_FIRST_BYTE,
	                                    &first_byte) < 0)
		return NULL;
	return json_pack("{s:s, s:s, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "container", member->name,
	                 "address", stats.address, "port", (int)stats.port, "weight", (int)stats.weight, "state",
	                 (int)stats.state, "connections", (json_int_t)stats.connections, "active",
	                 (json_int_t)stats.active, "bytes_in", (json_int_t)stats.bytes_in, "bytes_out",
	                 (json_int_t)stats.bytes_out, "errors", (json_int_t)stats.errors, "state_changes",
	                 (json_int_t)stats.state_changes, "connect", histogram_json(&connect), "first_byte",
	                 histogram_json(&first_byte));
}

static void write_status(struct daemon *daemon)
{
	json_t *balancers = json_array();
	char *text;

	for (size_t i = 0; i < daemon->count; i++) {
		struct balanced *balanced = &daemon->balanced[i];
		json_t *backends = json_array();
		char listen[64];

		for (size_t m = 0; m < balanced->member_count; m++) {
			json_t *backend = backend_json(balanced, &balanced->members[m]);
			if (backend != NULL)
				json_array_append_new(backends, backend);
		}
		snprintf(listen, sizeof listen, "%s:%d/%s",
		         json_string_value(json_object_get(balanced->entry, "host_ip")),
		         (int)json_integer_value(json_object_get(balanced->entry, "published")),
		         json_is_true(json_object_get(balanced->entry, "udp")) ? "udp" : "tcp");
		json_t *entry =
		        json_pack("{s:s, s:s, s:O, s:o}", "service", balanced->service, "listen", listen, "algorithm",
		                  json_object_get(balanced->entry, "algorithm"), "backends", backends);
		struct autoscaler *autoscaler = balanced->autoscaler;
		if (entry != NULL && autoscaler != NULL && autoscaler->count > 0) {
			const struct containerv_autoscale_sample *last = &autoscaler->history[autoscaler->count - 1];
			json_object_set_new(
			        entry, "autoscale",
			        json_pack("{s:i, s:i, s:i, s:i, s:I, s:I, s:f, s:f, s:b, s:b, s:s}", "replicas",
			                  (int)last->replicas, "wanted", (int)autoscaler->wanted, "min",
			                  (int)autoscaler->policy.min, "max", (int)autoscaler->policy.max, "decisions",
			                  (json_int_t)autoscaler->state.decisions, "changes",
			                  (json_int_t)autoscaler->changes, "cpu_percent", last->cpu_percent,
			                  "memory_percent", last->memory_percent, "paused", autoscaler->paused,
			                  "scaling", autoscaler->scaling, "error", autoscaler->error));
		}
		json_array_append_new(balancers, entry);
	}
	text = json_dumps(balancers, JSON_COMPACT);
	json_decref(balancers);
	if (text != NULL && cv_write_file_atomic_at(daemon->directory, "lb-status.json", text, strlen(text), 0600) < 0)
		cv_error_clear();
	free(text);
}

/* ---- inside the process: start and serve ---- */

static int start_balancer(struct balanced *balanced)
{
	struct containerv_lb_options options = CONTAINERV_LB_OPTIONS_INIT;
	json_t *entry = balanced->entry;

	options.address = json_string_value(json_object_get(entry, "host_ip"));
	options.port = (unsigned int)json_integer_value(json_object_get(entry, "published"));
	options.udp = json_is_true(json_object_get(entry, "udp"));
	options.probe_interval_ms = (unsigned int)json_integer_value(json_object_get(entry, "probe_interval_ms"));
	options.udp_probe = json_string_value(json_object_get(entry, "udp_probe"));
	options.udp_probe_length = options.udp_probe != NULL ? strlen(options.udp_probe) : 0;
	options.udp_expect = json_string_value(json_object_get(entry, "udp_expect"));
	options.udp_expect_length = options.udp_expect != NULL ? strlen(options.udp_expect) : 0;
	balanced->service = json_string_value(json_object_get(entry, "service"));
	balanced->network = json_string_value(json_object_get(entry, "network"));
	if (options.port == 0)
		return 0; /* an autoscaled service with no published port: its autoscaler only, no listener */
	if (containerv_lb_algorithm_parse(json_string_value(json_object_get(entry, "algorithm")), &options.algorithm) <
	            0 ||
	    containerv_lb_create(&options, &balanced->lb) < 0 || containerv_lb_start(balanced->lb) < 0)
		return cv_error_prefix("service %s: port %s:%d/%s", balanced->service, options.address,
		                       (int)options.port, options.udp ? "udp" : "tcp");
	return 0;
}

/* The service's autoscaler, on its first balanced port (the plan's autoscale was validated by the loader). */
static int make_autoscaler(struct daemon *daemon, size_t position)
{
	struct balanced *balanced = &daemon->balanced[position];
	json_t *policy = json_object_get(balanced->entry, "autoscale");
	struct containerv_autoscale_policy defaults = CONTAINERV_AUTOSCALE_POLICY_INIT;

	if (policy == NULL)
		return 0;
	for (size_t i = 0; i < position; i++) {
		if (strcmp(daemon->balanced[i].service, balanced->service) == 0)
			return 0;
	}
	balanced->autoscaler = calloc(1, sizeof *balanced->autoscaler);
	if (balanced->autoscaler == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	balanced->autoscaler->policy = defaults;
	balanced->autoscaler->service = balanced->service;
	balanced->autoscaler->daemon = daemon;
	return cv_compose_autoscale_policy(policy, &balanced->autoscaler->policy);
}

static int record(struct daemon *daemon, json_t *plan)
{
	char *text;
	int ret;
	json_t *record = json_pack("{s:i, s:O}", "pid", (int)getpid(), "plan", plan);

	text = json_dumps(record, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(record);
	if (text == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	ret = cv_write_file_atomic_at(daemon->directory, "lb.json", text, strlen(text), 0600);
	free(text);
	return ret;
}

/* A published port below 1024 is bound after the confinement: it keeps CAP_NET_BIND_SERVICE for it. */
static bool needs_low_port(json_t *plan)
{
	size_t i;
	json_t *entry;

	json_array_foreach(plan, i, entry)
	{
		if (json_integer_value(json_object_get(entry, "published")) < 1024)
			return true;
	}
	return false;
}

/* The privileged scaler, when the plan autoscales a service (compose-lb-scaler.h); FDS: three to close. */
static int start_scaler(struct daemon *daemon, const int *fds)
{
	struct cv_lb_scaler_service services[64];
	size_t count = 0;

	for (size_t i = 0; i < daemon->count && count < sizeof services / sizeof *services; i++) {
		const struct autoscaler *autoscaler = daemon->balanced[i].autoscaler;
		if (autoscaler != NULL)
			services[count++] = (struct cv_lb_scaler_service){autoscaler->service, autoscaler->policy.min,
			                                                  autoscaler->policy.max};
	}
	return count == 0 ? 0 : cv_lb_scaler_start(daemon->app, services, count, fds, 3);
}

/* Tells the starter how it went (an empty message: serving) and closes the channel. */
static void report(int channel, const char *message)
{
	cv_write_all(channel, message, strlen(message));
	close(channel);
}

static _Noreturn void serve(const struct containerv_compose *app, const char *directory, json_t *plan, int channel)
{
	struct daemon daemon = {.project = app->project, .app = app};
	sigset_t signals;
	char path[PATH_MAX + 32];
	int lock;

	snprintf(path, sizeof path, "%s/lb.lock", directory);
	lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
		report(channel, "another balancer serves this project");
		_exit(1);
	}
	daemon.directory = open(directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* Blocked before any thread starts: they inherit the mask, and sigtimedwait alone takes them. */
	signal(SIGHUP, SIG_DFL); /* the starter's child ignored it while it made this process */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	daemon.count = json_array_size(plan);
	daemon.balanced = calloc(daemon.count, sizeof *daemon.balanced);
	if (daemon.directory < 0 || daemon.balanced == NULL) {
		report(channel, "out of memory");
		_exit(1);
	}
	for (size_t i = 0; i < daemon.count; i++) {
		daemon.balanced[i].entry = json_array_get(plan, i);
		daemon.balanced[i].service = json_string_value(json_object_get(daemon.balanced[i].entry, "service"));
		if (make_autoscaler(&daemon, i) < 0) {
			report(channel, containerv_last_error());
			_exit(1);
		}
	}
	/* The scaler forked while this process is still whole and has no thread; then this one is confined. */
	if (start_scaler(&daemon, (int[]){channel, lock, daemon.directory}) < 0 ||
	    cv_process_confine(needs_low_port(plan) ? CV_CONFINE_BIND_SERVICE : 0) < 0) {
		report(channel, containerv_last_error());
		_exit(1);
	}
	for (size_t i = 0; i < daemon.count; i++) {
		if (start_balancer(&daemon.balanced[i]) < 0) {
			report(channel, containerv_last_error());
			_exit(1);
		}
	}
	refresh(&daemon);
	if (record(&daemon, plan) < 0) {
		report(channel, containerv_last_error());
		_exit(1);
	}
	write_status(&daemon);
	report(channel, "");
	for (;;) {
		struct timespec wait = {REFRESH_MS / 1000, (REFRESH_MS % 1000) * 1000000L};
		int signal_number = sigtimedwait(&signals, NULL, &wait);

		if (signal_number == SIGTERM || signal_number == SIGINT)
			break;
		refresh(&daemon);
		write_status(&daemon);
		cv_compose_lb_log_bound(daemon.directory);
	}
	/* A change in flight finishes (down waits for this process): no replica is left half made. */
	for (size_t i = 0; i < daemon.count; i++) {
		if (daemon.balanced[i].autoscaler != NULL && daemon.balanced[i].autoscaler->scaling)
			pthread_join(daemon.balanced[i].autoscaler->thread, NULL);
	}
	for (size_t i = 0; i < daemon.count; i++)
		containerv_lb_free(daemon.balanced[i].lb);
	cv_lb_scaler_stop();
	_exit(0);
}

/* Forks the process (a daemonised grandchild, as the DNS server) and waits for its report. */
static int start(const struct containerv_compose *app, const char *directory, json_t *plan)
{
	const char *project = app->project;
	int channel[2];
	pid_t middle;
	char message[REPORT_MAX];
	ssize_t length;
	size_t total = 0;

	if (pipe2(channel, O_CLOEXEC) < 0)
		return cv_error_sys("pipe");
	middle = fork();
	if (middle < 0) {
		close(channel[0]);
		close(channel[1]);
		return cv_error_sys("fork the balancer of project %s", project);
	}
	if (middle == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int log = cv_compose_lb_log_open(directory); /* its stdout and stderr (compose-lb-log.c) */
		setsid();
		for (int fd = 0; fd < 3 && null >= 0; fd++)
			dup2(fd > 0 && log >= 0 ? log : null, fd);
		if (dup2(channel[1], 3) < 0)
			_exit(1);
		closefrom(4); /* nothing of the caller's stays open in a long-lived process */
		signal(SIGHUP, SIG_IGN);
		if (fork() == 0)
			serve(app, directory, plan, 3);
		_exit(0);
	}
	close(channel[1]);
	while (waitpid(middle, NULL, 0) < 0 && errno == EINTR)
		;
	for (;;) {
		length = read(channel[0], message + total, sizeof message - 1 - total);
		if (length < 0 && errno == EINTR)
			continue;
		if (length <= 0)
			break;
		total += (size_t)length;
		if (total == sizeof message - 1)
			break;
	}
	message[total] = '\0';
	close(channel[0]);
	if (total > 0)
		return cv_error_errno(EADDRINUSE, "balancer of project %s: %s", project, message);
	if (!cv_compose_lb_serving(directory))
		return cv_error_errno(ECHILD, "balancer of project %s: it ended before serving", project);
	return 0;
}

/* ---- up and down ---- */

static int stop(const char *directory, pid_t pid)
{
	int64_t deadline = cv_monotonic_ns() + (int64_t)STOP_WAIT_MS * 1000000;
	int sent = SIGTERM;

	kill(pid, SIGTERM);
	while (cv_compose_lb_serving(directory)) {
		if (cv_monotonic_ns() > deadline) {
			if (sent == SIGKILL)
				return cv_error_errno(ETIMEDOUT, "the balancer (pid %d) does not end", (int)pid);
			kill(pid, SIGKILL);
			sent = SIGKILL;
			deadline = cv_monotonic_ns() + (int64_t)STOP_WAIT_MS * 1000000;
		}
		nanosleep(&(struct timespec){0, 20000000}, NULL);
	}
	return 0;
}

int cv_compose_lb_down(const char *project, containerv_compose_progress_fn progress, void *user)
{
	char directory[PATH_MAX], resource[300];
	struct stat st;
	pid_t pid = 0;

	if (project_directory(project, false, directory, sizeof directory) < 0)
		return -1;
	if (stat(directory, &st) < 0)
		return 0;
	snprintf(resource, sizeof resource, "Balancer %s", project);
	/* The lock may be held before the pid is recorded (a start in progress): wait for the record a moment. */
	for (int i = 0; i < 100 && cv_compose_lb_serving(directory) && !running_balancer(directory, &pid, NULL); i++)
		nanosleep(&(struct timespec){0, 20000000}, NULL);
	if (pid > 0) {
		if (stop(directory, pid) < 0)
			return cv_error_prefix("project %s", project);
		if (progress != NULL)
			progress(resource, "Stopped", user);
	}
	if (cv_rm_rf(directory) < 0)
		return cv_error_prefix("project %s: its balancer's state", project);
	return 0;
}

int cv_compose_lb_up(const struct containerv_compose *app, containerv_compose_progress_fn progress, void *user)
{
	char directory[PATH_MAX], resource[300];
	json_t *plan = make_plan(app);
	char *wanted = NULL, *recorded = NULL;
	pid_t pid = 0;
	int ret = 0;

	if (plan == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	if (json_array_size(plan) == 0) {
		json_decref(plan);
		return cv_compose_lb_down(app->project, progress, user);
	}
	snprintf(resource, sizeof resource, "Balancer %s", app->project);
	wanted = json_dumps(plan, JSON_SORT_KEYS | JSON_COMPACT);
	if (wanted == NULL || project_directory(app->project, true, directory, sizeof directory) < 0) {
		ret = wanted == NULL ? cv_error_errno(ENOMEM, "out of memory") : -1;
	} else if (running_balancer(directory, &pid, &recorded) &&
	           ((recorded != NULL && strcmp(recorded, wanted) == 0) || pid == getpid())) {
		/* The same plan; or an autoscaling change of this very process, which never replaces itself. */
		kill(pid, SIGHUP); /* the replicas may have changed: re-read them now */
		if (progress != NULL)
			progress(resource, "Running", user);
	} else {
		if (pid > 0 && stop(directory, pid) < 0)
			ret = cv_error_prefix("project %s", app->project);
		else if ((ret = start(app, directory, plan)) == 0 && progress != NULL)
			progress(resource, pid > 0 ? "Recreated" : "Started", user);
	}
	free(wanted);
	free(recorded);
	json_decref(plan);
	return ret;
}

/* ---- the public side: status and refresh ---- */

CONTAINERV_API int containerv_compose_lb_refresh(const char *project)
{
	char directory[PATH_MAX];
	pid_t pid = 0;

	cv_error_clear();
	if (project == NULL || project_directory(project, false, directory, sizeof directory) < 0)
		return cv_error_errno(EINVAL, "invalid project name");
	if (running_balancer(directory, &pid, NULL) && kill(pid, SIGHUP) < 0)
		return cv_error_sys("signal the balancer of project %s", project);
	return 0;
}

static void histogram_from(json_t *value, struct containerv_lb_histogram *histogram)
{
	size_t index;
	json_t *pair;

	memset(histogram, 0, sizeof *histogram);
	histogram->sum_us = (uint64_t)json_integer_value(json_object_get(value, "sum_us"));
	json_array_foreach(json_object_get(value, "buckets"), index, pair)
	{
		json_int_t bucket = json_integer_value(json_array_get(pair, 0));
		if (bucket >= 0 && bucket < CONTAINERV_LB_HISTOGRAM_BUCKETS) {
			histogram->buckets[bucket] = (uint64_t)json_integer_value(json_array_get(pair, 1));
			histogram->count += histogram->buckets[bucket];
		}
	}
}

CONTAINERV_API int containerv_compose_lb_status(const char *project,
                                                int (*callback)(const struct containerv_compose_lb_backend *backend,
                                                                void *user),
                                                void *user)
{
	char directory[PATH_MAX], path[PATH_MAX + 32];
	char *text = NULL;
	json_t *balancers, *balancer, *backend;
	size_t i, k;
	pid_t pid = 0;
	int ret = 0;

	cv_error_clear();
	if (project == NULL || callback == NULL || project_directory(project, false, directory, sizeof directory) < 0)
		return cv_error_errno(EINVAL, "compose balancer status: invalid project name");
	snprintf(path, sizeof path, "%s/lb-status.json", directory);
	if (!running_balancer(directory, &pid, NULL) || cv_read_file(path, &text, NULL, 64 << 20) < 0)
		return cv_error_errno(ENOENT, "project %s has no balancer running", project);
	balancers = json_loads(text, 0, NULL);
	free(text);
	json_array_foreach(balancers, i, balancer)
	{
		json_array_foreach(json_object_get(balancer, "backends"), k, backend)
		{
			struct containerv_compose_lb_backend entry = {
			        .service = json_string_value(json_object_get(balancer, "service")),
			        .listen = json_string_value(json_object_get(balancer, "listen")),
			        .algorithm = json_string_value(json_object_get(balancer, "algorithm")),
			        .container = json_string_value(json_object_get(backend, "container")),
			        .stats = {.version = CONTAINERV_LB_BACKEND_STATS_VERSION},
			};
			snprintf(entry.stats.address, sizeof entry.stats.address, "%s",
			         json_string_value(json_object_get(backend, "address")) ?: "");
			entry.stats.port = (unsigned int)json_integer_value(json_object_get(backend, "port"));
			entry.stats.weight = (unsigned int)json_integer_value(json_object_get(backend, "weight"));
			entry.stats.state =
			        (enum containerv_lb_backend_state)json_integer_value(json_object_get(backend, "state"));
			entry.stats.connections = (uint64_t)json_integer_value(json_object_get(backend, "connections"));
			entry.stats.active = (uint64_t)json_integer_value(json_object_get(backend, "active"));
			entry.stats.bytes_in = (uint64_t)json_integer_value(json_object_get(backend, "bytes_in"));
			entry.stats.bytes_out = (uint64_t)json_integer_value(json_object_get(backend, "bytes_out"));
			entry.stats.errors = (uint64_t)json_integer_value(json_object_get(backend, "errors"));
			entry.stats.state_changes =
			        (uint64_t)json_integer_value(json_object_get(backend, "state_changes"));
			histogram_from(json_object_get(backend, "connect"), &entry.connect);
			histogram_from(json_object_get(backend, "first_byte"), &entry.first_byte);
			if (entry.service == NULL || entry.listen == NULL || entry.algorithm == NULL ||
			    entry.container == NULL)
				continue;
			ret = callback(&entry, user);
			if (ret != 0)
				goto done;
		}
	}
done:
	json_decref(balancers);
	return ret;
}
