#!/usr/bin/env bash
# The benchmark suite behind `containerv bench` (docs/performance.md, "Benchmark suite"): containerv
# side by side with crun and runc in one run, interleaved round by round so that the ratios hold on a
# loaded machine.
#   startup     cold `run --rm /bin/true` from a rootfs, from an image, warm from a pool; crun and runc
#               (run + delete, as run --rm removes); a bare fork+exec of /bin/true (the floor)
#   (--quick, for CI: 5 rounds, 10 containers, 4 per throughput batch at 1 and 2, crun only beside)
#   throughput  containers per second, K containers of /bin/true at 1..P parallel
#   memory      per idle container (sleep) at 1, 100 and N running: the init's RSS and PSS, its monitor's PSS, the kernel
#               memory charged to its cgroup, the host's MemAvailable drop per container; crun's cgroup
#   scaling     start latency (cold and warm) while 0, 1, 100, N containers run; crun's up to 100
# Prints a table of medians and ratios; --json FILE, --plot FILE.png (gnuplot), --validate FILE (stored
# thresholds, bench/thresholds.json: exit 1 on a regression). As root, after a build:
#   bash bench/suite.sh [--quick] [--rounds N] [--containers N] [--sections LIST] [--runtimes LIST]
#                       [--json FILE] [--plot FILE] [--validate FILE]
# Environment: CONTAINERV (the CLI, default build/tools/containerv/containerv), CV_ROOTFS (a busybox
# rootfs directory, default build/rootfs/busybox), CRUN, RUNC.
# Runs in its own mount and network namespaces (crun 1.8.1 refuses the hybrid layout: cgroup2 is
# unmounted there only); every container it starts is removed, and the leftovers are checked.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "containerv: bench: needs root" >&2; exit 1; }
SUITE_DIR=$(cd "$(dirname "$0")" && pwd)

ARGS=("$@")
QUICK=0 JSON_OUT= PLOT_OUT= VALIDATE= ROUNDS= CONTAINERS= SECTIONS= RUNTIMES=${BENCH_RUNTIMES:-}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--json) JSON_OUT=$2; shift ;;
	--plot) PLOT_OUT=$2; shift ;;
	--validate) VALIDATE=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--containers) CONTAINERS=$2; shift ;;
	--sections) SECTIONS=$2; shift ;;
	--runtimes) RUNTIMES=$2; shift ;;
	-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "containerv: bench: unknown argument \"$1\" (see --help)" >&2; exit 125 ;;
	esac
	shift
done
# Paths given are the caller's: made absolute (the defaults below are the suite's directory's).
for v in JSON_OUT PLOT_OUT VALIDATE; do [ -z "${!v}" ] || printf -v "$v" '%s' "$(realpath -m -- "${!v}")"; done
number() { [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] || { echo "containerv: bench: invalid $1 \"$2\": a positive number" >&2; exit 125; }; }
# --quick: CI's budget (well under a minute at load 20).
if [ "$QUICK" = 1 ]; then
	ROUNDS=${ROUNDS:-5} CONTAINERS=${CONTAINERS:-10} TP_K=4 TP_LEVELS="1 2" SCALE_R=3 TP_BATCHES=1
	RUNTIMES=${RUNTIMES:-containerv crun}
else
	ROUNDS=${ROUNDS:-30} CONTAINERS=${CONTAINERS:-500} TP_K=20 TP_LEVELS="1 2 4 8" SCALE_R=7 TP_BATCHES=2
fi
number --rounds "$ROUNDS"
number --containers "$CONTAINERS"
# The process limit here is 20000; each container is 2 processes (init + sleep).
[ "$CONTAINERS" -le 5000 ] || { echo "containerv: bench: --containers $CONTAINERS: at most 5000" >&2; exit 125; }
SECTIONS=${SECTIONS:-startup,throughput,memory}
for s in ${SECTIONS//,/ }; do
	case $s in startup | throughput | memory | scaling) ;; *) echo "containerv: bench: unknown section \"$s\"" >&2; exit 125 ;; esac
