#!/usr/bin/env bash
# Faults around supervision and compose (issue 11): (1) the supervisors SIGKILLed while a service
# restarts (its container exited, within the restart delay) and while another runs with a health
# check: nothing restarts or checks them meanwhile, and the next `compose up -d` converges (the
# exited one started again, the running one adopted: one new supervisor each, checks and
# restarts resume); `compose start`, `pause` and `unpause` adopt too; (2) `compose down` SIGKILLed at growing delays (fault-lib.sh): each time the
# next `compose down` converges and nothing is left (containers, supervisors, networks, bridges,
# nft tables, state files). deploy.restart_policy's delay is measured on the way.
#
# Needs root, jq, nft. FAULT_STEPS (default 6): steps per duration.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault-lib.sh"
for tool in jq nft timeout; do
	command -v "$tool" >/dev/null || fail "$tool is needed (scripts/install-deps.sh)"
done
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")

source "$(dirname "$0")/supervise-lib.sh"

# The baseline after one named container came and went (the root's stores and names exist then).
cv 0 run --rm --name fbase busybox true
fault_baseline

# ---- (1) supervisors SIGKILLed; the next up adopts ----
app=$TEST_TMP/app
mkdir -p "$app"
cat >"$app/compose.yaml" <<'YAML'
name: fsup
services:
  flap:
    image: busybox
    command: sh -c 'sleep 0.5; exit 1'
    network_mode: none
    restart: on-failure
    deploy:
      restart_policy: {delay: 2s}
  web:
    image: busybox
    command: sh -c 'mkdir -p /www; exec httpd -f -p 8080 -h /www'
    network_mode: none
    stop_signal: SIGKILL
    restart: always
    healthcheck: {interval: 300ms, start_interval: 300ms}
    x-containerv:
      healthcheck: {tcp: 8080}
YAML
compose() { cv 0 compose -f "$app/compose.yaml" "$@"; }
compose up -d
flap=$(field fsup-flap-1 '{{.Id}}')
web=$(field fsup-web-1 '{{.Id}}')
FAULT_SEEN_IDS+=("$flap" "$web")
wait_until "web healthy" 30 sh -c "[ \"\$('$CONTAINERV' inspect -f '{{.State.Health.Status}}' fsup-web-1)\" = healthy ]"
# The delay: two restarts 2 s apart at least (docker's back-off would be 0.1 s, then 0.2 s).
wait_until "flap restarted twice" 30 sh -c "[ \"\$('$CONTAINERV' inspect -f '{{.RestartCount}}' fsup-flap-1)\" -ge 2 ]"
cv 0 events --since "$(($(date +%s) - 60))" --until "$(($(date +%s) + 1))" --filter container=fsup-flap-1 \
	--filter event=restart --format '{{json .}}'
OUT=$(jq -r .timeNano <<<"$OUT")
gap_ms=$(awk 'NR > 1 { d = ($1 - last) / 1000000; if (min == "" || d < min) min = d } { last = $1 } END { printf "%d", min }' <<<"$OUT")
[ "$gap_ms" -ge 2000 ] || fail "restarts ${gap_ms} ms apart, delay 2s: $OUT"
echo "# deploy.restart_policy.delay 2s: restarts at least ${gap_ms} ms apart"
# Kill flap's supervisor while it waits out the delay (the container exited), and web's while it runs.
wait_until "flap exited, within its delay" 30 sh -c "[ \"\$('$CONTAINERV' inspect -f '{{.State.Status}}' fsup-flap-1)\" = exited ]"
[ -n "$(supervisors_of "$flap")" ] && [ -n "$(supervisors_of "$web")" ] || fail "no supervisors to kill"
kill -9 $(supervisors_of "$flap") $(supervisors_of "$web")
wait_until "the supervisors gone" 10 sh -c "[ -z \"\$(pgrep -f '^containerv-supervise $CONTAINERV_ROOT ')\" ]"
count=$(field fsup-flap-1 '{{.RestartCount}}')
sleep 3
[ "$(field fsup-flap-1 '{{.State.Status}} {{.RestartCount}}')" = "exited $count" ] ||
	fail "flap restarted without a supervisor: $(field fsup-flap-1 '{{.State.Status}} {{.RestartCount}}')"
