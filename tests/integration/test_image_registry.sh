#!/usr/bin/env bash
# Pull and push against a real registry (Debian's docker-registry on
# 127.0.0.1, plain http), with skopeo as the peer both ways:
#   - an image pushed by skopeo (an OCI layout umoci made from the busybox
#     rootfs) is pulled and run by containerv; a second pull moves nothing;
#   - images pushed by containerv (monolithic, chunked, mounted across
#     repositories) are pulled by skopeo and their digests compared;
#   - a multi-arch index (hand-written, PUT with curl) selects the platform;
#     an index in the store is pushed after its children;
#   - Docker schema2 manifests, zstd and uncompressed layers;
#     run --pull missing|always|never; progress bars on a terminal;
#     search --list-tags;
#   - pull by digest; an unknown tag gives one clear error; tls-verify on
#     against plain http gives one clear error.
#
# Needs root, docker-registry, skopeo, umoci, curl, jq.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry-lib.sh"

registry_start_anonymous REG
R=$REG_HOST

# --- skopeo pushes, containerv pulls and runs.
make_busybox_layout "$TEST_TMP/layout" v1 /bin/sh
skopeo copy -q --dest-tls-verify=false "oci:$TEST_TMP/layout:v1" "docker://$R/tests/busybox:v1" || fail "skopeo copy"
cv 0 pull --tls-verify=false "$R/tests/busybox:v1"
[[ "$OUT" == *"downloaded and verified"* ]] || fail "pull did not report the layer: $OUT"
expected=$(manifest_digest "$R" tests/busybox v1)
[ "$(store_digest "$R/tests/busybox:v1")" = "$expected" ] || fail "the store's manifest is not the registry's ($expected)"
store_check
cv 0 run --rm --network none "$R/tests/busybox:v1" echo hello-from-the-registry
[ "$OUT" = hello-from-the-registry ] || fail "the pulled image did not run: $OUT"
pass "skopeo push, containerv pull and run"

# run --pull: missing (the default) pulls into an empty store, progress on stderr, the output clean.
rm -rf "$CONTAINERV_ROOT/images"
CONTAINERV_INSECURE_REGISTRIES=$R cv 0 run --rm --network none "$R/tests/busybox:v1" echo pulled-by-run
[ "$OUT" = pulled-by-run ] || fail "run --pull missing: stdout is '$OUT'"
[[ "$ERR" == *"resolved to $expected"* ]] || fail "run did not pull: $ERR"
CONTAINERV_INSECURE_REGISTRIES=$R cv 0 run --rm --network none --pull always "$R/tests/busybox:v1" true
[[ "$ERR" == *"already exists"* ]] || fail "run --pull always did not look at the registry: $ERR"
cv 125 run --rm --network none --pull never "$R/tests/other:v1" true
one_error_line "not found"
cv 125 run --rm --network none --pull sometimes "$R/tests/busybox:v1" true
one_error_line "invalid --pull sometimes"
cv 125 run --rm --network none "$R/tests/busybox:nosuchtag" true
one_error_line "not found"
[[ "$ERR" == *"pull: registry $R"* ]] || fail "run --pull missing: the pull's error is not shown: $ERR"
pass "run --pull missing, always, never"

cv 0 pull --tls-verify=false "$R/tests/busybox:v1"
[[ "$OUT" == *"already exists"* ]] || fail "second pull downloaded again: $OUT"
cv 0 pull -q --tls-verify=false "$R/tests/busybox:v1"
[ "$OUT" = "$R/tests/busybox:v1" ] || fail "pull -q printed: $OUT"
pass "second pull moves nothing; -q prints the name only"

# On a terminal: per-layer bars redrawn in place (cursor up), with sizes.
rm -rf "$CONTAINERV_ROOT/images"
TERM=xterm script -qec "$CONTAINERV pull --tls-verify=false $R/tests/busybox:v1" /dev/null >"$TEST_TMP/tty.out" ||
	fail "pull under a terminal: $(cat "$TEST_TMP/tty.out")"
