#!/usr/bin/env bash
# docker's container and system commands beyond the basics, asserting what docker documents:
# restart (a new main process, same container), rename (the old name free again), attach (the
# output from now on, signals proxied, the container's exit code), diff (A/C/D against the image),
# export (the root filesystem as a tar, not its volumes), history / image history, info, container
# prune and system prune [-a] [--volumes] (stopped containers only), and the `container ...` /
# `image ...` spellings. Bad input: one line, a non-zero exit, nothing changed.
#
# Needs root and tar. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs).
source "$(dirname "$0")/lib.sh"

cv 0 import "$CV_TEST_ROOTFS" base:1
base_id=$OUT

# ---- restart ----
cv 0 run -d --name counter base:1 sh -c 'echo started; sleep 1000'
counter=$OUT
ids+=("$counter")
cv 0 inspect -f '{{.State.Pid}}' counter
first_pid=$OUT
cv 0 restart -t 1 counter
[ "$OUT" = counter ] || fail "restart prints the container: $OUT"
cv 0 inspect -f '{{.State.Status}} {{.State.Pid}}' counter
[[ "$OUT" == "running "* ]] || fail "running after restart: $OUT"
[ "${OUT#running }" != "$first_pid" ] || fail "restart kept the same main process $first_pid"
wait_for "two starts in the log" sh -c "[ \$('$CONTAINERV' logs counter | grep -c started) = 2 ]"
cv 0 run -d --name once base:1 sh -c 'echo ran'
ids+=("$OUT")
cv 0 wait once
cv 0 restart once
wait_for "an exited container restarted" sh -c "[ \$('$CONTAINERV' logs once | grep -c ran) = 2 ]"
cv 1 restart nosuch
one_error_line "nosuch"
pass "restart: a new main process in the same container, running or exited"

# ---- rename ----
cv 0 rename counter renamed
cv 0 inspect -f '{{.Name}}' "$counter"
[ "$OUT" = /renamed ] || [ "$OUT" = renamed ] || fail "inspect after rename: $OUT"
cv 0 inspect -f '{{.Id}}' renamed
[ "$OUT" = "$counter" ] || fail "the new name opens the container: $OUT"
cv 1 inspect counter
cv 0 create --name counter base:1 true
ids+=("$OUT")
pass "rename: the new name opens the container and the old one is free again"
cv 1 rename renamed once
one_error_line "already in use"
cv 1 rename renamed 'bad/name'
one_error_line "invalid container name"
cv 1 rename renamed renamed
one_error_line
cv 0 inspect -f '{{.Id}}' renamed
[ "$OUT" = "$counter" ] || fail "a refused rename changed the name"
cv 125 rename renamed
pass "rename: a taken, invalid or same name is refused in one line and changes nothing"

# ---- attach ----
cv 0 run -d --name ticker base:1 sh -c 'trap "echo got-term; echo bye >&2; exit 3" TERM; while :; do echo tick; sleep 0.1; done'
ids+=("$OUT")
"$CONTAINERV" attach ticker >"$TEST_TMP/attach.out" 2>"$TEST_TMP/attach.err" &
attach=$!
wait_for "attached output" grep -q tick "$TEST_TMP/attach.out"
kill -TERM "$attach"
wait_code "$attach"
[ "$CODE" = 3 ] || fail "attach exits with the container's code 3, got $CODE"
grep -qx got-term "$TEST_TMP/attach.out" || fail "SIGTERM was not proxied: $(tail -3 "$TEST_TMP/attach.out")"
[ "$(cat "$TEST_TMP/attach.err")" = bye ] || fail "stderr kept apart: $(cat "$TEST_TMP/attach.err")"
cv 1 attach ticker
one_error_line "stopped container"
pass "attach: output from now on with stderr apart, SIGTERM proxied, the container's exit code"

# ---- diff ----
cv 0 create --name fresh base:1 true
ids+=("$OUT")
cv 0 diff fresh
[ -z "$OUT" ] || fail "a never-started container has changes: $OUT"
cv 0 run --name changer -v "$TEST_TMP:/data" -v "$TEST_TMP:/deep/er/mount" base:1 sh -c \
	'echo new >/added; rm /etc/group; echo x >>/etc/passwd; mkdir -p /tmp/d/e; echo f >/tmp/d/e/f; echo v >/data/vol-file'
cv 0 inspect -f '{{.Id}}' changer
ids+=("$OUT")
cv 0 diff changer
expected='A /added
C /etc
D /etc/group
C /etc/passwd
C /tmp
A /tmp/d
A /tmp/d/e
A /tmp/d/e/f'
[ "$OUT" = "$expected" ] || fail "diff: got
$OUT
expected
$expected"
cv 0 container diff renamed
[ -z "$OUT" ] || fail "a running container that changed nothing has changes: $OUT"
pass "diff: A/C/D against the image, sorted; volumes, mount targets and a fresh container are no changes"

