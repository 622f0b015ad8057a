/*
 * Autoscaling (autoscale.h) and the x-containerv keys of a balanced compose
 * service: the decision on synthetic sample series (a load that rises to max
 * within the cooldown, idle back to min after the down cooldown, a load
 * oscillating around the target without flapping, the decisions counted),
 * the policy's refusals, and the loader's one-line errors naming the key.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/util.h"
#include "test.h"

#define HISTORY_MAX 4096

/* A service under a total CPU load (in % of one CPU) spread evenly over its replicas, sampled every second. */
struct simulation {
	struct containerv_autoscale_policy policy;
	struct containerv_autoscale_state state;
	struct containerv_autoscale_sample samples[HISTORY_MAX];
	size_t count;
	unsigned int replicas;
	int64_t now_ms;
};

static void simulation_init(struct simulation *simulation, unsigned int replicas)
{
	struct containerv_autoscale_policy policy = CONTAINERV_AUTOSCALE_POLICY_INIT;

	memset(simulation, 0, sizeof *simulation);
	policy.min = 1;
	policy.max = 5;
	policy.cpu_percent = 50;
	policy.scale_up_cooldown_ms = 10000;
	policy.scale_down_cooldown_ms = 60000;
	simulation->policy = policy;
	simulation->replicas = replicas;
}

/* One second under load; the decision is applied at once. */
static void step(struct simulation *simulation, double load)
{
	struct containerv_autoscale_sample *sample = &simulation->samples[simulation->count++];

	CHECK(simulation->count < HISTORY_MAX);
	simulation->now_ms += 1000;
	sample->time_ms = simulation->now_ms;
	sample->replicas = simulation->replicas;
	sample->cpu_percent = load / simulation->replicas;
	sample->memory_percent = -1; /* no limit: unknown */
	CHECK_OK(containerv_autoscale_decide(&simulation->policy, simulation->samples, simulation->count,
	                                     simulation->now_ms, &simulation->state, &simulation->replicas));
}

/* Under a load of 4 CPUs (8 replicas' worth at 50 %), max within the up cooldown; idle, min after the down cooldown. */
TEST(load_raises_to_max_and_idle_brings_back_to_min)
{
	struct simulation simulation;
	int reached_max = -1, reached_min = -1;

	simulation_init(&simulation, 1);
	for (int second = 1; second <= 120; second++) {
		step(&simulation, 400);
		if (reached_max < 0 && simulation.replicas == 5)
			reached_max = second;
	}
	CHECK_EQ_INT(reached_max, 11); /* the first look (second 1) starts the up cooldown (10 s) */
	CHECK_EQ_INT(simulation.state.decisions, 1);
	for (int second = 1; second <= 300; second++) {
		step(&simulation, 2);
		if (reached_min < 0 && simulation.replicas == 1)
			reached_min = second;
	}
	/* A whole down cooldown (60 s) of idle samples is needed, not 60 s since the last change alone. */
	CHECK_EQ_INT(reached_min, 61); /* the first idle sample, then 60 s more of them */
	CHECK_EQ_INT(simulation.state.decisions, 2);
}

/* A load stepping up in stages: each stage's count, never above max, one decision per stage. */
TEST(load_in_stages_follows_within_the_cooldown)
{
	struct simulation simulation;
	static const double loads[] = {80, 140, 190, 600};
	static const unsigned int expected[] = {2, 3, 4, 5};

	simulation_init(&simulation, 1);
	for (size_t stage = 0; stage < 4; stage++) {
		for (int second = 0; second < 30; second++)
			step(&simulation, loads[stage]);
		CHECK_EQ_INT(simulation.replicas, expected[stage]);
	}
	CHECK_EQ_INT(simulation.state.decisions, 4);
}

