#!/usr/bin/env bash
# Service discovery on user networks: the embedded DNS server of a network
# answers its containers' names and aliases (--network-alias, network connect
# --alias, --link), several containers sharing an alias in turns; a removed
# container stops resolving; other names go to the container's --dns servers
# (a dnsmasq this test starts in a namespace playing the outside) with a
# cache that keeps an answer for its TTL and no longer; hostile packets do
# not stop it; it is reached only from its own network; killed, the next run
# starts it again; it ends with the last container and with network rm,
# leaving no process or socket. The default bridge keeps the host's
# resolvers and refuses aliases.
#
# Needs root, jq, ip, nsenter, python3, dnsmasq. Environment: CONTAINERV, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/network-lib.sh"
for tool in jq ip nsenter python3 ss; do
	command -v $tool >/dev/null || fail "$tool is needed"
done
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || fail "dnsmasq is needed (Debian: dnsmasq-base)"
PYTHON=$(command -v /usr/bin/python3 || command -v python3)

OUTSIDE=cvt-dnso-$$ # the namespace that plays the outside, with the upstream resolver
UPLINK=cvt-dnsu$$
UPSTREAM_PID=
dns_cleanup() {
	[ -z "$UPSTREAM_PID" ] || kill "$UPSTREAM_PID" 2>/dev/null || true
	ip netns del "$OUTSIDE" 2>/dev/null || true
	ip link del "$UPLINK" 2>/dev/null || true
	cleanup
}
trap dns_cleanup EXIT

B=$(pick_base)
pid_of() { "$CONTAINERV" inspect "$1" | jq -r '.[0].State.Pid'; }
ip_on() { "$CONTAINERV" inspect "$1" | jq -r ".[0].NetworkSettings.Networks[\"$2\"].IPAddress"; }
server_pid() { jq -r .pid "$CONTAINERV_ROOT/networks/$1/dns.json" 2>/dev/null || true; }
# lookup NAME [RUN OPTIONS...]: nslookup from a new container on web; the answer's addresses in $ADDRS.
lookup() {
	local name=$1
	shift
	set +e
	OUT=$(timeout 60 "$CONTAINERV" run --rm --network web "$@" busybox nslookup -type=a "$name" 2>&1)
	CODE=$?
	set -e
	ADDRS=$(awk -v n="${name%.}" '$1 == "Name:" && $2 == n { getline; print $2 }' <<<"$OUT" | tr '\n' ' ')
}
# The sockets on port 53 (ss prints a socket bound to a device as ADDRESS%DEVICE:53).
sockets_53() { ss -lntuH "( sport = :53 )"; }
socket_on_53() { sockets_53 | grep -E " ${1//./\\.}(%[^ ]*)?:53 "; }

cv 0 network create --subnet $B.1.0/24 web
remember_network web
cv 0 network create --subnet $B.2.0/24 other
remember_network other
GW=$B.1.1

# ---- names and aliases ----
cv 0 run -d --network web --name db --network-alias database busybox sleep 300
cv 0 run -d --network web --name db2 --network-alias database busybox sleep 300
DB=$(ip_on db web)
DB2=$(ip_on db2 web)
pid=$(server_pid web)
[ -n "$pid" ] && kill -0 "$pid" || fail "no DNS server recorded for web"
[ "$(cat /proc/$pid/comm)" = containerv-dns ] || fail "the recorded DNS server is $(cat /proc/$pid/comm)"
# It parses hostile packets: no capability at all, none to regain.
for field in CapEff CapPrm CapBnd; do
	grep -qE "^$field:[[:space:]]+0+$" /proc/$pid/status || fail "the DNS server keeps capabilities: $(grep Cap /proc/$pid/status)"
