#!/usr/bin/env bash
# Health checks that run no process in the container (containerv's --health-http/--health-tcp and
# compose's x-containerv.healthcheck): the supervisor probes from the container's network namespace
# (the containers here have --network none: only that namespace's loopback reaches their servers).
# HTTP healthy on 200 with a body match, unhealthy on 404 and on a body that does not match (the
# reasons in State.Health.Log), an expected status honoured, TCP healthy on a listener and unhealthy
# on a refusal, a probe past its timeout recorded as -1; compose's probe orders depends_on
# service_healthy; bad input refused with one line (125); nothing left.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")

source "$(dirname "$0")/supervise-lib.sh"
WAIT_UNTIL_DETAIL='"$CONTAINERV" inspect "${WAITED:-x}" 2>/dev/null | jq -c ".[0].State.Health"'
is() { WAITED=$1; [ "$(field "$1" "$2")" = "$3" ]; }
last_output() { "$CONTAINERV" inspect "$1" | jq -r '.[0].State.Health.Log[-1].Output'; }

# ---- bad input: one line, 125, nothing made ----
cv 125 run -d --health-http https://:8443/ busybox true
one_error_line "http://"
cv 125 run -d --health-http http://db:80/ busybox true
one_error_line "not an address"
cv 125 run -d --health-tcp 0 busybox true
one_error_line "TCP"
cv 125 run -d --health-http-status 200 busybox true
one_error_line "--health-http"
cv 125 run -d --health-cmd true --health-tcp 80 busybox true
one_error_line "one of them"
cv 125 run -d --health-http http://:80/ --health-http-status 700 busybox true
one_error_line "status"
[ -z "$("$CONTAINERV" ps -aq)" ] || fail "bad input left a container"
pass "bad input: one error line, exit 125, nothing left"

# ---- HTTP: 200 with the body, then 404, then a body that does not match ----
cv 0 run -d --name web --network none --health-http http://:8080/ready --health-http-body ok \
	--health-interval 200ms --health-retries 2 busybox \
	sh -c 'mkdir -p /www; echo all ok >/www/ready; exec httpd -f -p 8080 -h /www'
ids+=("$OUT")
wait_until "web healthy" 30 is web '{{.State.Health.Status}}' healthy
[[ "$(last_output web)" == *"status 200, body matched"* ]] || fail "healthy output: $(last_output web)"
"$CONTAINERV" inspect web | jq -e '.[0].Config.Healthcheck.Test == "HTTP http://:8080/ready body=ok"' >/dev/null ||
	fail "Config.Healthcheck: $("$CONTAINERV" inspect web | jq -c '.[0].Config.Healthcheck')"
cv 0 ps --filter name=web --format '{{.Status}}'
[[ "$OUT" == Up*"(healthy)" ]] || fail "ps: $OUT"
# Only the server runs in the container: the probe is no process of it (busybox httpd forks a copy of
# itself for each connection, so a probe being served shows as a second httpd, never as a client).
cv 0 exec web ps -o args
grep -q '^httpd -f' <<<"$OUT" || fail "no httpd in the container: $OUT"
[ "$(grep -vc -e '^COMMAND' -e '^ps' -e '^containerv-init' -e '^httpd -f -p 8080 -h /www$' <<<"$OUT")" = 0 ] ||
	fail "processes besides httpd: $OUT"
cv 0 exec web rm /www/ready
wait_until "web unhealthy (404)" 30 is web '{{.State.Health.Status}}' unhealthy
[[ "$(last_output web)" == *"status 404"* ]] || fail "404 output: $(last_output web)"
cv 0 exec web sh -c 'echo not yet >/www/ready'
wait_until "a body mismatch" 30 sh -c "'$CONTAINERV' inspect web | jq -e '.[0].State.Health.Log[-1].Output | test(\"does not contain\")'"
[ "$(field web '{{.State.Health.Status}}')" = unhealthy ] || fail "a mismatched body is healthy"
cv 0 exec web sh -c 'echo ok >/www/ready'
wait_until "web healthy again" 30 is web '{{.State.Health.Status}}' healthy
pass "HTTP: healthy on 200 with the body, unhealthy on 404 and on a body without it, healthy again"

# ---- HTTP: an expected status ----
cv 0 run -d --name gone --network none --health-http http://127.0.0.1:8080/missing --health-http-status 404 \
	--health-interval 200ms busybox sh -c 'mkdir -p /www; exec httpd -f -p 8080 -h /www'
