# Helpers of the supervision tests (sourced after lib.sh, not run).

# The supervisor processes of our state root, one pid a line. The helper names itself
# containerv-sup: the processes it forks without an exec (a restart's log monitor, containerv-mon)
# have its command line too. Anchored: the command line of a shell that runs pgrep holds the pattern.
supervisors_matching() {
	local pid
	for pid in $(pgrep -f "$1" || true); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" != containerv-sup ] || echo "$pid"
	done
}
supervisors() { supervisors_matching "^containerv-supervise $CONTAINERV_ROOT "; }
# Those of one container (by id).
supervisors_of() { supervisors_matching "^containerv-supervise $CONTAINERV_ROOT $1\$"; }

field() { "$CONTAINERV" inspect -f "$2" "$1"; }

# assert_supervision_clean WHAT: removes every container left, waits for their supervisors to end, then
# assert_clean.
assert_supervision_clean() {
	local left
	left=$("$CONTAINERV" ps -aq)
	[ -z "$left" ] || cv 0 rm -f $left
	for _ in $(seq 200); do
		[ -n "$(supervisors)" ] || break
		sleep 0.1
	done
	[ -z "$(supervisors)" ] || fail "supervisors left: $(ps -o pid,args -p "$(supervisors | tr '\n' ',')1")"
	assert_clean "$1"
}
