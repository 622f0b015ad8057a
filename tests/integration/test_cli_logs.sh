#!/usr/bin/env bash
# logs: stdout and stderr kept apart, timestamps, --since/--until, --tail, -f, rotation bounding the
# disk (--log-opt max-size/max-file), hostile output (a huge line, NULs, escapes), nothing left behind.
source "$(dirname "$0")/lib.sh"

run_detached() { # NAME ARGS...: run -d, remember the id
	local name=$1
	shift
	cv 0 run -d --network none --name "$name" "$@"
	ids+=("$OUT")
}

# Streams: each line goes back to the descriptor it was written to.
run_detached split --rootfs "$CV_TEST_ROOTFS" sh -c 'echo out-1; echo err-1 >&2; echo out-2; echo err-2 >&2'
cv 0 wait split
stdout_only=$(timeout 30 "$CONTAINERV" logs split 2>/dev/null)
stderr_only=$(timeout 30 "$CONTAINERV" logs split 2>&1 >/dev/null)
[ "$stdout_only" = $'out-1\nout-2' ] || fail "logs 2>/dev/null: $stdout_only"
[ "$stderr_only" = $'err-1\nerr-2' ] || fail "logs >/dev/null: $stderr_only"
pass "logs: stdout lines on stdout, stderr lines on stderr"

# Timestamps: RFC 3339 with nanoseconds, one per line, in order.
cv 0 logs -t split
times=$(printf '%s\n' "$OUT" | cut -d' ' -f1)
[ "$(printf '%s\n' "$times" | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$')" = 2 ] ||
	fail "logs -t: $OUT"
[ "$(printf '%s\n' "$times" | sort -c && echo sorted)" = sorted ] || fail "logs -t: not in order: $OUT"
[[ "$OUT" == *"Z out-1"* ]] || fail "logs -t: the line after its time: $OUT"
pass "logs -t: each line with its time, in order"

# --since/--until: a line before and a line after a pause; a time between them splits them.
run_detached timed --rootfs "$CV_TEST_ROOTFS" sh -c 'echo early; sleep 2; echo late'
cv 0 wait timed
cv 0 logs -t timed
late_time=$(printf '%s\n' "$OUT" | grep ' late$' | cut -d' ' -f1)
early_time=$(printf '%s\n' "$OUT" | grep ' early$' | cut -d' ' -f1)
middle=$(($(date -d "$early_time" +%s) + 1))
cv 0 logs --since "$middle" timed
[ "$OUT" = late ] || fail "logs --since $middle: $OUT"
cv 0 logs --until "$middle" timed
[ "$OUT" = early ] || fail "logs --until $middle: $OUT"
cv 0 logs --since "$late_time" timed
[ "$OUT" = late ] || fail "logs --since $late_time (RFC 3339): $OUT"
cv 0 logs --since 10m timed
[ "$OUT" = $'early\nlate' ] || fail "logs --since 10m: $OUT"
cv 0 logs --until 10m timed
[ -z "$OUT" ] || fail "logs --until 10m: $OUT"
cv 125 logs --since yesterday timed
one_error_line "invalid --since"
pass "logs --since/--until: RFC 3339, Unix seconds and durations"

# --tail: the last N lines, 0 none, all everything.
cv 0 logs --tail 1 timed
[ "$OUT" = late ] || fail "logs --tail 1: $OUT"
cv 0 logs -n 2 timed
[ "$OUT" = $'early\nlate' ] || fail "logs -n 2: $OUT"
cv 0 logs --tail 0 split
[ -z "$OUT$ERR" ] || fail "logs --tail 0: $OUT $ERR"
cv 0 logs --tail all split
[ "$OUT" = $'out-1\nout-2' ] && [ "$ERR" = $'err-1\nerr-2' ] || fail "logs --tail all: $OUT $ERR"
cv 125 logs --tail -3 split
one_error_line "invalid --tail"
pass "logs --tail"

# -f: sees lines written after it started, and returns when the container ends.
run_detached follow --rootfs "$CV_TEST_ROOTFS" sh -c 'echo first; sleep 2; echo second >&2; sleep 1; echo third'
timeout 30 "$CONTAINERV" logs -f follow >"$TEST_TMP/follow.out" 2>"$TEST_TMP/follow.err" ||
	fail "logs -f: exit $?"
