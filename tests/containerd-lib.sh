# A private containerd, sourced (not run) by tests/integration/test_oci_containerd.sh and bench/oci.sh,
# which run in a private mount namespace: its own root, state and socket below a directory, and the
# shims' /run/containerd a tmpfs seen by nothing else.
#
#   containerd_start DIR NAME   starts it (containerd_pid; NAME names the tmpfs), exports
#                               CONTAINERD_ADDRESS and waits up to 60 s for its socket (1 if it never came)
#   containerd_stop [NS]        stops it, then the shims of containerd namespace NS, and takes the tmpfs
#                               (and /run/containerd when containerd_start made it) back

containerd_pid=
made_run_containerd=

containerd_start() {
	local dir=$1 name=$2
	mkdir -p "$dir"
	if [ ! -d /run/containerd ]; then
		mkdir /run/containerd
		made_run_containerd=1
	fi
	mount -t tmpfs -o mode=0711 "$name" /run/containerd
	cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
	containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 &
	containerd_pid=$!
	export CONTAINERD_ADDRESS=$dir/containerd.sock
	for _ in $(seq 600); do
		[ -S "$dir/containerd.sock" ] && return 0
		kill -0 "$containerd_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "containerd did not start: $(tail -n 5 "$dir/containerd.log")" >&2
	return 1
}

containerd_stop() {
	local shims
	if [ -n "$containerd_pid" ]; then
		kill "$containerd_pid" 2>/dev/null || true
		wait "$containerd_pid" 2>/dev/null || true
		containerd_pid=
	fi
	if [ -n "${1:-}" ]; then
		shims=$(pgrep -f -- "[c]ontainerd-shim-runc-v2 -namespace $1 " || true)
		[ -z "$shims" ] || kill -9 $shims 2>/dev/null || true
	fi
	umount /run/containerd 2>/dev/null || true
	[ -z "$made_run_containerd" ] || rmdir /run/containerd 2>/dev/null || true
	made_run_containerd=
}
