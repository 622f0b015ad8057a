/*
 * The compose loader (orchestration/): every supported key into the canonical
 * model, interpolation edge cases, -f merges, anchors and merge keys,
 * profiles, extends, the dependency order and its cycle error, and hostile
 * YAML refused within bounds. No container is made here (test_cli_compose.sh
 * brings apps up).
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/util.h"
#include "config/options.h"
#include "orchestration/compose-internal.h"
#include "test.h"

static char work_dir[] = "/tmp/cv-test-compose-XXXXXX";
static char warnings[8192];

static void collect_warning(const char *message, void *user)
{
	(void)user;
	strncat(warnings, message, sizeof warnings - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

static const char *write_file(const char *name, const char *content)
{
	static char path[4][512];
	static int next;
	char *slot = path[next++ % 4];

	snprintf(slot, 512, "%s/%s", work_dir, name);
	FILE *file = fopen(slot, "w");
	CHECK(file != NULL);
	fputs(content, file);
	fclose(file);
	return slot;
}

/* Loads files (NULL-terminated names in work_dir) with the given environment; -1 on failure. */
static int load(struct containerv_compose **app, const char *const *files, const char *const *environment,
                const char *const *profiles)
{
	struct containerv_compose_options options = CONTAINERV_COMPOSE_OPTIONS_INIT;
	static const char *const empty[] = {NULL};

	warnings[0] = '\0';
	options.files = files;
	options.working_directory = work_dir;
	options.environment = environment ? environment : empty;
	options.profiles = profiles;
	options.warn = collect_warning;
	return containerv_compose_load(&options, app);
}

static json_t *service(struct containerv_compose *app, const char *name)
{
	return json_object_get(json_object_get(app->model, "services"), name);
}

static int load_text(struct containerv_compose **app, const char *text, const char *const *environment)
{
	static const char *const files[] = {"compose.yaml", NULL};

	write_file("compose.yaml", text);
	return load(app, files, environment, NULL);
}

TEST(every_supported_key_is_normalised)
{
	struct containerv_compose *app = NULL;
	static const char text[] =
	        "name: keys\n"
	        "services:\n"
	        "  web:\n"
	        "    image: busybox\n"
	        "    command: sh -c 'echo \"a b\"; sleep 1'\n"
	        "    entrypoint: [/bin/sh]\n"
	        "    environment: [A=1, B]\n"
	        "    env_file: [./web.env, {path: ./missing.env, required: false}]\n"
	        "    working_dir: /srv\n"
	        "    user: '1000:1000'\n"
	        "    hostname: web\n"
	        "    ports: ['8080:80', {target: 443, published: 8443, protocol: tcp}, '127.0.0.1:53:53/udp']\n"
	        "    expose: [9000]\n"
	        "    volumes: ['data:/data:ro', './site:/site', {type: tmpfs, target: /cache}, /anon]\n"
	        "    networks: {front: {aliases: [www]}, back: null}\n"
	        "    depends_on: {db: {condition: service_completed_successfully}}\n"
	        "    healthcheck: {test: 'wget -q localhost', interval: 1m30s, retries: 3}\n"
	        "    restart: on-failure:3\n"
	        "    deploy: {replicas: 2, resources: {limits: {cpus: '0.5', memory: 64m, pids: 100}}}\n"
	        "    labels: {tier: front}\n"
	        "    stop_signal: SIGINT\n"
	        "    stop_grace_period: 3s\n"
	        "    read_only: true\n"
	        "    tmpfs: /run\n"
	        "    cap_add: [NET_ADMIN]\n"
	        "    cap_drop: [ALL]\n"
	        "    security_opt: ['no-new-privileges:true']\n"
	        "    sysctls: [net.core.somaxconn=1024]\n"
	        "    extra_hosts: ['host1=10.0.0.1', 'host2:10.0.0.2']\n"
	        "    dns: 1.1.1.1\n"
	        "    init: true\n"
	        "  db:\n"
	        "    image: busybox\n"
	        "    network_mode: none\n"
	        "networks: {front: {}, back: {driver: bridge}}\n"
	        "volumes: {data: {}}\n";
	static const char *const environment[] = {"B=from-env", NULL};

	CHECK_OK(load_text(&app, text, environment));
	json_t *web = service(app, "web");
	CHECK_EQ_STR(containerv_compose_project(app), "keys");
	json_t *command = json_object_get(web, "command");
	CHECK_EQ_INT(json_array_size(command), 3);
	CHECK_EQ_STR(json_string_value(json_array_get(command, 2)), "echo \"a b\"; sleep 1");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(web, "environment"), "B")), "from-env");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(web, "environment"), "A")), "1");
	CHECK(json_is_false(json_object_get(json_array_get(json_object_get(web, "env_file"), 1), "required")));
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(web, "ports"), 1)), "8443:443/tcp");
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(web, "expose"), 0)), "9000");
	json_t *volumes = json_object_get(web, "volumes");
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(volumes, 0), "type")), "volume");
	CHECK(json_is_true(json_object_get(json_array_get(volumes, 0), "read_only")));
	char site[600];
	snprintf(site, sizeof site, "%s/site", work_dir);
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(volumes, 1), "source")), site);
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(volumes, 2), "type")), "tmpfs");
	CHECK(json_object_get(json_array_get(volumes, 3), "source") == NULL);
	CHECK(json_is_object(json_object_get(json_object_get(web, "networks"), "back")));
	CHECK_EQ_STR(json_string_value(
	                     json_object_get(json_object_get(json_object_get(web, "depends_on"), "db"), "condition")),
	             "service_completed_successfully");
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(json_object_get(web, "healthcheck"), "test"), 0)),
	             "CMD-SHELL");
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(web, "deploy"), "replicas")), 2);
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(web, "tmpfs"), 0)), "/run");
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(web, "extra_hosts"), 0)), "host1:10.0.0.1");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(web, "sysctls"), "net.core.somaxconn")), "1024");
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(web, "dns"), 0)), "1.1.1.1");
	/* Applied now (the replicas' supervision): no warning for them. */
	CHECK(strstr(warnings, "services.web.healthcheck") == NULL);
	CHECK(strstr(warnings, "services.web.restart") == NULL);
	/* Dependencies first. */
	CHECK_EQ_STR(containerv_compose_service_name(app, 0), "db");
	CHECK_EQ_STR(containerv_compose_service_name(app, 1), "web");
	/* The replica's options: the same text through spec/ (ports, volumes, limits, security...). */
	char *yaml = NULL;
	CHECK_OK(containerv_compose_config(app, &yaml));
	CHECK(strstr(yaml, "name: keys") != NULL && strstr(yaml, "\"8080:80\"") != NULL);
	free(yaml);
	containerv_compose_free(app);
}

