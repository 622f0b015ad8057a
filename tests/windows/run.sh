#!/usr/bin/env bash
# The Windows tests under wine (docs/windows.md):
#
#   tests/windows/run.sh BUILD-DIR      (a mingw build: cmake/mingw-w64-x86_64.cmake)
#
# 1. BUILD-DIR/bin/test_windows.exe: the job-object backend, the security profiles, the command
#    line; tests needing a Windows kernel say SKIP with the reason and are not counted as passed.
# 2. containerv.exe: version, run (output and exit code through a job with a memory limit), the
#    command line's errors and their exit codes, security audit.
# 3. The state store through containerv.exe --root: run -d, ps, inspect, logs, stats, top, stop,
#    wait, rm (also -f), autoremove, a killed monitor; the processes checked on the host (pgrep), the
#    root checked empty at the end.
#
# The wine prefix lives in BUILD-DIR/wine-prefix (made on the first run, ~40 s; later runs reuse
# it). WINEDEBUG=-all. Without wine: exit 77 (skipped) saying so, a failure under CI=true.
set -uo pipefail

build=${1:?usage: $0 BUILD-DIR}
build=$(cd "$build" && pwd)
wine=$(command -v wine || command -v wine64 || true)
if [ -z "$wine" ]; then
	echo "SKIP: wine not found, the Windows tests are not run (Debian: apt-get install wine64 wine)"
	[ "${CI:-}" = true ] && exit 1
	exit 77
fi
export WINEPREFIX=$build/wine-prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
bin=$build/bin
failed=0

if [ ! -f "$WINEPREFIX/system.reg" ]; then
	echo "# making the wine prefix $WINEPREFIX"
	timeout 300 "$wine" wineboot --init >/dev/null 2>&1
fi

# One wineserver for the whole run (each wine start would otherwise start one and its services).
wineserver -p 2>/dev/null
trap 'wineserver -k 2>/dev/null' EXIT

echo "# test_windows.exe"
timeout 300 "$wine" "$bin/test_windows.exe" | tr -d '\r' | tee "$build/test_windows.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || failed=$((failed + 1))

# check NAME EXPECTED-STATUS EXPECTED-OUTPUT-PATTERN ARGS...: runs containerv.exe ARGS.
check() {
	local name=$1 status=$2 pattern=$3 output actual
	shift 3
	output=$(timeout 120 "$wine" "$bin/containerv.exe" "$@" 2>&1 | tr -d '\r')
	actual=${PIPESTATUS[0]}
	if [ "$actual" -eq "$status" ] && grep -Eq -- "$pattern" <<<"$output"; then
		echo "PASS cli.$name"
	else
		echo "FAIL cli.$name: status $actual (expected $status), output: $output (expected /$pattern/)"
		failed=$((failed + 1))
	fi
}

echo "# containerv.exe"
check version 0 'untested here' version
check run_echo 0 '^hi$' run --rm --memory 64m --rootfs 'C:\windows\system32' cmd.exe /c echo hi
check run_exit_code 3 '' run --rm --memory 64m --rootfs 'C:\windows\system32' cmd.exe /c exit 3
check run_pids_limit 0 '^ok$' run --rm --pids-limit 4 --rootfs 'C:\windows\system32' cmd.exe /c echo ok
check run_security_strict 0 '^ok$' run --rm --security strict --rootfs 'C:\windows\system32' cmd.exe /c echo ok
check run_needs_rm 125 'give --rm \(attached\) or -d' run --rootfs 'C:\windows\system32' cmd.exe /c echo hi
check run_needs_rootfs 125 '--rootfs DIR is needed' run --rm cmd.exe
check run_unknown_flag 125 'unknown flag --bogus' run --rm --bogus --rootfs 'C:\windows\system32' cmd.exe
check run_bad_memory 125 'invalid --memory lots' run --rm --memory lots --rootfs 'C:\windows\system32' cmd.exe
check run_bad_pids 125 'invalid --pids-limit 0' run --rm --pids-limit 0 --rootfs 'C:\windows\system32' cmd.exe
check run_missing_value 125 '--memory needs a value' run --rm --memory
check run_not_found 127 'no-such-program: not found' run --rm --rootfs 'C:\windows\system32' no-such-program
check run_path_refused 125 'not a path' run --rm --rootfs 'C:\windows' 'system32\cmd.exe'
# wine 8 refuses JobObjectCpuRateControlInformation; on Windows this runs (docs/windows.md)
check run_cpus_refused_by_wine 125 'job CPU rate [0-9]+: ' run --rm --cpus 0.5 --rootfs 'C:\windows\system32' cmd.exe /c echo hi
check security_audit 0 'level strict, score' security audit strict
check unknown_command 2 'unknown command images' images

