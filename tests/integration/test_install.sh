#!/usr/bin/env bash
# Installs the build tree under a temporary prefix and checks what a library
# user gets: the shared library with its soname links and only the public
# API exported, the headers, a pkg-config file that works from PKG_CONFIG_PATH
# alone, the CLI and the built-in rootfs. Then builds examples/hello.c with
# its Makefile against that install and runs it (as root) on $CV_TEST_ROOTFS:
# it must print "hello", leave no container state and no mount on the host.
# Last, the installed CLI runs the built-in busybox from <prefix>/share with
# the whole build tree hidden under an empty tmpfs (a private mount
# namespace), and, under strace, without opening or looking at any path of
# the build tree.
#
# Environment (set by tests/CMakeLists.txt): CONTAINERV (the built CLI),
# CV_TEST_ROOTFS, CV_SOURCE_DIR; CV_BUILD_DIR is optional (found from
# CONTAINERV otherwise).
set -euo pipefail

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

source_dir=${CV_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
rootfs=${CV_TEST_ROOTFS:?CV_TEST_ROOTFS is not set}

# The build tree: the directory with CMakeCache.txt above the CLI.
build_dir=${CV_BUILD_DIR:-}
if [ -z "$build_dir" ]; then
	directory=$(dirname "${CONTAINERV:?CONTAINERV is not set}")
	while [ "$directory" != / ] && [ ! -f "$directory/CMakeCache.txt" ]; do
		directory=$(dirname "$directory")
	done
	[ -f "$directory/CMakeCache.txt" ] || fail "no CMakeCache.txt above $CONTAINERV"
	build_dir=$directory
fi

work=$(mktemp -d /tmp/containerv-install-test.XXXXXX)
cleanup() {
	# Never follow a leaked mount out of the work directory.
	rm -rf --one-file-system "$work" 2>/dev/null || true
	rmdir /sys/fs/cgroup/*/containerv /sys/fs/cgroup/containerv 2>/dev/null || true # shared parents, when empty
}
trap cleanup EXIT

prefix="$work/prefix"
echo "# cmake --install $build_dir --prefix $prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 || {
	cat "$work/install.log" >&2
	fail "cmake --install"
}

# Where GNUInstallDirs put the library (lib, or lib/<multiarch> under /usr).
pc_file=$(find "$prefix" -name containerv.pc -path '*/pkgconfig/*' | head -n1)
[ -n "$pc_file" ] || fail "containerv.pc not installed"
libdir=$(dirname "$(dirname "$pc_file")")

echo "# installed files"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
[ -n "$version" ] || fail "no CMAKE_PROJECT_VERSION in $build_dir/CMakeCache.txt"
major=${version%%.*}
[ -f "$libdir/libcontainerv.so.$version" ] || fail "missing $libdir/libcontainerv.so.$version"
[ "$(readlink "$libdir/libcontainerv.so.$major")" = "libcontainerv.so.$version" ] ||
	fail "libcontainerv.so.$major is not a link to libcontainerv.so.$version"
[ -L "$libdir/libcontainerv.so" ] || fail "missing the libcontainerv.so development link"
soname=$(readelf -d "$libdir/libcontainerv.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libcontainerv.so.$major" ] || fail "soname is '$soname', expected libcontainerv.so.$major"
[ -f "$prefix/include/chef/containerv.h" ] || fail "missing include/chef/containerv.h"
for header in "$source_dir"/libs/containerv/include/chef/containerv/*.h; do
	[ -f "$prefix/include/chef/containerv/$(basename "$header")" ] || fail "missing header $(basename "$header")"
done
[ -x "$prefix/bin/containerv" ] || fail "missing bin/containerv"
installed_rootfs="$prefix/share/containerv/rootfs/busybox"
[ -x "$installed_rootfs/bin/busybox" ] || fail "missing the installed rootfs"
[ -L "$installed_rootfs/bin/sh" ] || fail "the installed rootfs has no bin/sh link"
[ "$(stat -c %a "$installed_rootfs/tmp")" = 1777 ] || fail "the installed rootfs's tmp/ is not 1777"

echo "# exported symbols"
# -fvisibility=hidden: only the public API (containerv_*) leaves the library.
stray=$(nm -D --defined-only "$libdir/libcontainerv.so.$version" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' |
	grep -v '^containerv_' | grep -Ev '^(_init|_fini|_edata|_end|__bss_start)$' || true)
[ -z "$stray" ] || fail "symbols exported outside the public API: $(echo "$stray" | tr '\n' ' ')"

echo "# the CLI finds the installed library"
resolved=$(ldd "$prefix/bin/containerv" | awk '$1 == "libcontainerv.so.'"$major"'" {print $3}')
if [ -z "$resolved" ] || [ "$(realpath "$resolved")" != "$(realpath "$libdir/libcontainerv.so.$version")" ]; then
	fail "bin/containerv resolves libcontainerv.so.$major to '$resolved', not from $libdir"
fi

echo "# pkg-config"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion containerv)" = "$version" ] || fail "pkg-config --modversion containerv"
pkg-config --cflags --libs containerv

echo "# build examples/hello.c with its Makefile"
cp "$source_dir/examples/hello.c" "$source_dir/examples/Makefile" "$work/"
extra_flags=""
# An ASan build's library needs the sanitizer runtime in the program too.
if grep -q '^CONTAINERV_SANITIZE:BOOL=ON' "$build_dir/CMakeCache.txt"; then
	extra_flags="-fsanitize=address,undefined"
fi
make -C "$work" CFLAGS="-O2 -g -Wall -Wextra -Werror $extra_flags" LDFLAGS="$extra_flags" hello >"$work/make.log" 2>&1 || {
	cat "$work/make.log" >&2
	fail "building the example against the install"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: running the example needs root"
	exit 0
fi

echo "# run the example in a container on $rootfs"
state="$work/state"
mkdir -p "$state"
set +e
output=$(cd "$work" && CONTAINERV_ROOT="$state" LD_LIBRARY_PATH="$libdir" timeout 60 ./hello "$rootfs" 2>"$work/hello.err")
status=$?
set -e
echo "stdout: $output"
sed 's/^/stderr: /' "$work/hello.err"

# Whatever happened, no mount of the container may be visible on the host.
leaked=$(grep -F "$work" /proc/self/mountinfo || true)
if [ -n "$leaked" ]; then
	echo "$leaked" >&2
	grep -F "$work" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r mount_point; do
		umount -l "$mount_point" 2>/dev/null || true
	done
	fail "mounts of the container leaked to the host"
fi

[ "$status" -eq 0 ] || fail "hello exited with $status"
[ "$output" = hello ] || fail "hello printed '$output', expected 'hello'"
if [ -d "$state/containers" ] && [ -n "$(ls -A "$state/containers" | grep -vxE "\.rootfs|\.etc|\.spare-[0-9]+")" ]; then
	fail "containerv_destroy() left state behind: $(ls -A "$state/containers")"
fi

echo "# the installed CLI's built-in rootfs is <prefix>/share/containerv/rootfs"
# A fresh state root: busybox is not in its store, so the CLI imports it from its rootfs path.
# The build tree is hidden under an empty tmpfs in a private mount namespace: what the installed
# CLI needs must come from the prefix. (The configured prefix's copy, if any, is hidden too.)
configured_share=$(sed -n 's/^CMAKE_INSTALL_PREFIX:[A-Z]*=//p' "$build_dir/CMakeCache.txt")/share/containerv
real_build_dir=$(realpath "$build_dir")
mkdir -p "$work/state-masked"
set +e
output=$(env -u CONTAINERV_ROOTFS_PATH CONTAINERV_ROOT="$work/state-masked" timeout 120 \
	unshare -m --propagation private -- sh -c '
	mount -t tmpfs -o mode=000,size=64k containerv-hidden "$1" || exit 99
	if [ -d "$2" ] && [ "$2" != "$3/share/containerv" ]; then mount -t tmpfs -o size=64k containerv-hidden "$2" || exit 99; fi
	exec "$3/bin/containerv" run --rm busybox echo from-the-prefix' containerv-install-test \
	"$real_build_dir" "$configured_share" "$prefix" 2>"$work/masked.err")
status=$?
set -e
sed 's/^/stderr: /' "$work/masked.err"
[ "$status" -ne 99 ] || fail "could not hide the build tree in a private mount namespace"
[ "$status" -eq 0 ] || fail "the installed CLI failed with the build tree hidden (exit $status): $(cat "$work/masked.err")"
[ "$output" = from-the-prefix ] || fail "the installed CLI printed '$output', expected 'from-the-prefix'"

if command -v strace >/dev/null 2>&1; then
	mkdir -p "$work/state-traced"
	# LeakSanitizer cannot stop the world under ptrace: leaks are checked by the run above, not here.
	env -u CONTAINERV_ROOTFS_PATH CONTAINERV_ROOT="$work/state-traced" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout 120 \
		strace -f -qq -e trace=%file -o "$work/trace" "$prefix/bin/containerv" run --rm busybox true ||
		fail "containerv run --rm busybox true from the install failed"
	# strace quotes paths: the tree itself or anything below it (not a sibling such as build-asan).
	touched=$(grep -F -e "\"$real_build_dir\"" -e "\"$real_build_dir/" -e "\"$build_dir\"" -e "\"$build_dir/" \
		"$work/trace" || true)
	[ -z "$touched" ] || fail "the installed CLI looked at the build tree: $(echo "$touched" | head -n3)"
	grep -qF -e "\"$prefix/bin/../share/containerv/rootfs/busybox\"" \
		-e "\"$prefix/share/containerv/rootfs/busybox\"" "$work/trace" ||
		fail "the installed CLI did not import busybox from $prefix/share/containerv/rootfs"
else
	echo "SKIP: strace not found: the check that no path of the build tree is even looked at"
fi

leaked=$(grep -F "$work" /proc/self/mountinfo || true)
[ -z "$leaked" ] || fail "mounts of the installed CLI's containers leaked to the host: $leaked"

echo "ok: install, pkg-config, example build and run, the installed CLI's rootfs"
