#!/usr/bin/env bash
# containerv-runc (the OCI runtime CLI) on bundles made for real: `containerv-runc spec` plus the built-in
# busybox rootfs. The lifecycle create/state/start/state/exec/kill/delete with a pid file; the limits, rlimits
# and masked paths of config.json really applied; hostile or unsupported configs refused in one line with
# nothing left behind; run's exit status; the runtime's root apart from the containerv CLI's.
source "$(dirname "$0")/lib.sh"
: "${CONTAINERV_RUNC:?set CONTAINERV_RUNC to the built containerv-runc}"

RUNC_ROOT="$TEST_TMP/runc-root"
runc_cleanup() {
	local id
	for id in $("$CONTAINERV_RUNC" --root "$RUNC_ROOT" list -q 2>/dev/null | awk '{print $1}'); do
		"$CONTAINERV_RUNC" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
	done
	cleanup
}
trap runc_cleanup EXIT

# rc EXPECTED_EXIT ARGS...: containerv-runc with our root; stdout in $OUT, stderr in $ERR.
rc() {
	local expected=$1
	shift
	set +e
	# stdout to a file: a container created here keeps it as its own (a pipe would stay open until it ends).
	timeout 60 "$CONTAINERV_RUNC" --root "$RUNC_ROOT" "$@" >"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr" </dev/null
	CODE=$?
	OUT=$(cat "$TEST_TMP/stdout")
	set -e
	ERR=$(cat "$TEST_TMP/stderr")
	[ "$CODE" = "$expected" ] || fail "containerv-runc $*: exit $CODE, expected $expected; stderr: $ERR; out: $OUT"
}

# A bundle: `spec`'s template, edited by the jq filter $2, with rootfs/ a copy of the built-in rootfs (the root
# is used in place, as runc uses it: a container writes into its bundle's rootfs).
make_bundle() {
	local dir=$1 filter=$2
	mkdir -p "$dir"
	rc 0 spec --bundle "$dir"
	[ -d "$dir/rootfs" ] || cp -a "$CV_TEST_ROOTFS" "$dir/rootfs"
	jq ".process.terminal = false | $filter" "$dir/config.json" >"$dir/config.new"
	mv "$dir/config.new" "$dir/config.json"
}

# The runtime's root is left clean: no state directory, no mount under it, no cgroup of the container.
assert_runc_clean() {
	local left
	left=$(ls -A "$RUNC_ROOT/containers" 2>/dev/null | grep -vxE "\.rootfs|\.etc|\.spare-[0-9]+" || true)
	[ -z "$left" ] || fail "$1: state directories left: $left"
	! grep -q "$RUNC_ROOT" /proc/self/mountinfo || fail "$1: mounts under $RUNC_ROOT left"
	rc 0 list -q
	[ -z "$OUT" ] || fail "$1: containers left: $OUT"
}

# cgroup_file PID CONTROLLER V2_FILE V1_FILE: the container's limit file, on cgroup v2 or v1.
cgroup_file() {
	local v1
	v1=$(awk -F: -v c="$2" '$2 == c {print $3}' /proc/$1/cgroup)
	if [ -n "$v1" ]; then echo "/sys/fs/cgroup/$2$v1/$4"; else
		echo "/sys/fs/cgroup$(awk -F: '$1 == 0 {print $3}' /proc/$1/cgroup)/$3"; fi
}