# ---- the state store: containers under a root (the same core/ code as on Linux), real processes
echo "# the state store (containerv.exe --root)"
root='C:\containerv-test-state'
root_unix=$WINEPREFIX/drive_c/containerv-test-state
sys32='C:\windows\system32'
rm -rf "$root_unix" "$build/run-d.err"
cv() { # containerv.exe --root ROOT ARGS: its output, its status
	timeout 120 "$wine" "$bin/containerv.exe" --root "$root" "$@" 2>&1 | tr -d '\r'
	return "${PIPESTATUS[0]}"
}
# run -d that starts a container: its stderr to a file. Under wine every process inherits its creator's
# unix stderr (wine's debug output goes there), so a detached container would hold a pipe on our
# stderr open until it ends and $(...) would wait for it; Windows has no such inheritance.
run_d() {
	timeout 120 "$wine" "$bin/containerv.exe" --root "$root" run -d "$@" 2>>"$build/run-d.err" | tr -d '\r'
	return "${PIPESTATUS[0]}"
}
pass() { echo "PASS state.$1"; }
fail() {
	echo "FAIL state.$1: $2"
	failed=$((failed + 1))
}
# until CONDITION (a command) holds, 30 s at most (the machine may be loaded): no timing is judged
until_true() {
	local deadline=$((SECONDS + 30))
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.3
	done
}
# a host process of the wine session whose command line matches PATTERN
running() { pgrep -f -- "$1" >/dev/null; }
gone() { ! running "$1"; }

id=$(run_d --name sleeper --rootfs "$sys32" cmd.exe /c "echo hello& ping -n 121 127.0.0.1 >NUL")
status=$?
if [ "$status" -eq 0 ] && [[ $id =~ ^[0-9a-f]{64}$ ]]; then pass run_detached; else fail run_detached "status $status, output $id"; fi
running "ping -n 121" && running "cv_win_monitor.*$id" && pass processes_run ||
	fail processes_run "no ping.exe or monitor process: $(pgrep -af 'ping|rundll32')"
out=$(cv ps)
grep -Eq "^${id:0:12} +sleeper +Up" <<<"$out" && pass ps_running || fail ps_running "$out"
out=$(cv top sleeper)
grep -q 'ping.exe' <<<"$out" && pass top || fail top "$out"
out=$(cv inspect sleeper)
grep -q '"Status": "running"' <<<"$out" && grep -Eq '"Pid": [1-9]' <<<"$out" && pass inspect_running ||
	fail inspect_running "$out"
if until_true grep -q hello "$root_unix/containers/$id/logs/container.log" 2>/dev/null &&
	grep -Eqx 'hello ?' <<<"$(cv logs sleeper)"; then pass logs; else fail logs "$(cv logs sleeper)"; fi
out=$(cv stats sleeper)
grep -Eq '^PIDS [1-9]' <<<"$out" && pass stats_processes || fail stats_processes "$out"
out=$(cv run -d --name sleeper --rootfs "$sys32" cmd.exe /c exit 0)
[ $? -eq 125 ] && grep -q 'already in use' <<<"$out" && pass name_taken || fail name_taken "$out"
out=$(cv rm sleeper)
[ $? -eq 1 ] && grep -q 'running' <<<"$out" && running "ping -n 121" && pass rm_running_refused ||
	fail rm_running_refused "$out"
