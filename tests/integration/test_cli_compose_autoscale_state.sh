#!/usr/bin/env bash
# compose autoscaling of a service with no published port, and what the balancer process shows:
#   - the project's balancer process exists for an autoscaled service without a port (it used to
#     exist only for balanced ports), and scales it up under CPU load (replicas limited to 0.2 CPU);
#   - compose ps shows the autoscale state: an AUTOSCALE column only when a service autoscales
#     ("-" for the others), and "Autoscale" in --format json for that service's containers only;
#   - the process's stderr is lb.log in the project's state directory (not /dev/null), bounded:
#     past 1 MiB it becomes lb.log.1 and a new one is begun;
#   - a manual compose scale is serialised with autoscaling changes through the service's scale
#     lock (scale@SERVICE): held, the manual scale waits; released, it applies, and autoscaling stays
#     paused (no fight: the count stays where the user put it under load).
#
# Needs root and jq, flock (util-linux). Environment: CONTAINERV, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
command -v flock >/dev/null || fail "flock is needed (util-linux)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")
trap '"$CONTAINERV" compose -p asstate down >/dev/null 2>&1 || true; cleanup' EXIT

app=$TEST_TMP/asstate
mkdir -p "$app"
cat >"$app/compose.yaml" <<'YAML'
name: asstate
services:
  burner:
    image: busybox
    command: sh -c 'end=$$(($$(date +%s) + 120)); while [ $$(date +%s) -lt $$end ]; do :; done; exec sleep 600'
    stop_grace_period: 1s
    deploy:
      resources: {limits: {cpus: "0.2"}}
    x-containerv:
      autoscale: {min: 1, max: 3, cpu_percent: 5, scale_up_cooldown: 1s, scale_down_cooldown: 600s}
  other:
    image: busybox
    command: sleep 600
    stop_grace_period: 1s
YAML
compose() { cv "$1" compose -f "$app/compose.yaml" "${@:2}"; }
state=$CONTAINERV_ROOT/compose/asstate
running() { "$CONTAINERV" compose -f "$app/compose.yaml" ps --format json | jq '[.[] | select(.Service == "burner" and .State == "running")] | length'; }
running_is() { [ "$(running)" = "$1" ]; }
balancer_pid() { jq -r .pid "$state/lb.json"; }
serving() { [ -e "$state/lb.lock" ] && ! flock -n -s "$state/lb.lock" true; }
# until DESCRIPTION SECONDS COMMAND...: as wait_until, bounded by the clock (each try runs compose ps).
until_ok() {
	local what=$1 end=$((SECONDS + $2))
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || fail "timed out waiting for $what (status: $(cat "$state/lb-status.json" 2>/dev/null))"
		sleep 0.5
	done
}

compose 0 up -d
wait_for "the balancer process of a project without a published port" serving
autoscale_shown() {
	"$CONTAINERV" compose -f "$app/compose.yaml" ps --format json |
		jq -e 'map(select(.Service == "burner"))[0].Autoscale | .Min == 1 and .Max == 3' >/dev/null
}
until_ok "ps --format json to show burner's autoscale state" 30 autoscale_shown
compose 0 ps --format json
[ "$(jq -r 'map(select(.Service == "other"))[0] | has("Autoscale")' <<<"$OUT")" = false ] ||
	fail "ps --format json: Autoscale on a service without it: $OUT"
compose 0 ps
head -1 <<<"$OUT" | grep -q 'AUTOSCALE$' || fail "ps: no AUTOSCALE column: $OUT"
grep -E '^asstate-burner-1 .* [0-9]+ in 1-3' <<<"$OUT" >/dev/null || fail "ps: burner's autoscale cell: $OUT"
grep -E '^asstate-other-1 .* -$' <<<"$OUT" >/dev/null || fail "ps: other's autoscale cell is not -: $OUT"
pass "ps shows the autoscale state: a column and Autoscale in json, for the autoscaled service only"

until_ok "CPU load to scale burner to 3 without a published port" 150 running_is 3
pass "a service without a published port autoscales (1 -> 3 under CPU load)"

pid=$(balancer_pid)
[ "$(readlink "/proc/$pid/fd/2")" = "$state/lb.log" ] || fail "the balancer's stderr is $(readlink "/proc/$pid/fd/2")"
head -c $((1100 * 1024)) /dev/zero | tr '\0' x >>"$state/lb.log"
rotated() { [ -f "$state/lb.log.1" ] && [ "$(stat -c %s "$state/lb.log")" -lt $((1024 * 1024)) ] && [ "$(readlink "/proc/$pid/fd/2")" = "$state/lb.log" ]; }
wait_for "lb.log to be rotated past 1 MiB" rotated
pass "the balancer's stderr goes to lb.log in the project's state directory, rotated past 1 MiB"

# The scale lock held (as an autoscaling change holds it): a manual scale waits for it.
exec 9>"$state/scale@burner"
flock 9
# 9>&-: the scale must not inherit the test's hold on the lock (a flock belongs to the open file).
"$CONTAINERV" compose -f "$app/compose.yaml" scale burner=1 >"$TEST_TMP/scale.out" 2>&1 9>&- &
manual=$!
sleep 3
kill -0 "$manual" 2>/dev/null || fail "the manual scale did not wait for the scale lock: $(cat "$TEST_TMP/scale.out")"
running_is 3 || fail "the manual scale changed the count while the lock was held: $(running)"
exec 9>&-
timeout 120 tail --pid="$manual" -f /dev/null || fail "the manual scale did not end after the lock was released"
wait_code "$manual"
[ "$CODE" = 0 ] || fail "manual scale: exit $CODE: $(cat "$TEST_TMP/scale.out")"
running_is 1 || fail "after the manual scale: $(running) running"
paused() { "$CONTAINERV" compose -f "$app/compose.yaml" ps --format json | jq -e 'map(select(.Service == "burner"))[0].Autoscale.Paused' >/dev/null; }
until_ok "ps to show burner's autoscaling paused" 20 paused
sleep 4 # under load, with a 1 s cooldown: a fight would have scaled up again by now
running_is 1 || fail "autoscaling fought the manual scale: $(running) running"
pass "a manual scale waits for the scale lock, then holds (autoscaling paused)"

compose 0 down
! serving || fail "down left the balancer process"
assert_clean "compose autoscale state"
pass "down leaves nothing"