# ---- the lifecycle, with limits, rlimits and masked paths ----
bundle=$TEST_TMP/bundle
make_bundle "$bundle" '.process.args = ["sleep", "1000"]
	| .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]
	| .linux.resources.pids = {"limit": 17}
	| .linux.resources.memory = {"limit": 67108864}
	| .linux.maskedPaths += ["/etc/passwd"]
	| .mounts += [{"destination": "/noexec", "type": "bind", "source": "'"$CV_TEST_ROOTFS"'/bin",
	               "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]}]
	| .hostname = "oci-test" | .domainname = "oci.example"
	| .linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}
	| .process.user.additionalGids = [10, 20]'
rc 0 create --bundle "$bundle" --pid-file "$TEST_TMP/pid" oci1
pid=$(cat "$TEST_TMP/pid")
rc 0 state oci1
[ "$(jq -r .status <<<"$OUT")" = created ] || fail "state after create: $OUT"
[ "$(jq -r .pid <<<"$OUT")" = "$pid" ] || fail "state pid $(jq -r .pid <<<"$OUT") is not the pid file's $pid"
[ "$(jq -r .bundle <<<"$OUT")" = "$bundle" ] || fail "state bundle: $OUT"
[ "$(cat /proc/$pid/comm)" = containerv-held ] || fail "created: the init is not held: $(cat /proc/$pid/comm)"
! pgrep -P "$pid" >/dev/null || fail "created: the process already runs"
pass "create: held (OCI created), pid file and state agree"

rc 1 start nosuch
[[ "$ERR" == "containerv-runc: container \"nosuch\" does not exist" ]] || fail "start of a missing id: $ERR"
rc 0 start oci1
rc 0 state oci1
[ "$(jq -r .status <<<"$OUT")" = running ] || fail "state after start: $OUT"
wait_for "the process" pgrep -P "$pid" sleep
child=$(pgrep -P "$pid" sleep)
grep -q "^Max open files *123 *456 " /proc/$child/limits || fail "rlimit not applied: $(grep files /proc/$child/limits)"
[ "$(cat "$(cgroup_file "$child" pids pids.max pids.max)")" = 17 ] || fail "pids limit not applied"
[ "$(cat "$(cgroup_file "$child" memory memory.max memory.limit_in_bytes)")" = 67108864 ] ||
	fail "memory limit not applied"
rc 1 start oci1
[[ "$ERR" == *"cannot start a container that is running"* ]] || fail "second start: $ERR"
grep -qP "^Groups:\t10 20 ?$" /proc/$child/status || fail "additionalGids not applied: $(grep Groups /proc/$child/status)"
pass "start: running; rlimits, pids and memory limits, additionalGids applied"

rc 0 exec oci1 cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni
[ "$OUT" = "$(printf '1\n1234')" ] || fail "sysctls not applied in the container: $OUT"
[ "$(cat /proc/sys/kernel/shmmni)" != 1234 ] || fail "kernel.shmmni reached the host"
rc 0 exec oci1 cat /proc/sys/kernel/domainname
[ "$OUT" = oci.example ] || fail "domainname not applied in the container: $OUT"
[ "$(cat /proc/sys/kernel/domainname)" != oci.example ] || fail "domainname reached the host"
pass "linux.sysctl: namespaced network and IPC keys applied in the container, not the host; domainname"

rc 0 exec oci1 sh -c 'ulimit -n; wc -c </etc/passwd; hostname; if echo x 2>/dev/null >/proc/sys/kernel/domainname; then echo writable; fi'
[ "$OUT" = "$(printf '123\n0\noci-test')" ] || fail "exec: $OUT / $ERR"
rc 126 exec oci1 sh -c '/noexec/busybox true 2>/dev/null || exit 126'
rc 0 exec oci1 sh -c "grep ' /noexec ' /proc/self/mountinfo | grep -q 'ro,nosuid,nodev,noexec'"
rc 3 exec --env A=b oci1 sh -c 'test "$A" = b && exit 3'
rc 0 exec --detach --pid-file "$TEST_TMP/exec.pid" oci1 sleep 1000
[ "$(cat /proc/$(cat "$TEST_TMP/exec.pid")/comm)" = sleep ] || fail "exec --pid-file"
rc 0 ps --format json oci1
[ "$(jq length <<<"$OUT")" -ge 3 ] || fail "ps: $OUT"
pass "exec: bind noexec/nosuid/nodev/ro, rlimits, masked and read-only paths, hostname, --env, exit status, --detach --pid-file; ps"

# update: a LinuxResources file (as containerd's shim hands it, on stdin too) and runc's flags, read back from
# the cgroup; what containerv's limits do not have is refused by name and changes nothing.
printf '{"memory": {"limit": 100663296}, "pids": {"limit": 23}, "devices": [{"allow": false, "access": "rwm"}]}' \
	>"$TEST_TMP/resources.json"
rc 0 update --resources "$TEST_TMP/resources.json" oci1
[ "$(cat "$(cgroup_file "$child" memory memory.max memory.limit_in_bytes)")" = 100663296 ] ||
	fail "update --resources: memory limit not changed"
[ "$(cat "$(cgroup_file "$child" pids pids.max pids.max)")" = 23 ] || fail "update --resources: pids limit not changed"
set +e
timeout 60 "$CONTAINERV_RUNC" --root "$RUNC_ROOT" update --resources - oci1 <<<'{"pids": {"limit": 29}}'
code=$?
set -e
[ "$code" = 0 ] && [ "$(cat "$(cgroup_file "$child" pids pids.max pids.max)")" = 29 ] || fail "update --resources -"
rc 0 update --memory 80m --pids-limit 31 oci1
[ "$(cat "$(cgroup_file "$child" memory memory.max memory.limit_in_bytes)")" = 83886080 ] ||
	fail "update --memory: not changed"
[ "$(cat "$(cgroup_file "$child" pids pids.max pids.max)")" = 31 ] || fail "update --pids-limit: not changed"
printf '{"unified": {"pids.max": "5"}, "pids": {"limit": 5}}' >"$TEST_TMP/resources.json"
rc 1 update --resources "$TEST_TMP/resources.json" oci1
[[ "$ERR" == *unified* ]] || fail "update: refusal does not name the field: $ERR"
rc 1 update --kernel-memory 1m oci1
[ "$(cat "$(cgroup_file "$child" pids pids.max pids.max)")" = 31 ] || fail "a refused update changed the pids limit"
pass "update: --resources FILE and -, --memory/--pids-limit, read back from the cgroup; refusals change nothing"

rc 0 events --stats oci1
[ "$(jq -r '.type + " " + .id' <<<"$OUT")" = "stats oci1" ] || fail "events --stats: $OUT"
[ "$(jq -r '.data.pids.current' <<<"$OUT")" -ge 2 ] || fail "events --stats: pids.current: $OUT"
[ "$(jq -r '.data.memory.usage.limit' <<<"$OUT")" = 83886080 ] || fail "events --stats: memory limit: $OUT"
[ "$(jq -r '.data.cpu.usage.total' <<<"$OUT")" -gt 0 ] || fail "events --stats: cpu: $OUT"
rc 1 checkpoint oci1
[[ "$ERR" == *"checkpoint: not supported"* ]] || fail "checkpoint: $ERR"
pass "events --stats: runc's stats event from the cgroup; checkpoint refused in one line"

# kill --all: a signal other than KILL reaches every process (runc freezes, lists, signals); without --all only
# the container's process. WINCH: sleep ignores it, the exec'd shell records it once its trap is set.
rc 0 exec --detach oci1 sh -c 'trap "touch /dev/shm/winch" WINCH; touch /dev/shm/ready; while :; do sleep 1; done'
wait_for "the trap" "$CONTAINERV_RUNC" --root "$RUNC_ROOT" exec oci1 test -e /dev/shm/ready
rc 0 kill oci1 WINCH
sleep 2
rc 1 exec oci1 test -e /dev/shm/winch
rc 0 kill --all oci1 WINCH
wait_for "WINCH in the exec'd shell" "$CONTAINERV_RUNC" --root "$RUNC_ROOT" exec oci1 test -e /dev/shm/winch
rc 0 state oci1
[ "$(jq -r .status <<<"$OUT")" = running ] || fail "kill --all WINCH: $OUT"
pass "kill --all reaches every process, kill alone only the container's process"

rc 0 pause oci1
rc 0 state oci1
[ "$(jq -r .status <<<"$OUT")" = paused ] || fail "state after pause: $OUT"
rc 0 resume oci1
rc 1 delete oci1
[[ "$ERR" == *"cannot delete a running container"* ]] || fail "delete while running: $ERR"
rc 0 kill oci1 KILL
wait_for "the container to stop" sh -c "'$CONTAINERV_RUNC' --root '$RUNC_ROOT' state oci1 | jq -e '.status == \"stopped\"'"
rc 0 delete oci1
rc 1 state oci1
assert_runc_clean "after delete"
! [ -d "/proc/$pid" ] || fail "the init is left"
pass "pause/resume, kill, stopped, delete: nothing left"

# ---- hugepageLimits (kubelet sends one per page size, 0 where the pod asked for none) and unified ----
# hugetlb_file PID: the container's hugetlb.2MB limit file: v1's hugetlb hierarchy, else the cgroup2 one
# (a hybrid host's unified/ mount, where its hugetlb controller is, or the v2 root).
hugetlb_file() {
	local v1 v2
	v1=$(awk -F: '$2 == "hugetlb" {print $3}' /proc/$1/cgroup)
	if [ -n "$v1" ]; then echo "/sys/fs/cgroup/hugetlb$v1/hugetlb.2MB.limit_in_bytes"; return; fi
	v2=$(awk -F: '$1 == 0 {print $3}' /proc/$1/cgroup)
	if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo "/sys/fs/cgroup/unified$v2/hugetlb.2MB.max"
	else echo "/sys/fs/cgroup$v2/hugetlb.2MB.max"; fi
}
hugepages_before=$(cat /proc/sys/vm/nr_hugepages)
restore_hugepages() { echo "$hugepages_before" >/proc/sys/vm/nr_hugepages; runc_cleanup; }
if [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
	make_bundle "$TEST_TMP/huge" '.process.args = ["sleep", "1000"]
		| .linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	cp "$CV_ATTACK" "$TEST_TMP/huge/rootfs/cv-attack"
	rc 0 create --bundle "$TEST_TMP/huge" --pid-file "$TEST_TMP/huge.pid" huge1
	rc 0 start huge1
	limit_file=$(hugetlb_file "$(cat "$TEST_TMP/huge.pid")")
	[ "$(cat "$limit_file")" = 4194304 ] || fail "hugepageLimits: $limit_file holds $(cat "$limit_file")"
	printf '{"hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}' >"$TEST_TMP/resources.json"
	rc 0 update --resources "$TEST_TMP/resources.json" huge1
	[ "$(cat "$limit_file")" = 2097152 ] || fail "update hugepageLimits: $limit_file holds $(cat "$limit_file")"
	# Real effect: with 3 pages reserved on the host, one page maps and two do not (ENOMEM from the
	# reservation limit, or a SIGBUS on the second page's fault where the kernel has none).
	trap restore_hugepages EXIT
	echo $((hugepages_before + 3)) >/proc/sys/vm/nr_hugepages
	if [ "$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)" -ge 3 ]; then
		rc 0 exec huge1 /cv-attack hugetlb 1
		[ "$OUT" = ok ] || fail "one huge page under a 2 MiB limit: $OUT"
		set +e
		out=$(timeout 60 "$CONTAINERV_RUNC" --root "$RUNC_ROOT" exec huge1 /cv-attack hugetlb 2 2>&1)
		set -e
		[ "$out" != ok ] || fail "two huge pages mapped under a 2 MiB limit"
		pass "hugepageLimits: the container maps 1 huge page under its 2 MiB limit, not 2 ($out)"
	else
		echo "note: no 3 huge pages free after reserving them; the mapping check is skipped"
	fi
	echo "$hugepages_before" >/proc/sys/vm/nr_hugepages
	trap runc_cleanup EXIT
	rc 0 delete --force huge1
	! [ -e "$limit_file" ] || fail "hugetlb cgroup left after delete: $limit_file"
	assert_runc_clean "hugepageLimits"
	pass "hugepageLimits: 2MB limit in the cgroup file where the kernel enforces it, updated, removed with the container"
fi
# A delete killed between removing the v1 cgroups and the unified/ one (made for hugepageLimits on a hybrid
# host): the next delete still finds the container's stamped unified/ cgroup and removes it.
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] &&
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
	half=cv-test-half-$$
	trap 'rmdir /sys/fs/cgroup/*/"$half" 2>/dev/null || true; runc_cleanup' EXIT
	make_bundle "$TEST_TMP/half" ".process.args = [\"sleep\", \"1000\"] | .linux.cgroupsPath = \"/$half\"
		| .linux.resources.hugepageLimits = [{\"pageSize\": \"2MB\", \"limit\": 4194304}]"
	rc 0 create --bundle "$TEST_TMP/half" --pid-file "$TEST_TMP/half.pid" half1
	[ -d "/sys/fs/cgroup/unified/$half" ] || fail "no unified/ cgroup made for hugepageLimits"
	pid=$(cat "$TEST_TMP/half.pid")
	kill -9 "$pid"
	wait_for "the init to end" bash -c "! kill -0 $pid 2>/dev/null"
	# What the killed delete left: the v1 cgroups removed, the unified/ one not.
	for dir in /sys/fs/cgroup/*/"$half"; do
		[ "$dir" = "/sys/fs/cgroup/unified/$half" ] || rmdir "$dir"
	done
	rc 0 delete --force half1
	! [ -d "/sys/fs/cgroup/unified/$half" ] || fail "delete left the container's unified/ cgroup"
	assert_runc_clean "half-deleted hugetlb cgroup"
	trap runc_cleanup EXIT
	pass "a unified/ cgroup left by a delete killed halfway is removed by the next delete"
fi

# A hybrid host's unified/ holds every systemd unit's cgroup: a cgroupsPath naming one that exists only there
# (no hugepageLimits) must not make it the container's: delete does not kill its processes nor remove it,
# exec does not move processes into it.
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] &&
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	foreign=/sys/fs/cgroup/unified/cv-test-foreign-$$
	foreign_remove() {
		[ -z "${victim:-}" ] || kill -9 "$victim" 2>/dev/null || true
		[ -z "${victim:-}" ] || wait "$victim" 2>/dev/null || true
		rmdir "$foreign" 2>/dev/null || true
	}
	trap 'foreign_remove; runc_cleanup' EXIT
	mkdir "$foreign"
	sleep 1000 &
	victim=$!
	echo "$victim" >"$foreign/cgroup.procs"
	make_bundle "$TEST_TMP/foreign" ".process.args = [\"sleep\", \"1000\"] | .linux.cgroupsPath = \"/cv-test-foreign-$$\""
	rc 0 create --bundle "$TEST_TMP/foreign" foreign1
	rc 0 start foreign1
	rc 0 exec foreign1 cat /proc/self/cgroup
	[[ "$OUT" != *"0::/cv-test-foreign-$$"* ]] || fail "exec joined the foreign unified/ cgroup: $OUT"
	rc 0 delete --force foreign1
	[ -d "$foreign" ] || fail "delete removed a foreign unified/ cgroup named by cgroupsPath"
	kill -0 "$victim" 2>/dev/null || fail "delete killed the process of a foreign unified/ cgroup"
	grep -qx "$victim" "$foreign/cgroup.procs" || fail "the foreign unified/ cgroup lost its process"
	assert_runc_clean "foreign unified"
	foreign_remove
	victim=
	trap runc_cleanup EXIT
	pass "cgroupsPath naming a foreign unified/ cgroup: left alone by exec and delete"
fi
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	make_bundle "$TEST_TMP/unified" '.process.args = ["sleep", "1000"]
		| .linux.resources.unified = {"pids.max": "9", "memory.oom.group": "1"}'
	rc 0 create --bundle "$TEST_TMP/unified" --pid-file "$TEST_TMP/unified.pid" uni1
	pid=$(cat "$TEST_TMP/unified.pid")
	[ "$(cat "$(cgroup_file "$pid" pids pids.max pids.max)")" = 9 ] || fail "unified pids.max not written"
	[ "$(cat "$(cgroup_file "$pid" memory memory.oom.group memory.oom.group)")" = 1 ] ||
		fail "unified memory.oom.group not written"
	rc 0 delete --force uni1
	assert_runc_clean "unified"
	pass "linux.resources.unified: pids.max and memory.oom.group written in the container's cgroup"
fi

# ---- blockIO throttles on the host's first disk: v1 blkio.throttle.*_device, v2 io.max ----
disk=$(for d in /sys/block/*; do case ${d##*/} in loop* | ram*) ;; *) cat "$d/dev"; break ;; esac; done)
if [ -n "$disk" ]; then
	make_bundle "$TEST_TMP/throttle" '.process.args = ["sleep", "1000"] | .linux.resources.blockIO = {
		"throttleReadBpsDevice": [{"major": '"${disk%:*}"', "minor": '"${disk#*:}"', "rate": 1048576}],
		"throttleWriteIOPSDevice": [{"major": '"${disk%:*}"', "minor": '"${disk#*:}"', "rate": 50}]}'
	rc 0 create --bundle "$TEST_TMP/throttle" --pid-file "$TEST_TMP/throttle.pid" thr1
	pid=$(cat "$TEST_TMP/throttle.pid")
	if [ -n "$(awk -F: '$2 == "blkio" {print $3}' /proc/$pid/cgroup)" ]; then
		grep -qx "$disk 1048576" "$(cgroup_file "$pid" blkio - blkio.throttle.read_bps_device)" ||
			fail "throttleReadBpsDevice: $(cat "$(cgroup_file "$pid" blkio - blkio.throttle.read_bps_device)")"
		grep -qx "$disk 50" "$(cgroup_file "$pid" blkio - blkio.throttle.write_iops_device)" ||
			fail "throttleWriteIOPSDevice not written"
	else
		grep -qx "$disk rbps=1048576 wbps=max riops=max wiops=50" "$(cgroup_file "$pid" io io.max -)" ||
			fail "io.max: $(cat "$(cgroup_file "$pid" io io.max -)")"
	fi
	rc 0 delete --force thr1
	assert_runc_clean "throttles"
	pass "blockIO throttles: read bps and write iops of $disk in the container's cgroup"
