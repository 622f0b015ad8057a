#!/usr/bin/env bash
# Attacks on the held start (review of create --hold): what the release socket lets through, and a start
# that dies in the middle of a release (after its "go", or before it).
#
# Needs root and setpriv. Environment: CONTAINERV, CV_ATTACK, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
: "${CV_ATTACK:?set CV_ATTACK to the built cv-attack helper}"

# Our copy, reachable by nobody (the build tree may not be).
cp "$CV_ATTACK" "$TEST_TMP/cv-attack"
chmod 0755 "$TEST_TMP/cv-attack"
attack=$TEST_TMP/cv-attack
socket_of() { echo "$CONTAINERV_ROOT/containers/$1/held.sock"; }

# An unprivileged host user cannot reach the release socket; the held init keeps no directory of the host;
# descriptors sent along with "go" (the host's root, the socket) never reach the workload.
for userns in "" "--userns auto"; do
	cv 0 create --hold $userns -v "$attack:/cv-attack:ro" --rootfs "$CV_TEST_ROOTFS" /cv-attack fds
	held=$OUT
	ids+=("$held")
	[ -S "$(socket_of "$held")" ] || fail "no release socket for a held container"
	OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$attack" held_release "go:$(socket_of "$held")")
	[ "$OUT" = EACCES ] || fail "nobody connecting to the release socket: $OUT"
	cv 0 inspect -f '{{.State.Pid}}' "$held"
	for fd in /proc/"$OUT"/fd/*; do
		[ ! -d "$fd" ] || fail "the held init ($userns) keeps a directory: $(readlink "$fd")"
	done
	OUT=$("$attack" held_release "fds:$(socket_of "$held")")
	[ "$OUT" = ok ] || fail "release with descriptors along: $OUT"
	cv 0 wait "$held"
	cv 0 logs "$held"
	[ "$OUT" = ok ] || fail "the released workload ($userns) holds descriptors: $OUT"
	cv 0 rm "$held"
	assert_gone "$held"
done
pass "the release socket is root's; descriptors sent with the release never reach the workload"

# A start killed after its "go", before it saved the state: the workload runs, and is running to every
# command (before: "Created" to ps, stop did nothing, exec was refused and the next start killed it).
cv 0 create --hold --rootfs "$CV_TEST_ROOTFS" sh -c 'echo working; sleep 60'
released=$OUT
ids+=("$released")
cv 0 inspect -f '{{.State.Pid}}' "$released"
[ "$(cat "/proc/$OUT/comm")" = containerv-held ] || fail "the held init's name: $(cat "/proc/$OUT/comm")"
OUT=$("$attack" held_release "go:$(socket_of "$released")")
[ -z "$OUT" ] || fail "the killed release: $OUT"
wait_for "the released command" grep -q working "$CONTAINERV_ROOT/containers/$released/logs/container.log"
cv 0 ps
[[ "$OUT" == *"${released:0:12}"*"Up "* ]] || fail "ps of a container released by a start that died: $OUT"
cv 1 start "$released"
one_error_line "already running"
cv 0 exec "$released" echo inside
[ "$OUT" = inside ] || fail "exec into the released container: '$OUT'"
cv 0 stop -t 5 "$released"
cv 0 inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$released"
[ "$OUT" = "exited 143" ] || fail "stop of the released container: $OUT"
cv 0 rm "$released"
assert_gone "$released"

# The same with a command that ends before anyone looks: it ran once, and its exit is kept (before: the
# container was created again, its status lost, and the next start ran the command a second time).
cv 0 create --hold --rootfs "$CV_TEST_ROOTFS" sh -c 'echo job ran; exit 7'
job=$OUT
ids+=("$job")
OUT=$("$attack" held_release "go:$(socket_of "$job")")
wait_for "the job's exit" grep -q code "$CONTAINERV_ROOT/containers/$job/exit.json"
cv 0 inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$job"
[ "$OUT" = "exited 7" ] || fail "a job released by a start that died: $OUT"
cv 0 logs "$job"
[ "$OUT" = "job ran" ] || fail "the job's output: '$OUT'"
cv 0 rm "$job"
assert_gone "$job"
pass "a start killed after its release: the container runs (and ends) as started"

# A start killed before its "go", while another start comes: the held init ends without running anything,
# and the second start is an ordinary one (before: it killed the init and reported exit 125).
cv 0 create --hold --rootfs "$CV_TEST_ROOTFS" sh -c 'echo job ran; exit 7'
stalled=$OUT
ids+=("$stalled")
"$attack" held_release "stall:$(socket_of "$stalled")" >/dev/null &
stall=$!
wait_for "the stalled release" bash -c "[ ! -e '$(socket_of "$stalled")' ]"
cv 7 start -a "$stalled"
[ "$OUT" = "job ran" ] || fail "start after a start that died before its release: '$OUT'"
wait "$stall"
cv 0 rm "$stalled"
assert_gone "$stalled"

# A held init killed: the container is created again, and its release socket (nobody's now) goes.
cv 0 create --hold --rootfs "$CV_TEST_ROOTFS" true
killed=$OUT
ids+=("$killed")
cv 0 inspect -f '{{.State.Pid}}' "$killed"
kill -9 "$OUT"
wait_for "the killed held init" bash -c "! kill -0 $OUT 2>/dev/null || grep -q zombie /proc/$OUT/status"
cv 0 inspect -f '{{.State.Status}}' "$killed"
[ "$OUT" = created ] && [ ! -e "$(socket_of "$killed")" ] || fail "a killed held init leaves: $OUT $(ls "$CONTAINERV_ROOT/containers/$killed")"
cv 0 rm "$killed"
assert_gone "$killed"
assert_clean "held attacks"
pass "a start killed before its release: the next start runs the container once; a killed held init leaves no socket"