[ "$(cat "$TEST_TMP/follow.out")" = $'first\nthird' ] || fail "logs -f stdout: $(cat "$TEST_TMP/follow.out")"
[ "$(cat "$TEST_TMP/follow.err")" = second ] || fail "logs -f stderr: $(cat "$TEST_TMP/follow.err")"
pass "logs -f: follows both streams until the container ends"

# Rotation: a container printing as fast as it can for seconds stays within max-size x max-file (+ one record).
run_detached flood --log-opt max-size=64k --log-opt max-file=2 --rootfs "$CV_TEST_ROOTFS" \
	sh -c 'seq 1 2000000; echo last-line'
flood_id=${ids[-1]}
cv 0 wait flood
log_dir=$CONTAINERV_ROOT/containers/$flood_id/logs
ls "$log_dir" >"$TEST_TMP/flood-files"
[ "$(sort "$TEST_TMP/flood-files" | tr '\n' ' ')" = "container.log container.log.1 " ] ||
	fail "rotation: files $(cat "$TEST_TMP/flood-files")"
total=$(cat "$log_dir"/* | wc -c)
[ "$total" -le $((2 * 65536 + 16384 + 41)) ] || fail "rotation: $total bytes on disk"
[ "$total" -gt 65536 ] || fail "rotation: only $total bytes: the flood did not fill a file"
cv 0 logs --tail 1 flood
[ "$OUT" = last-line ] || fail "logs across rotated files: last line $OUT"
cv 0 logs flood
first=$(printf '%s\n' "$OUT" | head -1)
last=$(printf '%s\n' "$OUT" | tail -2 | head -1)
[ "$last" = 2000000 ] || fail "logs across rotated files: the last number is $last" 
[ "$(printf '%s\n' "$OUT" | wc -l)" = $((last - first + 2)) ] || fail "logs across rotated files: lines missing"
pass "rotation: $total bytes on disk for max-size=64k max-file=2; logs reads both files in order"

cv 125 run --log-opt max-size=lots --rootfs "$CV_TEST_ROOTFS" true
one_error_line "max-size"
cv 125 run --log-opt compress=true --rootfs "$CV_TEST_ROOTFS" true
one_error_line "unknown option"
cv 125 run --log-opt max-file=0 --rootfs "$CV_TEST_ROOTFS" true
one_error_line "max-file"
cv 125 run --log-driver syslog --rootfs "$CV_TEST_ROOTFS" true
one_error_line "syslog"
pass "bad --log-opt and --log-driver values are refused"

# Hostile output: a 1 MiB line without newline, NULs and escapes come back byte for byte; the records stay whole.
run_detached hostile --rootfs "$CV_TEST_ROOTFS" sh -c \
	'head -c 1048576 /dev/zero | tr "\0" x; printf "\033]0;title\007a\0b\rc\nend\n"; printf "fake stderr F injected\n" >&2'
cv 0 wait hostile
timeout 30 "$CONTAINERV" logs hostile >"$TEST_TMP/hostile.out" 2>"$TEST_TMP/hostile.err"
{ head -c 1048576 /dev/zero | tr '\0' x; printf '\033]0;title\007a\0b\rc\nend\n'; } >"$TEST_TMP/hostile.expected"
cmp -s "$TEST_TMP/hostile.out" "$TEST_TMP/hostile.expected" || fail "hostile output not replayed byte for byte"
[ "$(cat "$TEST_TMP/hostile.err")" = "fake stderr F injected" ] || fail "hostile stderr: $(cat "$TEST_TMP/hostile.err")"
hostile_log=$CONTAINERV_ROOT/containers/${ids[-1]}/logs/container.log
awk -v max=$((16384 + 41)) 'length($0) > max { bad = 1 } END { exit bad }' "$hostile_log" ||
	fail "a record longer than its bound"
[ "$(grep -c '^[0-9T:.Z-]* std\(out\|err\) [FP] ' "$hostile_log")" = "$(wc -l <"$hostile_log")" ] ||
	fail "a line of the log is no record"
pass "hostile output: huge line, NUL, escapes replayed as written, records bounded"

# An old log (raw container.log, before records) is still read, as stdout.
run_detached legacy --rootfs "$CV_TEST_ROOTFS" true
cv 0 wait legacy
legacy_id=${ids[-1]}
printf 'old line\n' >"$CONTAINERV_ROOT/containers/$legacy_id/container.log"
cv 0 logs legacy
[ "$OUT" = "old line" ] || fail "old-format log: $OUT"
pass "an old raw container.log is still read"

cv 0 rm -f split timed follow flood hostile legacy
assert_clean "logs"
pass "nothing left behind"
