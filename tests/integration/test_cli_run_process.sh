#!/usr/bin/env bash
# run/create flags of the container's processes and namespaces, each judged by its effect inside:
# --ulimit (also on exec), --shm-size, --device (the node and the device allow-list; refused by level),
# --group-add (also on exec), --stop-timeout, --cpu-period/--cpu-quota, --memory-reservation,
# --oom-kill-disable, --oom-score-adj (also on exec), --pid/--ipc/--uts/--cgroupns (host and
# container:NAME; refused by level, reported by the audit and inspect), --domainname, --mac-address, -a.
# Bad values: exit 125, one line, nothing created.
#
# Needs root. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs).
source "$(dirname "$0")/lib.sh"

RF=$CV_TEST_ROOTFS
unified=0
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && unified=1

# A refused run: exit 125, one line naming why, no container made.
refused() {
	local why=$1
	shift
	local before
	before=$("$CONTAINERV" ps -aq | wc -l)
	cv 125 run --rm --rootfs "$RF" "$@"
	one_error_line "$why"
	[ "$("$CONTAINERV" ps -aq | wc -l)" = "$before" ] || fail "a refused run ($*) left a container"
}

# ---- --ulimit ----
cv 0 run --rm --rootfs "$RF" --ulimit nofile=123:456 --ulimit core=0 sh -c 'ulimit -n; ulimit -Hn; ulimit -c'
[ "$OUT" = "$(printf '123\n456\n0')" ] || fail "--ulimit inside: $OUT"
cv 0 run -d --name ul --rootfs "$RF" --ulimit nofile=200 sleep 600
ids+=("$OUT")
cv 0 exec ul sh -c 'ulimit -n; ulimit -Hn'
[ "$OUT" = "$(printf '200\n200')" ] || fail "exec did not get the container's --ulimit: $OUT"
refused "not a resource" --ulimit nofiles=10 true
refused "above the hard limit" --ulimit nofile=20:10 true
refused "expected NAME=SOFT" --ulimit nofile true
pass "--ulimit: soft and hard limits inside, exec gets them, bad names and values refused"

# ---- --shm-size and --ipc none ----
cv 0 run --rm --rootfs "$RF" --shm-size 128m sh -c 'df -k /dev/shm | tail -1'
[ "$(echo "$OUT" | awk '{print $2}')" = 131072 ] || fail "--shm-size 128m: $OUT"
cv 0 run --rm --rootfs "$RF" sh -c 'df -k /dev/shm | tail -1'
[ "$(echo "$OUT" | awk '{print $2}')" = 65536 ] || fail "default /dev/shm is not 64m: $OUT"
cv 0 run --rm --rootfs "$RF" --ipc none sh -c 'grep -c " /dev/shm " /proc/self/mountinfo || true'
[ "$OUT" = 0 ] || fail "--ipc none still mounts /dev/shm"
refused "invalid --shm-size" --shm-size lots true
pass "--shm-size sizes /dev/shm (64m by default); --ipc none has none"

# ---- --device ----
# Our own nodes: the host's /dev need not have them, and nothing of the host is opened by the test itself.
mknod "$TEST_TMP/fuse" c 10 229
mknod "$TEST_TMP/block" b 7 200
cv 0 run --rm --rootfs "$RF" --device "$TEST_TMP/fuse:/dev/fuse" sh -c \
	'ls -l /dev/fuse | awk "{print \$1, \$5, \$6}"; exec 3</dev/fuse && echo opened'
[ "$OUT" = "$(printf 'crw-r--r-- 10, 229\nopened')" ] || fail "--device: node or open inside: $OUT"
# r only: the allow-list refuses the write open.
cv 0 run --rm --rootfs "$RF" --device "$TEST_TMP/fuse:/dev/myfuse:r" sh -c \
	'exec 3</dev/myfuse && echo read; (exec 4>/dev/myfuse) 2>/dev/null && echo WROTE; true'
