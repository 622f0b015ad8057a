#!/usr/bin/env bash
# Fault injection: create, run -d, start, exec, stop, rm -f, cp (both ways),
# volume create (plain and size-limited), network create and network connect
# are each killed with SIGKILL (the CLI, its helpers, and on every other step
# the detached monitors) at growing delays until one run completes on its own
# (fault-lib.sh). After every kill: ps, inspect and rm work, the operation run
# again succeeds, and once the test removed what it made nothing is left:
# state files, temp files, leases, mounts, cgroups, processes, veths, bridges,
# nft tables, loop devices.
#
# Needs root, jq, nft, losetup. FAULT_STEPS (default 6): steps per duration.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/network-lib.sh"
source "$(dirname "$0")/fault-lib.sh"
for tool in jq nft losetup timeout; do
	command -v "$tool" >/dev/null || fail "$tool is needed (scripts/install-deps.sh)"
done
ip link set lo up

B=$(pick_base)
P=$(pick_port_prefix)
R=$CV_TEST_ROOTFS
# One network for the containers (its bridge and table are part of the baseline).
cv 0 network create --subnet "$B.1.0/24" fnet
head -c $((4 * 1024 * 1024)) /dev/urandom >"$TEST_TMP/payload"
mkdir -p "$TEST_TMP/out"

nothing() { :; }
# Removes a container named f, whatever state it is in; "no such container" is fine.
remove_f() {
	if "$CONTAINERV" inspect f >/dev/null 2>&1; then cv 0 rm -f f; fi
	[ -z "$("$CONTAINERV" ps -aq)" ] || fail "containers left after rm: $("$CONTAINERV" ps -a)"
}
run_f() { cv 0 run -d --name f --network fnet -p "${P}80:80" --rootfs "$R" sleep 1000; }
create_f() { cv 0 create --name f --network fnet -p "${P}80:80" --rootfs "$R" sleep 1000; }
# ps works, every container listed can be inspected and has its creation time (nothing half-written).
listing_works() {
	local id
	cv 0 ps -a --no-trunc -q
	for id in $OUT; do
		cv 0 inspect -f '{{.Created}}' "$id"
		[[ "$OUT" != 0001-* && "$OUT" != 1970-* ]] || fail "$id is listed without a creation time ($OUT)"
	done
}
# f runs and serves an exec.
f_runs() {
	cv 0 exec f true
	[ "$("$CONTAINERV" inspect -f '{{.State.Status}}' f)" = running ] || fail "f is not running"
}

# create: the name is free again after rm, or the killed create's container is usable.
op_create() { fault_run create --name f --network fnet -p "${P}80:80" --rootfs "$R" sleep 1000; }
converge_create() {
	listing_works
	remove_f
	create_f
	cv 0 start f
	f_runs
}
# The baseline after one container came and went (the root's directories, image and volume stores exist then).
run_f
remove_f
cv 0 images
cv 0 volume create fv
cv 0 volume rm fv
fault_baseline
fault_kill_steps "create" nothing op_create converge_create remove_f

# run -d: the same, with the start, the network endpoint, the published port and the monitor.
op_run() { fault_run run -d --name f --network fnet -p "${P}80:80" --rootfs "$R" sleep 1000; }
converge_run() {
	listing_works
	remove_f
	run_f
	f_runs
	cv 0 logs f
}
fault_kill_steps "run -d" nothing op_run converge_run remove_f

# start of a created container: it can be started again (or runs already), and removed.
op_start() { fault_run start f; }
# A start killed after the state said "running" has started it (start then refuses: "already running").
converge_start() {
	listing_works
	if [ "$("$CONTAINERV" inspect -f '{{.State.Status}}' f)" != running ]; then
		cv 0 start f
	fi
	f_runs
}
fault_kill_steps "start" create_f op_start converge_start remove_f

# exec: the container keeps running and serves the next exec.
op_exec() { fault_run exec f sh -c 'echo written >/tmp/exec; cat /tmp/exec'; }
converge_exec() {
	listing_works
	f_runs
	cv 0 exec f sh -c 'echo again >/tmp/exec; cat /tmp/exec'
	[ "$OUT" = again ] || fail "exec after a killed exec printed '$OUT'"
}
fault_kill_steps "exec" run_f op_exec converge_exec remove_f

# stop: the container can be stopped (or is), started again and removed.
op_stop() { fault_run stop -t 1 f; }
converge_stop() {
	listing_works
	cv 0 stop -t 1 f
	cv 0 start f
	f_runs
}
fault_kill_steps "stop" run_f op_stop converge_stop remove_f

# rm -f: the next rm -f completes it, and the name can be used again.
op_rm() { fault_run rm -f f; }
converge_rm() {
	listing_works
	remove_f
	run_f
	f_runs
}
fault_kill_steps "rm -f" run_f op_rm converge_rm remove_f

# cp into a container and out of it: the next copy is complete and right.
op_cp_in() { fault_run cp "$TEST_TMP/payload" f:/tmp/payload; }
converge_cp_in() {
	listing_works
	f_runs
	cv 0 cp "$TEST_TMP/payload" f:/tmp/payload
	cv 0 exec f md5sum /tmp/payload
	[ "${OUT%% *}" = "$(md5sum <"$TEST_TMP/payload" | cut -d' ' -f1)" ] || fail "cp in after a kill: wrong content"
}
fault_kill_steps "cp into a container" run_f op_cp_in converge_cp_in remove_f

