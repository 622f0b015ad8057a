#!/usr/bin/env bash
# A pull killed with SIGKILL at any moment leaves the store usable: pulls
# of a 4-layer image (~25 MB, pushed by skopeo) are killed after growing
# delays (manifest, blob downloads, unpack, naming); after each kill the
# store is consistent (every blob matches its digest, every name points at
# a blob that is there); the next pull completes (resuming partials) and
# the image runs. Three concurrent pulls all succeed.
#
# Needs root, docker-registry, skopeo, umoci.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry-lib.sh"

registry_start_anonymous REG
make_busybox_layout "$TEST_TMP/layout" big /bin/sh
for layer in 1 2 3; do
	bundle=$TEST_TMP/bundle$layer
	umoci unpack --image "$TEST_TMP/layout:big" "$bundle" >/dev/null || fail "umoci unpack"
	head -c $((8 * 1024 * 1024)) /dev/urandom >"$bundle/rootfs/random$layer"
	umoci repack --image "$TEST_TMP/layout:big" "$bundle" >/dev/null || fail "umoci repack"
	rm -rf "$bundle"
done
skopeo copy -q --dest-tls-verify=false "oci:$TEST_TMP/layout:big" "docker://$REG_HOST/big:v1" || fail "skopeo copy"
IMAGE=$REG_HOST/big:v1

kills=0
for delay in 0.02 0.05 0.1 0.15 0.2 0.3 0.4 0.6 0.8 1.0; do
	"$CONTAINERV" pull -q --tls-verify=false "$IMAGE" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null || true
	store_check
	# A name exists only for a complete image.
	if store_names | grep -qx "$IMAGE"; then
		break
	fi
done
[ "$kills" -ge 2 ] || fail "only $kills pulls were killed (the pull is too fast for this test?)"
pass "$kills pulls killed with SIGKILL; the store stayed consistent each time"

cv 0 pull --tls-verify=false "$IMAGE"
store_check
[ "$(store_digest "$IMAGE")" = "$(manifest_digest "$REG_HOST" big v1)" ] || fail "wrong manifest after the kills"
[ -z "$(ls -A "$CONTAINERV_ROOT/images/ingest")" ] || fail "partial downloads left after a complete pull"
cv 0 run --rm --network none "$IMAGE" sh -c 'wc -c < /random3'
[ "$OUT" = $((8 * 1024 * 1024)) ] || fail "the image does not run as pulled: $OUT"
pass "the next pull completes and the image runs"

# Three pulls of the image at once into an empty store: all succeed, one copy of each blob.
rm -rf "$CONTAINERV_ROOT/images"
pids=()
for i in 1 2 3; do
	"$CONTAINERV" pull -q --tls-verify=false "$IMAGE" >"$TEST_TMP/concurrent.$i" 2>&1 &
	pids+=($!)
done
for pid in "${pids[@]}"; do
	wait "$pid" || fail "a concurrent pull failed: $(cat "$TEST_TMP"/concurrent.*)"
done
store_check
[ "$(store_names | grep -cx "$IMAGE")" = 1 ] || fail "the name is not there once"
pass "three concurrent pulls"
