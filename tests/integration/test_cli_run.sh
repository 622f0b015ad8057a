#!/usr/bin/env bash
# containerv run: output, exit codes (the command's, 125, 126, 127), the
# process environment (hostname, init as PID 1, -e, --env-file, -w, -u),
# stdin with -i, signal forwarding, and that --rm and failed runs leave
# nothing behind (mounts, cgroups, state, processes).
#
# Needs root. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox
# root filesystem directory).
source "$(dirname "$0")/lib.sh"

# run echo; the hostname defaults to the short id, which we keep for the checks.
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" echo hi
[ "$OUT" = hi ] || fail "run echo printed '$OUT'"
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" hostname
[[ "$OUT" =~ ^[0-9a-f]{12}$ ]] || fail "default hostname '$OUT' is not a short id"
ids+=("$OUT")
assert_clean "run --rm"
pass "run --rm echo"

# IMAGE from the rootfs search path.
mkdir -p "$TEST_TMP/images"
ln -s "$(cd "$CV_TEST_ROOTFS" && pwd)" "$TEST_TMP/images/bb"
CONTAINERV_ROOTFS_PATH="/nonexistent:$TEST_TMP/images" cv 0 run --rm bb echo from-image
[ "$OUT" = from-image ] || fail "run IMAGE printed '$OUT'"
CONTAINERV_ROOTFS_PATH="$TEST_TMP/images" cv 125 run --rm --pull never nosuchimage echo x
one_error_line 'nosuchimage'
pass "IMAGE looked up in CONTAINERV_ROOTFS_PATH"

# Exit codes.
cv 3 run --rm --rootfs "$CV_TEST_ROOTFS" sh -c 'exit 3'
pass "exit code propagates"
cv 127 run --rm --rootfs "$CV_TEST_ROOTFS" nosuchcommand
one_error_line
cv 126 run --rm --rootfs "$CV_TEST_ROOTFS" /etc/passwd
one_error_line
assert_clean "commands that cannot run"
pass "127 for a missing command, 126 for a non-executable one"

# Bad flags: 125, one line, nothing created.
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --memory 12XB echo x
one_error_line 'invalid --memory "12XB"'
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --cpus abc echo x
one_error_line '--cpus'
# What this host does not have, refused before anything is made (as docker refuses it).
cpus=$(nproc)
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --cpus $((cpus + 1)) echo x
one_error_line "the range is 0.01 to $cpus.00, as this host has $cpus CPUs"
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --cpuset-cpus 4095 echo x
one_error_line "cpuset cpus \"4095\": this host has CPUs $(cat /sys/devices/system/cpu/online)"
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" -v :/data echo x
one_error_line 'invalid -v ":/data": empty section between colons'
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --pids-limit -5 echo x
one_error_line '--pids-limit'
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --memory-swap 1g echo x
one_error_line '--memory-swap'
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" -u alice echo x
one_error_line '--user'
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --no-such-flag echo x
one_error_line 'unknown flag'
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --env-file "$TEST_TMP/missing.env" echo x
one_error_line 'missing.env'
cv 125 run --rm --rootfs /nonexistent/rootfs echo x
one_error_line '/nonexistent/rootfs'
CONTAINERV_ROOTFS_PATH="$TEST_TMP/images" cv 125 run --rm --pull never no-such-image echo x
one_error_line
assert_clean "bad flags"
pass "bad flags exit 125 with one line and create nothing"

# Duplicate name.
cv 0 run -d --name dup --rootfs "$CV_TEST_ROOTFS" sleep 30
ids+=("${OUT:0:12}")
cv 125 run --rm --name dup --rootfs "$CV_TEST_ROOTFS" echo x
one_error_line
[ "$("$CONTAINERV" ps -aq | wc -l)" = 1 ] || fail "duplicate name created a container"
cv 0 rm -f dup
assert_clean "duplicate name"
pass "duplicate --name exits 125"

# Unknown container.
cv 125 exec nosuchcontainer true
one_error_line 'nosuchcontainer'
cv 1 stop nosuchcontainer
one_error_line 'nosuchcontainer'
pass "unknown container"

# Inside: hostname, our init as PID 1 and the workload not PID 1.
cv 0 run --rm --hostname box1 --rootfs "$CV_TEST_ROOTFS" sh -c 'hostname; echo $$; cat /proc/1/comm'
mapfile -t lines <<<"$OUT"
[ "${lines[0]}" = box1 ] || fail "hostname is '${lines[0]}'"
[ "${lines[1]}" != 1 ] || fail "the workload is PID 1"
[[ "${lines[2]}" == *init* ]] || fail "PID 1 is '${lines[2]}', not containerv's init"
pass "hostname, init as PID 1"

