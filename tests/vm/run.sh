#!/usr/bin/env bash
# Runs ctest entries of a built tree in a Debian 12 guest (qemu, KVM when
# /dev/kvm exists, TCG otherwise), booted once per cgroup layout:
#   v2      cgroup2 alone at /sys/fs/cgroup, +cpu +memory +pids +io +cpuset enabled
#   v1      v1 hierarchies only (cpu,cpuacct joined), as with systemd.unified_cgroup_hierarchy=0
#   hybrid  v1 hierarchies plus a controller-less cgroup2 at unified/ (systemd's hybrid)
#
# The guest is Debian's linux-image-amd64 (the .deb is downloaded, never installed)
# and an initramfs of busybox-static and tests/vm/init; its root is the host's /,
# shared read-only over 9p under a tmpfs overlay, so it runs the host's build tree
# and tools. Nothing is written to the host but the cache and a results directory.
# The kernel, its modules and the initramfs are cached under $CONTAINERV_VM_CACHE
# (default /var/cache/containerv-vm), by the .deb's and the inputs' sha256.
#
# Usage: tests/vm/run.sh [--mode v2|v1|hybrid]... [--tests REGEX] [--build DIR]
#                        [--compare] [--log-dir DIR] [--command COMMAND]
#   --mode     a layout to boot (repeatable; default: v2 v1 hybrid)
#   --tests    the ctest -R regex for every guest (default: V2_TESTS, V1_TESTS below)
#   --build    the build tree (default: build/ of this checkout)
#   --compare  also run tests/vm/compare-runtimes.sh in the v2 guest and print its table
#   --log-dir  keep each guest's ctest log there as ctest-MODE.log
#   --command  run this bash command in the guest instead of ctest (to look around)
# The exit status is non-zero when any guest's run failed; the last line is
# "vm: N passed, N failed" over all the guests.
# Environment: CONTAINERV_VM_CACHE, CV_VM_MEMORY (MiB, 2048), CV_VM_CPUS (2),
# CV_VM_GUEST_TIMEOUT (seconds for one guest, 1800).
set -uo pipefail

# The cgroup-relevant entries, chosen by their time under TCG (docs/vm-tests.md):
# limits that kill, throttle and count, OOM reported, stats against the workload,
# CLONE_INTO_CGROUP, freeze, live update (test_cgroup, test_limits, test_container,
# test_cli_update); on v2 also the eBPF device filter (test_security) and the CLI's
# limits, stats, pause and unpause (test_cli_lifecycle), the metrics with PSI (test_cli_metrics) and tune (test_cli_tune).
V2_TESTS='^(unit\.test_(cgroup|limits|container|security|oci)|integration\.test_cli_(update|lifecycle|metrics|tune))$'
V1_TESTS='^(unit\.test_(cgroup|limits|container|oci)|integration\.test_cli_update)$'

cd "$(dirname "$0")/../.." || exit 1
source_dir=$(pwd)
modes=()
tests=
build_dir=$source_dir/build
compare=0
log_dir=
command=
cache=${CONTAINERV_VM_CACHE:-/var/cache/containerv-vm}

usage() {
	sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//' >&2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--mode)
		case "${2:-}" in
		v2 | v1 | hybrid) modes+=("$2") ;;
		*)
			echo "run.sh: --mode takes v2, v1 or hybrid" >&2
			exit 2
			;;
		esac
		shift
		;;
	--tests) tests=${2:?--tests needs a regex} && shift ;;
	--build) build_dir=$(realpath "${2:?--build needs a directory}") && shift ;;
	--log-dir) log_dir=${2:?--log-dir needs a directory} && shift ;;
	--compare) compare=1 ;;
	--command) command=${2:?--command needs a command} && shift ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage
		exit 2
		;;
	esac
	shift
