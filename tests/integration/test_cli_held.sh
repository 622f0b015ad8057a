#!/usr/bin/env bash
# The held start: `create --hold` sets a container up (cgroup, mounts, network) and stops before its
# command; `start`, from another process, only releases it. A held container removed leaves nothing.
#
# Needs root, nsenter and ip. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs).
source "$(dirname "$0")/lib.sh"

mkdir -p "$TEST_TMP/bind"
echo from-host >"$TEST_TMP/bind/host-file"

# Held: set up, with its init in its cgroup, and the command not executed.
cv 0 create --hold --name held -v "$TEST_TMP/bind:/data" --rootfs "$CV_TEST_ROOTFS" \
	sh -c 'echo released; touch /data/marker /ran'
held=$OUT
ids+=("$held")
cv 0 ps -a
[[ "$OUT" == *"${held:0:12}"*"Created"*held* ]] || fail "ps -a shows a held container as: $OUT"
cv 0 inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' held
read -r status running pid <<<"$OUT"
[ "$status" = created ] && [ "$running" = false ] || fail "inspect of a held container: $OUT"
[ "$pid" -gt 0 ] && [ -d "/proc/$pid" ] || fail "a held container has no init: $OUT"
grep -q "containerv/$held" "/proc/$pid/cgroup" || fail "the held init is not in its cgroup: $(cat /proc/$pid/cgroup)"
pass "a held container is created, with its init in its cgroup"

# Its mounts are made: the root filesystem, /dev, the bind; /proc/kcore is masked.
[ "$(cat "/proc/$pid/root/data/host-file")" = from-host ] || fail "the bind is not mounted in the held container"
[ -c "/proc/$pid/root/dev/null" ] || fail "the held container has no /dev/null"
[ -x "/proc/$pid/root/bin/sh" ] || fail "the held container's root filesystem is not mounted"
nsenter -t "$pid" -m -r sh -c '[ ! -s /proc/kcore ]' || fail "/proc/kcore is not masked in the held container"
# Its network: eth0 has its address, seen from the host through its network namespace.
address=$(nsenter -t "$pid" -n ip -4 -o addr show dev eth0 | awk '{print $4}')
[[ "$address" == 10.* ]] || fail "the held container's eth0 has no address: '$address'"
# And its command has not run.
[ ! -e "$TEST_TMP/bind/marker" ] || fail "the held container's command ran before its release"
[ ! -e "/proc/$pid/root/ran" ] || fail "the held container's command ran before its release"
[ ! -s "$CONTAINERV_ROOT/containers/$held/logs/container.log" ] || fail "the held container wrote output"
pass "a held container has its mounts and network ($address) and has not run"

# start (another process than the creator) releases it: the same init runs the command.
cv 0 start held
cv 0 wait held
[ "$OUT" = 0 ] || fail "wait after the release: $OUT"
[ -e "$TEST_TMP/bind/marker" ] || fail "the released command did not run"
cv 0 logs held
[ "$OUT" = released ] || fail "the released container's output (through its log monitor): '$OUT'"
[ ! -e "$CONTAINERV_ROOT/containers/$held/held.sock" ] || fail "the release socket stays after the release"
cv 0 inspect -f '{{.State.Status}} {{.State.ExitCode}}' held
[ "$OUT" = "exited 0" ] || fail "inspect after the release: $OUT"
# Started again, it is an ordinary start.
rm "$TEST_TMP/bind/marker"
cv 0 start -a held
[ "$OUT" = released ] && [ -e "$TEST_TMP/bind/marker" ] || fail "a second start: '$OUT'"
cv 0 rm held
assert_gone "$held"
pass "start releases a held container from another process"

# start -a on a held container follows its output; a command that cannot run fails the release.
cv 0 create --hold --rootfs "$CV_TEST_ROOTFS" sh -c 'echo attached; exit 3'
attached=$OUT
ids+=("$attached")
cv 3 start -a "$attached"
[ "$OUT" = attached ] || fail "start -a of a held container: '$OUT'"
cv 0 rm "$attached"
cv 0 create --hold --rootfs "$CV_TEST_ROOTFS" /no/such/command
missing=$OUT
ids+=("$missing")
cv 127 start "$missing"
one_error_line "not found"
cv 0 inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$missing"
[ "$OUT" = "exited 127" ] || fail "a held container whose command is missing: $OUT"
cv 0 rm "$missing"
assert_gone "$missing"
pass "start -a, and a command that cannot run"

# rm of a held container (no -f needed, as for docker's created ones) leaves nothing: init, cgroup, address.
cv 0 create --hold --name doomed --rootfs "$CV_TEST_ROOTFS" touch /ran
doomed=$OUT
ids+=("$doomed")
cv 0 inspect -f '{{.State.Pid}}' doomed
doomed_pid=$OUT
cv 0 rm doomed
assert_gone "$doomed"
[ ! -d "/proc/$doomed_pid" ] || grep -q zombie "/proc/$doomed_pid/status" 2>/dev/null ||
	fail "the held init outlived rm"
# A killed held init (a reboot): the container is created again, and start sets it up anew.
CONTAINERV_CREATE_HOLD=1 cv 0 create --rootfs "$CV_TEST_ROOTFS" echo again
again=$OUT
ids+=("$again")
cv 0 inspect -f '{{.State.Pid}}' "$again"
kill -9 "$OUT"
wait_for "the killed held init" bash -c "! kill -0 $OUT 2>/dev/null || grep -q zombie /proc/$OUT/status"
cv 0 start -a "$again"
[ "$OUT" = again ] || fail "start after the held init was killed: '$OUT'"
cv 0 rm "$again"
cv 125 run --hold --rootfs "$CV_TEST_ROOTFS" true
one_error_line "--hold is for 'containerv create'"
assert_clean "held containers"
pass "rm of a held container, a killed held init, CONTAINERV_CREATE_HOLD"
