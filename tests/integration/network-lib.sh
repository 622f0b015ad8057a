# Shared by the network tests (sourced after lib.sh): random subnets, and
# leftover checks that look only at what this test made, so that another
# copy of the tests running on the same host cannot fail them.

# A random 10.N.0.0/16 for this run's subnets, free of the host's routes.
pick_base() {
	local n
	for _ in $(seq 50); do
		n=$((150 + RANDOM % 100))
		if ! grep -q "^10\.$n\." <<<"$(ip -4 route show)"; then
			echo "10.$n"
			return 0
		fi
	done
	fail "no free 10.N.0.0/16 for the test"
}

# A random prefix P for this run's host ports ${P}00..${P}99: 20000-31999, below
# the kernel's ephemeral range, where a client socket's local port could hold
# the number and make the publish fail as "in use".
pick_port_prefix() {
	local low
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
	[ "$low" -ge 32000 ] || fail "the ephemeral port range starts at $low; the tests need 20000-31999 free"
	echo $((200 + RANDOM % 120))
}

BRIDGES=() # bridges of the networks this test made
TABLES=()  # their nftables tables
remember_network() { # NAME
	local json
	json=$("$CONTAINERV" network inspect "$1")
	BRIDGES+=("$(jq -r '.[0].Options["com.docker.network.bridge.name"]' <<<"$json")")
	TABLES+=("cvn_$(jq -r '.[0].Id' <<<"$json" | cut -c1-10)")
}

# Nothing of the containers left: no veth on our bridges (the kernel deletes a dead
# namespace's pair asynchronously), no published port in our tables, no lease.
assert_no_endpoint_left() {
	local what=$1 bridge table leases rules
	for bridge in "${BRIDGES[@]}"; do
		ip link show "$bridge" >/dev/null 2>&1 || continue
		wait_for "$what: the veths on $bridge to go" sh -c "[ -z \"\$(ip -o link show master $bridge)\" ]"
	done
	for table in "${TABLES[@]}"; do
		# Captured first: grep -q stopping early would SIGPIPE nft, and pipefail fail the pipe.
		rules=$(nft list table ip "$table" 2>/dev/null || true)
		! grep -q 'cvc_' <<<"$rules" || fail "$what: published ports left in $table: $(grep cvc_ <<<"$rules")"
	done
	leases=$(find "$CONTAINERV_ROOT/networks" -path '*/leases/*' 2>/dev/null || true)
	[ -z "$leases" ] || fail "$what: leases left: $leases"
}

# And none of our networks on the host: no bridge, no table (bridges stay until their network is removed).
assert_no_network_left() {
	local what=$1 bridge table
	assert_no_endpoint_left "$what"
	for bridge in "${BRIDGES[@]}"; do
		! ip link show "$bridge" >/dev/null 2>&1 || fail "$what: bridge $bridge left"
	done
	for table in "${TABLES[@]}"; do
		! nft list table ip "$table" >/dev/null 2>&1 || fail "$what: nft table $table left"
	done
}
