#!/usr/bin/env bash
# bench/startup.sh - container start-up latency: containerv vs crun vs runc.
#
# Runs BENCH_N sequential run-to-completion containers of /bin/true per
# runtime, interleaved (one of each per round, rotating order), timed with
# CLOCK_MONOTONIC by a tiny C helper compiled on the fly; also records peak
# RSS (wait4 rusage, the same figure GNU time's %M reports) and runs a GNU
# time cross-check. Everything runs inside one `unshare --mount
# --propagation private` with /sys/fs/cgroup/unified unmounted (crun 1.8.1
# refuses the host's hybrid cgroup layout). See bench/README.md.
# containerv runs with --network none: a network namespace with loopback only,
# as in the crun/runc spec (bench/network.sh measures the bridged start).
#
# Usage (from the repo root, as root, after a build):
#   bash bench/startup.sh
# Environment:
#   BENCH_N=100          measured rounds (one run of every runtime per round)
#   BENCH_WARMUP=3       unmeasured warm-up rounds
#   BENCH_MEM_N=3        GNU time (%M) cross-check runs per runtime
#   BENCH_OVERLAY=1      also run "crun+ovl" (crun on a fresh per-run OverlayFS
#                        writable layer, like containerv); 0 to skip
#   BENCH_RUNTIMES="containerv crun crun+ovl runc"   subset/order to run
#   CV_ROOTFS=build/rootfs/busybox   rootfs to use (else one is made from /bin/busybox)
#   CONTAINERV=build/tools/containerv/containerv      containerv binary
#   CRUN=crun RUNC=runc  runtime binaries
#   BENCH_PAUSE_MS=0     idle gap before every timed run (lets the kernel's async
#                        namespace teardown of the previous container finish)
#   BENCH_RAW=FILE       also save the raw per-run samples there
#   BENCH_IMAGE=1        containerv runs from an image of its store (imported once), not --rootfs
set -euo pipefail

BENCH_N=${BENCH_N:-100}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_MEM_N=${BENCH_MEM_N:-3}
BENCH_OVERLAY=${BENCH_OVERLAY:-1}
BENCH_PAUSE_MS=${BENCH_PAUSE_MS:-0}
CRUN=${CRUN:-crun}
RUNC=${RUNC:-runc}
TARGET_RATIO=0.7

