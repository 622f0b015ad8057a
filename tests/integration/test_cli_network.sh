#!/usr/bin/env bash
# Container networking through the CLI, on real bridges, veths and network
# namespaces: network create/ls/inspect/rm/prune and their refusals, two
# containers on one network talking TCP and UDP, isolation from another
# network, published ports reached from the host (127.0.0.1 and the
# container's address), outbound NAT to a namespace playing the outside
# host, connect/disconnect, /etc/hosts and resolv.conf, --network none/host,
# network stats, and the cleanup after rm, after a failed start and after a
# SIGKILL'ed CLI. All traffic stays on this machine: loopback, and
# addresses on bridges and namespaces this test makes.
#
# Needs root, jq, nft, ip and python3 (Debian's busybox nc has no UDP: the
# UDP peers are python3 run in the containers' network namespaces).
# Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/network-lib.sh"
for tool in jq nft ip nsenter python3; do
	command -v $tool >/dev/null || fail "$tool is needed"
done
PYTHON=$(command -v /usr/bin/python3 || command -v python3) # not a shell shim: it starts in every namespace

OUTSIDE=cvt-out-$$  # the namespace that plays the outside host
UPLINK=cvt-up$$     # the host's end of the veth to it
ROUTE_LINK=cvt-rt$$ # a link whose route a network must not overlap

OTHER_ROOTS=() # state roots beside $CONTAINERV_ROOT (the default network's section)
GATEWAY_SERVER=
network_cleanup() {
	local left root
	[ -z "$GATEWAY_SERVER" ] || kill "$GATEWAY_SERVER" 2>/dev/null || true
	for root in "${OTHER_ROOTS[@]}"; do
		left=$(CONTAINERV_ROOT=$root "$CONTAINERV" ps -aq --no-trunc 2>/dev/null || true)
		[ -z "$left" ] || CONTAINERV_ROOT=$root "$CONTAINERV" rm -f $left >/dev/null 2>&1 || true
		CONTAINERV_ROOT=$root "$CONTAINERV" network rm bridge >/dev/null 2>&1 || true
	done
	left=$("$CONTAINERV" ps -aq --no-trunc 2>/dev/null || true)
	[ -z "$left" ] || "$CONTAINERV" rm -f $left >/dev/null 2>&1 || true
	for n in $("$CONTAINERV" network ls --format '{{.Name}}' 2>/dev/null || true); do
		"$CONTAINERV" network rm "$n" >/dev/null 2>&1 || true
	done
	ip netns del "$OUTSIDE" 2>/dev/null || true
	ip link del "$UPLINK" 2>/dev/null || true
	ip link del "$ROUTE_LINK" 2>/dev/null || true
	cleanup
}
trap network_cleanup EXIT
B=$(pick_base) # this run's 10.N: its networks are $B.1.0/24, $B.2.0/24...
P=$(pick_port_prefix) # this run's host ports: ${P}80, ${P}81...

address_of() { # NETWORK CONTAINER-ID
	"$CONTAINERV" network inspect "$1" | jq -r --arg id "$2" '.[0].Containers[$id].IPv4Address' | cut -d/ -f1
}
pid_of() { "$CONTAINERV" inspect "$1" | jq -r '.[0].State.Pid'; }
bridge_of() { "$CONTAINERV" network inspect "$1" | jq -r '.[0].Options["com.docker.network.bridge.name"]'; }

# An HTTP GET with bash's /dev/tcp: the body of the answer, or nothing.
http_get() { # HOST PORT PATH
	timeout 5 bash -c "exec 3<>/dev/tcp/$1/$2 && printf 'GET $3 HTTP/1.0\r\n\r\n' >&3 && cat <&3" 2>/dev/null |
		sed '1,/^\r$/d'
}

run_d() { # ARGS...: a detached container; its id in $ID
	cv 0 run -d --rootfs "$CV_TEST_ROOTFS" "$@"
	ID=$OUT
	ids+=("$ID")
}

# ---- networks: create, ls, inspect, refusals ----
cv 0 network create --subnet $B.1.0/24 front
[[ "$OUT" =~ ^[0-9a-f]{64}$ ]] || fail "network create printed '$OUT'"
remember_network front
cv 0 network create --subnet $B.2.0/24 --gateway $B.2.254 back
remember_network back
cv 0 network ls --format '{{.Name}} {{.Subnet}} {{.Gateway}}'
[[ "$OUT" == *"back $B.2.0/24 $B.2.254"* && "$OUT" == *"front $B.1.0/24 $B.1.1"* ]] ||
	fail "network ls: $OUT"
