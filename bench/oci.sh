#!/usr/bin/env bash
# containerv-runc against crun and runc as OCI runtimes, side by side in one run, rounds interleaved:
#  1. the lifecycle an engine drives: `create` + `start` + the process waited for + `delete` of a bundle
#     running /bin/true (bench/oci.c times it; the same config.json for all three);
#  2. `ctr run --rm` of the same rootfs through containerd 1.6 and its runc shim, with each runtime as the
#     shim's binary (--runc-binary); skipped when containerd is not installed or BENCH_CTR=0.
# Medians, p90 and the ratios to crun and runc. As root, after a build:
#   bash bench/oci.sh
# Environment: BENCH_N (rounds of 1, default 40), BENCH_CTR_N (rounds of 2, default 20), BENCH_CTR (1),
# BUILD (build), CV_ROOTFS (build/rootfs/busybox), CRUN (crun), RUNC (runc).
# Everything runs in a private mount namespace where a cgroup2 mount at /sys/fs/cgroup/unified that
# still owns a controller is unmounted (crun refuses such a hybrid host; see
# ../shared/tools/oci-validation.sh), so the three runtimes see the same plain cgroup v1.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "bench/oci.sh: needs root" >&2; exit 1; }
cd "$(dirname "$0")/.."
if [ "${_BENCH_OCI_PRIVATE:-}" != 1 ]; then
	_BENCH_OCI_PRIVATE=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
