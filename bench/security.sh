#!/usr/bin/env bash
# bench/security.sh - what the walls cost: container start time and a
# syscall-heavy loop (1M alternating getpid/stat) under each security level,
# against the same container with no seccomp filter. Runs are interleaved
# round by round (rotating order) so every configuration sees the same
# machine; prints medians and ratios to "unconfined".
#
# Usage (as root, from the repo root, after a build):
#   bash bench/security.sh
# Environment: BENCH_N=100 start rounds, BENCH_LOOP_N=5 loop rounds,
#   BENCH_CALLS=1000000, CONTAINERV=build/tools/containerv/containerv,
#   CV_ROOTFS=build/rootfs/busybox
set -euo pipefail

BENCH_N=${BENCH_N:-100}
BENCH_LOOP_N=${BENCH_LOOP_N:-5}
BENCH_CALLS=${BENCH_CALLS:-1000000}
CONTAINERV=$(readlink -f "${CONTAINERV:-build/tools/containerv/containerv}")
CV_ROOTFS=$(readlink -f "${CV_ROOTFS:-build/rootfs/busybox}")
[ "$(id -u)" = 0 ] || { echo "bench/security.sh: must run as root" >&2; exit 1; }
[ -x "$CONTAINERV" ] || { echo "bench/security.sh: no containerv at $CONTAINERV (build first)" >&2; exit 1; }

work=$(mktemp -d /tmp/cvbench-security.XXXXXX)
chmod 0711 "$work" # paranoid containers run in a user namespace whose root must pass through it
export CONTAINERV_ROOT="$work/root"
cleanup() {
	"$CONTAINERV" rm -f $("$CONTAINERV" ps -aq --no-trunc 2>/dev/null) >/dev/null 2>&1 || true
	rm -rf "$work"
	rmdir /sys/fs/cgroup/*/containerv 2>/dev/null || true # the shared cgroup parents, when empty
}
trap cleanup EXIT
cc -O2 -static -o "$work/syscall-loop" "$(dirname "$0")/syscall-loop.c"

configs=(unconfined permissive restricted strict paranoid)
flags_of() {
	case $1 in
	unconfined) echo "--security-level restricted --security-opt seccomp=unconfined" ;;
	*) echo "--security-level $1" ;;
	esac
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# Warm-up: fills the seccomp cache and the page cache.
for c in "${configs[@]}"; do
	# shellcheck disable=SC2046
	"$CONTAINERV" run --rm --network none $(flags_of "$c") --rootfs "$CV_ROOTFS" /bin/true
done

echo "start time: $BENCH_N interleaved rounds of 'containerv run --rm FLAGS --rootfs busybox /bin/true'" >&2
for ((round = 0; round < BENCH_N; round++)); do
	for ((k = 0; k < ${#configs[@]}; k++)); do
		c=${configs[$(((k + round) % ${#configs[@]}))]}
		start=$EPOCHREALTIME
		# shellcheck disable=SC2046
		"$CONTAINERV" run --rm --network none $(flags_of "$c") --rootfs "$CV_ROOTFS" /bin/true
		end=$EPOCHREALTIME
		echo "$c $(echo "$start $end" | awk '{printf "%.3f", ($2-$1)*1000}')" >>"$work/start.txt"
	done
done

echo "syscall loop: $BENCH_LOOP_N rounds of $BENCH_CALLS calls" >&2
for ((round = 0; round < BENCH_LOOP_N; round++)); do
	for ((k = 0; k < ${#configs[@]}; k++)); do
		c=${configs[$(((k + round) % ${#configs[@]}))]}
		# shellcheck disable=SC2046
		ns=$("$CONTAINERV" run --rm --network none $(flags_of "$c") -v "$work/syscall-loop:/syscall-loop:ro" --rootfs "$CV_ROOTFS" \
			/syscall-loop "$BENCH_CALLS")
		echo "$c $ns" >>"$work/loop.txt"
	done
done
host_ns=$(for _ in $(seq "$BENCH_LOOP_N"); do "$work/syscall-loop" "$BENCH_CALLS"; done | median)

base_start=$(awk '$1=="unconfined" {print $2}' "$work/start.txt" | median)
base_loop=$(awk '$1=="unconfined" {print $2}' "$work/loop.txt" | median)
echo
echo "=== the cost of the walls (kernel $(uname -r), $(nproc) CPUs, $(date -u +%F)) ==="
printf '%-12s %14s %10s %16s %10s\n' config start_ms ratio ns_per_syscall ratio
for c in "${configs[@]}"; do
	s=$(awk -v c="$c" '$1==c {print $2}' "$work/start.txt" | median)
	l=$(awk -v c="$c" '$1==c {print $2}' "$work/loop.txt" | median)
	printf '%-12s %14s %9.3fx %16s %9.3fx\n' "$c" "$s" "$(echo "$s $base_start" | awk '{print $1/$2}')" "$l" \
		"$(echo "$l $base_loop" | awk '{print $1/$2}')"
done
printf '%-12s %14s %10s %16s\n' host - - "$host_ns"
echo "unconfined = restricted level with --security-opt seccomp=unconfined (same capabilities, no filter)"
echo "target: the default (restricted) adds under 5% to start time"
