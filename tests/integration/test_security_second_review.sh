#!/usr/bin/env bash
# Attacks from the second review of the issue 9 fixes, performed for real:
#  1. a bind source swapped for a symlink to /etc between the sensitive-bind check and the init's open
#     (another container, through a shared bind, renameat2 RENAME_EXCHANGE in a loop).
#  2. a sparse file of 1 GiB that takes no block in the container, copied out by cp: it must not take
#     1 GiB of the host's disk (a terabyte would fill it); holes stay holes, in and out.
#  3. a directory tree as deep as names allow (2040 levels of "a/"): cp to - overflowed the copy
#     process's stack (a 64 KiB buffer per level) and died; a container made its files uncopyable.
#  4. run -t, with and without --userns auto: /dev/console is bound from the pty the init opened (a path
#     through the 0700 state root is not the container's root's to walk: EACCES under a user namespace).
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

# 2. Sparse files: the container's 1 GiB hole with 6 bytes of data in its middle.
cv 0 run -d --name sparse --network none --rootfs "$CV_TEST_ROOTFS" sleep 300
ids+=("$("$CONTAINERV" inspect -f '{{.Id}}' sparse)")
cv 0 exec sparse sh -c 'dd if=/dev/zero of=/big bs=1 count=0 seek=1G 2>/dev/null &&
	echo middle | dd of=/big bs=1 seek=500000000 conv=notrunc 2>/dev/null'
cv 0 cp sparse:/big "$TEST_TMP/big"
[ "$(stat -c %s "$TEST_TMP/big")" = 1073741824 ] || fail "sparse cp out: size $(stat -c %s "$TEST_TMP/big")"
[ "$(du -k "$TEST_TMP/big" | cut -f1)" -lt 1024 ] || fail "sparse cp out: $(du -k "$TEST_TMP/big") KiB on the host"
[ "$(dd if="$TEST_TMP/big" bs=1 skip=500000000 count=6 2>/dev/null)" = middle ] || fail "sparse cp out: data lost"
rm -f "$TEST_TMP/big"
truncate -s 1G "$TEST_TMP/hole"
cv 0 cp "$TEST_TMP/hole" sparse:/hole
cv 0 exec sparse sh -c 'stat -c "%s %b" /hole'
[ "$OUT" = "1073741824 0" ] || fail "sparse cp in: size and blocks $OUT"
head -c 200000 /dev/urandom >"$TEST_TMP/dense"
cv 0 cp "$TEST_TMP/dense" sparse:/dense
cv 0 cp sparse:/dense "$TEST_TMP/dense-back"
cmp -s "$TEST_TMP/dense" "$TEST_TMP/dense-back" || fail "a plain file changed through cp in and out"
pass "sparse files stay sparse through cp, in and out"

# 3. A deep tree, copied out in both forms.
cv 0 exec sparse sh -c 'mkdir /deep && cd /deep && i=0 && while [ $i -lt 2040 ]; do mkdir a && cd a && i=$((i+1)); done &&
	echo bottom >f'
"$CONTAINERV" cp sparse:/deep - >"$TEST_TMP/deep.tar" 2>"$TEST_TMP/deep.err" || fail "cp of a deep tree to -: $(cat "$TEST_TMP/deep.err")"
[ "$(tar -tf "$TEST_TMP/deep.tar" | wc -l)" = 2042 ] || fail "cp of a deep tree to -: $(tar -tf "$TEST_TMP/deep.tar" | wc -l) entries"
cv 0 cp sparse:/deep "$TEST_TMP/deep"
[ "$(find "$TEST_TMP/deep" -name f -execdir cat {} \;)" = bottom ] || fail "cp of a deep tree: the bottom file is missing"
rm -rf "$TEST_TMP/deep" "$TEST_TMP/deep.tar"
cv 0 rm -f sparse
pass "a tree as deep as names allow copies out, plainly and to -"

# 4. -t, with and without a user namespace (script gives the CLI a terminal).
if command -v script >/dev/null; then
	for args in "" "--userns auto"; do
		out=$(timeout 60 script -qec "$(printf %q "$CONTAINERV") run -t --rm --network none $args \
			--rootfs $(printf %q "$CV_TEST_ROOTFS") sh -c 'tty; test -c /dev/console && echo console'" /dev/null 2>&1 |
			tr -d '\r')
		[[ "$out" == *"/dev/pts/0"*console* ]] || fail "run -t ${args:-(no user namespace)}: $out"
	done
	pass "run -t binds /dev/console with and without --userns auto"
fi

assert_clean "review r1"
echo "all review r1 tests passed"
