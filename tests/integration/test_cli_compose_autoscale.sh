#!/usr/bin/env bash
# compose autoscaling (x-containerv.autoscale), on real busybox httpd replicas behind the project's
# balancer, with CGI scripts that burn CPU (burn) or hold the connection a second (slow):
#   - a CPU-burning load through the balancer raises the replicas from min (1) to max (3);
#   - a new replica joins the rotation only once its health check says healthy;
#   - idle brings them back to min; the scale events (containerv events, type scale) are few and
#     in order: ups under load, downs when idle, none once settled (no flapping);
#   - a manual compose scale pauses the autoscaling (it keeps 3 idle replicas) until the next up;
#   - scale 3 -> 1 under load drains first: no established connection is dropped;
# Cooldowns of 2-3 s keep it short; every wait is bounded and generous (the host is loaded).
#
# Needs root, jq and python3 (lb-client.py). Environment: CONTAINERV, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/network-lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")
ip link set lo up 2>/dev/null || true
CLIENT="python3 $(dirname "$0")/lb-client.py"
P=$(pick_port_prefix)
loads=()
stop_loads() { for pid in "${loads[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; loads=(); }
trap 'stop_loads; "$CONTAINERV" compose -p asapp down >/dev/null 2>&1 || true; cleanup' EXIT
START=$(date +%s)

app=$TEST_TMP/asapp
mkdir -p "$app/www/cgi-bin"
# burn: about 0.2 s of one CPU per request; slow: a second's wait. Both answer the replica's name.
cat >"$app/www/cgi-bin/burn" <<'SH'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
i=0
while [ $i -lt 20000 ]; do i=$((i + 1)); done
hostname
SH
cat >"$app/www/cgi-bin/slow" <<'SH'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
sleep 1
hostname
SH
cat >"$app/www/cgi-bin/name" <<'SH'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
hostname
SH
chmod 0755 "$app/www/cgi-bin/"*
# Healthy 2 s after the start: a replica that serves but is not healthy yet must get no traffic.
cat >"$app/compose.yaml" <<YAML
name: asapp
services:
  web:
    image: busybox
    stop_grace_period: 8s
    command: sh -c '(sleep 2; touch /tmp/ready) & exec httpd -f -p 80 -h /www'
    volumes: ["./www:/www:ro"]
    ports: ["127.0.0.1:${P}01:80"]
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 1s, retries: 1}
    x-containerv:
      lb: {probe_interval: 200ms}
      autoscale: {min: 1, max: 3, cpu_percent: 25, scale_up_cooldown: 2s, scale_down_cooldown: 3s}
YAML
compose() { cv "$1" compose -f "$app/compose.yaml" "${@:2}"; }
state=$CONTAINERV_ROOT/compose/asapp
running() { "$CONTAINERV" compose -f "$app/compose.yaml" ps --format json | jq '[.[] | select(.Service == "web" and .State == "running")] | length'; }
running_is() { [ "$(running)" = "$1" ]; }
in_rotation() { jq '.[0].backends | map(select(.state == 0)) | length' "$state/lb-status.json"; }
in_rotation_is() { [ "$(in_rotation)" = "$1" ]; }
# answering N: how many different replicas answer N requests (none failing).
answering() { LB_CLIENT_PATH=/cgi-bin/name $CLIENT count 127.0.0.1 ${P}01 "$1" | awk '$1 == "failed" {bad = 1} END {if (bad) print 0; else print NR}'; }
answering_is() { [ "$(answering "$2")" = "$1" ]; }
# The scale events since the test began, one "ACTION FROM TO TRIGGER" line each.
scale_events() {
	cv 0 events --since "$START" --until "$(($(date +%s) + 1))" --filter type=scale --format json
	jq -r '"\(.Action) \(.Actor.Attributes.from) \(.Actor.Attributes.to) \(.Actor.Attributes.trigger)"' <<<"$OUT"
}
# Every backend the balancer has in rotation (state 0, up) must be healthy: prints the offenders.
unhealthy_in_rotation() {
	local name
	for name in $(jq -r '.[] | .backends[] | select(.state == 0) | .container' "$state/lb-status.json" 2>/dev/null); do
		[ "$("$CONTAINERV" inspect "$name" 2>/dev/null | jq -r '.[0].State.Health.Status')" = healthy ] || echo "$name"
	done
}

# ---- up: min replicas, the balancer serving them ----
compose 0 up -d
[ "$(running)" = 1 ] || fail "up did not make min (1) replica: $(running)"
jq -e '.plan[0].autoscale.max == 3 and (.plan[0].model | length) > 0' "$state/lb.json" >/dev/null ||
	fail "plan: $(cat "$state/lb.json")"
WAIT_SECONDS=30 wait_for "web-1 healthy behind the balancer" answering_is 1 1
pass "up makes min replicas of an autoscaled service, served by the project's balancer"

# ---- load: up to max, new replicas in rotation only once healthy ----
for i in 1 2 3; do
	LB_CLIENT_PATH=/cgi-bin/burn $CLIENT load 127.0.0.1 ${P}01 90 >"$TEST_TMP/burn$i.out" &
	loads+=($!)
done
offenders=""
for _ in $(seq 300); do # at most 60 s
	offenders+=$(unhealthy_in_rotation)
	running_is 3 && in_rotation_is 3 && break
	sleep 0.2
