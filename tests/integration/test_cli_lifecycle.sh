#!/usr/bin/env bash
# containerv's lifecycle commands on detached containers: run -d, ps, logs,
# exec, top, stats, inspect, cp, stop, kill, wait, start, create, rm; names,
# full ids and id prefixes; and that rm leaves nothing behind.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a
# busybox root filesystem directory).
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"

ticker='echo started; i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done'

# run -d prints the full id and returns at once; the container outlives the CLI.
cv 0 run -d --name web --label app=demo --rootfs "$CV_TEST_ROOTFS" sh -c "$ticker"
[[ "$OUT" =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed '$OUT', not a full id"
web=$OUT
ids+=("$web")
log_has() { grep -q "$2" <<<"$("$CONTAINERV" logs "$1")"; }
wait_for "web's output" log_has web "tick 2"
pass "run -d"

# ps: running only by default, -a for all, -q ids, --no-trunc full ids, json.
cv 0 run --name done --rootfs "$CV_TEST_ROOTFS" true
cv 0 ps
[ "$(printf '%s\n' "$OUT" | wc -l)" = 2 ] || fail "ps shows more than the header and web: $OUT"
[[ "$(printf '%s\n' "$OUT" | head -1)" == "CONTAINER ID"*"COMMAND"*"CREATED"*"STATUS"*"NAMES" ]] ||
	fail "ps header: $OUT"
[[ "$OUT" == *"${web:0:12}"*"Up "*web* ]] || fail "ps row for web: $OUT"
cv 0 ps -a
[[ "$OUT" == *"Exited (0)"*done* ]] || fail "ps -a lacks the exited container: $OUT"
cv 0 ps -q
[ "$OUT" = "${web:0:12}" ] || fail "ps -q: '$OUT'"
cv 0 ps -q --no-trunc
[ "$OUT" = "$web" ] || fail "ps -q --no-trunc: '$OUT'"
cv 0 ps -a --format json
[ "$(printf '%s\n' "$OUT" | jq -r 'select(.Names == "web") | .State')" = running ] || fail "ps json: $OUT"
cv 0 rm done
pass "ps"

# Names, full ids and unique prefixes all open a container.
for reference in web "$web" "${web:0:5}"; do
	cv 0 inspect -f '{{.Id}}' "$reference"
	[ "$OUT" = "$web" ] || fail "inspect $reference gave '$OUT'"
done
pass "name, id and id prefix"

# logs, --tail, -f (which ends once the container has stopped and the log is read).
cv 0 logs web
[ "$(printf '%s\n' "$OUT" | head -1)" = started ] || fail "logs: $OUT"
cv 0 logs --tail 2 web
[ "$(printf '%s\n' "$OUT" | wc -l)" = 2 ] && [[ "$OUT" == "tick "* ]] || fail "logs --tail 2: $OUT"
cv 0 logs -n 0 web
[ -z "$OUT" ] || fail "logs --tail 0 printed: $OUT"
cv 125 logs --tail many web
one_error_line '--tail'

# exec: exit codes, environment, workdir, user, errors.
cv 4 exec web sh -c 'exit 4'
cv 0 exec -e EXTRA=1 -w /tmp -u 1000:1000 web sh -c 'echo "$EXTRA $(pwd) $(id -u):$(id -g)"; command -v ls'
mapfile -t lines <<<"$OUT"
[ "${lines[0]}" = "1 /tmp 1000:1000" ] || fail "exec -e -w -u: '${lines[0]}'"
[ -n "${lines[1]:-}" ] || fail "exec -e lost PATH"
cv 0 exec web hostname
[ "$OUT" = "${web:0:12}" ] || fail "exec hostname: '$OUT'"
cv 127 exec web nosuchcommand
one_error_line
cv 126 exec web /etc/passwd
one_error_line
cv 0 exec -d web sh -c 'echo detached > /tmp/exec-d'
wait_for "exec -d's file" "$CONTAINERV" exec web test -s /tmp/exec-d
set +e
OUT=$(echo piped-in | timeout 60 "$CONTAINERV" exec -i web cat)
set -e
[ "$OUT" = piped-in ] || fail "exec -i: '$OUT'"
pass "exec"

# top and stats.
cv 0 top web
[[ "$(printf '%s\n' "$OUT" | head -1)" == PID*USER*TIME*CMD ]] || fail "top header: $OUT"
[[ "$OUT" == *"sh -c"* ]] || fail "top lacks the main process: $OUT"
cv 0 stats --no-stream
[[ "$OUT" == "CONTAINER ID"*"CPU %"*"MEM USAGE / LIMIT"*"MEM %"*"NET I/O"*"BLOCK I/O"*PIDS* ]] ||
	fail "stats header: $OUT"
[[ "$OUT" == *"${web:0:12}"*web* ]] || fail "stats row: $OUT"
cv 0 stats --no-stream --format json web
[ "$(printf '%s\n' "$OUT" | jq -r .Name)" = web ] || fail "stats json: $OUT"
[ "$(printf '%s\n' "$OUT" | jq -r '.PIDs | tonumber > 0')" = true ] || fail "stats json PIDs: $OUT"
pass "top, stats"

# cp both ways, files and directories.
mkdir -p "$TEST_TMP/tree/sub"
echo file-content >"$TEST_TMP/tree/sub/file"
chmod 750 "$TEST_TMP/tree/sub/file"
cv 0 cp "$TEST_TMP/tree" web:/tmp/tree
cv 0 exec web cat /tmp/tree/sub/file
[ "$OUT" = file-content ] || fail "cp into the container: '$OUT'"
cv 0 cp web:/tmp/tree "$TEST_TMP/back"
diff -r "$TEST_TMP/tree" "$TEST_TMP/back" || fail "cp round trip differs"
[ "$(stat -c %a "$TEST_TMP/back/sub/file")" = 750 ] || fail "cp lost the mode"
cv 1 cp web:/nonexistent "$TEST_TMP/none"
one_error_line
cv 125 cp "$TEST_TMP/tree" "$TEST_TMP/tree2"
one_error_line
pass "cp"

# rm refuses a running container without -f.
cv 1 rm web
one_error_line "container web is running: stop it first or use -f"

# logs -f follows until the container stops; stop sends SIGTERM (exit 143).
timeout 60 "$CONTAINERV" logs -f web >"$TEST_TMP/follow.out" &
follower=$!
sleep 0.5
cv 0 stop -t 5 web
[ "$OUT" = web ] || fail "stop printed '$OUT'"
set +e
wait "$follower"
CODE=$?
set -e
[ "$CODE" = 0 ] || fail "logs -f exit $CODE"
[ "$(tail -1 "$TEST_TMP/follow.out")" = "$(timeout 10 "$CONTAINERV" logs --tail 1 web)" ] ||
	fail "logs -f missed the end of the log"
cv 0 wait web
[ "$OUT" = 143 ] || fail "wait after stop printed '$OUT'"
pass "logs -f, stop, wait"

# inspect.
cv 0 inspect web
printf '%s\n' "$OUT" | jq -e 'type == "array" and length == 1' >/dev/null || fail "inspect is not an array: $OUT"
state=$(printf '%s\n' "$OUT" | jq -c '.[0].State | {Status, Running, ExitCode, OOMKilled}')
[ "$state" = '{"Status":"exited","Running":false,"ExitCode":143,"OOMKilled":false}' ] || fail "inspect State: $state"
[ "$(printf '%s\n' "$OUT" | jq -r '.[0].Name')" = /web ] || fail "inspect Name"
[ "$(printf '%s\n' "$OUT" | jq -r '.[0].Config.Cmd[0]')" = sh ] || fail "inspect Config.Cmd"
[[ "$(printf '%s\n' "$OUT" | jq -r '.[0].Created')" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]] ||
	fail "inspect Created is not RFC 3339"
if [ "$(printf '%s\n' "$OUT" | jq -r '.[0].Config.Labels')" != null ]; then
	[ "$(printf '%s\n' "$OUT" | jq -r '.[0].Config.Labels.app')" = demo ] || fail "inspect Labels"
else
	echo "note: the library does not report labels yet (containerv_get_strings)"
fi
cv 0 inspect -f '{{.State.Status}}/{{.State.Running}}' web
[ "$OUT" = exited/false ] || fail "inspect template: '$OUT'"
cv 1 inspect web nosuch
[ "$(printf '%s\n' "$OUT" | jq length)" = 1 ] || fail "inspect with an unknown name"
one_error_line nosuch
pass "inspect"

# start again, kill with a signal name and a number.
cv 0 start web
cv 0 inspect -f '{{.State.Running}}' web
[ "$OUT" = true ] || fail "start did not start web"
cv 0 kill -s SIGKILL web
cv 0 wait web
[ "$OUT" = 137 ] || fail "wait after kill -s SIGKILL printed '$OUT'"
cv 1 kill web
one_error_line "not running"
cv 125 kill -s NOSUCHSIGNAL web
one_error_line
cv 0 run -d --name trapper --rootfs "$CV_TEST_ROOTFS" sh -c 'trap "exit 11" USR1; while :; do sleep 0.1; done'
ids+=("$OUT")
sleep 0.3
cv 0 kill -s 10 trapper
cv 0 wait trapper
[ "$OUT" = 11 ] || fail "kill -s 10 (USR1) gave '$OUT'"
pass "start, kill -s"

# create then start -a: the exit code comes from the container.
cv 0 create --name later --rootfs "$CV_TEST_ROOTFS" sh -c 'echo later-output; exit 9'
later=$OUT
ids+=("$later")
cv 0 ps -a --format '{{.Names}} {{.Status}}'
[[ "$OUT" == *"later Created"* ]] || fail "created container in ps: $OUT"
cv 9 start -a later
[ "$OUT" = later-output ] || fail "start -a printed '$OUT'"
pass "create, start -a"

# Limits show up in inspect.
cv 0 run -d --name limited --memory 64m --cpus 0.5 --cpu-shares 512 --pids-limit 100 --cpuset-cpus 0 \
	--rootfs "$CV_TEST_ROOTFS" sleep 60
ids+=("$OUT")
cv 0 inspect -f '{{json .HostConfig}}' limited
host=$(printf '%s\n' "$OUT" | jq -c '{Memory, NanoCpus, CpuShares, PidsLimit, CpusetCpus}')
[ "$host" = '{"Memory":67108864,"NanoCpus":500000000,"CpuShares":512,"PidsLimit":100,"CpusetCpus":"0"}' ] ||
	fail "inspect HostConfig: $host"
cv 0 stats --no-stream --format '{{.MemUsage}}' limited
[[ "$OUT" == *" / 64MiB" ]] || fail "stats memory limit: '$OUT'"
pass "limits"

# rm -f removes running and exited containers and leaves nothing.
cv 0 rm -f web trapper later limited
[ -z "$("$CONTAINERV" ps -aq)" ] || fail "containers left after rm -f"
for id in "${ids[@]}"; do assert_gone "$id"; done
! grep -q "$CONTAINERV_ROOT" /proc/self/mountinfo || fail "mounts under the state root left"
cv 1 rm web
one_error_line web
pass "rm -f leaves nothing behind"

echo "all lifecycle tests passed"