# stop returns once the exit is recorded; the monitor ends just after, and wine tears a killed process's
# unix side down asynchronously: their disappearance is waited for (30 s at most), not raced.
out=$(cv stop -t 5 sleeper)
if [ $? -eq 0 ] && until_true gone "ping -n 121" && until_true gone "cv_win_monitor.*$id" &&
	grep -Eq "sleeper +Exited \(143\)" <<<"$(cv ps -a)" && [ "$(cv wait sleeper)" = 143 ]; then
	pass stop
else
	fail stop "$out; $(cv ps -a)"
fi
out=$(cv rm sleeper)
if [ $? -eq 0 ] && [ ! -e "$root_unix/containers/$id" ] && [ ! -e "$root_unix/names/sleeper" ] &&
	! cv inspect sleeper >/dev/null; then pass rm; else fail rm "$out"; fi

id=$(run_d --rootfs "$sys32" cmd.exe /c exit 3)
out=$(cv wait "$id")
[ "$out" = 3 ] && grep -Eq "^${id:0:12} .*Exited \(3\)" <<<"$(cv ps -a)" && pass wait_exit_code ||
	fail wait_exit_code "wait: $out; $(cv ps -a)"
cv rm "$id" >/dev/null

id=$(run_d --rm --rootfs "$sys32" cmd.exe /c exit 0)
if until_true test ! -e "$root_unix/containers/$id" && ! grep -q "${id:0:12}" <<<"$(cv ps -a)"; then
	pass autoremove
else
	fail autoremove "$(cv ps -a)"
fi

# its monitor killed: the job's kill-on-close ends the container, and the next look records it
id=$(run_d --rootfs "$sys32" ping.exe -n 122 127.0.0.1)
until_true running "ping.exe -n 122"
pkill -9 -f "cv_win_monitor.*$id"
if until_true gone "ping.exe -n 122" && grep -Eq "^${id:0:12} .*Exited \(137\)" <<<"$(cv ps -a)"; then
	pass monitor_killed
else
	fail monitor_killed "$(cv ps -a)"
fi
cv rm "$id" >/dev/null

# the same for an autoremove container: the next look (ps) removes it, as its monitor would have
id=$(run_d --rm --rootfs "$sys32" ping.exe -n 124 127.0.0.1)
until_true running "ping.exe -n 124"
pkill -9 -f "cv_win_monitor.*$id"
if until_true gone "ping.exe -n 124" && ! grep -q "${id:0:12}" <<<"$(cv ps -a)" &&
	[ ! -e "$root_unix/containers/$id" ]; then
	pass autoremove_monitor_killed
else
	fail autoremove_monitor_killed "$(cv ps -a)"
fi

id=$(run_d --rootfs "$sys32" ping.exe -n 123 127.0.0.1)
out=$(cv rm -f "$id")
[ $? -eq 0 ] && until_true gone "ping.exe -n 123" && [ ! -e "$root_unix/containers/$id" ] && pass rm_force ||
	fail rm_force "$out"

out=$(cv run -d --rootfs "$sys32" no-such-program)
[ $? -eq 127 ] && pass run_detached_not_found || fail run_detached_not_found "$out"
out=$(cv inspect no-such-container)
[ $? -eq 1 ] && grep -q 'no such container' <<<"$out" && pass no_such_container || fail no_such_container "$out"

left=$(find "$root_unix/containers" "$root_unix/names" -mindepth 1 2>&1)
[ -z "$left" ] && pass nothing_left || fail nothing_left "$left"
rm -rf "$root_unix"

echo "# windows tests: $failed failure(s)"
[ "$failed" -eq 0 ]