TEST(invalid_values_name_file_line_and_key)
{
	struct containerv_compose *app = NULL;
	static const struct {
		const char *text;
		const char *expected;
	} cases[] = {
	        {"services:\n  web:\n    image: busybox\n    ports: ['99999:80']\n",
	         "compose.yaml:4: services.web.ports"},
	        {"services:\n  web:\n    image: busybox\n\n    read_only: maybe\n",
	         "compose.yaml:5: services.web.read_only"},
	        {"services:\n  web:\n    image: busybox\n    stop_grace_period: soon\n",
	         ":4: services.web.stop_grace_period"},
	        {"services:\n  web:\n    image: busybox\n    restart: sometimes\n", ":4: services.web.restart"},
	        {"services:\n  web:\n    image: busybox\n    depends_on: [db]\n",
	         "services.web.depends_on.db: service \"db\" not found"},
	        {"services:\n  web:\n    image: busybox\n    volumes: ['data:/data']\n",
	         "volume \"data\" is not declared"},
	        {"services:\n  web:\n    image: busybox\n    ulimits: {nofile: 10}\n",
	         ":4: services.web.ulimits: not supported"},
	        {"services:\n  web:\n    build: .\n", ":3: services.web.build"},
	        {"services:\n  web:\n    image: busybox\n    deploy:\n      replicas: many\n",
	         ":5: services.web.deploy.replicas"},
	        {"services:\n  web:\n    image: busybox\n    networks: [nowhere]\n",
	         "network \"nowhere\" is not declared"},
	        {"services:\n  web:\n    image: busybox\n    stop_signal: SIGNOPE\n", ":4: services.web.stop_signal"},
	        {"services:\n  web:\n    image: busybox\n    network_mode: 'service:db'\n",
	         "services.web.network_mode"},
	        {"services:\n  web:\n    command: [sh]\n", "no image"},
	        {"secrets:\n  s: {file: /}\nservices:\n  web:\n    image: busybox\n",
	         "compose.yaml:2: secrets.s: file /: bind mount source / is sensitive"},
	        {"secrets:\n  s: {file: /dev/null}\nservices:\n  web:\n    image: busybox\n",
	         "compose.yaml:2: secrets.s: file /dev/null: bind mount source /dev/null is sensitive"},
	        /* A copy brings in nothing a bind may not: the host's credentials stay out (session 13's attack). */
	        {"configs:\n  c: {file: /etc/shadow}\nservices:\n  web:\n    image: busybox\n",
	         "compose.yaml:2: configs.c: file /etc/shadow: bind mount source /etc/shadow is sensitive"},
	        {"secrets:\n  s: {file: /proc/self/environ}\nservices:\n  web:\n    image: busybox\n",
	         "secrets.s: file /proc/self/environ: bind mount source /proc/self/environ"},
	        /* Public space is reached through the host's default route: its traffic would go to the bridge. */
	        {"networks:\n  n:\n    ipam: {config: [{subnet: 8.8.8.0/24}]}\nservices:\n  web:\n    image: "
	         "busybox\n",
	         "compose.yaml:3: networks.n: ipam.config[0].subnet: 8.8.8.0/24 is not private address space"},
	        {"networks:\n  n:\n    ipam: {config: [{subnet: 172.32.0.0/16}]}\nservices:\n  web:\n    image: "
	         "busybox\n",
	         "172.32.0.0/16 is not private address space"},
	        {"networks:\n  n:\n    ipam: {config: [{subnet: 10.0.0.0/7}]}\nservices:\n  web:\n    image: "
	         "busybox\n",
	         "ipam.config[0].subnet"},
	        {"services:\n  web:\n    image: busybox\n    secrets: [nosuch]\n",
	         "secrets \"nosuch\" is not declared in the top-level secrets"},
	        {"networks:\n  n:\n    ipam: {config: [{subnet: 10.0.0.0/31}]}\nservices:\n  web:\n    image: "
	         "busybox\n",
	         "compose.yaml:3: networks.n: ipam.config[0].subnet"},
	        {"services:\n  web:\n    image: busybox\n  web:\n    image: busybox\n", "duplicate key"},
	        {"services: [a]\n", "services: must be a mapping"},
	        /* Found by the fuzzer: the message used a key of a value freed before it was written. */
	        {"services:\n  web:\n    image: busybox\n    networks: {front: {colour: red}}\nnetworks: {front: {}}\n",
	         "compose.yaml:4: services.web.networks: front.colour: not supported"},
	        {"services:\n  web:\n    image: busybox\n    volumes: ['/a:/b:rx']\n", "unknown mode \"rx\""},
	        {"services:\n  web:\n    image: busybox\n    networks: {front: {aliases: ['a b']}}\nnetworks: {front: "
	         "{}}\n",
	         "front.aliases: element 0 is not a valid name"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (load_text(&app, cases[i].text, NULL) != -1 || errno != EINVAL ||
		    strstr(containerv_last_error(), cases[i].expected) == NULL) {
			fprintf(stderr, "  case %zu: \"%s\" (errno %d), expected \"%s\"\n", i, containerv_last_error(),
			        errno, cases[i].expected);
			CHECK(0);
		}
		CHECK(app == NULL);
	}
	/* Private subnets are taken, each range at its edges. */
	static const char *const private_subnets[] = {"10.0.0.0/8", "172.16.0.0/12", "172.31.255.0/24",
	                                              "192.168.0.0/16", "100.127.0.0/16"};
	for (size_t i = 0; i < sizeof private_subnets / sizeof *private_subnets; i++) {
		char text[200];
		snprintf(text, sizeof text,
		         "networks:\n  n:\n    ipam: {config: [{subnet: %s}]}\nservices:\n  web:\n    image: busybox\n",
		         private_subnets[i]);
		CHECK_OK(load_text(&app, text, NULL));
		containerv_compose_free(app);
		app = NULL;
	}
	/* Unknown keys: a warning by name, not an error. */
	CHECK_OK(load_text(&app, "services:\n  web:\n    image: busybox\n    colour: blue\nfancy: 1\n", NULL));
	CHECK(strstr(warnings, "unknown key \"colour\"") != NULL && strstr(warnings, "\"fancy\"") != NULL);
	CHECK(json_object_get(service(app, "web"), "colour") == NULL);
	containerv_compose_free(app);
}

TEST(containerv_health_probes_load_with_healthchecks_timings)
{
	struct containerv_compose *app = NULL;
	struct containerv_options *options = NULL;
	static const struct {
		const char *probe;
		const char *expected;
	} bad[] = {
	        {"{http: 'https://:443/'}", ":6: services.web.x-containerv.healthcheck: HTTP needs a URL"},
	        {"{tcp: 70000}", ":6: services.web.x-containerv.healthcheck.tcp: must be a port (1 to 65535)"},
	        {"{tcp: 80, body: ok}", "expect_status and body go with http"},
	        {"{http: 'http://:80/', tcp: 80}", "needs one of http and tcp"},
	        {"{http: 'http://:80/', expect_status: 42}",
	         "healthcheck.expect_status: must be an HTTP status (100 to 599)"},
	        {"{http: 'http://:80/', method: POST}",
	         ":6: services.web.x-containerv.healthcheck.method: unknown key"},
	        {"[tcp]", "must be a mapping"},
	        {"{tcp: 80}\n    deploy:\n      restart_policy: {delay: soon}",
	         ":8: services.web.deploy.restart_policy.delay: invalid duration"},
	};
	char text[512];

	CHECK_OK(load_text(&app,
	                   "services:\n  web:\n    image: busybox\n    healthcheck: {interval: 2s, retries: 5}\n"
	                   "    x-containerv:\n      healthcheck: {http: 'http://:8080/ready', expect_status: '204', "
	                   "body: ok}\n  db:\n    image: busybox\n    x-containerv: {healthcheck: {tcp: 5432}}\n"
	                   "  worker:\n    image: busybox\n    deploy:\n      restart_policy: {condition: on-failure, "
	                   "max_attempts: 3, delay: 1500ms, window: 20}\n  cron:\n    image: busybox\n    deploy:\n"
	                   "      restart_policy: {condition: any, max_attempts: 2}\n",
	                   NULL));
	CHECK_OK(containerv_options_new(&options));
	CHECK_OK(cv_compose_apply_supervision(options, service(app, "web")));
	const struct cv_health_config *health = cv_health_effective(options);
	CHECK(health != NULL && cv_strv_length(health->test) == 4);
	CHECK_EQ_STR(health->test[0], "HTTP");
	CHECK_EQ_STR(health->test[1], "http://:8080/ready");
	CHECK_EQ_STR(health->test[2], "status=204");
	CHECK_EQ_STR(health->test[3], "body=ok");
	CHECK(health->interval_ns == INT64_C(2000000000) && health->retries == 5);
	containerv_options_delete(options);
	options = NULL;
	CHECK_OK(containerv_options_new(&options));
	CHECK_OK(cv_compose_apply_supervision(options, service(app, "db")));
	health = cv_health_effective(options);
	CHECK(health != NULL && cv_strv_length(health->test) == 2);
	CHECK_EQ_STR(health->test[0], "TCP");
	CHECK_EQ_STR(health->test[1], "5432");
	containerv_options_delete(options);
	options = NULL;
	/* deploy.restart_policy: condition, max_attempts, and delay and window applied. */
	CHECK_OK(containerv_options_new(&options));
	CHECK_OK(cv_compose_apply_supervision(options, service(app, "worker")));
	CHECK_EQ_INT(options->restart_policy, CV_RESTART_ON_FAILURE);
	CHECK_EQ_INT(options->restart_max_retries, 3);
	CHECK(options->restart_delay_ns == INT64_C(1500000000) && options->restart_window_ns == INT64_C(20000000000));
	containerv_options_delete(options);
	CHECK_OK(containerv_options_new(&options));
	CHECK_OK(cv_compose_apply_supervision(options, service(app, "cron")));
	CHECK_EQ_INT(options->restart_policy, CV_RESTART_ALWAYS);
	CHECK_EQ_INT(options->restart_max_retries, 2);
	containerv_options_delete(options);
	containerv_compose_free(app);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(text, sizeof text,
		         "services:\n  web:\n    image: busybox\n    healthcheck: {interval: 2s}\n    x-containerv:\n"
		         "      healthcheck: %s\n",
		         bad[i].probe);
		if (load_text(&app, text, NULL) != -1 || errno != EINVAL ||
		    strstr(containerv_last_error(), bad[i].expected) == NULL) {
			fprintf(stderr, "  case %zu: \"%s\", expected \"%s\"\n", i, containerv_last_error(),
			        bad[i].expected);
			CHECK(0);
		}
	}
	/* The probe is the test: healthcheck.test beside it is a conflict, not a silent choice. */
	CHECK(load_text(&app,
	                "services:\n  web:\n    image: busybox\n    healthcheck: {test: 'true'}\n"
	                "    x-containerv: {healthcheck: {tcp: 80}}\n",
	                NULL) < 0);
	CHECK(strstr(containerv_last_error(), "conflicts with healthcheck.test") != NULL);
}

