#!/bin/bash
# Runs as PID 1 in the guest (tests/vm/init hands over to it): the host's / is
# the guest's root, read-only under a tmpfs overlay; /cv-vm is the results
# share, where tests/vm/run.sh left `config` and where this leaves `status`,
# `ctest.log` and friends. Lays out the cgroup hierarchy the way systemd does
# for the mode asked (v2, v1 or hybrid), then runs the chosen ctest entries.
# Powers the guest off in every case: the status file is the result.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 CLICOLOR=0
results=/cv-vm
booted=$(cut -d' ' -f1 /proc/uptime)

power_off() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 60 2>/dev/null # (the root is going away: nothing to load sleep from)
}

# finish STATUS: records the status for the host, then powers off.
finish() {
	echo "$1" >"$results/status"
	echo "cv-vm-status: $1"
	power_off
}

fatal() {
	echo "cv-vm guest: $*" >&2
	finish 125
}

# shellcheck source=/dev/null
. "$results/config" || fatal "no $results/config"
: "${CV_VM_MODE:?}" "${CV_VM_BUILD:?}" "${CV_VM_MODULES:?}" "${CV_VM_TESTS:?}"

mount_filesystems() {
	mkdir -p /dev/pts /dev/shm /dev/mqueue
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts || return 1
	[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
	mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm || return 1
	mount -t mqueue mqueue /dev/mqueue || return 1
	mount -t tmpfs -o mode=0755,nosuid,nodev run /run || return 1
	mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	# The kernel's modules, extracted by run.sh on the host, where modprobe looks for them.
	mkdir -p "/lib/modules/$(uname -r)" &&
		mount --bind "$CV_VM_MODULES" "/lib/modules/$(uname -r)" || return 1
	echo /sbin/modprobe >/proc/sys/kernel/modprobe
}

# What the tests need that the kernel does not load by itself when first used.
load_modules() {
	local module failed=0
	for module in virtio_blk ext4 loop veth bridge br_netfilter overlay nf_tables nft_chain_nat nft_ct \
		nft_masq nft_nat nft_reject_inet nft_fib_inet nft_limit nf_conntrack tun dummy sch_fq_codel; do
		modprobe "$module" || failed=1
	done
	return $failed
}

# The scratch disk (ext4, as on most hosts): /tmp, /var/tmp and /var/lib/containerv live
# there, since an overlay cannot be another overlay's upper layer and 6.1's tmpfs has no
# id-mapped mounts.
mount_scratch() {
	mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 /dev/vda || return 1
	mkdir -p /scratch && mount /dev/vda /scratch || return 1
	mkdir -p /run/host-tmp /run/host-var-tmp && mount --bind /tmp /run/host-tmp &&
		mount --bind /var/tmp /run/host-var-tmp || return 1
	mkdir -p /scratch/tmp /scratch/var-tmp /scratch/containerv /var/lib/containerv &&
		chmod 1777 /scratch/tmp /scratch/var-tmp &&
		mount --bind /scratch/tmp /tmp && mount --bind /scratch/var-tmp /var/tmp &&
		mount --bind /scratch/containerv /var/lib/containerv || return 1
	rebind_build_tree /tmp /run/host-tmp && rebind_build_tree /var/tmp /run/host-var-tmp
}

# A build tree under /tmp or /var/tmp (a CI clone, say) stays reachable over the scratch disk:
# its top folder is bound back from the host's view, saved before.
rebind_build_tree() {
	local under=$1 saved=$2 top
	case "$CV_VM_BUILD" in "$under"/*) ;; *) return 0 ;; esac
	top=${CV_VM_BUILD#"$under"/}
	top=${top%%/*}
	mkdir -p "$under/$top" && mount --bind "$saved/$top" "$under/$top"
}

# systemd's layouts. Pure v2: cgroup2 alone, every controller enabled at the root, this
# process (the service manager's place) in init.scope.
cgroups_v2() {
	mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup || return 1
	mkdir /sys/fs/cgroup/init.scope && echo $$ >/sys/fs/cgroup/init.scope/cgroup.procs || return 1
	echo "+cpu +memory +pids +io +cpuset" >/sys/fs/cgroup/cgroup.subtree_control
}

# Pure v1: a read-only tmpfs of v1 hierarchies, cpu and cpuacct (net_cls and net_prio) joined.
cgroups_v1() {
	local hierarchy
	mount -t tmpfs -o mode=0755,nosuid,nodev,noexec cgroup /sys/fs/cgroup || return 1
	mkdir /sys/fs/cgroup/systemd &&
		mount -t cgroup -o none,name=systemd,nosuid,nodev,noexec cgroup /sys/fs/cgroup/systemd || return 1
	for hierarchy in cpu,cpuacct cpuset memory devices freezer blkio pids net_cls,net_prio perf_event hugetlb; do
		mkdir "/sys/fs/cgroup/$hierarchy" &&
			mount -t cgroup -o "$hierarchy,nosuid,nodev,noexec" cgroup "/sys/fs/cgroup/$hierarchy" || return 1
	done
	ln -s cpu,cpuacct /sys/fs/cgroup/cpu && ln -s cpu,cpuacct /sys/fs/cgroup/cpuacct &&
		ln -s net_cls,net_prio /sys/fs/cgroup/net_cls && ln -s net_cls,net_prio /sys/fs/cgroup/net_prio
}

# Hybrid: the v1 hierarchies plus a controller-less cgroup2 at unified/ (this host's layout).
cgroups_hybrid() {
	cgroups_v1 || return 1
	mkdir /sys/fs/cgroup/unified &&
		mount -t cgroup2 -o nsdelegate,nosuid,nodev,noexec cgroup2 /sys/fs/cgroup/unified
}

uptime() { cut -d' ' -f1 /proc/uptime; }
mount_filesystems || fatal "mounting /dev/pts, /run, the modules failed"
echo "cv-vm: filesystems at $(uptime)s"
load_modules || echo "cv-vm guest: some modules did not load (see above)" >&2
echo "cv-vm: modules at $(uptime)s"
mount_scratch || fatal "the scratch disk (/dev/vda) failed"
echo "cv-vm: scratch at $(uptime)s"
case "$CV_VM_MODE" in
v2) cgroups_v2 ;;
v1) cgroups_v1 ;;
hybrid) cgroups_hybrid ;;
*) false ;;
esac || fatal "cgroup layout $CV_VM_MODE failed"
[ "$CV_VM_MODE" = v2 ] || mount -o remount,ro /sys/fs/cgroup
hostname containerv-vm
ip link set lo up

echo "cv-vm: $(uname -r), cgroup $CV_VM_MODE, shell at ${booted}s after boot, ready at $(cut -d' ' -f1 /proc/uptime)s"
echo "$booted" >"$results/boot-seconds"
grep cgroup /proc/mounts | cut -d' ' -f2,3

cd "$CV_VM_BUILD" || fatal "no build tree $CV_VM_BUILD"
if [ -n "${CV_VM_COMMAND:-}" ]; then
	bash -c "$CV_VM_COMMAND" </dev/null
	finish $?
fi
# What a test ctest could not end was doing: every process's state, kernel wait and freezer cgroup
# (a v1-frozen process does not die of SIGKILL until thawed; one in D state not at all), the
# kernel stacks of the stopped ones and the containers' freezer states.
dump_stuck() {
	local pid
	echo "== processes"
	ps -eo pid,ppid,stat,wchan:32,args --sort pid | cut -c1-200
	echo "== stopped ones: freezer cgroup and kernel stack"
	for pid in $(ps -eo pid=,stat= | awk '$2 ~ /^[DTt]/ { print $1 }'); do
		echo "$pid $(grep -m1 ':freezer:' "/proc/$pid/cgroup" 2>/dev/null | cut -d: -f3)"
		sed 's/^/    /' "/proc/$pid/stack" 2>/dev/null
	done
	echo "== freezer states"
	grep -r . /sys/fs/cgroup/freezer --include=freezer.state 2>/dev/null
	grep -rl 'frozen 1' /sys/fs/cgroup --include=cgroup.events 2>/dev/null
}

# A test that outlives the longest ctest TIMEOUT (600 s) by a minute is one ctest could not end:
# its stuck processes go to the console and stuck.txt, then every frozen containerv cgroup is
# thawed so that what ctest killed dies and the suite goes on, reporting that test as failed.
watchdog() {
	local suite=$1 limit=${CV_VM_STUCK_SECONDS:-660} ctest child age dumped=
	while kill -0 "$suite" 2>/dev/null; do
		sleep 10
		ctest=$(pgrep -P "$suite" -x ctest) || continue
		for child in $(pgrep -P "$ctest"); do
			age=$(ps -o etimes= -p "$child" | tr -d ' ')
			[ "${age:-0}" -gt "$limit" ] || continue
			case " $dumped " in *" $child "*) continue ;; esac
			dumped="$dumped $child"
			{
				echo "cv-vm guest: test process $child ($(tr '\0' ' ' <"/proc/$child/cmdline" 2>/dev/null)) still runs after ${age}s"
				dump_stuck
			} | tee -a "$results/stuck.txt" >&2
			grep -rlx -e FROZEN -e FREEZING /sys/fs/cgroup/freezer --include=freezer.state 2>/dev/null |
				grep /containerv/ | while read -r state; do echo THAWED >"$state"; done
			grep -rlx 'frozen 1' /sys/fs/cgroup --include=cgroup.events 2>/dev/null | grep /containerv/ |
				while read -r events; do echo 0 >"${events%/cgroup.events}/cgroup.freeze"; done
		done
	done
}

started=$(date +%s)
# The guest's own deadline, inside the host's (CV_VM_GUEST_TIMEOUT): a suite that still hangs is
# ended here (exit 124), so the host gets a status and the dump instead of killing a silent guest.
timeout -k 10 "${CV_VM_SUITE_TIMEOUT:-1500}" tini -s -- ctest --test-dir "$CV_VM_BUILD" -R "$CV_VM_TESTS" \
	--output-on-failure --no-tests=error --timeout "${CV_VM_TIMEOUT:-900}" --output-log "$results/ctest.log" \
	</dev/null &
suite=$!
watchdog "$suite" &
watcher=$!
wait "$suite"
status=$?
kill "$watcher" 2>/dev/null
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
	echo "cv-vm guest: the suite outlived ${CV_VM_SUITE_TIMEOUT:-1500}s" >&2
	dump_stuck | tee -a "$results/stuck.txt" >&2
fi
echo $(($(date +%s) - started)) >"$results/suite-seconds"
# Every test's output (the unit tests' "skip" lines among it) for the host's report.
cp "$CV_VM_BUILD/Testing/Temporary/LastTest.log" "$results/" 2>/dev/null

if [ "${CV_VM_COMPARE:-0}" = 1 ]; then
	bash "$CV_VM_SOURCE/tests/vm/compare-runtimes.sh" >"$results/compare.txt" 2>&1 ||
		echo "cv-vm guest: compare-runtimes.sh failed" >>"$results/compare.txt"
fi
finish "$status"
