#!/usr/bin/env bash
# containerv commit: a container's changes as a new layer on its image,
# with overlay whiteouts and opaque directories turned back into OCI form,
# so that the new image runs with exactly the container's view: new and
# changed files, deletions, a replaced directory, setuid bits, hardlinks,
# symlinks and owners. Then save/load round-trips the committed image.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"

changes='set -e
mkdir -p /new/dir && echo made > /new/dir/file && chown 1234:4321 /new/dir/file
chmod 4755 /new/dir/file
ln /new/dir/file /new/hard
ln -s ../etc/group /new/link
rm /etc/passwd
rm -rf /home && mkdir /home && echo only > /home/only
echo changed > /etc/hostname.saved'
cv 0 run --name work busybox sh -c "$changes"
cv 0 commit -c 'CMD ["sh","-c","echo committed"]' work committed:1
[[ "$OUT" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "commit printed '$OUT'"
cv 0 rm work
cv 0 run --rm committed:1
[ "$OUT" = committed ] || fail "the committed Cmd was not applied: $OUT"
check='set -e
cat /new/dir/file
stat -c "%u:%g %a %h" /new/dir/file
readlink /new/link
[ ! -e /etc/passwd ] && echo passwd-gone
ls -A /home
cat /etc/hostname.saved
[ -e /etc/group ] && echo group-kept'
cv 0 run --rm committed:1 sh -c "$check"
expected='made
1234:4321 4755 2
../etc/group
passwd-gone
only
changed
group-kept'
[ "$OUT" = "$expected" ] || fail "committed tree differs: got
$OUT"
cv 0 image inspect committed:1
[ "$(jq '.[0].RootFS.Layers | length' <<<"$OUT")" = 2 ] || fail "expected 2 layers: $OUT"
pass "commit keeps the container's view (whiteouts, opaque dir, setuid, hardlinks, owners)"

# The committed layer holds OCI whiteouts, not overlay ones: check the saved archive's last layer.
cv 0 save -o "$TEST_TMP/committed.tar" committed:1
mkdir "$TEST_TMP/layout"
tar -C "$TEST_TMP/layout" -xf "$TEST_TMP/committed.tar"
manifest=$(jq -r '.manifests[0].digest' "$TEST_TMP/layout/index.json" | cut -d: -f2)
layer=$(jq -r '.layers[-1].digest' "$TEST_TMP/layout/blobs/sha256/$manifest" | cut -d: -f2)
listing=$(tar -tvf "$TEST_TMP/layout/blobs/sha256/$layer")
grep -q ' etc/.wh.passwd$' <<<"$listing" || fail "no OCI whiteout for /etc/passwd: $listing"
grep -q ' home/.wh..wh..opq$' <<<"$listing" || fail "no opaque marker for /home: $listing"
! grep -qE '^c' <<<"$listing" || fail "overlay whiteout devices in the layer: $listing"
! grep -qE ' etc/(hostname|hosts|resolv.conf)$' <<<"$listing" || fail "runtime mount targets in the layer"
cv 0 rmi committed:1
cv 0 load -i "$TEST_TMP/committed.tar"
cv 0 run --rm committed:1 cat /new/dir/file
[ "$OUT" = made ] || fail "run after load: $OUT"
pass "the committed layer is OCI (whiteout files, opaque marker) and round-trips"

# A container made from a root filesystem has no image to commit on.
cv 0 run --name plain --rootfs "$CV_TEST_ROOTFS" true
cv 1 commit plain x:1
one_error_line "not an image"
cv 1 commit no-such-container x:1
one_error_line
cv 0 rm plain
assert_clean "commit"
pass "commit refuses what it cannot do"