/* A load that swings between 60 % and 120 % of one CPU every 20 s: up once, never down (no flapping). */
TEST(an_oscillating_load_does_not_flap)
{
	struct simulation simulation;

	simulation_init(&simulation, 2);
	for (int second = 0; second < 1200; second++)
		step(&simulation, (second / 20) % 2 == 0 ? 120 : 60);
	/* 120 % over 2 replicas is 60 % each: 3 replicas; 60 % over 3 wants 2, but never for a whole minute. */
	CHECK_EQ_INT(simulation.replicas, 3);
	CHECK_EQ_INT(simulation.state.decisions, 1);
	/* Noise within the tolerance (+-10 %) around the target changes nothing at all. */
	simulation_init(&simulation, 2);
	for (int second = 0; second < 1200; second++)
		step(&simulation,
		     100 + (second * 7919) % 19 - 9); /* +-9 %: +-4.5 % per replica, within the tolerance */
	CHECK_EQ_INT(simulation.replicas, 2);
	CHECK_EQ_INT(simulation.state.decisions, 0);
}

/* Memory counts too: the larger wish of the two wins; a count outside the bounds is brought in at once. */
TEST(memory_and_bounds)
{
	struct containerv_autoscale_policy policy = CONTAINERV_AUTOSCALE_POLICY_INIT;
	struct containerv_autoscale_state state = {0};
	struct containerv_autoscale_sample sample = {
	        .time_ms = 1000, .replicas = 2, .cpu_percent = 10, .memory_percent = 90};
	unsigned int replicas;

	policy.min = 2;
	policy.max = 6;
	policy.cpu_percent = 50;
	policy.memory_percent = 60;
	policy.scale_up_cooldown_ms = 0;
	CHECK_OK(containerv_autoscale_decide(&policy, &sample, 1, 1000, &state, &replicas));
	CHECK_EQ_INT(replicas, 3); /* memory: ceil(2 * 90 / 60) */
	sample.replicas = 9;
	CHECK_OK(containerv_autoscale_decide(&policy, &sample, 1, 1000, &state, &replicas));
	CHECK_EQ_INT(replicas, 6);
	sample.replicas = 1;
	CHECK_OK(containerv_autoscale_decide(&policy, &sample, 1, 1000, &state, &replicas));
	CHECK_EQ_INT(replicas, 2);
}

TEST(bad_policies_are_refused)
{
	struct containerv_autoscale_policy policy = CONTAINERV_AUTOSCALE_POLICY_INIT;
	struct containerv_autoscale_state state = {0};
	struct containerv_autoscale_sample sample = {
	        .time_ms = 0, .replicas = 1, .cpu_percent = 10, .memory_percent = -1};
	unsigned int replicas;

	policy.cpu_percent = 50;
	policy.min = 3;
	policy.max = 2;
	CHECK(containerv_autoscale_decide(&policy, &sample, 1, 0, &state, &replicas) < 0 && errno == EINVAL);
	CHECK(strstr(containerv_last_error(), "min (3) is above max (2)") != NULL);
	policy.min = 1;
	policy.cpu_percent = -1;
	CHECK(containerv_autoscale_decide(&policy, &sample, 1, 0, &state, &replicas) < 0 && errno == EINVAL);
	policy.cpu_percent = 50;
	policy.scale_down_cooldown_ms = -5;
	CHECK(containerv_autoscale_decide(&policy, &sample, 1, 0, &state, &replicas) < 0 && errno == EINVAL);
	policy.scale_down_cooldown_ms = 0;
	CHECK(containerv_autoscale_decide(&policy, &sample, 0, 0, &state, &replicas) < 0 && errno == EINVAL);
}

/* ---- the loader: x-containerv.lb, x-containerv.autoscale and the label ---- */

static char work_dir[] = "/tmp/cv-test-autoscale-XXXXXX";

/* Loads a one-service file whose service ends with fragment; returns the load's result. */
static int load_service_ports(const char *ports, const char *fragment, struct containerv_compose **app)
{
	struct containerv_compose_options options = CONTAINERV_COMPOSE_OPTIONS_INIT;
	static const char *const empty[] = {NULL};
	const char *files[] = {"compose.yaml", NULL};
	char path[600];
	FILE *file;

	snprintf(path, sizeof path, "%s/compose.yaml", work_dir);
	file = fopen(path, "w");
	CHECK(file != NULL);
	fprintf(file, "name: t\nservices:\n  web:\n    image: busybox\n    ports: [\"%s\"]\n%s\n", ports, fragment);
	fclose(file);
	options.files = files;
	options.working_directory = work_dir;
	options.environment = empty;
	*app = NULL;
	return containerv_compose_load(&options, app);
}