cv 0 network inspect front
[ "$(jq -r '.[0].IPAM.Config[0].Subnet' <<<"$OUT")" = $B.1.0/24 ] || fail "inspect: $OUT"
cv 1 network create --subnet $B.3.0/24 front
one_error_line "already exists"
cv 1 network create --subnet $B.1.128/25 inside
one_error_line "overlaps network front"
cv 1 network create --subnet $B.1.5/24 hostbits
one_error_line "host bits set"
cv 1 network create --subnet $B.300.0/24 bad
one_error_line "invalid subnet"
cv 1 network create --subnet $B.4.0/33 bad
one_error_line "invalid subnet"
cv 1 network create --subnet $B.4.0/24 --gateway $B.5.1 bad
one_error_line "not a host address"
cv 1 network create 'bad/name'
one_error_line "invalid network name"
cv 1 network create host
one_error_line "reserved"
# A subnet a host route covers is refused (the route is on a link this test makes).
ip link add "$ROUTE_LINK" type veth peer name "${ROUTE_LINK}p"
ip addr add $B.64.1/24 dev "$ROUTE_LINK"
ip link set "$ROUTE_LINK" up
cv 1 network create --subnet $B.64.0/20 routed
one_error_line "overlaps the host's route $B.64.0/24"
ip link del "$ROUTE_LINK"
cv 0 network ls -q
[ "$(wc -l <<<"$OUT")" = 2 ] || fail "refused networks were created: $OUT"
assert_no_network_left "after create"
pass "network create, ls, inspect and their refusals"

# ---- two containers on one network: TCP and UDP; another network cannot reach them ----
run_d --network front --name server busybox sh -c 'while true; do echo tcp-hello | nc -l -p 7000; done'
server=$ID
run_d --network front --name client busybox sleep 300
client=$ID
run_d --network back --name stranger busybox sleep 300
stranger=$ID
server_ip=$(address_of front "$server")
client_ip=$(address_of front "$client")
[[ "$server_ip" == $B.1.* && "$client_ip" == $B.1.* && "$server_ip" != "$client_ip" ]] ||
	fail "addresses: $server_ip $client_ip"
[[ "$(address_of back "$stranger")" == $B.2.* ]] || fail "back address"
# The MAC address follows the IP address (a reused address keeps the neighbours' cache right).
cv 0 exec client cat /sys/class/net/eth0/address
[ "$OUT" = "$(printf '02:42:%02x:%02x:%02x:%02x' ${client_ip//./ })" ] || fail "MAC of $client_ip: $OUT"
cv 0 inspect --format '{{.NetworkSettings.IPAddress}}' server
[ "$OUT" = "$server_ip" ] || fail "inspect NetworkSettings.IPAddress: '$OUT', expected $server_ip"
wait_for "the TCP server" sh -c "nsenter -t $(pid_of "$server") -n cat /proc/net/tcp /proc/net/tcp6 | grep -q ':1B58 '"
cv 0 exec client nc -w 5 "$server_ip" 7000
[ "$OUT" = tcp-hello ] || fail "TCP between containers: '$OUT'"
# UDP: a receiver in the server's namespace, a sender in the client's.
nsenter -t "$(pid_of "$server")" -n "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 7001)); s.settimeout(10)
print("ready", flush=True); data, peer = s.recvfrom(100); print(data.decode().strip(), peer[0], flush=True)' >"$TEST_TMP/udp" &
receiver=$!
wait_for "the UDP receiver" grep -q ready "$TEST_TMP/udp"
nsenter -t "$(pid_of "$client")" -n bash -c "echo udp-hello >/dev/udp/$server_ip/7001"
wait "$receiver" || fail "UDP receiver failed: $(cat "$TEST_TMP/udp")"
grep -q "udp-hello $client_ip" "$TEST_TMP/udp" || fail "UDP between containers: $(cat "$TEST_TMP/udp")"
pass "two containers on one network exchange TCP and UDP"
cv 1 exec stranger nc -w 2 "$server_ip" 7000
[ -z "$OUT" ] && [[ "$ERR" != *refused* ]] || fail "a container on another network reached the server: $OUT $ERR"
pass "a container on another network cannot reach them"

# ---- stats: eth0's counters ----
cv 0 stats --no-stream --format '{{.NetIO}}' client
[[ "$OUT" != "0B / 0B" ]] || fail "stats show no network traffic: $OUT"
pass "stats count the container's eth0 traffic ($OUT)"

