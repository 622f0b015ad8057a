#!/usr/bin/env bash
# containerv compose: a real 3-service app (a one-shot init that fills a named volume, a db
# serving it with httpd on a back network, a web tier on front and back) brought up, listed,
# configured, logged, brought up again unchanged, changed, and taken down with -v, leaving
# nothing: containers, networks, volumes, mounts.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")

app=$TEST_TMP/shop
mkdir -p "$app"
cat >"$app/compose.yaml" <<'YAML'
name: shop
x-common: &common
  image: busybox
  stop_grace_period: 2s
services:
  init:
    <<: *common
    command: sh -c 'echo "${GREETING:-hello} from the volume" > /data/msg && echo initialised'
    volumes: [data:/data]
    network_mode: none
  db:
    <<: *common
    command: httpd -f -p 8080 -h /data
    volumes: [{type: volume, source: data, target: /data, read_only: true}]
    networks: {back: {aliases: [database]}}
    depends_on:
      init: {condition: service_completed_successfully}
    stop_signal: SIGKILL
  web:
    <<: *common
    command: ["sleep", "600"]
    environment: [TIER=front, MODE]
    networks: [front, back]
    depends_on: [db]
    deploy:
      replicas: 2
      resources: {limits: {memory: 64m, pids: 50}}
networks:
  front: {}
  back: {}
volumes:
  data: {}
YAML
echo "MODE=from-dotenv" >"$app/.env"
compose() { cv "$1" compose -f "$app/compose.yaml" "${@:2}"; }

# ---- config: the resolved model ----
compose 0 config
grep -q '^name: shop$' <<<"$OUT" || fail "config: no project name: $OUT"
grep -q 'hello from the volume' <<<"$OUT" || fail "config: \${GREETING:-hello} not resolved: $OUT"
grep -q 'MODE: from-dotenv' <<<"$OUT" || fail "config: .env not applied: $OUT"
compose 0 config --services
[ "$OUT" = "$(printf 'init\ndb\nweb')" ] || fail "config --services, in start order: $OUT"
pass "compose config"

# ---- up -d: dependency order, the one-shot completed before db starts ----
compose 0 up -d
grep -q 'shop_front  Network created' <<<"$ERR" || fail "up: front network not reported: $ERR"
[ "$(grep -n 'shop-init-1  Exited' <<<"$ERR" | cut -d: -f1)" -lt "$(grep -n 'shop-db-1  Created' <<<"$ERR" | cut -d: -f1)" ] ||
	fail "up: db created before init completed: $ERR"
compose 0 ps --format json
[ "$(jq -r 'map(.Name) | sort | join(",")' <<<"$OUT")" = "shop-db-1,shop-web-1,shop-web-2" ] || fail "ps: $OUT"
[ "$(jq -r 'map(select(.State == "running")) | length' <<<"$OUT")" = 3 ] || fail "ps: not all running: $OUT"
compose 0 ps -a --format json
[ "$(jq -r '.[] | select(.Service == "init") | "\(.State) \(.ExitCode)"' <<<"$OUT")" = "exited 0" ] || fail "ps -a: $OUT"
db_id=$(cv 0 inspect shop-db-1 && jq -r '.[0].Id' <<<"$OUT")
ids+=("$db_id")
# Compose's labels, and the aliases the DNS server will answer.
cv 0 inspect shop-web-2
labels=$(jq -c '.[0].Config.Labels' <<<"$OUT")
[ "$(jq -r '."com.docker.compose.project"' <<<"$labels")" = shop ] || fail "labels: $labels"
[ "$(jq -r '."com.docker.compose.service"' <<<"$labels")" = web ] || fail "labels: $labels"
[ "$(jq -r '."com.docker.compose.container-number"' <<<"$labels")" = 2 ] || fail "labels: $labels"
cv 0 inspect shop-db-1
[ "$(jq -r '.[0].Config.Labels."containerv.network.aliases"' <<<"$OUT")" = db,database ] || fail "db aliases: $OUT"
# The environment: the file's, .env's for MODE; the limits applied.
cv 0 exec shop-web-1 sh -c 'echo $TIER $MODE'
[ "$OUT" = "front from-dotenv" ] || fail "web's environment: $OUT"
cv 0 inspect shop-web-1
[ "$(jq -c '.[0].HostConfig | {Memory, PidsLimit}' <<<"$OUT")" = '{"Memory":67108864,"PidsLimit":50}' ] || fail "limits: $OUT"
pass "compose up -d and ps"