ids+=("$OUT")
wait_until "gone healthy on 404" 30 is gone '{{.State.Health.Status}}' healthy
pass "HTTP: the expected status (404) is healthy"

# ---- TCP: a listener is healthy, a refusal unhealthy, silence past the timeout -1 ----
cv 0 run -d --name db --network none --health-tcp 5432 --health-interval 200ms --health-start-interval 200ms \
	busybox sh -c 'sleep 1; mkdir -p /www; exec httpd -f -p 5432 -h /www'
ids+=("$OUT")
wait_until "db healthy" 30 is db '{{.State.Health.Status}}' healthy
[[ "$(last_output db)" == "connected to 127.0.0.1:5432" ]] || fail "tcp output: $(last_output db)"
cv 0 run -d --name closed --network none --health-tcp 9 --health-interval 200ms --health-retries 2 \
	busybox sleep 600
ids+=("$OUT")
wait_until "closed unhealthy" 30 is closed '{{.State.Health.Status}}' unhealthy
[[ "$(last_output closed)" == *"Connection refused"* ]] || fail "refused output: $(last_output closed)"
# A server that accepts and never answers: the HTTP probe's timeout.
cv 0 run -d --name mute --network none --health-http http://:7000/ --health-timeout 300ms \
	--health-interval 500ms --health-retries 1 busybox sh -c 'sleep 1000 | nc -l -p 7000'
ids+=("$OUT")
# (A first probe may come before nc listens: refused. The one that meets the silent server times out.)
timed_out() {
	"$CONTAINERV" inspect mute | jq -e '.[0].State.Health.Log[-1] | .ExitCode == -1 and (.Output | test("exceeded timeout"))'
}
WAITED=mute wait_until "a probe past its timeout" 30 timed_out
[ "$(field mute '{{.State.Health.Status}}')" = unhealthy ] || fail "a timed-out probe (retries 1) is not unhealthy"
pass "TCP: healthy on a listener, unhealthy on a refusal; an HTTP probe past its timeout is -1"

# ---- compose: x-containerv.healthcheck orders depends_on service_healthy ----
app=$TEST_TMP/app
mkdir -p "$app"
cat >"$app/compose.yaml" <<'YAML'
name: probes
services:
  api:
    image: busybox
    command: sh -c 'sleep 1; mkdir -p /www; echo ready >/www/health; exec httpd -f -p 8080 -h /www'
    network_mode: none
    stop_signal: SIGKILL
    healthcheck: {interval: 200ms, start_period: 30s, start_interval: 200ms, retries: 2}
    x-containerv:
      healthcheck: {http: "http://:8080/health", expect_status: 200, body: ready}
  db:
    image: busybox
    command: sh -c 'sleep 1; mkdir -p /www; exec httpd -f -p 5432 -h /www'
    network_mode: none
    stop_signal: SIGKILL
    healthcheck: {interval: 200ms, start_interval: 200ms, start_period: 30s}
    x-containerv: {healthcheck: {tcp: 5432}}
  front:
    image: busybox
    command: sleep 600
    network_mode: none
    stop_signal: SIGKILL
    depends_on:
      api: {condition: service_healthy}
      db: {condition: service_healthy}
YAML
cv 0 compose -f "$app/compose.yaml" config
grep -q 'http: http://:8080/health' <<<"$OUT" || fail "config lost the probe: $OUT"
cv 0 compose -f "$app/compose.yaml" up -d
is probes-api-1 '{{.State.Health.Status}}' healthy || fail "api not healthy after up"
is probes-db-1 '{{.State.Health.Status}}' healthy || fail "db not healthy after up"
is probes-front-1 '{{.State.Status}}' running || fail "front not running"
cat >"$app/bad.yaml" <<'YAML'
services:
  api:
    image: busybox
    x-containerv:
      healthcheck: {tcp: 80, body: x}
YAML
cv 125 compose -f "$app/bad.yaml" config
[[ "$ERR" == *"bad.yaml:5: services.api.x-containerv.healthcheck: expect_status and body go with http"* ]] ||
	fail "bad probe: $ERR"
cv 0 compose -f "$app/compose.yaml" down
pass "compose: x-containerv.healthcheck (http and tcp) gates depends_on service_healthy; a bad one names file:line"

assert_supervision_clean "health probes"
pass "no supervisor, container or state left"
