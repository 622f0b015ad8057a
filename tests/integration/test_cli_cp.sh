#!/usr/bin/env bash
# containerv cp with tar streams ("-"): a round trip keeps modes, symlinks
# and contents; hostile archives (.., absolute names, a symlink to / followed
# by a path through it, device nodes) never write outside the container.
#
# Needs root and GNU tar. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"

cv 0 run -d --name box --rootfs "$CV_TEST_ROOTFS" sleep 300
ids+=("$("$CONTAINERV" inspect -f '{{.Id}}' box)")

# Round trip: host tree -> tar -> container -> tar -> host, compared byte for byte with modes.
src=$TEST_TMP/src
mkdir -p "$src/sub/deeper"
head -c 3000000 /dev/urandom >"$src/sub/big"
echo small >"$src/sub/deeper/small"
chmod 0741 "$src/sub/deeper/small"
ln -s sub/big "$src/link"
tar -C "$TEST_TMP" -cf - src | "$CONTAINERV" cp - box:/tmp || fail "cp - into the container"
mkdir -p "$TEST_TMP/back"
"$CONTAINERV" cp box:/tmp/src - | tar -C "$TEST_TMP/back" -xf - || fail "cp to - from the container"
diff -r "$src" "$TEST_TMP/back/src" || fail "the tree changed on the way"
[ "$(stat -c %a "$TEST_TMP/back/src/sub/deeper/small")" = 741 ] || fail "mode not kept"
[ "$(readlink "$TEST_TMP/back/src/link")" = sub/big ] || fail "symlink not kept"
pass "tar round trip"

# Hostile archives.
cd "$TEST_TMP"
echo evil >a
ln -s / link
tar -P --transform 's|^a$|../../../../../tmp/cvtest-escaped|' -cf dotdot.tar a 2>/dev/null
tar -P --transform 's|^a$|/tmp/cvtest-absolute|' -cf absolute.tar a 2>/dev/null
tar -cf plant.tar link
tar -P --transform 's|^a$|link/tmp/cvtest-planted|' -rf plant.tar a 2>/dev/null
tar -P -cf device.tar /dev/null 2>/dev/null
cd - >/dev/null
rm -f /tmp/cvtest-escaped /tmp/cvtest-absolute /tmp/cvtest-planted

set +e
"$CONTAINERV" cp - box:/tmp <"$TEST_TMP/dotdot.tar" 2>"$TEST_TMP/err"
code=$?
set -e
[ "$code" = 1 ] || fail "a .. entry was accepted (exit $code)"
grep -q '".."' "$TEST_TMP/err" || fail "the .. refusal does not say why: $(cat "$TEST_TMP/err")"
[ ! -e /tmp/cvtest-escaped ] || fail "a .. entry escaped to the host"

"$CONTAINERV" cp - box:/tmp <"$TEST_TMP/absolute.tar" || fail "absolute names should land under the destination"
cv 0 exec box cat /tmp/tmp/cvtest-absolute
[ "$OUT" = evil ] || fail "absolute entry not under the destination: '$OUT'"
[ ! -e /tmp/cvtest-absolute ] || fail "an absolute entry reached the host"

"$CONTAINERV" cp - box:/ <"$TEST_TMP/plant.tar" || fail "the symlink archive failed"
cv 0 exec box cat /tmp/cvtest-planted
[ "$OUT" = evil ] || fail "the path through the symlink did not resolve inside the container: '$OUT'"
[ ! -e /tmp/cvtest-planted ] || fail "a path through a symlink to / reached the host"

set +e
"$CONTAINERV" cp - box:/tmp <"$TEST_TMP/device.tar" 2>"$TEST_TMP/err"
code=$?
set -e
[ "$code" = 1 ] || fail "a device node was accepted (exit $code)"
grep -q "device" "$TEST_TMP/err" || fail "the device refusal does not say why: $(cat "$TEST_TMP/err")"
pass "hostile archives stay inside"

# Stopped containers: cp in before the first start, cp out after the exit (docker allows both).
cv 0 create --name later --rootfs "$CV_TEST_ROOTFS" cat /etc/planted
ids+=("$("$CONTAINERV" inspect -f '{{.Id}}' later)")
echo "put there while stopped" >"$TEST_TMP/planted"
cv 0 cp "$TEST_TMP/planted" later:/etc/planted
cv 0 start -a later
[ "$OUT" = "put there while stopped" ] || fail "cp into a created container: '$OUT'"
cv 0 cp later:/etc/planted "$TEST_TMP/out"
[ "$(cat "$TEST_TMP/out")" = "put there while stopped" ] || fail "cp out of an exited container"
"$CONTAINERV" cp later:/etc - | tar -tf - | grep -q '^etc/planted$' || fail "tar out of an exited container"
! grep -q "$CONTAINERV_ROOT" /proc/self/mountinfo || fail "cp on a stopped container left a mount"
pass "cp with stopped containers"

cv 0 rm -f box later
assert_clean "cp"
echo "all cp tests passed"
