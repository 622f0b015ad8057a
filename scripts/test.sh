#!/usr/bin/env bash
# shellcheck disable=SC2317 # (functions are called through step())
# The whole test suite, as CI runs it (.ci/run) and as the README says:
#
#   1. scripts/install-deps.sh           (only installs what is missing)
#   2. build/       -DCONTAINERV_WERROR=ON, then its ctest
#   2b. tests/vm/run.sh: build/'s cgroup tests in Debian guests with cgroup v2,
#      v1 and hybrid (qemu; KVM when /dev/kvm exists), with the runtime comparison
#   3. build-asan/  -DCONTAINERV_SANITIZE=ON -DCONTAINERV_WERROR=ON (Debug), then its ctest
#   4. clang-format --dry-run --Werror over the C sources of libs tools tests examples
#   5. build-mingw/  the Windows target, cross built with mingw-w64 (-DCONTAINERV_WERROR=ON;
#      jansson and libyaml from Debian source into build-mingw-deps/ by scripts/mingw-deps.sh,
#      once), then tests/windows/run.sh under wine (docs/windows.md)
#
# Usage: scripts/test.sh [--quick] [--no-vm]
#   --quick   skip the ASan+UBSan build (step 3)
#   --no-vm   skip the guests (step 2b)
#
# Every step runs even when an earlier one failed (a tree that does not build
# is not tested), then a summary is printed; the exit status is non-zero when
# any step failed. The last line is "tests: N passed, N failed" over both
# ctest runs.
#
# ctest runs under `tini -s`: a subreaper, because containers started detached
# outlive the CLI that made them and their inits become orphans, and this
# machine's PID 1 does not reap orphans (they would pile up as zombies).
# Needs root: the integration tests create containers.
#
# Environment: CTEST_PARALLEL_LEVEL (default 1: tests share the host's
# cgroups and mounts), ASAN_OPTIONS / UBSAN_OPTIONS (defaults below).
set -uo pipefail

usage() {
	echo "usage: $0 [--quick] [--no-vm]" >&2
}

quick=0
vm=1
for argument in "$@"; do
	case "$argument" in
	--quick) quick=1 ;;
	--no-vm) vm=0 ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage
		exit 2
		;;
	esac
done

cd "$(dirname "$0")/.." || exit 1
source_dir=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
log_dir=$(mktemp -d /tmp/containerv-test.XXXXXX)
trap 'rm -rf "$log_dir"' EXIT

# Sanitizer settings for the ASan build.
# - detect_leaks=1: leaks fail the run. The library's cloned children (the
#   container init, spawn helpers) must leave with _exit(), never exit(), or
#   LeakSanitizer would run its check inside them (where, in a new PID
#   namespace, it cannot stop the world and aborts).
# - halt_on_error/abort_on_error=0: stop at the first report with a non-zero
#   exit code instead of a core dump.
# - handle_sigill=1: the tree's UBSan checks trap (CONTAINERV_SANITIZE_TRAP,
#   below); ASan reports the SIGILL with its stack (file:line of the check).
: "${ASAN_OPTIONS:=detect_leaks=1:halt_on_error=1:abort_on_error=0:print_stacktrace=1:handle_sigill=1}"
: "${UBSAN_OPTIONS:=halt_on_error=1:print_stacktrace=1}"
: "${CTEST_PARALLEL_LEVEL:=1}"
export CTEST_PARALLEL_LEVEL

summary=()
any_failed=0
tests_passed=0
tests_failed=0

# step NAME COMMAND...: runs one step, records PASS/FAIL and its duration.
step() {
	local name=$1
	shift
	local started=$SECONDS
	echo
	echo "=== $name"
	if "$@"; then
		summary+=("PASS  $name ($((SECONDS - started))s)")
		return 0
	fi
	summary+=("FAIL  $name ($((SECONDS - started))s)")
	any_failed=1
	return 1
}

skip() {
	summary+=("SKIP  $1")
}

# Adds the counts of a ctest log ("92% tests passed, 1 tests failed out of 13").
count_tests() {
	local line total failed
	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n1)
	[ -n "$line" ] || return 0
	failed=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/')
	total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
	tests_failed=$((tests_failed + failed))
	tests_passed=$((tests_passed + total - failed))
}

run_ctest() {
	local build_dir=$1 log=$2
	tini -s -- ctest --test-dir "$build_dir" --output-on-failure --no-tests=error --timeout 600 \
		--output-log "$log" </dev/null
	local status=$?
	count_tests "$log"
	return "$status"
}

# configure_build_test LABEL BUILD_DIR CMAKE_ARGS...
configure_build_test() {
	local label=$1 build_dir=$2
	shift 2
	if ! step "$label: configure" cmake -S "$source_dir" -B "$build_dir" "$@"; then
		skip "$label: build"
		skip "$label: ctest"
		return
	fi
	if ! step "$label: build" cmake --build "$build_dir" --parallel "$jobs"; then
		skip "$label: ctest"
		return
	fi
	step "$label: ctest" run_ctest "$build_dir" "$log_dir/$(basename "$build_dir").log"
}

