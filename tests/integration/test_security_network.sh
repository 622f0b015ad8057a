#!/usr/bin/env bash
# A container attacking its neighbours on a bridge network (issue 9, attack 5), for real:
# - an IPv6 router advertisement (high preference, a /64 prefix with the autonomous flag) sent from
#   a container with NET_RAW must give neither the host nor the other container a route or an
#   address through it (CVE-2020-13401 class): containerv turns IPv6 off on its bridges, the
#   host's veth ends and inside every container namespace;
# - at the default level (restricted) raw and packet sockets are refused, so ARP spoofing of the
#   gateway fails, while ping works through ICMP echo sockets (net.ipv4.ping_group_range);
# - --network host leaves the host's sysctls alone, --network none can still ping loopback.
# The advertisement reaches only this test's bridge; whatever it could leave on the host (route,
# address) is deleted on exit, even on failure, and the bridge goes with the network.
#
# Needs root, jq, ip and nsenter. Environment: CONTAINERV, CV_ATTACK, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/network-lib.sh"
: "${CV_ATTACK:?set CV_ATTACK to the built cv-attack helper}"
for tool in jq ip nsenter; do
	command -v $tool >/dev/null || fail "$tool is needed"
done

BRIDGE=""
security_network_cleanup() {
	if [ -n "$BRIDGE" ] && ip link show "$BRIDGE" >/dev/null 2>&1; then
		ip -6 route del default dev "$BRIDGE" proto ra 2>/dev/null || true
		ip -6 addr flush dev "$BRIDGE" scope global 2>/dev/null || true
	fi
	local left
	left=$("$CONTAINERV" ps -aq --no-trunc 2>/dev/null || true)
	[ -z "$left" ] || "$CONTAINERV" rm -f $left >/dev/null 2>&1 || true
	cleanup
}
trap security_network_cleanup EXIT

B=$(pick_base)
PREFIX="fd42:$(printf '%x' $((RANDOM % 65536))):$(printf '%x' $$)::" # this run's advertised /64
pid_of() { "$CONTAINERV" inspect "$1" | jq -r '.[0].State.Pid'; }
in_netns() { # CONTAINER COMMAND...: a host tool in the container's network namespace
	local pid
	pid=$(pid_of "$1")
	shift
	nsenter --net="/proc/$pid/ns/net" "$@"
}
run_d() { # ARGS...
	cv 0 run -d --rootfs "$CV_TEST_ROOTFS" -v "$CV_ATTACK:/cv-attack:ro" "$@"
	ids+=("$OUT")
}

cv 0 network create --subnet "$B.1.0/24" secnet
remember_network secnet
BRIDGE=${BRIDGES[0]}
GATEWAY=$B.1.1
run_d --name victim --network secnet --ip "$B.1.20" sleep 300
run_d --name spoofer --network secnet --ip "$B.1.30" sleep 300         # the default level: no NET_RAW
run_d --name router --network secnet --ip "$B.1.40" --cap-add NET_RAW sleep 300 # NET_RAW granted

# ---- IPv6 is off on the bridge, the host's veth ends and in the containers ----
[ "$(cat "/proc/sys/net/ipv6/conf/$BRIDGE/disable_ipv6")" = 1 ] || fail "IPv6 is on on bridge $BRIDGE"
for veth in $(ip -o link show master "$BRIDGE" | awk -F'[:@ ]+' '{print $2}'); do
	[ "$(cat "/proc/sys/net/ipv6/conf/$veth/disable_ipv6")" = 1 ] || fail "IPv6 is on on the host's veth $veth"
done
[ "$(in_netns victim cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6)" = 1 ] || fail "IPv6 is on in the container"
[ -n "$(in_netns victim ip -6 addr show dev lo)" ] || fail "the container's lo lost ::1"
pass "IPv6 off on the bridge, the host's veth ends and the containers' eth0 (lo keeps ::1)"

