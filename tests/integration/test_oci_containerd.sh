#!/usr/bin/env bash
# containerd 1.6 drives containerv-runc through its own runc shim (io.containerd.runc.v2 with
# --runc-binary), as a cluster would: run --rm with the exit status, run -d, task exec (output and exit
# status), ps, metrics from the container's cgroup, pause/resume, kill, delete. containerd is started here
# with its own root, state and socket, in a private mount namespace (its shims' sockets and the runtime's
# state go to a tmpfs on /run/containerd seen by nothing else), and torn down: no containerd, shim,
# container, cgroup or mount is left.
if [ "${CV_CONTAINERD_PRIVATE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 0; }
	for tool in containerd ctr containerd-shim-runc-v2; do
		command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (apt-get install containerd)"; exit 0; }
	done
	CV_CONTAINERD_PRIVATE=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../containerd-lib.sh"
: "${CONTAINERV_RUNC:?set CONTAINERV_RUNC to the built containerv-runc}"

# A containerd namespace of our own: it names the cgroups (/NS/ID) and the shims' command lines.
NS=cvtest$$
CTD=$TEST_TMP/containerd

teardown() {
	# Tasks first (the shims exit with them), then containerd; a shim left by a failure goes by its pid.
	for id in $(ctr_quiet task ls -q 2>/dev/null); do
		ctr_quiet task kill -s KILL "$id" >/dev/null 2>&1 || true
		sleep 0.5
		ctr_quiet task delete -f "$id" >/dev/null 2>&1 || true
	done
	for id in $(ctr_quiet container ls -q 2>/dev/null); do ctr_quiet container delete "$id" >/dev/null 2>&1 || true; done
	containerd_stop "$NS"
	find /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS" -depth -type d -exec rmdir {} + 2>/dev/null || true
	umount "$TEST_TMP/pod-netns" 2>/dev/null || true
	cleanup
}
trap teardown EXIT

ctr_quiet() { timeout 60 ctr -n "$NS" "$@"; }
# ct EXPECTED_EXIT ARGS...: ctr in our namespace; stdout in $OUT, stderr in $ERR.
ct() {
	local expected=$1
	shift
	set +e
	timeout 60 ctr -n "$NS" "$@" >"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr" </dev/null
	CODE=$?
	set -e
	OUT=$(cat "$TEST_TMP/stdout")
	ERR=$(cat "$TEST_TMP/stderr")
	[ "$CODE" = "$expected" ] || fail "ctr $*: exit $CODE, expected $expected; stderr: $ERR; out: $OUT"
}
task_status() { ctr_quiet task ls | awk -v id="$1" '$1 == id {print $3}'; }
# kill_and_remove ID SIGNAL: the task signalled, waited for until stopped, deleted with its container.
kill_and_remove() {
	ct 0 task kill -s "$2" "$1"
	wait_for "$1 stopped" test "$(task_status "$1")" = STOPPED
	ct 0 task delete "$1"
	ct 0 container delete "$1"
}

containerd_start "$CTD" cvtest-run-containerd || fail "containerd did not start"
ct 0 version

# The rootfs is used in place (ctr --rootfs): no image, no snapshotter, no registry.
cp -a "$CV_TEST_ROOTFS" "$TEST_TMP/rootfs"
run_flags=(--runtime io.containerd.runc.v2 --runc-binary "$CONTAINERV_RUNC" --rootfs "$TEST_TMP/rootfs")

ct 0 run --rm "${run_flags[@]}" c1 echo hello-from-containerd
[ "$OUT" = hello-from-containerd ] || fail "run --rm output: $OUT"
ct 3 run --rm "${run_flags[@]}" c2 sh -c 'exit 3'
pass "ctr run --rm through the shim: output and exit status"

ct 0 run -d "${run_flags[@]}" c3 sleep 1000
[ "$(task_status c3)" = RUNNING ] || fail "task c3: $(ctr_quiet task ls)"
pid=$(ctr_quiet task ls | awk '$1 == "c3" {print $2}')
[ "$(cat /proc/$pid/comm)" = containerv-init ] || fail "the task's pid is not containerv's init: $(cat /proc/$pid/comm)"
grep -q ":/$NS/c3\$" /proc/$pid/cgroup || fail "not in the cgroup containerd asked for (/$NS/c3): $(cat /proc/$pid/cgroup)"
timeout 10 "$CONTAINERV_RUNC" --root "/run/containerd/runc/$NS" state c3 >/dev/null ||
	fail "the runtime's container is not under the shim's --root"
ct 0 task exec --exec-id e1 c3 sh -c 'echo exec-out; hostname'
[ "$(head -1 <<<"$OUT")" = exec-out ] || fail "task exec output: $OUT"
ct 4 task exec --exec-id e2 c3 sh -c 'exit 4'
ct 0 task ps c3
[ "$(grep -c '^[0-9]' <<<"$OUT")" -ge 2 ] || fail "task ps: $OUT"
ct 0 task metrics c3
grep -qE '^(pids.current|memory.usage_in_bytes|memory.current)' <<<"$OUT" || fail "task metrics: $OUT"
pass "run -d, task exec (output and exit status), ps, metrics from the cgroup"

ct 0 task pause c3
[ "$(task_status c3)" = PAUSED ] || fail "after pause: $(ctr_quiet task ls)"
ct 0 task resume c3
[ "$(task_status c3)" = RUNNING ] || fail "after resume: $(ctr_quiet task ls)"
ct 1 task delete c3
[[ "$ERR" == *"must be stopped"* ]] || fail "delete of a running task: $ERR"
kill_and_remove c3 TERM
ct 0 run -d "${run_flags[@]}" c4 sleep 1000
kill_and_remove c4 KILL
pass "pause/resume, delete of a running task refused, kill (TERM, KILL), delete"

# A pod as containerd's CRI plugin makes one: the network namespace made first (CRI's pinned netns, where
# CNI would have put an interface: a veth pair here), a sandbox container (CRI's pause) joining it, under the pod's cgroup;
# then a container joining the sandbox's network, IPC and UTS namespaces through /proc/<sandbox pid>/ns/*,
# as CRI's WithPodNamespaces writes them, in the same pod cgroup. crictl is not in Debian: ctr's --with-ns
# and --cgroup give the runtime the same config.json members.
touch "$TEST_TMP/pod-netns"
unshare --net="$TEST_TMP/pod-netns" true
nsenter --net="$TEST_TMP/pod-netns" ip link add cvpod0 type veth peer name cvpod1
# ctr takes the rootfs directory as its first argument (--rootfs is a switch): flags go before run_flags.
ct 0 run -d --with-ns "network:$TEST_TMP/pod-netns" --cgroup "/$NS/pod1/sandbox" "${run_flags[@]}" sandbox sleep 1000
spid=$(ctr_quiet task ls | awk '$1 == "sandbox" {print $2}')
[ "$(stat -Lc %i /proc/$spid/ns/net)" = "$(stat -Lc %i "$TEST_TMP/pod-netns")" ] ||
	fail "the sandbox is not in the pod's network namespace"
pod_ns=()
for ns in network:net ipc:ipc uts:uts; do pod_ns+=(--with-ns "${ns%%:*}:/proc/$spid/ns/${ns#*:}"); done
cp -a "$CV_TEST_ROOTFS" "$TEST_TMP/rootfs-app"
ct 0 run -d "${pod_ns[@]}" --cgroup "/$NS/pod1/app" --runtime io.containerd.runc.v2 --runc-binary "$CONTAINERV_RUNC" \
	--rootfs "$TEST_TMP/rootfs-app" app sleep 1000
apid=$(ctr_quiet task ls | awk '$1 == "app" {print $2}')
for ns in net ipc uts; do
	[ "$(stat -Lc %i /proc/$apid/ns/$ns)" = "$(stat -Lc %i /proc/$spid/ns/$ns)" ] ||
		fail "app does not share the sandbox's $ns namespace"
done
[ "$(stat -Lc %i /proc/$apid/ns/pid)" != "$(stat -Lc %i /proc/$spid/ns/pid)" ] || fail "app shares the sandbox's pid namespace"
[ "$(stat -Lc %i /proc/$apid/ns/mnt)" != "$(stat -Lc %i /proc/$spid/ns/mnt)" ] || fail "app shares the sandbox's mounts"
grep -q ":/$NS/pod1/app\$" /proc/$apid/cgroup || fail "app not in the pod's cgroup: $(cat /proc/$apid/cgroup)"
grep -q ":/$NS/pod1/sandbox\$" /proc/$spid/cgroup || fail "sandbox not in the pod's cgroup: $(cat /proc/$spid/cgroup)"
ct 0 task exec --exec-id e3 app cat /proc/net/dev
grep -q cvpod0 <<<"$OUT" || fail "the pod's interface is not seen from the app container: $OUT"
# The app goes first and the sandbox keeps the pod's namespaces; then the sandbox.
kill_and_remove app KILL
[ "$(task_status sandbox)" = RUNNING ] || fail "the sandbox did not outlive the app: $(ctr_quiet task ls)"
ct 0 task exec --exec-id e4 sandbox cat /proc/net/dev
grep -q cvpod0 <<<"$OUT" || fail "the pod's interface is gone after the app: $OUT"
kill_and_remove sandbox KILL
umount "$TEST_TMP/pod-netns"
rmdir /sys/fs/cgroup/*/"$NS"/pod1 2>/dev/null || true
pass "a CRI pod: sandbox in a pinned netns, a container joining its net/ipc/uts, both in the pod cgroup"

# Nothing of ours left while containerd still runs: the runtime's containers, the cgroups, the shims.
[ -z "$(timeout 10 "$CONTAINERV_RUNC" --root "/run/containerd/runc/$NS" list -q)" ] || fail "runtime containers left"
wait_for "the shims to exit" sh -c "! pgrep -f -- '[c]ontainerd-shim-runc-v2 -namespace $NS ' >/dev/null"
for dir in /sys/fs/cgroup/*/"$NS"/* /sys/fs/cgroup/"$NS"/*; do
	[ -d "$dir" ] || continue
	case $dir in */cgroup.* | */*.*) continue ;; esac
	fail "container cgroup left: $dir"
done
pass "nothing left: no runtime container, shim or container cgroup"