log() { printf '[startup.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------
# Outer part: preflight, create the work dir, re-run ourselves inside a
# private mount namespace, then check for leaks and print the report.
# ---------------------------------------------------------------------------
if [[ -z "${CVBENCH_INNER:-}" ]]; then
	[[ $(id -u) -eq 0 ]] || die "must run as root"
	[[ "$BENCH_N" =~ ^[1-9][0-9]*$ ]] || die "BENCH_N must be a positive integer"
	[[ "$BENCH_WARMUP" =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be an integer"
	[[ "$BENCH_MEM_N" =~ ^[0-9]+$ ]] || die "BENCH_MEM_N must be an integer"
	[[ "$BENCH_PAUSE_MS" =~ ^[0-9]+$ ]] || die "BENCH_PAUSE_MS must be an integer"
	for t in unshare jq cc mount umount findmnt; do
		command -v "$t" >/dev/null || die "missing tool: $t"
	done
	[[ -x /usr/bin/time ]] || log "note: /usr/bin/time (GNU time) missing; skipping the %M cross-check (apt-get install time)"

	self=$(readlink -f "${BASH_SOURCE[0]}")
	# Resolve relative paths against the caller's cwd before anything else.
	CONTAINERV=${CONTAINERV:-build/tools/containerv/containerv}
	[[ -e "$CONTAINERV" ]] && CONTAINERV=$(readlink -f "$CONTAINERV")
	CV_ROOTFS=${CV_ROOTFS:-build/rootfs/busybox}
	[[ -d "$CV_ROOTFS" ]] && CV_ROOTFS=$(readlink -f "$CV_ROOTFS")

	host_mnt_before=$(grep -c cvbench /proc/self/mountinfo || true)
	[[ "$host_mnt_before" -eq 0 ]] || log "warning: $host_mnt_before cvbench mounts exist before the run (stale from an earlier run?)"

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/cvbench.XXXXXX")
	outer_cleanup() {
		# The inner part removes everything it created; this only catches
		# the report file and anything left if the inner part was killed.
		if findmnt -rn -o TARGET | grep -q "^$WORK"; then
			log "warning: mounts left under $WORK on the host; unmounting"
			findmnt -rn -o TARGET | grep "^$WORK" | sort -r | while read -r m; do umount -l "$m" || true; done
		fi
		rm -rf --one-file-system "$WORK"
	}
	trap outer_cleanup EXIT

	# Run the inner part in the background so that a TERM/INT sent to this
	# process is forwarded at once (the inner part cleans up on TERM).
	inner_pid=
	forward() {
		[[ -n $inner_pid ]] && kill -TERM "$inner_pid" 2>/dev/null
		wait "$inner_pid" 2>/dev/null
		exit 130
	}
	trap forward INT TERM
	rc=0
	CVBENCH_INNER=1 CVBENCH_WORK="$WORK" CONTAINERV="$CONTAINERV" CV_ROOTFS="$CV_ROOTFS" \
		BENCH_N="$BENCH_N" BENCH_WARMUP="$BENCH_WARMUP" BENCH_MEM_N="$BENCH_MEM_N" \
		BENCH_OVERLAY="$BENCH_OVERLAY" BENCH_PAUSE_MS="$BENCH_PAUSE_MS" CRUN="$CRUN" RUNC="$RUNC" \
		unshare --mount --propagation private -- bash "$self" </dev/null &
	inner_pid=$!
	wait "$inner_pid" || rc=$?
	inner_pid=
	trap 'exit 130' INT TERM

	# Leak checks on the host side (the namespace is gone now).
	host_mnt=$(grep -c cvbench /proc/self/mountinfo || true)
	host_cg=$(find /sys/fs/cgroup -maxdepth 6 -name 'cvbench*' 2>/dev/null | wc -l)
	{
		[[ -s "$WORK/report.txt" ]] && cat "$WORK/report.txt"
		printf 'host after run: cvbench mounts in /proc/self/mountinfo = %s, cvbench cgroups = %s\n' "$host_mnt" "$host_cg"
	}
	[[ $rc -eq 0 ]] || die "benchmark failed (rc=$rc)"
	[[ "$host_mnt" -eq 0 && "$host_cg" -eq 0 ]] || die "leak detected (mounts=$host_mnt cgroups=$host_cg)"
	exit 0
fi

# ---------------------------------------------------------------------------
# Inner part: runs inside the private mount namespace.
# ---------------------------------------------------------------------------
W=$CVBENCH_WORK
REPORT=$W/report.txt
RUNTIMES_DEFAULT="containerv crun crun+ovl runc"
read -r -a WANT <<<"${BENCH_RUNTIMES:-$RUNTIMES_DEFAULT}"
OVL_BASE=$W/ovl            # crun+ovl: upper/work created per run, merged fixed
OVL_MERGED=$OVL_BASE/merged

# crun 1.8.1 refuses the hybrid layout: drop cgroup2 from this namespace only.
if [[ $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null || true) == cgroup2fs ]]; then
	umount /sys/fs/cgroup/unified
fi
# The namespace must not see the host's cgroup2 any more.
[[ $(stat -f -c %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]] && die "pure cgroup v2 host: this harness expects the hybrid v1 layout"

cg_snapshot() { find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d 2>/dev/null | grep -v '/process_api/' | sort || true; }

inner_cleanup() {
	local rc=$? c
	set +e
	# Container state (normally empty after a run-to-completion `run`).
	if [[ -d $W/state-crun ]]; then
		for c in $("$CRUN" --root "$W/state-crun" list -q 2>/dev/null); do "$CRUN" --root "$W/state-crun" delete -f "$c" >/dev/null 2>&1; done
	fi
	if [[ -d $W/state-runc ]]; then
		for c in $("$RUNC" --root "$W/state-runc" list -q 2>/dev/null); do "$RUNC" --root "$W/state-runc" delete -f "$c" >/dev/null 2>&1; done
	fi
	# Any mount under our work dir (overlay left by an aborted run, or a
	# containerv leak) - unmount before removing files.
	findmnt -rn -o TARGET | grep "^$W/" | sort -r | while read -r m; do
		log "unmounting leftover mount $m"; umount "$m" 2>/dev/null || umount -l "$m"
	done
	# crun 1.8.1 on the v1 layout writes <id>/cgroup.procs into the plain
	# tmpfs directory /sys/fs/cgroup/unified (the cgroup2 mount is gone in
	# this namespace, but that tmpfs is the host's). Remove our ids only.
	if [[ $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null) == tmpfs ]]; then
		rm -rf --one-file-system /sys/fs/cgroup/unified/cvbench-*
	fi
	# v1 cgroups named after our container ids (crun/runc remove these
	# themselves; rmdir only, never anything else).
	find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -depth -type d -name 'cvbench*' -exec rmdir {} \; 2>/dev/null
	# containerv's shared cgroup parents, when empty (they stay while containerv runs, as docker's do).
	rmdir /sys/fs/cgroup/*/containerv 2>/dev/null || true
	# Everything in the work dir except the report the outer part prints.
	find "$W" -mindepth 1 -maxdepth 1 ! -name report.txt -exec rm -rf --one-file-system {} +
	exit $rc
}
trap inner_cleanup EXIT
trap 'exit 130' INT TERM

# --- timing helper ----------------------------------------------------------
cat >"$W/cvbtime.c" <<'EOF'
/* cvbtime: run a command, print "<label> <elapsed_ns> <maxrss_kib>" to -o FILE.
 * Elapsed is CLOCK_MONOTONIC from just before fork() to wait4() return.
 * maxrss is the child's ru_maxrss from wait4() (covers the child and the
 * descendants it waited for - the same number GNU time's %M shows).
 * -O LOWER:BASE: before the fork, mkdir BASE/upper BASE/work and mount an
 * overlay (lower=LOWER) on BASE/merged; after the wait, unmount it and
 * delete upper/work. That work is inside the timed interval.
 * Exit status: the child's (128+signal if killed). */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	if (remove(p) < 0) { perror(p); return -1; }
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *label = "run", *ovl = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "+o:l:O:")) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'l': label = optarg; break;
		case 'O': ovl = optarg; break;
		default: return 125;
		}
	}
	if (optind >= argc || !out) {
		fprintf(stderr, "usage: cvbtime -o FILE [-l LABEL] [-O LOWER:BASE] -- CMD...\n");
		return 125;
	}
	char lower[4096] = "", upper[4096], work[4096], merged[4096], opts[16384];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ovl) {
		const char *colon = strchr(ovl, ':');
		if (!colon) return 125;
		snprintf(lower, sizeof lower, "%.*s", (int)(colon - ovl), ovl);
		snprintf(upper, sizeof upper, "%s/upper", colon + 1);
		snprintf(work, sizeof work, "%s/work", colon + 1);
		snprintf(merged, sizeof merged, "%s/merged", colon + 1);
		snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
		if (mkdir(upper, 0755) < 0 || mkdir(work, 0755) < 0 ||
		    mount("overlay", merged, "overlay", 0, opts) < 0) {
			perror("cvbtime: overlay setup");
			return 125;
		}
	}
	pid_t pid = fork();
	if (pid < 0) { perror("fork"); return 125; }
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		perror(argv[optind]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) { perror("wait4"); return 125; }
	if (ovl) {
		if (umount2(merged, 0) < 0) { perror("cvbtime: umount overlay"); return 125; }
		if (nftw(upper, rm_cb, 16, FTW_DEPTH | FTW_PHYS) < 0 ||
		    nftw(work, rm_cb, 16, FTW_DEPTH | FTW_PHYS) < 0)
			return 125;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	FILE *f = fopen(out, "a");
	if (!f) { perror(out); return 125; }
	fprintf(f, "%s %lld %ld\n", label, ns, ru.ru_maxrss);
	fclose(f);
	if (WIFEXITED(status)) return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
	return 125;
}
EOF
cc -O2 -Wall -o "$W/cvbtime" "$W/cvbtime.c"
T=$W/cvbtime

