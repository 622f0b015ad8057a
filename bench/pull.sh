#!/usr/bin/env bash
# Pull + unpack of a multi-layer image of about 100 MiB from a registry on
# loopback (Debian's docker-registry, started here): containerv pull (which
# leaves the layers unpacked) against `skopeo copy docker://... oci:DIR` +
# `umoci unpack`, in the same run, interleaved round by round. Prints the
# medians and the ratio containerv / (skopeo + umoci); the target is <= 0.5.
#
# Usage (root, after a build): bash bench/pull.sh
#   BENCH_ROUNDS=3 (median of), BENCH_LAYERS=4, BENCH_LAYER_MB=28 (compressed size of each), CONTAINERV
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-3}
LAYERS=${BENCH_LAYERS:-4}
LAYER_MB=${BENCH_LAYER_MB:-22}
CONTAINERV=${CONTAINERV:-build/tools/containerv/containerv}
CV_TEST_ROOTFS=${CV_ROOTFS:-build/rootfs/busybox}
[ -x "$CONTAINERV" ] || { echo "bench/pull.sh: build first ($CONTAINERV missing)" >&2; exit 1; }
CONTAINERV=$(cd "$(dirname "$CONTAINERV")" && pwd)/$(basename "$CONTAINERV")
CV_TEST_ROOTFS=$(cd "$CV_TEST_ROOTFS" && pwd)
export CONTAINERV CV_TEST_ROOTFS

# The test helpers start and stop the registry (and clean up on exit).
source tests/integration/lib.sh
source tests/integration/registry-lib.sh

registry_start_anonymous BENCH
IMAGE=$BENCH_HOST/bench/big:v1

# The image: busybox plus LAYERS layers, each half random bytes (incompressible) and half
# base64 text (compresses ~4:3), so that gzip and its decompression do real work.
echo "bench/pull.sh: building a ${LAYERS}-layer image..." >&2
make_busybox_layout "$TEST_TMP/layout" big /bin/sh
half=$((LAYER_MB * 1024 * 1024 * 4 / 7))
for layer in $(seq "$LAYERS"); do
	bundle=$TEST_TMP/bundle
	umoci unpack --image "$TEST_TMP/layout:big" "$bundle" >/dev/null
	mkdir -p "$bundle/rootfs/data$layer"
	head -c "$half" /dev/urandom >"$bundle/rootfs/data$layer/random"
	head -c $((half * 3 / 4)) /dev/urandom | base64 >"$bundle/rootfs/data$layer/text"
	for i in $(seq 200); do echo "file $i of layer $layer" >"$bundle/rootfs/data$layer/small$i"; done
	umoci repack --image "$TEST_TMP/layout:big" "$bundle" >/dev/null
	rm -rf "$bundle"
done
skopeo copy -q --dest-tls-verify=false "oci:$TEST_TMP/layout:big" "docker://$IMAGE"
compressed=$(du -sm "$TEST_TMP/layout/blobs" | cut -f1)
echo "bench/pull.sh: image $IMAGE: $((LAYERS + 1)) layers, ${compressed} MiB of blobs" >&2

seconds() { # COMMAND...: wall time in seconds
	local start end
	start=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || { echo "bench/pull.sh: failed: $*" >&2; exit 1; }
	end=$(date +%s.%N)
	echo "$end - $start" | bc -l
}
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] }'; }

run_containerv() {
	rm -rf "$CONTAINERV_ROOT/images"
	sync
	seconds "$CONTAINERV" pull -q --tls-verify=false "$IMAGE"
}
peer_pull() {
	skopeo copy -q --src-tls-verify=false "docker://$IMAGE" "oci:$TEST_TMP/peer:big" &&
		umoci unpack --image "$TEST_TMP/peer:big" "$TEST_TMP/peer-bundle"
}
run_peer() {
	rm -rf "$TEST_TMP/peer" "$TEST_TMP/peer-bundle"
	sync
	seconds peer_pull
}

ours=()
theirs=()
for round in $(seq "$ROUNDS"); do
	if [ $((round % 2)) = 1 ]; then
		ours+=("$(run_containerv)")
		theirs+=("$(run_peer)")
	else
		theirs+=("$(run_peer)")
		ours+=("$(run_containerv)")
	fi
	echo "round $round: containerv ${ours[-1]} s, skopeo+umoci ${theirs[-1]} s" >&2
done
a=$(printf '%s\n' "${ours[@]}" | median)
b=$(printf '%s\n' "${theirs[@]}" | median)
printf 'pull+unpack of %s MiB (%s layers), median of %s rounds:\n' "$compressed" "$((LAYERS + 1))" "$ROUNDS"
printf '  containerv pull        %6.3f s\n' "$a"
printf '  skopeo copy + umoci    %6.3f s\n' "$b"
printf '  ratio                  %6.2fx  (target <= 0.5x)\n' "$(echo "$a / $b" | bc -l)"
