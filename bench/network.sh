#!/usr/bin/env bash
# bench/network.sh - container networking: throughput and start-up cost.
#
# 1. TCP throughput (iperf3, BENCH_SECONDS per run, BENCH_ROUNDS interleaved
#    rounds, medians) from the host to a container over its bridge (to the
#    container's address) and through a published port on 127.0.0.1
#    (nftables DNAT), against the host's loopback. The iperf3 server is the
#    host's binary run in the container's network namespace (nsenter -n): the
#    busybox image has none, and the packets' path is the container's.
# 2. Start time of `run --rm /bin/true`: bridged (the default network, its
#    bridge already up) and bridged with a published port, against
#    --network none; and crun with a network namespace wired the same way
#    (a veth pair to a bridge, addresses and a default route, made with `ip`
#    as a CNI plugin would) against crun with its own empty one.
#
# Usage (as root, from the repo root, after a build): bash bench/network.sh
# Environment: BENCH_SECONDS=3 BENCH_ROUNDS=3 BENCH_N=40 (starts per variant),
#   CONTAINERV=build/tools/containerv/containerv CV_ROOTFS=build/rootfs/busybox CRUN=crun
# All traffic stays on this machine (loopback, and a bridge and namespaces made here).
set -euo pipefail

BENCH_SECONDS=${BENCH_SECONDS:-3}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_N=${BENCH_N:-40}
CONTAINERV=$(readlink -f "${CONTAINERV:-build/tools/containerv/containerv}")
CV_ROOTFS=$(readlink -f "${CV_ROOTFS:-build/rootfs/busybox}")
CRUN=${CRUN:-crun}

