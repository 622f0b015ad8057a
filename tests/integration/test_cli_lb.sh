#!/usr/bin/env bash
# `containerv lb`: the load balancer in front of three busybox httpd containers on a user network,
# each answering its name, checked on real connections: round robin within +-1, weights within 5%
# over 3000 connections, ip_hash stable per client address (127.0.0.x sources) and moving only the
# clients of a backend that goes, least_conn sending new connections to the backend whose held ones closed,
# random within a chi-square bound; a backend killed under load costs no failed connection and gets
# traffic again once restarted; UDP flows relayed; bad input is one line and exit 125. Nothing left
# behind (balancer processes, containers, network).
#
# Needs root and python3 (tests/integration/lb-client.py). Environment: CONTAINERV, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/network-lib.sh"
ip link set lo up 2>/dev/null || true
CLIENT="python3 $(dirname "$0")/lb-client.py"

B=$(pick_base)
P=$(pick_port_prefix)
LB_PIDS=()     # running now
ALL_LB_PIDS=() # every one started, for the leftover check
stop_balancers() {
	local pid
	for pid in "${LB_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	LB_PIDS=()
}
trap 'stop_balancers; cleanup' EXIT

cv 0 network create --subnet $B.1.0/24 lbnet
remember_network lbnet
for i in 1 2 3; do
	cv 0 run -d --name web$i --network lbnet --ip $B.1.1$i --rootfs "$CV_TEST_ROOTFS" \
		sh -c "mkdir -p /www && echo web$i >/www/index.html && exec httpd -f -p 80 -h /www"
	ids+=("$OUT")
done
answers() { [ "$(curl -s --max-time 2 http://$B.1.1$1/)" = web$1 ]; }
for i in 1 2 3; do wait_for "web$i to answer" answers $i; done

# balance NAME ARGS...: starts `containerv lb ARGS` in the background, output in $TEST_TMP/NAME.out,
# and waits until it listens.
balance() {
	local name=$1
	shift
	"$CONTAINERV" lb "$@" >"$TEST_TMP/$name.out" 2>&1 &
	LB_PIDS+=($!)
	ALL_LB_PIDS+=($!)
	wait_for "the $name balancer to listen" grep -q "^listening on" "$TEST_TMP/$name.out"
}
# count_of OUTPUT NAME: how many answers NAME got in a `lb-client.py count` output.
count_of() { awk -v n="$2" '$1 == n {print $2; found = 1} END {if (!found) print 0}' <<<"$1"; }

# ---- round robin: each backend in turn, within +-1 ----
balance rr --listen 127.0.0.1:${P}01 --probe-interval 200 web1:80 web2:80 web3:80
grep -q "listening on 127.0.0.1:${P}01 (tcp, round_robin, 3 backends)" "$TEST_TMP/rr.out" || fail "rr: $(cat "$TEST_TMP/rr.out")"
out=$($CLIENT count 127.0.0.1 ${P}01 301)
[ "$(count_of "$out" failed)" = 0 ] || fail "round robin: failed connections: $out"
for i in 1 2 3; do
	n=$(count_of "$out" web$i)
	[ "$n" -ge 100 ] && [ "$n" -le 101 ] || fail "round robin: web$i got $n of 301: $out"
done
pass "round robin: 301 connections spread 100/100/101 (+-1)"

# ---- a backend killed under load: no failed connection; back in rotation once restarted ----
$CLIENT load 127.0.0.1 ${P}01 7 >"$TEST_TMP/load.out" &
load=$!
sleep 1.5
kill_sent_at=$(date +%s.%N) # the kill lands during the command: a request may fail before it returns
cv 0 kill web2
killed_at=$(date +%s.%N)
sleep 2.5
restarting_at=$(date +%s.%N)
cv 0 start web2
wait_for "web2 to answer again" answers 2
wait $load
# The issue's bar: no failure after the first health interval (0.2 s here, 0.3 s of slack). A request in
# flight on web2 when it is killed has sent its bytes and cannot be moved: that one may fail.
failed=$(awk -v s="$kill_sent_at" -v k="$killed_at" '$NF == "failed" && ($1 < s || $1 > k + 0.5)' "$TEST_TMP/load.out" | wc -l)
[ "$failed" = 0 ] || fail "a killed backend failed $failed connections after the first probe interval (killed at $killed_at, restarted at $restarting_at): $(grep failed "$TEST_TMP/load.out" | head -3)"
in_flight=$(grep -c ' failed$' "$TEST_TMP/load.out" || true)
[ "$in_flight" -le 1 ] || fail "$in_flight requests failed at the kill: $(grep failed "$TEST_TMP/load.out" | head -3)"
grep -q "^backend web2:80 ($B.1.12:80) down$" "$TEST_TMP/rr.out" || fail "no 'down' line for web2: $(cat "$TEST_TMP/rr.out")"
grep -q "^backend web2:80 ($B.1.12:80) up$" "$TEST_TMP/rr.out" || fail "no 'up' line for web2: $(cat "$TEST_TMP/rr.out")"
after=$(awk -v t="$restarting_at" '$1 > t && $2 == "web2"' "$TEST_TMP/load.out" | wc -l)
[ "$after" -gt 0 ] || fail "web2 got no traffic after its restart: $(tail -5 "$TEST_TMP/load.out")"
during=$(awk -v k="$killed_at" -v t="$restarting_at" '$1 > k && $1 < t && $2 == "web2"' "$TEST_TMP/load.out" | wc -l)
[ "$during" = 0 ] || fail "web2 answered $during times while it was dead"
total=$(wc -l <"$TEST_TMP/load.out")
pass "kill under load: $total requests, none failed after the first probe interval ($in_flight in flight at the kill); web2 down, up again, served $after after its restart"

