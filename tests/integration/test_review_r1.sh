#!/usr/bin/env bash
# Second review (r1), attacks that broke the issue 9 fixes, performed for real:
#  1. a bind source swapped for a symlink to /etc between the sensitive-bind check and the init's open
#     (another container, through a shared bind, renameat2 RENAME_EXCHANGE in a loop).
#
# Environment: CONTAINERV, CV_ATTACK, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
: "${CV_ATTACK:?set CV_ATTACK to the built cv-attack helper}"

# 1. The swapper shares $TEST_TMP/share; the victim's bind source is share/data, checked as ordinary.
mkdir -p "$TEST_TMP/share/data"
echo ours >"$TEST_TMP/share/data/only-this"
ln -s /etc "$TEST_TMP/share/link"
cv 0 run -d --name swapper --network none -v "$CV_ATTACK:/cv-attack:ro" -v "$TEST_TMP/share:/share" \
	--rootfs "$CV_TEST_ROOTFS" /cv-attack swap_forever /share/data:/share/link
ids+=("$("$CONTAINERV" inspect -f '{{.Id}}' swapper)")
wait_for "the swapper" sh -c "'$CONTAINERV' logs swapper | grep -q swapping"
normal=0 refused=0 start=$SECONDS
for _ in $(seq 80); do
	[ $((SECONDS - start)) -lt 60 ] || break
	set +e
	out=$(timeout 30 "$CONTAINERV" run --rm --network none -v "$TEST_TMP/share/data:/mnt" --rootfs "$CV_TEST_ROOTFS" \
		ls /mnt 2>&1)
	set -e
	[[ "$out" != *passwd* ]] || fail "the host's /etc was bound through a swapped source: $out"
	if [ "$out" = only-this ]; then normal=$((normal + 1)); else refused=$((refused + 1)); fi
done
[ $((normal + refused)) -ge 20 ] || fail "only $((normal + refused)) starts ran"
cv 0 rm -f swapper
pass "a bind source swapped for a symlink after its check: $normal bound, $refused refused, never /etc"

assert_clean "review r1"
echo "all review r1 tests passed"