# Environment, working directory, user.
printf '# comment\n\nFROM_FILE=1\nOVERRIDDEN=file\n' >"$TEST_TMP/vars.env"
HOST_ONLY=copied cv 0 run --rm -e A=1 -e "B=two words" --env-file "$TEST_TMP/vars.env" -e OVERRIDDEN=flag \
	-e HOST_ONLY -w /tmp -u 1000:1001 --rootfs "$CV_TEST_ROOTFS" \
	sh -c 'echo "$A|$B|$FROM_FILE|$OVERRIDDEN|$HOST_ONLY"; pwd; id -u; id -g'
mapfile -t lines <<<"$OUT"
[ "${lines[0]}" = "1|two words|1|flag|copied" ] || fail "environment: '${lines[0]}'"
[ "${lines[1]}" = /tmp ] || fail "workdir: '${lines[1]}'"
[ "${lines[2]}" = 1000 ] || fail "uid: '${lines[2]}'"
[ "${lines[3]}" = 1001 ] || fail "gid: '${lines[3]}'"
pass "-e, --env-file, -w, -u"

# Options stop at the image/command: the command's own flags are its own.
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" ls -d /
[ "$OUT" = / ] || fail "ls -d / printed '$OUT'"
pass "flags after the command belong to the command"

# stdin: /dev/null without -i, ours with -i.
set +e
OUT=$(echo piped | timeout 60 "$CONTAINERV" run --rm --rootfs "$CV_TEST_ROOTFS" cat)
CODE=$?
set -e
[ "$CODE" = 0 ] && [ -z "$OUT" ] || fail "without -i stdin should be empty: '$OUT' ($CODE)"
set +e
OUT=$(printf 'echo from-stdin\nexit 7\n' | timeout 60 "$CONTAINERV" run --rm -i --rootfs "$CV_TEST_ROOTFS" sh)
CODE=$?
set -e
[ "$CODE" = 7 ] && [ "$OUT" = from-stdin ] || fail "run -i: '$OUT' ($CODE)"
pass "stdin with and without -i"

# Signals received by an attached CLI reach the container.
for signal in TERM INT HUP; do
	timeout 60 "$CONTAINERV" run --rm --rootfs "$CV_TEST_ROOTFS" \
		sh -c "trap 'echo got-$signal; exit 42' $signal; echo ready; while :; do sleep 0.1; done" \
		>"$TEST_TMP/signal.out" &
	cli=$!
	for _ in $(seq 100); do grep -q ready "$TEST_TMP/signal.out" && break; sleep 0.1; done
	kill -"$signal" "$cli"
	set +e
	wait "$cli"
	CODE=$?
	set -e
	[ "$CODE" = 42 ] || fail "SIG$signal forwarding: exit $CODE"
	grep -q "got-$signal" "$TEST_TMP/signal.out" || fail "SIG$signal did not reach the container"
done
assert_clean "signal forwarding with --rm"
pass "SIGTERM, SIGINT, SIGHUP forwarded to an attached container"

# Without --rm the container stays, exited, with its code.
cv 5 run --name kept --rootfs "$CV_TEST_ROOTFS" sh -c 'exit 5'
cv 0 ps -a --format '{{.Names}} {{.State}}'
[ "$OUT" = "kept exited" ] || fail "ps after run without --rm: '$OUT'"
cv 0 inspect -f '{{.State.ExitCode}}' kept
[ "$OUT" = 5 ] || fail "exit code in inspect: '$OUT'"
cv 0 rm kept
assert_clean "rm of an exited container"
pass "run without --rm keeps the container"

# Usage and version.
cv 0 --help
[[ "$OUT" == *"Commands:"*run*exec*ps* ]] || fail "--help: $OUT"
for command in run create start exec ps logs stop kill rm wait inspect stats top cp; do
	cv 0 "$command" --help
	[[ "$OUT" == "Usage:  containerv $command"* ]] || fail "$command --help: $OUT"
done
cv 0 help ps
[[ "$OUT" == "Usage:  containerv ps"* ]] || fail "help ps: $OUT"
cv 0 version
[[ "$OUT" == "containerv version "* ]] || fail "version: $OUT"
cv 125 no-such-command
one_error_line no-such-command
cv 125 stop
one_error_line 'requires at least 1 argument'
pass "usage, help, version"

