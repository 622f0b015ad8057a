#!/usr/bin/env bash
# ps as docker documents it: --filter (id, name, label, status, exited, ancestor, network, volume;
# values of one key are alternatives, different keys all apply), -n/-l (the last created, any state),
# -s (the writable layer's size), --format 'table ...' with docker's column titles as the header.
# A bad filter: one line, exit 125.
#
# Needs root. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs).
source "$(dirname "$0")/lib.sh"

cv 0 import "$CV_TEST_ROOTFS" psbase:1
cv 0 volume create psvol
cv 0 network create psnet
cv 0 run -d --name web-1 --label tier=front --network psnet psbase:1 sleep 1000
ids+=("$OUT")
cv 0 run -d --name db-1 --label tier=back -v psvol:/data --rootfs "$CV_TEST_ROOTFS" sleep 1000
ids+=("$OUT")
cv 0 run -d --name failed psbase:1 sh -c 'exit 3'
ids+=("$OUT")
cv 0 wait failed
cv 0 create --name fresh psbase:1 true
ids+=("$OUT")

names() { cv 0 ps "$@" --format '{{.Names}}'; [ -z "$OUT" ] || echo "$OUT" | sort | tr '\n' ' '; }
[ "$(names --filter name=web)" = "web-1 " ] || fail "name filter: $(names --filter name=web)"
[ "$(names --filter label=tier)" = "db-1 web-1 " ] || fail "label filter"
[ "$(names --filter label=tier=back)" = "db-1 " ] || fail "label=KEY=VALUE filter"
[ "$(names --filter status=exited)" = "failed " ] || fail "status=exited: $(names --filter status=exited)"
[ "$(names --filter status=created)" = "fresh " ] || fail "status=created"
[ "$(names --filter status=running --filter status=created)" = "db-1 fresh web-1 " ] || fail "two statuses are alternatives"
[ "$(names -a --filter exited=3)" = "failed " ] || fail "exited=3"
[ "$(names -a --filter exited=0)" = "" ] || fail "exited=0 matched"
[ "$(names -a --filter ancestor=psbase:1)" = "failed fresh web-1 " ] || fail "ancestor: $(names -a --filter ancestor=psbase:1)"
[ "$(names --filter network=psnet)" = "web-1 " ] || fail "network filter: $(names --filter network=psnet)"
[ "$(names --filter volume=psvol)" = "db-1 " ] || fail "volume filter by name"
[ "$(names --filter volume=/data)" = "db-1 " ] || fail "volume filter by destination"
[ "$(names --filter name=web --filter label=tier=back)" = "" ] || fail "different keys must all match"
db_id=$("$CONTAINERV" inspect -f '{{.Id}}' db-1)
[ "$(names --filter "id=${db_id:0:8}")" = "db-1 " ] || fail "id prefix filter"
cv 125 ps --filter bogus=1
one_error_line "unknown key"
cv 125 ps --filter status=sleeping
one_error_line "status"
cv 125 ps --filter name
one_error_line "KEY=VALUE"
pass "ps --filter: each key, alternatives within a key, all keys together, bad filters refused"

[ "$(names -n 2)" = "failed fresh " ] || fail "-n 2: $(names -n 2)"
[ "$(names -l)" = "fresh " ] || fail "-l: $(names -l)"
pass "ps -n/-l: the last created containers, any state"

cv 0 exec db-1 sh -c 'head -c 300000 /dev/zero >/big'
cv 0 ps -s --filter name=db-1
header=$(echo "$OUT" | head -1)
[[ "$header" == *"NAMES"*"SIZE" ]] || fail "ps -s header: $header"
[[ "$(echo "$OUT" | tail -1)" =~ (30[0-9]kB|3[0-9][0-9]kB)$ ]] || fail "ps -s size: $OUT"
pass "ps -s: the writable layer's size"

cv 0 ps --format 'table {{.Names}}\t{{.Status}}' --filter name=web-1
[ "$(echo "$OUT" | head -1 | tr -s ' ')" = "NAMES STATUS" ] || fail "table header: $OUT"
[[ "$(echo "$OUT" | sed -n 2p)" == "web-1   Up "* ]] || fail "table row: $OUT"
cv 0 ps --format 'table {{.ID}}\t{{.Image}}' --filter name=web-1
[ "$(echo "$OUT" | head -1 | tr -s ' ')" = "CONTAINER ID IMAGE" ] || fail "table header ID/IMAGE: $OUT"
pass "ps --format 'table ...': docker's titles as header, columns aligned"

cv 0 rm -f web-1 db-1 failed fresh
cv 0 network rm psnet
cv 0 volume rm psvol
assert_clean "ps"
