#!/usr/bin/env bash
# Warm start from a pool against a cold start and crun, interleaved: `containerv run --pool P /bin/true`
# to its exit, `containerv run --rm --rootfs R /bin/true`, `crun run` of the same rootfs (then delete).
# Timed in bash itself (EPOCHREALTIME: no process around the one timed). As root, after a build:
#   bash bench/pool.sh            # BENCH_N rounds (default 50)
# Environment: BENCH_N, CV_ROOTFS (default build/rootfs/busybox), BUILD (default build), CRUN (default crun).
# Runs in a private network namespace; the pool is made with --network none, as the cold run and crun's.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "bench/pool.sh: needs root" >&2; exit 1; }
cd "$(dirname "$0")/.."
if [ -z "${BENCH_POOL_INNER:-}" ]; then
	exec unshare --net env BENCH_POOL_INNER=1 bash "$0" "$@"
fi
ip link set lo up
BUILD=${BUILD:-build}
N=${BENCH_N:-50}
CRUN=${CRUN:-crun}
CV=$(readlink -f "$BUILD/tools/containerv/containerv")
CV_ROOTFS=$(readlink -f "${CV_ROOTFS:-$BUILD/rootfs/busybox}")
work=$(mktemp -d "${TMPDIR:-/tmp}/cvbench-pool.XXXXXX")
export CONTAINERV_ROOT=$work/root
cleanup() {
	"$CV" pool rm bench >/dev/null 2>&1 || true
	left=$("$CV" ps -aq 2>/dev/null || true)
	[ -z "$left" ] || "$CV" rm -f $left >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

have_crun=0
if command -v "$CRUN" >/dev/null; then
	have_crun=1
	mkdir -p "$work/bundle"
	(cd "$work/bundle" && "$CRUN" spec >/dev/null)
	jq --arg root "$CV_ROOTFS" '.root.path=$root | .root.readonly=true | .process.args=["/bin/true"] | .process.terminal=false' \
		"$work/bundle/config.json" >"$work/bundle/c.json" && mv "$work/bundle/c.json" "$work/bundle/config.json"
fi

# The library's own figures first (bench/pool.c: no CLI process), then the CLI's.
cc -O2 -std=c11 -Ilibs/containerv/include -o "$work/pool" bench/pool.c -L"$BUILD/libs/containerv" -lcontainerv \
	-Wl,-rpath,"$(readlink -f "$BUILD/libs/containerv")"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
CONTAINERV_ROOT=$work/libroot "$work/pool" "$CV_ROOTFS" "$N"
rm -rf "$work/libroot"

"$CV" pool create bench --min 4 --refill-concurrency 1 --rootfs "$CV_ROOTFS" --network none /bin/true >/dev/null
for _ in $(seq 100); do grep -q '"Ready": 4,' <("$CV" pool inspect bench) && break; sleep 0.1; done

# elapsed_us COMMAND...: runs it (output dropped) and prints the microseconds it took.
elapsed_us() {
	local start=$EPOCHREALTIME end
	"$@" >/dev/null 2>&1 </dev/null || true
	end=$EPOCHREALTIME
	echo $(((${end/./} - ${start/./})))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$work/warm"; : >"$work/warm-rm"; : >"$work/cold"; : >"$work/crun"; : >"$work/floor"
for i in $(seq "$N"); do
	elapsed_us /bin/true >>"$work/floor" # the floor: one fork + exec + exit from bash, at this load
	elapsed_us "$CV" run --pool bench /bin/true >>"$work/warm"
	elapsed_us "$CV" run --rm --pool bench /bin/true >>"$work/warm-rm"
	elapsed_us "$CV" run --rm --network none --rootfs "$CV_ROOTFS" /bin/true >>"$work/cold"
	if [ "$have_crun" = 1 ]; then
		elapsed_us "$CRUN" run --bundle "$work/bundle" "bench$i" >>"$work/crun"
		"$CRUN" delete -f "bench$i" >/dev/null 2>&1 || true
	fi
	# the warm runs without --rm leave exited containers: removed off the clock
	for id in $("$CV" ps -a | awk '/Exited/ {print $1}'); do "$CV" rm "$id" >/dev/null 2>&1 || true; done # --rm ones may go meanwhile
	sleep 0.05 # let the keeper refill: a steady trickle of takes, not a burst
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
floor=$(median <"$work/floor"); warm=$(median <"$work/warm"); warm_rm=$(median <"$work/warm-rm"); cold=$(median <"$work/cold")
printf '%-36s %10s\n' "median of $N, interleaved" "ms"
printf '%-36s %10.3f\n' "/bin/true (fork+exec+exit: the floor)" "$(echo "$floor/1000" | bc -l)"
printf '%-36s %10.3f\n' "containerv run --pool P /bin/true" "$(echo "$warm/1000" | bc -l)"
printf '%-36s %10.3f\n' "containerv run --rm --pool P /bin/true" "$(echo "$warm_rm/1000" | bc -l)"
printf '%-36s %10.3f\n' "containerv run --rm (cold)" "$(echo "$cold/1000" | bc -l)"
if [ "$have_crun" = 1 ]; then
	crun=$(median <"$work/crun")
	printf '%-36s %10.3f\n' "crun run (+ delete, not timed)" "$(echo "$crun/1000" | bc -l)"
	printf 'warm/cold %.2f  warm/crun %.2f\n' "$(echo "$warm/$cold" | bc -l)" "$(echo "$warm/$crun" | bc -l)"
else
	printf 'warm/cold %.2f  (no crun)\n' "$(echo "$warm/$cold" | bc -l)"
fi
