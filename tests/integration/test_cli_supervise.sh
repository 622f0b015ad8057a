#!/usr/bin/env bash
# Supervision without a daemon (supervise.h): health checks that flip healthy -> unhealthy
# (status, failing streak, the last results), a check past its timeout killed, restart
# policies (on-failure:2 restarts exactly twice, always after a kill but not after a stop),
# the events journal's sequence for run/stop/rm, compose's service_healthy ordering and an
# unhealthy dependency failing up by name, up --wait, bad input refused with one error line
# (125), and no supervisor process left after rm.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")

source "$(dirname "$0")/supervise-lib.sh"

START=$(date +%s)
is() { [ "$(field "$1" "$2")" = "$3" ]; }

# ---- bad input: one line, 125, nothing made ----
cv 125 run -d --health-cmd true --health-interval -1s busybox true
one_error_line "--health-interval"
cv 125 run -d --restart sometimes busybox true
one_error_line "sometimes"
cv 125 run -d --restart on-failure:-2 busybox true
one_error_line "on-failure:-2"
cv 125 run -d --rm --restart always busybox true
one_error_line "--restart"
cv 125 run -d --no-healthcheck --health-cmd true busybox true
one_error_line "--no-healthcheck"
cv 125 run -d --health-cmd true --health-retries -1 busybox true
one_error_line "--health-retries"
[ -z "$("$CONTAINERV" ps -aq)" ] || fail "bad input left a container"
pass "bad input: one error line, exit 125, nothing left"

# ---- a check that flips healthy -> unhealthy ----
cv 0 run -d --name h --health-cmd 'test -f /tmp/ok' --health-interval 200ms --health-retries 2 busybox \
	sh -c 'touch /tmp/ok; exec sleep 600'
ids+=("$OUT")
wait_until "h healthy" 30 is h '{{.State.Health.Status}}' healthy
cv 0 ps --filter name=h --format '{{.Status}}'
[[ "$OUT" == Up*"(healthy)" ]] || fail "ps shows no health: $OUT"
[ "$(field h '{{.State.Health.FailingStreak}}')" = 0 ] || fail "a healthy streak is not 0"
[ -n "$(supervisors)" ] || fail "no supervisor runs for h"
cv 0 exec h rm /tmp/ok
wait_until "h unhealthy" 30 is h '{{.State.Health.Status}}' unhealthy
streak=$(field h '{{.State.Health.FailingStreak}}')
[ "$streak" -ge 2 ] || fail "unhealthy with a streak of $streak (retries 2)"
"$CONTAINERV" inspect h | jq -e '.[0].State.Health.Log | length <= 5 and .[-1].ExitCode == 1' >/dev/null ||
	fail "health log: $("$CONTAINERV" inspect h | jq -c '.[0].State.Health.Log')"
"$CONTAINERV" inspect h | jq -e '.[0].Config.Healthcheck.Test == "CMD-SHELL test -f /tmp/ok"' >/dev/null ||
	fail "Config.Healthcheck: $("$CONTAINERV" inspect h | jq -c '.[0].Config.Healthcheck')"
cv 0 ps --filter name=h --format '{{.Status}}'
[[ "$OUT" == Up*"(unhealthy)" ]] || fail "ps: $OUT"
pass "health: healthy, then unhealthy after the file went (streak $streak), shown by inspect and ps"

# ---- a check past its timeout is killed ----
cv 0 run -d --name t --health-cmd 'sleep 77' --health-timeout 300ms --health-interval 500ms --health-retries 1 \
	busybox sleep 600
ids+=("$OUT")
wait_until "t unhealthy" 30 is t '{{.State.Health.Status}}' unhealthy
"$CONTAINERV" inspect t | jq -e '.[0].State.Health.Log[-1] | .ExitCode == -1 and (.Output | test("exceeded timeout"))' \
	>/dev/null || fail "timed-out check: $("$CONTAINERV" inspect t | jq -c '.[0].State.Health.Log[-1]')"
sleep 1.5
cv 0 exec t ps -o pid,args
checks=$(grep -c 'sleep 77' <<<"$OUT" || true)
[ "$checks" -le 1 ] || fail "timed-out checks were not killed ($checks left): $OUT"
pass "a check past its timeout is killed and recorded (exit -1)"

# ---- restart on-failure:2: exactly two restarts ----
cv 0 run -d --name onfail --restart on-failure:2 busybox sh -c 'sleep 0.3; exit 3'
ids+=("$OUT")
wait_until "onfail given up" 30 sh -c "[ \"\$('$CONTAINERV' inspect -f '{{.RestartCount}} {{.State.Status}}' onfail)\" = '2 exited' ]"
sleep 1.5 # a third restart would come within the back-off (0.4 s)
[ "$(field onfail '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}')" = "2 exited 3" ] ||
	fail "on-failure:2: $(field onfail '{{.RestartCount}} {{.State.Status}}')"
[ "$(field onfail '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}')" = on-failure:2 ] ||
	fail "RestartPolicy: $(field onfail '{{json .HostConfig.RestartPolicy}}')"
cv 0 events --since "$START" --until "$(($(date +%s) + 1))" --filter container=onfail --format '{{.Action}}'
[ "$(grep -cx restart <<<"$OUT")" = 2 ] || fail "events: not 2 restarts: $OUT"
[ "$(grep -cx die <<<"$OUT")" = 3 ] || fail "events: not 3 deaths: $OUT"
pass "on-failure:2 restarts exactly twice (inspect and events agree)"