# ---- /etc/hosts, /etc/resolv.conf ----
run_d --network front --name named --hostname web --add-host db.local:$B.1.77 --dns $B.1.53 busybox sleep 300
named_ip=$(address_of front "$ID")
cv 0 exec named cat /etc/hosts
[[ "$OUT" == *"$named_ip	web named"* && "$OUT" == *"$B.1.77	db.local"* ]] || fail "/etc/hosts: $OUT"
# On a user network the network's DNS server is the only name server (the --dns ones are its
# upstreams for this container: test_cli_dns.sh); elsewhere the --dns servers.
front_gateway=$("$CONTAINERV" network inspect front | jq -r '.[0].IPAM.Config[0].Gateway')
cv 0 exec named cat /etc/resolv.conf
[ "$(grep '^nameserver' <<<"$OUT")" = "nameserver $front_gateway" ] || fail "/etc/resolv.conf on front: $OUT"
cv 0 run --rm --network none --dns $B.1.53 busybox cat /etc/resolv.conf
[[ "$OUT" == "nameserver $B.1.53"* ]] && ! grep -q "nameserver 127." <<<"$OUT" || fail "/etc/resolv.conf: $OUT"
cv 125 run --rootfs "$CV_TEST_ROOTFS" --add-host nocolon busybox true
one_error_line "--add-host"
cv 125 run --rootfs "$CV_TEST_ROOTFS" --dns 1.2.3 busybox true
one_error_line "--dns"
pass "/etc/hosts with the name and --add-host, resolv.conf with the network's DNS server or --dns"

# ---- --ip, --network none and host ----
run_d --network front --ip $B.1.200 busybox sleep 300
[ "$(address_of front "$ID")" = $B.1.200 ] || fail "--ip not honoured"
cv 125 run -d --rootfs "$CV_TEST_ROOTFS" --network front --ip $B.1.200 busybox sleep 300
one_error_line "already in use"
cv 125 run -d --rootfs "$CV_TEST_ROOTFS" --network front --ip $B.2.9 busybox sleep 300
one_error_line "not in network front"
cv 125 run -d --rootfs "$CV_TEST_ROOTFS" --network nosuch busybox sleep 300
one_error_line "network nosuch not found"
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" --network none busybox ip -o link
[ "$(wc -l <<<"$OUT")" = 1 ] && [[ "$OUT" == *" lo:"* ]] || fail "--network none: $OUT"
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" --network host busybox ip -o link
[ "$(wc -l <<<"$OUT")" = "$(ip -o link | wc -l)" ] || fail "--network host: $OUT"
cv 125 run --rootfs "$CV_TEST_ROOTFS" --network none -p 8080:80 busybox true
one_error_line "need a bridge network"
pass "--ip, --network none and host"

# ---- published ports: httpd reached from the host on 127.0.0.1 and on the container's address ----
mkdir -p "$TEST_TMP/www"
echo published-page >"$TEST_TMP/www/index.html"
run_d --network front --name web -p 127.0.0.1:${P}80:80 -p ${P}81:80 -v "$TEST_TMP/www:/www:ro" busybox httpd -f -p 80 -h /www
web=$ID
web_ip=$(address_of front "$web")
wait_for "httpd" sh -c "nsenter -t $(pid_of "$web") -n cat /proc/net/tcp /proc/net/tcp6 | grep -q ':0050 '"
[ "$(http_get 127.0.0.1 ${P}80 /index.html)" = published-page ] || fail "127.0.0.1:${P}80 did not reach httpd"
[ "$(http_get 127.0.0.1 ${P}81 /index.html)" = published-page ] || fail "127.0.0.1:${P}81 did not reach httpd"
[ "$(http_get "$web_ip" 80 /index.html)" = published-page ] || fail "$web_ip:80 did not reach httpd"
# Hairpin: another container reaches it through the host's published port (the bridge's address).
cv 0 exec client wget -q -O - http://$B.1.1:${P}81/index.html
[ "$OUT" = published-page ] || fail "a container did not reach a published port through the host: $OUT"
[ "$(nft list ruleset | grep -c "comment \"cvc_${web:0:12}\"")" = 2 ] || fail "no nft elements named for the container"
cv 0 port web
[ "$OUT" = "$(printf '80/tcp -> 127.0.0.1:%s\n80/tcp -> 0.0.0.0:%s' "${P}80" "${P}81")" ] || fail "port web: $OUT"
cv 0 inspect --format '{{json .NetworkSettings.Ports}}' web
[ "$(jq -r '."80/tcp"[1].HostPort' <<<"$OUT")" = "${P}81" ] || fail "inspect Ports: $OUT"
# The same host port again: one clear error, nothing made.
before=$("$CONTAINERV" ps -aq | wc -l)
cv 125 run -d --rootfs "$CV_TEST_ROOTFS" --network front -p ${P}81:80 busybox sleep 300
one_error_line "already published by container ${web:0:12}"
[ "$("$CONTAINERV" ps -aq | wc -l)" = "$before" ] || fail "a refused run left a container"
# -P publishes the exposed ports on free host ports.
run_d --network front --expose 80 -P -v "$TEST_TMP/www:/www:ro" busybox httpd -f -p 80 -h /www
cv 0 port "$ID" 80
auto_port=${OUT##*:}
[[ "$OUT" == 0.0.0.0:* && "$auto_port" =~ ^[0-9]+$ ]] || fail "port: $OUT"
# (Output captured first: grep -q stopping early would SIGPIPE nft, and pipefail fail the pipe.)
rules=$(nft list ruleset)
grep -q "comment \"cvc_${ID:0:12}\"" <<<"$rules" || fail "no nft element for the -P port $auto_port"
wait_for "httpd (-P)" sh -c "nsenter -t $(pid_of "$ID") -n cat /proc/net/tcp /proc/net/tcp6 | grep -q ':0050 '"
[ "$(http_get 127.0.0.1 "$auto_port" /index.html)" = published-page ] || fail "-P port $auto_port did not reach httpd"
cv 0 rm -f "$ID"
rules=$(nft list ruleset)
! grep -q "cvc_${ID:0:12}" <<<"$rules" || fail "rm left the container's published port"
# A UDP port: a datagram to 127.0.0.1 reaches a receiver in the container's namespace.
run_d --network front -p 127.0.0.1:${P}95:7005/udp busybox sleep 300
nsenter -t "$(pid_of "$ID")" -n "$PYTHON" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 7005)); s.settimeout(10)
print("ready", flush=True); data, peer = s.recvfrom(100); print(data.decode().strip(), flush=True)' >"$TEST_TMP/udp-port" &
receiver=$!
wait_for "the UDP receiver" grep -q ready "$TEST_TMP/udp-port"
echo udp-published >/dev/udp/127.0.0.1/${P}95
wait "$receiver" || fail "published UDP port: $(cat "$TEST_TMP/udp-port")"
grep -q udp-published "$TEST_TMP/udp-port" || fail "published UDP port: $(cat "$TEST_TMP/udp-port")"
cv 0 rm -f "$ID"
pass "published ports: 127.0.0.1, the container's address, -P, UDP, a port published twice refused"

