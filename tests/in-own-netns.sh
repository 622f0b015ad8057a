#!/bin/sh
# Runs one test in a network namespace of its own, with loopback up.
#
# Tests judge only what they create. A host may have its own containerv
# containers in the default root, whose default network owns the bridge
# containerv0 and its nftables rules; a test of another root that started
# its default network on the host would meet that bridge ("belongs to
# another network") or, worse, share ports and rules with the user's
# containers. In a namespace of its own every bridge, veth, rule and
# published port of the test is private and goes away with it. Cgroups,
# mounts and processes are still the host's: the tests check those.
#
# Not root (no unshare): the test runs as it is, and skips what needs root.
if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
	exec unshare --net -- sh -c 'ip link set lo up && exec "$@"' containerv-test "$@"
fi
exec "$@"