prepare_cp_out() {
	run_f
	cv 0 cp "$TEST_TMP/payload" f:/tmp/payload
	rm -rf "$TEST_TMP/out/payload"
}
op_cp_out() { fault_run cp f:/tmp/payload "$TEST_TMP/out/payload"; }
converge_cp_out() {
	listing_works
	cv 0 cp f:/tmp/payload "$TEST_TMP/out/payload"
	cmp -s "$TEST_TMP/payload" "$TEST_TMP/out/payload" || fail "cp out after a kill: wrong content"
}
clean_cp_out() {
	remove_f
	rm -rf "$TEST_TMP/out/payload"
}
fault_kill_steps "cp out of a container" prepare_cp_out op_cp_out converge_cp_out clean_cp_out

# volume create: ls and rm work, the volume can be made again and used.
remove_volume() {
	if "$CONTAINERV" volume inspect fv >/dev/null 2>&1; then cv 0 volume rm fv; fi
	cv 0 volume ls -q
	[ -z "$OUT" ] || fail "volumes left: $OUT"
}
op_volume() { fault_run volume create fv; }
converge_volume() {
	cv 0 volume ls
	remove_volume
	cv 0 volume create fv
	cv 0 run --rm --network none -v fv:/data --rootfs "$R" sh -c 'echo x >/data/x'
}
fault_kill_steps "volume create" nothing op_volume converge_volume remove_volume

# A size-limited volume is a loop-mounted image file: no loop device or mount may stay.
op_volume_sized() { fault_run volume create -o size=16m fv; }
converge_volume_sized() {
	cv 0 volume ls
	remove_volume
	cv 0 volume create -o size=16m fv
	cv 0 run --rm --network none -v fv:/data --rootfs "$R" sh -c 'echo x >/data/x'
}
fault_kill_steps "volume create -o size=16m" nothing op_volume_sized converge_volume_sized remove_volume

# network create: ls and rm work, the network can be made again (the same subnet).
remove_network() {
	if "$CONTAINERV" network inspect fn2 >/dev/null 2>&1; then cv 0 network rm fn2; fi
	return 0
}
op_network() { fault_run network create --subnet "$B.2.0/24" fn2; }
converge_network() {
	cv 0 network ls
	remove_network
	cv 0 network create --subnet "$B.2.0/24" fn2
	cv 0 run --rm --network fn2 --rootfs "$R" true
}
fault_kill_steps "network create" nothing op_network converge_network remove_network

# network connect: disconnect and connect work after it, and rm takes everything.
prepare_connect() {
	cv 0 network create --subnet "$B.2.0/24" fn2
	run_f
}
op_connect() { fault_run network connect fn2 f; }
converge_connect() {
	listing_works
	f_runs
	"$CONTAINERV" network disconnect fn2 f >/dev/null 2>&1 || true
	cv 0 network connect fn2 f
	cv 0 exec f sh -c "ip -4 addr | grep -q ' $B.2.'"
}
clean_connect() {
	remove_f
	remove_network
}
fault_kill_steps "network connect" prepare_connect op_connect converge_connect clean_connect

# A run killed between its config.json and its first state.json (a window too short to hit reliably
# by timer; made by hand here): listed as Created, with its creation time, and it starts.
cv 0 create --name f --network none --rootfs "$R" sleep 1000
rm "$CONTAINERV_ROOT/containers/$OUT/state.json"
listing_works
cv 0 start f
f_runs
remove_f
fault_assert_baseline "a container without state.json"
pass "a run killed before its first state: a created container, listed whole, that starts"

# A create killed after its directory and its name, before config.json (and one killed before it named
# its directory): made by hand. The name is free at once and the next list removes both directories.
id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 64)
mkdir "$CONTAINERV_ROOT/containers/$id" "$CONTAINERV_ROOT/containers/.creating-${id%??}ff"
ln -s "$id" "$CONTAINERV_ROOT/names/f"
create_f
[ "$OUT" != "$id" ] || fail "the killed create's id was reused"
cv 0 ps -a -q --no-trunc
[ ! -e "$CONTAINERV_ROOT/containers/$id" ] && [ ! -e "$CONTAINERV_ROOT/containers/.creating-${id%??}ff" ] ||
	fail "a list left the killed creates' directories: $(ls -A "$CONTAINERV_ROOT/containers")"
remove_f
fault_assert_baseline "a create killed before its config.json"
pass "a create killed before its config.json: its name is free at once, a list removes its directory"

# A start killed between the init's "ready" and its state.json (the window is too short to hit reliably
# by timer; made by hand: state.json put back as the create left it): the next start takes back the
# unrecorded init, its cgroup and its published port, and starts the container anew.
create_f
id=$OUT
cp "$CONTAINERV_ROOT/containers/$id/state.json" "$TEST_TMP/state.created"
cv 0 start f
old_init=$(jq -r .pid "$CONTAINERV_ROOT/containers/$id/state.json")
cp "$TEST_TMP/state.created" "$CONTAINERV_ROOT/containers/$id/state.json"
listing_works
cv 0 start f
f_runs
new_init=$(jq -r .pid "$CONTAINERV_ROOT/containers/$id/state.json")
[ "$new_init" != "$old_init" ] && ! kill -0 "$old_init" 2>/dev/null ||
	fail "the unrecorded init $old_init still runs beside $new_init"
remove_f
fault_assert_baseline "a start killed before its state"
pass "a start killed before its state: the next start takes back its init and published port"

pass "$FAULT_KILLS kills in all"
