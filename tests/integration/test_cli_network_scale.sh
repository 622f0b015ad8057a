#!/usr/bin/env bash
# IPAM at scale and at its limits: 100 detached containers on one bridge get
# 100 distinct addresses (concurrent CLIs never share one), a /29 runs out
# with one clear error and nothing half-made, and removing them all leaves no
# veth, bridge, nft table or lease.
#
# Needs root, jq, nft and ip. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
for tool in jq nft ip; do
	command -v $tool >/dev/null || fail "$tool is needed"
done

scale_cleanup() {
	local left
	left=$("$CONTAINERV" ps -aq --no-trunc 2>/dev/null || true)
	[ -z "$left" ] || "$CONTAINERV" rm -f $left >/dev/null 2>&1 || true
	for n in $("$CONTAINERV" network ls --format '{{.Name}}' 2>/dev/null || true); do
		"$CONTAINERV" network rm "$n" >/dev/null 2>&1 || true
	done
	cleanup
}
trap scale_cleanup EXIT

# Nothing of the containers left: veths (the kernel deletes a dead namespace's
# pair asynchronously), their nft tables, leases.
assert_no_endpoint_left() {
	local what=$1 tables leases
	wait_for "$what: the containers' veths to go" \
		sh -c "! ip -o link show | grep -qE '^[0-9]+: cv[0-9a-f]{10}[ex][0-9]+[@:]'"
	tables=$(nft list ruleset | grep -E 'cvc_' || true)
	[ -z "$tables" ] || fail "$what: nft tables left: $tables"
	leases=$(find "$CONTAINERV_ROOT/networks" -path '*/leases/*' 2>/dev/null || true)
	[ -z "$leases" ] || fail "$what: leases left: $leases"
}

# And no network on the host: no bridge, no network table (bridges stay until their network is removed).
assert_no_network_left() {
	local what=$1 links tables
	assert_no_endpoint_left "$what"
	links=$(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(cvbr-[0-9a-f]{10}|containerv0)$' || true)
	[ -z "$links" ] || fail "$what: bridges left: $links"
	tables=$(nft list tables | grep -E 'cvn_' || true)
	[ -z "$tables" ] || fail "$what: nft tables left: $tables"
}

# ---- a /29: 5 addresses for containers (network, gateway and broadcast are not) ----
cv 0 network create --subnet 10.232.0.0/29 tiny
for i in 1 2 3 4 5; do
	cv 0 run -d --rootfs "$CV_TEST_ROOTFS" --network tiny busybox sleep 300
done
cv 125 run -d --rootfs "$CV_TEST_ROOTFS" --network tiny --name sixth busybox sleep 300
one_error_line "network tiny: no free address left in 10.232.0.0/29"
[ "$("$CONTAINERV" ps -aq | wc -l)" = 5 ] || fail "the refused run left a container"
cv 0 network inspect tiny
[ "$(jq -r '.[0].Containers | length' <<<"$OUT")" = 5 ] || fail "leases: $OUT"
[ "$(ls "$CONTAINERV_ROOT/networks/tiny/leases" | wc -l)" = 5 ] || fail "lease files"
cv 1 network rm tiny
one_error_line "in use"
cv 0 rm -f $("$CONTAINERV" ps -aq)
cv 0 network rm tiny
assert_no_network_left "after the /29"
pass "a full /29 gives one clear error and leaves nothing"

# ---- 100 containers, started by 4 CLIs at once, get distinct addresses ----
cv 0 network create --subnet 10.232.16.0/24 many
start=$(date +%s%N)
for worker in 1 2 3 4; do
	(
		for i in $(seq 25); do
			"$CONTAINERV" run -d --rootfs "$CV_TEST_ROOTFS" --network many busybox sleep 600 >/dev/null ||
				echo "run failed" >>"$TEST_TMP/failures"
		done
	) &
done
wait
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ ! -e "$TEST_TMP/failures" ] || fail "$(wc -l <"$TEST_TMP/failures") runs failed"
cv 0 network inspect many
addresses=$(jq -r '.[0].Containers[].IPv4Address' <<<"$OUT" | sort)
[ "$(wc -l <<<"$addresses")" = 100 ] || fail "expected 100 endpoints, got $(wc -l <<<"$addresses")"
[ "$(sort -u <<<"$addresses" | wc -l)" = 100 ] || fail "duplicate addresses: $(uniq -d <<<"$addresses")"
[ "$(ip -o link show master "$(jq -r '.[0].Options["com.docker.network.bridge.name"]' <<<"$OUT")" | wc -l)" = 100 ] ||
	fail "the bridge does not have 100 ports"
[ "$elapsed_ms" -lt 120000 ] || fail "100 starts took ${elapsed_ms} ms"
pass "100 containers on one bridge get distinct addresses (${elapsed_ms} ms for 100 starts, 4 CLIs at once)"
start=$(date +%s%N)
cv 0 rm -f $("$CONTAINERV" ps -aq)
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_no_endpoint_left "after removing 100"
cv 0 network rm many
assert_no_network_left "after network rm"
assert_clean "network scale"
pass "removing them leaves nothing (${elapsed_ms} ms)"