# --- rootfs -----------------------------------------------------------------
# crun/runc mkdir missing mount points (proc, dev, sys, ...) in the rootfs
# before remounting it read-only, i.e. they would write into a shared rootfs.
# So a given rootfs is only used in place when it already has them;
# otherwise it is copied into the work dir and completed there.
need_dirs=(bin etc proc sys dev dev/pts dev/shm dev/mqueue tmp)
rootfs_complete() {
	local d; for d in "${need_dirs[@]}"; do [[ -d $1/$d ]] || return 1; done
	[[ -e $1/bin/true || -L $1/bin/true ]]
}
if [[ -d "$CV_ROOTFS" ]]; then
	if rootfs_complete "$CV_ROOTFS"; then
		ROOTFS=$CV_ROOTFS
		ROOTFS_DESC="$CV_ROOTFS (shared, read-only for crun/runc)"
	else
		ROOTFS=$W/rootfs
		cp -a "$CV_ROOTFS" "$ROOTFS"
		for d in "${need_dirs[@]}"; do mkdir -p "$ROOTFS/$d"; done
		ROOTFS_DESC="copy of $CV_ROOTFS + missing mount points"
	fi
else
	[[ -x /bin/busybox ]] || die "no rootfs at $CV_ROOTFS and no /bin/busybox (apt-get install busybox-static)"
	if command -v file >/dev/null && ! file -L /bin/busybox | grep -q 'statically linked'; then
		log "warning: /bin/busybox is not static; containers may fail (apt-get install busybox-static)"
	fi
	ROOTFS=$W/rootfs
	mkdir -p "$ROOTFS"
	for d in "${need_dirs[@]}" root; do mkdir -p "$ROOTFS/$d"; done
	cp /bin/busybox "$ROOTFS/bin/busybox"
	for a in $(/bin/busybox --list); do
		[[ -e $ROOTFS/bin/$a ]] || ln -s busybox "$ROOTFS/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ROOTFS/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\n' >"$ROOTFS/etc/group"
	ROOTFS_DESC="temporary busybox rootfs from /bin/busybox"