TEST(interpolation)
{
	struct containerv_compose *app = NULL;
	static const char *const environment[] = {"SET=value", "EMPTY=", "TAG=1.36", NULL};
	static const struct {
		const char *value;
		const char *expected;
	} cases[] = {
	        {"${SET}", "value"},
	        {"$SET-x", "value-x"},
	        {"${UNSET:-default}", "default"},
	        {"${EMPTY:-default}", "default"},
	        {"${EMPTY-default}", ""},
	        {"${UNSET-default}", "default"},
	        {"${SET:+replaced}", "replaced"},
	        {"${EMPTY:+replaced}", ""},
	        {"${EMPTY+replaced}", "replaced"},
	        {"$$SET and $${SET}", "$SET and ${SET}"},
	        {"${UNSET:-${SET}}", "value"},
	        {"${UNSET:-a ${UNSET2:-b} c}", "a b c"},
	        {"cost: 5$", "cost: 5$"},
	        {"${UNSET}", ""},
	        {"busybox:${TAG}", "busybox:1.36"},
	        {"${FROM_DOTENV}", "dotenv 'quoted'"},
	};

	write_file(".env", "# comment\nexport FROM_DOTENV=\"dotenv 'quoted'\"\nSET=overridden-by-environment\n");
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char text[512];
		snprintf(text, sizeof text, "services:\n  web:\n    image: busybox\n    labels:\n      v: '%s'\n",
		         cases[i].value);
		CHECK_OK(load_text(&app, text, environment));
		const char *got =
		        json_string_value(json_object_get(json_object_get(service(app, "web"), "labels"), "v"));
		if (got == NULL || strcmp(got, cases[i].expected) != 0) {
			fprintf(stderr, "  %s gave \"%s\", expected \"%s\"\n", cases[i].value, got ? got : "(null)",
			        cases[i].expected);
			CHECK(0);
		}
		containerv_compose_free(app);
	}
	CHECK_OK(load_text(&app, "services:\n  web:\n    image: busybox\n    labels: {v: '${NOPE}'}\n", environment));
	CHECK(strstr(warnings, "\"NOPE\" variable is not set") != NULL);
	containerv_compose_free(app);
	/* Errors: ${VAR:?message}, unterminated and malformed forms, with file and line. */
	CHECK(load_text(&app, "services:\n  web:\n    image: ${IMAGE:?set IMAGE first}\n", environment) == -1);
	CHECK(strstr(containerv_last_error(), "compose.yaml:3") && strstr(containerv_last_error(), "set IMAGE first"));
	CHECK(load_text(&app, "services:\n  web:\n    image: ${EMPTY:?empty}\n", environment) == -1);
	CHECK(load_text(&app, "services:\n  web:\n    image: '${EMPTY?}x'\n", environment) == 0);
	containerv_compose_free(app);
	CHECK(load_text(&app, "services:\n  web:\n    image: '${SET'\n", environment) == -1);
	CHECK(strstr(containerv_last_error(), "without \"}\"") != NULL);
	CHECK(load_text(&app, "services:\n  web:\n    image: '${}'\n", environment) == -1);
	CHECK(load_text(&app, "services:\n  web:\n    image: '${SET!x}'\n", environment) == -1);
	/* Interpolated numbers are accepted where numbers are expected. */
	static const char *const replicas[] = {"N=3", NULL};
	CHECK_OK(load_text(&app, "services:\n  web:\n    image: busybox\n    deploy: {replicas: '${N}'}\n", replicas));
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(service(app, "web"), "deploy"), "replicas")),
	             3);
	containerv_compose_free(app);
	unlink(write_file(".env", ""));
}