# The guests' ctest logs count with the host's.
run_vm() {
	bash "$source_dir/tests/vm/run.sh" --build "$source_dir/build" --compare --log-dir "$log_dir/vm" </dev/null
	local status=$? log
	for log in "$log_dir"/vm/ctest-*.log; do
		[ -f "$log" ] && count_tests "$log"
	done
	return "$status"
}

# The Windows tests' PASS/FAIL lines count with ctest's (their SKIPs do not count as passed).
run_windows_tests() {
	local log=$log_dir/windows.log status
	bash "$source_dir/tests/windows/run.sh" "$source_dir/build-mingw" </dev/null | tee "$log"
	status=${PIPESTATUS[0]}
	tests_passed=$((tests_passed + $(grep -c '^PASS' "$log")))
	tests_failed=$((tests_failed + $(grep -c '^FAIL' "$log")))
	return "$status"
}

windows_build() {
	cmake -S "$source_dir" -B "$source_dir/build-mingw" -DCMAKE_TOOLCHAIN_FILE="$source_dir/cmake/mingw-w64-x86_64.cmake" \
		-DCONTAINERV_WERROR=ON -DCONTAINERV_MINGW_PREFIX="$source_dir/build-mingw-deps" &&
		cmake --build "$source_dir/build-mingw" --parallel "$jobs"
}

windows_build_test() {
	if ! step "windows: dependencies (Debian source)" bash "$source_dir/scripts/mingw-deps.sh" "$source_dir/build-mingw-deps"; then
		skip "windows: build"
		skip "windows: tests under wine"
		return
	fi
	if ! step "windows: build" windows_build; then
		skip "windows: tests under wine"
		return
	fi
	step "windows: tests under wine" run_windows_tests
}

format_check() {
	local files
	if ! command -v clang-format >/dev/null; then
		echo "clang-format not found" >&2
		return 1
	fi
	clang-format --version
	# Tracked and new (not ignored) files, so build trees are never scanned.
	if git -C "$source_dir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		mapfile -t files < <(git -C "$source_dir" ls-files -co --exclude-standard -- \
			'libs/*.c' 'libs/*.h' 'tools/*.c' 'tools/*.h' 'tests/*.c' 'tests/*.h' 'examples/*.c' 'examples/*.h' |
			sort -u)
	else
		mapfile -t files < <(find libs tools tests examples -name '*.[ch]' -not -path '*/build*' | sort)
	fi
	if [ ${#files[@]} -eq 0 ]; then
		echo "no C sources found" >&2
		return 1
	fi
	echo "checking ${#files[@]} files against .clang-format"
	local file unformatted=()
	for file in "${files[@]}"; do
		if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
			unformatted+=("$file")
		fi
	done
	if [ ${#unformatted[@]} -eq 0 ]; then
		return 0
	fi
	echo "not formatted (fix with: clang-format -i FILE...):"
	for file in "${unformatted[@]}"; do
		echo "  $file ($(clang-format "$file" | diff "$file" - | grep -c '^<') lines differ)"
	done
	echo "first differences in ${unformatted[0]}:"
	clang-format "${unformatted[0]}" | diff -u "${unformatted[0]}" - | head -n 40
	return 1
}

echo "containerv test suite: $(uname -sr), $(cmake --version | head -n1), $(cc --version | head -n1)"
[ "$(id -u)" -eq 0 ] || echo "warning: not root: integration tests that create containers will fail or skip"

step "install-deps" bash "$source_dir/scripts/install-deps.sh" </dev/null

configure_build_test "build" "$source_dir/build" \
	-DCONTAINERV_WERROR=ON -DCONTAINERV_SANITIZE=OFF

if [ "$vm" = 0 ]; then
	skip "vm (--no-vm)"
elif [[ " ${summary[*]} " == *"PASS  build: build ("* ]]; then
	step "vm: cgroup v2, v1, hybrid guests" run_vm
else
	skip "vm (no build)"
fi

if [ "$quick" = 1 ]; then
	skip "build-asan (--quick)"
else
	export ASAN_OPTIONS UBSAN_OPTIONS
	# -O1 (ASan's advice) and UBSan as traps: each process's CPU time about halves (measured on
	# `containerv ps`: 117 -> 65 ms), mostly LeakSanitizer's exit scan of libubsan's globals. The
	# checks are the same; a UBSan finding shows as "AddressSanitizer: ILL" at the check's line
	# (build without CONTAINERV_SANITIZE_TRAP to read UBSan's message).
	configure_build_test "build-asan" "$source_dir/build-asan" \
		-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS=-O1 -DCONTAINERV_SANITIZE=ON -DCONTAINERV_SANITIZE_TRAP=ON \
		-DCONTAINERV_WERROR=ON
fi

step "clang-format" format_check
windows_build_test

echo
echo "=== summary"
for line in "${summary[@]}"; do
	echo "  $line"
done
if [ "$any_failed" = 0 ]; then
	echo "  result: all steps passed"
else
	echo "  result: FAILED"
fi
echo "tests: $tests_passed passed, $tests_failed failed"
exit "$any_failed"