fi

# ---- process.ioPriority and process.scheduler: the main command's, read from the host ----
make_bundle "$TEST_TMP/sched" '.process.args = ["sleep", "1000"]
	| .process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}
	| .process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
rc 0 create --bundle "$TEST_TMP/sched" --pid-file "$TEST_TMP/sched.pid" sched1
rc 0 start sched1
wait_for "the process" pgrep -P "$(cat "$TEST_TMP/sched.pid")" sleep
child=$(pgrep -P "$(cat "$TEST_TMP/sched.pid")" sleep)
[ "$(ionice -p "$child")" = idle ] || fail "ioPriority: $(ionice -p "$child")"
[ "$(awk '{print $19}' /proc/$child/stat)" = 7 ] || fail "scheduler nice: $(awk '{print $19}' /proc/$child/stat)"
grep -Eq '^policy +: +3$' /proc/$child/sched || fail "scheduler policy: $(grep ^policy /proc/$child/sched)"
rc 0 delete --force sched1
assert_runc_clean "scheduler"
pass "process.ioPriority (idle) and process.scheduler (SCHED_BATCH, nice 7) applied to the main command"

# ---- linux.timeOffsets: a time namespace whose boottime (/proc/uptime) runs 10 days ahead, exec's too ----
if [ -e /proc/self/ns/time ]; then
	make_bundle "$TEST_TMP/time" '.process.args = ["sleep", "1000"] | .linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}, "monotonic": {"secs": 86400}}'
	rc 0 create --bundle "$TEST_TMP/time" --pid-file "$TEST_TMP/time.pid" time1
	rc 0 start time1
	wait_for "the process" pgrep -P "$(cat "$TEST_TMP/time.pid")" sleep
	child=$(pgrep -P "$(cat "$TEST_TMP/time.pid")" sleep)
	grep -Eq '^boottime +864000 +0$' /proc/$child/timens_offsets || fail "timeOffsets: $(cat /proc/$child/timens_offsets)"
	[ "$(readlink /proc/$child/ns/time)" != "$(readlink /proc/self/ns/time)" ] || fail "time namespace: the host's"
	rc 0 exec time1 cat /proc/uptime
	host=$(cut -d. -f1 /proc/uptime)
	inside=${OUT%%.*}
	[ "$inside" -ge $((host + 863000)) ] && [ "$inside" -le $((host + 865000)) ] ||
		fail "timeOffsets: uptime $inside inside, $host on the host"
	rc 0 delete --force time1
	assert_runc_clean "timeOffsets"
	pass "linux.timeOffsets: the container's own time namespace, boottime 10 days ahead (exec'd processes too)"