# The counters at SIGTERM: every connection counted, web2's refusals as errors.
stop_balancers
grep -q "^backend web1:80 ($B.1.11:80) connections=[1-9][0-9]* bytes_in=[1-9][0-9]* bytes_out=[1-9][0-9]* errors=0 connect_p50_us=[0-9]* connect_p99_us=[0-9]* first_byte_p50_us=[1-9][0-9]* first_byte_p99_us=[1-9][0-9]*$" \
	"$TEST_TMP/rr.out" || fail "web1's counters: $(cat "$TEST_TMP/rr.out")"
grep -q "^backend web2:80 ($B.1.12:80) connections=[1-9][0-9]* .* errors=[1-9]" "$TEST_TMP/rr.out" ||
	fail "web2's counters show no error: $(cat "$TEST_TMP/rr.out")"
pass "counters: connections, bytes both ways, errors"

# ---- weighted: 1:2:3 over 3000 connections, each share within 5% ----
balance weighted --listen 127.0.0.1:${P}02 --algorithm weighted web1:80=1 web2:80=2 web3:80=3
out=$(LB_CLIENT_PARALLEL=8 $CLIENT count 127.0.0.1 ${P}02 3000)
for i in 1 2 3; do
	n=$(count_of "$out" web$i)
	expected=$((500 * i))
	[ $((n - expected)) -le $((expected / 20)) ] && [ $((expected - n)) -le $((expected / 20)) ] ||
		fail "weighted: web$i got $n of 3000, expected $expected +-5%: $out"
done
pass "weighted 1:2:3: $(tr '\n' ' ' <<<"$out")of 3000"

# ---- least_conn: six connections held open (2/2/2); the two of one backend close; new ones go there ----
balance least --listen 127.0.0.1:${P}03 --algorithm least_conn web1:80 web2:80 web3:80
out=$($CLIENT leastconn 127.0.0.1 ${P}03)
[ "$(sed -n 1p <<<"$out")" = "held web1 web1 web2 web2 web3 web3" ] || fail "least_conn: held: $out"
freed=$(sed -n 's/^freed //p' <<<"$out")
[ "$(sed -n 3p <<<"$out")" = "new $freed $freed" ] || fail "least_conn: the new connections did not go to $freed: $out"
pass "least_conn: 2/2/2 held open, $freed's two closed, both new connections went to $freed"

# ---- ip_hash: a client address always meets the same backend; when one goes, only its clients move ----
balance hash --listen 127.0.0.1:${P}04 --algorithm ip_hash --probe-interval 200 web1:80 web2:80 web3:80
sources=$(for s in $(seq 2 25); do printf '127.0.0.%d ' $s; done)
before=$($CLIENT bysource 127.0.0.1 ${P}04 $sources)
! grep -q failed <<<"$before" || fail "ip_hash: failed: $before"
[ "$(sort -u <<<"$before" | wc -l)" = 24 ] || fail "ip_hash: a source met several backends: $(sort -u <<<"$before")"
[ "$(awk '{print $2}' <<<"$before" | sort -u | wc -l)" = 3 ] || fail "ip_hash: 24 sources did not reach all 3: $before"
moved_owner=$(awk '{print $2}' <<<"$before" | sort | uniq -c | sort -n | tail -1 | awk '{print $2}')
cv 0 stop -t 1 "$moved_owner"
wait_for "ip_hash: $moved_owner down" grep -q "^backend $moved_owner:80 .* down$" "$TEST_TMP/hash.out"
after=$($CLIENT bysource 127.0.0.1 ${P}04 $sources)
! grep -q failed <<<"$after" || fail "ip_hash after $moved_owner went: failed: $after"
stayed=$(paste -d' ' <(sort -u <<<"$before") <(sort -u <<<"$after") |
	awk -v gone="$moved_owner" '$2 != gone && $2 != $4 {print}')