done
grep -qE "^NoNewPrivs:[[:space:]]+1$" /proc/$pid/status || fail "the DNS server may gain privileges"
socket_on_53 "$GW" >/dev/null || fail "nothing listens on $GW:53: $(ss -lnH)"
# Bound to the bridge: no socket on any other address (nor the wildcard).
[ "$(sockets_53 | wc -l)" = 2 ] || fail "port 53 open elsewhere: $(sockets_53)"
[ "$(sockets_53 | grep -c "%$(jq -r '.[0].Options["com.docker.network.bridge.name"]' <<<"$("$CONTAINERV" network inspect web)"):53 ")" = 2 ] ||
	fail "the DNS sockets are not bound to web's bridge: $(sockets_53)"
cv 0 run --rm --network web busybox cat /etc/resolv.conf
grep -q "^nameserver $GW\$" <<<"$OUT" || fail "resolv.conf does not name the network's server: $OUT"
[ "$(grep -c '^nameserver' <<<"$OUT")" = 1 ] || fail "resolv.conf names other servers: $OUT"
lookup db
[ "$ADDRS" = "$DB " ] || fail "db: '$ADDRS', expected $DB ($OUT)"
lookup DB.
[ "$ADDRS" = "$DB " ] || fail "DB.: '$ADDRS', expected $DB (names are case-insensitive) ($OUT)"
pass "a container name resolves from another container (case-insensitive)"

cv 0 run --rm --network web --cap-add NET_RAW busybox ping -c1 -W5 db2
grep -q "PING db2 ($DB2)" <<<"$OUT" || fail "ping db2: $OUT"
grep -q "1 packets received" <<<"$OUT" || fail "ping db2 got no answer: $OUT"
pass "ping by name"

lookup database
first=$ADDRS
[[ " $first" == *" $DB "* && " $first" == *" $DB2 "* ]] || fail "database: '$first', expected $DB and $DB2"
lookup database
[ "$ADDRS" != "$first" ] || fail "database: the same order twice ($first): no rotation"
[[ " $ADDRS" == *" $DB "* && " $ADDRS" == *" $DB2 "* ]] || fail "database, again: '$ADDRS'"
pass "two containers sharing an alias: both addresses, in turns"

lookup shortcut --link db:shortcut
[ "$ADDRS" = "$DB " ] || fail "--link db:shortcut: '$ADDRS', expected $DB ($OUT)"
lookup shortcut
[ -z "$ADDRS" ] || fail "a --link alias resolved for a container without the link: $ADDRS"
pass "--link NAME:ALIAS resolves for the linking container only"

cv 0 run -d --network other --name late busybox sleep 300
cv 0 network connect --alias latecomer web late
LATE=$(ip_on late web)
lookup latecomer
[ "$ADDRS" = "$LATE " ] || fail "network connect --alias: '$ADDRS', expected $LATE ($OUT)"
lookup late
[ "$ADDRS" = "$LATE " ] || fail "a connected container's name: '$ADDRS', expected $LATE ($OUT)"
# From the other network, web's server is not reachable (bound to web's bridge).
set +e
OUT=$(timeout 30 "$CONTAINERV" run --rm --network other busybox timeout 4 nslookup -type=a db $GW 2>&1)
set -e
! grep -q "$DB" <<<"$OUT" || fail "a container of another network queried web's server: $OUT"
pass "network connect --alias; the server answers only its own network"

# ---- the default bridge: host resolvers, no aliases ----
cv 0 run --rm busybox cat /etc/resolv.conf
! grep -q "nameserver $GW" <<<"$OUT" || fail "the default bridge names web's server: $OUT"
cv 125 run --rm --network-alias x busybox true
one_error_line "user-defined networks"
cv 125 run --rm --network web --network-alias 'bad name' busybox true
one_error_line "network-alias"
pass "the default bridge keeps the host's resolvers and refuses aliases; bad aliases refused"