# ---- the host's loopback stays out of reach (route_localnet on the bridge, CVE-2020-8558) ----
# A container that routes 127.1.2.3 to its gateway (what its root may do in its own namespace,
# done here with nsenter) must not reach a host service bound to loopback.
"$PYTHON" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.1.2.3", int(sys.argv[1])))
s.listen(1); s.settimeout(4); print("ready", flush=True)
try:
    c, peer = s.accept(); print("reached from", peer[0], flush=True)
except socket.timeout:
    print("not reached", flush=True)' "${P}70" >"$TEST_TMP/loopback" 2>&1 &
listener=$!
wait_for "the loopback listener" grep -q ready "$TEST_TMP/loopback"
nsenter -t "$(pid_of "$client")" -n sh -c "sysctl -qw net.ipv4.conf.eth0.route_localnet=1 &&
	ip route add 127.1.2.3/32 via $B.1.1 dev eth0" || fail "could not route loopback in the container's namespace"
set +e
nsenter -t "$(pid_of "$client")" -n "$PYTHON" -c '
import socket, sys
s = socket.socket(); s.settimeout(3); s.connect(("127.1.2.3", int(sys.argv[1])))' "${P}70" 2>/dev/null
reached=$?
set -e
wait "$listener" || true
[ "$reached" != 0 ] && grep -q "not reached" "$TEST_TMP/loopback" ||
	fail "a container reached the host's loopback: $(cat "$TEST_TMP/loopback")"
nsenter -t "$(pid_of "$client")" -n ip route del 127.1.2.3/32
pass "a container cannot reach the host's loopback services"

