#!/usr/bin/env bash
# Live changes to a container: `update` changes its limits with real effect (a 160 MiB allocation that
# ran is OOM-killed after --memory 96m; forks stop at a new --pids-limit), `pause` freezes its
# processes (a counter stops, the freezer says so, ps and inspect show Paused, exec is refused) and
# `unpause` lets them go on; stop and rm -f of a paused container work and leave nothing. Bad input:
# one line, exit 1, nothing changed.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs), CV_ATTACK
# (tests/helpers/attack.c: "alloc MIB", "forks N").
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

# ---- update: memory ----
cv 0 run -d --name limits --memory 256m -v "$CV_ATTACK:/cv-attack:ro" --rootfs "$CV_TEST_ROOTFS" sleep 1000
limits=$OUT
ids+=("$limits")
cv 0 exec limits /cv-attack alloc 160
[[ "$OUT" == "allocated 160 MiB"* ]] || fail "160 MiB under a 256m limit: $OUT"
pass "160 MiB runs under --memory 256m"
cv 0 update --memory 96m limits
[ "$OUT" = limits ] || fail "update prints the container: $OUT"
[ "$(cgroup_file "$limits" memory memory.limit_in_bytes memory.max)" = 100663296 ] || fail "memory limit not applied"
cv 0 inspect -f '{{.HostConfig.Memory}}' limits
[ "$OUT" = 100663296 ] || fail "inspect after update: Memory $OUT"
cv 137 exec limits /cv-attack alloc 160
pass "after update --memory 96m the same 160 MiB allocation is OOM-killed"
cv 0 inspect -f '{{.State.Running}}' limits
[ "$OUT" = true ] || fail "the OOM kill of the exec took the container with it (the init was chosen?)"