done
[ ${#modes[@]} -gt 0 ] || modes=(v2 v1 hybrid)

die() {
	echo "run.sh: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (the guest's tests create containers; the 9p share reads the host's / as root)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (scripts/install-deps.sh installs qemu-system-x86)"
command -v depmod >/dev/null || die "depmod not found (kmod)"
[ -x /bin/busybox ] || die "/bin/busybox not found (busybox-static)"
[ -f "$build_dir/CTestTestfile.cmake" ] || die "no build tree at $build_dir (build it first)"

sha256() {
	sha256sum "$@" | cut -c1-64
}

# The .deb linux-image-amd64 points at, in the cache (downloaded once).
kernel_deb() {
	local package deb
	package=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	if [ -z "$package" ]; then
		apt-get update -qq </dev/null >&2 || return 1
		package=$(apt-cache depends linux-image-amd64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	fi
	[ -n "$package" ] || {
		echo "run.sh: apt knows no linux-image-amd64" >&2
		return 1
	}
	deb=$(ls "$cache/debs/${package}"_*.deb 2>/dev/null | tail -n1)
	if [ -z "$deb" ]; then
		mkdir -p "$cache/debs" || return 1
		(cd "$cache/debs" && apt-get download "$package" </dev/null >&2) || return 1
		deb=$(ls "$cache/debs/${package}"_*.deb | tail -n1)
	fi
	echo "$deb"
}

# Extracts vmlinuz and the modules (with modules.dep) into kernel-<sha>/; prints that directory.
kernel_dir() {
	local deb=$1 dir tmp
	dir=$cache/kernel-$(sha256 "$deb" | cut -c1-16)
	if [ ! -e "$dir/complete" ]; then
		tmp=$(mktemp -d "$cache/.kernel.XXXXXX") || return 1
		if ! dpkg-deb -x "$deb" "$tmp/x" || ! mv "$tmp/x/boot/vmlinuz-"* "$tmp/vmlinuz" ||
			! mkdir -p "$tmp/lib" || ! mv "$tmp/x/lib/modules" "$tmp/lib/modules" ||
			! depmod -b "$tmp" "$(ls "$tmp/lib/modules")"; then
			rm -rf "$tmp"
			return 1
		fi
		rm -rf "$tmp/x"
		rm -rf "$dir"
		touch "$tmp/complete" && mv "$tmp" "$dir" || return 1
	fi
	echo "$dir"
}

# initramfs-<sha>.cpio.gz: busybox, tests/vm/init, the modules that mount the share and the overlay.
initramfs() {
	local kernel=$1 key image tmp release module
	release=$(ls "$kernel/lib/modules")
	key=$( (sha256 /bin/busybox "$source_dir/tests/vm/init" && echo "$kernel") | sha256sum | cut -c1-16)
	image=$cache/initramfs-$key.cpio.gz
	if [ ! -e "$image" ]; then
		tmp=$(mktemp -d "$cache/.initramfs.XXXXXX") || return 1
		mkdir -p "$tmp/root/bin" "$tmp/root/proc" "$tmp/root/sys" "$tmp/root/dev" "$tmp/root/lib/modules/$release"
		cp /bin/busybox "$tmp/root/bin/busybox" && cp "$source_dir/tests/vm/init" "$tmp/root/init" &&
			chmod 0755 "$tmp/root/init" && cp "$kernel/lib/modules/$release/modules.dep" "$tmp/root/lib/modules/$release/" ||
			return 1
		for module in virtio_pci 9pnet_virtio 9p overlay; do
			for file in $(grep -E "/$module\.ko:" "$kernel/lib/modules/$release/modules.dep" | tr -d :); do
				mkdir -p "$tmp/root/lib/modules/$release/$(dirname "$file")" &&
					cp "$kernel/lib/modules/$release/$file" "$tmp/root/lib/modules/$release/$file" || return 1
			done
		done
		(cd "$tmp/root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$tmp/image") &&
			mv "$tmp/image" "$image" || return 1
		rm -rf "$tmp"
	fi
	echo "$image"
}

prepare() {
	local deb
	mkdir -p "$cache" || return 1
	deb=$(kernel_deb) || return 1
	kernel=$(kernel_dir "$deb") || return 1
	image=$(initramfs "$kernel") || return 1
}

# boot MODE: one guest; prints its console, leaves status, ctest.log ... in $work/MODE.
boot() {
	local mode=$1 started accel=tcg
	local results=$work/$mode
	mkdir -p "$results" || return 1
	[ -w /dev/kvm ] && accel=kvm
	cat >"$results/config" <<-CONFIG
		CV_VM_MODE=$mode
		CV_VM_BUILD=$(printf %q "$build_dir")
		CV_VM_SOURCE=$(printf %q "$source_dir")
		CV_VM_MODULES=$(printf %q "$kernel/lib/modules/$(ls "$kernel/lib/modules")")
		CV_VM_TESTS=$(printf %q "${tests:-$([ "$mode" = v2 ] && echo "$V2_TESTS" || echo "$V1_TESTS")}")
		CV_VM_COMMAND=$(printf %q "$command")
		CV_VM_COMPARE=$([ "$mode" = v2 ] && echo "$compare" || echo 0)
		CV_VM_SUITE_TIMEOUT=$((${CV_VM_GUEST_TIMEOUT:-1800} - 120))
	CONFIG
	truncate -s 8G "$work/scratch-$mode.img" || return 1
	echo "=== vm $mode: booting $(ls "$kernel/lib/modules") ($accel, ${CV_VM_CPUS:-2} CPUs, ${CV_VM_MEMORY:-2048} MiB)"
	started=$(date +%s.%N)
	timeout --foreground -k 10 "${CV_VM_GUEST_TIMEOUT:-1800}" \
		qemu-system-x86_64 -accel kvm -accel tcg,tb-size=256 -cpu max -smp "${CV_VM_CPUS:-2}" -m "${CV_VM_MEMORY:-2048}" \
		-nodefaults -display none -no-reboot -serial stdio -monitor none \
		-kernel "$kernel/vmlinuz" -initrd "$image" \
		-append "console=ttyS0 panic=-1 loglevel=3 rdinit=/init cv.guest=$source_dir/tests/vm/guest.sh" \
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$results,mount_tag=results,security_model=none" \
		-drive "file=$work/scratch-$mode.img,if=virtio,format=raw,cache=unsafe" \
		-nic none </dev/null 2>&1 | grep --line-buffered -v -e 'failed to initialize kvm' -e 'falling back to tcg' -e 'Could not access KVM'
	rm -f "$work/scratch-$mode.img"
	echo "$(date +%s.%N) $started" | awk '{ printf "%.0f\n", $1 - $2 }' >"$results/wall-seconds"
}

report() {
	local mode=$1 results=$work/$1 status summary line
	status=$(cat "$results/status" 2>/dev/null || echo "none (the guest did not finish)")
	line=$(sed 's/\x1b\[[0-9;]*m//g' "$results/ctest.log" 2>/dev/null | grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' | tail -n1)
	summary="vm $mode: ${line:-no ctest summary}; exit $status; shell at $(cat "$results/boot-seconds" 2>/dev/null)s, suite $(cat "$results/suite-seconds" 2>/dev/null)s, wall $(cat "$results/wall-seconds")s"
	summaries+=("$summary")
	if [ -n "$line" ]; then
		passed=$((passed + $(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/') - $(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed.*/\1/')))
		failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed.*/\1/')))
	else
		failed=$((failed + 1))
	fi
	[ -n "$log_dir" ] && [ -f "$results/ctest.log" ] && cp "$results/ctest.log" "$log_dir/ctest-$mode.log"
	if [ -f "$results/LastTest.log" ] && grep -q '^skip ' "$results/LastTest.log"; then
		echo "vm $mode: skipped in the guest:"
		grep '^skip ' "$results/LastTest.log" | sort | uniq -c | sed 's/^/  /'
	fi
	[ -f "$results/compare.txt" ] && cat "$results/compare.txt"
	if [ -f "$results/stuck.txt" ]; then
		echo "vm $mode: a test ctest could not end (its processes and freezer states: stuck-$mode.txt in --log-dir)"
		[ -n "$log_dir" ] && cp "$results/stuck.txt" "$log_dir/stuck-$mode.txt"
	fi
	[ "$status" = 0 ]
}

prepare || die "preparing the guest kernel and initramfs in $cache failed"
work=$(mktemp -d /tmp/containerv-vm.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
[ -z "$log_dir" ] || mkdir -p "$log_dir" || exit 1
summaries=()
passed=0
failed=0
any_failed=0
for mode in "${modes[@]}"; do
	boot "$mode"
	report "$mode" || any_failed=1
done
echo
for summary in "${summaries[@]}"; do
	echo "$summary"
done
echo "vm: $passed passed, $failed failed"
exit "$any_failed"
