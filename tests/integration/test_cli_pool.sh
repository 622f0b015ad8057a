#!/usr/bin/env bash
# Pools: `pool create` keeps held containers of one template, `run --pool` binds a workload (command, env,
# workdir, user, stdio) to one at its release; a keeper refills, converges after SIGKILL (also while takes
# run), ready containers stay out of `ps`, and `pool rm` leaves nothing. Attacked as a workload would: nothing of an earlier container, nor of the keeper, inside.
#
# Needs root. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs).
source "$(dirname "$0")/lib.sh"

pool_ready() { "$CONTAINERV" pool inspect "$1" | grep -q "\"Ready\": $2,"; }
keeper_pid() { "$CONTAINERV" pool inspect "$1" | sed -n 's/.*"KeeperPid": \([0-9]*\).*/\1/p'; }
ready_ids() { ls "$CONTAINERV_ROOT/pools/$1/ready"; }

cv 0 pool create web --min 2 --policy prealloc --rootfs "$CV_TEST_ROOTFS" --network none -e FROM_TEMPLATE=1 /bin/sh
wait_for "two ready containers" pool_ready web 2
cv 0 pool ls
[[ "$OUT" == *web*prealloc*2*2*2* ]] || fail "pool ls: $OUT"
pass "pool create keeps --min held containers ready"

# Ready containers are the pool's: hidden from ps -a as docker hides its machinery, shown with a filter.
cv 0 ps -a --no-trunc
for id in $(ready_ids web); do [[ "$OUT" != *$id* ]] || fail "ps -a shows the ready $id: $OUT"; done
cv 0 ps -a -q --no-trunc --filter label=containerv.pool=web
[ "$(printf '%s\n' "$OUT" | sort)" = "$(ready_ids web | sort)" ] || fail "ps -a --filter label=containerv.pool=web: $OUT"
cv 125 ps --filter status=held
one_error_line "status is created"
grep -q "keeper [0-9]* started: prealloc, min 2" "$CONTAINERV_ROOT/pools/web/keeper.log" ||
	fail "no keeper.log: $(cat "$CONTAINERV_ROOT/pools/web/keeper.log" 2>&1)"
pass "ps hides ready pooled containers (shown with --filter label=containerv.pool); the keeper logs to keeper.log"

# A take: the workload is chosen now (command, -e over the template's env, -w, -u), stdio and exit code as run.
cv 3 run --pool web -e EXTRA=2 -w /tmp -u 1000:1000 sh -c 'echo "$FROM_TEMPLATE$EXTRA $(pwd) $(id -u):$(id -g)"; exit 3'
[ "$OUT" = "12 /tmp 1000:1000" ] || fail "the workload's env, workdir, user: '$OUT'"
cv 0 run --pool web -u nobody sh -c 'echo $(id -u):$(id -g)'
[ "$OUT" = "65534:65534" ] || fail "-u nobody at the take: '$OUT'"
cv 0 run --pool web -u 65534 sh -c 'echo $(id -u):$(id -g)'
[ "$OUT" = "65534:65534" ] || fail "-u 65534 takes the group of its passwd entry, as run: '$OUT'"
cv 125 run --pool web -u nosuchuser true # as a cold run -u nosuchuser
one_error_line "no such user"
cv 127 run --pool web /no/such/command
one_error_line "executable file not found"
# --rm: the container whose command could not be executed goes too (it was left, exited 127).
cv 0 ps -a -q --no-trunc --filter label=containerv.pool=web --filter status=exited
before_rm=$(printf '%s\n' "$OUT" | sort)
cv 127 run --rm --pool web /no/such/command
one_error_line "executable file not found"
cv 0 ps -a -q --no-trunc --filter label=containerv.pool=web --filter status=exited
for id in $OUT; do
	[[ "$before_rm" == *$id* ]] || fail "run --rm --pool with a command not found left $id"
done
cv 0 run --pool web sh -c 'echo out; echo err >&2'
[ "$OUT" = out ] && [ "$ERR" = err ] || fail "stdout/stderr of a pooled workload: '$OUT' '$ERR'"
pass "run --pool binds command, env, workdir, user and stdio at the take; exit codes as run"

