#!/usr/bin/env bash
# containerv images|image ls|inspect|rm|prune|tag|import|load|save, rmi,
# system df, and run IMAGE: the built-in busybox imported on first use
# with no network, the image config applied, rmi refused while a container
# uses an image, archives interoperable with skopeo, and every bad input
# one error line with the store left consistent (no temporaries, the next
# command works).
#
# Needs root, jq, python3, skopeo. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS, CV_SOURCE_DIR.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
IMAGES=$CONTAINERV_ROOT/images

assert_store_consistent() {
	local left
	left=$(find "$IMAGES" -name '.tmp-*' -o -name '.put-*' 2>/dev/null | head -5)
	[ -z "$left" ] || fail "$1: temporaries left: $left"
	cv 0 images -q
}

# The built-in default: a fresh store, no network, and busybox runs.
cv 0 run --rm busybox echo hello
[ "$OUT" = hello ] || fail "run --rm busybox echo hello printed '$OUT'"
cv 0 images --format json
[ "$(jq -r .Repository <<<"$OUT")" = busybox ] || fail "images --format json: $OUT"
[ "$(jq -r .Tag <<<"$OUT")" = latest ] || fail "images --format json: $OUT"
jq -e '.[0].RepoTags == ["busybox:latest"] and .[0].Config.Cmd == ["sh"]' <<<"$($CONTAINERV image inspect busybox)" >/dev/null ||
	fail "image inspect busybox"
[ "$(ls "$IMAGES/layers" | wc -l)" = 1 ] || fail "expected one unpacked layer"
cv 0 run --rm busybox sh -c 'echo $PATH'
[ "$OUT" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ] || fail "default PATH: $OUT"
cv 0 images
[[ "$OUT" == *"busybox"*"latest"* ]] || fail "images table: $OUT"
cv 0 run --rm --entrypoint echo busybox via entrypoint
[ "$OUT" = "via entrypoint" ] || fail "--entrypoint: $OUT"
pass "run busybox with the built-in image"

# A directory path is still a root filesystem; --rootfs too.
cv 0 run --rm "$CV_TEST_ROOTFS" echo from-path
[ "$OUT" = from-path ] || fail "run DIR printed '$OUT'"
pass "run DIR keeps working"

# tag, then untag one name while another stays.
cv 0 tag busybox localhost:5000/team/box:v1
cv 0 images -q
[ "$(sort -u <<<"$OUT" | wc -l)" = 1 ] || fail "one image expected: $OUT"
cv 0 images --format '{{.Repository}}:{{.Tag}}'
grep -qx 'localhost:5000/team/box:v1' <<<"$OUT" || fail "tag missing: $OUT"
cv 1 tag nothing-here x
one_error_line "image docker.io/library/nothing-here:latest: not found"
cv 1 tag busybox 'Bad:Name'
one_error_line "invalid reference"
pass "tag"

