#!/usr/bin/env bash
# bench/dns.sh - the embedded DNS server of a user network against dnsmasq.
#
# BENCH_N containers on a user network, each with its name and the shared
# alias "svc"; dnsmasq (Debian) serves the same records (a hosts file) on a
# second address of the same bridge, so both servers run in the host's
# namespace and are asked from the same container's namespace.
#   1. throughput: dnsperf (run in a container's network namespace) asks
#      every name in turn, BENCH_CLIENTS sockets, BENCH_SECONDS per run,
#      BENCH_ROUNDS interleaved rounds, medians of queries/s;
#   2. latency of one lookup from inside the container: one query in flight
#      (python3 in the container's namespace), the median round trip of
#      BENCH_LOOKUPS, the two servers alternated (the added cost of a name
#      lookup against an /etc/hosts entry, which costs no round trip);
#   3. a forwarded name answered from the cache (upstream: dnsmasq in a
#      namespace playing the outside, asked once), queries/s.
#
# Usage (as root, from the repo root, after a build): bash bench/dns.sh
# Environment: BENCH_N=10 BENCH_SECONDS=5 BENCH_ROUNDS=3 BENCH_CLIENTS=4
#   CONTAINERV=build/tools/containerv/containerv
# Everything runs in a network namespace of its own (nothing leaves the machine).
set -euo pipefail
if [ -z "${DNS_BENCH_INNER:-}" ]; then
	exec env DNS_BENCH_INNER=1 unshare --net bash "$0" "$@"
fi

BENCH_N=${BENCH_N:-10}
BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_CLIENTS=${BENCH_CLIENTS:-4}
BENCH_LOOKUPS=${BENCH_LOOKUPS:-500}
CONTAINERV=$(readlink -f "${CONTAINERV:-build/tools/containerv/containerv}")
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)

