#!/usr/bin/env bash
# The release of a held container (containerv_options_set_hold, `create --hold`) against a whole start:
# see bench/held.c for what is timed. As root, after a build:
#   bash bench/held.sh            # BENCH_N rounds (default 50), interleaved
# Environment: BENCH_N, CV_ROOTFS (default build/rootfs/busybox), BUILD (default build).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "bench/held.sh: needs root" >&2; exit 1; }
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CV_ROOTFS=$(readlink -f "${CV_ROOTFS:-$BUILD/rootfs/busybox}")
work=$(mktemp -d "${TMPDIR:-/tmp}/cvbench-held.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -std=c11 -Ilibs/containerv/include -o "$work/held" bench/held.c -L"$BUILD/libs/containerv" -lcontainerv \
	-Wl,-rpath,"$(readlink -f "$BUILD/libs/containerv")"
export CONTAINERV_ROOT=$work/root
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/held" "$CV_ROOTFS" "$(readlink -f "$BUILD/tools/containerv/containerv")" "${BENCH_N:-50}"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
left=$(ls -A "$CONTAINERV_ROOT/containers" | grep -vxE '\.rootfs|\.spare-[0-9]+' || true)
[ -z "$left" ] || { echo "bench/held.sh: containers left: $left" >&2; exit 1; }