done
[[ ,$SECTIONS, == *,scaling,* && ,$SECTIONS, != *,memory,* ]] && SECTIONS=$SECTIONS,memory # one pass does both
[[ ,$SECTIONS, == *,memory,* ]] && SECTIONS=$SECTIONS,scaling
RUNTIMES=${RUNTIMES:-containerv crun runc}
for f in "$JSON_OUT" "$PLOT_OUT"; do
	[ -z "$f" ] || [ -d "$(dirname "$f")" ] || { echo "containerv: bench: no directory for \"$f\"" >&2; exit 125; }
done
[ -z "$VALIDATE" ] || jq -e '.max // .min' "$VALIDATE" >/dev/null 2>&1 ||
	{ echo "containerv: bench: --validate \"$VALIDATE\": not a thresholds file (JSON with \"max\" and/or \"min\")" >&2; exit 125; }
CV=$(readlink -f "${CONTAINERV:-$SUITE_DIR/../build/tools/containerv/containerv}")
CV_ROOTFS=$(readlink -f "${CV_ROOTFS:-$SUITE_DIR/../build/rootfs/busybox}")
[ -x "$CV" ] || { echo "containerv: bench: no containerv binary at $CV (set CONTAINERV)" >&2; exit 125; }
[ -x "$CV_ROOTFS/bin/true" ] || { echo "containerv: bench: no rootfs with /bin/true at $CV_ROOTFS (set CV_ROOTFS)" >&2; exit 125; }
CRUN=${CRUN:-crun} RUNC=${RUNC:-runc}

# ---- outer part: the namespaces, then the report and the leftover check on the host ----
if [ -z "${BENCH_SUITE_WORK:-}" ]; then
	work=$(mktemp -d /tmp/cvbench-suite.XXXXXX)
	rc=0
	# The inner part parses the same arguments (its outputs are the outer part's to write).
	BENCH_SUITE_WORK=$work CONTAINERV=$CV CV_ROOTFS=$CV_ROOTFS \
		unshare --mount --propagation private --net -- bash "$SUITE_DIR/suite.sh" "${ARGS[@]}" || rc=$?
	# Leftovers on the host: the inner part's containers, by id (others' containers are not ours to judge).
	left=
	if [ -s "$work/ids" ]; then
		while read -r id; do
			for d in /sys/fs/cgroup/*/containerv/"$id" /sys/fs/cgroup/containerv/"$id"; do
				[ -e "$d" ] && left="$left cgroup:$d"
			done
		done <"$work/ids"
	fi
	grep -q "$work" /proc/self/mountinfo && left="$left mounts-under-$work"
	pgrep -f "$work" >/dev/null && left="$left processes"
	if [ -s "$work/results" ]; then
		bash "$SUITE_DIR/suite-report.sh" "$work/results" "$JSON_OUT" "$PLOT_OUT" "$VALIDATE" || rc=$?
	fi
	rm -rf "$work"
	[ -z "$left" ] || { echo "containerv: bench: left behind:$left" >&2; exit 1; }
	echo "left behind: nothing (cgroups, mounts, processes checked)"
	exit "$rc"
fi

# ---- inner part ----
work=$BENCH_SUITE_WORK
export CONTAINERV_ROOT=$work/root
ip link set lo up
if [[ $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null || true) == cgroup2fs ]]; then
	umount /sys/fs/cgroup/unified
fi
have() { [[ " $RUNTIMES " == *" $1 "* ]] && command -v "${2:-$1}" >/dev/null; }
rec() { echo "$1 $2" >>"$work/results"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# elapsed_us COMMAND...: runs it (output dropped) and prints the microseconds it took (bash's own clock).
elapsed_us() {
	local start=$EPOCHREALTIME end
	"$@" >/dev/null 2>&1 </dev/null || echo "containerv: bench: failed: $*" >&2
	end=$EPOCHREALTIME
	echo $((${end/./} - ${start/./}))
}
load() { cut -d' ' -f1 /proc/loadavg; }

inner_cleanup() {
	set +e
	"$CV" pool rm cvbench >/dev/null 2>&1
	"$CV" ps -aq --no-trunc 2>/dev/null >>"$work/ids"
	"$CV" ps -aq --no-trunc 2>/dev/null | xargs -r -n 20 -P 4 "$CV" rm -f >/dev/null 2>&1
	for o in "crun:$CRUN" "runc:$RUNC"; do
		[ -d "$work/state-${o%%:*}" ] || continue
		for c in $("${o#*:}" --root "$work/state-${o%%:*}" list -q 2>/dev/null); do
			"${o#*:}" --root "$work/state-${o%%:*}" delete -f "$c" >/dev/null 2>&1
		done
	done
	# crun on the v1 layout leaves <id> directories in the tmpfs under unified/ (bench/startup.sh).
	[[ $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null) == tmpfs ]] && rm -rf --one-file-system /sys/fs/cgroup/unified/cvb-*
	rmdir /sys/fs/cgroup/*/cvb-* 2>/dev/null
	sort -u -o "$work/ids" "$work/ids"
}
trap inner_cleanup EXIT

