#!/usr/bin/env bash
# containerv compose's other verbs on a real app: stop really stops, start/restart/pause/unpause/kill
# change the containers' state, rm removes only what is stopped, exec passes the exit code through,
# run --rm leaves nothing and starts dependencies, scale 1 -> 3 -> 1 leaves exactly the right
# replicas (names and DNS answers), top/images/port/ps filters, logs prefixes. down -v leaves nothing.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")

app=$TEST_TMP/verbs
mkdir -p "$app"
cat >"$app/compose.yaml" <<'YAML'
name: verbs
services:
  db:
    image: busybox
    command: sh -c 'echo db-ready; exec sleep 600'
    stop_grace_period: 1s
  web:
    image: busybox
    command: sh -c 'echo web-ready; exec httpd -f -p 8080 -h /'
    ports: ["127.0.0.1:18080:8080"]
    depends_on: [db]
    stop_grace_period: 1s
  worker:
    image: busybox
    command: sleep 600
    stop_grace_period: 1s
YAML
compose() { cv "$1" compose -f "$app/compose.yaml" "${@:2}"; }
state_of() { cv 0 compose -f "$app/compose.yaml" ps -a --format json && jq -r --arg n "$1" '.[] | select(.Name == $n) | .State' <<<"$OUT"; }

compose 0 up -d
compose 0 ps --services
[ "$(sort <<<"$OUT" | tr '\n' ' ')" = "db web worker " ] || fail "ps --services: $OUT"
compose 0 ps -q web
[ "$(wc -l <<<"$OUT")" = 1 ] && [ ${#OUT} = 64 ] || fail "ps -q web: $OUT"
compose 125 ps nosuch
one_error_line "no such service: nosuch"
pass "up; ps --services, -q, a service filter"

# ---- stop: really stopped (no process left), dependents first; start brings them back ----
web_pid=$(cv 0 inspect verbs-web-1 && jq -r '.[0].State.Pid' <<<"$OUT")
compose 0 stop -t 1 web db
[ "$(grep -n 'verbs-web-1  Stopped' <<<"$ERR" | cut -d: -f1)" -lt "$(grep -n 'verbs-db-1  Stopped' <<<"$ERR" | cut -d: -f1)" ] ||
	fail "stop: db stopped before web: $ERR"
[ "$(state_of verbs-web-1)" = exited ] && [ "$(state_of verbs-db-1)" = exited ] || fail "stop: $OUT"
[ "$(state_of verbs-worker-1)" = running ] || fail "stop web db stopped worker: $OUT"
! kill -0 "$web_pid" 2>/dev/null || fail "stop: web's process $web_pid still runs"
compose 0 ps --status exited --format json
[ "$(jq -r 'map(.Service) | sort | join(",")' <<<"$OUT")" = "db,web" ] || fail "ps --status exited: $OUT"
compose 0 ps --format json
[ "$(jq -r 'map(.Service) | join(",")' <<<"$OUT")" = "worker" ] || fail "ps without -a shows stopped ones: $OUT"
compose 0 start
[ "$(grep -n 'verbs-db-1  Started' <<<"$ERR" | cut -d: -f1)" -lt "$(grep -n 'verbs-web-1  Started' <<<"$ERR" | cut -d: -f1)" ] ||
	fail "start: web started before db: $ERR"
! grep -q worker <<<"$ERR" || fail "start touched the running worker: $ERR"
[ "$(state_of verbs-web-1)" = running ] || fail "start: $OUT"
wait_for "web's httpd" wget -qO /dev/null http://127.0.0.1:18080/etc/hostname
pass "stop stops (dependents first), start starts (dependencies first)"

# ---- restart: a new process; pause/unpause: frozen and thawed ----
old_pid=$(cv 0 inspect verbs-worker-1 && jq -r '.[0].State.Pid' <<<"$OUT")
compose 0 restart -t 1 worker
new_pid=$(cv 0 inspect verbs-worker-1 && jq -r '.[0].State.Pid' <<<"$OUT")
[ "$new_pid" != "$old_pid" ] && [ "$(state_of verbs-worker-1)" = running ] || fail "restart: pid $old_pid -> $new_pid"
compose 0 pause worker
[ "$(state_of verbs-worker-1)" = paused ] || fail "pause: $OUT"
compose 0 ps --status paused -q
[ "$(wc -l <<<"$OUT")" = 1 ] || fail "ps --status paused: $OUT"
compose 0 unpause worker
[ "$(state_of verbs-worker-1)" = running ] || fail "unpause: $OUT"
pass "restart, pause, unpause"

# ---- kill -s: the signal reaches the main process ----
compose 0 kill -s SIGTERM worker
wait_for "worker killed" sh -c "[ \"\$($CONTAINERV inspect verbs-worker-1 | jq -r '.[0].State.Status')\" = exited ]"
cv 0 inspect verbs-worker-1
[ "$(jq -r '.[0].State.ExitCode' <<<"$OUT")" = 143 ] || fail "kill -s SIGTERM: exit code $(jq -r '.[0].State.ExitCode' <<<"$OUT")"
compose 125 kill -s NOSUCH worker
one_error_line "invalid signal: NOSUCH"
pass "kill -s"

# ---- rm: only stopped containers; -s stops first ----
compose 0 rm -f
grep -q 'verbs-worker-1  Removed' <<<"$ERR" || fail "rm did not remove the stopped worker: $ERR"
! grep -q 'verbs-web-1' <<<"$ERR" || fail "rm removed a running container: $ERR"
compose 0 ps -a --format json
[ "$(jq -r 'map(.Service) | sort | join(",")' <<<"$OUT")" = "db,web" ] || fail "after rm: $OUT"
compose 0 up -d worker
pass "rm removes stopped containers only"

# ---- exec: the exit code passes through; -e, -w, -u, --index ----
compose 3 exec -T db sh -c 'exit 3'
compose 0 exec -T -e GREETING=hi -w /etc -u 1000 db sh -c 'echo $GREETING $(pwd) $(id -u)'
[ "$OUT" = "hi /etc 1000" ] || fail "exec -e -w -u: $OUT"
compose 125 exec -T --index 2 db true
one_error_line 'service "db" has no container number 2'
compose 127 exec -T db nosuchcommand
pass "exec passes exit codes and flags through"

# ---- port ----
compose 0 port web 8080
[ "$OUT" = "127.0.0.1:18080" ] || fail "port web 8080: $OUT"
pass "port"

# ---- top and images ----
compose 0 top db
grep -q '^verbs-db-1$' <<<"$OUT" && grep -q 'sleep 600' <<<"$OUT" || fail "top db: $OUT"
compose 0 images
grep -q '^verbs-web-1 ' <<<"$OUT" || fail "images: $OUT"
pass "top and images"

# ---- run --rm: dependencies started, a one-off container, nothing left ----
compose 0 stop db
set +e
OUT=$(timeout 60 "$CONTAINERV" compose -f "$app/compose.yaml" run --rm -T -e ONE=off web sh -c 'echo "$ONE"; exit 4' 2>"$TEST_TMP/stderr" </dev/null)
CODE=$?
set -e
[ "$CODE" = 4 ] || fail "run --rm: exit $CODE, expected 4; $(cat "$TEST_TMP/stderr")"
[ "$OUT" = off ] || fail "run --rm: output $OUT"
[ "$(state_of verbs-db-1)" = running ] || fail "run did not start its dependency db"
cv 0 ps -a --format '{{.Names}}'
! grep -q run <<<"$OUT" || fail "run --rm left its container: $OUT"
# Without --rm the one-off stays, named <project>-<service>-run-<id>, labelled oneoff.
compose 0 run --no-deps -T worker true
cv 0 ps -a --format '{{.Names}}'
oneoff=$(grep -E '^verbs-worker-run-[0-9a-f]{12}$' <<<"$OUT") || fail "run: one-off name: $OUT"
cv 0 inspect "$oneoff"
[ "$(jq -r '.[0].Config.Labels."com.docker.compose.oneoff"' <<<"$OUT")" = True ] || fail "run: oneoff label: $OUT"
cv 0 rm "$oneoff"
pass "run --rm leaves nothing; a one-off is named and labelled as compose's"

# ---- scale 1 -> 3 -> 1: the right replicas, the right DNS answers ----
compose 0 scale worker=3
compose 0 ps --format json worker
[ "$(jq -r 'map(.Name) | sort | join(",")' <<<"$OUT")" = "verbs-worker-1,verbs-worker-2,verbs-worker-3" ] || fail "scale to 3: $OUT"
addresses() { cv 0 exec verbs-db-1 nslookup worker && grep -c '^Address.*: 10\.' <<<"$OUT" || true; }
[ "$(addresses)" = 3 ] || fail "scale to 3: DNS answers $(addresses) addresses for worker"
worker1=$(cv 0 inspect verbs-worker-1 && jq -r '.[0].Id' <<<"$OUT")
compose 0 scale worker=1
grep -q 'verbs-worker-3  Removed' <<<"$ERR" && grep -q 'verbs-worker-2  Removed' <<<"$ERR" || fail "scale to 1: $ERR"
[ "$(grep -n 'worker-3  Removed' <<<"$ERR" | cut -d: -f1)" -lt "$(grep -n 'worker-2  Removed' <<<"$ERR" | cut -d: -f1)" ] ||
	fail "scale down removed worker-2 before worker-3: $ERR"
compose 0 ps -a --format json worker
[ "$(jq -r 'map(.Name) | join(",")' <<<"$OUT")" = "verbs-worker-1" ] || fail "scale to 1: $OUT"
[ "$(cv 0 inspect verbs-worker-1 && jq -r '.[0].Id' <<<"$OUT")" = "$worker1" ] || fail "scale replaced worker-1"
[ "$(addresses)" = 1 ] || fail "scale to 1: DNS answers $(addresses) addresses for worker"
compose 125 scale nosuch=2
one_error_line "no such service: nosuch"
compose 125 scale worker=x
one_error_line "invalid scale worker=x"
pass "scale 1 -> 3 -> 1"

# ---- logs: "service-n  | " prefixes, --no-log-prefix, --tail, -f ends with the containers ----
compose 0 logs db
[ "$(head -1 <<<"$OUT")" = "db-1  | db-ready" ] || fail "logs db: $OUT"
compose 0 logs --no-log-prefix --tail 1 web
[ "$OUT" = "web-ready" ] || fail "logs --no-log-prefix --tail 1: $OUT"
compose 0 logs web db
grep -q '^web-1  | web-ready$' <<<"$OUT" && grep -q '^db-1   | db-ready$' <<<"$OUT" || fail "logs prefixes aligned: $OUT"
compose 0 logs -t db
grep -qE '^db-1  \| [0-9]{4}-[0-9]{2}-[0-9]{2}T.* db-ready$' <<<"$OUT" || fail "logs -t: $OUT"
# On a terminal each service's prefix has its colour (cyan for the first, yellow for the next...).
if command -v script >/dev/null; then
	coloured=$(script -qec "$CONTAINERV compose -f $app/compose.yaml logs db web" /dev/null </dev/null)
	grep -q $'\e\[36mdb-1   |\e\[0m db-ready' <<<"$coloured" && grep -q $'\e\[33mweb-1  |\e\[0m web-ready' <<<"$coloured" ||
		fail "logs on a terminal: no colours per service: $(cat -v <<<"$coloured")"
	coloured=$(script -qec "$CONTAINERV compose -f $app/compose.yaml logs --no-color db" /dev/null </dev/null)
	! grep -q $'\e' <<<"$coloured" || fail "logs --no-color: $(cat -v <<<"$coloured")"
fi
( sleep 2; "$CONTAINERV" compose -f "$app/compose.yaml" stop -t 1 >/dev/null 2>&1 ) &
compose 0 logs -f db web
grep -q '^db-1   | db-ready$' <<<"$OUT" || fail "logs -f: $OUT"
wait
pass "logs prefixes, --no-log-prefix, --tail, -t, -f"

# ---- down -v: nothing left ----
compose 0 down -v
compose 0 ps -a --format json
[ "$OUT" = "[]" ] || fail "down left containers: $OUT"
cv 0 network ls --format '{{.Name}}'
! grep -q '^verbs_' <<<"$OUT" || fail "down left networks: $OUT"
assert_clean "compose verbs"
pass "down -v leaves nothing"

# ---- networks: ipam subnet and gateway, ipv4_address; names of every network a container is on ----
nets=$TEST_TMP/nets
mkdir -p "$nets"
cat >"$nets/compose.yaml" <<'YAML'
name: nets
services:
  a:
    image: busybox
    command: sleep 600
    networks: {front: {ipv4_address: 10.123.0.50}}
  b:
    image: busybox
    command: sleep 600
    networks: [back]
  c:
    image: busybox
    command: sleep 600
    networks: [front, back]
networks:
  front:
    ipam:
      config: [{subnet: 10.123.0.0/24, gateway: 10.123.0.254}]
  back: {}
YAML
nets() { cv "$1" compose -f "$nets/compose.yaml" "${@:2}"; }
nets 0 up -d
cv 0 network inspect nets_front
[ "$(jq -r '.[0].IPAM.Config[0].Subnet' <<<"$OUT")" = 10.123.0.0/24 ] || fail "ipam subnet: $OUT"
[ "$(jq -r '.[0].IPAM.Config[0].Gateway' <<<"$OUT")" = 10.123.0.254 ] || fail "ipam gateway: $OUT"
a_id=$(cv 0 inspect nets-a-1 && jq -r '.[0].Id' <<<"$OUT")
cv 0 network inspect nets_front
[ "$(jq -r --arg id "$a_id" '.[0].Containers[$id].IPv4Address' <<<"$OUT")" = 10.123.0.50/24 ] || fail "ipv4_address: $OUT"
cv 0 exec nets-a-1 cat /etc/resolv.conf
grep -q '^nameserver 10.123.0.254$' <<<"$OUT" || fail "a's resolver is not front's gateway: $OUT"
# c (front first, then back) resolves a on front and b on back; a (front only) does not see b.
cv 0 exec nets-c-1 nslookup a
grep -q '^Address.*: 10.123.0.50$' <<<"$OUT" || fail "c does not resolve a: $OUT"
b_ip=$("$CONTAINERV" network inspect nets_back | jq -r --arg id "$(cv 0 inspect nets-b-1 && jq -r '.[0].Id' <<<"$OUT")" '.[0].Containers[$id].IPv4Address' | cut -d/ -f1)
cv 0 exec nets-c-1 nslookup b
grep -q "^Address.*: $b_ip\$" <<<"$OUT" || fail "c (front, back) does not resolve b ($b_ip) on back: $OUT"
cv 1 exec nets-a-1 nslookup b
# Bad networks: one line naming the file, line and key; nothing made.
printf 'name: badnet\nservices:\n  x: {image: busybox}\nnetworks:\n  n:\n    ipam:\n      config: [{subnet: 10.1.0.0/33}]\n' >"$TEST_TMP/badnet.yaml"
cv 125 compose -f "$TEST_TMP/badnet.yaml" up -d
one_error_line "badnet.yaml:7: networks.n: ipam.config[0].subnet"
# A public subnet would take the host's own traffic for it (its default route's) to the service at 8.8.8.8.
printf 'name: badnet\nservices:\n  x: {image: busybox, networks: {n: {ipv4_address: 8.8.8.8}}}\nnetworks:\n  n:\n    ipam:\n      config: [{subnet: 8.8.8.0/24}]\n' >"$TEST_TMP/badnet.yaml"
cv 125 compose -f "$TEST_TMP/badnet.yaml" up -d
one_error_line "badnet.yaml:7: networks.n: ipam.config[0].subnet: 8.8.8.0/24 is not private address space"
printf 'name: badnet\nservices:\n  x: {image: busybox}\nnetworks:\n  n: {internal: true}\n' >"$TEST_TMP/badnet.yaml"
cv 125 compose -f "$TEST_TMP/badnet.yaml" up -d
one_error_line "networks.n: internal: true is not supported yet"
nets 0 down -v
cv 0 network ls --format '{{.Name}}'
! grep -q '^nets_' <<<"$OUT" || fail "down left networks: $OUT"
assert_clean "compose networks"
pass "ipam subnet, gateway and ipv4_address; a container on two networks resolves the names of both"

# ---- secrets and configs: file sources, mounted read-only with their mode and owner ----
sec=$TEST_TMP/sec
mkdir -p "$sec"
printf 's3cret' >"$sec/token.txt"
printf 'listen 80' >"$sec/app.conf"
cat >"$sec/compose.yaml" <<'YAML'
name: sec
services:
  app:
    image: busybox
    command: sleep 600
    user: "1000"
    secrets:
      - token
      - {source: token, target: tok2, uid: "1000", gid: "1001", mode: 0400}
    configs:
      - appconf
      - {source: appconf, target: /etc/app/app.conf, mode: 0440}
secrets:
  token: {file: ./token.txt}
configs:
  appconf: {file: app.conf}
YAML
sec() { cv "$1" compose -f "$sec/compose.yaml" "${@:2}"; }
sec 0 up -d
sec 0 exec -T app cat /run/secrets/token /run/secrets/tok2 /appconf /etc/app/app.conf
[ "$OUT" = "s3crets3cretlisten 80listen 80" ] || fail "secrets and configs read inside: $OUT"
sec 0 exec -T app stat -c '%n %a %u %g' /run/secrets/token /run/secrets/tok2 /appconf /etc/app/app.conf
[ "$OUT" = "$(printf '/run/secrets/token 444 0 0\n/run/secrets/tok2 400 1000 1001\n/appconf 444 0 0\n/etc/app/app.conf 440 0 0')" ] ||
	fail "modes and owners: $OUT"
sec 1 exec -T -u 0 app sh -c 'echo x > /run/secrets/token'
grep -q 'Read-only file system' <<<"$ERR" || fail "a secret is writable: $ERR"
# The user's file is never changed (the container gets a copy with the mode and owner).
[ "$(stat -c '%u' "$sec/token.txt")" = 0 ] || fail "the source file's owner changed"
sec 0 down -v
[ ! -e "$CONTAINERV_ROOT/compose/sec" ] || fail "down left the copies: $(ls -R "$CONTAINERV_ROOT/compose")"
# Sources that cannot be opened as a regular file: one line naming the file, line and key; nothing made.
bad_source() {
	printf 'name: badsec\nservices:\n  x: {image: busybox, secrets: [s]}\nsecrets:\n  s: {file: %s}\n' "$1" >"$sec/bad.yaml"
	cv 125 compose -f "$sec/bad.yaml" up -d
	one_error_line "bad.yaml:5: secrets.s: file $2"
}
mkfifo "$sec/fifo"
bad_source ./fifo "$sec/./fifo: not a regular file"
bad_source ./nosuch "$sec/./nosuch: No such file or directory"
bad_source /etc "/etc: bind mount source /etc is sensitive"
ln -s /proc/self/fd/0 "$sec/link"
bad_source ./link "$sec/./link: bind mount source $sec/./link (/"
# Copied, not bound, but judged as a bind: the host's credentials and the state root stay out, named
# or through a symlink of the project (session 13's attack; a bind of them is refused as sensitive).
bad_source /etc/shadow "/etc/shadow: bind mount source /etc/shadow is sensitive"
ln -s /etc/shadow "$sec/innocent.txt"
bad_source ./innocent.txt "$sec/./innocent.txt: bind mount source $sec/./innocent.txt (/etc/shadow) is sensitive"
printf '{}' >"$CONTAINERV_ROOT/planted.json"
bad_source "$CONTAINERV_ROOT/planted.json" "$CONTAINERV_ROOT/planted.json: bind mount source"
rm "$CONTAINERV_ROOT/planted.json"
printf 'name: badsec\nservices:\n  x: {image: busybox, secrets: [nosuch]}\n' >"$sec/bad.yaml"
cv 125 compose -f "$sec/bad.yaml" up -d
one_error_line 'secrets "nosuch" is not declared'
printf 'name: badsec\nservices:\n  x: {image: busybox, secrets: [s]}\nsecrets:\n  ../s: {file: token.txt}\n' >"$sec/bad.yaml"
cv 125 compose -f "$sec/bad.yaml" up -d
one_error_line "secrets.../s: invalid name"
# A target that climbs out is refused (one inside the root is mounted through openat2(RESOLVE_IN_ROOT)).
printf 'name: esc\nservices:\n  x:\n    image: busybox\n    secrets: [{source: s, target: ../../../etc/pwned}]\nsecrets:\n  s: {file: token.txt}\n' >"$sec/esc.yaml"
cv 125 compose -f "$sec/esc.yaml" up -d
one_error_line "secrets.s: target /run/secrets/../../../etc/pwned"
cv 0 compose -f "$sec/esc.yaml" down -v
cv 0 ps -a -q
[ -z "$OUT" ] || fail "secret errors left containers: $OUT"
[ ! -e "$CONTAINERV_ROOT/compose/badsec" ] || fail "a refused up left copies"
assert_clean "compose secrets"
pass "secrets and configs: read-only with mode and owner; unopenable or undeclared sources refused by file, line and key"