fi

# ---- the five capability sets as written (runtime-tools checks them all), for exec too ----
make_bundle "$TEST_TMP/caps" '.process.args = ["sleep", "1000"]
	| .process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}'
rc 0 create --bundle "$TEST_TMP/caps" caps1
rc 0 start caps1
rc 0 exec caps1 grep ^Cap /proc/self/status
expected=$(printf 'CapInh:\t0000000000000420\nCapPrm:\t0000000000000421\nCapEff:\t0000000000000421\nCapBnd:\t0000000000000421\nCapAmb:\t0000000000000400')
[ "$OUT" = "$expected" ] || fail "uid 0 capability sets (exec): $OUT"
rc 0 delete --force caps1
rm "$TEST_TMP/caps/config.json"
make_bundle "$TEST_TMP/caps" '.process.args = ["grep", "^Cap", "/proc/self/status"] | .process.user = {"uid": 1000, "gid": 1000}
	| .process.capabilities = {"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"],
		"inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}'
rc 0 run --bundle "$TEST_TMP/caps" caps2
expected=$(printf 'CapInh:\t0000000000000400\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000400\nCapBnd:\t0000000000000420\nCapAmb:\t0000000000000400')
[ "$OUT" = "$expected" ] || fail "uid 1000 ambient capability: $OUT"
assert_runc_clean "capability sets"
pass "capabilities: bounding, effective, permitted, inheritable and ambient as written (uid 0 with exec, uid 1000 by ambient)"