fi
log "rootfs: $ROOTFS_DESC"

# --- OCI bundles --------------------------------------------------------------
# Spec defaults kept: namespaces pid, network, ipc, uts, mount; default mounts,
# capabilities, masked/readonly paths. Changed: args, terminal, root; the
# default device-cgroup rule (linux.resources) is dropped: no cgroup limits.
make_bundle() { # tool dir rootpath readonly
	local tool=$1 dir=$2 root=$3 ro=$4
	mkdir -p "$dir"
	(cd "$dir" && "$tool" spec)
	jq --arg root "$root" --argjson ro "$ro" '
		.process.args = ["/bin/true"] | .process.terminal = false |
		.root.path = $root | .root.readonly = $ro | del(.linux.resources)' \
		"$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}

RUNTIMES=()
declare -A SKIP=()
declare -A DESC=()
for r in "${WANT[@]}"; do
	case $r in
	containerv)
		if [[ ! -x "$CONTAINERV" ]]; then
			SKIP[$r]="binary not found at $CONTAINERV (build it, or set CONTAINERV=)"
			continue
		fi
		mkdir -p "$W/cvroot"
		# BENCH_IMAGE=1: from an image of the store (the rootfs imported once, its layer unpacked), not a directory.
		CV_SOURCE=(--rootfs "$ROOTFS")
		if [[ ${BENCH_IMAGE:-0} = 1 ]]; then
			CONTAINERV_ROOT=$W/cvroot "$CONTAINERV" import "$ROOTFS" cvbench-image:1 >/dev/null 2>"$W/cv-smoke.log" &&
				CV_SOURCE=(cvbench-image:1)
		fi
		if ! CONTAINERV_ROOT=$W/cvroot timeout 30 "$CONTAINERV" run --rm --network none "${CV_SOURCE[@]}" /bin/true \
			</dev/null >"$W/cv-smoke.log" 2>&1; then
			SKIP[$r]="smoke test failed: $CONTAINERV run --rm --rootfs ROOTFS /bin/true: $(tr '\n' ' ' <"$W/cv-smoke.log" | cut -c1-300)"
			continue
		fi
		DESC[$r]="containerv run --rm --network none ${CV_SOURCE[*]/#$ROOTFS/ROOTFS} /bin/true (own OverlayFS writable layer)"
		;;
	crun)
		command -v "$CRUN" >/dev/null || { SKIP[$r]="$CRUN not installed (apt-get install crun)"; continue; }
		mkdir -p "$W/state-crun"
		make_bundle "$CRUN" "$W/bundle-crun" "$ROOTFS" true
		"$CRUN" --root "$W/state-crun" run --bundle "$W/bundle-crun" cvbench-smoke-crun </dev/null >"$W/smoke.log" 2>&1 ||
			{ SKIP[$r]="smoke test failed: $(tr '\n' ' ' <"$W/smoke.log" | cut -c1-300)"; continue; }
		DESC[$r]="crun run, shared rootfs read-only (no writable layer)"
		;;
	crun+ovl)
		[[ "$BENCH_OVERLAY" == 1 ]] || continue
		command -v "$CRUN" >/dev/null || { SKIP[$r]="$CRUN not installed"; continue; }
		grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
		grep -qw overlay /proc/filesystems || { SKIP[$r]="no overlay filesystem"; continue; }
		mkdir -p "$W/state-crun" "$OVL_MERGED"
		make_bundle "$CRUN" "$W/bundle-crunovl" "$OVL_MERGED" false
		"$T" -o "$W/smoke.times" -O "$ROOTFS:$OVL_BASE" -- \
			"$CRUN" --root "$W/state-crun" run --bundle "$W/bundle-crunovl" cvbench-smoke-crunovl </dev/null >"$W/smoke.log" 2>&1 ||
			{ SKIP[$r]="smoke test failed: $(tr '\n' ' ' <"$W/smoke.log" | cut -c1-300)"; continue; }
		DESC[$r]="crun run on a fresh per-run overlay (mkdir+mount+umount+rm timed)"
		;;
	runc)
		command -v "$RUNC" >/dev/null || { SKIP[$r]="$RUNC not installed (apt-get install runc)"; continue; }
		mkdir -p "$W/state-runc"
		make_bundle "$RUNC" "$W/bundle-runc" "$ROOTFS" true
		"$RUNC" --root "$W/state-runc" run --bundle "$W/bundle-runc" cvbench-smoke-runc </dev/null >"$W/smoke.log" 2>&1 ||
			{ SKIP[$r]="smoke test failed: $(tr '\n' ' ' <"$W/smoke.log" | cut -c1-300)"; continue; }
		DESC[$r]="runc run, shared rootfs read-only (no writable layer)"
		;;
	*) die "unknown runtime in BENCH_RUNTIMES: $r" ;;
	esac
	RUNTIMES+=("$r")
