#!/usr/bin/env bash
# containerv-runc against crun and runc as OCI runtimes, side by side in one run, rounds interleaved:
#  1. the lifecycle an engine drives: `create` + `start` + the process waited for + `delete` of a bundle
#     running /bin/true (bench/oci.c times it; the same config.json for all three);
#  2. `ctr run --rm` of the same rootfs through containerd 1.6 and its runc shim, with each runtime as the
#     shim's binary (--runc-binary); skipped when containerd is not installed or BENCH_CTR=0;
#  3. memory per running container through containerd: PSS of the shim and of the runtime's processes
#     (containerv-runc's init; runc's and crun's have exited), the workload left out;
#  4. `podman run --rm` with each as podman's --runtime; skipped without podman or with BENCH_PODMAN=0.
# Medians, p90 and the ratios to crun and runc. As root, after a build:
#   bash bench/oci.sh
# Environment: BENCH_N (rounds of 1, default 40), BENCH_CTR_N (rounds of 2, default 20), BENCH_CTR (1),
# BENCH_MEM_N (containers per runtime in 3, default 5), BENCH_PODMAN_N (rounds of 4, default 10), BENCH_PODMAN (1),
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
MEM_N=${BENCH_MEM_N:-5}
PODMAN_N=${BENCH_PODMAN_N:-10}
CV_ROOTFS=$(readlink -f "${CV_ROOTFS:-$BUILD/rootfs/busybox}")
declare -A BIN=([containerv-runc]=$(readlink -f "$BUILD/tools/containerv-runc/containerv-runc")
	[crun]=$(command -v "${CRUN:-crun}") [runc]=$(command -v "${RUNC:-runc}"))
RUNTIMES=(containerv-runc crun runc)
work=$(mktemp -d "${TMPDIR:-/tmp}/cvbench-oci.XXXXXX")
chmod 0711 "$work"
source tests/containerd-lib.sh
finish() {
	containerd_stop
	# podman's storage mounts (in this private mount namespace), deepest first, so the work directory goes.
	awk -v w="$work/" 'index($2, w) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
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
	containerd_start "$CTD" cvbench-run-containerd || exit 1
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

	# ---- 3. memory per running container: the shim and the runtime's processes, the workload left out ----
	# A `ctr run -d` of `sleep` per container; then the proportional set size (PSS, /proc/PID/smaps_rollup) of
	# its shim (the task's parent) and of every process of the task's cgroup but the sleep: for runc and crun
	# nothing (their runtime has exited), for containerv-runc its init.
	pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
	echo
	echo "memory per running container (shim + runtime processes, the workload not counted), $MEM_N containers each"
	printf '| runtime | PSS KiB per container | of which the shim | of which the runtime |\n|---|---|---|---|\n'
	declare -A mem_total
	for rt in "${RUNTIMES[@]}"; do
		for ((i = 0; i < MEM_N; i++)); do
			ctr -n "$ns" run -d --runc-binary "${BIN[$rt]}" --rootfs "$work/$rt/bundle/rootfs" "m$i-$rt" /bin/sleep 1000
		done
		sleep 2
		shim_kib=0 runtime_kib=0
		for ((i = 0; i < MEM_N; i++)); do
			pid=$(ctr -n "$ns" task ls | awk -v id="m$i-$rt" '$1 == id {print $2}')
			shim=$(awk '{print $4}' "/proc/$pid/stat")
			shim_kib=$((shim_kib + $(pss_kib "$shim")))
			procs=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ || $1 == 0 {print $3; exit}' "/proc/$pid/cgroup")
			for p in $(cat /sys/fs/cgroup/memory"$procs"/cgroup.procs /sys/fs/cgroup"$procs"/cgroup.procs 2>/dev/null); do
				[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] || runtime_kib=$((runtime_kib + $(pss_kib "$p")))
			done
		done
		printf '| %s | %d | %d | %d |\n' "$rt" $(((shim_kib + runtime_kib) / MEM_N)) $((shim_kib / MEM_N)) \
			$((runtime_kib / MEM_N))
		mem_total[$rt]=$(((shim_kib + runtime_kib) / MEM_N))
		for ((i = 0; i < MEM_N; i++)); do
			ctr -n "$ns" task kill -s KILL "m$i-$rt" >/dev/null 2>&1 || true
		done
		for ((i = 0; i < MEM_N; i++)); do
			for _ in $(seq 50); do
				[ "$(ctr -n "$ns" task ls | awk -v id="m$i-$rt" '$1 == id {print $3}')" = STOPPED ] && break
				sleep 0.2
			done
			ctr -n "$ns" task delete "m$i-$rt" >/dev/null
			ctr -n "$ns" container delete "m$i-$rt" >/dev/null
		done
	done
	awk -v c="${mem_total[containerv-runc]}" -v cr="${mem_total[crun]}" 'BEGIN {
		if (cr > 0) printf "containerv-runc / crun: %.2fx memory per container\n", c / cr }'
	[ -z "$(ctr -n "$ns" container ls -q)" ] || { echo "bench/oci.sh: containerd containers left" >&2; exit 1; }
fi

# ---- 4. podman run --rm through podman 4.3's --runtime ----
if [ "${BENCH_PODMAN:-1}" = 1 ] && command -v podman >/dev/null; then
	PM=$work/podman
	mkdir -p "$PM/tmp"
	podman_flags=(--root "$PM/storage" --runroot "$PM/run" --tmpdir "$PM/tmp" --cgroup-manager cgroupfs
		--events-backend file)
	# podman's default RLIMIT_NOFILE 1048576 (and RLIMIT_NPROC) cannot be raised without CAP_SYS_RESOURCE
	# (docs/oci.md, podman), whatever the runtime: ask for the hard limits its runtime process really has,
	# read by a probe in the runtime's place, as test_oci_podman does.
	printf '#!/bin/sh\ngrep -E "^Max (open files|processes)" /proc/self/limits >"%s"\nexit 1\n' "$PM/limits" >"$PM/probe"
	chmod +x "$PM/probe"
	podman "${podman_flags[@]}" --runtime "$PM/probe" run --rm --network none --rootfs "$work/crun/bundle/rootfs" \
		/bin/true >/dev/null 2>&1 || true
	nofile=$(awk '/open files/ {print $5}' "$PM/limits")
	nproc=$(awk '/processes/ {print $4}' "$PM/limits")
	podman_run() { # RUNTIME: one timed `podman run --rm`, nanoseconds on stdout
		local s e
		s=$(date +%s%N)
		podman "${podman_flags[@]}" --runtime "${BIN[$1]}" run --rm --network none --cgroup-parent /cvbench-oci$$ \
			--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc" --rootfs "$work/$1/bundle/rootfs" \
			/bin/true
		e=$(date +%s%N)
		echo $((e - s))
	}
	mkdir -p "$work/podman-runs"
	for rt in "${RUNTIMES[@]}"; do podman_run "$rt" >/dev/null; done
	for ((round = 0; round < PODMAN_N; round++)); do
		for ((k = 0; k < 3; k++)); do
			rt=${RUNTIMES[$(((round + k) % 3))]}
			podman_run "$rt" >>"$work/podman-runs/$rt.ns"
		done
	done
	report "podman run --rm /bin/true (--runtime), $PODMAN_N interleaved rounds" "$work/podman-runs"
	podman "${podman_flags[@]}" rm -f -a >/dev/null 2>&1 || true
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