# ---- outbound NAT: the container reaches a namespace playing the outside host ----
ip netns add "$OUTSIDE"
ip link add "$UPLINK" type veth peer name eth0 netns "$OUTSIDE"
ip addr add $B.90.1/24 dev "$UPLINK"
ip link set "$UPLINK" up
echo 1 >"/proc/sys/net/ipv4/conf/$UPLINK/forwarding" # replies are routed back in (this link only)
ip -n "$OUTSIDE" addr add $B.90.2/24 dev eth0
ip -n "$OUTSIDE" link set eth0 up
ip -n "$OUTSIDE" link set lo up
# The outside host has no route to $B.1.0/24: only masquerading lets it answer.
ip netns exec "$OUTSIDE" "$PYTHON" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], 7002)); s.listen(1)
s.settimeout(15); print("ready", flush=True); c, peer = s.accept(); c.sendall(("seen " + peer[0] + "\n").encode()); c.close()' "$B.90.2" >"$TEST_TMP/outside" 2>&1 &
outside=$!
wait_for "the outside server" grep -q ready "$TEST_TMP/outside"
set +e
OUT=$(timeout 60 "$CONTAINERV" exec client nc -w 5 $B.90.2 7002 2>"$TEST_TMP/stderr" </dev/null)
code=$?
set -e
if [ "$code" != 0 ]; then
	# Seen twice in about thirty runs, never reproduced alone: what the path looked like then.
	echo "# outbound NAT failed (exit $code: $(cat "$TEST_TMP/stderr")); the path:" >&2
	ip -br link show "$UPLINK" >&2 || true
	ip -n "$OUTSIDE" -br link >&2 || true
	ip neigh show dev "$UPLINK" >&2 || true
	ip -n "$OUTSIDE" neigh >&2 || true
	sysctl net.ipv4.ip_forward "net.ipv4.conf.$UPLINK.forwarding" "net.ipv4.conf.$UPLINK.rp_filter" >&2 || true
	nft list ruleset 2>/dev/null | grep -E "table|masquerade" >&2 || true
	cat "$TEST_TMP/outside" >&2 || true
	ip -br link show type bridge >&2 || true
	grep -E "dport=7002" /proc/net/nf_conntrack >&2 || true
	nsenter -t "$(pid_of "$client")" -n ip neigh >&2 || true
	fail "outbound NAT: the container did not reach the outside namespace"
fi
wait "$outside" || true
[ "$OUT" = "seen $B.90.1" ] || fail "outbound NAT: '$OUT' (outside: $(cat "$TEST_TMP/outside"))"
ip netns del "$OUTSIDE"
pass "outbound NAT (masquerade) to an outside namespace"

# ---- connect / disconnect a running container ----
cv 0 network connect back client
cv 0 exec client ip -o -4 addr show eth1
[[ "$OUT" == *"$B.2."* ]] || fail "connect: eth1 is $OUT"
# Refused (an RST from the stranger), not timed out: reached over eth1 (nc needs no capability, unlike ping).
cv 1 exec client nc -w 3 "$(address_of back "$stranger")" 1
[[ "$ERR" == *refused* ]] || fail "connect: the stranger was not reached: $ERR"
cv 1 network connect back client
one_error_line "already connected"
cv 1 network rm back
one_error_line "in use by container"
# Joined again at the next start (docker's); a stopped container can be connected too.
cv 0 stop -t 1 client
cv 0 start client
cv 0 exec client ip -o -4 addr show eth1
[[ "$OUT" == *"$B.2."* ]] || fail "after a restart, eth1 is $OUT"
cv 0 network disconnect back client
cv 1 exec client ip -o -4 addr show eth1
cv 1 network disconnect back client
one_error_line "not connected"
cv 0 stop -t 1 client
cv 0 network connect --ip $B.2.77 back client
cv 0 start client
cv 0 exec client ip -o -4 addr show eth1
[[ "$OUT" == *"inet $B.2.77/24"* ]] || fail "connected while stopped: eth1 is $OUT"
cv 0 network disconnect back client
cv 0 stop -t 1 client
cv 0 start client
cv 1 exec client ip -o -4 addr show eth1
pass "network connect/disconnect (running or stopped, kept across restarts); network rm of a network in use is refused"

# ---- rm releases everything ----
cv 0 rm -f $("$CONTAINERV" ps -aq)
assert_no_endpoint_left "after rm"
pass "rm releases leases, veths and rules (bridges stay until network rm)"

# ---- a container whose command ends releases its network at once ----
cv 0 run --rootfs "$CV_TEST_ROOTFS" --network front --name ended busybox true
assert_no_endpoint_left "after the command ended"
cv 0 rm ended
# ---- a failed start leaves nothing ----
cv 127 run --rootfs "$CV_TEST_ROOTFS" --network front -p ${P}90:80 busybox /no/such/command
assert_no_endpoint_left "after a failed start"
[ -z "$("$CONTAINERV" ps -aq)" ] || cv 0 rm -f $("$CONTAINERV" ps -aq)
pass "a finished or failed start leaves nothing"

# ---- SIGKILL of the CLI: the next command reconciles ----
# (a) the CLI and then its container are killed: the lease's owner is dead.
"$CONTAINERV" run --rootfs "$CV_TEST_ROOTFS" --network front -p ${P}91:80 --name killed busybox sleep 300 \
	</dev/null >/dev/null 2>&1 &