# ---- the app works: web reaches db on the back network; the named volume holds init's file ----
db_ip=$("$CONTAINERV" network inspect shop_back | jq -r --arg id "$db_id" '.[0].Containers[$id].IPv4Address' | cut -d/ -f1)
[ -n "$db_ip" ] && [ "$db_ip" != null ] || fail "db has no address on shop_back"
wait_for "db's httpd" "$CONTAINERV" exec shop-web-1 wget -qO- "http://$db_ip:8080/msg"
cv 0 exec shop-web-2 wget -qO- "http://$db_ip:8080/msg"
[ "$OUT" = "hello from the volume" ] || fail "web read '$OUT' from db"
# By name: the service name resolves through the network's DNS server, on the first network and on one
# connected after create; a service's replicas share its name. A container asks its first network's server,
# which answers it the names of every network it is on: web, first on front, finds db, which is on back alone.
cv 0 exec shop-db-1 nslookup web
[ "$(grep -c '^Address.*: 10\.' <<<"$OUT")" = 2 ] || fail "web's two replicas by the service name on back: $OUT"
cv 0 exec shop-web-1 nslookup web
[ "$(grep -c '^Address.*: 10\.' <<<"$OUT")" = 2 ] || fail "web's two replicas by the service name on front: $OUT"
cv 0 exec shop-web-1 nslookup db
[ "$(grep -c '^Address.*: 10\.' <<<"$OUT")" = 1 ] || fail "web (front, back) does not find db (back) by name: $OUT"
# web is on front too, db is not.
cv 0 network inspect shop_front
[ "$(jq -r '.[0].Containers | length' <<<"$OUT")" = 2 ] || fail "front: $OUT"
pass "services reach each other on the project network; the named volume is shared"

# ---- logs: prefixed with the replica's name without the project, as docker compose v2's ----
compose 0 logs init
[ "$OUT" = "init-1  | initialised" ] || fail "logs init: $OUT"
cv 0 compose -p shop ls --format json
[ "$(jq -r '.[0].Name' <<<"$OUT")" = shop ] || fail "ls: $OUT"
pass "compose logs and ls"

# ---- up again: unchanged containers kept; a changed service recreated, alone ----
web1=$(cv 0 inspect shop-web-1 && jq -r '.[0].Id' <<<"$OUT")
compose 0 up -d
grep -q 'shop-web-1  Running' <<<"$ERR" || fail "second up did not keep web-1: $ERR"
[ "$(cv 0 inspect shop-web-1 && jq -r '.[0].Id' <<<"$OUT")" = "$web1" ] || fail "second up replaced web-1"
sed -i 's/TIER=front/TIER=edge/' "$app/compose.yaml"
compose 0 up -d
grep -q 'shop-web-1  Recreate' <<<"$ERR" || fail "a changed service was not recreated: $ERR"
grep -q 'shop-db-1  Running' <<<"$ERR" || fail "an unchanged service was touched: $ERR"
cv 0 exec shop-web-1 sh -c 'echo $TIER'
[ "$OUT" = edge ] || fail "recreated web: TIER=$OUT"
pass "compose up is idempotent and recreates what changed"

# ---- errors: one line naming file, line and key; nothing created ----
printf 'services:\n  bad:\n    image: busybox\n    ports: ["99999:80"]\n' >"$TEST_TMP/bad.yaml"
cv 125 compose -f "$TEST_TMP/bad.yaml" up -d
one_error_line "bad.yaml:4: services.bad.ports"
printf 'services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [a]}\n' >"$TEST_TMP/cycle.yaml"
cv 125 compose -f "$TEST_TMP/cycle.yaml" config
one_error_line "dependency cycle: a -> b -> a"
cv 125 compose -f "$TEST_TMP/cycle.yaml" up
one_error_line "-d"
# Every replica's options (its image included) are built before anything is made: a missing image
# fails the up with one line and nothing created.
printf 'name: broken\nservices:\n  ok: {image: busybox, command: sleep 60}\n  missing: {image: "nosuch/image:1", pull_policy: never, depends_on: [ok]}\n' >"$TEST_TMP/broken.yaml"
cv 125 compose -f "$TEST_TMP/broken.yaml" up -d
one_error_line "service missing: image docker.io/nosuch/image:1: not found"
# A failure once containers run (a one-shot exiting 3 that another waits for) removes what this up made.
printf 'name: broken\nservices:\n  job: {image: busybox, command: sh -c "exit 3"}\n  after: {image: busybox, depends_on: {job: {condition: service_completed_successfully}}}\n' >"$TEST_TMP/broken.yaml"
cv 125 compose -f "$TEST_TMP/broken.yaml" up -d
[ "$(grep -c '^containerv: ' <<<"$ERR")" = 1 ] && [[ "$(tail -1 <<<"$ERR")" == "containerv: after depends on job: broken-job-1 exited with code 3" ]] ||
	fail "failed up: $ERR"
cv 0 compose -p broken ps -a --format json
[ "$OUT" = "[]" ] || fail "failed up left containers: $OUT"
cv 0 network ls --format '{{.Name}}'
! grep -q '^broken_' <<<"$OUT" || fail "failed up left its network: $OUT"
pass "errors name file, line and key; a failed up leaves nothing"

# ---- down -v: reverse order, and nothing left ----
compose 0 down -v
[ "$(grep -n 'shop-web-1  Removed' <<<"$ERR" | cut -d: -f1)" -lt "$(grep -n 'shop-db-1  Removed' <<<"$ERR" | cut -d: -f1)" ] ||
	fail "down: db removed before web: $ERR"
compose 0 ps -a --format json
[ "$OUT" = "[]" ] || fail "down left containers: $OUT"
cv 0 network ls --format '{{.Name}}'
! grep -q '^shop_' <<<"$OUT" || fail "down left networks: $OUT"
cv 0 volume ls --format '{{.Name}}'
[ -z "$OUT" ] || fail "down -v left volumes: $OUT"
assert_clean "compose down -v"
pass "compose down -v leaves nothing"