# ---- hostile packets: answered or dropped, the server keeps serving ----
cv 0 run -d --network web --name prober busybox sleep 300
nsenter -t "$(pid_of prober)" -n "$PYTHON" - "$GW" <<'EOF' || fail "hostile packets: the probe failed"
import socket, struct, sys
gw = sys.argv[1]
header = lambda qd, an=0: struct.pack(">HHHHHH", 0x1234, 0x0100, qd, an, 0, 0)
packets = [
    b"", b"\x12", header(1)[:11],                        # shorter than a header
    header(1),                                          # a question announced, none there
    header(0xffff, 0xffff) + b"\x00\x00\x01\x00\x01",   # huge counts
    header(1) + b"\xc0\x0c\x00\x01\x00\x01",            # a compression pointer to itself
    header(1) + b"\x02ab\xc0\x0c\x00\x01\x00\x01",      # a pointer loop through a label
    header(1) + b"\x3fab",                              # a label running past the end
    header(1) + b"\x01a" * 200 + b"\x00\x00\x01\x00\x01", # a name longer than 255
    struct.pack(">HHHHHH", 1, 0x8180, 1, 0, 0, 0) + b"\x02db\x00\x00\x01\x00\x01",  # an answer, not a query
    struct.pack(">HHHHHH", 2, 0x2800, 1, 0, 0, 0) + b"\x02db\x00\x00\x01\x00\x01",  # opcode UPDATE
    header(2) + b"\x02db\x00\x00\x01\x00\x01" * 2,      # two questions
    b"\xff" * 4096,
]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for p in packets:
    s.sendto(p, (gw, 53))
    try:
        answer = s.recv(65535)
        assert len(answer) >= 12, "short answer"
        assert answer[2] & 0x80, "an answer that is not a response"
    except socket.timeout:
        pass
# TCP: a length with nothing behind it, then a good query on a new connection.
t = socket.create_connection((gw, 53), timeout=2)
t.sendall(b"\xff\xff\x00")
t.close()
t = socket.create_connection((gw, 53), timeout=2)
q = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\x02db\x00\x00\x01\x00\x01"
t.sendall(struct.pack(">H", len(q)) + q)
n = struct.unpack(">H", t.recv(2))[0]
a = b""
while len(a) < n:
    a += t.recv(n - len(a))
assert a[:2] == b"\x00\x07" and struct.unpack(">H", a[6:8])[0] == 1, "TCP answer: %r" % a
print("probe ok")
EOF
kill -0 "$(server_pid web)" || fail "the DNS server died of hostile packets"
lookup db
[ "$ADDRS" = "$DB " ] || fail "after hostile packets, db: '$ADDRS'"
pass "hostile packets (truncated, pointer loops, huge counts, answers, TCP) leave the server serving; TCP answers"

# ---- forwarding to the container's --dns servers, with a TTL-respecting cache ----
ip netns add "$OUTSIDE"
ip link add "$UPLINK" type veth peer name eth0 netns "$OUTSIDE"
ip addr add $B.90.1/24 dev "$UPLINK"
ip link set "$UPLINK" up
ip -n "$OUTSIDE" addr add $B.90.2/24 dev eth0
ip -n "$OUTSIDE" link set eth0 up
ip -n "$OUTSIDE" link set lo up
ip netns exec "$OUTSIDE" "$DNSMASQ" --keep-in-foreground --user=root --no-resolv --no-hosts --bind-interfaces \
	--listen-address=$B.90.2 --host-record=outside.test,198.51.100.7,2 --host-record=burst.test,198.51.100.8,60 --log-queries \
	--log-facility="$TEST_TMP/upstream.log" --pid-file= &
