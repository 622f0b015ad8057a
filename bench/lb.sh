#!/usr/bin/env bash
# bench/lb.sh - the load balancer against haproxy, side by side.
#
# Three busybox httpd containers on a user network; in front of them
# `containerv lb` and haproxy 2.6 (mode tcp: both are layer-4 proxies) with the
# same backends, algorithm (round robin, least connections) and number of
# threads, both on 127.0.0.1. wrk drives each in turn (BENCH_ROUNDS
# interleaved rounds of BENCH_SECONDS, BENCH_CONNECTIONS open connections):
# requests/s, p50 and p99 latency, and the proxy's CPU time (user + system,
# from /proc) per 10k requests; medians, and containerv's ratios to haproxy.
# busybox httpd closes every connection after its answer, so each request is
# a new connection through the proxy: this measures the per-connection path
# (accept, pick, connect, relay, close), not only the byte relay.
#
# Usage (as root, from the repo root, after a build): bash bench/lb.sh
# Environment: BENCH_SECONDS=5 BENCH_ROUNDS=3 BENCH_THREADS=2 BENCH_CONNECTIONS=32
#   CONTAINERV=build/tools/containerv/containerv CV_ROOTFS=build/rootfs/busybox
# Needs wrk and haproxy (Debian: apt-get install wrk haproxy). Everything runs in a network
# namespace of its own (the script re-runs itself under unshare --net); every load is bounded.
set -euo pipefail

BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-32}
CONTAINERV=$(readlink -f "${CONTAINERV:-build/tools/containerv/containerv}")
CV_ROOTFS=$(readlink -f "${CV_ROOTFS:-build/rootfs/busybox}")