# Attacker: what the previous workload left must not be visible, nor any descriptor of the host or keeper.
cv 0 run --pool web -e SECRET=s3cr3t sh -c 'echo s3cr3t >/root/leak; echo s3cr3t >/tmp/leak; sleep 0.2 & echo $$'
cv 0 run --pool web sh -c 'cat /root/leak /tmp/leak 2>/dev/null; env | grep -c s3cr3t; ps -o pid= | wc -l; ls /proc/self/fd | tr "\n" " "'
read -r secrets processes fds <<<"$(printf '%s\n' "$OUT" | tr '\n' ' ')"
[ "$secrets" = 0 ] || fail "a previous workload's files or env are visible: $OUT"
[ "$processes" -le 4 ] || fail "processes of another workload are visible (pid namespace reused?): $OUT"
[[ "$(printf '%s\n' "$OUT" | tail -1)" =~ ^"0 1 2 3"\ *$ ]] || fail "the workload holds descriptors beyond stdio: $OUT"
# The init a take gets, seen from the host before the take: stdio on /dev/null, exit.json, its release
# socket; nothing of the keeper or the pool. From inside, the workload sees the init hold 4 descriptors.
id=$(ready_ids web | head -1)
init=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$CONTAINERV_ROOT/containers/$id/state.json")
[ -n "$init" ] && [ -d "/proc/$init" ] || fail "no held init for $id"
links=$(ls -l /proc/$init/fd | awk 'NR>1 {print $NF}' | sort -u | tr '\n' ' ')
[[ "$links" == *exit.json* && "$links" != *pools* && "$links" != *keeper* ]] || fail "the held init holds: $links"
[ "$(ls /proc/$init/fd | wc -l)" -le 6 ] || fail "the held init holds more than it should: $links"
# The init lets go of the releaser's socket and the workload's stdio once the exec succeeded, which the
# workload may outrun: what counts is what the init keeps while the workload runs (up to 2 s).
cv 0 run --pool web sh -c 'for i in $(seq 40); do n=$(ls /proc/1/fd | wc -l); [ "$n" -le 4 ] && break; sleep 0.05; done; echo $n'
[ "$OUT" -le 4 ] || fail "the released init holds $OUT descriptors"
pass "a pooled workload sees no earlier container, no keeper descriptor ($links)"

# --rm attached: removed by the CLI once it has read the exit status, as docker's run --rm (the keeper
# removing an ended container first lost the status: concurrent takes saw 137).
ready_before=$(ls "$CONTAINERV_ROOT/pools/web/ready")
cv 0 run --rm --pool web sh -c 'cat /proc/self/cgroup >/dev/null'
ready_after=$(ls "$CONTAINERV_ROOT/pools/web/ready")
taken=0
for id in $ready_before; do
	grep -qx "$id" <<<"$ready_after" && continue
	assert_gone "$id"
	taken=$((taken + 1))
done
[ "$taken" = 1 ] || fail "run --rm --pool: $taken of the ready containers were taken and removed"
[ -z "$(ls "$CONTAINERV_ROOT/pools/web/remove")" ] || fail "run --rm --pool left work for the keeper"
pass "run --rm --pool: removed once ended, its status kept"

# -d: the id, the workload runs on; with --rm the keeper removes it once it has ended.
cv 0 run -d --pool web sleep 30
detached=$OUT
[[ "$detached" =~ ^[0-9a-f]{64}$ ]] || fail "run -d --pool printed '$detached'"
cv 0 ps -q --no-trunc
[[ "$OUT" == *$detached* ]] || fail "run -d --pool: not running: $OUT"
cv 0 rm -f "$detached"
cv 0 run -d --rm --pool web true
wait_for "-d --rm container removed" sh -c "! '$CONTAINERV' inspect $OUT >/dev/null 2>&1"
pass "run -d --pool runs in the background (and --rm with it)"

# Takes racing keeper restarts: every take is released and runs (a new keeper's sweep never takes a
# claimed container; unit.test_pool proves the ordering deterministically).
for round in 1 2 3; do
	pids=()
	for i in 1 2 3 4; do
		"$CONTAINERV" run --rm --pool web true >/dev/null 2>"$CONTAINERV_ROOT/race.$i" & pids+=($!)
	done
	kill -9 "$(keeper_pid web)" 2>/dev/null || true
	"$CONTAINERV" pool inspect web >/dev/null # starts a new keeper: its sweep runs while the takes do
	for i in 1 2 3 4; do
		wait "${pids[$((i - 1))]}" || fail "round $round: a take racing a keeper restart failed: $(cat "$CONTAINERV_ROOT/race.$i")"
	done
done
rm -f "$CONTAINERV_ROOT"/race.*
wait_for "two ready after the races" pool_ready web 2
pass "takes racing keeper restarts all run"

# Errors: one line, 125.
cv 125 run --pool nosuch true
one_error_line "no such pool"
cv 125 run --pool web --memory 64m true
one_error_line "template"
cv 125 pool create web --rootfs "$CV_TEST_ROOTFS"
one_error_line "exists"
pass "errors: unknown pool, template flags on a take, a duplicate pool"