# ---- update: pids ----
cv 0 exec limits /cv-attack forks 20
[[ "$OUT" == "forked 20"* ]] || fail "20 forks without a pids limit: $OUT"
cv 0 update --pids-limit 10 limits
[ "$(cgroup_file "$limits" pids pids.max pids.max)" = 10 ] || fail "pids limit not applied"
cv 0 exec limits /cv-attack forks 20
count=${OUT#forked }
count=${count%%$'\n'*}
[ "$count" -lt 10 ] || fail "forks under --pids-limit 10: $OUT"
pass "after update --pids-limit 10 fork fails beyond the limit ($count forks)"

# ---- update: cpu, cpuset ----
cv 0 update --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 limits
cv 0 inspect limits
host=$(printf '%s\n' "$OUT" | jq -c '.[0].HostConfig | {Memory, NanoCpus, CpuShares, PidsLimit, CpusetCpus}')
[ "$host" = '{"Memory":100663296,"NanoCpus":500000000,"CpuShares":512,"PidsLimit":10,"CpusetCpus":"0"}' ] ||
	fail "inspect after updates: $host"
if [ -e "/sys/fs/cgroup/cpu/containerv/$limits" ]; then
	[ "$(cgroup_file "$limits" cpu cpu.cfs_quota_us -)" = 50000 ] || fail "cpu quota not applied"
	[ "$(cgroup_file "$limits" cpu cpu.shares -)" = 512 ] || fail "cpu shares not applied"
fi
pass "update --cpus --cpu-shares --cpuset-cpus applied and recorded"

# ---- update: bad input changes nothing ----
cv 1 update --memory 12XB limits
one_error_line 'invalid --memory "12XB"'
cv 1 update --memory 64m --blkio-weight 5 limits
one_error_line '--blkio-weight'
cv 1 update limits
one_error_line 'one or more flags'
cv 1 update --memory 64m --cpus $(($(nproc) + 1)) limits
one_error_line "as this host has $(nproc) CPUs"
cv 1 update --cpuset-cpus 4095 limits
one_error_line 'cpuset cpus "4095": this host has CPUs'
cv 1 update --memory 64m no-such-container
one_error_line 'no-such-container'
# Above the memory+swap limit in force: refused whole, before the kernel is asked.
cv 0 run -d --name swapped --memory 64m --memory-swap 64m --rootfs "$CV_TEST_ROOTFS" sleep 1000
ids+=("$OUT")
cv 1 update --memory 96m --pids-limit 20 swapped
one_error_line 'memory+swap'
cv 0 inspect swapped
host=$(printf '%s\n' "$OUT" | jq -c '.[0].HostConfig | {Memory, PidsLimit}')
[ "$host" = '{"Memory":67108864,"PidsLimit":null}' ] || fail "a refused update changed: $host"
[ "$(cgroup_file "$limits" memory memory.limit_in_bytes memory.max)" = 100663296 ] || fail "a refused update changed memory"
cv 0 rm -f swapped
pass "bad update input: one line, exit 1, nothing changed"

# ---- update of a stopped container: recorded, applied at its next start ----
cv 0 stop -t 0 limits
cv 0 update --pids-limit 50 limits
cv 0 start limits
[ "$(cgroup_file "$limits" pids pids.max pids.max)" = 50 ] || fail "the update of a stopped container is not applied at start"
pass "update of a stopped container applies at its next start"
cv 0 rm -f limits
assert_gone "$limits"

# ---- pause / unpause ----
mkdir -p "$TEST_TMP/count"
# Written to a new file and renamed: a read never meets the file truncated (a pause may come at any point).
cv 0 run -d --name counter -v "$TEST_TMP/count:/count" --rootfs "$CV_TEST_ROOTFS" \
	sh -c 'i=0; while :; do i=$((i+1)); echo $i >/count/n.new; mv /count/n.new /count/n; usleep 20000; done'
counter=$OUT
ids+=("$counter")
wait_for "the counter" test -s "$TEST_TMP/count/n"
cv 0 pause counter
[ "$OUT" = counter ] || fail "pause prints the container: $OUT"
before=$(cat "$TEST_TMP/count/n")
sleep 1
after=$(cat "$TEST_TMP/count/n")
[ "$before" = "$after" ] || fail "a paused counter advanced: $before -> $after"
if [ -e "/sys/fs/cgroup/freezer/containerv/$counter" ]; then
	[ "$(cat "/sys/fs/cgroup/freezer/containerv/$counter/freezer.state")" = FROZEN ] || fail "freezer not FROZEN"
else
	grep -qx 'frozen 1' "/sys/fs/cgroup/containerv/$counter/cgroup.events" || fail "cgroup.events not frozen"
fi
pass "pause stops the counter ($before over 1 s) and the freezer says frozen"
cv 0 ps
[[ "$OUT" == *"Up "*"(Paused)"*counter* ]] || fail "ps of a paused container: $OUT"
cv 0 inspect counter
state=$(printf '%s\n' "$OUT" | jq -c '.[0].State | {Status, Running, Paused}')
[ "$state" = '{"Status":"paused","Running":true,"Paused":true}' ] || fail "inspect State when paused: $state"
cv 125 exec counter echo hi
one_error_line 'is paused, unpause the container first'
cv 1 pause counter
one_error_line 'already paused'
pass "ps shows Paused, inspect State.Paused, exec and a second pause are refused"

cv 0 unpause counter
before=$(cat "$TEST_TMP/count/n")
sleep 1
after=$(cat "$TEST_TMP/count/n")
[ "$after" -gt "$before" ] || fail "an unpaused counter did not advance: $before -> $after"
cv 0 inspect -f '{{.State.Status}} {{.State.Paused}}' counter
[ "$OUT" = "running false" ] || fail "inspect after unpause: $OUT"
cv 1 unpause counter
one_error_line 'not paused'
pass "unpause lets the counter go on ($before -> $after)"

# ---- stop and rm -f of a paused container ----
cv 0 pause counter
cv 0 stop -t 5 counter
cv 0 inspect -f '{{.State.Status}} {{.State.Paused}}' counter
[ "$OUT" = "exited false" ] || fail "stop of a paused container: $OUT"
cv 1 pause counter
one_error_line 'not running'
cv 0 start counter
cv 0 pause counter
cv 0 rm -f counter
assert_gone "$counter"
pass "stop and rm -f of a paused container work and leave nothing"

assert_clean "update"