[ -z "$stayed" ] || fail "ip_hash: clients of other backends moved when $moved_owner went: $stayed"
cv 0 start "$moved_owner"
pass "ip_hash: 24 sources stable over 5 connections each; only $moved_owner's clients moved when it went"

# ---- random: a chi-square test over 600 connections (2 degrees of freedom, p = 0.001: 13.82) ----
balance random --listen 127.0.0.1:${P}05 --algorithm random web1:80 web2:80 web3:80
wait_for "the restarted backend to answer" answers "${moved_owner#web}"
out=$(LB_CLIENT_PARALLEL=8 $CLIENT count 127.0.0.1 ${P}05 600)
[ "$(count_of "$out" failed)" = 0 ] || fail "random: failed: $out"
chi=$(awk '{d = $2 - 200; c += d * d / 200} END {printf "%.2f", c}' <<<"$out")
awk -v c="$chi" 'BEGIN {exit !(c < 13.82)}' || fail "random: chi-square $chi >= 13.82: $out"
[ "$(wc -l <<<"$out")" = 3 ] || fail "random: not all backends chosen: $out"
pass "random: 600 connections, chi-square $chi < 13.82"
stop_balancers

# ---- UDP: per-client flows relayed to UDP responders, each answering its name ----
udp_pids=()
for i in 1 2 3; do
	python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', ${P}1$i))
print('ready', flush=True)
while True:
    data, peer = s.recvfrom(65536)
    s.sendto(b'udp$i\n', peer)" >"$TEST_TMP/udp$i.ready" &
	udp_pids+=($!)
done
for i in 1 2 3; do wait_for "UDP responder $i" grep -q ready "$TEST_TMP/udp$i.ready"; done
balance udp --listen 127.0.0.1:${P}06 --udp 127.0.0.1:${P}11 127.0.0.1:${P}12 127.0.0.1:${P}13
out=$($CLIENT udp 127.0.0.1 ${P}06 30)
kill "${udp_pids[@]}"
wait "${udp_pids[@]}" 2>/dev/null || true
# Round robin within one (the issue's bound): under load a backend may miss a probe and lose one turn.
awk '$1 ~ /^udp[123]$/ && $2 >= 9 && $2 <= 11 {n++; t += $2} END {exit !(n == 3 && t == 30)}' <<<"$out" ||
	fail "udp: 30 flows spread as: $out"
stop_balancers
# Counters: each datagram of 5 bytes counted both ways, no error (10 +- 1 flows a backend, as above).
[ "$(grep -cE "connections=(9 bytes_in=45 bytes_out=45|10 bytes_in=50 bytes_out=50|11 bytes_in=55 bytes_out=55) errors=0" "$TEST_TMP/udp.out")" = 3 ] ||
	fail "udp counters: $(cat "$TEST_TMP/udp.out")"
pass "udp: 30 client flows, 10 +- 1 to each responder, answers relayed back"

# ---- bad input: one line, exit 125 ----
cv 125 lb --listen ${P}07 --algorithm fastest web1:80
one_error_line 'unknown load-balancing algorithm "fastest"'
cv 125 lb --listen ${P}07 web1:80=-1
one_error_line 'weight must be a whole number'
cv 125 lb --listen ${P}07 web1:80=0
one_error_line 'weight must be a whole number'
cv 125 lb --listen ${P}07
one_error_line 'no backend'
cv 125 lb web1:80
one_error_line '--listen'
cv 125 lb --listen 127.0.0.1:99999 web1:80
one_error_line 'invalid --listen'
cv 125 lb --listen ${P}07 web1
one_error_line 'HOST:PORT'
cv 125 lb --listen ${P}07 nosuch:80
one_error_line 'nosuch'
# A port someone holds: refused, not shared through SO_REUSEPORT.
python3 -c "
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(('127.0.0.1', ${P}08)); s.listen(); print('ok', flush=True); time.sleep(30)" >"$TEST_TMP/holder.out" &
holder=$!
wait_for "the port holder" grep -q ok "$TEST_TMP/holder.out"
cv 125 lb --listen 127.0.0.1:${P}08 web1:80
one_error_line 'Address already in use'
kill $holder
wait $holder 2>/dev/null || true
pass "bad input: unknown algorithm, weights -1 and 0, no backend, no --listen, bad port, no port, unknown container, a held port"

# ---- nothing left behind ----
for pid in "${ALL_LB_PIDS[@]}"; do
	! kill -0 "$pid" 2>/dev/null || fail "balancer process $pid left"
done
! ss -Htln | grep -q "127.0.0.1:${P}0" || fail "listeners left: $(ss -Htln | grep "127.0.0.1:${P}0")"
cv 0 rm -f web1 web2 web3
cv 0 network rm lbnet
assert_clean "lb"
assert_no_network_left "lb"
pass "nothing left behind"
