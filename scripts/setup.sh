#!/usr/bin/env bash
# From a fresh clone to a working `containerv` on PATH:
#   1. scripts/install-deps.sh        (Debian packages, only the missing ones)
#   2. a Release build in build/
#   3. cmake --install build          (prefix /usr/local unless PREFIX is set)
#   4. ldconfig
#
# Usage: [PREFIX=/usr/local] scripts/setup.sh
# Then:  containerv run --rm busybox echo hello from containerv
set -euo pipefail

cd "$(dirname "$0")/.."
prefix=${PREFIX:-/usr/local}
jobs=$(nproc 2>/dev/null || echo 2)

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: run as root (containers need it, and the install goes to $prefix)" >&2
	exit 1
fi

echo "=== dependencies"
bash scripts/install-deps.sh </dev/null

echo "=== build (Release) in build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
	-DCONTAINERV_WERROR=OFF -DCONTAINERV_SANITIZE=OFF
cmake --build build --parallel "$jobs"

echo "=== install to $prefix"
cmake --install build
ldconfig

if ! command -v containerv >/dev/null 2>&1; then
	echo "setup: installed $prefix/bin/containerv, which is not on PATH ($PATH)" >&2
	exit 1
fi
echo "setup: done: $(command -v containerv) (try: containerv run --rm busybox echo hello from containerv)"