# run -d --rm: the container removes itself when its command ends, with nothing left behind.
cv 0 run -d --rm --rootfs "$CV_TEST_ROOTFS" sleep 1
autoremoved=$OUT
[ -n "$("$CONTAINERV" ps -q)" ] || fail "run -d --rm: the container is not running"
no_containers() { [ -z "$("$CONTAINERV" ps -aq)" ]; }
wait_for "the --rm container to remove itself" no_containers
assert_gone "$autoremoved"
pass "run -d --rm"

# run --rm whose CLI is killed (SIGKILL) while the container runs: the container goes once it has
# ended, at the next ps (attached, there is no monitor process: the CLI was to remove it).
killed_run() { # NAME: an attached run --rm whose CLI is SIGKILLed; waits until its init has ended
	"$CONTAINERV" run --rm --name "$1" --rootfs "$CV_TEST_ROOTFS" -v /scratch sleep 1 >/dev/null 2>&1 &
	local cli=$! init
	has_container() { [ -n "$("$CONTAINERV" ps -q)" ]; }
	wait_for "the --rm container to start" has_container
	killed=$("$CONTAINERV" ps -q --no-trunc)
	init=$("$CONTAINERV" inspect -f '{{.State.Pid}}' "$killed")
	kill -9 "$cli"
	wait "$cli" 2>/dev/null || true
	init_ended() { [ ! -e "/proc/$init" ]; }
	wait_for "the init of the killed CLI's container to end" init_ended
}
killed_run killed-rm
wait_for "the container of a killed CLI to be removed by ps" no_containers
assert_gone "$killed"
cv 0 volume ls -q
[ -z "$OUT" ] || fail "the anonymous volume of a killed --rm run was kept: $OUT"
# Its name is free again for a new run, which removes the ended container first.
killed_run killed-rm-name
cv 0 run --rm --name killed-rm-name --rootfs "$CV_TEST_ROOTFS" true
assert_gone "$killed"
cv 0 ps -aq
[ -z "$OUT" ] || fail "containers left after a run took the name of an ended --rm container: $OUT"
pass "run --rm survives a SIGKILL of the CLI (ps, or a run of the same name, removes it)"

# Spare directories: a removed container's directory is kept with nothing but two empty files
# (root's, 0700) and taken by the next create; its upper/ and work/ never are, so no file,
# extended attribute or ACL of one container's root filesystem reaches the next.
spares() { ls -A "$CONTAINERV_ROOT/containers" | grep -cxE '\.spare-[0-9]+' || true; }
spare_is_clean() { # PATH
	[ -z "$(find "$1" -mindepth 1 ! -path "$1/.config.json.spare" ! -path "$1/.state.json.spare")" ] &&
		[ -z "$(find "$1" -mindepth 1 ! -empty)" ] && [ "$(stat -c %U:%a "$1")" = root:700 ]
}
for i in 1 2 3; do cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" true; done
[ "$(spares)" -ge 1 ] && [ "$(spares)" -le 2 ] || fail "--rm runs left $(spares) spare directories (1 or 2 expected)"
for spare in "$CONTAINERV_ROOT"/containers/.spare-*; do
	spare_is_clean "$spare" || fail "spare $spare is not clean: $(find "$spare")"
done
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" sh -c 'echo private > /written-by-one; setfattr -n user.from -v one / 2>/dev/null; true'
for spare in "$CONTAINERV_ROOT"/containers/.spare-*; do
	spare_is_clean "$spare" || fail "spare $spare kept something of the container: $(find "$spare")"
done
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" sh -c 'ls /written-by-one 2>&1 || true'
[[ "$OUT" == *"No such file"* ]] || fail "a new container saw a previous one's file: $OUT"
# A spare that is not clean (someone put a file in it) is never used: it is removed instead.
for spare in "$CONTAINERV_ROOT"/containers/.spare-*; do echo planted >"$spare/planted"; done
cv 0 run --rm --name spare-taker --rootfs "$CV_TEST_ROOTFS" true
! ls "$CONTAINERV_ROOT"/containers/.spare-*/planted >/dev/null 2>&1 || fail "a spare with a planted file was kept"
pass "spare directories: only two empty files kept, taken by the next create, nothing carried across"

echo "all run tests passed"