log() { printf '[network.sh] %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}
[ "$(id -u)" = 0 ] || die "must run as root"
for tool in iperf3 jq nsenter ip unshare "$CRUN"; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done
[ -x "$CONTAINERV" ] || die "no containerv at $CONTAINERV (build first)"

WORK=$(mktemp -d /tmp/cvbench-net.XXXXXX)
export CONTAINERV_ROOT=$WORK/root
export CONTAINERV_BRIDGE_SUBNET=10.236.0.0/24
cv() { "$CONTAINERV" "$@"; }
finish() {
	local left
	left=$(cv ps -aq 2>/dev/null || true)
	[ -z "$left" ] || cv rm -f $left >/dev/null 2>&1 || true
	for n in $(cv network ls --format '{{.Name}}' 2>/dev/null || true); do cv network rm "$n" >/dev/null 2>&1 || true; done
	[ -z "${IPERF_PID:-}" ] || kill "$IPERF_PID" 2>/dev/null || true
	rm -rf "$WORK"
	rmdir /sys/fs/cgroup/*/containerv 2>/dev/null || true # the shared cgroup parents, when empty
}
trap finish EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
now_us() { echo $(($(date +%s%N) / 1000)); }

# ---- 1. throughput ----
gbits() { # ADDRESS PORT: one iperf3 run, Gbit/s received
	iperf3 -c "$1" -p "$2" -t "$BENCH_SECONDS" -J 2>/dev/null | jq '.end.sum_received.bits_per_second / 1e9'
}
log "throughput: ${BENCH_ROUNDS} rounds of ${BENCH_SECONDS}s per path"
id=$(cv run -d --rootfs "$CV_ROOTFS" -p 127.0.0.1:15201:5201 busybox sleep 3600)
pid=$(cv inspect "$id" | jq -r '.[0].State.Pid')
address=$(cv network inspect bridge | jq -r --arg id "$id" '.[0].Containers[$id].IPv4Address' | cut -d/ -f1)
nsenter -t "$pid" -n iperf3 -s -p 5201 >/dev/null 2>&1 &
IPERF_PID=$!
iperf3 -s -B 127.0.0.1 -p 15301 >/dev/null 2>&1 &
HOST_IPERF=$!
sleep 0.5
: >"$WORK/loopback"
: >"$WORK/bridge"
: >"$WORK/published"
for round in $(seq "$BENCH_ROUNDS"); do
	gbits 127.0.0.1 15301 >>"$WORK/loopback"
	gbits "$address" 5201 >>"$WORK/bridge"
	gbits 127.0.0.1 15201 >>"$WORK/published"
done
kill "$IPERF_PID" "$HOST_IPERF" 2>/dev/null || true
wait "$IPERF_PID" "$HOST_IPERF" 2>/dev/null || true
IPERF_PID=
cv rm -f "$id" >/dev/null
loopback=$(median <"$WORK/loopback")
bridge=$(median <"$WORK/bridge")
published=$(median <"$WORK/published")

# ---- 2. start time ----
time_runs() { # OUTFILE COMMAND...: BENCH_N timed runs, milliseconds each
	local out=$1 start
	shift
	for _ in $(seq "$BENCH_N"); do
		start=$(now_us)
		"$@" </dev/null >/dev/null 2>&1 || die "failed: $*"
		awk -v a="$(now_us)" -v b="$start" 'BEGIN {printf "%.3f\n", (a - b) / 1000}' >>"$out"
	done
}
log "start time: $BENCH_N runs per variant, interleaved in blocks of 10"
cv run --rm --rootfs "$CV_ROOTFS" /bin/true # the default network and its bridge exist from here on
for variant in none bridge port; do : >"$WORK/start-$variant"; done
saved_n=$BENCH_N
BENCH_N=10
for block in $(seq $((saved_n / 10))); do
	time_runs "$WORK/start-none" cv run --rm --network none --rootfs "$CV_ROOTFS" /bin/true
	time_runs "$WORK/start-bridge" cv run --rm --rootfs "$CV_ROOTFS" /bin/true
	time_runs "$WORK/start-port" cv run --rm -p 127.0.0.1:15401:80 --rootfs "$CV_ROOTFS" /bin/true
done
BENCH_N=$saved_n

# crun, in a private mount namespace without the cgroup v2 hierarchy of the
# hybrid layout (crun 1.8.1 refuses it, as bench/startup.sh explains).
mkdir -p "$WORK/bundle"
(cd "$WORK/bundle" && "$CRUN" spec)
jq --arg root "$CV_ROOTFS" '.process.args = ["/bin/true"] | .process.terminal = false |
	.root.path = $root | .root.readonly = true | del(.linux.resources)' "$WORK/bundle/config.json" >"$WORK/plain.json"
jq '.linux.namespaces |= map(if .type == "network" then .path = "/run/netns/cvbench" else . end)' \
	"$WORK/plain.json" >"$WORK/wired.json"
cat >"$WORK/crun.sh" <<'EOF'
set -euo pipefail
umount /sys/fs/cgroup/unified 2>/dev/null || true
W=$1 CRUN=$2 N=$3
now_us() { echo $(($(date +%s%N) / 1000)); }
ip link add cvbench0 type bridge
ip addr add 10.237.0.1/24 dev cvbench0
ip link set cvbench0 up
: >"$W/start-crun"
: >"$W/start-crun-wired"
for i in $(seq "$N"); do
	cp "$W/plain.json" "$W/bundle/config.json"
	s=$(now_us)
	"$CRUN" --root "$W/crun-state" run --bundle "$W/bundle" "cvbench-$i" </dev/null >/dev/null 2>&1
	awk -v a="$(now_us)" -v b="$s" 'BEGIN {printf "%.3f\n", (a - b) / 1000}' >>"$W/start-crun"
	cp "$W/wired.json" "$W/bundle/config.json"
	s=$(now_us)
	ip netns add cvbench
	ip link add cvbv0 type veth peer name eth0 netns cvbench
	ip link set cvbv0 master cvbench0 up
	ip -n cvbench addr add 10.237.0.2/24 dev eth0
	ip -n cvbench link set eth0 up
	ip -n cvbench link set lo up
	ip -n cvbench route add default via 10.237.0.1
	"$CRUN" --root "$W/crun-state" run --bundle "$W/bundle" "cvbench-w$i" </dev/null >/dev/null 2>&1
	ip netns del cvbench
	awk -v a="$(now_us)" -v b="$s" 'BEGIN {printf "%.3f\n", (a - b) / 1000}' >>"$W/start-crun-wired"
	while ip link show cvbv0 >/dev/null 2>&1; do sleep 0.01; done # the pair goes with the namespace
done
ip link del cvbench0
EOF
log "crun: $BENCH_N runs per variant"
unshare --mount --propagation private bash "$WORK/crun.sh" "$WORK" "$CRUN" "$BENCH_N" ||
	{ ip link del cvbench0 2>/dev/null || true; ip netns del cvbench 2>/dev/null || true; die "crun runs failed"; }

none=$(median <"$WORK/start-none")
bridged=$(median <"$WORK/start-bridge")
port=$(median <"$WORK/start-port")
crun_plain=$(median <"$WORK/start-crun")
crun_wired=$(median <"$WORK/start-crun-wired")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a - b}'; }

cat <<EOF

TCP throughput (iperf3, ${BENCH_SECONDS}s x ${BENCH_ROUNDS}, median Gbit/s)   ratio to loopback
  host loopback                  $(printf '%7.2f' "$loopback")      1.00
  host -> container (bridge)     $(printf '%7.2f' "$bridge")      $(ratio "$bridge" "$loopback")
  host -> 127.0.0.1 published    $(printf '%7.2f' "$published")      $(ratio "$published" "$loopback")

Start to finish of run --rm /bin/true (median ms, $BENCH_N runs)   added
  containerv --network none      $(printf '%7.1f' "$none")
  containerv bridge (default)    $(printf '%7.1f' "$bridged")      +$(diff_ms "$bridged" "$none")
  containerv bridge + -p         $(printf '%7.1f' "$port")      +$(diff_ms "$port" "$none")
  crun, own empty netns          $(printf '%7.1f' "$crun_plain")
  crun, netns wired with ip      $(printf '%7.1f' "$crun_wired")      +$(diff_ms "$crun_wired" "$crun_plain")
EOF