# import a directory with --change, run it; import a tarball.
cv 0 import -c 'CMD ["echo","imported"]' -c 'ENV GREETING=hi' -c 'WORKDIR /tmp' "$CV_TEST_ROOTFS" myimport:1
[[ "$OUT" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed '$OUT'"
cv 0 run --rm myimport:1
[ "$OUT" = imported ] || fail "run myimport:1 printed '$OUT'"
cv 0 run --rm myimport:1 sh -c 'echo $GREETING $(pwd)'
[ "$OUT" = "hi /tmp" ] || fail "image Env/WorkingDir not applied: $OUT"
tar -C "$CV_TEST_ROOTFS" -czf "$TEST_TMP/rootfs.tgz" .
cv 0 import "$TEST_TMP/rootfs.tgz" fromtar
cv 125 run --rm fromtar
one_error_line "has no command"
cv 0 run --rm fromtar echo ok
[ "$OUT" = ok ] || fail "run fromtar printed '$OUT'"
# EXPOSE: what -P publishes, on a host port of the kernel's choosing.
cv 0 import -c 'CMD ["httpd","-f","-p","8080"]' -c 'EXPOSE 8080/tcp' "$CV_TEST_ROOTFS" exposing:1
cv 0 image inspect --format '{{json .Config.ExposedPorts}}' exposing:1
[[ "$OUT" == *'"8080/tcp"'* ]] || fail "ExposedPorts not in the config: $OUT"
cv 0 run -d -P --name exposed exposing:1
ids+=("$OUT")
cv 0 port exposed
[[ "$OUT" == "8080/tcp -> "* ]] || fail "-P did not publish the image's exposed port: $OUT"
cv 0 rm -f exposed
cv 1 import -c 'EXPOSE 99999/tcp' "$CV_TEST_ROOTFS" badexpose:1
one_error_line "EXPOSE"
pass "import"

# rmi: refused while a container uses the image's last name, then allowed.
cv 0 run -d --name user myimport:1 sleep 60
cid=$OUT
ids+=("$cid")
cv 0 ps --format '{{.Image}}'
[ "$OUT" = myimport:1 ] || fail "ps IMAGE column: $OUT"
cv 1 rmi myimport:1
one_error_line "in use by container"
cv 0 image inspect myimport:1
cv 0 rm -f user
cv 0 rmi myimport:1
[[ "$OUT" == *"Untagged: myimport:1"*"Deleted: sha256:"* ]] || fail "rmi output: $OUT"
cv 1 rmi myimport:1
one_error_line "not found"
assert_store_consistent "rmi"
pass "rmi refused while used"

# save and load: OCI archive and docker archive, and skopeo reads both.
cv 0 save -o "$TEST_TMP/oci.tar" busybox localhost:5000/team/box:v1
cv 0 save --format docker -o "$TEST_TMP/docker.tar" busybox
if command -v skopeo >/dev/null; then
	skopeo --insecure-policy copy -q "oci-archive:$TEST_TMP/oci.tar:docker.io/library/busybox:latest" "oci:$TEST_TMP/skopeo-layout:copied" ||
		fail "skopeo cannot read our OCI archive"
	skopeo --insecure-policy copy -q "docker-archive:$TEST_TMP/docker.tar" "docker-archive:$TEST_TMP/from-skopeo.tar:skopeo/made:2" ||
		fail "skopeo cannot read our docker archive"
fi
cv 0 rmi busybox localhost:5000/team/box:v1 fromtar exposing:1
[ -z "$(ls "$IMAGES/blobs/sha256")" ] || fail "blobs left after rmi of every image: $(ls "$IMAGES/blobs/sha256")"
[ -z "$(ls "$IMAGES/layers")" ] || fail "layers left after rmi of every image"
cv 0 load -i "$TEST_TMP/oci.tar"
[[ "$OUT" == *"Loaded image: busybox:latest"* && "$OUT" == *"Loaded image: localhost:5000/team/box:v1"* ]] || fail "load printed '$OUT'"
cv 0 run --rm localhost:5000/team/box:v1 echo loaded
[ "$OUT" = loaded ] || fail "run after load printed '$OUT'"
cv 0 load -i "$TEST_TMP/docker.tar"
if [ -f "$TEST_TMP/from-skopeo.tar" ]; then
	cv 0 load -i "$TEST_TMP/from-skopeo.tar"
	[[ "$OUT" == *"Loaded image: skopeo/made:2"* ]] || fail "load of skopeo's archive printed '$OUT'"
	cv 0 run --rm skopeo/made:2 echo via-skopeo
	[ "$OUT" = via-skopeo ] || fail "run skopeo/made:2 printed '$OUT'"
fi
# docker's old save format: per-layer directories, a duplicate layer as a symlink.
tar -C "$CV_TEST_ROOTFS" -cf "$TEST_TMP/rootfs.tar" .
python3 "$CV_SOURCE_DIR/tests/image/docker_archive.py" "$TEST_TMP/rootfs.tar" "$TEST_TMP/old-format.tar" old/format:1
cv 0 load -i "$TEST_TMP/old-format.tar"
[ "$OUT" = "Loaded image: old/format:1" ] || fail "load of the old format printed '$OUT'"
cv 0 run --rm old/format:1
[ "$OUT" = old-format ] || fail "run old/format:1 printed '$OUT'"
# import from stdin.
timeout 60 "$CONTAINERV" import - fromstdin <"$TEST_TMP/rootfs.tar" >/dev/null || fail "import - failed"
cv 1 import - empty
one_error_line "empty"
cv 0 run --rm fromstdin echo stdin
[ "$OUT" = stdin ] || fail "run fromstdin printed '$OUT'"
cv 0 rmi old/format:1 fromstdin
pass "save and load (OCI and docker archives)"

# Bad inputs: one line each, the store stays consistent.
head -c 300000 "$TEST_TMP/oci.tar" >"$TEST_TMP/truncated.tar"
cv 1 load -i "$TEST_TMP/truncated.tar"
one_error_line "load"
assert_store_consistent "truncated archive"
printf 'not a tar at all' >"$TEST_TMP/garbage.tar"
cv 1 load -i "$TEST_TMP/garbage.tar"
one_error_line "load"
cv 125 run --rm --pull never no-such-image echo x
one_error_line "image docker.io/library/no-such-image:latest: not found"
cv 125 run --rm 'UPPER/Case' echo x
one_error_line "invalid reference"
cv 1 image inspect nothing
one_error_line "not found"
mkdir -p "$TEST_TMP/outside"
CV_OUTSIDE="$TEST_TMP/outside" python3 "$CV_SOURCE_DIR/tests/image/craft.py" hostile "$TEST_TMP/hostile"
for bad in dotdot symlink_write hardlink_outside absolute; do
	cv 1 import "$TEST_TMP/hostile/$bad.tar" "hostile/$bad"
	one_error_line "import"
	[ -z "$(ls -A "$TEST_TMP/outside")" ] || fail "$bad wrote outside the layer"
	cv 1 image inspect "hostile/$bad"
done
assert_store_consistent "hostile imports"
cv 0 run --rm busybox echo still-works
[ "$OUT" = still-works ] || fail "store unusable after bad inputs"
pass "bad inputs refused with one line"

# An archive whose blob does not match its name: refused, nothing named.
mkdir -p "$TEST_TMP/corrupt"
tar -C "$TEST_TMP/corrupt" -xf "$TEST_TMP/oci.tar"
victim=$(ls -S "$TEST_TMP/corrupt/blobs/sha256" | head -1) # the largest blob: the layer
printf 'tampered' | dd of="$TEST_TMP/corrupt/blobs/sha256/$victim" bs=1 seek=1000 conv=notrunc status=none
sed -i 's/box:v1/tampered:v1/g' "$TEST_TMP/corrupt/index.json"
tar -C "$TEST_TMP/corrupt" -cf "$TEST_TMP/corrupt.tar" .
cv 1 load -i "$TEST_TMP/corrupt.tar"
one_error_line "digest mismatch"
cv 1 image inspect localhost:5000/team/tampered:v1
assert_store_consistent "corrupt archive"
pass "an archive with a corrupt blob is refused"

# SIGKILL in the middle of an import: the next GC and import complete.
mkdir -p "$TEST_TMP/big"
cp -a "$CV_TEST_ROOTFS/." "$TEST_TMP/big/"
head -c 100000000 /dev/urandom >"$TEST_TMP/big/random.bin"
"$CONTAINERV" import "$TEST_TMP/big" big:1 >/dev/null 2>&1 &
importer=$!
sleep 0.5
kill -9 "$importer" 2>/dev/null || true
wait "$importer" 2>/dev/null || true
cv 0 system gc
assert_store_consistent "after SIGKILL and gc"
cv 0 import "$TEST_TMP/big" big:1
cv 0 run --rm big:1 sh -c 'test -s /random.bin && echo complete'
[ "$OUT" = complete ] || fail "import after a killed import: $OUT"
cv 0 rmi big:1
rm -rf "$TEST_TMP/big"
pass "a killed import leaves a usable store"

# system df, prune.
cv 0 system df --format json
[ "$(jq -r 'select(.Type == "Images") | .TotalCount' <<<"$OUT")" -ge 2 ] || fail "system df: $OUT"
cv 0 system df
[[ "$OUT" == *Images* ]] || fail "system df table: $OUT"
cv 0 image prune -af
cv 0 images -q
[ -z "$OUT" ] || fail "image prune -a left images: $OUT"
[ -z "$(ls "$IMAGES/blobs/sha256")" ] || fail "blobs left after prune"
[ -z "$(ls "$IMAGES/chains" 2>/dev/null)" ] || fail "chain id caches left after prune: $(ls "$IMAGES/chains")"
assert_store_consistent "prune"
assert_clean "image tests"
pass "system df and image prune"