if [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
	[ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
	umount /sys/fs/cgroup/unified
fi
BUILD=${BUILD:-build}
N=${BENCH_N:-40}
CTR_N=${BENCH_CTR_N:-20}
CV_ROOTFS=$(readlink -f "${CV_ROOTFS:-$BUILD/rootfs/busybox}")
declare -A BIN=([containerv-runc]=$(readlink -f "$BUILD/tools/containerv-runc/containerv-runc")
	[crun]=$(command -v "${CRUN:-crun}") [runc]=$(command -v "${RUNC:-runc}"))
RUNTIMES=(containerv-runc crun runc)
work=$(mktemp -d "${TMPDIR:-/tmp}/cvbench-oci.XXXXXX")
chmod 0711 "$work"
containerd_pid=
finish() {
	if [ -n "$containerd_pid" ]; then
		kill "$containerd_pid" 2>/dev/null || true
		wait "$containerd_pid" 2>/dev/null || true
	fi
	umount /run/containerd 2>/dev/null || true
	[ -z "${made_run_containerd:-}" ] || rmdir /run/containerd 2>/dev/null || true
	find /sys/fs/cgroup/*/cvbench-oci* /sys/fs/cgroup/cvbench-oci* -depth -type d -exec rmdir {} + 2>/dev/null || true
	rm -rf "$work"
}
trap finish EXIT

cc -O2 -std=c11 -o "$work/oci" bench/oci.c
# One bundle per runtime (each writes its pid file there), the same config: runc's template, /bin/true.
for rt in "${RUNTIMES[@]}"; do
	mkdir -p "$work/$rt/bundle"
	cp -a "$CV_ROOTFS" "$work/$rt/bundle/rootfs"
	"${BIN[containerv-runc]}" spec --bundle "$work/$rt/bundle"
	jq '.process.terminal = false | .process.args = ["/bin/true"]' "$work/$rt/bundle/config.json" \
		>"$work/$rt/bundle/config.new"
	mv "$work/$rt/bundle/config.new" "$work/$rt/bundle/config.json"
	mkdir -p "$work/$rt/root"
done

# stats FILE: median and p90 of the nanosecond samples in FILE, in ms.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = v[int(NR * 0.9 + 0.999)]
		printf "%.1f %.1f\n", m / 1e6, p / 1e6 }'
}
report() {
	local title=$1 dir=$2
	local -A median p90
	echo
	echo "$title"
	printf '| runtime | median ms | p90 ms | samples |\n|---|---|---|---|\n'
	for rt in "${RUNTIMES[@]}"; do
		read -r median[$rt] p90[$rt] < <(stats "$dir/$rt.ns")
		printf '| %s | %s | %s | %s |\n' "$rt" "${median[$rt]}" "${p90[$rt]}" "$(wc -l <"$dir/$rt.ns")"
	done
	awk -v c="${median[containerv-runc]}" -v cr="${median[crun]}" -v r="${median[runc]}" \
		-v pc="${p90[containerv-runc]}" -v pcr="${p90[crun]}" -v pr="${p90[runc]}" 'BEGIN {
		printf "containerv-runc / crun: %.2fx median, %.2fx p90\n", c / cr, pc / pcr
		printf "containerv-runc / runc: %.2fx median, %.2fx p90\n", c / r, pc / pr }'
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# ${BIN[containerv-runc]}; $("${BIN[crun]}" --version | head -1); $("${BIN[runc]}" --version | head -1)"

# ---- 1. create + start + wait + delete ----
mkdir -p "$work/cycle"
for rt in "${RUNTIMES[@]}"; do # one warm-up each
	"$work/oci" "$work/$rt/root" "$work/$rt/bundle" warm "${BIN[$rt]}" >/dev/null
done
for ((round = 0; round < N; round++)); do
	# Rotate who goes first: a round's order must not favour anyone.
	for ((k = 0; k < 3; k++)); do
		rt=${RUNTIMES[$(((round + k) % 3))]}
		"$work/oci" "$work/$rt/root" "$work/$rt/bundle" "b$round" "${BIN[$rt]}" >>"$work/cycle/$rt.ns"
	done
done
report "create + start + wait + delete of /bin/true (bench/oci.c), $N interleaved rounds" "$work/cycle"
for rt in "${RUNTIMES[@]}"; do
	left=$("${BIN[$rt]}" --root "$work/$rt/root" list -q 2>/dev/null || true)
	[ -z "$left" ] || { echo "bench/oci.sh: $rt left containers: $left" >&2; exit 1; }
done

# ---- 2. ctr run --rm through containerd's runc shim ----
if [ "${BENCH_CTR:-1}" = 1 ] && command -v containerd >/dev/null && command -v ctr >/dev/null; then
	CTD=$work/containerd
	mkdir -p "$CTD"
	if [ ! -d /run/containerd ]; then
		mkdir /run/containerd
		made_run_containerd=1
	fi
	mount -t tmpfs -o mode=0711 cvbench-run-containerd /run/containerd
	cat >"$CTD/config.toml" <<EOF
version = 2
root = "$CTD/root"
state = "$CTD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$CTD/containerd.sock"
[ttrpc]
  address = "$CTD/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
	containerd --config "$CTD/config.toml" >"$CTD/containerd.log" 2>&1 &
	containerd_pid=$!
	for _ in $(seq 100); do [ -S "$CTD/containerd.sock" ] && break; sleep 0.1; done
	export CONTAINERD_ADDRESS=$CTD/containerd.sock
	ns=cvbench-oci$$
	mkdir -p "$work/ctr"
	ctr_run() { # RUNTIME ID: one timed `ctr run --rm`, nanoseconds on stdout
		local s e
		s=$(date +%s%N)
		ctr -n "$ns" run --rm --runc-binary "${BIN[$1]}" --rootfs "$work/$1/bundle/rootfs" "$2" /bin/true
		e=$(date +%s%N)
		echo $((e - s))
	}
	for rt in "${RUNTIMES[@]}"; do ctr_run "$rt" "warm-$rt" >/dev/null; done
	for ((round = 0; round < CTR_N; round++)); do
		for ((k = 0; k < 3; k++)); do
			rt=${RUNTIMES[$(((round + k) % 3))]}
			ctr_run "$rt" "r$round-$rt" >>"$work/ctr/$rt.ns"
		done
	done
	report "ctr run --rm /bin/true through containerd's runc shim (--runc-binary), $CTR_N interleaved rounds" "$work/ctr"
	[ -z "$(ctr -n "$ns" container ls -q)" ] || { echo "bench/oci.sh: containerd containers left" >&2; exit 1; }
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
