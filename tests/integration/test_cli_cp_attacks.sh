#!/usr/bin/env bash
# containerv cp against a hostile container (issue 9), performed for real:
#  1. the container mknod's a node of a host device (a loop device over a
#     file we know, and /dev/kmsg) where cp will write; running and stopped;
#  2. the container swaps the file cp reads with a node of that loop device
#     in a renameat2(RENAME_EXCHANGE) loop, while cp copies it out, plain and
#     as a tar stream.
# Also: cp into a --userns auto container, and who owns what cp makes.
#
# Needs root, losetup and dmesg. Environment: CONTAINERV, CV_ATTACK, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
: "${CV_ATTACK:?set CV_ATTACK to the built cv-attack helper}"

# The "host disk": a loop device over a file of known content, detached at exit.
loop=
detach_loop() {
	[ -z "$loop" ] || losetup -d "$loop" 2>/dev/null || true
	cleanup
}
trap detach_loop EXIT
marker=CVLOOPMARK
for _ in $(seq 400); do printf '%s-0123456789abcdef-' "$marker"; done >"$TEST_TMP/backing"
truncate -s 1M "$TEST_TMP/backing"
cp "$TEST_TMP/backing" "$TEST_TMP/backing.orig"
loop=$(losetup -f --show "$TEST_TMP/backing")
device="$((0x$(stat -c %t "$loop"))):$((0x$(stat -c %T "$loop")))"

# The device as the host reads it (through its page cache, where a write lands first) and its file are unchanged.
assert_disk_intact() {
	cmp -s <(head -c 65536 "$loop") <(head -c 65536 "$TEST_TMP/backing.orig") || fail "$1: the host's loop device was written"
	sync
	cmp -s "$TEST_TMP/backing" "$TEST_TMP/backing.orig" || fail "$1: the loop device's backing file changed"
}
kmsg_marker="cvtest-cp-kmsg-$$-$RANDOM"
assert_no_kmsg() {
	! dmesg | grep -q "$kmsg_marker" || fail "$1: cp wrote into the host's kernel log"
}
echo "written by cp" >"$TEST_TMP/payload"
echo "<3>$kmsg_marker" >"$TEST_TMP/kmsg-payload"

# Attack 1, running: nodes of the loop device and of /dev/kmsg where cp writes.
cv 0 run -d --name box --rootfs "$CV_TEST_ROOTFS" sleep 300
ids+=("$("$CONTAINERV" inspect -f '{{.Id}}' box)")
cv 0 exec box sh -c "mknod /up b ${device/:/ } && mknod /kmsg c 1 11"
cv 0 cp "$TEST_TMP/payload" box:/up
assert_disk_intact "cp onto a block node (running)"
cv 0 exec box sh -c 'test -f /up && cat /up'
[ "$OUT" = "written by cp" ] || fail "the node was not replaced by the copied file: '$OUT'"
cv 0 cp "$TEST_TMP/kmsg-payload" box:/kmsg
assert_no_kmsg "cp onto a /dev/kmsg node (running)"
cv 0 exec box sh -c 'test -f /kmsg'
# The tar form replaces the node as well.
mkdir -p "$TEST_TMP/tarsrc" && echo "from tar" >"$TEST_TMP/tarsrc/up2"
cv 0 exec box mknod /up2 b ${device/:/ }
tar -C "$TEST_TMP/tarsrc" -cf - up2 | "$CONTAINERV" cp - box:/ || fail "cp - onto a block node"
assert_disk_intact "tar onto a block node (running)"
cv 0 exec box sh -c 'test -f /up2 && cat /up2'
[ "$OUT" = "from tar" ] || fail "tar did not replace the node: '$OUT'"
pass "cp into a running container replaces planted device nodes, never writes through them"

# Attack 1, stopped: the overlay is mounted by cp itself (nodev), the nodes were made while it ran.
cv 0 run --name stopped --rootfs "$CV_TEST_ROOTFS" sh -c "mknod /up b ${device/:/ } && mknod /kmsg c 1 11"
ids+=("$("$CONTAINERV" inspect -f '{{.Id}}' stopped)")
cv 0 cp "$TEST_TMP/payload" stopped:/up
assert_disk_intact "cp onto a block node (stopped)"
cv 0 cp "$TEST_TMP/kmsg-payload" stopped:/kmsg
assert_no_kmsg "cp onto a /dev/kmsg node (stopped)"
cv 0 cp stopped:/up "$TEST_TMP/stopped-up"
[ "$(cat "$TEST_TMP/stopped-up")" = "written by cp" ] || fail "the stopped container's node was not replaced"
pass "cp into a stopped container replaces planted device nodes"

# Device nodes out: the plain form refuses them with one line, the tar form lists them without opening them.
cv 0 exec box mknod /node b ${device/:/ }
cv 1 cp box:/node "$TEST_TMP/node-out"
one_error_line "device nodes"
[ ! -e "$TEST_TMP/node-out" ] || fail "a refused copy left a file"
"$CONTAINERV" cp box:/node - >"$TEST_TMP/node.tar" || fail "cp of a device node to -"
tar -tvf "$TEST_TMP/node.tar" | grep -q '^b' || fail "the tar stream does not list the node: $(tar -tvf "$TEST_TMP/node.tar")"
! grep -aq "$marker" "$TEST_TMP/node.tar" || fail "the tar stream holds the device's content"
pass "device nodes copied out: refused plainly, a header only in tar"