# ---- restart always: after a kill, not after a stop ----
cv 0 run -d --name a --restart always busybox sleep 600
ids+=("$OUT")
cv 0 kill a
wait_until "a restarted" 30 sh -c "[ \"\$('$CONTAINERV' inspect -f '{{.RestartCount}} {{.State.Status}}' a)\" = '1 running' ]"
cv 0 stop -t 1 a
sleep 1.5
[ "$(field a '{{.RestartCount}} {{.State.Status}}')" = "1 exited" ] ||
	fail "always after stop: $(field a '{{.RestartCount}} {{.State.Status}}')"
cv 0 start a
wait_until "a running" 10 is a '{{.State.Status}}' running
[ "$(field a '{{.RestartCount}}')" = 0 ] || fail "a user's start keeps the count: $(field a '{{.RestartCount}}')"
pass "always: restarted after a kill, not after stop; a user's start resets the count"

# ---- the events of run, stop and rm ----
# A name that is no hex prefix: a container filter also matches ids by prefix (CI: "e" matched a's id).
cv 0 run -d --name ev-x busybox sleep 600
ids+=("$OUT")
cv 0 stop -t 1 ev-x
cv 0 rm ev-x
cv 0 events --since "$START" --until "$(($(date +%s) + 1))" --filter container=ev-x --format '{{.Action}}'
[ "$(tr '\n' ' ' <<<"$OUT")" = "create start kill die stop destroy " ] || fail "events of ev-x: $OUT"
cv 0 events --since "$START" --until "$(($(date +%s) + 1))" --filter container=ev-x --filter event=die --format '{{json .}}'
jq -e '.Actor.Attributes.exitCode == "143" and .Actor.Attributes.name == "ev-x" and .Type == "container"' <<<"$OUT" \
	>/dev/null || fail "die event: $OUT"
# Followed live: an event made after the reader started arrives.
"$CONTAINERV" events --filter event=create --format '{{.Actor.Attributes.name}}' >"$TEST_TMP/live" &
reader=$!
sleep 0.5
cv 0 create --name live busybox true
ids+=("$OUT")
wait_until "the live event" 10 grep -qx live "$TEST_TMP/live"
kill $reader
wait $reader 2>/dev/null || true
pass "events: create start kill die stop destroy, with exit code; followed live"

# ---- compose: service_healthy orders the start; an unhealthy dependency fails up ----
app=$TEST_TMP/app
mkdir -p "$app"
cat >"$app/compose.yaml" <<'YAML'
name: sup
services:
  db:
    image: busybox
    command: sh -c 'sleep 1; touch /tmp/ready; exec sleep 600'
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 200ms
      start_period: 30s
      start_interval: 200ms
      retries: 2
    network_mode: none
  web:
    image: busybox
    command: sleep 600
    stop_signal: SIGKILL
    network_mode: none
    restart: always
    depends_on:
      db: {condition: service_healthy}
YAML
COMPOSE_START=$(date +%s)
"$CONTAINERV" compose -f "$app/compose.yaml" events --json >"$TEST_TMP/compose-events" &
compose_reader=$!
sleep 0.5
cv 0 compose -f "$app/compose.yaml" up -d
[[ "$ERR" != *"health checks do not run"* ]] || fail "compose still warns: $ERR"
is sup-db-1 '{{.State.Health.Status}}' healthy || fail "db not healthy after up"
cv 0 events --since "$COMPOSE_START" --until "$(($(date +%s) + 1))" --format '{{.Action}} {{.Actor.Attributes.name}}'
healthy_at=$(grep -nx 'health_status: healthy sup-db-1' <<<"$OUT" | head -1 | cut -d: -f1)
web_at=$(grep -nx 'start sup-web-1' <<<"$OUT" | head -1 | cut -d: -f1)
[ -n "$healthy_at" ] && [ -n "$web_at" ] && [ "$web_at" -gt "$healthy_at" ] ||
	fail "web did not start after db was healthy: $OUT"
[ "$(field sup-web-1 '{{.HostConfig.RestartPolicy.Name}}')" = always ] || fail "compose restart not applied"
wait_until "compose events" 10 grep -q '"service":"web"' "$TEST_TMP/compose-events"
kill $compose_reader
wait $compose_reader 2>/dev/null || true
grep '"action":"health_status: healthy"' "$TEST_TMP/compose-events" | jq -e '.service == "db" and .id != ""' \
	>/dev/null || fail "compose events: $(cat "$TEST_TMP/compose-events")"
cv 0 compose -f "$app/compose.yaml" up --wait
cv 0 compose -f "$app/compose.yaml" down
cat >"$app/bad.yaml" <<'YAML'
name: bad
services:
  db:
    image: busybox
    command: sleep 600
    stop_signal: SIGKILL
    network_mode: none
    healthcheck: {test: ["CMD", "false"], interval: 200ms, retries: 1}
  web:
    image: busybox
    command: sleep 600
    network_mode: none
    depends_on:
      db: {condition: service_healthy}
YAML
cv 125 compose -f "$app/bad.yaml" up -d
[[ "$ERR" == *"bad-db-1 is unhealthy"* ]] || fail "unhealthy dependency not named: $ERR"
cv 0 ps -aq --filter name=bad-
[ -z "$OUT" ] || fail "a failed up left containers: $OUT"
pass "compose: web starts after db is healthy; an unhealthy db fails up naming bad-db-1"

# ---- nothing left: no supervisor after rm ----
assert_supervision_clean "supervise"
pass "no supervisor, container or state left"
