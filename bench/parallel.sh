#!/usr/bin/env bash
# Parallel start-up: `containerv start --parallel C` of the same N created containers (/bin/true,
# --network none; bridged too with BENCH_BRIDGE=1) at C = 1 (sequential), 2, 4, 8, 16, interleaved
# round by round; prints containers per second, the median wall time and the speed-up against C=1.
# The curve is what the library's default concurrency (twice the CPUs, at most 16) is checked against.
# As root, after a build:   bash bench/parallel.sh
# Environment: BENCH_N (containers, default 100), BENCH_ROUNDS (default 5), BUILD (default build),
# CV_ROOTFS (default build/rootfs/busybox).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "bench/parallel.sh: needs root" >&2; exit 1; }
cd "$(dirname "$0")/.."
if [ -z "${BENCH_PARALLEL_INNER:-}" ]; then
	exec unshare --net env BENCH_PARALLEL_INNER=1 bash "$0" "$@"
fi
ip link set lo up
BUILD=${BUILD:-build}
N=${BENCH_N:-100}
ROUNDS=${BENCH_ROUNDS:-5}
LEVELS=(1 2 4 8 16)
CV=$(readlink -f "$BUILD/tools/containerv/containerv")
CV_ROOTFS=$(readlink -f "${CV_ROOTFS:-$BUILD/rootfs/busybox}")
NETWORK=none
[ -z "${BENCH_BRIDGE:-}" ] || NETWORK=bridge
work=$(mktemp -d "${TMPDIR:-/tmp}/cvbench-parallel.XXXXXX")
export CONTAINERV_ROOT=$work/root
cleanup() {
	left=$("$CV" ps -aq 2>/dev/null || true)
	[ -z "$left" ] || "$CV" rm -f $left >/dev/null 2>&1 || true
	"$CV" network rm bridge >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

names=()
for i in $(seq "$N"); do
	"$CV" create --name "p$i" --rootfs "$CV_ROOTFS" --network "$NETWORK" /bin/true >/dev/null
	names+=("p$i")
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $N containers, network $NETWORK"
for round in $(seq "$ROUNDS"); do
	for level in "${LEVELS[@]}"; do
		start=$EPOCHREALTIME
		"$CV" start --parallel "$level" "${names[@]}" >/dev/null
		end=$EPOCHREALTIME
		echo $(((${end/./} - ${start/./}) / 1000)) >>"$work/c$level"
		# Every one has ended (they run /bin/true) before the next round starts them again.
		"$CV" wait "${names[@]}" >/dev/null
	done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
base=$(median <"$work/c1")
printf '%-12s %12s %16s %10s\n' concurrency "median ms" "containers/s" speed-up
for level in "${LEVELS[@]}"; do
	ms=$(median <"$work/c$level")
	awk -v c="$level" -v ms="$ms" -v n="$N" -v base="$base" \
		'BEGIN {printf "%-12s %12.0f %16.1f %9.2fx\n", c, ms, n / (ms / 1000), base / ms}'
done