# SIGKILL of the keeper, and a take that died between its claim and its release: the next command converges.
old=$(keeper_pid web)
orphan=$(ready_ids web | head -1)
rm "$CONTAINERV_ROOT/pools/web/ready/$orphan" # claimed, never released
kill -9 "$old"
wait_for "the keeper gone" sh -c "! kill -0 $old"
cv 0 run --pool web echo again
[ "$OUT" = again ] || fail "run --pool after the keeper was killed: $OUT"
new=$(keeper_pid web)
[ -n "$new" ] && [ "$new" != "$old" ] && kill -0 "$new" || fail "no new keeper ($old -> $new)"
wait_for "the orphan removed" test ! -e "$CONTAINERV_ROOT/containers/$orphan"
assert_gone "$orphan"
wait_for "two ready again" pool_ready web 2
pass "a keeper killed with SIGKILL is replaced; a dead take's container is removed"

# on-demand: nothing ready before a take; the first take is made the cold way.
cv 0 pool create lazy --policy on-demand --min 1 --rootfs "$CV_TEST_ROOTFS" --network none /bin/sh
sleep 1
pool_ready lazy 0 || fail "an on-demand pool made containers before a take"
cv 0 run --rm --pool lazy echo cold
[ "$OUT" = cold ] || fail "the first take of an on-demand pool: $OUT"
wait_for "one ready after the take" pool_ready lazy 1
pass "on-demand: made at the first take, then one kept ready"

# A keeper.json naming a pid the kernel has given to another process since (its keeper was SIGKILLed):
# pool rm must not signal that process, even while something holds the keeper's lock.
cv 0 pool create stale --min 1 --rootfs "$CV_TEST_ROOTFS" --network none /bin/true
wait_for "the stale pool's container" pool_ready stale 1
stale_keeper=$(keeper_pid stale)
kill -9 "$stale_keeper"
wait_for "the stale keeper gone" sh -c "! kill -0 $stale_keeper"
sleep 300 &
victim=$!
sed -i "s/\"pid\": *[0-9]*/\"pid\": $victim/" "$CONTAINERV_ROOT/pools/stale/keeper.json"
grep -q "\"pid\": $victim" "$CONTAINERV_ROOT/pools/stale/keeper.json" || fail "could not plant the stale pid"
flock "$CONTAINERV_ROOT/pools/stale/keeper.lock" sleep 1 &
holder=$!
sleep 0.2
cv 0 pool rm stale
wait "$holder"
kill -0 "$victim" 2>/dev/null || fail "pool rm signalled pid $victim, which keeper.json named but was not its keeper"
kill "$victim"
wait "$victim" 2>/dev/null || true
pass "pool rm signals a recorded keeper pid only while it is still that keeper"

# A removal interrupted after its first step (pool.json gone, as a killed pool rm leaves it) is finished by the next.
cv 0 pool create half --min 1 --rootfs "$CV_TEST_ROOTFS" --network none /bin/true
wait_for "the half pool's container" pool_ready half 1
rm "$CONTAINERV_ROOT/pools/half/pool.json"
cv 1 pool inspect half
cv 0 pool rm half
[ ! -e "$CONTAINERV_ROOT/pools/half" ] || fail "an interrupted removal was not finished: $(ls -A "$CONTAINERV_ROOT/pools/half")"
cv 1 pool rm half
one_error_line "no such pool: half"
pass "pool rm finishes a removal that was interrupted"

# pool rm: keeper, ready containers, their cgroups, mounts and processes all gone.
ready=$(ready_ids web; ready_ids lazy)
keepers="$(keeper_pid web) $(keeper_pid lazy)"
# What a keeper SIGKILLed inside its atomic write leaves (as the kill above can): pool rm removes it too.
: >"$CONTAINERV_ROOT/pools/web/.keeper.json.tmp.999999"
cv 0 pool rm web lazy
for id in $ready; do assert_gone "$id"; done
for pid in $keepers; do ! kill -0 "$pid" 2>/dev/null || fail "keeper $pid left"; done
[ -z "$(ls -A "$CONTAINERV_ROOT/pools")" ] || fail "pool directories left: $(ls -A "$CONTAINERV_ROOT/pools")"
cv 0 pool ls
[ "$(printf '%s\n' "$OUT" | wc -l)" = 1 ] || fail "pool ls after rm: $OUT"
# What stays is what run without --rm leaves: exited containers of the user's.
cv 0 ps -q
[ -z "$OUT" ] || fail "running containers left: $OUT"
left=$("$CONTAINERV" ps -aq)
[ -z "$left" ] || "$CONTAINERV" rm $left >/dev/null
assert_clean "pool rm"
pass "pool rm leaves nothing behind"