done
for r in "${!SKIP[@]}"; do log "SKIPPING $r: ${SKIP[$r]}"; done
[[ ${#RUNTIMES[@]} -gt 0 ]] || die "no runtime to benchmark"

# --- one timed run ----------------------------------------------------------------
seq_id=0
run_one() { # runtime outfile
	local r=$1 out=$2 rc=0
	seq_id=$((seq_id + 1))
	if ((BENCH_PAUSE_MS > 0)); then sleep "$(printf '%d.%03d' $((BENCH_PAUSE_MS / 1000)) $((BENCH_PAUSE_MS % 1000)))"; fi
	case $r in
	containerv)
		CONTAINERV_ROOT=$W/cvroot "$T" -o "$out" -l "$r" -- \
			"$CONTAINERV" run --rm --network none "${CV_SOURCE[@]}" /bin/true </dev/null >>"$W/run.log" 2>&1 || rc=$? ;;
	crun)
		"$T" -o "$out" -l "$r" -- \
			"$CRUN" --root "$W/state-crun" run --bundle "$W/bundle-crun" "cvbench-crun-$seq_id" </dev/null >>"$W/run.log" 2>&1 || rc=$? ;;
	crun+ovl)
		"$T" -o "$out" -l "$r" -O "$ROOTFS:$OVL_BASE" -- \
			"$CRUN" --root "$W/state-crun" run --bundle "$W/bundle-crunovl" "cvbench-crunovl-$seq_id" </dev/null >>"$W/run.log" 2>&1 || rc=$? ;;
	runc)
		"$T" -o "$out" -l "$r" -- \
			"$RUNC" --root "$W/state-runc" run --bundle "$W/bundle-runc" "cvbench-runc-$seq_id" </dev/null >>"$W/run.log" 2>&1 || rc=$? ;;
	esac
	if [[ $rc -ne 0 ]]; then
		log "$r run #$seq_id failed with status $rc; last output:"
		tail -n 20 "$W/run.log" >&2
		exit 1
	fi
}