# ---- attack 5: a router advertisement with high preference and an autonomous /64 ----
host_routes_before=$(ip -6 route show default)
cv 0 exec router /cv-attack ra "$PREFIX"
[ "$OUT" = ok ] || fail "the router advertisement was not sent: $OUT"
cv 0 exec router /cv-attack ra "$PREFIX"
# The kernel takes an advertisement as it arrives; a second or two covers a slow machine.
for _ in $(seq 20); do
	got=$(ip -6 route show default dev "$BRIDGE" 2>/dev/null; ip -6 addr show dev "$BRIDGE" scope global 2>/dev/null;
		in_netns victim ip -6 route show default; in_netns victim ip -6 addr show scope global)
	[ -z "$got" ] || fail "a container's router advertisement was taken: $got"
	sleep 0.1
done
[ "$(ip -6 route show default)" = "$host_routes_before" ] ||
	fail "the host's IPv6 default routes changed: $(ip -6 route show default)"
! ip -6 addr show | grep -q "${PREFIX%::}" || fail "the host took an address from the advertised prefix"
pass "a router advertisement from a container gives neither the host nor a neighbour a route or an address"

# ---- ARP spoofing of the gateway: refused at the default level, ping still works ----
cv 0 exec spoofer sh -c '/cv-attack raw_socket; /cv-attack packet_socket; /cv-attack arp_spoof '"$GATEWAY,$B.1.20"
[ "$OUT" = "EPERM
EPERM
EPERM" ] || fail "raw or packet sockets at the default level: $OUT"
spoofer_mac=$(in_netns spoofer cat /sys/class/net/eth0/address)
cv 0 exec victim cat /proc/net/arp
! grep -qi "$spoofer_mac" <<<"$OUT" || fail "the victim took the spoofer's MAC: $OUT"
cv 0 exec victim sh -c "/cv-attack ping $GATEWAY; /cv-attack ping $B.1.40; /cv-attack ping 127.0.0.1"
[ "$OUT" = "ok
ok
ok" ] || fail "ping without NET_RAW (gateway, neighbour, loopback): $OUT"
cv 0 exec victim cat /proc/net/arp
[[ "$OUT" != *"$spoofer_mac"* ]] || fail "the gateway's entry is the spoofer's: $OUT"
cv 0 exec -u 1000:1000 victim /cv-attack ping "$GATEWAY"
[ "$OUT" = ok ] || fail "ping as an unprivileged user: $OUT"
pass "restricted: no raw or packet socket (ARP spoofing refused), ping through ICMP echo sockets works"

# --cap-add NET_RAW gives them back.
cv 0 exec router sh -c '/cv-attack raw_socket; /cv-attack packet_socket'
[ "$OUT" = "ok
ok" ] || fail "--cap-add NET_RAW: $OUT"
pass "--cap-add NET_RAW still grants raw sockets"

# ---- --network host: the host's own sysctls are not touched; --network none: loopback ping ----
host_range=$(cat /proc/sys/net/ipv4/ping_group_range)
host_default_ipv6=$(cat /proc/sys/net/ipv6/conf/default/disable_ipv6)
cv 0 run --rm --network host --rootfs "$CV_TEST_ROOTFS" true
[ "$(cat /proc/sys/net/ipv4/ping_group_range)" = "$host_range" ] || fail "--network host changed ping_group_range"
[ "$(cat /proc/sys/net/ipv6/conf/default/disable_ipv6)" = "$host_default_ipv6" ] ||
	fail "--network host changed the host's IPv6 default"
cv 0 run --rm --network none -v "$CV_ATTACK:/cv-attack:ro" --rootfs "$CV_TEST_ROOTFS" /cv-attack ping 127.0.0.1
[ "$OUT" = ok ] || fail "--network none: ping 127.0.0.1: $OUT"
pass "--network host leaves the host's sysctls alone; --network none pings loopback"

cv 0 rm -f victim spoofer router
assert_clean "security network"
assert_no_endpoint_left "security network"