grep -q $'\e\[1A' "$TEST_TMP/tty.out" || fail "no bars redrawn on a terminal: $(cat -v "$TEST_TMP/tty.out")"
grep -q 'Download complete 1\.[0-9]*MB' "$TEST_TMP/tty.out" || fail "no layer size on the bar: $(cat -v "$TEST_TMP/tty.out")"
pass "progress bars on a terminal"

cv 0 pull --tls-verify=false "$R/tests/busybox@$expected"
[ "$(store_digest "$R/tests/busybox@$expected")" = "$expected" ] || fail "pull by digest"
pass "pull by digest"

# --- Docker schema2 (skopeo converts): pulled with its own media type, not schema1, and runs.
skopeo copy -q --dest-tls-verify=false --format v2s2 "oci:$TEST_TMP/layout:v1" "docker://$R/tests/docker:v1" ||
	fail "skopeo copy v2s2"
cv 0 pull --tls-verify=false "$R/tests/docker:v1"
docker_digest=$(manifest_digest "$R" tests/docker v1)
[ "$(store_digest "$R/tests/docker:v1")" = "$docker_digest" ] || fail "schema2: the store's manifest is not the registry's"
jq -e '.mediaType == "application/vnd.docker.distribution.manifest.v2+json"' \
	"$CONTAINERV_ROOT/images/blobs/sha256/${docker_digest#sha256:}" >/dev/null || fail "not a schema2 manifest"
cv 0 run --rm --network none "$R/tests/docker:v1" echo docker-format
[ "$OUT" = docker-format ] || fail "schema2 image: $OUT"
pass "Docker schema2 manifests"

# --- zstd layers (skopeo recompresses); an uncompressed layer (pushed by hand: no peer makes one).
# (A registry of its own: skopeo would mount the gzip blob it knows to be on $R instead.)
registry_start_anonymous ZREG
skopeo copy -q --dest-tls-verify=false --dest-compress-format zstd "oci:$TEST_TMP/layout:v1" \
	"docker://$ZREG_HOST/tests/zstd:v1" || fail "skopeo copy zstd"
# (A store of its own too: in this one the layer is unpacked already, from the gzip blob.)
CONTAINERV_ROOT=$TEST_TMP/zstd-root cv 0 pull --tls-verify=false "$ZREG_HOST/tests/zstd:v1"
[ "$(find "$TEST_TMP/zstd-root/images/layers" -mindepth 1 -maxdepth 1 -not -name '.tmp-*' | wc -l)" = 1 ] ||
	fail "the zstd layer was not unpacked"
manifest=$(curl -sf "http://$ZREG_HOST/v2/tests/zstd/manifests/v1" -H 'Accept: application/vnd.oci.image.manifest.v1+json')
[[ "$manifest" == *'tar+zstd'* ]] || fail "skopeo did not push a zstd layer: $manifest"
config=$(jq -r .manifests[0].digest "$TEST_TMP/layout/index.json")
config=$(jq -r .config.digest "$TEST_TMP/layout/blobs/sha256/${config#sha256:}")
tar -C "$CV_TEST_ROOTFS" -cf "$TEST_TMP/plain.tar" .
plain=sha256:$(sha256sum <"$TEST_TMP/plain.tar" | cut -d' ' -f1)
jq -c --arg d "$plain" '.rootfs.diff_ids = [$d]' "$TEST_TMP/layout/blobs/sha256/${config#sha256:}" >"$TEST_TMP/plain-config.json"
plain_config=sha256:$(sha256sum <"$TEST_TMP/plain-config.json" | cut -d' ' -f1)
upload() { # FILE DIGEST: monolithic upload to tests/plain
	local location
	location=$(curl -sf -X POST -D - -o /dev/null "http://$R/v2/tests/plain/blobs/uploads/" | tr -d '\r' |
		awk -F': ' 'tolower($1) == "location" {print $2}')
	curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" "$location&digest=$2" ||
		fail "upload $1"
}
upload "$TEST_TMP/plain.tar" "$plain"
upload "$TEST_TMP/plain-config.json" "$plain_config"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
	"$plain_config" "$(stat -c %s "$TEST_TMP/plain-config.json")" "$plain" "$(stat -c %s "$TEST_TMP/plain.tar")" \
	>"$TEST_TMP/plain-manifest.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
	--data-binary "@$TEST_TMP/plain-manifest.json" "http://$R/v2/tests/plain/manifests/v1" || fail "PUT plain manifest"
