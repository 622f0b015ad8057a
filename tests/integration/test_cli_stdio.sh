#!/usr/bin/env bash
# No host descriptor goes into a container (issue 9, attack 4): run, run -d
# and exec, with and without -i/-t, give the container pipes relayed by the
# CLI or the log monitor, or a terminal of its own devpts. The attacks as
# found: chmod 4755 of the host file the CLI's stdout was redirected to
# (through /proc/self/fd/1), reading and truncating it, and a background
# reader left by exec stealing what is typed into the host's stdin later.
#
# Environment: CONTAINERV, CV_TEST_ROOTFS, CV_ATTACK (the static cv-attack helper).
source "$(dirname "$0")/lib.sh"
: "${CV_ATTACK:?set CV_ATTACK to the built cv-attack helper}"

# A rootfs with the attack helper in it (a bind would do too, but exec needs it in the running container).
cp "$CV_ATTACK" "$TEST_TMP/cv-attack"
mounts=(-v "$TEST_TMP/cv-attack:/cv-attack:ro")
host_file="$TEST_TMP/host-out"

# assert_not_host LABEL FILE: the "self/init FD DEV INO TYPE" lines cv-attack printed name no inode of the host
# file the CLI's stdout and stderr went to, and only pipes, /dev/null or a pty of the container.
assert_not_host() {
	local label=$1 report=$2 dev ino
	dev=$(stat -c %d "$host_file")
	ino=$(stat -c %i "$host_file")
	grep -q '^self 1 ' "$report" || fail "$label: no report: $(cat "$report")"
	while read -r owner fd d i type; do
		[ "$d $i" != "$dev $ino" ] || fail "$label: $owner fd $fd is the host file the CLI writes to"
		[ "$type" != reg ] || fail "$label: $owner fd $fd is a regular file: $owner $fd $d $i"
	done < <(grep -E '^(self|init) ' "$report")
}

# run attached (stdout and stderr to a host file, with and without -i), and exec, with and without -i.
: >"$host_file"
timeout 60 "$CONTAINERV" run --rm --network none "${mounts[@]}" --rootfs "$CV_TEST_ROOTFS" /cv-attack stdio \
	>"$host_file" 2>&1 </dev/null || fail "run: exit $?"
assert_not_host "run" "$host_file"
: >"$host_file"
timeout 60 "$CONTAINERV" run --rm -i --network none "${mounts[@]}" --rootfs "$CV_TEST_ROOTFS" /cv-attack stdio \
	>"$host_file" 2>"$host_file" </dev/null || fail "run -i: exit $?"
assert_not_host "run -i" "$host_file"
pass "run: the container's stdio is no host file"

cv 0 run -d --network none --name victim "${mounts[@]}" --rootfs "$CV_TEST_ROOTFS" sleep 300
for flags in "" "-i"; do
	: >"$host_file"
	timeout 60 "$CONTAINERV" exec $flags victim /cv-attack stdio >"$host_file" 2>&1 </dev/null ||
		fail "exec $flags: exit $?"
	assert_not_host "exec $flags" "$host_file"
done
pass "exec: the process's stdio is no host file"

# run -d: the log file is the monitor's, not the container's; logs still shows the output, complete after wait.
cv 0 run -d --network none --name detached "${mounts[@]}" --rootfs "$CV_TEST_ROOTFS" \
	sh -c '/cv-attack stdio; seq 1 20000 | tail -1'
cv 0 wait detached
[ "$OUT" = 0 ] || fail "wait: $OUT"
cv 0 logs detached
# The report is on the container's stderr, which logs replays to its own stderr.
printf '%s\n%s\n' "$OUT" "$ERR" >"$TEST_TMP/detached-report"
[[ "$OUT" == *$'\n20000' ]] || fail "logs after wait: the output is not complete: $OUT"
grep -q '^self 1 [0-9]* [0-9]* fifo$' "$TEST_TMP/detached-report" || fail "run -d: stdout is not a pipe: $OUT $ERR"
! grep -q ' reg$' "$TEST_TMP/detached-report" || fail "run -d: a regular file in the container's stdio: $OUT"
pass "run -d: output through the monitor's pipe into the log (complete once wait returns)"

# The chmod attack: the file the CLI's stdout is redirected to keeps its mode (a setuid root binary before).
cp "$CV_TEST_ROOTFS/bin/busybox" "$host_file"
chmod 0755 "$host_file"
timeout 60 "$CONTAINERV" exec victim sh -c 'chmod 4755 /proc/self/fd/1' >>"$host_file" 2>/dev/null </dev/null || true
[ "$(stat -c %a "$host_file")" = 755 ] || fail "chmod through /proc/self/fd/1 changed the host file: $(stat -c %A "$host_file")"
timeout 60 "$CONTAINERV" run --rm --network none --security-level strict --rootfs "$CV_TEST_ROOTFS" \
	sh -c 'chmod 4755 /proc/self/fd/1' >>"$host_file" 2>/dev/null </dev/null || true
[ "$(stat -c %a "$host_file")" = 755 ] || fail "run: chmod through /proc/self/fd/1 changed the host file"
pass "chmod 4755 /proc/self/fd/1 does not reach the host file"

# Reading and truncating the host file through /proc/$$/fd/1: reopening gives the pipe, never the file.
printf 'host secret\n' >"$host_file"
timeout 60 "$CONTAINERV" exec victim /cv-attack stdio-reopen >>"$host_file" 2>&1 </dev/null || true
timeout 60 "$CONTAINERV" exec victim sh -c ': 1<>/proc/$$/fd/1 >/proc/$$/fd/1' >>"$host_file" 2>/dev/null </dev/null || true
grep -q '^host secret$' "$host_file" || fail "the host file was truncated: $(cat "$host_file")"
grep -qx ENOTSUP "$host_file" || fail "reopening stdout did not give a pipe: $(cat "$host_file")"
pass "the host file cannot be read or truncated through /proc/self/fd/1"

