#!/usr/bin/env bash
# `containerv tune`: finds the limit that holds a container back from its real figures and suggests
# (and with --apply, sets) the one that would not: a busy loop under --cpus 0.02 is throttled (suggest
# --cpus 0.04; applied, the cgroup's quota doubles); 29 MiB held under --memory 32m is near its limit;
# 9 tasks under --pids-limit 10 too (applied: pids.max 20); an idle container has no bottleneck. Bad
# input: one line and the exit code docker's update uses. Nothing left behind.
#
# Needs root. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs), CV_ATTACK
# (tests/helpers/attack.c: "hold MIB").
source "$(dirname "$0")/lib.sh"
: "${CV_ATTACK:?set CV_ATTACK to the built cv-attack helper}"

# The container's cgroup file, on v1 (controller/containerv/ID/FILE) or v2 (containerv/ID/V2FILE).
cgroup_file() {
	local id=$1 controller=$2 file=$3 v2_file=$4
	if [ -e "/sys/fs/cgroup/$controller/containerv/$id" ]; then
		cat "/sys/fs/cgroup/$controller/containerv/$id/$file"
	else
		cat "/sys/fs/cgroup/containerv/$id/$v2_file"
	fi
}

# ---- CPU: a quota that throttles ----
# A quota small enough that even a loaded host gives the loop more than it allows.
cv 0 run -d --name spin --cpus 0.02 --rootfs "$CV_TEST_ROOTFS" --network none sh -c 'while :; do :; done'
spin=$OUT
ids+=("$spin")
cv 0 tune --interval 1s spin
grep -q '^CPU: held back by its quota (--cpus 0.02) [0-9]*% of the time; suggest --cpus 0.04$' <<<"$OUT" ||
	fail "throttled spin: $OUT"
cv 0 tune --interval 1s --apply spin
[ "$(tail -1 <<<"$OUT")" = applied ] || fail "tune --apply: $OUT"
quota=$(cgroup_file "$spin" cpu cpu.cfs_quota_us cpu.max)
[ "${quota%% *}" = 4000 ] || fail "quota after --apply: $quota"
cv 0 inspect --format '{{.HostConfig.NanoCpus}}' spin
[ "$OUT" = 40000000 ] || fail "inspect after --apply: NanoCpus $OUT"
pass "tune: a busy loop under --cpus 0.02 is found throttled; --apply doubles its quota"

# ---- memory near its limit, processes near theirs ----
cv 0 run -d --name full --memory 32m --pids-limit 10 -v "$CV_ATTACK:/cv-attack:ro" --rootfs "$CV_TEST_ROOTFS" \
	--network none sh -c '/cv-attack hold 29 & for i in 1 2 3 4 5 6; do sleep 1000 & done; sleep 1000'
full=$OUT
ids+=("$full")
holding() { cv 0 logs full; grep -q 'holding 29 MiB' <<<"$OUT"; }
wait_for "29 MiB held" holding
tasks() { [ "$(cgroup_file "$full" pids pids.current pids.current)" -ge 9 ]; }
wait_for "9 tasks or more" tasks
cv 0 tune --interval 200ms full
grep -q '^memory: [0-9]*% of its limit in use ([0-9]* of 32 MiB); suggest --memory 48m$' <<<"$OUT" ||
	fail "memory near its limit: $OUT"
grep -q '^processes: [0-9]* of the 10 its pids limit allows; suggest --pids-limit 20$' <<<"$OUT" ||
	fail "pids near their limit: $OUT"
cv 0 tune --interval 200ms --apply full
[ "$(cgroup_file "$full" pids pids.max pids.max)" = 20 ] || fail "pids.max after --apply"
limit=$(cgroup_file "$full" memory memory.limit_in_bytes memory.max)
[ "$limit" = $((48 * 1024 * 1024)) ] || fail "memory limit after --apply: $limit"
pass "tune: memory and pids near their limits found; --apply raises both"

# ---- nothing to find ----
cv 0 run -d --name idle --memory 64m --cpus 1 --rootfs "$CV_TEST_ROOTFS" --network none sleep 1000
ids+=("$OUT")
cv 0 tune --interval 200ms --apply idle
[ "$(sed -n 2p <<<"$OUT")" = "no bottleneck found" ] || fail "idle container: $OUT"
! grep -q applied <<<"$OUT" || fail "an idle container's limits were changed"
pass "tune: an idle container has no bottleneck and --apply changes nothing"

# ---- bad input ----
cv 125 tune --interval 5ms idle
one_error_line "invalid --interval 5ms"
cv 1 tune nosuch
one_error_line "nosuch"
cv 0 create --name stopped --rootfs "$CV_TEST_ROOTFS" --network none true
ids+=("$OUT")
cv 1 tune stopped
one_error_line "not running"
pass "tune: a bad interval, an unknown and a stopped container: one line, non-zero"

cv 0 rm -f spin full idle stopped
assert_clean "tune"
pass "nothing left behind"
