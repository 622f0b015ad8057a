#!/usr/bin/env bash
# compose and the load balancer: a published port of a service with 3 busybox httpd replicas (each
# answering its hostname) is served by one balancer process of the project, started by up, shown by
# ps, stopped by down. Checked on real connections: round robin within +-1, weights 1:2:3 within 5%
# (the algorithm from the label, the weights from x-containerv.lb), a replica killed under load costs
# no failed request after the first health interval and gets traffic again once started, replicas
# leaving (3 -> 2) and joining (2 -> 3) by up, down leaves no balancer process and nothing else;
# bad x-containerv input is one line naming the key.
#
# Needs root, jq and python3 (lb-client.py). Environment: CONTAINERV, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/network-lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")
ip link set lo up 2>/dev/null || true
CLIENT="python3 $(dirname "$0")/lb-client.py"
P=$(pick_port_prefix)
trap '"$CONTAINERV" compose -p lbapp down >/dev/null 2>&1 || true; cleanup' EXIT

app=$TEST_TMP/lbapp
mkdir -p "$app"
write_app() { # WEB_REPLICAS
	cat >"$app/compose.yaml" <<YAML
name: lbapp
x-httpd: &httpd
  image: busybox
  stop_grace_period: 1s
  command: sh -c 'mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 80 -h /www'
services:
  web:
    <<: *httpd
    ports: ["127.0.0.1:${P}01:80"]
    deploy: {replicas: $1}
    x-containerv: {lb: {probe_interval: 200ms}}
  api:
    <<: *httpd
    ports: ["127.0.0.1:${P}02:80"]
    labels: {containerv.lb.algorithm: weighted}
    deploy: {replicas: 3}
    x-containerv: {lb: {weights: [1, 2, 3]}}
YAML
}
compose() { cv "$1" compose -f "$app/compose.yaml" "${@:2}"; }
count_of() { awk -v n="$2" '$1 == n {print $2; found = 1} END {if (!found) print 0}' <<<"$1"; }
hostname_of() { cv 0 exec "$1" hostname && echo "$OUT"; }

# ---- up: one balancer process for the project, recorded in its state ----
write_app 3
compose 0 up -d
grep -q 'Balancer lbapp  Started' <<<"$ERR" || fail "up did not start the balancer: $ERR"
state=$CONTAINERV_ROOT/compose/lbapp
pid=$(jq -r .pid "$state/lb.json")
kill -0 "$pid" || fail "the recorded balancer ($pid) does not run"
[ "$(jq -r '.plan | map("\(.service) \(.published) \(.algorithm)") | join(",")' "$state/lb.json")" = \
	"web ${P}01 round_robin,api ${P}02 weighted" ] || fail "plan: $(cat "$state/lb.json")"
for i in 1 2 3; do
	web[$i]=$(hostname_of lbapp-web-$i)
	api[$i]=$(hostname_of lbapp-api-$i)
done
answers() { [ "$(curl -s --max-time 2 http://127.0.0.1:$1/ | sort -u | wc -l)" = 1 ]; }
wait_for "web's balancer" answers ${P}01
# The replicas publish nothing themselves: the balancer has the port.
cv 0 inspect lbapp-web-1
[ "$(jq -c '.[0].NetworkSettings.Ports // {} | map_values(select(. != null)) | length' <<<"$OUT")" = 0 ] ||
	fail "a replica publishes the balanced port itself: $(jq -c '.[0].NetworkSettings.Ports' <<<"$OUT")"
pass "compose up starts one balancer process for the project's balanced ports"

# ---- round robin (the default) within +-1; weighted 1:2:3 from the label and x-containerv within 5% ----
wait_for "every web replica behind the balancer" bash -c "[ \"\$($CLIENT count 127.0.0.1 ${P}01 6 | grep -vc failed)\" = 3 ]"
out=$($CLIENT count 127.0.0.1 ${P}01 300)
[ "$(count_of "$out" failed)" = 0 ] || fail "round robin: failed requests: $out"
for i in 1 2 3; do
	n=$(count_of "$out" "${web[$i]}")
	[ "$n" -ge 99 ] && [ "$n" -le 101 ] || fail "round robin: web-$i got $n of 300: $out"
done
pass "round robin over 3 replicas: 300 requests within +-1"
out=$(LB_CLIENT_PARALLEL=4 $CLIENT count 127.0.0.1 ${P}02 3000)
[ "$(count_of "$out" failed)" = 0 ] || fail "weighted: failed requests: $out"
for i in 1 2 3; do
	n=$(count_of "$out" "${api[$i]}")
	want=$((500 * i))
	[ "$n" -ge $((want * 95 / 100)) ] && [ "$n" -le $((want * 105 / 100)) ] || fail "weighted: api-$i got $n, want $want: $out"
done
pass "weighted 1:2:3 (label and x-containerv.lb.weights): 3000 requests within 5%"