[ "$OUT" = read ] || fail "--device ...:r let a write open through, or no read: $OUT"
# Without the flag the same node (made inside) cannot be opened: it is the rule that lets it through.
cv 0 run --rm --rootfs "$RF" sh -c 'mknod /dev/fuse c 10 229; (exec 3</dev/fuse) 2>/dev/null && echo OPENED; true'
[ -z "$OUT" ] || fail "a device node the container made itself could be opened without --device"
refused "not a device node" --device /etc/passwd true
refused "No such file" --device /dev/no-such-device true
refused "refused at the strict security level" --security-level strict --device "$TEST_TMP/fuse:/dev/fuse" true
refused "block device" --device "$TEST_TMP/block:/dev/blk" true
if [ -c /dev/kmsg ]; then
	mknod "$TEST_TMP/kmsg" c $((16#$(stat -c %t /dev/kmsg))) $((16#$(stat -c %T /dev/kmsg)))
	refused "is kernel log (/dev/kmsg)" --device "$TEST_TMP/kmsg:/dev/kmsg" true
fi
refused "plain path under /dev/" --device "$TEST_TMP/fuse:/etc/fuse" true
cv 0 run --rm --rootfs "$RF" --security-level permissive --device "$TEST_TMP/block:/dev/blk:r" sh -c '[ -b /dev/blk ] && echo block'
[ "$OUT" = block ] || fail "permissive: a block device was not made: $OUT"
pass "--device: the node with the host's numbers, its permissions enforced, non-devices and levels refused"

# ---- --group-add ----
cv 0 run --rm --rootfs "$RF" -u nobody --group-add 1234 --group-add nogroup id
[ "$OUT" = "uid=65534(nobody) gid=65534(nogroup) groups=1234,65534(nogroup)" ] || fail "--group-add: $OUT"
cv 0 run -d --name grp --rootfs "$RF" --group-add 4321 sleep 600
ids+=("$OUT")
cv 0 exec grp id -G
[ "$OUT" = "0 4321" ] || fail "exec did not get --group-add: $OUT"
refused "no such group" --group-add nosuchgroup true
pass "--group-add: gids and names of the container's /etc/group, on exec too"

# ---- --stop-timeout ----
cv 0 run -d --name st --rootfs "$RF" --stop-timeout 1 sh -c 'trap "" TERM; while :; do sleep 0.1; done'
ids+=("$OUT")
cv 0 inspect -f '{{.Config.StopTimeout}}' st
[ "$OUT" = 1 ] || fail "inspect .Config.StopTimeout: $OUT"
start=$(date +%s)
cv 0 stop st
elapsed=$(($(date +%s) - start))
# docker's default would wait 10 s; a loaded host may add a few.
[ "$elapsed" -lt 8 ] || fail "stop waited ${elapsed}s with --stop-timeout 1"
cv 0 inspect -f '{{.State.ExitCode}}' st
[ "$OUT" = 137 ] || fail "the TERM-ignoring container was not killed: exit $OUT"
refused "invalid --stop-timeout" --stop-timeout soon true
pass "--stop-timeout: stop kills after it (${elapsed}s), not after 10 s"

# ---- --cpu-period / --cpu-quota, --memory-reservation, --oom-kill-disable ----
if [ "$unified" = 1 ]; then
	cv 0 run --rm --rootfs "$RF" --cpu-period 50000 --cpu-quota 25000 cat /sys/fs/cgroup/cpu.max
	[ "$OUT" = "25000 50000" ] || fail "--cpu-period/--cpu-quota: cpu.max $OUT"
	cv 0 run --rm --rootfs "$RF" -m 64m --memory-reservation 32m cat /sys/fs/cgroup/memory.low
	[ "$OUT" = 33554432 ] || fail "--memory-reservation: memory.low $OUT"
	refused "cgroup v2 has no way to disable the OOM killer" -m 64m --oom-kill-disable true
else
	cv 0 run --rm --rootfs "$RF" --cpu-period 50000 --cpu-quota 25000 \
		cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us
	[ "$OUT" = "$(printf '25000\n50000')" ] || fail "--cpu-period/--cpu-quota: $OUT"
	cv 0 run --rm --rootfs "$RF" -m 64m --memory-reservation 32m cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes
	[ "$OUT" = 33554432 ] || fail "--memory-reservation: soft limit $OUT"
	cv 0 run --rm --rootfs "$RF" -m 64m --oom-kill-disable sh -c 'head -1 /sys/fs/cgroup/memory/memory.oom_control'
	[ "$OUT" = "oom_kill_disable 1" ] || fail "--oom-kill-disable: $OUT"
fi
refused "Nano CPUs and CPU Period cannot both be set" --cpus 1 --cpu-period 50000 true
refused "CPU cfs quota can not be less than 1ms" --cpu-quota 10 true
refused "can not be less than memory reservation" -m 32m --memory-reservation 64m true
refused "needs a memory limit" --oom-kill-disable true
pass "--cpu-period/--cpu-quota, --memory-reservation and --oom-kill-disable in the container's cgroup"

# ---- --oom-score-adj ----
cv 0 run -d --name oom --rootfs "$RF" --oom-score-adj 500 sh -c 'cat /proc/self/oom_score_adj /proc/1/oom_score_adj; sleep 600'
ids+=("$OUT")
cv 0 exec oom cat /proc/self/oom_score_adj
[ "$OUT" = 500 ] || fail "exec's oom_score_adj: $OUT"
wait_for "the oom container's output" sh -c "[ \"\$('$CONTAINERV' logs oom | wc -l)\" = 2 ]"
cv 0 logs oom
[ "$OUT" = "$(printf '500\n500')" ] || fail "--oom-score-adj of the command and the init: $OUT"
refused "invalid --oom-score-adj" --oom-score-adj 1001 true
pass "--oom-score-adj: the init, its command and exec'd processes"

# ---- --pid, --ipc, --uts, --cgroupns ----
refused "--pid host is refused at the restricted security level" --pid host true
cv 0 run --rm --rootfs "$RF" --security-level permissive --pid host readlink /proc/self/ns/pid
[ "$OUT" = "$(readlink /proc/self/ns/pid)" ] || fail "--pid host: $OUT is not the host's pid namespace"
cv 0 run --rm --rootfs "$RF" --ipc host readlink /proc/self/ns/ipc
[ "$OUT" = "$(readlink /proc/self/ns/ipc)" ] || fail "--ipc host: $OUT is not the host's"
refused "--ipc host is refused at the strict security level" --security-level strict --ipc host true
cv 0 run --rm --rootfs "$RF" --uts host readlink /proc/self/ns/uts
[ "$OUT" = "$(readlink /proc/self/ns/uts)" ] || fail "--uts host: $OUT is not the host's"
refused "conflicting options" --uts host --hostname x true
cv 0 run --rm --rootfs "$RF" --cgroupns host sh -c 'grep -c containerv /proc/self/cgroup || true'
[ "$OUT" -gt 0 ] || fail "--cgroupns host: /proc/self/cgroup does not show the host's paths"
cv 0 run --rm --rootfs "$RF" --cgroupns private sh -c 'grep -c containerv /proc/self/cgroup || true'
[ "$OUT" = 0 ] || fail "--cgroupns private shows the host's paths"
refused "invalid --pid" --pid bogus true
refused "no such container" --pid container:nosuch true
# container:NAME: the other container's namespaces, found by its id at each start.
pid=$("$CONTAINERV" inspect -f '{{.State.Pid}}' ul)
cv 0 run --rm --rootfs "$RF" --pid container:ul --ipc container:ul sh -c \
	'readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; ps -o args | grep -c "^sleep 600"'
[ "$OUT" = "$(readlink /proc/$pid/ns/pid; readlink /proc/$pid/ns/ipc; echo 1)" ] ||
	fail "--pid/--ipc container:ul: $OUT, expected ul's namespaces and its sleep"
cv 0 inspect -f '{{.HostConfig.PidMode}} {{.HostConfig.IpcMode}}' ul
[ "$OUT" = " private" ] || fail "inspect of a container with its own namespaces: '$OUT'"
cv 0 create --name joiner --rootfs "$RF" --pid container:ul true
ids+=("$OUT")
cv 0 inspect -f '{{.HostConfig.PidMode}}' joiner
[ "$OUT" = "container:$("$CONTAINERV" inspect -f '{{.Id}}' ul)" ] || fail "inspect PidMode of a joiner: $OUT"
cv 0 rm joiner
pass "--pid/--ipc/--uts/--cgroupns: host and container:NAME joined, refused by level, shown by inspect"

# ---- the audit and inspect of what weakens isolation ----
cv 0 create --name weak --rootfs "$RF" --security-level permissive --pid host --ipc host --uts host \
	--cgroupns host --device "$TEST_TMP/fuse:/dev/fuse:rw" true
ids+=("$OUT")
cv 0 security audit --format json weak
for finding in '"no pid namespace"' '"no ipc namespace"' '"no uts namespace"' '"no cgroup namespace"' \
	"host device $TEST_TMP/fuse is at /dev/fuse (rw)"; do
	[[ "$OUT" == *"$finding"* ]] || fail "the audit lacks $finding: $OUT"
done
cv 0 inspect -f '{{.HostConfig.PidMode}} {{.HostConfig.IpcMode}} {{.HostConfig.UTSMode}} {{.HostConfig.CgroupnsMode}} {{json .HostConfig.Devices}}' weak
[ "$OUT" = "host host host host [{\"PathOnHost\":\"$TEST_TMP/fuse\",\"PathInContainer\":\"/dev/fuse\",\"CgroupPermissions\":\"rw\"}]" ] ||
	fail "inspect of the weakened container: $OUT"
cv 0 rm weak
pass "the audit and inspect show every host namespace and device"

# ---- --domainname, --mac-address, -a, --detach-keys ----
cv 0 run --rm --rootfs "$RF" --domainname example.org cat /proc/sys/kernel/domainname
[ "$OUT" = example.org ] || fail "--domainname: $OUT"
refused "invalid domainname" --domainname 'a b' true
cv 0 run --rm --rootfs "$RF" --mac-address 92:d0:c6:0a:29:33 cat /sys/class/net/eth0/address
[ "$OUT" = 92:d0:c6:0a:29:33 ] || fail "--mac-address: $OUT"
refused "invalid --mac-address" --mac-address 01:00:5e:00:00:01 true
cv 0 run --rm --rootfs "$RF" -a stdout sh -c 'echo out; echo err >&2'
[ "$OUT" = out ] && [ -z "$ERR" ] || fail "-a stdout: stdout '$OUT', stderr '$ERR'"
cv 0 run --rm --rootfs "$RF" -a STDERR sh -c 'echo out; echo err >&2'
[ -z "$OUT" ] && [ "$ERR" = err ] || fail "-a stderr: stdout '$OUT', stderr '$ERR'"
cv 125 run -d -a stdout --rootfs "$RF" true
one_error_line "conflicting options"
refused "cannot detach" --detach-keys ctrl-x true
pass "--domainname, --mac-address and -a; --detach-keys refused"

# ---- exec --env-file and --privileged, wait --condition, top with ps options ----
cv 0 run -d --name ex --rootfs "$RF" sleep 600
ids+=("$OUT")
printf 'A=1\n# a comment\n\nB=2\n' >"$TEST_TMP/env"
cv 0 exec --env-file "$TEST_TMP/env" -e B=3 ex sh -c 'echo $A$B'
[ "$OUT" = 13 ] || fail "exec --env-file then -e: $OUT"
# At the default level (restricted); where it is granted: test_cli_docker_more.sh.
cv 125 exec --privileged ex true
one_error_line "refused at the restricted security level"
cv 0 top ex -eo pid,comm
[ "$(echo "$OUT" | head -1 | awk '{print $1}')" = PID ] && [[ "$OUT" == *sleep* ]] ||
	fail "top with ps options: $OUT"
[ "$(echo "$OUT" | wc -l)" = 3 ] || fail "top with ps options shows other processes than ex's init and sleep: $OUT"
cv 1 top ex -o comm
one_error_line "PID field"
cv 0 create --name nx --rootfs "$RF" sh -c 'exit 3'
ids+=("$OUT")
timeout 60 "$CONTAINERV" wait --condition next-exit nx >"$TEST_TMP/next-exit" &
waiter=$!
sleep 1
cv 0 start nx
wait $waiter || fail "wait --condition next-exit failed"
[ "$(cat "$TEST_TMP/next-exit")" = 3 ] || fail "wait --condition next-exit: $(cat "$TEST_TMP/next-exit")"
timeout 60 "$CONTAINERV" wait --condition removed nx >"$TEST_TMP/removed" &
waiter=$!
sleep 1
kill -0 $waiter 2>/dev/null || fail "wait --condition removed returned before the removal"
cv 0 rm nx
wait $waiter || fail "wait --condition removed failed"
[ "$(cat "$TEST_TMP/removed")" = 3 ] || fail "wait --condition removed: $(cat "$TEST_TMP/removed")"
cv 125 wait --condition soon ex
one_error_line "invalid --condition"
pass "exec --env-file, exec --privileged refused at restricted, top with ps options, wait --condition"

cv 0 rm -f $("$CONTAINERV" ps -aq)
assert_clean "run process flags"