# ---- linux.cgroupsPath: absolute and relative, made at create and removed at delete; an existing one refused ----
cgtop="cvtest-oci-$$"
cgroup_dirs_of() { # the directories named $1 under every hierarchy (v1: one per controller mount; v2: one)
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then echo "/sys/fs/cgroup$1"; else
		for mount in /sys/fs/cgroup/*/; do [ "$(stat -fc %T "$mount")" = cgroupfs ] && echo "${mount%/}$1"; done; fi
}
remove_cgtop() { for dir in $(cgroup_dirs_of "/$cgtop") $(cgroup_dirs_of "/containerv/.relative/$cgtop"); do
	find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true; done; }
trap 'remove_cgtop; runc_cleanup' EXIT
make_bundle "$TEST_TMP/cgpath" '.process.args = ["sleep", "1000"] | .linux.resources.pids = {"limit": 33}
	| .linux.cgroupsPath = "/'"$cgtop"'/pod/c1"'
rc 0 create --bundle "$TEST_TMP/cgpath" --pid-file "$TEST_TMP/cg.pid" cg1
cgpid=$(cat "$TEST_TMP/cg.pid")
grep -qE ":pids:/$cgtop/pod/c1\$|^0::/$cgtop/pod/c1\$" /proc/$cgpid/cgroup || fail "absolute cgroupsPath: $(cat /proc/$cgpid/cgroup)"
[ "$(cat "$(cgroup_file "$cgpid" pids pids.max pids.max)")" = 33 ] || fail "the limit is not in the cgroupsPath cgroup"
rc 0 delete --force cg1
for dir in $(cgroup_dirs_of "/$cgtop/pod/c1"); do ! [ -d "$dir" ] || fail "cgroupsPath left after delete: $dir"; done
[ -n "$(cgroup_dirs_of "/$cgtop/pod")" ] && [ -d "$(cgroup_dirs_of "/$cgtop/pod" | head -1)" ] || fail "the parents made were removed"
rm "$TEST_TMP/cgpath/config.json"
make_bundle "$TEST_TMP/cgpath" '.process.args = ["sleep", "1000"] | .linux.cgroupsPath = "'"$cgtop"'/c2"'
rc 0 create --bundle "$TEST_TMP/cgpath" --pid-file "$TEST_TMP/cg.pid" cg2
grep -qE ":pids:/containerv/.relative/$cgtop/c2\$|^0::/containerv/.relative/$cgtop/c2\$" /proc/$(cat "$TEST_TMP/cg.pid")/cgroup ||
	fail "relative cgroupsPath: $(cat /proc/$(cat "$TEST_TMP/cg.pid")/cgroup)"
rc 0 delete --force cg2
for dir in $(cgroup_dirs_of "/containerv/.relative/$cgtop"); do ! [ -d "$dir" ] || fail "relative cgroupsPath or its parent left: $dir"; done
# The runtime's parent of relative paths goes with the last of them (it stays while another container's is in it).
for dir in $(cgroup_dirs_of "/containerv/.relative"); do
	! [ -d "$dir" ] || [ -n "$(find "$dir" -mindepth 1 -maxdepth 1 -type d)" ] || fail "the empty parent of relative paths was left: $dir"
done
for dir in $(cgroup_dirs_of "/$cgtop/taken"); do mkdir -p "$dir"; done
rm "$TEST_TMP/cgpath/config.json"
make_bundle "$TEST_TMP/cgpath" '.linux.cgroupsPath = "/'"$cgtop"'/taken"'
rc 1 create --bundle "$TEST_TMP/cgpath" cg3
[[ "$ERR" == *"cgroup already exists"* ]] || fail "an existing cgroupsPath: $ERR"
for dir in $(cgroup_dirs_of "/$cgtop/taken"); do [ -d "$dir" ] || fail "an existing cgroup was removed: $dir"; done
assert_runc_clean "cgroupsPath"
remove_cgtop
pass "linux.cgroupsPath: absolute and relative honoured (limits in it), removed at delete, an existing one refused and kept"

# ---- linux.namespaces[].path: a pod, the second container joining the first's network, IPC, UTS and PID ----
make_bundle "$TEST_TMP/pod1" '.process.args = ["sleep", "1000"] | .hostname = "pod-host"'
rc 0 create --bundle "$TEST_TMP/pod1" --pid-file "$TEST_TMP/pod1.pid" pod1
rc 0 start pod1
pod1=$(cat "$TEST_TMP/pod1.pid")
make_bundle "$TEST_TMP/pod2" '.process.args = ["sleep", "1000"] | del(.hostname)
	| .linux.namespaces |= map(if (.type | IN("network", "ipc", "uts", "pid")) then
		.path = "/proc/'"$pod1"'/ns/" + (if .type == "network" then "net" else .type end) else . end)'
rc 0 create --bundle "$TEST_TMP/pod2" --pid-file "$TEST_TMP/pod2.pid" pod2
rc 0 start pod2
pod2=$(cat "$TEST_TMP/pod2.pid")
for ns in net ipc uts pid; do
	[ "$(readlink /proc/$pod2/ns/$ns)" = "$(readlink /proc/$pod1/ns/$ns)" ] || fail "pod2 did not join pod1's $ns namespace"
done
[ "$(readlink /proc/$pod2/ns/mnt)" != "$(readlink /proc/$pod1/ns/mnt)" ] || fail "pod2 shares pod1's mount namespace"
[ "$(readlink /proc/self/ns/pid_for_children)" = "$(readlink /proc/self/ns/pid)" ] || fail "the runtime stayed in the pod's pid namespace"
rc 0 exec pod2 sh -c 'hostname; readlink /proc/self/ns/net; ps -o comm | grep -c sleep'
[ "$(sed -n 1p <<<"$OUT")" = pod-host ] || fail "pod2 renamed the pod's uts namespace: $OUT"
[ "$(sed -n 2p <<<"$OUT")" = "$(readlink /proc/$pod1/ns/net)" ] || fail "exec in pod2 is not in the pod's network namespace: $OUT"
[ "$(sed -n 3p <<<"$OUT")" = 2 ] || fail "pod2 does not see pod1's processes (one pid namespace): $OUT"
rc 0 delete --force pod2
[ -d /proc/$pod1 ] || fail "deleting pod2 killed pod1"
rm "$TEST_TMP/pod2/config.json"
mkfifo "$TEST_TMP/fifo"
make_bundle "$TEST_TMP/pod2" '.linux.namespaces |= map(if .type == "network" then .path = "'"$TEST_TMP/fifo"'" else . end)'
rc 1 create --bundle "$TEST_TMP/pod2" pod3
[[ "$ERR" == *"not a namespace file"* ]] || fail "a FIFO as a namespace: $ERR"
rm "$TEST_TMP/pod2/config.json"
make_bundle "$TEST_TMP/pod2" '.linux.namespaces |= map(if .type == "network" then .path = "/proc/'"$pod1"'/ns/ipc" else . end)'
rc 1 create --bundle "$TEST_TMP/pod2" pod3
[[ "$ERR" == *"a namespace of another type"* ]] || fail "an ipc namespace given as network: $ERR"
rc 0 delete --force pod1
assert_runc_clean "pod"
pass "namespace paths: a pod's second container joins net, ipc, uts and pid (exec too), the hostname kept; a FIFO and a wrong type refused"

# ---- hooks: prestart, createRuntime, poststart, poststop with the state on stdin; exact env; no fd of ours; timeouts ----
hook() { # hook NAME: a hook writing its stdin, its environment and its descriptors to $TEST_TMP/hook.NAME.*
	printf '{"path": "/bin/sh", "args": ["sh", "-c", "cat >%s/hook.%s.state; env >%s/hook.%s.env; ls /proc/$$/fd >%s/hook.%s.fds"], "env": ["HOOKVAR=%s"], "timeout": 10}' \
		"$TEST_TMP" "$1" "$TEST_TMP" "$1" "$TEST_TMP" "$1" "$1"
}
make_bundle "$TEST_TMP/hooks" '.process.args = ["sleep", "1000"] | .annotations = {"org.test": "hooked"}
	| .hooks = {"prestart": ['"$(hook prestart)"'], "createRuntime": ['"$(hook createRuntime)"'],
		"poststart": ['"$(hook poststart)"', {"path": "/bin/false"}], "poststop": ['"$(hook poststop)"']}'
rc 0 create --bundle "$TEST_TMP/hooks" --pid-file "$TEST_TMP/hooks.pid" hk1
for phase in prestart createRuntime; do
	jq -e --arg pid "$(cat "$TEST_TMP/hooks.pid")" '.id == "hk1" and .status == "created" and (.pid | tostring) == $pid
		and .annotations["org.test"] == "hooked" and .bundle == "'"$TEST_TMP/hooks"'"' "$TEST_TMP/hook.$phase.state" >/dev/null ||
		fail "$phase hook's stdin: $(cat "$TEST_TMP/hook.$phase.state" 2>&1)"
	[ "$(grep -v '^PWD=' "$TEST_TMP/hook.$phase.env")" = "HOOKVAR=$phase" ] || fail "$phase hook's environment: $(cat "$TEST_TMP/hook.$phase.env")"
	# 10 is dash's own (it keeps a copy of a redirected descriptor there); anything else would be ours.
	[ "$(grep -vx 10 "$TEST_TMP/hook.$phase.fds" | tr '\n' ' ')" = "0 1 2 " ] ||
		fail "$phase hook got descriptors of ours: $(tr '\n' ' ' <"$TEST_TMP/hook.$phase.fds")"
done
! [ -e "$TEST_TMP/hook.poststart.state" ] || fail "poststart ran at create"
rc 0 start hk1
jq -e '.status == "running"' "$TEST_TMP/hook.poststart.state" >/dev/null || fail "poststart's stdin: $(cat "$TEST_TMP/hook.poststart.state")"
[[ "$ERR" == *"warning: poststart hook /bin/false failed"* ]] || fail "a failed poststart hook is not a warning: $ERR"
rc 0 state hk1
[ "$(jq -r '.annotations["org.test"]' <<<"$OUT")" = hooked ] || fail "state without the annotations: $OUT"
! [ -e "$TEST_TMP/hook.poststop.state" ] || fail "poststop ran before delete"
rc 0 delete --force hk1
jq -e '.id == "hk1" and .status == "stopped"' "$TEST_TMP/hook.poststop.state" >/dev/null || fail "poststop's stdin: $(cat "$TEST_TMP/hook.poststop.state")"
assert_runc_clean "hooks"
rm "$TEST_TMP/hooks/config.json"
make_bundle "$TEST_TMP/hooks" '.hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "sleep 300; : hook-timeout-'$$'"], "timeout": 1}]}'
started=$(date +%s)
rc 1 create --bundle "$TEST_TMP/hooks" hk2
[[ "$ERR" == "containerv-runc: prestart hook /bin/sh: timed out after 1 s" ]] || fail "prestart timeout: $ERR"
[ $(($(date +%s) - started)) -lt 10 ] || fail "the timeout did not hold"
! pgrep -f "hook-timeout-$$" >/dev/null || fail "the timed-out hook's processes are left"
assert_runc_clean "a failed prestart hook"
pass "hooks: prestart/createRuntime/poststart/poststop in order with the state (and annotations) on stdin, exact env, no fd of ours; poststart failure a warning; a timeout fails the create, nothing left"

# ---- linux.mountLabel: nothing to label on a host without SELinux (as runc and crun); refused where SELinux is on ----
make_bundle "$TEST_TMP/label" '.process.args = ["true"] | .linux.mountLabel = "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811"'
if [ -e /sys/fs/selinux/enforce ] || grep -qw selinux /sys/kernel/security/lsm 2>/dev/null; then
	rc 1 run --bundle "$TEST_TMP/label" label1
	[[ "$ERR" == *"mount label"* ]] || fail "mountLabel on an SELinux host: $ERR"
else
	rc 0 run --bundle "$TEST_TMP/label" label1
fi
assert_runc_clean "mountLabel"
pass "linux.mountLabel: accepted without SELinux, refused by name with it"

# ---- linux.personality: LINUX32 is what uname reports to the process (x86_64 hosts: i686) ----
if [ "$(uname -m)" = x86_64 ]; then
	make_bundle "$TEST_TMP/persona" '.process.args = ["uname", "-m"] | .linux.personality = {"domain": "LINUX32"}'
	rc 0 run --bundle "$TEST_TMP/persona" persona1
	[ "$OUT" = i686 ] || fail "personality LINUX32: uname -m says $OUT"
	assert_runc_clean "personality"
	pass "linux.personality LINUX32: uname -m is i686 inside"
fi

# ---- a created container can be deleted, and run reports the exit status ----
rc 0 create --bundle "$bundle" oci2
rc 0 delete oci2
assert_runc_clean "delete of a created container"
make_bundle "$TEST_TMP/run" '.process.args = ["sh", "-c", "echo hello; exit 7"]'
rc 7 run --bundle "$TEST_TMP/run" oci3
[ "$OUT" = hello ] || fail "run output: $OUT"
assert_runc_clean "after run"
pass "delete of created; run: output and exit status, removed after"

# ---- the bundle's root in place: writes land in it (no overlay), root.readonly holds ----
make_bundle "$TEST_TMP/inplace" '.root.readonly = false | .process.args = ["sh", "-c", "echo inside >/written; mount"]'
rc 0 run --bundle "$TEST_TMP/inplace" oci7
[ "$(cat "$TEST_TMP/inplace/rootfs/written" 2>/dev/null)" = inside ] || fail "in place: the write did not land in the bundle's rootfs"
! grep -q "^overlay on / " <<<"$OUT" || fail "in place: the root is an overlay: $OUT"
assert_runc_clean "after an in-place run"
rm "$TEST_TMP/inplace/config.json"
make_bundle "$TEST_TMP/inplace" '.root.readonly = true | .process.args = ["sh", "-c", "echo again >/written2 || exit 5"]'
rc 5 run --bundle "$TEST_TMP/inplace" oci8
! [ -e "$TEST_TMP/inplace/rootfs/written2" ] || fail "in place: root.readonly did not hold"
assert_runc_clean "after a read-only in-place run"
pass "root used in place: a write lands in the bundle's rootfs, root.readonly holds, no overlay"

# ---- a terminal: its master comes over --console-socket (SCM_RIGHTS), the process's stdio is the slave ----
make_bundle "$TEST_TMP/tty" '.process.terminal = true | .process.args = ["sh", "-c", "tty; sleep 1000"]'
python3 - "$TEST_TMP/console.sock" "$TEST_TMP/console.out" <<'PY' &
import array, os, socket, sys, time
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1]); server.listen(1); server.settimeout(30)
connection, _ = server.accept()
fds = array.array("i")
message, ancillary, _, _ = connection.recvmsg(64, socket.CMSG_SPACE(4))
for level, kind, data in ancillary:
    fds.frombytes(data[:4])
master = fds[0]
output = b""
deadline = time.time() + 20
while b"/dev/" not in output and time.time() < deadline:
    output += os.read(master, 256)
open(sys.argv[2], "wb").write(output)
PY
receiver=$!
wait_for "the console socket" test -S "$TEST_TMP/console.sock"
rc 0 create --bundle "$TEST_TMP/tty" --console-socket "$TEST_TMP/console.sock" oci5
rc 0 start oci5
wait "$receiver" || fail "console receiver failed"
grep -q "^/dev/pts/" "$TEST_TMP/console.out" || fail "no terminal through the console socket: $(cat "$TEST_TMP/console.out")"
rc 0 delete --force oci5
rc 1 create --bundle "$TEST_TMP/tty" oci6
[[ "$ERR" == *"--console-socket is required"* ]] || fail "terminal without a console socket: $ERR"
assert_runc_clean "terminal"
pass "terminal: master sent over the console socket, process on /dev/pts"

# ---- the CLI's root and the runtime's are apart ----
rc 0 create --bundle "$bundle" oci4
cv 0 ps -aq
[ -z "$OUT" ] || fail "the containerv CLI sees the runtime's container: $OUT"
rc 0 delete --force oci4
pass "roots apart"

# ---- devices, device rules, umask, propagation, a created container killed ----
# The rootfs has a symlink pointing out of it (to the host's $TEST_TMP/outside): a device path through it must
# be made inside the root (RESOLVE_IN_ROOT), never on the host.
make_bundle "$TEST_TMP/dev" '.process.args = ["sleep", "1000"]
	| .process.user.umask = 63
	| .linux.devices = [{"path": "/dev/cv-null", "type": "c", "major": 1, "minor": 3, "fileMode": 432, "uid": 7, "gid": 8},
	                    {"path": "/dev/sub/cv-block", "type": "b", "major": 7, "minor": 200, "fileMode": 384},
	                    {"path": "/escape/cv-fifo", "type": "p", "fileMode": 420}]
	| .linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}]
	| .linux.rootfsPropagation = "shared"
	| .mounts += [{"destination": "/etc-bind", "type": "bind", "source": "/etc", "options": ["bind", "unbindable", "mode=755", "size=1k"]},
	              {"destination": "/tmp-shared", "type": "tmpfs", "source": "tmpfs", "options": ["shared", "mode=750", "uid=7", "gid=8"]}]'
mkdir -p "$TEST_TMP/outside" "$TEST_TMP/dev/rootfs$TEST_TMP/outside"
ln -s "$TEST_TMP/outside" "$TEST_TMP/dev/rootfs/escape"
rc 0 create --bundle "$TEST_TMP/dev" oci7
[ -z "$(ls -A "$TEST_TMP/outside")" ] || fail "a device path through a symlink was made on the host: $(ls -l "$TEST_TMP/outside")"
[ -p "$TEST_TMP/dev/rootfs$TEST_TMP/outside/cv-fifo" ] || fail "the device through the rootfs's symlink is not in the rootfs"
rc 0 start oci7
rc 0 exec oci7 sh -c 'stat -c "%F %t:%T %a %u:%g" /dev/cv-null /dev/sub/cv-block /escape/cv-fifo; head -c 3 /dev/cv-null | wc -c'
[ "$OUT" = "$(printf 'character special file 1:3 660 7:8\nblock special file 7:c8 600 0:0\nfifo 0:0 644 0:0\n0')" ] ||
	fail "linux.devices not made as asked: $OUT"
[ -z "$(ls -A "$TEST_TMP/outside")" ] || fail "a device reached the host through the rootfs's symlink"
pid=$(jq -r .pid <<<"$(timeout 10 "$CONTAINERV_RUNC" --root "$RUNC_ROOT" state oci7)")
child=$(pgrep -P "$pid" sleep)
rules=$(cgroup_file "$child" devices devices.list devices.list)
if [ -f "$rules" ]; then
	head -4 "$rules" | tr '\n' ';' | grep -qx 'c 10:229 rw;c 1:3 rwm;b 7:200 rwm;c \*:\* m;' ||
		fail "device cgroup: not the config's rules first: $(head -4 "$rules" | tr '\n' ';')"
fi
grep -q '^Umask:[[:space:]]*0077$' /proc/$child/status || fail "umask not applied: $(grep Umask /proc/$child/status)"
rc 0 exec oci7 sh -c 'grep -E " / | /tmp-shared | /etc-bind " /proc/self/mountinfo'
[ "$(grep -c shared: <<<"$OUT")" = 2 ] || fail "rootfsPropagation shared or a tmpfs's shared: $OUT"
grep " /etc-bind " <<<"$OUT" | grep -q unbindable || fail "bind unbindable: $OUT"
rc 0 exec oci7 sh -c 'stat -c "%a %u:%g" /tmp-shared'
[ "$OUT" = "750 7:8" ] || fail "tmpfs mode/uid/gid: $OUT"
rc 0 delete --force oci7
assert_runc_clean "devices"
# kill before start: WINCH leaves the created container as it is, TERM ends it (stopped, then deleted)
make_bundle "$TEST_TMP/killed" '.process.args = ["sleep", "1000"]'
rc 0 create --bundle "$TEST_TMP/killed" --pid-file "$TEST_TMP/killed.pid" oci8
rc 0 kill oci8 WINCH
rc 0 state oci8
[ "$(jq -r .status <<<"$OUT")" = created ] || fail "created after WINCH: $OUT"
rc 0 kill oci8 TERM
rc 0 state oci8
[ "$(jq -r .status <<<"$OUT")" = stopped ] || fail "created after TERM: $OUT"
! kill -0 "$(cat "$TEST_TMP/killed.pid")" 2>/dev/null || fail "the held init lives on after TERM"
rc 1 kill oci8 KILL
rc 0 delete oci8
assert_runc_clean "kill before start"
pass "linux.devices (mode, owner, not through a symlink out), device rules, umask, rootfs and mount propagation, tmpfs uid/gid, kill of a created container"

# ---- refused configs: one line naming the field, nothing left ----
refuse() {
	local field=$1 filter=$2
	rm -rf "$TEST_TMP/hostile"
	make_bundle "$TEST_TMP/hostile" "$filter"
	rc 1 create --bundle "$TEST_TMP/hostile" bad
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "$field: more than one line: $ERR"
	[[ "$ERR" == "containerv-runc: "*"$field"* ]] || fail "$field: error does not name it: $ERR"
	assert_runc_clean "$field refused"
}
refuse linux.seccomp.listenerPath '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/x.sock"}'
refuse linux.sysctl '.linux.sysctl = {"kernel.domainname": "x"}'
refuse linux.sysctl '.linux.sysctl = {"kernel.core_pattern": "|/tmp/x"}'
refuse linux.sysctl '.linux.sysctl = {"net/../../kernel/core_pattern": "x"}'
refuse 'sysctl net.ipv4.ip_forward' '.linux.namespaces |= map(select(.type != "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
refuse process.user.additionalGids '.process.user.additionalGids = ["x"]'
refuse linux.namespaces '.linux.namespaces |= map(if .type == "mount" then .path = "/proc/1/ns/mnt" else . end)'
refuse linux.namespaces '.linux.namespaces += [{"type": "user", "path": "/proc/1/ns/user"}]'
refuse linux.cgroupsPath '.linux.cgroupsPath = "system.slice:containerv:x"'
refuse linux.cgroupsPath '.linux.cgroupsPath = "/pod/../../x"'
refuse linux.cgroupsPath '.linux.cgroupsPath = "/containerv/x"'
refuse 'mounts[7]' '.mounts += [{"destination": "/x", "type": "overlay", "source": "overlay"}]'
refuse 'mounts[7]' '.mounts += [{"destination": "/x", "type": "bind", "source": "/tmp", "options": ["rbind", "idmap"]}]'
refuse process.capabilities '.process.capabilities.effective = ["CAP_KILL"]'
refuse process.capabilities '.process.capabilities.bounding += ["CAP_NOT_A_CAP"]'
refuse process.capabilities '.process.user.uid = 1000 | .process.capabilities.inheritable = []'
refuse 'linux.devices[0]' '.linux.devices = [{"path": "/dev/../etc/passwd", "type": "c", "major": 1, "minor": 3}]'
refuse 'linux.devices[0]' '.linux.devices = [{"path": "dev/x", "type": "c", "major": 1, "minor": 3}]'
refuse 'linux.devices[0]' '.linux.devices = [{"path": "/dev/x", "type": "z", "major": 1, "minor": 3}]'
refuse linux.resources.devices '.linux.resources.devices = [{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
refuse root.path '.root.path = "/"'
refuse 'hooks.prestart[0]' '.hooks = {"prestart": [{"path": "bin/true"}]}'
refuse 'hooks.poststop[0]' '.hooks = {"poststop": [{"path": "/bin/true", "timeout": 0}]}'
refuse hooks.createContainer '.hooks = {"createContainer": [{"path": "/bin/true"}]}'
refuse 'hugetlb 16GB: the kernel has no such huge page size' '.linux.resources.hugepageLimits = [{"pageSize": "16GB", "limit": 0}]'
refuse linux.resources.hugepageLimits '.linux.resources.hugepageLimits = [{"pageSize": "3MB", "limit": 0}]'
refuse linux.resources.unified '.linux.resources.unified = {"../pids.max": "1"}'
refuse linux.resources.unified '.linux.resources.unified = {"cgroup.procs": "1"}'
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
	refuse 'linux.resources.unified: cannot use unified on cgroup v1' '.linux.resources.unified = {"memory.oom.group": "1"}'
fi
refuse process.scheduler '.process.scheduler = {"policy": "SCHED_ISO"}'
refuse process.ioPriority '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 9}'
refuse linux.timeOffsets '.linux.timeOffsets = {"boottime": {"secs": 1}}'
refuse linux.rootfsPropagation '.linux.rootfsPropagation = "sideways"'
refuse linux.namespaces '.linux.namespaces = [{"type": "pid"}]'
refuse process.rlimits '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}]'
printf '{"ociVersion": "1.0.0", "process": ' >"$TEST_TMP/hostile/config.json"
rc 1 create --bundle "$TEST_TMP/hostile" bad
[[ "$ERR" == "containerv-runc: config.json: line "* ]] || fail "truncated config: $ERR"
assert_runc_clean "truncated config"
pass "unsupported and hostile configs refused in one line naming the field, nothing left"