log() { printf '[lb.sh] %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}
[ "$(id -u)" = 0 ] || die "must run as root"
for tool in wrk haproxy unshare ip; do
	command -v "$tool" >/dev/null || die "missing tool: $tool (apt-get install wrk haproxy)"
done
[ -x "$CONTAINERV" ] || die "no containerv at $CONTAINERV (build first)"
if [ -z "${BENCH_LB_IN_NETNS:-}" ]; then
	exec env BENCH_LB_IN_NETNS=1 CONTAINERV="$CONTAINERV" CV_ROOTFS="$CV_ROOTFS" unshare --net bash "$0" "$@"
fi
ip link set lo up

WORK=$(mktemp -d /tmp/cvbench-lb.XXXXXX)
export CONTAINERV_ROOT=$WORK/root
PIDS=()
cv() { "$CONTAINERV" "$@"; }
finish() {
	local pid left
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	left=$(cv ps -aq 2>/dev/null || true)
	[ -z "$left" ] || cv rm -f $left >/dev/null 2>&1 || true
	cv network rm benchlb >/dev/null 2>&1 || true
	rm -rf "$WORK"
	rmdir /sys/fs/cgroup/*/containerv /sys/fs/cgroup/containerv 2>/dev/null || true
}
trap finish EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# cpu_ticks PID: user + system time of a process (all its threads), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# to_ms VALUE: wrk's latency ("812.00us", "1.20ms", "2.01s") in milliseconds.
to_ms() { awk -v v="$1" 'BEGIN {n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/ && v !~ /ms$/) n *= 1000; print n}'; }

cv network create --subnet 10.237.1.0/24 benchlb >/dev/null
for i in 1 2 3; do
	cv run -d --name web$i --network benchlb --ip 10.237.1.1$i --rootfs "$CV_ROOTFS" \
		sh -c "mkdir -p /www && echo web$i >/www/index.html && exec httpd -f -p 80 -h /www" >/dev/null
done
for i in 1 2 3; do
	for _ in $(seq 50); do wrk -t1 -c1 -d1s http://10.237.1.1$i/ >/dev/null 2>&1 && break; sleep 0.1; done
done

# start_proxies ALGORITHM HAPROXY_BALANCE: containerv lb on :18080, haproxy on :18081.
start_proxies() {
	"$CONTAINERV" lb --listen 127.0.0.1:18080 --threads "$BENCH_THREADS" --algorithm "$1" \
		10.237.1.11:80 10.237.1.12:80 10.237.1.13:80 >"$WORK/lb.out" 2>&1 &
	LB_PID=$!
	PIDS+=("$LB_PID")
	cat >"$WORK/haproxy.cfg" <<-EOF
		global
		    nbthread $BENCH_THREADS
		    maxconn 4096
		defaults
		    mode tcp
		    timeout connect 1s
		    timeout client 30s
		    timeout server 30s
		frontend in
		    bind 127.0.0.1:18081
		    default_backend web
		backend web
		    balance $2
		    server web1 10.237.1.11:80 check inter 1s
		    server web2 10.237.1.12:80 check inter 1s
		    server web3 10.237.1.13:80 check inter 1s
	EOF
	haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.out" 2>&1 &
	HAPROXY_PID=$!
	PIDS+=("$HAPROXY_PID")
	sleep 1
	kill -0 "$LB_PID" 2>/dev/null || die "containerv lb did not start: $(cat "$WORK/lb.out")"
	kill -0 "$HAPROXY_PID" 2>/dev/null || die "haproxy did not start: $(cat "$WORK/haproxy.out")"
}

stop_proxies() {
	kill -TERM "$LB_PID" "$HAPROXY_PID" 2>/dev/null || true
	wait "$LB_PID" "$HAPROXY_PID" 2>/dev/null || true
	PIDS=()
}

# measure NAME PID PORT: one wrk run; appends "rps p50_ms p99_ms cpu_ms_per_10k" to $WORK/NAME.
measure() {
	local name=$1 pid=$2 port=$3 before after output rps p50 p99 requests
	kill -0 "$pid" 2>/dev/null || die "$name is gone: $(cat "$WORK/lb.out" "$WORK/haproxy.out")"
	before=$(cpu_ticks "$pid")
	output=$(wrk -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d "${BENCH_SECONDS}s" --latency "http://127.0.0.1:$port/")
	kill -0 "$pid" 2>/dev/null || die "$name died: $(cat "$WORK/lb.out" "$WORK/haproxy.out")"
	after=$(cpu_ticks "$pid")
	printf '%s\n' "$output" >>"$WORK/wrk.log"
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$output")
	requests=$(awk '/requests in/ {print $1}' <<<"$output")
	p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$output")")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$output")")
	if grep -q "Non-2xx\|Socket errors" <<<"$output"; then
		log "$name: $(grep "Non-2xx\|Socket errors" <<<"$output")"
	fi
	awk -v r="$rps" -v a="$p50" -v b="$p99" -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" \
		'BEGIN {printf "%s %s %s %.1f\n", r, a, b, (n > 0 ? t * 1000 / hz * 10000 / n : 0)}' >>"$WORK/$name"
}

column_median() { awk -v c="$2" '{print $c}' "$WORK/$1" | median; }

printf '\n%-12s %-12s %10s %9s %9s %14s\n' algorithm proxy "req/s" "p50 ms" "p99 ms" "CPU ms/10k req"
for pair in "round_robin roundrobin" "least_conn leastconn"; do
	read -r algorithm balance <<<"$pair"
	start_proxies "$algorithm" "$balance"
	rm -f "$WORK/containerv" "$WORK/haproxy"
	for round in $(seq "$BENCH_ROUNDS"); do
		log "$algorithm: round $round/$BENCH_ROUNDS"
		measure containerv "$LB_PID" 18080
		measure haproxy "$HAPROXY_PID" 18081
	done
	stop_proxies
	grep -q . "$WORK/containerv" || die "no figures; wrk said: $(cat "$WORK/wrk.log")"
	for proxy in containerv haproxy; do
		printf '%-12s %-12s %10.0f %9.3f %9.3f %14.1f\n' "$algorithm" "$proxy" "$(column_median $proxy 1)" \
			"$(column_median $proxy 2)" "$(column_median $proxy 3)" "$(column_median $proxy 4)"
	done
	awk -v r1="$(column_median containerv 1)" -v r2="$(column_median haproxy 1)" \
		-v q1="$(column_median containerv 3)" -v q2="$(column_median haproxy 3)" \
		-v c1="$(column_median containerv 4)" -v c2="$(column_median haproxy 4)" \
		'BEGIN {printf "%-12s %-12s %9.2fx %9s %8.2fx %13.2fx\n", "", "ratio", r1 / r2, "", q1 / q2, (c2 > 0 ? c1 / c2 : 0)}'
done

# ---- raw TCP: BENCH_STREAM_MIB through each proxy to a sink (one connection) ----
BENCH_STREAM_MIB=${BENCH_STREAM_MIB:-1024}
python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 19000)); s.listen(8); print('ready', flush=True)
while True:
    c, _ = s.accept()
    while c.recv(1 << 20):
        pass
    c.close()" >"$WORK/sink.out" &
PIDS+=($!)
SINK_PID=$!
for _ in $(seq 50); do grep -q ready "$WORK/sink.out" && break; sleep 0.1; done
"$CONTAINERV" lb --listen 127.0.0.1:18090 --threads "$BENCH_THREADS" 127.0.0.1:19000 >"$WORK/lb-stream.out" 2>&1 &
LB_PID=$!
PIDS+=("$LB_PID")
sed -e 's/18081/18091/' -e '/server web[23]/d' -e 's/10.237.1.11:80/127.0.0.1:19000/' "$WORK/haproxy.cfg" >"$WORK/haproxy-stream.cfg"
haproxy -db -f "$WORK/haproxy-stream.cfg" >"$WORK/haproxy-stream.out" 2>&1 &
HAPROXY_PID=$!
PIDS+=("$HAPROXY_PID")
sleep 1
# stream PORT PID: "MiB/s CPU-ms-per-GiB" for one connection carrying BENCH_STREAM_MIB.
stream() {
	local before after seconds
	before=$(cpu_ticks "$2")
	seconds=$(python3 -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $1)); block = bytes(1 << 20); start = time.monotonic()
for _ in range($BENCH_STREAM_MIB):
    s.sendall(block)
s.shutdown(socket.SHUT_WR); s.recv(1); print(time.monotonic() - start)")
	after=$(cpu_ticks "$2")
	awk -v m="$BENCH_STREAM_MIB" -v s="$seconds" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" \
		'BEGIN {printf "%.0f %.1f\n", m / s, t * 1000 / hz * 1024 / m}'
}
printf '\n%-12s %10s %16s\n' "stream" "MiB/s" "CPU ms/GiB"
for round in $(seq "$BENCH_ROUNDS"); do
	stream 18090 "$LB_PID" >>"$WORK/stream-containerv"
	stream 18091 "$HAPROXY_PID" >>"$WORK/stream-haproxy"
done
for proxy in containerv haproxy; do
	printf '%-12s %10.0f %16.1f\n' "$proxy" "$(column_median stream-$proxy 1)" "$(column_median stream-$proxy 2)"
done
awk -v a="$(column_median stream-containerv 1)" -v b="$(column_median stream-haproxy 1)" \
	-v c="$(column_median stream-containerv 2)" -v d="$(column_median stream-haproxy 2)" \
	'BEGIN {printf "%-12s %9.2fx %15.2fx\n", "ratio", a / b, (d > 0 ? c / d : 0)}'
echo "(ratio: containerv / haproxy; throughput higher is better, p99 and CPU lower are better)"