cv 0 pull --tls-verify=false "$R/tests/plain:v1"
CONTAINERV_ROOT=$TEST_TMP/zstd-root cv 0 run --rm --network none "$ZREG_HOST/tests/zstd:v1" echo zstd-ok
[ "$OUT" = zstd-ok ] || fail "zstd image: $OUT"
cv 0 run --rm --network none "$R/tests/plain:v1" echo plain-ok
[ "$OUT" = plain-ok ] || fail "uncompressed image: $OUT"
rm -rf "$TEST_TMP/zstd-root"
store_check
pass "zstd and uncompressed layers"

# --- containerv pushes, skopeo pulls and compares.
cv 0 push --tls-verify=false "$R/tests/busybox:v1" "$R/mono/busybox:v1"
[ "$(manifest_digest "$R" mono/busybox v1)" = "$expected" ] || fail "pushed manifest differs"
cv 0 push --tls-verify=false --chunk-size 300k "$R/tests/busybox:v1" "$R/chunked/busybox:v1"
[ "$(manifest_digest "$R" chunked/busybox v1)" = "$expected" ] || fail "chunked push: manifest differs"
for repo in mono/busybox chunked/busybox; do
	rm -rf "$TEST_TMP/copy"
	skopeo copy -q --src-tls-verify=false "docker://$R/$repo:v1" "dir:$TEST_TMP/copy" || fail "skopeo copy of $repo"
	for blob in $(jq -r '.layers[].digest, .config.digest' "$TEST_TMP/copy/manifest.json"); do
		[ "sha256:$(sha256sum <"$TEST_TMP/copy/${blob#sha256:}" | cut -d' ' -f1)" = "$blob" ] ||
			fail "$repo: blob $blob differs"
	done
	skopeo inspect --tls-verify=false "docker://$R/$repo:v1" | jq -e '.Os == "linux"' >/dev/null ||
		fail "skopeo inspect $repo"
done
pass "containerv push (monolithic and chunked), skopeo pulls the same blobs"

# The same registry: a push to another repository mounts the layer instead of uploading it.
cv 0 push --tls-verify=false "$R/tests/busybox:v1" "$R/tests/mounted:v1"
[[ "$OUT" == *"mounted from another repository"* ]] || fail "no cross-repository mount: $OUT"
[ "$(manifest_digest "$R" tests/mounted v1)" = "$expected" ] || fail "mounted push: manifest differs"
cv 0 push --tls-verify=false "$R/tests/busybox:v1" "$R/tests/mounted:v1"
[[ "$OUT" == *"layer already exists"* ]] || fail "second push uploaded again: $OUT"
pass "cross-repository mount; second push skips existing blobs"

# --- A multi-arch index: two images, an index PUT by hand (after its children).
make_busybox_layout "$TEST_TMP/arm" arm64 /bin/sh
umoci config --image "$TEST_TMP/arm:arm64" --architecture arm64 --config.label arch=arm64 || fail "umoci config"
skopeo copy -q --dest-tls-verify=false "oci:$TEST_TMP/layout:v1" "docker://$R/multi:amd64" || fail "skopeo amd64"
skopeo copy -q --dest-tls-verify=false "oci:$TEST_TMP/arm:arm64" "docker://$R/multi:arm64" || fail "skopeo arm64"
amd64=$(manifest_digest "$R" multi amd64)
arm64=$(manifest_digest "$R" multi arm64)
size_of() { curl -sf "http://$R/v2/multi/manifests/$1" -H 'Accept: application/vnd.oci.image.manifest.v1+json' | wc -c; }
cat >"$TEST_TMP/index.json" <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$arm64","size":$(size_of arm64),"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$amd64","size":$(size_of amd64),"platform":{"os":"linux","architecture":"amd64"}}]}
EOF
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary "@$TEST_TMP/index.json" \
	"http://$R/v2/multi/manifests/latest" || fail "PUT index"
cv 0 pull --tls-verify=false "$R/multi"
[ "$(store_digest "$R/multi:latest")" = "$amd64" ] || fail "default platform: not the amd64 manifest"
cv 0 pull --tls-verify=false --platform linux/arm64 "$R/multi"
[ "$(store_digest "$R/multi:latest")" = "$arm64" ] || fail "--platform linux/arm64: not the arm64 manifest"
# The same as a Docker manifest list.
sed 's/application\/vnd.oci.image.index.v1+json/application\/vnd.docker.distribution.manifest.list.v2+json/' \
	"$TEST_TMP/index.json" >"$TEST_TMP/list.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.list.v2+json' \
	--data-binary "@$TEST_TMP/list.json" "http://$R/v2/multi/manifests/list" || fail "PUT manifest list"
cv 0 pull --tls-verify=false --platform linux/arm64/v8 "$R/multi:list"
[ "$(store_digest "$R/multi:list")" = "$arm64" ] || fail "manifest list, linux/arm64/v8: not the arm64 manifest"
cv 1 pull --tls-verify=false --platform linux/s390x "$R/multi"
one_error_line "no manifest for linux/s390x"
cv 1 pull --tls-verify=false --platform linux/arm64 "$R/tests/busybox:v1"
one_error_line "the image is linux/amd64, not the linux/arm64 asked for"
cv 125 pull --platform linux "$R/multi"
one_error_line "--platform"
store_check
pass "multi-arch index: the platform's manifest is chosen"

# Push of an index: its child manifests go first (distribution refuses it otherwise). The store
# gets the index by hand (the OCI layout is a documented format): a pull keeps only a platform's.
index_digest=$(manifest_digest "$R" multi latest)
cp "$TEST_TMP/index.json" "$CONTAINERV_ROOT/images/blobs/sha256/${index_digest#sha256:}"
jq --arg d "$index_digest" --argjson s "$(stat -c %s "$TEST_TMP/index.json")" \
	'.manifests += [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": $d, "size": $s,
	  "annotations": {"org.opencontainers.image.ref.name": "localhost/multi:index"}}]' \
	"$CONTAINERV_ROOT/images/index.json" >"$TEST_TMP/store-index.json"