cli=$!
wait_for "the killed container" sh -c "'$CONTAINERV' ps --format '{{.Names}}' | grep -q killed"
init=$(pid_of killed)
kill -9 "$cli"
wait "$cli" 2>/dev/null || true
kill -9 "$init"
wait_for "the init to die" sh -c "! kill -0 $init 2>/dev/null"
cv 0 network ls
assert_no_endpoint_left "after a SIGKILL'ed CLI and container"
cv 0 rm -f killed
# (b) a start killed half-way: a lease owned by a dead process, its veth and rules made.
net_id=$("$CONTAINERV" network inspect front | jq -r '.[0].Id')
cv 0 network inspect --format '{{.Id}}' front
dead=$(sh -c 'echo $$')
fake=deadbeef0123456789abcdef0123456789abcdef0123456789abcdef01234567
printf '{"container":"%s","address":"%s","veth":"cvdeadbeef01e0","interface":"eth0","owner_pid":%d,"owner_start":1,"ports":[{"host_address":0,"host_port":%d,"container_port":80,"protocol":6}]}' \
	"$fake" "$B.1.9" "$dead" "${P}92" >"$CONTAINERV_ROOT/networks/front/leases/$B.1.9"
ip link add cvdeadbeef01e0 type veth peer name cvdeadbeef01x0
nft add element ip "cvn_${net_id:0:10}" ports_any "{ tcp . ${P}92 comment \"cvc_deadbeef0123\" : $B.1.9 . 80 }"
cv 0 network ls
assert_no_endpoint_left "after a start killed half-way"
! ip link show cvdeadbeef01e0 >/dev/null 2>&1 || fail "the half-made start's veth is left"
[ -n "$net_id" ] || fail "no network id"
pass "after a SIGKILL the next command releases the lease, veth and rules"

# ---- rm and prune ----
cv 0 network create --subnet $B.7.0/24 spare
remember_network spare
cv 0 network prune -f
[[ "$OUT" == *spare* && "$OUT" == *front* && "$OUT" == *back* ]] || fail "prune: $OUT"
cv 0 network ls -q
[ -z "$OUT" ] || fail "prune left: $OUT"
cv 1 network rm front
one_error_line "not found"
pass "network prune and rm"

# ---- the default network: each state root its own bridge and subnet, side by side ----
# Every root but the default one names its default network's bridge after its real path
# (cvbr-<10 hex of its sha256>) and takes the first 10.N.0.0/16 (N 90-127) that no host route
# or address overlaps. Before, every root used containerv0 and 10.88.0.0/16: the second root's
# start failed ("bridge containerv0 belongs to another network").
unset CONTAINERV_BRIDGE_SUBNET
root_bridge() { printf 'cvbr-%s' "$(printf %s "$(realpath "$1")" | sha256sum | cut -c1-10)"; }
in_pool() { [[ "$1" =~ ^10\.(9[0-9]|1[01][0-9]|12[0-7])\.0\.0/16$ ]]; }
inspect_field() { # ROOT JQ-FILTER: of the root's default network
	CONTAINERV_ROOT=$1 timeout 60 "$CONTAINERV" network inspect bridge | jq -r ".[0]$2"
}
other_root=$TEST_TMP/other-root
legacy_root=$TEST_TMP/legacy-root
legacy2_root=$TEST_TMP/legacy2-root
late_root=$TEST_TMP/late-root
mkdir -p "$other_root" "$legacy_root" "$legacy2_root" "$late_root"
OTHER_ROOTS+=("$other_root" "$legacy_root" "$legacy2_root" "$late_root")
other() { CONTAINERV_ROOT=$other_root timeout 60 "$CONTAINERV" "$@"; }
legacy() { # ROOT ARGS...: the CLI in another root
	local root=$1
	shift
	CONTAINERV_ROOT=$root timeout 60 "$CONTAINERV" "$@"
}
# What every gateway answers on: a listener of the host (this test's namespace).
"$PYTHON" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(8)
while True:
    c, _ = s.accept()
    c.sendall(b"gateway\n")
    c.close()
' "${P}95" &
GATEWAY_SERVER=$!
reaches_gateway() { # ROOT CONTAINER GATEWAY
	[ "$(CONTAINERV_ROOT=$1 timeout 30 "$CONTAINERV" exec "$2" nc -w 3 "$3" "${P}95" </dev/null 2>&1)" = gateway ]
}

