#!/usr/bin/env bash
# podman 4.3 with containerv-runc as its OCI runtime (--runtime): run --rm with the output, run -d, exec
# with the exit status, stats from the container's cgroup, stop, rm. podman's storage, run and tmp
# directories are the test's own, in a private mount namespace; cgroups under a parent of the test's.
#
# On this VM podman's default limits cannot be given by any runtime: rootful podman asks RLIMIT_NOFILE
# 1048576 and RLIMIT_NPROC above the hard limits the process tree has, and raising a hard limit needs
# CAP_SYS_RESOURCE, which this VM's capability bounding set lacks. Every run passes --ulimit values
# within the hard limits podman's runtime process gets (docs/oci.md says more); the same config that
# fails for runc and crun is refused by containerv-runc in one line, checked first.
if [ "${CV_PODMAN_PRIVATE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 0; }
	command -v podman >/dev/null || { echo "SKIP: podman not installed (apt-get install podman)"; exit 0; }
	CV_PODMAN_PRIVATE=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
: "${CONTAINERV_RUNC:?set CONTAINERV_RUNC to the built containerv-runc}"

PARENT=cvtest-podman$$
PM=$TEST_TMP/podman
mkdir -p "$PM/tmp"
podman_flags=(--root "$PM/storage" --runroot "$PM/run" --tmpdir "$PM/tmp" --cgroup-manager cgroupfs
	--events-backend file --runtime "$CONTAINERV_RUNC")
# --rootfs is a switch: the rootfs is the first argument, so it comes last, right before the command.
run_flags=(--network none --cgroup-parent "/$PARENT" --rootfs "$TEST_TMP/rootfs")
teardown() {
	timeout 60 podman "${podman_flags[@]}" rm -f -a >/dev/null 2>&1 || true
	find /sys/fs/cgroup/*/"$PARENT" /sys/fs/cgroup/"$PARENT" -depth -type d -exec rmdir {} + 2>/dev/null || true
	cleanup
}
trap teardown EXIT

# pm EXPECTED_EXIT ARGS...: podman with our directories and runtime; stdout in $OUT, stderr in $ERR.
pm() {
	local expected=$1
	shift
	set +e
	timeout 90 podman "${podman_flags[@]}" "$@" >"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr" </dev/null
	CODE=$?
	set -e
	OUT=$(cat "$TEST_TMP/stdout")
	ERR=$(cat "$TEST_TMP/stderr")
	[ "$CODE" = "$expected" ] || fail "podman $*: exit $CODE, expected $expected; stderr: $ERR; out: $OUT"
}

cp -a "$CV_TEST_ROOTFS" "$TEST_TMP/rootfs"
# podman's own rlimits as its runtime sees them: within these the container's may be set.
cat >"$TEST_TMP/probe.sh" <<EOF
#!/bin/bash
previous=
for argument in "\$@"; do
	[ "\$previous" != --bundle ] || cp "\$argument/config.json" "$TEST_TMP/probed.json"
	previous=\$argument
done
grep -E '^Max (open files|processes)' /proc/self/limits >"$TEST_TMP/probed.limits"
exec "$CONTAINERV_RUNC" "\$@"
EOF
chmod +x "$TEST_TMP/probe.sh"
set +e
timeout 90 podman "${podman_flags[@]}" --runtime "$TEST_TMP/probe.sh" run --rm "${run_flags[@]}" true \
	>"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr" </dev/null
code=$?
set -e
[ -f "$TEST_TMP/probed.limits" ] || fail "podman never called its runtime: $(cat "$TEST_TMP/stderr")"
nofile=$(awk '/open files/ {print $5}' "$TEST_TMP/probed.limits")
nproc=$(awk '/processes/ {print $4}' "$TEST_TMP/probed.limits")
asked=$(jq -r '.process.rlimits[] | select(.type == "RLIMIT_NOFILE") | .hard' "$TEST_TMP/probed.json")
if [ "$asked" -gt "$nofile" ]; then
	# The default config asks more than the hard limit: refused in one line naming the field.
	[ "$code" != 0 ] || fail "podman's default RLIMIT_NOFILE $asked above the hard limit $nofile was not refused"
	grep -q "process.rlimits" "$TEST_TMP/stderr" || fail "the refusal does not name process.rlimits: $(cat "$TEST_TMP/stderr")"
fi
timeout 60 podman "${podman_flags[@]}" rm -f -a >/dev/null 2>&1 || true
run_flags=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc" "${run_flags[@]}")
pass "podman's default rlimits (RLIMIT_NOFILE $asked) against the hard limits here ($nofile): refused in one line"

pm 0 run --rm "${run_flags[@]}" echo hello-from-podman
[ "$OUT" = hello-from-podman ] || fail "run --rm output: $OUT"
pm 3 run --rm "${run_flags[@]}" sh -c 'exit 3'
pass "podman run --rm: output and exit status"

pm 0 run -d --name p1 "${run_flags[@]}" sleep 1000
id=$OUT
pm 0 exec p1 sh -c 'echo exec-out'
[ "$OUT" = exec-out ] || fail "exec output: $OUT"
pm 5 exec p1 sh -c 'exit 5'
pm 0 stats --no-stream --format '{{.PIDs}} {{.MemUsage}}' p1
[ "$(awk '{print $1}' <<<"$OUT")" -ge 1 ] || fail "stats: no process counted: $OUT"
pm 0 inspect --format '{{.State.Pid}}' p1
[ "$(cat /proc/$OUT/comm)" = containerv-init ] || fail "the container's pid is not containerv's init: $(cat /proc/$OUT/comm)"
grep -q "/$PARENT/libpod-$id" /proc/$OUT/cgroup || fail "not in podman's cgroup: $(cat /proc/$OUT/cgroup)"
pm 0 stop -t 5 p1
pm 0 rm p1
pm 0 ps -a -q
[ -z "$OUT" ] || fail "containers left: $OUT"
pass "podman run -d, exec (output and exit status), stats, stop, rm"

for dir in /sys/fs/cgroup/*/"$PARENT"/libpod-* /sys/fs/cgroup/"$PARENT"/libpod-*; do
	[ -d "$dir" ] && fail "container cgroup left: $dir"
done
pass "nothing left: no container, no container cgroup"
