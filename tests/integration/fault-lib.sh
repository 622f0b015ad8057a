# Fault injection (sourced after lib.sh, not run): kill an operation with
# SIGKILL at growing delays until it completes on its own, and after every
# kill check that the next commands converge and that nothing is left once
# the test removes what it made.
#
#   fault_baseline                 records the host and the state root as they are now
#   fault_kill_steps NAME PREPARE OPERATION CONVERGE CLEAN
#                                  for each delay: PREPARE, OPERATION under a
#                                  SIGKILL timer, CONVERGE (the next commands
#                                  work), CLEAN (remove what was made), then
#                                  the host and the root must match the baseline
#
# The operation runs under `timeout -s KILL`: timeout puts itself and the
# operation in a process group of their own and kills the whole group, so the
# CLI and every helper it forked (exec and cp helpers, an init not yet
# detached) die at the same instant. Detached monitors (containerv-mon,
# their own session) are killed too on every other step. The delays are
# fractions of the operation's own measured duration: 0, D/STEPS, 2D/STEPS,
# ... until a run completes before its timer fires.

FAULT_STEPS=${FAULT_STEPS:-6}
FAULT_KILLS=0
FAULT_SEEN_IDS=() # every container id the state root has shown, for the cgroup and process checks
# The CLI's temporary files go here, where the leftover check can see them.
export TMPDIR=$TEST_TMP/tmpdir
mkdir -p "$TMPDIR"