run_d --name mine busybox sleep 300
mine=$ID
mine_bridge=$(inspect_field "$CONTAINERV_ROOT" '.Options["com.docker.network.bridge.name"]')
mine_subnet=$(inspect_field "$CONTAINERV_ROOT" '.IPAM.Config[0].Subnet')
mine_gateway=$(inspect_field "$CONTAINERV_ROOT" '.IPAM.Config[0].Gateway')
[ "$mine_bridge" = "$(root_bridge "$CONTAINERV_ROOT")" ] || fail "this root's default bridge is $mine_bridge"
in_pool "$mine_subnet" || fail "this root's default subnet is $mine_subnet"
set +e
theirs=$(other run -d --rootfs "$CV_TEST_ROOTFS" --name theirs busybox sleep 300 2>&1)
code=$?
set -e
[ "$code" = 0 ] || fail "a second root's default network (exit $code): $theirs"
theirs_bridge=$(inspect_field "$other_root" '.Options["com.docker.network.bridge.name"]')
theirs_subnet=$(inspect_field "$other_root" '.IPAM.Config[0].Subnet')
theirs_gateway=$(inspect_field "$other_root" '.IPAM.Config[0].Gateway')
[ "$theirs_bridge" = "$(root_bridge "$other_root")" ] || fail "the other root's default bridge is $theirs_bridge"
in_pool "$theirs_subnet" && [ "$theirs_subnet" != "$mine_subnet" ] ||
	fail "the other root's default subnet is $theirs_subnet (ours $mine_subnet)"
[ "$(jq -r .bridge "$other_root/networks/bridge/network.json")" = "$theirs_bridge" ] || fail "the choice is not recorded"
ip -o link show "$mine_bridge" >/dev/null && ip -o link show "$theirs_bridge" >/dev/null || fail "both bridges are not up"
reaches_gateway "$CONTAINERV_ROOT" mine "$mine_gateway" || fail "our container does not reach $mine_gateway"
reaches_gateway "$other_root" theirs "$theirs_gateway" || fail "their container does not reach $theirs_gateway"
# Recorded once: a later start in the other root is on the same network.
out=$(other run --rm --rootfs "$CV_TEST_ROOTFS" busybox ip -4 -o addr show eth0)
[[ "$out" == *"inet ${theirs_subnet%.0.0/16}."* ]] || fail "a later start is not on $theirs_subnet: $out"
# network rm in the other root: refused while its container runs, then its bridge only.
set +e
err=$(other network rm bridge 2>&1)
code=$?
set -e
[ "$code" = 1 ] && [[ "$err" == *"in use"* ]] || fail "network rm of a used default network (exit $code): $err"
other rm -f theirs >/dev/null
other network rm bridge >/dev/null
! ip link show "$theirs_bridge" >/dev/null 2>&1 || fail "the other root's network rm left its bridge"
ip -o link show "$mine_bridge" >/dev/null || fail "the other root's network rm deleted our bridge"
reaches_gateway "$CONTAINERV_ROOT" mine "$mine_gateway" || fail "our container lost its gateway"
# The other root deleted whole: made again, it gets its bridge again; ours still works.
rm -rf "$other_root"
mkdir -p "$other_root"
other run --rm --rootfs "$CV_TEST_ROOTFS" busybox true >/dev/null || fail "a new root at the same path"
[ "$(inspect_field "$other_root" '.Options["com.docker.network.bridge.name"]')" = "$theirs_bridge" ] ||
	fail "a new root at the same path has another bridge"
other network rm bridge >/dev/null
reaches_gateway "$CONTAINERV_ROOT" mine "$mine_gateway" || fail "our container lost its gateway"
# Two roots that chose while neither was up: the same subnet. The second to make its bridge is
# refused with one error, and network rm bridge there chooses again.
other network create bridge >/dev/null
legacy "$late_root" network create bridge >/dev/null
late_subnet=$(inspect_field "$late_root" '.IPAM.Config[0].Subnet')
[ "$(inspect_field "$other_root" '.IPAM.Config[0].Subnet')" = "$late_subnet" ] || fail "expected the same choice"
legacy "$late_root" run --rm --rootfs "$CV_TEST_ROOTFS" busybox true >/dev/null || fail "the first of two same choices"
set +e
err=$(other run --rm --rootfs "$CV_TEST_ROOTFS" busybox true 2>&1 >/dev/null)
code=$?
set -e
[ "$code" = 125 ] && [[ "$err" == *"overlaps the host's route $late_subnet: \`network rm bridge\` chooses another" ]] &&
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "the second of two same choices (exit $code): $err"
! ip link show "$theirs_bridge" >/dev/null 2>&1 || fail "the refused start left its bridge"
other network rm bridge >/dev/null
other run --rm --rootfs "$CV_TEST_ROOTFS" busybox true >/dev/null || fail "after network rm bridge"
[ "$(inspect_field "$other_root" '.IPAM.Config[0].Subnet')" != "$late_subnet" ] || fail "the same subnet again"
other network rm bridge >/dev/null
legacy "$late_root" network rm bridge >/dev/null
pass "two state roots side by side: each default network its own bridge and subnet; rm in one leaves the other"

# ---- state written by an older version: two roots whose default network names containerv0 ----
for pair in "$legacy_root $B.96.0/24" "$legacy2_root $B.97.0/24"; do
	set -- $pair
	legacy "$1" network create --subnet "$2" bridge >/dev/null
	json=$(jq '.bridge = "containerv0"' "$1/networks/bridge/network.json")
	printf '%s\n' "$json" >"$1/networks/bridge/network.json"