# ---- ps: the balancer's backends and their counters ----
sleep 1.2 # the status is written every second
compose 0 ps
grep -Eq "^web 127\.0\.0\.1:${P}01/tcp +round_robin +lbapp-web-1 .* up +(9[89]|[1-9][0-9]{2}) " <<<"$OUT" || fail "ps: web-1's counters: $OUT"
[ "$(grep -c "^api 127.0.0.1:${P}02/tcp  *weighted .* up " <<<"$OUT")" = 3 ] || fail "ps: api's backends: $OUT"
cv 0 metrics
labels="project=\"lbapp\",service=\"web\",listen=\"127.0.0.1:${P}01/tcp\",backend=\"lbapp-web-1\""
grep -Eq "^containerv_lb_connections_total\{$labels\} (9[89]|[1-9][0-9]{2})$" <<<"$OUT" || fail "metrics: web-1's connections: $(grep lbapp-web-1 <<<"$OUT")"
grep -Eq "^containerv_lb_backend_up\{$labels\} 1$" <<<"$OUT" || fail "metrics: web-1 not up: $(grep lbapp-web-1 <<<"$OUT")"
grep -Eq "^containerv_lb_first_byte_seconds_count\{$labels\} (9[89]|[1-9][0-9]{2})$" <<<"$OUT" || fail "metrics: web-1's latency: $(grep first_byte <<<"$OUT" | head)"
grep -q "^containerv_lb_first_byte_seconds_bucket{$labels,le=\"+Inf\"} " <<<"$OUT" || fail "metrics: no +Inf bucket"
pass "compose ps and containerv metrics show every backend's state, counters and latency"

# ---- a replica killed under load: no failure after the first health interval; back once started ----
$CLIENT load 127.0.0.1 ${P}01 6 >"$TEST_TMP/load.out" &
load=$!
sleep 1.5
kill_sent_at=$(date +%s.%N)
cv 0 kill lbapp-web-2
killed_at=$(date +%s.%N)
sleep 2
cv 0 start lbapp-web-2
wait $load
failed=$(awk -v s="$kill_sent_at" -v k="$killed_at" '$NF == "failed" && ($1 < s || $1 > k + 0.5)' "$TEST_TMP/load.out" | wc -l)
[ "$failed" = 0 ] || fail "a killed replica failed $failed requests after the first interval: $(grep failed "$TEST_TMP/load.out" | head -3)"
[ "$(grep -vc failed "$TEST_TMP/load.out")" -gt 20 ] || fail "load: too few answers: $(wc -l <"$TEST_TMP/load.out")"
web[2]=$(hostname_of lbapp-web-2)
wait_for "web-2 to get traffic again" bash -c "$CLIENT count 127.0.0.1 ${P}01 6 | grep -q '^${web[2]} '"
pass "a replica killed under load: no failed request after the first interval; back in rotation once started"

# ---- replicas leave (3 -> 2) and join (2 -> 3) ----
write_app 2
compose 0 up -d
grep -q 'Balancer lbapp  Running' <<<"$ERR" || fail "up with the same ports replaced the balancer: $ERR"
[ "$(jq -r .pid "$state/lb.json")" = "$pid" ] || fail "the balancer was replaced"
out=$($CLIENT count 127.0.0.1 ${P}01 60)
[ "$(count_of "$out" failed)" = 0 ] && [ "$(count_of "$out" "${web[3]}")" = 0 ] || fail "3 -> 2: $out"
write_app 3
compose 0 up -d
web[3]=$(hostname_of lbapp-web-3)
wait_for "the new web-3 to get traffic" bash -c "$CLIENT count 127.0.0.1 ${P}01 6 | grep -q '^${web[3]} '"
pass "replicas leaving and joining are picked up by the running balancer"

# ---- bad input: one line naming the key, nothing made ----
bad() { # YAML-FRAGMENT EXPECTED
	printf 'name: badlb\nservices:\n  s:\n    image: busybox\n    ports: ["%s01:80"]\n%s\n' "$P" "$1" >"$TEST_TMP/bad.yaml"
	cv 125 compose -f "$TEST_TMP/bad.yaml" up -d
	one_error_line "$2"
}
bad '    x-containerv: {lb: {algorithm: fastest}}' 'services.s.x-containerv.lb.algorithm: unknown load-balancing algorithm "fastest"'
bad '    x-containerv: {lb: {weights: [1, -2]}}' 'services.s.x-containerv.lb.weights[1]: a weight must be a whole number'
bad '    labels: {containerv.lb.algorithm: nope}' 'services.s.labels.containerv.lb.algorithm'
bad '    x-containerv: {autoscale: {min: 4, max: 2, cpu_percent: 50}}' 'services.s.x-containerv.autoscale.min: 4 is above max (2)'
bad '    x-containerv: {autoscale: {min: 1, max: 3, cpu_percent: -5}}' 'services.s.x-containerv.autoscale.cpu_percent'
bad '    x-containerv: {autoscale: {max: 3, cpu_percent: 50, scale_up_cooldown: -1}}' 'services.s.x-containerv.autoscale.scale_up_cooldown'
bad '    x-containerv: {autoscale: {max: 3, cpu_percent: 50, burst: 2}}' 'services.s.x-containerv.autoscale.burst: unknown key'
cv 0 compose -p badlb ps -a --format json
[ "$OUT" = "[]" ] || fail "bad input made containers: $OUT"
pass "bad x-containerv input: one line naming the key"

# ---- down: the balancer process ends, its state goes, nothing is left ----
compose 0 down
grep -q 'Balancer lbapp  Stopped' <<<"$ERR" || fail "down did not report the balancer: $ERR"
! kill -0 "$pid" 2>/dev/null || fail "down left the balancer process $pid"
[ ! -e "$state" ] || fail "down left the balancer's state: $(ls -la "$state")"
curl -s --max-time 2 http://127.0.0.1:${P}01/ && fail "something still serves ${P}01"
assert_clean "compose down"
pass "compose down stops the balancer and leaves nothing"