done
[ "$(running)" = 3 ] || fail "load did not raise web to 3 replicas: $(running); status $(cat "$state/lb-status.json")"
[ -z "$offenders" ] || fail "replicas in rotation before they were healthy: $offenders"
WAIT_SECONDS=20 wait_for "all three replicas answering" answering_is 3 9
sleep 4 # more than the up cooldown, still under load: nothing beyond max, nothing down
[ "$(running)" = 3 ] || fail "under load the count moved off max: $(running)"
events=$(scale_events)
grep -q "scale_down" <<<"$events" && fail "a scale down under load: $events"
ups=$(grep -c "^scale_up .* autoscale$" <<<"$events" || true)
[ "$ups" -ge 1 ] && [ "$ups" -le 2 ] || fail "scale ups to reach 3: $ups: $events"
[ "$(tail -n1 <<<"$events" | cut -d' ' -f3)" = 3 ] || fail "the last scale event is not to 3: $events"
stop_loads
served=$(cat "$TEST_TMP"/burn*.out | grep -v failed | awk '{print $2}' | sort | uniq -c)
[ "$(wc -l <<<"$served")" = 3 ] || fail "the load reached other than 3 replicas: $served"
pass "a CPU-burning load raises web from 1 to max (3) in $ups step(s); new replicas take traffic once healthy"

# ---- idle: back to min, then quiet ----
# Idle: only the health checks' execs (one a second a replica) are left, well under 25 % of a CPU even
# under ASan. Two steps down, each after the 3 s cooldown, a drain and a removal.
WAIT_UNTIL_DETAIL='running; cat "$state/lb-status.json"' WAIT_SECONDS=120 wait_for "idle to bring web back to 1" running_is 1
sleep 7 # more than both cooldowns: a flapping autoscaler would move now
[ "$(running)" = 1 ] || fail "idle: the count moved again: $(running)"
events=$(scale_events)
downs=$(grep -c "^scale_down .* autoscale$" <<<"$events" || true)
[ "$downs" -ge 1 ] && [ "$downs" -le 2 ] || fail "scale downs to reach 1: $downs: $events"
[ "$(grep -c autoscale <<<"$events")" = $((ups + downs)) ] || fail "unexpected scale events: $events"
# In order: every up before every down (no flapping), the last one to 1.
[ "$(awk '{print $1}' <<<"$events" | uniq | tr '\n' ' ')" = "scale_up scale_down " ] || fail "events out of order: $events"
[ "$(tail -n1 <<<"$events" | cut -d' ' -f3)" = 1 ] || fail "the last scale event is not to 1: $events"
pass "idle brings web back to min (1); $((ups + downs)) scale events in all, no flapping"

# ---- a manual scale pauses the autoscaling until the next up ----
compose 0 scale web=3
WAIT_SECONDS=30 wait_for "three replicas in rotation" in_rotation_is 3
sleep 5 # idle for longer than the down cooldown: a running autoscaler would scale down now
[ "$(running)" = 3 ] || fail "the autoscaler undid a manual scale: $(running)"
jq -e '.[0].autoscale.paused == true' "$state/lb-status.json" >/dev/null || fail "status not paused: $(cat "$state/lb-status.json")"
scale_events | grep -q "^scale_up 1 3 manual$" || fail "no manual scale event: $(scale_events)"
pass "a manual compose scale pauses the autoscaling (3 idle replicas kept)"

# ---- scale 3 -> 1 under load: the removed replicas drain first ----
for i in 1 2 3 4; do
	LB_CLIENT_PATH=/cgi-bin/slow $CLIENT load 127.0.0.1 ${P}01 15 >"$TEST_TMP/slow$i.out" &
	loads+=($!)
done
# Connections open on every replica (the clients take seconds to start on a loaded host).
busy_is() { [ "$(jq '.[0].backends | map(select(.state == 0 and .active > 0)) | length' "$state/lb-status.json")" = "$1" ]; }
WAIT_SECONDS=20 wait_for "connections open on the three replicas" busy_is 3
compose 0 scale web=1
grep -q 'asapp-web-3  Removed' <<<"$ERR" && grep -q 'asapp-web-2  Removed' <<<"$ERR" || fail "scale to 1: $ERR"
for pid in "${loads[@]}"; do wait "$pid" || true; done
loads=()
failed=$(cat "$TEST_TMP"/slow*.out | grep -c failed || true)
answered=$(cat "$TEST_TMP"/slow*.out | grep -vc failed || true)
[ "$failed" = 0 ] || fail "scale 3 -> 1 under load failed $failed of $((failed + answered)) requests"
[ "$answered" -gt 20 ] || fail "too few answers under load: $answered"
served=$(cat "$TEST_TMP"/slow*.out | grep -v failed | awk '{print $2}' | sort | uniq -c)
[ "$(wc -l <<<"$served")" = 3 ] || fail "the load did not reach the 3 replicas before the scale: $served"
[ "$(running)" = 1 ] || fail "scale to 1: $(running)"
pass "scale 3 -> 1 under load: $answered requests, none failed (drained before the stop)"

# ---- up resumes the autoscaling ----
compose 0 up -d
WAIT_SECONDS=10 wait_for "the autoscaling to resume" jq -e '.[0].autoscale.paused == false' "$state/lb-status.json"
# drain@ and autoscale-paused@ marks go; scale@SERVICE is the scale lock's file (not a mark) and stays.
ls "$state" | grep '@' | grep -qv '^scale@' && fail "marks left after up: $(ls "$state" | tr '\n' ' ')"
pass "the next up resumes the autoscaling"

# ---- down: nothing left ----
pid=$(jq -r .pid "$state/lb.json")
compose 0 down
! kill -0 "$pid" 2>/dev/null || fail "down left the balancer process $pid"
[ ! -e "$state" ] || fail "down left the balancer's state: $(ls -la "$state")"
assert_clean "compose down"
pass "compose down stops the balancer and leaves nothing"