TEST(two_files_merge)
{
	struct containerv_compose *app = NULL;
	static const char *const files[] = {"base.yaml", "override.yaml", NULL};

	write_file("base.yaml", "name: merged\n"
	                        "services:\n"
	                        "  web:\n"
	                        "    image: busybox\n"
	                        "    command: [sleep, '1']\n"
	                        "    environment: [A=1, B=1]\n"
	                        "    ports: ['80:80']\n"
	                        "    volumes: ['/srv/a:/data', '/srv/b:/b']\n"
	                        "    labels: {x: '1'}\n");
	write_file("override.yaml", "services:\n"
	                            "  web:\n"
	                            "    command: [sleep, '2']\n"
	                            "    environment: {B: '2', C: '3'}\n"
	                            "    ports: ['81:81', '80:80']\n"
	                            "    volumes: ['/srv/c:/data']\n"
	                            "    read_only: bogus\n"
	                            "  extra:\n"
	                            "    image: busybox\n");
	/* The override's error points into the override file. */
	CHECK(load(&app, files, NULL, NULL) == -1);
	CHECK(strstr(containerv_last_error(), "override.yaml:7: services.web.read_only") != NULL);
	write_file("override.yaml", "services:\n"
	                            "  web:\n"
	                            "    command: [sleep, '2']\n"
	                            "    environment: {B: '2', C: '3'}\n"
	                            "    ports: ['81:81', '80:80']\n"
	                            "    volumes: ['/srv/c:/data']\n"
	                            "  extra:\n"
	                            "    image: busybox\n");
	CHECK_OK(load(&app, files, NULL, NULL));
	json_t *web = service(app, "web");
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(web, "command"), 1)), "2");
	json_t *environment = json_object_get(web, "environment");
	CHECK_EQ_STR(json_string_value(json_object_get(environment, "A")), "1");
	CHECK_EQ_STR(json_string_value(json_object_get(environment, "B")), "2");
	CHECK_EQ_STR(json_string_value(json_object_get(environment, "C")), "3");
	CHECK_EQ_INT(json_array_size(json_object_get(web, "ports")), 2);
	json_t *volumes = json_object_get(web, "volumes");
	CHECK_EQ_INT(json_array_size(volumes), 2);
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(volumes, 0), "source")), "/srv/c");
	CHECK(service(app, "extra") != NULL);
	containerv_compose_free(app);
}

