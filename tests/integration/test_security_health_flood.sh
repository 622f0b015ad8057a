#!/usr/bin/env bash
# A health check that flaps, asked to run every millisecond (the attack of session 13, "found and not
# fixed"): each check was a health_status event (pass, fail, pass with --health-retries 1), enough to
# rotate every other container's events out of events.log, and each a process made by the supervisor
# outside the container's cgroup, ~5 % of a host CPU for one container.
#  1. checks run no more often than every 100 ms, whatever the interval asked (inspect keeps 1ms);
#  2. health_status events of a container: 10 at once, then one per 6 s; the changes held back are
#     counted in the next one ("suppressed"), which says where they ended; another container's events
#     stay in the journal.
#
# Needs root and jq. Environment: CONTAINERV, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")

cv 0 run -d --name quiet --network none busybox sleep 600
ids+=("$OUT")
cv 0 run -d --name flap --network none --health-cmd 'if [ -e /tmp/up ]; then rm /tmp/up; exit 1; fi; touch /tmp/up' \
	--health-interval 1ms --health-start-interval 1ms --health-retries 1 busybox sleep 600
ids+=("$OUT")
cv 0 inspect -f '{{.Config.Healthcheck.Interval}}' flap
[ "$OUT" = 1000000 ] || fail "inspect does not keep the interval asked for: $OUT"

# Enough checks to flap far past the burst (~30 at the floor; under load fewer, never more).
checks() { "$CONTAINERV" inspect flap | jq '[.[0].State.Health.Log[]] | length'; }
sleep 4
# 1. The checks' start times (the log keeps the last 5): never closer than the floor (less 1 ms of rounding).
starts=$("$CONTAINERV" inspect flap | jq -r '.[0].State.Health.Log[].Start')
[ "$(wc -l <<<"$starts")" -ge 3 ] || fail "too few health checks ran: $starts"
prev=""
while read -r start; do
	now=$(date -d "$start" +%s%N)
	if [ -n "$prev" ] && [ $((now - prev)) -lt 99000000 ]; then
		fail "two checks $(((now - prev) / 1000)) us apart: the 1ms interval was not held to the floor ($starts)"
	fi
	prev=$now
done <<<"$starts"
pass "checks asked every 1ms run at most every 100 ms; inspect still says 1ms"

# 2. Events: at most the burst (+1 for a refill under a slow run) for ~30 changes; the other container's stay.
journal=$CONTAINERV_ROOT/events.log
flapping=$(grep -c '"health_status: ' "$journal" || true)
[ "$flapping" -le 11 ] || fail "$flapping health_status events in 4 s of flapping: not limited"
[ "$flapping" -ge 3 ] || fail "only $flapping health_status events: the check did not flap?"
grep -q '"start".*"quiet"\|"quiet".*"start"' "$journal" || fail "the quiet container's start is gone from events.log"
# A refill (6 s) journals where the held-back changes ended, with their count.
wait_until "a health_status event with the suppressed count" 20 grep -q '"suppressed":"[1-9]' "$journal"
line=$(grep '"suppressed":"[1-9]' "$journal" | head -1)
[[ "$line" == *'"health_status: healthy'* || "$line" == *'"health_status: unhealthy'* ]] ||
	fail "the coalesced event names no status: $line"
pass "a flapping check journals $flapping health_status events, then one per 6 s with the suppressed count"

cv 0 rm -f flap quiet
assert_clean "health flood"
