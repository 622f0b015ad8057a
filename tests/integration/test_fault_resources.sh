#!/usr/bin/env bash
# Resource exhaustion: a full state root (ENOSPC: the root on a small tmpfs,
# filled to a growing number of free KiB) and too few descriptors (EMFILE: a
# growing RLIMIT_NOFILE set with prlimit) make run -d, create, volume create
# (plain and size-limited) and network create fail with one clear error line
# and a non-zero exit, or succeed; never crash. After each attempt, with
# space and descriptors back: nothing half-written is listed (every container
# listed inspects, and is Created or Up with a real creation time), the next
# command works, and once everything is removed nothing is left (state
# files, mounts, loop devices, cgroups, processes).
#
# Needs root, prlimit, losetup.
source "$(dirname "$0")/lib.sh"
for tool in prlimit losetup jq; do
	command -v "$tool" >/dev/null || fail "$tool is needed (scripts/install-deps.sh)"
done
ip link set lo up
R=$CV_TEST_ROOTFS

# The state root on a 32 MiB tmpfs of its own (unmounted by the trap, also on failure).
SMALL=$TEST_TMP/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=32m,mode=0711 cvtest-small "$SMALL"
trap 'umount -l "$SMALL" 2>/dev/null || true; cleanup' EXIT
export CONTAINERV_ROOT=$SMALL/root
mkdir -p "$CONTAINERV_ROOT"

# The error contract for a failed attempt: a non-zero exit, one line "containerv: ...".
check_failure() {
	local what=$1
	[ "$CODE" != 0 ] || return 0
	[ "$CODE" -lt 128 ] || fail "$what: died of signal $((CODE - 128)): $ERR"
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "$what: more than one error line: $ERR"
	[[ "$ERR" == "containerv: "* ]] || fail "$what: the error does not start with 'containerv: ': $ERR"
}

# try WHAT ARGS...: the CLI under the current constraint (PREFIX); sets CODE and ERR, fails only on a crash.
PREFIX=()
try() {
	local what=$1
	shift
	set +e
	OUT=$(timeout 60 "${PREFIX[@]}" "$CONTAINERV" "$@" 2>"$TEST_TMP/stderr" </dev/null)
	CODE=$?
	set -e
	ERR=$(cat "$TEST_TMP/stderr")
	check_failure "$what"
	if [[ "$ERR" == *"No space left on device"* ]]; then ENOSPC_SEEN=$((ENOSPC_SEEN + 1)); fi
	if [[ "$ERR" == *"Too many open files"* ]]; then EMFILE_SEEN=$((EMFILE_SEEN + 1)); fi
}
ENOSPC_SEEN=0
EMFILE_SEEN=0

# Nothing half-written: every container listed inspects, with a creation time and a sane status.
assert_listing_whole() {
	local what=$1 id json
	cv 0 ps -aq --no-trunc
	for id in $OUT; do
		json=$("$CONTAINERV" inspect "$id") || fail "$what: $id is listed but does not inspect"
		[[ "$(jq -r '.[0].Created' <<<"$json")" != 0001-01-01* && "$(jq -r '.[0].Created' <<<"$json")" != 1970-* ]] ||
			fail "$what: $id is listed without a creation time: $json"
	done
	cv 0 volume ls -q
	for id in $OUT; do
		cv 0 volume inspect "$id"
	done
	cv 0 network ls -q
}

# The next commands work, and then everything goes.
converge_and_clean() {
	local what=$1 id
	assert_listing_whole "$what"
	cv 0 run -d --name next --network none --rootfs "$R" sleep 100
	cv 0 exec next true
	cv 0 volume create -o size=8m nextvol
	cv 0 run --rm --network none -v nextvol:/data --rootfs "$R" sh -c 'echo x >/data/x'
	cv 0 ps -aq --no-trunc
	[ -z "$OUT" ] || cv 0 rm -f $OUT
	for id in $("$CONTAINERV" volume ls -q); do cv 0 volume rm "$id"; done
	for id in $("$CONTAINERV" network ls -q); do "$CONTAINERV" network rm "$id" >/dev/null 2>&1 || true; done
	assert_clean "$what"
	[ -z "$(losetup -a | grep -F "$CONTAINERV_ROOT" || true)" ] || fail "$what: loop devices left: $(losetup -a)"
	left=$(find "$CONTAINERV_ROOT/containers" "$CONTAINERV_ROOT/volumes" -mindepth 1 -maxdepth 1 \
		-not -name '.spare-*' -not -name .rootfs -not -name .etc -not -name lock 2>/dev/null || true)
	[ -z "$left" ] || fail "$what: left in the state root: $left"
}

# The operations tried under each constraint.
attempts() {
	local label=$1
	try "$label: run -d" run -d --network none --rootfs "$R" sleep 100
	[ "$CODE" = 0 ] || [ "$CODE" = 125 ] || fail "$label: run -d exit $CODE, expected 125: $ERR"
	if [ "$CODE" = 0 ]; then ids+=("$OUT"); fi
	try "$label: create" create --network none --rootfs "$R" true
	try "$label: volume create" volume create full1
	try "$label: volume create -o size" volume create -o size=8m full2
	try "$label: network create" network create full3
	try "$label: ps" ps -a
}

# Warm up (the root's directories and stores), then the baseline of errors seen.
converge_and_clean "warm-up"

# ENOSPC: the tmpfs filled but for FREE KiB.
for free in 0 8 32 128; do
	rm -f "$SMALL/filler"
	available=$(($(stat -f -c '%a * %S' "$SMALL") / 1024))
	size=$((available - free))
	[ "$size" -gt 0 ] && { fallocate -l "${size}k" "$SMALL/filler" 2>/dev/null || head -c "${size}k" /dev/zero >"$SMALL/filler" 2>/dev/null || true; }
	PREFIX=()
	attempts "ENOSPC with ${free} KiB free"
	rm -f "$SMALL/filler"
	converge_and_clean "ENOSPC with ${free} KiB free"
done
[ "$ENOSPC_SEEN" -ge 4 ] || fail "only $ENOSPC_SEEN attempts met ENOSPC: the filler does not fill the root"
pass "a full state root ($ENOSPC_SEEN attempts refused with ENOSPC): one error line, no crash, nothing half-written; the next commands work"

# EMFILE: RLIMIT_NOFILE from one more than the descriptors the CLI inherits (the dynamic loader's
# minimum) to 16 more, where everything works. (With 0, 1, 2 only, 9 was libseccomp's lazy load: an
# abort, exit 134, before it became an error.) ctest may hand down descriptors of its own.
inherited=$(($(ls /proc/self/fd | wc -l) - 1)) # less ls's own directory
for extra in 1 2 3 4 5 6 7 8 9 11 13 17; do
	limit=$((inherited + extra))
	PREFIX=(prlimit --nofile="$limit:$limit")
	attempts "RLIMIT_NOFILE $limit"
	PREFIX=()
	converge_and_clean "RLIMIT_NOFILE $limit"
done
[ "$EMFILE_SEEN" -ge 10 ] || fail "only $EMFILE_SEEN attempts met EMFILE"
pass "too few descriptors ($EMFILE_SEEN attempts refused with EMFILE): one error line (exit 125 for run), no crash, nothing half-written; the next commands work"