UPSTREAM_PID=$!
wait_for "the upstream resolver" grep -q "started" "$TEST_TMP/upstream.log"
upstream_asked() { grep -c "query\[A\] outside.test" "$TEST_TMP/upstream.log" || true; }
lookup outside.test --dns $B.90.2
[ "$ADDRS" = "198.51.100.7 " ] || fail "outside.test through the upstream: '$ADDRS' ($OUT)"
[ "$(upstream_asked)" = 1 ] || fail "the upstream was asked $(upstream_asked) times"
lookup outside.test --dns $B.90.2
[ "$ADDRS" = "198.51.100.7 " ] || fail "outside.test, cached: '$ADDRS' ($OUT)"
[ "$(upstream_asked)" = 1 ] || fail "a cached answer was asked upstream again ($(upstream_asked) times)"
sleep 2.5
lookup outside.test --dns $B.90.2
[ "$ADDRS" = "198.51.100.7 " ] || fail "outside.test after its TTL: '$ADDRS' ($OUT)"
[ "$(upstream_asked)" = 2 ] || fail "past its 2 s TTL the answer was not asked again ($(upstream_asked) times)"
pass "other names are forwarded to the container's --dns server; cached for their TTL, not longer"

# Twelve clients asking one question at once: it goes upstream once, every one gets the answer.
cv 0 run -d --network web --name burster --dns $B.90.2 busybox sleep 300
nsenter -t "$(pid_of burster)" -n "$PYTHON" - "$GW" <<'EOF' || fail "burst: not every client was answered"
import socket, struct, sys
question = b"\x05burst\x04test\x00\x00\x01\x00\x01"
sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(12)]
for i, s in enumerate(sockets):
    s.sendto(struct.pack(">HHHHHH", 100 + i, 0x0100, 1, 0, 0, 0) + question, (sys.argv[1], 53))
for i, s in enumerate(sockets):
    s.settimeout(5)
    answer = s.recv(512)
    assert struct.unpack(">H", answer[:2])[0] == 100 + i and bytes([198, 51, 100, 8]) in answer, answer
EOF
asked=$(grep -c "query\[A\] burst.test" "$TEST_TMP/upstream.log" || true)
[ "$asked" = 1 ] || fail "one question in flight twelve times was asked upstream $asked times"
pass "identical questions in flight go upstream once, each asker answered with its own id"

# ---- a removed container stops resolving ----
cv 0 rm -f db
lookup db
[ -z "$ADDRS" ] || fail "removed db still resolves: $ADDRS"
lookup database
[ "$ADDRS" = "$DB2 " ] || fail "database after db's removal: '$ADDRS', expected $DB2"
pass "a removed container stops resolving, its shared alias keeps the others"

# ---- killed, the next run starts it again ----
old=$(server_pid web)
kill -KILL "$old"
wait_for "the killed server to end" sh -c "! kill -0 $old"
lookup db2
[ "$ADDRS" = "$DB2 " ] || fail "after the server was killed, db2: '$ADDRS' ($OUT)"
new=$(server_pid web)
[ -n "$new" ] && [ "$new" != "$old" ] && kill -0 "$new" || fail "no new DNS server after a SIGKILL ($old -> $new)"
pass "a killed server is started again by the next run"

# ---- the last container leaves: the server ends; network rm ----
cv 0 rm -f db2 prober burster
cv 0 network disconnect web late
wait_for "web's DNS server to end" sh -c "! kill -0 $new"
! socket_on_53 "$GW" >/dev/null || fail "a socket on $GW:53 is left"
[ ! -e "$CONTAINERV_ROOT/networks/web/dns.json" ] || fail "dns.json left after the last container"
cv 0 run -d --network web --name again busybox sleep 300
again=$(server_pid web)
kill -0 "$again" || fail "no server for the next container"
cv 0 rm -f again late
cv 0 network rm web other
! kill -0 "$again" 2>/dev/null || fail "the DNS server outlived network rm"
! socket_on_53 "$GW" >/dev/null || fail "a socket on $GW:53 is left after network rm"
assert_no_network_left "after network rm"
assert_clean "dns"
[ -z "$(ps -eo pid,comm | awk '$2 == "containerv-dns" {print $1}' | while read -r p; do
	grep -l "$CONTAINERV_ROOT" /proc/$p/environ 2>/dev/null || true
done)" ] || fail "a DNS server of this root is left"
pass "the server ends with the last container and with network rm: no process, no socket"
