#!/usr/bin/env bash
# The events journal beyond containers (docker's Type/Action/Actor): exec (exec_create, exec_start,
# exec_die with its exit code), network (create, connect, disconnect, destroy), volume (create, mount,
# unmount, destroy) and image (tag, untag, delete), in order, with --filter type=, network=, volume=,
# and nothing left behind.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")

START=$(date +%s)
events() { cv 0 events --since "$START" --until "$(($(date +%s) + 1))" "$@"; }

cv 0 network create evnet
cv 0 volume create evdata
cv 0 run -d --name ev --network evnet -v evdata:/data busybox sleep 600
id=$OUT
ids+=("$id")
cv 0 exec ev true
set +e
"$CONTAINERV" exec ev sh -c 'exit 3'
[ $? = 3 ] || fail "exec's exit code"
set -e
cv 0 stop -t 1 ev
cv 0 rm ev
cv 0 volume rm evdata
cv 0 network rm evnet

# ---- exec: docker's three, the die with its code, on the container's actor ----
events --filter container=ev --format '{{.Action}}'
execs=$(grep '^exec_' <<<"$OUT" | tr '\n' '|')
[ "$execs" = "exec_create: true|exec_start: true|exec_die|exec_create: sh -c exit 3|exec_start: sh -c exit 3|exec_die|" ] ||
	fail "exec events: $execs"
events --filter container=ev --filter event=exec_die --format '{{json .}}'
codes=$(jq -r '.Actor.Attributes.exitCode' <<<"$OUT" | tr '\n' ' ')
[ "$codes" = "0 3 " ] || fail "exec_die codes: $codes ($OUT)"
jq -e 'select(.Actor.Attributes.execID | test("^[0-9a-f]{64}$")) | .Type == "container" and .Actor.ID != ""' \
	<<<"$OUT" >/dev/null || fail "exec_die fields: $OUT"
pass "exec: exec_create, exec_start, exec_die (exit 0 and 3, with execID)"

# ---- network: create, connect at the start, disconnect at the end, destroy ----
events --filter type=network --filter network=evnet --format '{{.Type}} {{.Action}} {{.Actor.Attributes.container}}'
[ "$(tr '\n' '|' <<<"$OUT")" = "network create <no value>|network connect $id|network disconnect $id|network destroy <no value>|" ] ||
	fail "network events: $OUT"
events --filter type=network --format '{{json .}}'
jq -se 'map(select(.Action == "create"))[0] | .Actor.Attributes.name == "evnet" and .Actor.Attributes.type == "bridge"' \
	<<<"$OUT" >/dev/null || fail "network create fields: $OUT"
pass "network: create, connect, disconnect, destroy (with container and name)"

# ---- volume: create, mount at the start, unmount at the end, destroy ----
events --filter type=volume --filter volume=evdata --format '{{.Action}} {{.Actor.Attributes.container}} {{.Actor.Attributes.destination}}'
[ "$(tr '\n' '|' <<<"$OUT")" = "create <no value> <no value>|mount $id /data|unmount $id <no value>|destroy <no value> <no value>|" ] || fail "volume events: $OUT"
pass "volume: create, mount, unmount, destroy"

# ---- image: tag, untag, and delete with the last name ----
cv 0 tag busybox evimage:one
cv 0 rmi evimage:one
cv 0 import "$CV_TEST_ROOTFS" evimport:1
cv 0 rmi evimport:1
events --filter type=image --format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}'
got=$(sed 's/ sha256:[0-9a-f]*/ ID/' <<<"$OUT" | tr '\n' '|')
[ "$got" = "tag ID docker.io/library/evimage:one|untag ID docker.io/library/evimage:one|untag ID docker.io/library/evimport:1|delete ID docker.io/library/evimport:1|" ] ||
	fail "image events: $OUT"
# Only the container type when asked for it.
events --filter type=container --format '{{.Type}}'
[ "$(sort -u <<<"$OUT")" = container ] || fail "type=container: $OUT"
pass "image: tag, untag, delete with the last name; --filter type= selects"

assert_clean "events types"
pass "nothing left"