TEST(anchors_merge_keys_and_extends)
{
	struct containerv_compose *app = NULL;
	static const char *const files[] = {"compose.yaml", NULL};

	write_file("common.yaml", "services:\n"
	                          "  base:\n"
	                          "    image: busybox\n"
	                          "    environment: {FROM: common}\n"
	                          "    extends: root\n"
	                          "  root:\n"
	                          "    image: busybox\n"
	                          "    labels: {root: 'yes'}\n");
	write_file("compose.yaml", "x-defaults: &defaults\n"
	                           "  image: busybox\n"
	                           "  environment: {LEVEL: default}\n"
	                           "  labels: {team: a}\n"
	                           "x-more: &more\n"
	                           "  read_only: true\n"
	                           "services:\n"
	                           "  one:\n"
	                           "    <<: [*defaults, *more]\n"
	                           "    labels: {team: b}\n"
	                           "  two:\n"
	                           "    extends: one\n"
	                           "    environment: {EXTRA: '1'}\n"
	                           "  three:\n"
	                           "    extends: {file: common.yaml, service: base}\n"
	                           "    command: [true]\n");
	CHECK_OK(load(&app, files, NULL, NULL));
	json_t *one = service(app, "one"), *two = service(app, "two"), *three = service(app, "three");
	/* Explicit keys win over merged ones; merged maps are not deep-merged (YAML's merge key). */
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(one, "labels"), "team")), "b");
	CHECK(json_is_true(json_object_get(one, "read_only")));
	/* extends: the base's keys, the service's own merged over them (maps by key). */
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(two, "environment"), "LEVEL")), "default");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(two, "environment"), "EXTRA")), "1");
	CHECK(json_is_true(json_object_get(two, "read_only")));
	CHECK(json_object_get(two, "extends") == NULL);
	/* Another file's service, itself extending one of its file. */
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(three, "environment"), "FROM")), "common");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(three, "labels"), "root")), "yes");
	containerv_compose_free(app);
	/* A cycle of extends, and a missing base, are errors. */
	CHECK(load_text(&app, "services:\n  a: {image: busybox, extends: b}\n  b: {image: busybox, extends: a}\n",
	                NULL) == -1);
	CHECK(strstr(containerv_last_error(), "extends") != NULL);
	CHECK(load_text(&app, "services:\n  a:\n    image: busybox\n    extends: nothing\n", NULL) == -1);
	CHECK(strstr(containerv_last_error(), "compose.yaml:4: services.a.extends") != NULL);
}