static int load_service(const char *fragment, struct containerv_compose **app)
{
	return load_service_ports("8080:80", fragment, app);
}

static void check_refused(const char *fragment, const char *message)
{
	struct containerv_compose *app = NULL;

	CHECK(load_service(fragment, &app) < 0);
	CHECK_EQ_INT(errno, EINVAL);
	if (strstr(containerv_last_error(), message) == NULL)
		fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", containerv_last_error(), message);
	CHECK(strstr(containerv_last_error(), message) != NULL);
	CHECK(strchr(containerv_last_error(), '\n') == NULL);
	containerv_compose_free(app);
}

TEST(compose_keys_are_validated)
{
	struct containerv_compose *app = NULL;
	char *yaml = NULL;

	CHECK_OK(load_service(
	        "    x-containerv:\n      lb: {algorithm: least_conn, weights: {2: 5}, probe_interval: 500ms}\n"
	        "      autoscale: {min: 2, max: 4, cpu_percent: 60, scale_down_cooldown: 2m}",
	        &app));
	CHECK_OK(containerv_compose_config(app, &yaml));
	CHECK(strstr(yaml, "least_conn") != NULL);
	free(yaml);
	containerv_compose_free(app);
	check_refused("    x-containerv: {lb: {algorithm: fastest}}",
	              "compose.yaml:6: services.web.x-containerv.lb.algorithm: unknown load-balancing algorithm");
	check_refused("    x-containerv: {lb: {weights: [1, -2]}}",
	              "services.web.x-containerv.lb.weights[1]: a weight");
	check_refused("    x-containerv: {lb: {weights: {x: 2}}}", "services.web.x-containerv.lb.weights.x");
	check_refused("    x-containerv: {lb: {speed: 2}}", "services.web.x-containerv.lb.speed: unknown key");
	check_refused("    x-containerv: {lb: {udp_expect: pong}}", "udp_expect needs udp_probe");
	check_refused("    labels: {containerv.lb.algorithm: nope}", "services.web.labels.containerv.lb.algorithm");
	check_refused("    x-containerv: {autoscale: {min: 4, max: 2, cpu_percent: 50}}",
	              "services.web.x-containerv.autoscale.min: 4 is above max (2)");
	check_refused("    x-containerv: {autoscale: {min: -1, max: 2, cpu_percent: 50}}",
	              "services.web.x-containerv.autoscale.min: must be a whole number");
	check_refused("    x-containerv: {autoscale: {max: 3, cpu_percent: -5}}",
	              "services.web.x-containerv.autoscale.cpu_percent");
	check_refused("    x-containerv: {autoscale: {max: 3, cpu_percent: 50, scale_up_cooldown: -1}}",
	              "services.web.x-containerv.autoscale.scale_up_cooldown");
	check_refused("    x-containerv: {autoscale: {max: 3, scale_up_cooldown: 1m}}",
	              "needs cpu_percent or memory_percent");
	check_refused("    x-containerv: {autoscale: {min: 1, cpu_percent: 50}}",
	              "services.web.x-containerv.autoscale.max: is required");
	check_refused("    x-containerv: {scale: 1}", "services.web.x-containerv.scale: unknown key");
	check_refused("    x-containerv: {autoscale: {max: 3, cpu_percent: 50, cpu: 20}}",
	              "services.web.x-containerv.autoscale.cpu: unknown key");
	check_refused("    x-containerv: {autoscale: {max: 3, cpu_percent: 50, scale_down_cooldown: -2s}}",
	              "services.web.x-containerv.autoscale.scale_down_cooldown: must be a duration");
}

int main(void)
{
	CHECK(mkdtemp(work_dir) != NULL);
	RUN(load_raises_to_max_and_idle_brings_back_to_min);
	RUN(load_in_stages_follows_within_the_cooldown);
	RUN(an_oscillating_load_does_not_flap);
	RUN(memory_and_bounds);
	RUN(bad_policies_are_refused);
	RUN(compose_keys_are_validated);
	cv_rm_rf(work_dir);
	return cv_test_summary();
}
