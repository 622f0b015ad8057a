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

# Each step's own output goes to the log; the terminal gets one line per step and, at the end, a summary.
mkdir -p build
log=build/setup.log
: >"$log"
step() {
	local what=$1
	shift
	printf '%-40s' "setup: $what..."
	if "$@" >>"$log" 2>&1 </dev/null; then
		echo " ok"
	else
		echo " FAILED"
		echo "--- the last lines of $log:" >&2
		tail -n 30 "$log" >&2
		exit 1
	fi
}

step "dependencies (Debian packages)" bash scripts/install-deps.sh
step "configure (Release) in build/" cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX="$prefix" -DCONTAINERV_WERROR=OFF -DCONTAINERV_SANITIZE=OFF
step "build ($jobs jobs)" cmake --build build --parallel "$jobs"
step "install to $prefix" cmake --install build
step "ldconfig" ldconfig

if ! command -v containerv >/dev/null 2>&1; then
	echo "setup: installed $prefix/bin/containerv, which is not on PATH ($PATH)" >&2
	exit 1
fi
packages=$(grep -E '^install-deps: (installed|all)' "$log" | tail -1 | sed 's/^install-deps: //')
cat <<SUMMARY

containerv $(containerv version --format '{{.Client.Version}}' 2>/dev/null || echo installed)
  packages:  ${packages:-see $log}
  CLI:       $(command -v containerv)
  library:   $prefix/lib (libcontainerv), headers in $prefix/include/chef/containerv
  rootfs:    $prefix/share/containerv/rootfs (the built-in busybox)
  state:     /var/lib/containerv (containers, images, volumes, networks)
  full log:  $PWD/$log

Next:
  containerv run --rm busybox echo hello from containerv
  containerv run -it busybox sh
  containerv --help, docs/ (docker-run-flags.md lists every docker run flag)
SUMMARY