log() { printf '[dns.sh] %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}
[ "$(id -u)" = 0 ] || die "must run as root"
for tool in dnsperf jq nsenter ip python3; do
	command -v "$tool" >/dev/null || die "missing tool: $tool (Debian: dnsperf, jq, util-linux, iproute2)"
done
[ -x "$DNSMASQ" ] || die "missing dnsmasq (Debian: dnsmasq-base)"
[ -x "$CONTAINERV" ] || die "no containerv at $CONTAINERV (build first)"
ip link set lo up

WORK=$(mktemp -d /tmp/cvbench-dns.XXXXXX)
export CONTAINERV_ROOT=$WORK/root
SUBNET=10.237.0
OUTSIDE=cvbench-dns-$$
PIDS=()
cv() { "$CONTAINERV" "$@"; }
finish() {
	local left
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	left=$(cv ps -aq 2>/dev/null || true)
	[ -z "$left" ] || cv rm -f $left >/dev/null 2>&1 || true
	for n in $(cv network ls --format '{{.Name}}' 2>/dev/null || true); do cv network rm "$n" >/dev/null 2>&1 || true; done
	ip netns del "$OUTSIDE" 2>/dev/null || true
	rm -rf "$WORK"
	rmdir /sys/fs/cgroup/*/containerv /sys/fs/cgroup/containerv 2>/dev/null || true
}
trap finish EXIT
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

log "starting $BENCH_N containers on a user network"
cv network create --subnet $SUBNET.0/24 bench >/dev/null
: >"$WORK/hosts"
: >"$WORK/queries"
for i in $(seq 0 $((BENCH_N - 1))); do
	cv run -d --network bench --name "c$i" --network-alias svc busybox sleep 3600 >/dev/null
	address=$(cv inspect "c$i" | jq -r '.[0].NetworkSettings.Networks.bench.IPAddress')
	printf '%s c%d svc\n' "$address" "$i" >>"$WORK/hosts"
	printf 'c%d A\n' "$i" >>"$WORK/queries"
done
printf 'svc A\n' >>"$WORK/queries"
client=$(cv inspect c0 | jq -r '.[0].State.Pid')
bridge=$(cv network inspect bench | jq -r '.[0].Options["com.docker.network.bridge.name"]')
OURS=$SUBNET.1
THEIRS=$SUBNET.253
ip addr add $THEIRS/24 dev "$bridge"
"$DNSMASQ" --keep-in-foreground --user=root --no-resolv --no-hosts --addn-hosts="$WORK/hosts" --bind-interfaces \
	--listen-address=$THEIRS --cache-size=10000 --local-ttl=5 --pid-file= --log-facility="$WORK/dnsmasq.log" &
PIDS+=($!)
sleep 1

# perf SERVER QUERIES CLIENTS IN_FLIGHT: "qps latency_us" of one dnsperf run from the container's namespace.
perf() {
	nsenter -t "$client" -n dnsperf -s "$1" -d "$2" -l "$BENCH_SECONDS" -c "$3" -q "$4" -t 2 2>&1 |
		awk '/Queries per second:/ {q = $4} /Average Latency/ {l = $4 * 1e6} /Queries lost:/ {lost = $3}
		     END {printf "%.0f %.0f %s\n", q, l, lost}'
}
# round_trips: "ours theirs", the median round trip (us) of one A query for c1 from the container's namespace.
round_trips() {
	nsenter -t "$client" -n python3 - $OURS $THEIRS "$BENCH_LOOKUPS" <<'PY'
import socket, statistics, struct, sys, time
query = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\x02c1\x00\x00\x01\x00\x01"
medians = []
for server in sys.argv[1:3]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    times = []
    for _ in range(int(sys.argv[3])):
        start = time.perf_counter()
        s.sendto(query, (server, 53))
        s.recv(512)
        times.append(time.perf_counter() - start)
    medians.append("%.0f" % (statistics.median(times) * 1e6))
print(" ".join(medians))
PY
}
log "svc from ours: $(cv exec c1 nslookup -type=a svc $OURS 2>&1 | grep -c "^Address: $SUBNET") addresses; from dnsmasq: $(cv exec c1 nslookup -type=a svc $THEIRS 2>&1 | grep -c "^Address: $SUBNET")"

: >"$WORK/qps.ours"
: >"$WORK/qps.theirs"
: >"$WORK/lat.ours"
: >"$WORK/lat.theirs"
for round in $(seq "$BENCH_ROUNDS"); do
	log "round $round/$BENCH_ROUNDS"
	read -r q l lost < <(perf $OURS "$WORK/queries" "$BENCH_CLIENTS" 100)
	echo "$q" >>"$WORK/qps.ours"
	log "  ours:    $q q/s (lost $lost)"
	read -r q l lost < <(perf $THEIRS "$WORK/queries" "$BENCH_CLIENTS" 100)
	echo "$q" >>"$WORK/qps.theirs"
	log "  dnsmasq: $q q/s (lost $lost)"
	read -r ours theirs < <(round_trips)
	echo "$ours" >>"$WORK/lat.ours"
	echo "$theirs" >>"$WORK/lat.theirs"
	log "  one lookup: ours ${ours} us, dnsmasq ${theirs} us (medians of $BENCH_LOOKUPS)"
done

# 3. A forwarded name, from the cache: a container with --dns pointing at an outside resolver.
ip netns add "$OUTSIDE"
ip link add cvbdns$$ type veth peer name eth0 netns "$OUTSIDE"
ip addr add 10.238.0.1/24 dev cvbdns$$
ip link set cvbdns$$ up
ip -n "$OUTSIDE" addr add 10.238.0.2/24 dev eth0
ip -n "$OUTSIDE" link set eth0 up
ip netns exec "$OUTSIDE" "$DNSMASQ" --keep-in-foreground --user=root --no-resolv --no-hosts --bind-interfaces \
	--listen-address=10.238.0.2 --host-record=outside.test,198.51.100.7,3600 --pid-file= --log-queries \
	--log-facility="$WORK/upstream.log" &
PIDS+=($!)
sleep 1
cv rm -f c0 >/dev/null
cv run -d --network bench --name c0 --dns 10.238.0.2 busybox sleep 3600 >/dev/null
client=$(cv inspect c0 | jq -r '.[0].State.Pid')
printf 'outside.test A\n' >"$WORK/forwarded"
: >"$WORK/qps.cached"
for round in $(seq "$BENCH_ROUNDS"); do
	read -r q l lost < <(perf $OURS "$WORK/forwarded" "$BENCH_CLIENTS" 100)
	echo "$q" >>"$WORK/qps.cached"
done
asked=$(grep -c 'query\[A\] outside.test' "$WORK/upstream.log" || true)
log "outside.test through the cache: $(cv exec c0 nslookup -type=a outside.test 2>&1 | grep -c '^Address: 198.51.100.7') answer(s)"

printf '\n| %s | %s | %s |\n| --- | --- | --- |\n' "DNS, $BENCH_N containers (medians of $BENCH_ROUNDS)" "containerv" "dnsmasq"
printf '| local names, queries/s (%s sockets, 100 in flight) | %s | %s |\n' "$BENCH_CLIENTS" \
	"$(median <"$WORK/qps.ours")" "$(median <"$WORK/qps.theirs")"
printf '| one lookup from inside a container, median round trip (us) | %s | %s |\n' \
	"$(median <"$WORK/lat.ours")" "$(median <"$WORK/lat.theirs")"
printf '| forwarded name from the cache, queries/s | %s | - |\n' "$(median <"$WORK/qps.cached")"
printf '\nthe upstream was asked %s time(s) for the forwarded name over %s runs\n' "$asked" "$BENCH_ROUNDS"