# Attack 2: the container swaps /race (a regular file) with a node of the loop device, endlessly.
cv 0 run -d --name racer -v "$CV_ATTACK:/cv-attack:ro" --rootfs "$CV_TEST_ROOTFS" /cv-attack cp_race "$device"
ids+=("$("$CONTAINERV" inspect -f '{{.Id}}' racer)")
wait_for "the racer" sh -c "'$CONTAINERV' logs racer | grep -q racing"
race() { # FORM: copies /race out up to 150 times (25 seconds at most: an ASan build on a loaded machine copies slowly); none may hold the device's bytes
	local form=$1 copied=0 refused=0 start=$SECONDS
	for _ in $(seq 150); do
		[ $((SECONDS - start)) -lt 25 ] || break
		rm -f "$TEST_TMP/race-out"
		set +e
		if [ "$form" = plain ]; then
			timeout 20 "$CONTAINERV" cp racer:/race "$TEST_TMP/race-out" 2>"$TEST_TMP/race-err"
		else
			timeout 20 "$CONTAINERV" cp racer:/race - >"$TEST_TMP/race-out" 2>"$TEST_TMP/race-err"
		fi
		local code=$?
		set -e
		! grep -aq "$marker" "$TEST_TMP/race-out" 2>/dev/null || fail "$form cp out copied the host's device"
		if [ "$code" = 0 ]; then
			copied=$((copied + 1))
		else
			refused=$((refused + 1))
			ERR=$(cat "$TEST_TMP/race-err")
			one_error_line "device nodes"
		fi
	done
	[ $((copied + refused)) -ge 20 ] || fail "$form: only $((copied + refused)) copies ran"
	pass "$form cp out of a racing container: $copied copied, $refused refused, no device content"
}
race plain
race tar
cv 0 rm -f racer

# cp into a --userns auto container: the file belongs to the container's root (it failed with EOVERFLOW).
cv 0 run -d --name uns --userns auto --rootfs "$CV_TEST_ROOTFS" sleep 300
ids+=("$("$CONTAINERV" inspect -f '{{.Id}}' uns)")
echo "into the namespace" >"$TEST_TMP/uns-file"
chown 1234:5678 "$TEST_TMP/uns-file"
chmod 0640 "$TEST_TMP/uns-file"
cv 0 cp "$TEST_TMP/uns-file" uns:/tmp/uns-file
cv 0 exec uns sh -c 'ls -ln /tmp/uns-file && cat /tmp/uns-file'
[[ "$OUT" == "-rw-r-----"*" 0 "*" 0 "* ]] || fail "cp into a userns container: not the container's root's, mode 640: $OUT"
[[ "$OUT" == *"into the namespace" ]] || fail "cp into a userns container: content: $OUT"
mkdir -p "$TEST_TMP/uns-dir/sub" && echo deep >"$TEST_TMP/uns-dir/sub/file"
cv 0 cp "$TEST_TMP/uns-dir" uns:/tmp
cv 0 exec uns sh -c 'ls -lnd /tmp/uns-dir/sub | cut -c1-30; cat /tmp/uns-dir/sub/file'
[[ "$OUT" == *" 0 "*"deep" ]] || fail "directory into a userns container: $OUT"
cv 0 exec uns sh -c 'echo out > /tmp/made-inside'
cv 0 cp uns:/tmp/made-inside "$TEST_TMP/made-inside"
[ "$(stat -c %u:%g "$TEST_TMP/made-inside")" = "$(id -u):$(id -g)" ] || fail "cp out of a userns container: not ours"
pass "cp into and out of a --userns auto container"

# Ownership: in, the container's root; out, the user running cp; modes kept (setuid not carried out).
cv 0 cp "$TEST_TMP/uns-file" box:/tmp/owned
cv 0 exec box sh -c 'ls -ln /tmp/owned'
[[ "$OUT" == "-rw-r-----"*" 0 "*" 0 "* ]] || fail "cp in: not owned by the container's root with mode 640: $OUT"
cv 0 exec box sh -c 'echo x > /tmp/theirs && chown 1234:1234 /tmp/theirs && chmod 4750 /tmp/theirs'
cv 0 cp box:/tmp/theirs "$TEST_TMP/theirs"
[ "$(stat -c %u:%g:%a "$TEST_TMP/theirs")" = "$(id -u):$(id -g):750" ] ||
	fail "cp out: $(stat -c %u:%g:%a "$TEST_TMP/theirs"), expected ours with mode 750"
pass "ownership: container root in, the caller out"

# A directory in the way of a file (below the top level) is refused as docker does; nothing is left behind.
mkdir -p "$TEST_TMP/conflict" && echo f >"$TEST_TMP/conflict/entry"
cv 0 exec box mkdir -p /tmp/conflict/entry
cv 1 cp "$TEST_TMP/conflict" box:/tmp
one_error_line "cannot overwrite directory"
cv 0 exec box sh -c 'find / -xdev -name ".cv-cp-*"'
[ -z "$OUT" ] || fail "temporaries left in the container: $OUT"
! ls -A "$TEST_TMP" | grep -q '^\.cv-cp-' || fail "temporaries left on the host"
pass "a directory in the way is refused, no temporaries left"

cv 0 rm -f box stopped uns
assert_clean "cp attacks"
echo "all cp attack tests passed"