# A background reader left by exec -i must not read our stdin once the CLI has gone.
mkfifo "$TEST_TMP/stdin"
exec 7<>"$TEST_TMP/stdin" # held open by us: the host's "terminal" that is typed into later
# (sh gives a background job /dev/null as its stdin unless told otherwise: hence 3<&0.)
timeout 60 "$CONTAINERV" exec -i victim sh -c 'exec 3<&0; (sleep 1; cat <&3 >/tmp/stolen) >/dev/null 2>&1 & exit 0' <&7 ||
	fail "exec -i: exit $?"
printf 'typed-after-exit\n' >&7
sleep 2
exec 7>&-
cv 0 exec victim sh -c 'cat /tmp/stolen 2>/dev/null; true'
[[ "$OUT" != *typed-after-exit* ]] || fail "a background reader of exec -i read the host's stdin after the CLI exited"
pass "a background reader left by exec -i reads end-of-file, not the host's stdin"

# -t: the terminal is the container's own (its devpts), not one of the host.
if command -v script >/dev/null; then
	OUT=$(timeout 60 script -qec "$(printf '%q' "$CONTAINERV") exec -t victim /cv-attack stdio" /dev/null </dev/null |
		tr -d '\r')
	host_pts_dev=$(stat -c %d /dev/pts/ptmx)
	grep -q '^self 0 [0-9]* [0-9]* chr$' <<<"$OUT" || fail "exec -t: stdin is not a terminal: $OUT"
	while read -r owner fd d i type; do
		[ "$d" != "$host_pts_dev" ] || fail "exec -t: $owner fd $fd is a terminal of the host's devpts: $OUT"
	done < <(grep -E '^(self|init) ' <<<"$OUT")
	OUT=$(timeout 60 script -qec "$(printf '%q' "$CONTAINERV") run -t --rm --network none ${mounts[*]} --rootfs $(printf '%q' "$CV_TEST_ROOTFS") /cv-attack stdio" /dev/null </dev/null | tr -d '\r')
	grep -q '^self 0 [0-9]* [0-9]* chr$' <<<"$OUT" || fail "run -t: stdin is not a terminal: $OUT"
	while read -r owner fd d i type; do
		[ "$d" != "$host_pts_dev" ] || fail "run -t: $owner fd $fd is a terminal of the host's devpts: $OUT"
	done < <(grep -E '^(self|init) ' <<<"$OUT")
	pass "-t: a terminal of the container's own devpts"
fi

# stdout and stderr stay apart, and keep their order when they are one file; exit codes come through.
OUT=$(timeout 60 "$CONTAINERV" exec victim sh -c 'echo out; echo err >&2; exit 4' 2>"$TEST_TMP/err") && fail "exit 0"
[ "$OUT" = out ] && [ "$(cat "$TEST_TMP/err")" = err ] || fail "streams mixed: '$OUT' / '$(cat "$TEST_TMP/err")'"
OUT=$(timeout 60 "$CONTAINERV" exec victim sh -c 'for i in 1 2 3; do echo o$i; echo e$i >&2; done' 2>&1)
[ "$OUT" = $'o1\ne1\no2\ne2\no3\ne3' ] || fail "2>&1 lost the order: $OUT"
pass "stdout and stderr relayed apart, in order when one"

# A process that writes much before it reads its stdin, while much is piped in: the CLI must keep relaying
# its output while its stdin pipe (or terminal) is full, or neither side ever moves again (and the CLI,
# stuck in a write, could not even be signalled out of it).
# (|| true: SIGPIPE when the process never reads)
big_input() { head -c 1000000 /dev/zero || true; }
big_lines() { head -c 1000000 /dev/zero | tr '\0' x | fold -w 70 || true; }
OUT=$(big_input | timeout -s KILL 30 "$CONTAINERV" run -i --rm --network none --rootfs "$CV_TEST_ROOTFS" \
	sh -c 'seq 1 200000; wc -c' | tail -2) || fail "run -i with a full stdin pipe: exit $? (deadlock)"
[ "$OUT" = $'200000\n1000000' ] || fail "run -i with a full stdin pipe: $OUT"
OUT=$(big_input | timeout -s KILL 30 "$CONTAINERV" exec -i victim sh -c 'seq 1 200000; wc -c' | tail -2) ||
	fail "exec -i with a full stdin pipe: exit $? (deadlock)"
[ "$OUT" = $'200000\n1000000' ] || fail "exec -i with a full stdin pipe: $OUT"
OUT=$(big_input | timeout -s KILL 30 "$CONTAINERV" exec -i victim sh -c 'seq 1 200000' | tail -1) ||
	fail "exec -i, stdin never read: exit $? (deadlock)"
[ "$OUT" = 200000 ] || fail "exec -i, stdin never read: $OUT"
OUT=$(big_lines | timeout -s KILL 30 "$CONTAINERV" exec -i -t victim \
	sh -c 'sleep 1; seq 1 200000 | tail -1' | tail -c 200) || fail "exec -it, a full terminal: exit $? (deadlock)"
[[ "$OUT" == *200000* ]] || fail "exec -it, a full terminal: $OUT"
pass "a process that does not read its stdin yet does not stop the relay of its output"

cv 0 rm -f victim detached
[ -z "$("$CONTAINERV" ps -aq)" ] || fail "containers left"
echo "all stdio tests passed"