TEST(profiles_select_services)
{
	struct containerv_compose *app = NULL;
	static const char *const files[] = {"compose.yaml", NULL};
	static const char *const debug[] = {"debug", NULL};
	static const char *const variable[] = {"COMPOSE_PROFILES=debug,other", NULL};

	write_file("compose.yaml", "services:\n"
	                           "  app: {image: busybox}\n"
	                           "  debugger: {image: busybox, profiles: [debug], depends_on: [app]}\n"
	                           "  tool: {image: busybox, profiles: [tools], depends_on: [debugger]}\n");
	CHECK_OK(load(&app, files, NULL, NULL));
	CHECK_EQ_INT(containerv_compose_service_count(app), 1);
	containerv_compose_free(app);
	CHECK_OK(load(&app, files, NULL, debug));
	CHECK_EQ_INT(containerv_compose_service_count(app), 2);
	CHECK_EQ_STR(containerv_compose_service_name(app, 1), "debugger");
	containerv_compose_free(app);
	CHECK_OK(load(&app, files, variable, NULL));
	CHECK_EQ_INT(containerv_compose_service_count(app), 2);
	containerv_compose_free(app);
	/* A dependency on a service its profile disables is named as such. */
	static const char *const tools[] = {"tools", NULL};
	CHECK(load(&app, files, NULL, tools) == -1);
	CHECK(strstr(containerv_last_error(), "\"debugger\" is not enabled") != NULL);
}

