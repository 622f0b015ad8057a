#!/usr/bin/env bash
# The embedded DNS answers a service's name with its healthy replicas only (docs/orchestration.md,
# "Service discovery"): a replica whose health check is starting or unhealthy is left out of the
# service's A records while another one is healthy, and comes back once healthy; its own name
# (<project>-<service>-<n>) still resolves; when no replica is healthy, all are answered (fail open).
# The health of each replica is driven by a file its check looks for; lookups are real nslookups from
# another container of the project.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supervise-lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")

app=$TEST_TMP/dnshealth
mkdir -p "$app"
cat >"$app/compose.yaml" <<'YAML'
name: dnshealth
services:
  web:
    image: busybox
    command: sleep 600
    deploy: {replicas: 3}
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ok"]
      interval: 1s
      timeout: 5s
      retries: 1
    stop_grace_period: 1s
  client:
    image: busybox
    command: sleep 600
    stop_grace_period: 1s
YAML
compose() { cv "$1" compose -f "$app/compose.yaml" "${@:2}"; }
address_of() { cv 0 inspect "dnshealth-web-$1" && jq -r '.[0].NetworkSettings.Networks[].IPAddress' <<<"$OUT" | head -1; }
health_of() { cv 0 inspect "dnshealth-web-$1" && jq -r '.[0].State.Health.Status' <<<"$OUT"; }
# The addresses "web" resolves to from the client, sorted, space-separated.
answered() {
	cv 0 exec dnshealth-client-1 nslookup web
	sed -n 's/^Address[^:]*: \(10\.[0-9.]*\)$/\1/p' <<<"$OUT" | sort | tr '\n' ' '
}
expect() { [ "$(answered)" = "$1" ]; }
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' '; }

compose 0 up -d
a1=$(address_of 1) a2=$(address_of 2) a3=$(address_of 3)
[ -n "$a1" ] && [ -n "$a2" ] && [ -n "$a3" ] || fail "replica addresses: '$a1' '$a2' '$a3'"
[ "$(health_of 1)" != healthy ] || fail "web-1 healthy without its file"
# None healthy (starting, then unhealthy): all three answered.
[ "$(answered)" = "$(sorted "$a1" "$a2" "$a3")" ] || fail "no replica healthy: web answered $(answered), expected all"
pass "no healthy replica: the service name answers all of them (fail open)"

cv 0 exec dnshealth-web-1 touch /tmp/ok
WAIT_SECONDS=60 WAIT_UNTIL_DETAIL='answered' wait_for "web to answer web-1 only" expect "$a1 "
[ "$(health_of 1)" = healthy ] || fail "web-1 answered alone but is $(health_of 1)"
cv 0 exec dnshealth-client-1 nslookup dnshealth-web-2
grep -q "^Address.*: $a2\$" <<<"$OUT" || fail "an unhealthy replica's own name does not resolve: $OUT"
pass "one healthy replica: web answers it alone; an unhealthy replica's own name still resolves"

cv 0 exec dnshealth-web-2 touch /tmp/ok
WAIT_SECONDS=60 WAIT_UNTIL_DETAIL='answered' wait_for "web-2 to come back" expect "$(sorted "$a1" "$a2")"
pass "a replica that becomes healthy comes back in the service's answers"

cv 0 exec dnshealth-web-1 rm /tmp/ok
WAIT_SECONDS=60 WAIT_UNTIL_DETAIL='answered' wait_for "unhealthy web-1 to leave" expect "$a2 "
[ "$(health_of 1)" = unhealthy ] || fail "web-1 left the answers but is $(health_of 1)"
pass "a replica that turns unhealthy leaves the service's answers"

# A supervisor SIGKILLed and adopted again (compose start) keeps the leases in step with the health.
web2=$(cv 0 inspect dnshealth-web-2 && jq -r '.[0].Id' <<<"$OUT")
sup=$(supervisors_of "$web2")
[ -n "$sup" ] || fail "no supervisor for web-2"
kill -9 "$sup"
compose 0 start
has_supervisor() { [ -n "$(supervisors_of "$1")" ]; }
wait_until "web-2 adopted by start" 20 has_supervisor "$web2"
cv 0 exec dnshealth-web-2 rm /tmp/ok
cv 0 exec dnshealth-web-3 touch /tmp/ok
WAIT_SECONDS=60 WAIT_UNTIL_DETAIL='answered' wait_for "web-3 alone after web-2's adoption" expect "$a3 "
pass "after a supervisor's SIGKILL and adoption, health still drives the answers"

compose 0 down -v
assert_clean "compose dns health"
[ -z "$("$CONTAINERV" network ls -q 2>/dev/null | grep dnshealth || true)" ] || fail "network left"
pass "down -v leaves nothing"