ADOPTED=$(date +%s)
# The next command converges: flap started again, web adopted; one supervisor each.
compose up -d
wait_until "a supervisor for web" 10 sh -c "[ -n \"\$(pgrep -f '^containerv-supervise $CONTAINERV_ROOT $web\$')\" ]"
# Checked again: the adopting supervisor starts a fresh health (starting), then its probe says healthy.
web_checked() {
	"$CONTAINERV" events --since "$ADOPTED" --until "$(($(date +%s) + 1))" --filter container=fsup-web-1 \
		--filter event=health_status --format '{{.Action}}' | grep -qx 'health_status: healthy'
}
wait_until "a new check of web" 20 web_checked
wait_until "flap restarting again" 30 sh -c "[ \"\$('$CONTAINERV' inspect -f '{{.RestartCount}}' fsup-flap-1)\" -ge 1 ]"
[ "$(supervisors_of "$web" | wc -l)" = 1 ] || fail "web has $(supervisors_of "$web" | wc -l) supervisors"
n=$(supervisors_of "$flap" | wc -l)
[ "$n" -le 1 ] || fail "flap has $n supervisors: $(ps -o pid,ppid,lstart,args -p "$(supervisors_of "$flap" | tr '\n' ',')1")"
# An up with everything supervised starts no second one.
compose up -d
sleep 1
[ "$(supervisors_of "$web" | wc -l)" = 1 ] || fail "a second up doubled web's supervisor"
# compose start adopts too.
kill -9 $(supervisors_of "$web")
wait_until "web's supervisor gone" 10 sh -c "[ -z \"\$(pgrep -f '^containerv-supervise $CONTAINERV_ROOT $web\$')\" ]"
compose start
wait_until "web adopted by start" 10 sh -c "[ -n \"\$(pgrep -f '^containerv-supervise $CONTAINERV_ROOT $web\$')\" ]"
[ "$(supervisors_of "$web" | wc -l)" = 1 ] || fail "start: web has $(supervisors_of "$web" | wc -l) supervisors"
# So do pause and unpause (each leaves it running): an orphan paused, then unpaused, is supervised again.
kill -9 $(supervisors_of "$web")
wait_until "web's supervisor gone" 10 sh -c "[ -z \"\$(pgrep -f '^containerv-supervise $CONTAINERV_ROOT $web\$')\" ]"
compose pause web
[ "$(field fsup-web-1 '{{.State.Status}}')" = paused ] || fail "pause: web is $(field fsup-web-1 '{{.State.Status}}')"
wait_until "web adopted by pause" 10 sh -c "[ -n \"\$(pgrep -f '^containerv-supervise $CONTAINERV_ROOT $web\$')\" ]"
kill -9 $(supervisors_of "$web")
wait_until "web's supervisor gone" 10 sh -c "[ -z \"\$(pgrep -f '^containerv-supervise $CONTAINERV_ROOT $web\$')\" ]"
compose unpause web
wait_until "web adopted by unpause" 10 sh -c "[ -n \"\$(pgrep -f '^containerv-supervise $CONTAINERV_ROOT $web\$')\" ]"
[ "$(supervisors_of "$web" | wc -l)" = 1 ] || fail "unpause: web has $(supervisors_of "$web" | wc -l) supervisors"
compose down
wait_until "no supervisor" 20 sh -c "[ -z \"\$(pgrep -f '^containerv-supervise $CONTAINERV_ROOT ')\" ]"
fault_assert_baseline "supervisors killed"
pass "supervisors SIGKILLed mid-restart and mid-run: nothing restarts meanwhile; the next up adopts (one supervisor each), down leaves nothing"

# ---- (2) compose down SIGKILLed at growing delays ----
cat >"$app/down.yaml" <<'YAML'
name: fdown
services:
  db:
    image: busybox
    command: sleep 1000
    stop_signal: SIGKILL
    restart: always
    healthcheck: {test: "true", interval: 500ms}
  api:
    image: busybox
    command: sleep 1000
    stop_signal: SIGKILL
    restart: always
    depends_on: [db]
  front:
    image: busybox
    command: sleep 1000
    stop_signal: SIGKILL
    depends_on: [api]
YAML
prepare_app() {
	cv 0 compose -f "$app/down.yaml" up -d
	fault_note_ids
}
# (Its error shown when it fails other than by the kill: fault-lib drops the operation's output.)
op_down() {
	local status=0
	fault_run compose -f "$app/down.yaml" down 2>"$TEST_TMP/down.err" || status=$?
	[ "$status" = 0 ] || [ "$status" = 137 ] || echo "compose down: exit $status: $(cat "$TEST_TMP/down.err")" >&2
	return "$status"
}
converge_down() {
	cv 0 compose -f "$app/down.yaml" down
	cv 0 compose -f "$app/down.yaml" ps -a -q
	[ -z "$OUT" ] || fail "down after a killed down left: $OUT"
	wait_until "no supervisor after down" 20 sh -c "[ -z \"\$(pgrep -f '^containerv-supervise $CONTAINERV_ROOT ')\" ]"
}
nothing() { :; }
fault_kill_steps "compose down" prepare_app op_down converge_down nothing