TEST(dependency_order_and_cycles)
{
	struct containerv_compose *app = NULL;

	CHECK_OK(load_text(&app,
	                   "services:\n"
	                   "  front: {image: busybox, depends_on: [app]}\n"
	                   "  app: {image: busybox, depends_on: {db: {condition: service_started}, cache: {}}}\n"
	                   "  db: {image: busybox}\n"
	                   "  cache: {image: busybox}\n",
	                   NULL));
	size_t front = 9, app_index = 9, db = 9, cache = 9;
	for (size_t i = 0; i < containerv_compose_service_count(app); i++) {
		const char *name = containerv_compose_service_name(app, i);
		*(strcmp(name, "front") == 0 ? &front
		  : strcmp(name, "app") == 0 ? &app_index
		  : strcmp(name, "db") == 0  ? &db
		                             : &cache) = i;
	}
	CHECK(db < app_index && cache < app_index && app_index < front);
	containerv_compose_free(app);
	CHECK(load_text(&app,
	                "services:\n"
	                "  a: {image: busybox, depends_on: [b]}\n"
	                "  b: {image: busybox, depends_on: [c]}\n"
	                "  c: {image: busybox, depends_on: [a]}\n",
	                NULL) == -1);
	CHECK_EQ_INT(errno, ELOOP);
	CHECK_EQ_STR(containerv_last_error(), "dependency cycle: a -> b -> c -> a");
	CHECK(load_text(&app, "services:\n  a: {image: busybox, depends_on: [a]}\n", NULL) == -1);
	CHECK_EQ_STR(containerv_last_error(), "dependency cycle: a -> a");
}

TEST(project_names)
{
	struct containerv_compose *app = NULL;
	struct containerv_compose_options options = CONTAINERV_COMPOSE_OPTIONS_INIT;
	static const char *const files[] = {"compose.yaml", NULL};
	static const char *const environment[] = {"COMPOSE_PROJECT_NAME=fromenv", NULL};
	static const char *const none[] = {NULL};

	write_file("compose.yaml", "name: fromfile\nservices:\n  a: {image: busybox}\n");
	options.files = files;
	options.working_directory = work_dir;
	options.environment = environment;
	options.project_name = "fromflag";
	CHECK_OK(containerv_compose_load(&options, &app));
	CHECK_EQ_STR(containerv_compose_project(app), "fromflag");
	containerv_compose_free(app);
	options.project_name = NULL;
	CHECK_OK(containerv_compose_load(&options, &app));
	CHECK_EQ_STR(containerv_compose_project(app), "fromenv");
	containerv_compose_free(app);
	options.environment = none;
	CHECK_OK(containerv_compose_load(&options, &app));
	CHECK_EQ_STR(containerv_compose_project(app), "fromfile");
	containerv_compose_free(app);
	/* The directory's name, normalised. */
	write_file("compose.yaml", "services:\n  a: {image: busybox}\n");
	CHECK_OK(containerv_compose_load(&options, &app));
	CHECK(strncmp(containerv_compose_project(app), "cv-test-compose-", 16) == 0);
	containerv_compose_free(app);
	options.project_name = "Bad Name";
	CHECK(containerv_compose_load(&options, &app) == -1 && strstr(containerv_last_error(), "invalid project name"));
	/* No file: ENOENT naming where it looked. */
	options.project_name = NULL;
	options.files = NULL;
	unlink(write_file("compose.yaml", ""));
	CHECK(containerv_compose_load(&options, &app) == -1 && errno == ENOENT);
}