make_bundle() { # tool dir args...
	local tool=$1 dir=$2
	shift 2
	mkdir -p "$dir" "$work/state-$(basename "$tool")"
	(cd "$dir" && "$tool" spec)
	jq --arg root "$CV_ROOTFS" --args '.process.args = $ARGS.positional | .process.terminal = false |
		.root.path = $root | .root.readonly = true | del(.linux.resources)' "$@" \
		<"$dir/config.json" >"$dir/c.json"
	mv "$dir/c.json" "$dir/config.json"
}
oci_once() { # tool bundle id: run + delete, as containerv's run --rm
	"$1" --root "$work/state-$(basename "$1")" run --bundle "$2" "$3" >/dev/null 2>&1 </dev/null
	"$1" --root "$work/state-$(basename "$1")" delete -f "$3" >/dev/null 2>&1
}
OCI=()
for r in crun runc; do
	tool=$([ $r = crun ] && echo "$CRUN" || echo "$RUNC")
	have "$r" "$tool" || continue
	make_bundle "$tool" "$work/bundle-$r" /bin/true
	make_bundle "$tool" "$work/sleep-$r" /bin/sleep 1000000
	if oci_once "$tool" "$work/bundle-$r" "cvb-smoke-$r"; then OCI+=("$r:$tool"); else echo "containerv: bench: skipping $r: its smoke run failed" >&2; fi
done
rec load.start "$(load)"
rec host.cpus "$(nproc)"

"$CV" import "$CV_ROOTFS" cvbench:1 >/dev/null
"$CV" pool create cvbench --min 4 --refill-concurrency 1 --rootfs "$CV_ROOTFS" --network none /bin/true >/dev/null
pool_ready() { for _ in $(seq 200); do grep -q '"Ready": [1-9]' <("$CV" pool inspect cvbench) && return 0; sleep 0.05; done; }
pool_ready

if [[ ,$SECTIONS, == *,startup,* ]]; then
	echo "startup: $ROUNDS interleaved rounds (load $(load))" >&2
	for i in $(seq "$ROUNDS"); do
		elapsed_us /bin/true >>"$work/s.floor"
		elapsed_us "$CV" run --rm --network none --rootfs "$CV_ROOTFS" /bin/true >>"$work/s.cold"
		elapsed_us "$CV" run --rm --network none cvbench:1 /bin/true >>"$work/s.image"
		pool_ready
		elapsed_us "$CV" run --rm --pool cvbench /bin/true >>"$work/s.warm"
		for o in "${OCI[@]}"; do elapsed_us oci_once "${o#*:}" "$work/bundle-${o%%:*}" "cvb-$i" >>"$work/s.${o%%:*}"; done
	done
	for k in floor cold image warm crun runc; do
		[ -s "$work/s.$k" ] && rec "startup.$k" "$(median <"$work/s.$k")"
	done
