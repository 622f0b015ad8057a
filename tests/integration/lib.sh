# Shared by the CLI integration tests (sourced, not run): a private state
# root, cleanup of every container on exit, and the assertions the tests
# have in common. Needs CONTAINERV (the CLI) and CV_TEST_ROOTFS (a busybox
# root filesystem directory); skips when not root.
set -euo pipefail

: "${CONTAINERV:?set CONTAINERV to the built containerv CLI}"
: "${CV_TEST_ROOTFS:?set CV_TEST_ROOTFS to a busybox rootfs directory}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 0; }

export CONTAINERV_ROOT=$(mktemp -d /tmp/cvtest.XXXXXX)
TEST_TMP=$(mktemp -d /tmp/cvtest-files.XXXXXX)
chmod 0711 "$TEST_TMP"
ids=() # ids of the containers a test made, for the leftover checks

cleanup() {
	local left
	# Timed like every other call: a cleanup that hangs would turn a failed test into a hung one.
	left=$(timeout -k 10 60 "$CONTAINERV" ps -aq --no-trunc 2>/dev/null || true)
	if [ -n "$left" ]; then
		timeout -k 10 120 "$CONTAINERV" rm -f $left >/dev/null 2>&1 || true
	fi
	# Networks keep their bridge until removed: take them all off the host (the default one too).
	for network in $("$CONTAINERV" network ls --format '{{.Name}}' 2>/dev/null || true); do
		"$CONTAINERV" network rm "$network" >/dev/null 2>&1 || true
	done
	rm -rf "$CONTAINERV_ROOT" "$TEST_TMP"
	# The shared cgroup parents stay while containerv runs; a test leaves none (rmdir: only empty ones).
	rmdir /sys/fs/cgroup/*/containerv /sys/fs/cgroup/containerv 2>/dev/null || true
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# cv EXPECTED_EXIT ARGS...: runs the CLI with a timeout; stdout in $OUT, stderr in $ERR.
cv() {
	local expected=$1
	shift
	set +e
	OUT=$(timeout -k 10 60 "$CONTAINERV" "$@" 2>"$TEST_TMP/stderr" </dev/null)
	CODE=$?
	set -e
	ERR=$(cat "$TEST_TMP/stderr")
	[ "$CODE" = "$expected" ] || fail "containerv $*: exit $CODE, expected $expected; stderr: $ERR"
}

# wait_code PID: waits for a background job of the test; its exit status in $CODE (never fatal).
wait_code() {
	set +e
	wait "$1"
	CODE=$?
	set -e
}

# The error contract: exactly one line on stderr, starting "containerv: ".
one_error_line() {
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "expected one error line, got: $ERR"
	[[ "$ERR" == "containerv: "* ]] || fail "error line does not start with 'containerv: ': $ERR"
	[ -z "${1:-}" ] || [[ "$ERR" == *"$1"* ]] || fail "error line lacks \"$1\": $ERR"
}

# wait_until DESCRIPTION SECONDS COMMAND...: retries every 0.1 s for up to SECONDS. On a timeout the
# failure also prints what the command WAIT_UNTIL_DETAIL (if set) says.
wait_until() {
	local what=$1 seconds=$2
	shift 2
	for _ in $(seq $((seconds * 10))); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	fail "timed out waiting for $what${WAIT_UNTIL_DETAIL:+ ($(eval "$WAIT_UNTIL_DETAIL"))}"
}

# wait_for DESCRIPTION COMMAND...: retries for up to 10 seconds (WAIT_SECONDS=N for another bound).
wait_for() {
	local what=$1
	shift
	wait_until "$what" "${WAIT_SECONDS:-10}" "$@"
}

# assert_gone ID: nothing of that container remains (state, mounts, cgroups, processes).
assert_gone() {
	local id=$1
	[ ! -e "$CONTAINERV_ROOT/containers/$id" ] || fail "state of $id left"
	! grep -q "$id" /proc/self/mountinfo || fail "mounts of $id left"
	! compgen -G "/sys/fs/cgroup/*/containerv/$id*" >/dev/null || fail "cgroup of $id left"
	! compgen -G "/sys/fs/cgroup/containerv/$id*" >/dev/null || fail "cgroup of $id left"
	! grep -qs "containerv/$id" /proc/[0-9]*/cgroup || fail "processes of $id left"
}

# assert_clean WHAT: no container at all remains, nor anything of those in $ids.
assert_clean() {
	local what=$1 id
	[ -z "$("$CONTAINERV" ps -aq)" ] || fail "$what: containers left: $("$CONTAINERV" ps -a)"
	# .rootfs and .etc: shared mount points, used only inside the containers' own mount namespaces;
	# .spare-N: empty directories kept for the next create (checked in test_cli_run.sh).
	local left
	left=$(ls -A "$CONTAINERV_ROOT/containers" 2>/dev/null | grep -vxE "\.rootfs|\.etc|\.spare-[0-9]+" || true)
	[ -z "$left" ] || fail "$what: state directories left: $left"
	! grep -q "$CONTAINERV_ROOT" /proc/self/mountinfo || fail "$what: mounts under $CONTAINERV_ROOT left"
	for id in "${ids[@]}"; do
		assert_gone "$id"
	done
}