TEST(hostile_yaml_is_refused_within_bounds)
{
	struct containerv_compose *app = NULL;
	/* A billion laughs: nine levels of nine aliases. */
	static const char laughs[] = "x-a: &a [x,x,x,x,x,x,x,x,x]\nx-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	                             "x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nx-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	                             "x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nx-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	                             "x-g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nx-h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	                             "services: {a: {image: busybox, labels: {x: *h}}}\n";
	CHECK(load_text(&app, laughs, NULL) == -1 && strstr(containerv_last_error(), "too many values"));
	/* Merge keys expand aliases too: counted the same. */
	static const char merges[] = "x-a: &a {a: [x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x]}\n"
	                             "x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	                             "x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	                             "x-d: &d {<<: [*a], l: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]}\n"
	                             "services: {a: {<<: *d, image: busybox}}\n";
	CHECK(load_text(&app, merges, NULL) == -1 && strstr(containerv_last_error(), "too many values"));
	/* One large scalar aliased many times: bounded by bytes. */
	size_t big = 600 * 1024;
	char *text = malloc(big + 4096), *p = text;
	p += sprintf(p, "x-big: &big '");
	memset(p, 'x', big);
	p += big;
	p += sprintf(p, "'\nx-list: [");
	for (int i = 0; i < 60; i++)
		p += sprintf(p, "*big,");
	p += sprintf(p, "*big]\nservices: {a: {image: busybox}}\n");
	CHECK(load_text(&app, text, NULL) == -1 && strstr(containerv_last_error(), "too much text"));
	/* Deep nesting. */
	p = text;
	p += sprintf(p, "services: {a: {image: busybox}}\nx-deep: ");
	for (int i = 0; i < 200; i++)
		*p++ = '[';
	for (int i = 0; i < 200; i++)
		*p++ = ']';
	*p++ = '\n';
	*p = '\0';
	CHECK(load_text(&app, text, NULL) == -1 && strstr(containerv_last_error(), "nested too deep"));
	/* A scalar over the bound, and a file over its bound. */
	p = text;
	p += sprintf(p, "services: {a: {image: '");
	memset(p, 'y', CV_COMPOSE_SCALAR_MAX + 10 < big ? CV_COMPOSE_SCALAR_MAX + 10 : big);
	free(text);
	text = malloc(CV_COMPOSE_SCALAR_MAX + 4096);
	p = text + sprintf(text, "services: {a: {image: '");
	memset(p, 'y', CV_COMPOSE_SCALAR_MAX + 10);
	p += CV_COMPOSE_SCALAR_MAX + 10;
	sprintf(p, "'}}\n");
	CHECK(load_text(&app, text, NULL) == -1 && strstr(containerv_last_error(), "scalar is too large"));
	free(text);
	/* Interpolation cannot grow a value past the scalar bound, nor nest without end. */
	static const char *const environment[] = {"X=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	                                          NULL};
	CHECK(load_text(&app,
	                "services: {a: {image: '${U:-${U:-${U:-${U:-${U:-${U:-${U:-${U:-${U:-${U:-${U:-${U:-${U:-${U:-"
	                "${U:-${U:-${U:-${U:-x}}}}}}}}}}}}}}}}}}'}}\n",
	                environment) == -1);
	CHECK(strstr(containerv_last_error(), "nested too deep") != NULL);
	/* Not a mapping, binary garbage, NUL bytes. */
	CHECK(load_text(&app, "- a\n- b\n", NULL) == -1 && strstr(containerv_last_error(), "not a mapping"));
	CHECK(load_text(&app, "services: {a: {image: \"a\\0b\"}}\n", NULL) == -1);
	CHECK(load_text(&app, "\x01\x02: [\n", NULL) == -1);
}

int main(void)
{
	CHECK(mkdtemp(work_dir) != NULL);
	RUN(every_supported_key_is_normalised);
	RUN(invalid_values_name_file_line_and_key);
	RUN(containerv_health_probes_load_with_healthchecks_timings);
	RUN(interpolation);
	RUN(two_files_merge);
	RUN(anchors_merge_keys_and_extends);
	RUN(profiles_select_services);
	RUN(dependency_order_and_cycles);
	RUN(project_names);
	RUN(hostile_yaml_is_refused_within_bounds);
	cv_rm_rf(work_dir);
	return cv_test_summary();
}