mv "$TEST_TMP/store-index.json" "$CONTAINERV_ROOT/images/index.json"
cv 0 push --tls-verify=false localhost/multi:index "$R/pushed/multi:latest"
[ "$(manifest_digest "$R" pushed/multi latest)" = "$index_digest" ] || fail "pushed index differs"
[ "$(manifest_digest "$R" pushed/multi "$arm64")" = "$arm64" ] || fail "the arm64 child was not pushed"
rm -rf "$TEST_TMP/all"
skopeo copy -q --all --src-tls-verify=false "docker://$R/pushed/multi:latest" "oci:$TEST_TMP/all:latest" ||
	fail "skopeo cannot copy the pushed index with all its platforms"
pass "push of an index: children first, skopeo copies every platform"

# --- Tags of a repository.
cv 0 search --list-tags --tls-verify=false "$R/multi"
[ "$(sort <<<"$OUT" | tr '\n' ' ')" = "amd64 arm64 latest list " ] || fail "search --list-tags: $OUT"
cv 1 search --list-tags --tls-verify=false "$R/nosuch/repo"
one_error_line "404"
cv 125 search --tls-verify=false "$R/multi"
one_error_line "--list-tags"
pass "search --list-tags"

# --- Errors.
cv 1 pull --tls-verify=false "$R/tests/busybox:nosuchtag"
one_error_line "404"
[[ "$ERR" == *"$R"* && "$ERR" == *"tests/busybox:nosuchtag"* ]] || fail "error does not name registry and object: $ERR"
cv 1 pull "$R/tests/busybox:v1"
one_error_line "tls-verify"
CONTAINERV_INSECURE_REGISTRIES="other:1, $R" cv 0 pull -q "$R/tests/busybox:v1"
[ -z "$(store_names | grep nosuchtag)" ] || fail "a failed pull left a name"
store_check
pass "unknown tag and TLS against plain http: one clear error; an insecure registry list allows http"
