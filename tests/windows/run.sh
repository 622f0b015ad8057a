#!/usr/bin/env bash
# The Windows tests under wine (docs/windows.md):
#
#   tests/windows/run.sh BUILD-DIR      (a mingw build: cmake/mingw-w64-x86_64.cmake)
#
# 1. BUILD-DIR/bin/test_windows.exe: the job-object backend, the security profiles, the command
#    line; tests needing a Windows kernel say SKIP with the reason and are not counted as passed.
# 2. containerv.exe: version, run (output and exit code through a job with a memory limit), the
#    command line's errors and their exit codes, security audit.
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
check run_needs_rm 125 'only --rm' run --rootfs 'C:\windows\system32' cmd.exe /c echo hi
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
check unknown_command 2 'unknown command ps' ps

echo "# windows tests: $failed failure(s)"
[ "$failed" -eq 0 ]
