# Sourced by benchmarks that compare with docker: a private dockerd for the length of the run.
#
#   source bench/dockerd.sh; dockerd_start; docker ...; docker-compose ...; (dockerd_stop runs on EXIT via the caller)
#
# The daemon runs in the caller's network namespace (benchmarks run in `unshare --net`, so docker's
# bridge and iptables rules stay off the host) and in a mount namespace of its own, with
# /sys/fs/cgroup/unified unmounted: dockerd refuses this host's hybrid cgroups (hugetlb on cgroup2)
# otherwise. Its data, sockets and state live under one temporary directory, and its containers'
# cgroups under a parent of its own (/sys/fs/cgroup/*/cvbench-docker-PID), so a user's own docker is
# never touched and everything this made is removed by dockerd_stop.
#
# Sets DOCKER_HOST for docker and docker-compose. Needs docker.io (and docker-compose for compose).

dockerd_available() {
	command -v dockerd >/dev/null && command -v docker >/dev/null
}

dockerd_start() {
	DOCKERD_DIR=$(mktemp -d /tmp/cv-bench-dockerd.XXXXXX)
	DOCKERD_CGROUP=cvbench-docker-$$
	export DOCKER_HOST=unix://$DOCKERD_DIR/docker.sock
	unshare --mount --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' dockerd \
		dockerd --data-root "$DOCKERD_DIR/data" --exec-root "$DOCKERD_DIR/exec" -H "$DOCKER_HOST" \
		--pidfile "$DOCKERD_DIR/dockerd.pid" --cgroup-parent "/$DOCKERD_CGROUP" --log-level warn \
		>"$DOCKERD_DIR/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	for _ in $(seq 120); do
		docker info >/dev/null 2>&1 && return 0
		kill -0 "$DOCKERD_PID" 2>/dev/null || break
		sleep 0.5
	done
	echo "dockerd did not start: $(tail -n 3 "$DOCKERD_DIR/dockerd.log")" >&2
	return 1
}

# Loads an image containerv has (the built-in busybox) into the private dockerd.
dockerd_load_from_containerv() {
	"$CONTAINERV" save --format docker "$1" | docker load >/dev/null
}

dockerd_stop() {
	[ -n "${DOCKERD_DIR:-}" ] || return 0
	docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
	if kill "$DOCKERD_PID" 2>/dev/null; then
		for _ in $(seq 100); do
			kill -0 "$DOCKERD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$DOCKERD_PID" 2>/dev/null || true
	fi
	wait "$DOCKERD_PID" 2>/dev/null || true
	# The containerd and shims dockerd started, by the state directory they were given.
	pkill -9 -f "$DOCKERD_DIR" 2>/dev/null || true
	local d
	for d in /sys/fs/cgroup/*/"$DOCKERD_CGROUP" /sys/fs/cgroup/unified/"$DOCKERD_CGROUP"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$DOCKERD_DIR"
	DOCKERD_DIR=
}
