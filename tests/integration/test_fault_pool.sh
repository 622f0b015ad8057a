#!/usr/bin/env bash
# Fault injection for pools: the keeper is SIGKILLed while it fills a new pool
# (inside containerv_create of a held container: its directory, config.json,
# the held init, the state), at growing delays after `pool create` until it has
# filled the pool before its timer. After every kill: the next command (pool
# inspect) starts a new keeper that fills the pool, every container of the pool
# is a ready held one (no half-made one stays), no process runs in a cgroup of
# an id the state root does not name, a take works; and once `pool rm` ran,
# nothing is left (fault-lib.sh's snapshot: state files, cgroups, processes,
# mounts).
#
# Needs root, jq. FAULT_STEPS (default 6): steps per fill duration. FAULT_DEBUG=1: each step's outcome.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault-lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps.sh)"
ip link set lo up
R=$CV_TEST_ROOTFS
MIN=3

ready_count() { ls "$CONTAINERV_ROOT/pools/fp/ready" 2>/dev/null | wc -l; }
pool_filled() { [ "$(ready_count)" = "$MIN" ]; }

# The keeper of fp: the pid in keeper.json, written before its first round (a scan of /proc with
# pgrep takes longer than a fill on a busy machine). Waits up to 5 s for it.
keeper_of_fp() {
	local pid=
	for _ in $(seq 500); do
		pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$CONTAINERV_ROOT/pools/fp/keeper.json" 2>/dev/null || true)
		[ -z "$pid" ] || break
		sleep 0.01
	done
	echo "$pid"
}

# Processes in a containerv cgroup whose id has no directory in the state root: inits no state names.
unnamed_inits() {
	local pid id
	grep -Hs 'containerv/' /proc/[0-9]*/cgroup |
		sed -nE 's|^/proc/([0-9]+)/cgroup:.*containerv/([0-9a-f]{64}).*|\1 \2|p' | sort -u |
		while read -r pid id; do
			printf '%s\n' "${FAULT_SEEN_IDS[@]}" | grep -qx "$id" || continue
			[ -d "$CONTAINERV_ROOT/containers/$id" ] || echo "$pid($id)"
		done
}

create_pool() { cv 0 pool create fp --min "$MIN" --policy prealloc --rootfs "$R" --network none /bin/sh; }
remove_pool() {
	if [ -d "$CONTAINERV_ROOT/pools/fp" ]; then cv 0 pool rm fp; fi
	[ -z "$("$CONTAINERV" ps -aq)" ] || fail "containers left after pool rm: $("$CONTAINERV" ps -a)"
}

# The next command converges: a new keeper fills the pool, only ready held containers are the pool's.
converge() {
	local id others
	cv 0 pool inspect fp # starts a keeper when none runs
	for _ in $(seq 300); do
		pool_filled && [ "$(ls -A "$CONTAINERV_ROOT/pools/fp/remove" 2>/dev/null)" = "" ] &&
			[ "$("$CONTAINERV" ps -aq --no-trunc --filter label=containerv.pool=fp | wc -l)" = "$MIN" ] && break
		sleep 0.1
	done
	fault_note_ids
	pool_filled || fail "the pool is not filled again: $(ready_count) ready"
	cv 0 ps -a -q --no-trunc --filter label=containerv.pool=fp
	others=$(comm -3 <(printf '%s\n' "$OUT" | sort) <(ls "$CONTAINERV_ROOT/pools/fp/ready" | sort))
	[ -z "$others" ] || fail "the pool has containers that are not ready: $others"
	for id in $OUT; do
		# (inspect says "created" for held, as docker would: the state file tells them apart)
		[ "$(jq -r .status "$CONTAINERV_ROOT/containers/$id/state.json")" = held ] || fail "ready $id is not held"
	done
	[ -z "$(unnamed_inits)" ] || fail "processes in cgroups of ids without state: $(unnamed_inits)"
	cv 0 run --rm --pool fp echo taken
	[ "$OUT" = taken ] || fail "a take after the kill printed '$OUT'"
}

# The baseline after one pool came and went.
create_pool
wait_for "the pool filled" pool_filled
remove_pool
fault_baseline

# The fill's duration, the shorter of two.
fill_ms() {
	local started
	started=$(date +%s%N)
	create_pool
	for _ in $(seq 600); do
		pool_filled && break
		sleep 0.02
	done
	pool_filled || fail "a pool of $MIN never filled"
	echo $((($(date +%s%N) - started) / 1000000))
	fault_note_ids
	remove_pool >/dev/null
}
duration=$(fill_ms)
other=$(fill_ms)
[ "$other" -ge "$duration" ] || duration=$other
fault_assert_baseline "a pool filled and removed"

killed=0
completed=0
# Four times the steps of fault_kill_steps: a fill is a few creates, each with short windows.
steps=$((4 * FAULT_STEPS))
for ((step = 0; step < 4 * steps; step++)); do
	delay=$(awk -v d="$duration" -v s="$step" -v n="$steps" 'BEGIN { printf "%.4f", d * s / n / 1000 }')
	create_pool
	keeper=$(keeper_of_fp)
	[ -n "$keeper" ] || fail "no keeper.json of fp after pool create"
	sleep "$delay"
	if pool_filled; then
		completed=1
	else
		kill -9 $keeper
		killed=$((killed + 1))
		for _ in $(seq 100); do
			kill -0 "$keeper" 2>/dev/null || break
			sleep 0.05
		done
		# Every other kill takes the monitors of the held containers along.
		[ $((step % 2)) = 1 ] && fault_kill_monitors
	fi
	fault_note_ids
	converge
	remove_pool
	fault_note_ids
	fault_assert_baseline "a keeper killed ${delay}s into the fill"
	[ -z "${FAULT_DEBUG:-}" ] || echo "delay ${delay}s: $([ "$completed" = 1 ] && echo filled || echo killed)" >&2
	# Filled before two kills (the machine was slower while measuring): measured again, from the start.
	if [ "$completed" = 1 ] && [ "$killed" -lt 2 ] && [ "$steps" = "$((4 * FAULT_STEPS))" ]; then
		other=$(fill_ms)
		[ "$other" -ge "$duration" ] || duration=$other
		steps=$((8 * FAULT_STEPS))
		step=-1
		completed=0
	fi
	[ "$completed" = 1 ] && break
done
[ "$completed" = 1 ] || fail "the keeper never filled the pool within $((4 * steps)) steps"
[ "$killed" -ge 2 ] || fail "the keeper was killed only $killed times (a fill takes ${duration} ms)"
pass "keeper killed at $killed growing delays up to ${delay}s into a fill of $MIN (${duration} ms): each time the next keeper filled the pool with held containers only, no init without state, nothing left after pool rm"