cg_before=$(cg_snapshot)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
k=${#RUNTIMES[@]}
log "runtimes: ${RUNTIMES[*]}; warm-up $BENCH_WARMUP round(s), then $BENCH_N interleaved rounds"
for ((i = 0; i < BENCH_WARMUP; i++)); do
	for r in "${RUNTIMES[@]}"; do run_one "$r" "$W/warmup.times"; done
done
: >"$W/times"
for ((i = 0; i < BENCH_N; i++)); do
	for ((j = 0; j < k; j++)); do
		run_one "${RUNTIMES[$(((i + j) % k))]}" "$W/times"
	done
	if (((i + 1) % 25 == 0)); then log "round $((i + 1))/$BENCH_N"; fi
done

# --- GNU time cross-check of peak RSS --------------------------------------------
declare -A GTIME=()
if [[ -x /usr/bin/time && $BENCH_MEM_N -gt 0 ]]; then
	for r in "${RUNTIMES[@]}"; do
		vals=()
		for ((m = 0; m < BENCH_MEM_N; m++)); do
			seq_id=$((seq_id + 1))
			case $r in
			containerv) cmd=(env CONTAINERV_ROOT="$W/cvroot" "$CONTAINERV" run --rm --network none "${CV_SOURCE[@]}" /bin/true) ;;
			crun) cmd=("$CRUN" --root "$W/state-crun" run --bundle "$W/bundle-crun" "cvbench-crun-$seq_id") ;;
			crun+ovl) cmd=("$CRUN" --root "$W/state-crun" run --bundle "$W/bundle-crunovl" "cvbench-crunovl-$seq_id") ;;
			runc) cmd=("$RUNC" --root "$W/state-runc" run --bundle "$W/bundle-runc" "cvbench-runc-$seq_id") ;;
			esac
			if [[ $r == crun+ovl ]]; then
				mkdir "$OVL_BASE/upper" "$OVL_BASE/work"
				mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$OVL_BASE/upper,workdir=$OVL_BASE/work" "$OVL_MERGED"
			fi
			/usr/bin/time -f '%M' -o "$W/gtime.out" "${cmd[@]}" </dev/null >>"$W/run.log" 2>&1 ||
				{ tail -n 20 "$W/run.log" >&2; die "$r failed under /usr/bin/time"; }
			if [[ $r == crun+ovl ]]; then
				umount "$OVL_MERGED"; rm -rf "$OVL_BASE/upper" "$OVL_BASE/work"
			fi
			vals+=("$(tail -n 1 "$W/gtime.out")")
		done
		GTIME[$r]=$(printf '%s\n' "${vals[@]}" | sort -n | tail -n 1)
	done
fi

# --- leak checks inside the namespace ---------------------------------------------
cg_after=$(cg_snapshot)
# containerv's shared parent (/sys/fs/cgroup/<controller>/containerv) stays by design, as docker's does.
new_cg=$(comm -13 <(echo "$cg_before") <(echo "$cg_after") | grep -v -e '^/sys/fs/cgroup/unified/cvbench-' \
	-e '^/sys/fs/cgroup/[a-z_,]*/containerv$' || true)
cv_state_left=0
# The seccomp filter cache, the image store and the spare container directories (empty files
# and directories kept for the next create) are kept on purpose; anything else is a leak.
[[ -d $W/cvroot ]] && cv_state_left=$(find "$W/cvroot" -mindepth 1 ! -type d ! -path "$W/cvroot/cache/*" \
	! -path "$W/cvroot/images/*" ! \( -path "$W/cvroot/containers/.spare-*" -empty \) | wc -l)
ns_mnt=$(grep -c cvbench /proc/self/mountinfo || true)
crun_left=$( [[ -d $W/state-crun ]] && "$CRUN" --root "$W/state-crun" list -q 2>/dev/null | wc -l || echo 0)
runc_left=$( [[ -d $W/state-runc ]] && "$RUNC" --root "$W/state-runc" list -q 2>/dev/null | wc -l || echo 0)

# --- report ---------------------------------------------------------------------------
stats() { # runtime -> "median_ms p90_ms min_ms rss_median_KiB rss_max_KiB n"
	awk -v r="$1" '$1 == r { print $2, $3 }' "$W/times" | sort -n | awk '
		{ t[NR] = $1; rss[NR] = $2 }
		END {
			n = NR; if (n == 0) { print "NA NA NA NA NA 0"; exit }
			med = (n % 2) ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
			p = int(0.9 * n); if (p < 0.9 * n) p++; if (p < 1) p = 1
			# median of rss (sorted separately)
			m = 0; for (i = 1; i <= n; i++) r2[i] = rss[i]
			for (i = 2; i <= n; i++) { v = r2[i]; j = i - 1; while (j > 0 && r2[j] > v) { r2[j + 1] = r2[j]; j-- } r2[j + 1] = v }
			rmax = r2[n]
			printf "%.3f %.3f %.3f %d %d %d\n", med / 1e6, t[p] / 1e6, t[1] / 1e6, r2[int((n + 1) / 2)], rmax, n
		}'
}

