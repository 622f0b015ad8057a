#!/usr/bin/env bash
# --perf-profile on run and create: what each profile resolves to on this host reaches the container's
# cgroup (cpuset.cpus, cpu.shares / cpu.weight) and its processes (Cpus_allowed_list and THP_enabled in
# /proc/self/status, for the main command and for exec); inspect shows the profile and the limits it
# set; a limit given explicitly wins over the profile's; a bad name is one line, exit 125, nothing made.
# The choice of CPUs on other topologies (NUMA, SMT) is unit.test_perf_profile's, on made-up sysfs trees.
#
# Needs root. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs).
source "$(dirname "$0")/lib.sh"

# The container's cgroup file, on v1 (controller/containerv/ID/FILE) or v2 (containerv/ID/V2FILE).
cgroup_file() {
	local id=$1 controller=$2 file=$3 v2_file=$4
	if [ -e "/sys/fs/cgroup/$controller/containerv/$id" ]; then
		cat "/sys/fs/cgroup/$controller/containerv/$id/$file"
	else
		cat "/sys/fs/cgroup/containerv/$id/$v2_file"
	fi
}
# cpu.shares on v1; on v2 the weight the library maps shares to (cgroup-v2.c: 1 + (s-2)*9999/262142).
shares_are() {
	local id=$1 shares=$2 value
	if [ -e "/sys/fs/cgroup/cpu/containerv/$id" ]; then
		value=$(cat "/sys/fs/cgroup/cpu/containerv/$id/cpu.shares")
		[ "$value" = "$shares" ] || fail "cpu.shares of $id: $value, expected $shares"
	else
		value=$(cat "/sys/fs/cgroup/containerv/$id/cpu.weight")
		[ "$value" = $((1 + (shares - 2) * 9999 / 262142)) ] || fail "cpu.weight of $id: $value for $shares shares"
	fi
}
status_field() { sed -n "s/^$1:[[:space:]]*//p" <<<"$2"; }
# Whether CPU list $1 ("0-2,5") holds CPU $2.
list_has() {
	local item
	for item in ${1//,/ }; do
		[ "${item%-*}" -le "$2" ] && [ "$2" -le "${item#*-}" ] && return 0
	done
	return 1
}

online=$(cat /sys/devices/system/cpu/online)
cpu0_siblings=$(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list 2>/dev/null || echo 0)
thp_known=1
grep -q '^THP_enabled:' /proc/self/status || thp_known=0

# ---- latency: pinned off CPU 0's core, high weight, no THP ----
cv 0 run -d --name lat --perf-profile latency --rootfs "$CV_TEST_ROOTFS" --network none sleep 1000
lat=$OUT
ids+=("$lat")
cv 0 inspect --format '{{.HostConfig.CpusetCpus}} {{.HostConfig.CpuShares}} {{.PerfProfile.Profile}} {{.PerfProfile.ThpDisabled}}' lat
read -r cpus shares profile thp <<<"$OUT"
[ "$profile $thp $shares" = "latency true 4096" ] || fail "inspect of a latency container: $OUT"
[ -n "$cpus" ] || fail "latency placed no CPU: $OUT"
cgroup_cpus=$(cgroup_file "$lat" cpuset cpuset.cpus cpuset.cpus)
[ "$cgroup_cpus" = "$cpus" ] || fail "cpuset.cpus $cgroup_cpus, inspect says $cpus"
shares_are "$lat" 4096
# Off CPU 0's core whenever the host has a CPU that is not CPU 0's sibling.
others=0
for cpu in $(seq 0 $(($(nproc --all) - 1))); do
	list_has "$online" "$cpu" && ! list_has "$cpu0_siblings" "$cpu" && others=1
done
if [ "$others" = 1 ]; then
	for sibling in ${cpu0_siblings//,/ }; do
		! list_has "$cpus" "${sibling%-*}" || fail "latency pinned to CPU 0's core: $cpus"
	done
fi
cv 0 exec lat cat /proc/self/status
[ "$(status_field Cpus_allowed_list "$OUT")" = "$cpus" ] || fail "exec's Cpus_allowed_list: $OUT"
[ "$thp_known" = 0 ] || [ "$(status_field THP_enabled "$OUT")" = 0 ] || fail "exec's THP_enabled: $OUT"
cv 0 run --rm --perf-profile latency --rootfs "$CV_TEST_ROOTFS" --network none cat /proc/self/status
[ "$(status_field Cpus_allowed_list "$OUT")" = "$cpus" ] || fail "main command's Cpus_allowed_list: $OUT"
[ "$thp_known" = 0 ] || [ "$(status_field THP_enabled "$OUT")" = 0 ] || fail "main command's THP_enabled: $OUT"
pass "latency: cpuset $cpus (off CPU 0's core) in the cgroup and seen inside, 4096 shares, THP off"

# ---- the others: weights and THP; placement only on a multi-node host ----
nodes=$(cat /sys/devices/system/node/online 2>/dev/null || echo 0)
check_profile() {
	local name=$1 expected_shares=$2 expected_thp=$3
	cv 0 run --rm --perf-profile "$name" --rootfs "$CV_TEST_ROOTFS" --network none cat /proc/self/status
	[ "$thp_known" = 0 ] || [ "$(status_field THP_enabled "$OUT")" = "$expected_thp" ] ||
		fail "$name: THP_enabled: $OUT"
	if [ "$nodes" = 0 ] || [ "$name" != throughput ]; then
		[ "$(status_field Cpus_allowed_list "$OUT")" = "$online" ] || fail "$name placed the container: $OUT"
	fi
	cv 0 create --name "p-$name" --perf-profile "$name" --rootfs "$CV_TEST_ROOTFS" --network none sleep 1000
	ids+=("$OUT")
	cv 0 start "p-$name"
	if [ "$expected_shares" != 0 ]; then
		shares_are "${ids[-1]}" "$expected_shares"
	fi
	cv 0 inspect --format '{{.PerfProfile.Profile}}' "p-$name"
	[ "$OUT" = "$name" ] || fail "inspect p-$name: $OUT"
}
check_profile throughput 2048 1
check_profile batch 128 1
check_profile memory 0 0
pass "throughput 2048 shares, batch 128, memory THP off; no placement on a single node"

# ---- what the caller gives wins ----
cv 0 run -d --name mine --perf-profile latency --cpu-shares 512 --cpuset-cpus 0 --rootfs "$CV_TEST_ROOTFS" \
	--network none sleep 1000
ids+=("$OUT")
shares_are "$OUT" 512
[ "$(cgroup_file "$OUT" cpuset cpuset.cpus cpuset.cpus)" = 0 ] || fail "explicit --cpuset-cpus lost to the profile"
pass "explicit --cpu-shares and --cpuset-cpus win over the profile's"

# ---- bad input ----
before=$(ls "$CONTAINERV_ROOT/containers" | wc -l)
cv 125 run --rm --perf-profile fast --rootfs "$CV_TEST_ROOTFS" --network none true
one_error_line '"fast"'
[ "$(ls "$CONTAINERV_ROOT/containers" | wc -l)" = "$before" ] || fail "a bad profile left a container"
pass "a bad profile name: one line, exit 125, nothing made"

cv 0 rm -f lat mine p-throughput p-batch p-memory
assert_clean "perf-profile"
pass "nothing left behind"