# ---- export ----
"$CONTAINERV" export changer >"$TEST_TMP/changer.tar" || fail "export to stdout"
tar -tf "$TEST_TMP/changer.tar" >"$TEST_TMP/changer.list"
grep -qx added "$TEST_TMP/changer.list" || fail "export lacks the added file"
grep -qx 'bin/busybox' "$TEST_TMP/changer.list" || fail "export lacks the image's files"
! grep -q '^etc/group$' "$TEST_TMP/changer.list" || fail "export has the deleted file"
! grep -q vol-file "$TEST_TMP/changer.list" || fail "export has a volume's file"
! grep -q '^/' "$TEST_TMP/changer.list" || fail "export names are absolute"
[ "$(tar -xOf "$TEST_TMP/changer.tar" added)" = new ] || fail "export: the added file's content"
cv 0 container export -o "$TEST_TMP/ticker.tar" ticker
# Listed to a file first: grep -q quitting early would fail the pipeline (pipefail) with tar's SIGPIPE.
tar -tf "$TEST_TMP/ticker.tar" >"$TEST_TMP/ticker.list"
grep -qx 'bin/sh' "$TEST_TMP/ticker.list" || fail "export -o of an exited container"
cv 0 run -d --name live -v "$TEST_TMP:/data" base:1 sleep 1000
ids+=("$OUT")
cv 0 export -o "$TEST_TMP/live.tar" live
tar -tf "$TEST_TMP/live.tar" >"$TEST_TMP/live.list"
grep -qx 'bin/sh' "$TEST_TMP/live.list" || fail "export of a running container lacks its files"
! grep -q 'vol-file\|^proc/.\|^sys/.' "$TEST_TMP/live.list" || fail "export of a running container has mounts: $(grep 'vol-file\|^proc/.\|^sys/.' "$TEST_TMP/live.list" | head -3)"
cv 1 export -o "$TEST_TMP/none.tar" nosuch
one_error_line
[ ! -e "$TEST_TMP/none.tar" ] && [ -z "$(ls "$TEST_TMP" | grep 'none.tar')" ] || fail "a failed export left a file"
pass "export: the root filesystem as a tar (stdout or -o), running or not, without volumes or /proc"

# ---- history ----
cv 0 commit changer committed:1
cv 0 history committed:1
[ "$(printf '%s\n' "$OUT" | head -1)" = "$(printf 'IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT' | sed 's/\t/ /g')" ] ||
	[[ "$(printf '%s\n' "$OUT" | head -1)" == "IMAGE "*"CREATED "*"CREATED BY "*"SIZE "*"COMMENT" ]] || fail "history header: $OUT"
[ "$(printf '%s\n' "$OUT" | wc -l)" = 3 ] || fail "history of a commit on an import: two rows expected: $OUT"
cv 0 image history --format '{{.ID}}|{{.CreatedBy}}' committed:1
expected_top="$(echo "$OUT" | head -1)"
[[ "$expected_top" == *"|containerv commit" ]] || fail "history: the newest row is the commit: $OUT"
[ "$(echo "$OUT" | sed -n 2p)" = "<missing>|containerv import" ] || fail "history: the older row: $OUT"
cv 0 history -q --no-trunc base:1
[ "$OUT" = "$base_id" ] || fail "history -q --no-trunc: $OUT (image $base_id)"
cv 1 history nosuch:1
one_error_line "not found"
pass "history / image history: newest first, the image id on top, <missing> below"

# ---- info ----
cv 0 info --format '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}}'
running=$("$CONTAINERV" ps -q | wc -l)
all=$("$CONTAINERV" ps -aq | wc -l)
[ "$OUT" = "$all $running 0 $((all - running)) 2" ] || fail "info counts: $OUT (ps: $all, $running running, 2 images)"
cv 0 system info
[[ "$OUT" == *"Containers: $all"* && "$OUT" == *"Storage Driver: overlay"* && "$OUT" == *"Kernel Version: $(uname -r)"* ]] ||
	fail "info: $OUT"
pass "info: container and image counts, drivers and host"

# ---- prune ----
cv 0 volume create keep-me
cv 0 container prune -f
[[ "$OUT" == "Deleted Containers:"* ]] || fail "container prune output: $OUT"
running_ids=$("$CONTAINERV" ps -q --no-trunc | sort)
[ "$("$CONTAINERV" ps -aq --no-trunc | sort)" = "$running_ids" ] || fail "container prune left stopped containers"
[ "$(echo "$running_ids" | wc -l)" = 2 ] || fail "container prune removed running containers"
pass "container prune: every created or exited container, no running one"
cv 0 run --name stopped-again base:1 true
cv 0 system prune -f
[[ "$OUT" == *"Deleted Containers:"* ]] || fail "system prune: $OUT"
cv 0 volume ls -q
[ "$OUT" = keep-me ] || fail "system prune without --volumes removed a volume: $OUT"
cv 0 images -q
[ "$(echo "$OUT" | wc -l)" = 2 ] || fail "system prune without -a removed a named image: $OUT"
cv 0 rm -f renamed live
cv 0 system prune -a -f --volumes
[[ "$OUT" == *"Deleted Volumes:"*keep-me* ]] || fail "system prune --volumes: $OUT"
cv 0 images -q
[ -z "$OUT" ] || fail "system prune -a left images: $OUT"
cv 0 volume ls -q
[ -z "$OUT" ] || fail "system prune --volumes left volumes: $OUT"
pass "system prune: stopped containers, unused networks; -a every unused image; --volumes unused volumes"

# ---- namespaced spellings ----
cv 0 image import "$CV_TEST_ROOTFS" base:2
cv 0 container run -d --name spelled base:2 sleep 1000
ids+=("$OUT")
cv 0 container ls --format '{{.Names}}'
[ "$OUT" = spelled ] || fail "container ls: $OUT"
cv 0 container inspect -f '{{.State.Running}}' spelled
[ "$OUT" = true ] || fail "container inspect: $OUT"
cv 0 container stop -t 1 spelled
cv 0 container rm spelled
cv 0 image ls -q
[ -n "$OUT" ] || fail "image ls"
cv 0 image rm base:2
cv 125 container frobnicate
one_error_line
pass "container ... and image ... spellings of the commands"

assert_clean "commands"
