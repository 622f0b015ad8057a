#!/bin/sh
# Compiles one public header (through a source file that includes it) for
# Windows with the mingw-w64 cross compiler: -std=c11 -pedantic -Werror,
# syntax only. Run by the headers.mingw.* tests (ContainervHeaderChecks.cmake).
#
# Usage: check-header-mingw.sh INCLUDE-DIR SOURCE
# Environment: CONTAINERV_MINGW_CC (default x86_64-w64-mingw32-gcc).
#
# Without the compiler the test is skipped (exit 77, SKIP_RETURN_CODE) with a
# line saying how to get it; under CI=true that is a failure instead, since
# scripts/install-deps.sh installs it and the check must not vanish quietly.
set -eu

include_dir=$1
source=$2
compiler=${CONTAINERV_MINGW_CC:-x86_64-w64-mingw32-gcc}

if ! command -v "$compiler" >/dev/null 2>&1; then
	echo "SKIP: $compiler not found, the Windows build of the public headers is not checked" \
		"(Debian: apt-get install gcc-mingw-w64-x86-64, or scripts/install-deps.sh)"
	if [ "${CI:-}" = true ]; then
		echo "FAIL: CI=true: the mingw header check must run here" >&2
		exit 1
	fi
	exit 77
fi
exec "$compiler" -std=c11 -pedantic -Werror -Wall -Wextra -fsyntax-only -I"$include_dir" "$source"
