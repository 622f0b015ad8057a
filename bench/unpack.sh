#!/usr/bin/env bash
# bench/unpack.sh - image layer unpacking: containerv against umoci.
#
# Generates an OCI layout of BENCH_LAYERS gzip layers (BENCH_FILES files of
# 1-40 KiB each per layer, deterministic content, about 30 MB unpacked per
# layer at the defaults), then, in BENCH_N interleaved rounds, times
#   containerv  `containerv load` of the layout as an OCI archive into a fresh
#               store: blob copy with fsync, unpack with syncfs per layer
#   umoci       `umoci unpack` of the layout into a fresh bundle
# and prints the median of each and their ratio (containerv / umoci).
#
# Usage (root, after a build): bash bench/unpack.sh
# Environment: BENCH_N=5, BENCH_LAYERS=3, BENCH_FILES=1500,
#   CONTAINERV=build/tools/containerv/containerv
set -euo pipefail

BENCH_N=${BENCH_N:-5}
BENCH_LAYERS=${BENCH_LAYERS:-3}
BENCH_FILES=${BENCH_FILES:-1500}
CONTAINERV=${CONTAINERV:-build/tools/containerv/containerv}
[ "$(id -u)" = 0 ] || { echo "bench/unpack.sh: needs root" >&2; exit 1; }
command -v umoci >/dev/null || { echo "bench/unpack.sh: umoci is needed" >&2; exit 1; }

work=$(mktemp -d /tmp/cv-bench-unpack.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 - "$work/layout" "$BENCH_LAYERS" "$BENCH_FILES" <<'PYTHON'
import gzip, hashlib, io, json, os, random, sys, tarfile
out, layers, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(1)
os.makedirs(out + "/blobs/sha256")
def blob(data):
    digest = hashlib.sha256(data).hexdigest()
    open(out + "/blobs/sha256/" + digest, "wb").write(data)
    return "sha256:" + digest, len(data)
descriptors, diff_ids = [], []
for layer in range(layers):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for i in range(files):
            size = random.randint(1000, 40000)
            chunk = bytes(random.getrandbits(8) for _ in range(256))
            data = (chunk * (size // 256 + 1))[:size]
            info = tarfile.TarInfo("l%d/d%d/f%d" % (layer, i % 30, i))
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    digest, size = blob(gzip.compress(raw, 6))
    descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size})
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
config_digest, config_size = blob(config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": config_digest, "size": config_size},
                       "layers": descriptors}).encode()
manifest_digest, manifest_size = blob(manifest)
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(out + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": manifest_size,
     "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}))
PYTHON
tar -C "$work/layout" -cf "$work/layout.tar" .

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
: >"$work/containerv.ms"
: >"$work/umoci.ms"
for round in $(seq "$BENCH_N"); do
	rm -rf "$work/root" "$work/bundle"
	start=$(now_ms)
	CONTAINERV_ROOT="$work/root" "$CONTAINERV" load -q -i "$work/layout.tar"
	echo $(($(now_ms) - start)) >>"$work/containerv.ms"
	start=$(now_ms)
	umoci unpack --image "$work/layout:bench" "$work/bundle" >/dev/null
	echo $(($(now_ms) - start)) >>"$work/umoci.ms"
done
size=$(du -sh "$work/bundle/rootfs" | cut -f1)
ours=$(median <"$work/containerv.ms")
theirs=$(median <"$work/umoci.ms")
echo "unpacked tree: $size in $BENCH_LAYERS layers, $BENCH_N rounds"
echo "containerv load (copy+fsync+unpack): median ${ours} ms ($(tr '\n' ' ' <"$work/containerv.ms")ms)"
echo "umoci unpack:                        median ${theirs} ms ($(tr '\n' ' ' <"$work/umoci.ms")ms)"
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "ratio containerv/umoci: %.2fx\n", a / b }'