declare -A MED=()
{
	echo
	echo "=== containerv start-up benchmark: sequential run-to-completion of /bin/true ==="
	printf 'kernel %s, %s CPUs, %s; N=%s interleaved rounds (rotating order), %s warm-up rounds\n' \
		"$(uname -r)" "$(nproc)" "$("$CRUN" --version 2>/dev/null | head -n 1 || echo 'crun n/a'), $("$RUNC" --version 2>/dev/null | head -n 1 || echo 'runc n/a')" \
		"$BENCH_N" "$BENCH_WARMUP"
	if ((BENCH_PAUSE_MS > 0)); then echo "idle gap before each run: ${BENCH_PAUSE_MS} ms"; fi
	echo "rootfs: $ROOTFS_DESC"
	echo "loadavg (1/5/15 min) at start: $load_start, at end: $(cut -d' ' -f1-3 /proc/loadavg)  (other load skews results)"
	echo "all runtimes in one unshare --mount --propagation private, /sys/fs/cgroup/unified unmounted (v1 controllers only)"
	echo "time = CLOCK_MONOTONIC fork..wait4 of the runtime CLI; RSS = wait4 ru_maxrss (== GNU time %M) of the CLI + waited children"
	for r in "${RUNTIMES[@]}"; do printf '  %-10s %s\n' "$r" "${DESC[$r]}"; done
	for r in "${!SKIP[@]}"; do printf '  %-10s SKIPPED: %s\n' "$r" "${SKIP[$r]}"; done
	echo
	printf '%-10s %5s %10s %10s %10s %12s %12s %14s\n' runtime n median_ms p90_ms min_ms rss_med_KiB rss_max_KiB gnutime_%M_KiB
	for r in "${RUNTIMES[@]}"; do
		read -r med p90 min rmed rmax n < <(stats "$r")
		MED[$r]=$med
		printf '%-10s %5s %10s %10s %10s %12s %12s %14s\n' "$r" "$n" "$med" "$p90" "$min" "$rmed" "$rmax" "${GTIME[$r]:-n/a}"
	done
	echo
	if [[ -n "${MED[containerv]:-}" ]]; then
		for base in crun crun+ovl runc; do
			[[ -n "${MED[$base]:-}" ]] || continue
			printf 'containerv median / %-8s median = %sx\n' "$base" \
				"$(awk -v a="${MED[containerv]}" -v b="${MED[$base]}" 'BEGIN { printf "%.2f", a / b }')"
		done
		if [[ -n "${MED[crun]:-}" ]]; then
			verdict=$(awk -v a="${MED[containerv]}" -v b="${MED[crun]}" -v t="$TARGET_RATIO" 'BEGIN { print (a / b <= t) ? "MET" : "NOT MET" }')
			echo "target: containerv median <= ${TARGET_RATIO}x crun median -> $verdict"
		fi
	else
		echo "target: containerv median <= ${TARGET_RATIO}x crun median -> not evaluated (containerv skipped)"
	fi
	echo "note: crun/runc use the shared rootfs read-only; containerv adds a private OverlayFS upper per container"
	echo "      (crun+ovl approximates that: overlay mkdir/mount/umount/rm is inside its timed interval)."
	printf 'leaks in namespace: cvbench mounts=%s, new cgroup dirs=%s, crun state=%s, runc state=%s, containerv state files=%s\n' \
		"$ns_mnt" "$(printf '%s' "$new_cg" | grep -c . || true)" "$crun_left" "$runc_left" "$cv_state_left"
	if [[ -n "$new_cg" ]]; then echo "new cgroup dirs (not removed):"; echo "$new_cg" | sed 's/^/  /'; fi
} >"$REPORT"
if [[ -n "${BENCH_RAW:-}" ]]; then
	cp "$W/times" "$BENCH_RAW"
	echo "raw per-run data (runtime ns maxrss_KiB, run order) copied to $BENCH_RAW" >>"$REPORT"
fi
exit 0
