#!/usr/bin/env bash
# `start A B C ...` starts the containers at once (containerv_start_all, --parallel N at most): all 12
# run, their names come back in the order given, and one whose command does not exist fails alone
# with docker's 127 while the others start. --parallel is checked. Nothing left behind.
#
# Needs root. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs).
source "$(dirname "$0")/lib.sh"

names=()
for i in $(seq 1 12); do
	cv 0 create --name "many$i" --rootfs "$CV_TEST_ROOTFS" --network none sleep 1000
	ids+=("$OUT")
	names+=("many$i")
done
cv 0 create --name broken --rootfs "$CV_TEST_ROOTFS" --network none /no/such/command
ids+=("$OUT")

cv 127 start --parallel 4 "${names[@]:0:6}" broken "${names[@]:6}"
[ "$OUT" = "$(printf '%s\n' "${names[@]}")" ] || fail "start printed: $OUT"
one_error_line "start broken"
cv 0 ps --format '{{.Names}}'
[ "$(grep -c '^many' <<<"$OUT")" = 12 ] || fail "running after start: $OUT"
for name in "${names[@]}"; do
	cv 0 inspect --format '{{.State.Running}}' "$name"
	[ "$OUT" = true ] || fail "$name is not running"
done
pass "start of 13 at once, 4 at a time: 12 run, names in order, the broken one alone fails with 127"

cv 0 stop -t 0 "${names[@]}"
cv 0 start "${names[@]}"
[ "$(wc -l <<<"$OUT")" = 12 ] || fail "restart of 12 with the default concurrency: $OUT"
pass "start again with the default concurrency"

cv 125 start --parallel 0 many1
one_error_line "invalid --parallel 0"
cv 125 start --parallel 17 many1
one_error_line "invalid --parallel 17"
pass "--parallel out of range: one line, 125"

cv 0 rm -f "${names[@]}" broken
assert_clean "start of many"
pass "nothing left behind"