fi

if [[ ,$SECTIONS, == *,throughput,* ]]; then
	echo "throughput: $TP_K containers at ${TP_LEVELS// /, } parallel (load $(load))" >&2
	cv_batch() { seq "$TP_K" | xargs -P "$1" -n 1 "$CV" run --rm --network none --rootfs "$CV_ROOTFS" /bin/true >/dev/null 2>&1; }
	oci_batch() { seq "$TP_K" | xargs -P "$1" -I{} bash -c "$(declare -f oci_once); work=$work; oci_once $2 $work/bundle-$3 cvb-tp{}" 2>/dev/null; }
	for p in $TP_LEVELS; do
		for round in $(seq "$TP_BATCHES"); do
			us=$(elapsed_us cv_batch "$p")
			echo "$((TP_K * 1000000000 / us))" >>"$work/t.containerv.$p" # milli-containers per second
			for o in "${OCI[@]}"; do
				us=$(elapsed_us oci_batch "$p" "${o#*:}" "${o%%:*}")
				echo "$((TP_K * 1000000000 / us))" >>"$work/t.${o%%:*}.$p"
			done
		done
	done
	for f in "$work"/t.*; do rec "throughput.${f#"$work"/t.}" "$(median <"$f")"; done
fi

if [[ ,$SECTIONS, == *,memory,* ]]; then
	levels="0 1"
	[ "$CONTAINERS" -gt 100 ] && levels="$levels 100"
	levels="$levels $CONTAINERS"
	echo "memory and scaling: levels $levels (load $(load))" >&2
	avail() { awk '/^MemAvailable/ {print $2}' /proc/meminfo; }
	cgroup_of() { # pid controller-file: the path of the file in the pid's memory cgroup (v1, or v2)
		local path
		path=$(awk -F: '$2 == "memory" {print $3}' "/proc/$1/cgroup")
		if [ -n "$path" ]; then echo "/sys/fs/cgroup/memory$path/$2"; else echo "/sys/fs/cgroup$(awk -F: '$1 == 0 {print $3}' "/proc/$1/cgroup")/$3"; fi
	}
	kib_of() { awk -v k="$2" '$1 == k":" {print $2}' "$1" 2>/dev/null || true; } # a process gone meanwhile: no sample
	base_avail=$(avail)
	running=0
	oci_running=0
	for level in $levels; do
		if [ "$level" -gt "$running" ]; then
			seq $((running + 1)) "$level" | xargs -P 4 -I{} "$CV" run -d --name cvb-idle-{} --network none \
				--rootfs "$CV_ROOTFS" sleep 1000000 >>"$work/ids"
			running=$level
		fi
		# crun's idle containers alongside, up to 100 (its own memory and start latency at those levels).
		if [ "$level" -le 100 ] && [ "$level" -gt "$oci_running" ] && [[ " ${OCI[*]} " == *" crun:"* ]]; then
			for i in $(seq $((oci_running + 1)) "$level"); do
				"$CRUN" --root "$work/state-crun" run -d --bundle "$work/sleep-crun" "cvb-idle-$i" >/dev/null 2>&1 </dev/null
			done
			oci_running=$level
		fi
		sleep 1
		if [ "$level" -gt 0 ]; then
			rec "memory.$level.host_avail_drop_kib_per_container" $(((base_avail - $(avail)) / level))
			# A sample of up to 20 containers: the init, its monitor, its workload, their cgroup. A detached
			# container's monitor (containerv-mon) holds a pidfd of its init: fdinfo's "Pid:" names it.
			declare -A monitor_of=()
			for m in $(pgrep -x containerv-mon || true); do
				for f in /proc/"$m"/fdinfo/*; do
					p=$(awk '$1 == "Pid:" {print $2}' "$f" 2>/dev/null) || continue # a descriptor closed meanwhile
					[ -z "$p" ] || monitor_of[$p]=$m
				done
			done
			: >"$work/m.init_rss"; : >"$work/m.init_pss"; : >"$work/m.kmem"; : >"$work/m.charged"; : >"$work/m.workload_rss"
			: >"$work/m.monitor_pss"
			for i in $(seq 1 $(((level + 19) / 20)) "$level"); do
				pid=$("$CV" inspect --format '{{.State.Pid}}' "cvb-idle-$i" 2>/dev/null) || continue
				child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | cut -d' ' -f1)
				kib_of "/proc/$pid/status" VmRSS >>"$work/m.init_rss"
				kib_of "/proc/$pid/smaps_rollup" Pss >>"$work/m.init_pss"
				[ -z "${monitor_of[$pid]:-}" ] || kib_of "/proc/${monitor_of[$pid]}/smaps_rollup" Pss >>"$work/m.monitor_pss"
				[ -n "$child" ] && kib_of "/proc/$child/status" VmRSS >>"$work/m.workload_rss"
				kmem=$(cgroup_of "$pid" memory.kmem.usage_in_bytes memory.stat)
				if [[ $kmem == */memory.stat ]]; then awk '$1 == "kernel" {print int($2 / 1024)}' "$kmem" >>"$work/m.kmem"; else echo $(($(cat "$kmem") / 1024)) >>"$work/m.kmem"; fi
				charged=$(cgroup_of "$pid" memory.usage_in_bytes memory.current)
				echo $(($(cat "$charged") / 1024)) >>"$work/m.charged"
			done
			for k in init_rss init_pss monitor_pss kmem charged workload_rss; do [ -s "$work/m.$k" ] && rec "memory.$level.$k" "$(median <"$work/m.$k")"; done
			if [ "$oci_running" = "$level" ] && [ "$level" -le 100 ]; then
				: >"$work/m.crun"
				for i in $(seq 1 $(((level + 19) / 20)) "$level"); do
					pid=$("$CRUN" --root "$work/state-crun" state "cvb-idle-$i" 2>/dev/null | jq -r .pid) || continue
					charged=$(cgroup_of "$pid" memory.usage_in_bytes memory.current)
					echo $(($(cat "$charged") / 1024)) >>"$work/m.crun"
				done
				rec "memory.$level.crun_charged" "$(median <"$work/m.crun")"
			fi
		fi
		# Start latency with LEVEL containers running, interleaved.
		: >"$work/l.cold"; : >"$work/l.warm"; : >"$work/l.crun"
		for r in $(seq "$SCALE_R"); do
			elapsed_us "$CV" run --rm --network none --rootfs "$CV_ROOTFS" /bin/true >>"$work/l.cold"
			pool_ready
			elapsed_us "$CV" run --rm --pool cvbench /bin/true >>"$work/l.warm"
			if [ "$level" -le 100 ] && [[ " ${OCI[*]} " == *" crun:"* ]]; then
				elapsed_us oci_once "$CRUN" "$work/bundle-crun" "cvb-l$level-$r" >>"$work/l.crun"
			fi
		done
		rec "scaling.$level.cold" "$(median <"$work/l.cold")"
		rec "scaling.$level.warm" "$(median <"$work/l.warm")"
		[ -s "$work/l.crun" ] && rec "scaling.$level.crun" "$(median <"$work/l.crun")"
		rec "scaling.$level.load" "$(load)"
	done
	echo "removing $running containers" >&2
	start=$EPOCHREALTIME
	"$CV" ps -aq --no-trunc | tee -a "$work/ids" | xargs -r -n 20 -P 4 "$CV" rm -f >/dev/null
	end=$EPOCHREALTIME
	rec "memory.removal_ms" $(((${end/./} - ${start/./}) / 1000))
	for i in $(seq "$oci_running"); do "$CRUN" --root "$work/state-crun" delete -f "cvb-idle-$i" >/dev/null 2>&1; done
fi
rec load.end "$(load)"