done
legacy "$legacy_root" run -d --rootfs "$CV_TEST_ROOTFS" --name old busybox sleep 300 >/dev/null
ip -o link show containerv0 >/dev/null || fail "no containerv0 for the older root"
set +e
err=$(legacy "$legacy2_root" run --rm --rootfs "$CV_TEST_ROOTFS" busybox true 2>&1 >/dev/null)
code=$?
set -e
[ "$code" = 125 ] && [[ "$err" == *"bridge containerv0 belongs to another network"*"network rm bridge"* ]] ||
	fail "the second older root took containerv0 while in use (exit $code): $err"
legacy "$legacy2_root" network rm bridge >/dev/null
ip -o link show containerv0 >/dev/null || fail "the second older root's network rm deleted containerv0"
reaches_gateway "$legacy_root" old "$B.96.1" || fail "the older root's container lost its gateway"
out=$(legacy "$legacy2_root" run --rm --rootfs "$CV_TEST_ROOTFS" busybox ip -4 -o addr show eth0)
in_pool "$(inspect_field "$legacy2_root" '.IPAM.Config[0].Subnet')" || fail "after network rm: $out"
legacy "$legacy2_root" network rm bridge >/dev/null
legacy "$legacy_root" rm -f old >/dev/null
legacy "$legacy_root" network rm bridge >/dev/null
! ip link show containerv0 >/dev/null 2>&1 || fail "network rm bridge left containerv0"
pass "an older root's containerv0 is never taken nor deleted by another root; network rm bridge gives a root its own"

# ---- the default state root keeps containerv0 and 10.88.0.0/16 (a tmpfs over it, in a mount namespace of its own) ----
default_root_run() { # prints the default network's bridge, subnet and a container's eth0 address
	unshare --mount --propagation private bash -c '
		set -e
		mount -t tmpfs -o mode=0700 cvtest-default-root /var/lib/containerv
		cv() { env -u CONTAINERV_ROOT timeout 60 "$CONTAINERV" "$@"; }
		trap "cv network rm bridge >/dev/null 2>&1 || true" EXIT
		address=$(cv run --rm --rootfs "$CV_TEST_ROOTFS" busybox ip -4 -o addr show eth0 | grep -o "inet [0-9./]*")
		cv network inspect bridge | jq -r ".[0] | \"\(.Options[\"com.docker.network.bridge.name\"]) \(.IPAM.Config[0].Subnet)\""
		echo "$address"'
}
if [ -d /var/lib/containerv ] && command -v unshare >/dev/null; then
	out=$(default_root_run | tr '\n' ' ')
	[ "$out" = "containerv0 10.88.0.0/16 inet 10.88.0.2/16 " ] || fail "the default root's default network: $out"
	! ip link show containerv0 >/dev/null 2>&1 || fail "network rm bridge left containerv0"
	# containerv0 in use (an older root's): the default root gets its own bridge too.
	legacy "$legacy_root" network create --subnet $B.96.0/24 bridge >/dev/null
	json=$(jq '.bridge = "containerv0"' "$legacy_root/networks/bridge/network.json")
	printf '%s\n' "$json" >"$legacy_root/networks/bridge/network.json"
	legacy "$legacy_root" run -d --rootfs "$CV_TEST_ROOTFS" --name old busybox sleep 300 >/dev/null
	out=$(default_root_run | tr '\n' ' ')
	[[ "$out" == "$(root_bridge /var/lib/containerv) 10.88.0.0/16 inet 10.88.0.2/16 " ]] ||
		fail "the default root beside a used containerv0: $out"
	reaches_gateway "$legacy_root" old "$B.96.1" || fail "the older root's container lost its gateway"
	legacy "$legacy_root" rm -f old >/dev/null
	legacy "$legacy_root" network rm bridge >/dev/null
	pass "the default state root: containerv0 and 10.88.0.0/16, its own bridge when containerv0 is in use"
else
	echo "skip - the default state root: no /var/lib/containerv to cover with a tmpfs"
fi
cv 0 rm -f "$mine"
kill "$GATEWAY_SERVER" 2>/dev/null || true
wait "$GATEWAY_SERVER" 2>/dev/null || true
GATEWAY_SERVER=
assert_no_network_left "at the end"
namespaces=$(ip netns list)
! grep -q "$OUTSIDE" <<<"$namespaces" || fail "the outside namespace is left"
links=$(ip -o link show)
! grep -qE ": ($UPLINK|$ROUTE_LINK)[@:]" <<<"$links" || fail "test links left"
assert_clean "network"