# Container ids in the state root now (also those being removed), added to FAULT_SEEN_IDS.
fault_note_ids() {
	local entry id
	for entry in $(ls -A "$CONTAINERV_ROOT/containers" 2>/dev/null || true); do
		id=${entry#.removing-}
		[[ "$id" =~ ^[0-9a-f]{64}$ ]] && FAULT_SEEN_IDS+=("$id")
	done
	return 0
}

# Processes of the CLI (the CLI, its helpers, the inits before their exec, the monitors: all named
# containerv*) working on our state root.
fault_our_processes() {
	local pid
	for pid in $(pgrep '^containerv' || true); do
		if { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qxF "CONTAINERV_ROOT=$CONTAINERV_ROOT"; then
			echo "$pid $(cat "/proc/$pid/comm" 2>/dev/null)"
		fi
	done
}

# Kills the detached monitors of our containers.
fault_kill_monitors() {
	local pid name
	while read -r pid name; do
		[ "$name" = containerv-mon ] && kill -9 "$pid" 2>/dev/null
	done < <(fault_our_processes)
	return 0
}

# Everything containerv can leave on the host or in its root, one line each, sorted.
# Spare directories (kept for the next create) and caches are not leftovers.
fault_snapshot() {
	local id
	find "$CONTAINERV_ROOT" -mindepth 1 \( -path "$CONTAINERV_ROOT/containers/.spare-*" -o \
		-path "$CONTAINERV_ROOT/cache/*" \) -prune -o -printf 'file %P\n' | grep -v '^file containers/\.spare-' || true
	find "$TMPDIR" -mindepth 1 -printf 'tmp %P\n'
	grep -F "$CONTAINERV_ROOT" /proc/self/mountinfo | awk '{print "mount " $5}' || true
	ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print "link " $2}'
	nft list tables | sed 's/^/nft /'
	losetup -a | grep -F "$CONTAINERV_ROOT" | sed 's/^/loop /' || true
	fault_our_processes | awk '{print "process " $2}'
	# Cgroups and container processes of the ids seen (other tests may run containers meanwhile).
	if [ ${#FAULT_SEEN_IDS[@]} -gt 0 ]; then
		printf '%s\n' "${FAULT_SEEN_IDS[@]}" | sort -u >"$TEST_TMP/fault.ids"
		{
			find /sys/fs/cgroup/*/containerv /sys/fs/cgroup/containerv -maxdepth 1 -mindepth 1 -type d \
				-printf 'cgroup %p %f\n' 2>/dev/null
			grep -Hs 'containerv/' /proc/[0-9]*/cgroup | sed -E 's|^/proc/([0-9]+)/cgroup:.*containerv/([0-9a-f]{64}).*|process-in-container \1 \2|'
		} | grep -F -f "$TEST_TMP/fault.ids" | sort -u | awk '{print $1 " " $2}' || true
	fi
}

fault_baseline() {
	fault_snapshot | sort >"$TEST_TMP/fault.baseline"
}

# fault_assert_baseline WHAT: nothing more and nothing less than the baseline (a veth of a dead
# namespace goes asynchronously: a few seconds of grace).
fault_assert_baseline() {
	local what=$1 deadline=$((SECONDS + 5))
	while :; do
		fault_snapshot | sort >"$TEST_TMP/fault.now"
		cmp -s "$TEST_TMP/fault.baseline" "$TEST_TMP/fault.now" && return 0
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.2
	done
	fail "$what: left behind (+) or lost (-): $(diff "$TEST_TMP/fault.baseline" "$TEST_TMP/fault.now" | grep '^[<>]' | tr '<>' '-+' | tr '\n' ' ')"
}

# fault_duration_ms FUNCTION...: how long one run takes (PREPARE first, untimed; CLEAN after).
fault_duration_ms() {
	local prepare=$1 operation=$2 clean=$3 started ended
	"$prepare"
	started=$(date +%s%N)
	"$operation" >/dev/null 2>&1 || fail "$operation fails without a kill"
	ended=$(date +%s%N)
	"$clean"
	echo $(((ended - started) / 1000000))
}

# fault_kill_steps NAME PREPARE OPERATION CONVERGE CLEAN (see the top of this file).
# OPERATION is a function running the CLI as "$@" of fault_run (below). The duration is the shorter
# of two runs; when a run completes before two kills (the machine was slower while measuring), the
# steps are halved and the delays start over.
fault_kill_steps() {
	local name=$1 prepare=$2 operation=$3 converge=$4 clean=$5
	local duration other steps=$FAULT_STEPS step delay status killed=0 completed=0
	duration=$(fault_duration_ms "$prepare" "$operation" "$clean")
	other=$(fault_duration_ms "$prepare" "$operation" "$clean")
	[ "$other" -ge "$duration" ] || duration=$other
	fault_assert_baseline "$name (no kill)"
	for ((step = 0; step < 4 * steps; step++)); do
		# (timeout 0 would mean no timer: the first step is 0.1 ms.)
		delay=$(awk -v d="$duration" -v s="$step" -v n="$steps" 'BEGIN { t = d * s / n / 1000; printf "%.4f", (t > 0.0001 ? t : 0.0001) }')
		"$prepare"
		FAULT_DELAY=$delay
		set +e
		"$operation" >"$TEST_TMP/fault.out" 2>&1
		status=$?
		set -e
		[ -z "${FAULT_DEBUG:-}" ] || echo "$name: delay ${delay}s: exit $status" >&2
		fault_note_ids
		if [ "$status" = 137 ]; then
			killed=$((killed + 1))
			# Every other kill takes the detached monitors along.
			[ $((step % 2)) = 1 ] && fault_kill_monitors
		elif [ "$status" = 0 ]; then
			completed=1
		else
			fail "$name with a SIGKILL timer of ${delay}s: exit $status: $(cat "$TEST_TMP/fault.out")"
		fi
		"$converge" || fail "$name killed after ${delay}s: the next commands do not converge"
		"$clean"
		fault_note_ids
		fault_assert_baseline "$name killed after ${delay}s"
		if [ "$completed" = 1 ] && [ "$killed" -lt 2 ] && [ "$steps" = "$FAULT_STEPS" ]; then
			steps=$((2 * FAULT_STEPS))
			step=-1
			completed=0
		fi
		[ "$completed" = 1 ] && break
	done
	FAULT_DELAY=
	[ "$completed" = 1 ] || fail "$name never completed within $((4 * steps)) steps"
	[ "$killed" -ge 2 ] || fail "$name was killed only $killed times (${duration} ms long)"
	FAULT_KILLS=$((FAULT_KILLS + killed))
	pass "$name: killed at $killed growing delays up to ${delay}s (a run takes ${duration} ms); each time the next commands converged and nothing was left"
}

# fault_run ARGS...: the CLI, under the SIGKILL timer when FAULT_DELAY is set. Exit 137 when killed.
fault_run() {
	if [ -n "${FAULT_DELAY:-}" ]; then
		timeout -s KILL "$FAULT_DELAY" "$CONTAINERV" "$@" </dev/null
	else
		"$CONTAINERV" "$@" </dev/null
	fi
}
