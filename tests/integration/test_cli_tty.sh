#!/usr/bin/env bash
# containerv run -t / exec -t: a real terminal inside, the initial window
# size, resizes (SIGWINCH) forwarded, input relayed with -i, exit codes.
# Drives the CLI under script(1), and under a Python pty for resizes.
#
# Needs root and script(1) (util-linux); the resize check needs python3.
# Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs).
source "$(dirname "$0")/lib.sh"
command -v script >/dev/null || fail "script(1) is needed (bsdutils)"

# in_terminal COMMAND: runs a shell command line on a fresh 40x100 terminal; output (CR stripped) in $OUT.
in_terminal() {
	set +e
	# With pipefail the status is script's (which is the command's, with -e) unless it is 0.
	OUT=$(timeout 60 script -qec "stty rows 40 cols 100; $1" /dev/null </dev/null | tr -d '\r')
	CODE=$?
	set -e
}

# in_terminal_with_input INPUT COMMAND: the same, typing INPUT.
in_terminal_with_input() {
	set +e
	OUT=$(printf '%b' "$1" | timeout 60 script -qec "stty rows 40 cols 100; $2" /dev/null | tr -d '\r')
	CODE=$?
	set -e
}

cv=$(printf '%q' "$CONTAINERV")
rootfs=$(printf '%q' "$CV_TEST_ROOTFS")

"$CONTAINERV" run -d --name shell --rootfs "$CV_TEST_ROOTFS" sleep 300 >/dev/null

# exec -t: stdin and stdout are a terminal of the size of ours; the exit code comes through.
in_terminal "$cv exec -t shell sh -c 'test -t 0 && test -t 1 && echo is-a-tty; stty size; exit 5'"
[ "$CODE" = 5 ] || fail "exec -t exit $CODE: $OUT"
[[ "$OUT" == *is-a-tty* ]] || fail "exec -t: no terminal inside: $OUT"
[[ "$OUT" == *"40 100"* ]] || fail "exec -t: window size not forwarded: $OUT"
pass "exec -t"

# exec -it: what we type reaches the shell.
in_terminal_with_input 'echo sum-$((40+2))\nexit 6\n' "$cv exec -it shell sh"
[ "$CODE" = 6 ] || fail "exec -it exit $CODE: $OUT"
[[ "$OUT" == *sum-42* ]] || fail "exec -it: input not relayed: $OUT"
pass "exec -it"

# A resize of our terminal reaches the process (SIGWINCH forwarded as TIOCSWINSZ).
if command -v python3 >/dev/null; then
	cat >"$TEST_TMP/resize.py" <<'PY'
import fcntl, os, pty, select, struct, sys, termios, time

def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

def read_until(fd, needle, seconds):
    data, deadline = b"", time.time() + seconds
    while needle not in data and time.time() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
set_size(fd, 24, 80)
if b"ready" not in read_until(fd, b"ready", 20):
    sys.exit("the container never said ready")
set_size(fd, 33, 77)
out = read_until(fd, b"33 77", 20)
os.kill(pid, 9)
os.waitpid(pid, 0)
sys.exit(0 if b"33 77" in out else "no resize seen: %r" % out)
PY
	python3 "$TEST_TMP/resize.py" "$CONTAINERV" exec -t shell \
		sh -c 'trap "stty size" WINCH; echo ready; while :; do sleep 0.1; done' || fail "resize not forwarded"
	pass "SIGWINCH forwarded"
else
	echo "note: python3 missing, resize check skipped"
fi

# run -t / run -it.
in_terminal "$cv run -t --rm --rootfs $rootfs sh -c 'test -t 0 && test -t 1 && echo is-a-tty; tty; stty size; exit 5'"
[ "$CODE" = 5 ] || fail "run -t exit $CODE: $OUT"
[[ "$OUT" == *is-a-tty* ]] || fail "run -t: no terminal inside: $OUT"
[[ "$OUT" == *"40 100"* ]] || fail "run -t: window size not forwarded: $OUT"
[[ "$OUT" == *"/dev/"* ]] || fail "run -t: tty(1) names no device: $OUT"
pass "run -t"

in_terminal_with_input 'echo sum-$((40+2))\nexit 7\n' "$cv run -it --rm --rootfs $rootfs sh"
[ "$CODE" = 7 ] || fail "run -it exit $CODE: $OUT"
[[ "$OUT" == *sum-42* ]] || fail "run -it: input not relayed: $OUT"
pass "run -it"

"$CONTAINERV" rm -f shell >/dev/null
[ -z "$("$CONTAINERV" ps -aq)" ] || fail "containers left"
! grep -q "$CONTAINERV_ROOT" /proc/self/mountinfo || fail "mounts under the state root left"
echo "all tty tests passed"
