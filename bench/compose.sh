#!/usr/bin/env bash
# compose up -d of a 20-service app (a dependency chain of depth 4, the other 16 independent),
# until every container runs, against the same 20 containers started one by one with
# `containerv run -d` (what a script without compose would do), and against Debian's docker-compose
# (1.29, Python) on a private dockerd (bench/dockerd.sh) when docker.io and docker-compose are
# installed. Interleaved rounds, medians.
#
# As root, after a build: bash bench/compose.sh
#   BENCH_ROUNDS (default 5), BENCH_DOCKER (1: compare with docker-compose when installed; 0: don't), CONTAINERV
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
if [ -z "${BENCH_IN_NETNS:-}" ]; then
	exec env BENCH_IN_NETNS=1 unshare --net bash -c 'ip link set lo up; exec bash "$0"' "$0"
fi
here=$(cd "$(dirname "$0")/.." && pwd)
CONTAINERV=${CONTAINERV:-$here/build/tools/containerv/containerv}
ROUNDS=${BENCH_ROUNDS:-5}
source "$here/bench/dockerd.sh"
with_docker=0
if [ "${BENCH_DOCKER:-1}" = 1 ] && dockerd_available && command -v docker-compose >/dev/null; then
	with_docker=1
fi
export CONTAINERV_ROOT=$(mktemp -d /tmp/cv-bench-compose.XXXXXX)
export CONTAINERV_ROOTFS_PATH=${CONTAINERV_ROOTFS_PATH:-$here/build/rootfs}
work=$(mktemp -d /tmp/cv-bench-compose-app.XXXXXX)
cleanup() {
	"$CONTAINERV" compose -f "$work/compose.yaml" down >/dev/null 2>&1 || true
	"$CONTAINERV" rm -f $("$CONTAINERV" ps -aq) >/dev/null 2>&1 || true
	for n in $("$CONTAINERV" network ls --format '{{.Name}}' 2>/dev/null); do "$CONTAINERV" network rm "$n" >/dev/null 2>&1 || true; done
	[ "$with_docker" = 0 ] || docker-compose -f "$work/docker-compose.yaml" -p bench down >/dev/null 2>&1 || true
	dockerd_stop
	rm -rf "$CONTAINERV_ROOT" "$work"
}
trap cleanup EXIT

{
	echo "name: bench"
	echo "services:"
	echo "  s1: {image: busybox, command: sleep 600, stop_signal: SIGKILL}"
	for i in 2 3 4; do
		echo "  s$i: {image: busybox, command: sleep 600, stop_signal: SIGKILL, depends_on: [s$((i - 1))]}"
	done
	for i in $(seq 5 20); do
		echo "  s$i: {image: busybox, command: sleep 600, stop_signal: SIGKILL}"
	done
} >"$work/compose.yaml"
"$CONTAINERV" run --rm busybox true >/dev/null # imports the built-in image once
if [ "$with_docker" = 1 ]; then
	# The same app for docker-compose 1.29, which takes no top-level name (the project is -p).
	grep -v '^name:' "$work/compose.yaml" >"$work/docker-compose.yaml"
	dockerd_start
	dockerd_load_from_containerv busybox
fi

now() { date +%s%N; }
compose_times=() serial_times=() docker_times=()
for round in $(seq "$ROUNDS"); do
	start=$(now)
	"$CONTAINERV" compose -f "$work/compose.yaml" up -d 2>/dev/null
	compose_times+=($(($(now) - start)))
	[ "$("$CONTAINERV" ps -q | wc -l)" = 20 ] || { echo "compose: not 20 running" >&2; exit 1; }
	"$CONTAINERV" compose -f "$work/compose.yaml" down 2>/dev/null

	"$CONTAINERV" network create serial_default >/dev/null
	start=$(now)
	for i in $(seq 1 20); do
		"$CONTAINERV" run -d --name "serial-s$i-1" --network serial_default busybox sleep 600 >/dev/null
	done
	serial_times+=($(($(now) - start)))
	"$CONTAINERV" rm -f $("$CONTAINERV" ps -aq) >/dev/null
	"$CONTAINERV" network rm serial_default >/dev/null
	if [ "$with_docker" = 1 ]; then
		start=$(now)
		docker-compose -f "$work/docker-compose.yaml" -p bench up -d >/dev/null 2>&1
		docker_times+=($(($(now) - start)))
		[ "$(docker ps -q | wc -l)" = 20 ] || { echo "docker-compose: not 20 running" >&2; exit 1; }
		docker-compose -f "$work/docker-compose.yaml" -p bench down >/dev/null 2>&1
	fi
	echo "round $round: compose ${compose_times[-1]} ns, one by one ${serial_times[-1]} ns${docker_times:+, docker-compose ${docker_times[-1]} ns}" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
c=$(median "${compose_times[@]}") s=$(median "${serial_times[@]}")
printf '| 20 services (chain of 4) | median ms |\n| --- | --- |\n'
printf '| containerv compose up -d | %d |\n| containerv run -d x20, one by one | %d |\n| ratio | %.2f |\n' \
	$((c / 1000000)) $((s / 1000000)) "$(echo "$c / $s" | bc -l)"
if [ "$with_docker" = 1 ]; then
	d=$(median "${docker_times[@]}")
	printf '| docker-compose 1.29 up -d (dockerd 20.10) | %d |\n| containerv compose / docker-compose | %.3f |\n' \
		$((d / 1000000)) "$(echo "$c / $d" | bc -l)"
fi
