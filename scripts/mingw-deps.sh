#!/usr/bin/env bash
# Builds the third-party libraries of the Windows target that Debian does not ship as mingw
# builds (jansson, libyaml) from Debian 12's own source packages, with the mingw-w64 cross
# compiler, into a prefix:
#
#   scripts/mingw-deps.sh PREFIX
#
# Sources: `apt-get source --download-only` against a private deb-src list (the host's apt
# configuration is not touched; apt checks the .dsc against Debian's archive keyring). Static
# libraries, so containerv.dll carries them and needs no other DLL. Nothing is copied into the
# tree; a second run with the libraries present does nothing.
set -euo pipefail

prefix=${1:?usage: $0 PREFIX}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
if [ -f "$prefix/lib/libjansson.a" ] && [ -f "$prefix/lib/libyaml.a" ]; then
	exit 0
fi

triplet=x86_64-w64-mingw32
toolchain=$(cd "$(dirname "$0")/.." && pwd)/cmake/mingw-w64-x86_64.cmake
work=$prefix/src
mkdir -p "$work/lists/partial"
cat >"$work/sources.list" <<LIST
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
LIST
apt_options=(-o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$work/lists"
	-o APT::Sandbox::User=root -q)
if [ ! -f "$work/jansson.done" ]; then
	apt-get "${apt_options[@]}" update >/dev/null
	(cd "$work" && apt-get "${apt_options[@]}" source --download-only jansson libyaml >/dev/null)
	touch "$work/jansson.done"
fi

build() { # NAME TARBALL-GLOB CMAKE-OPTIONS...
	local name=$1 tarball
	shift
	# shellcheck disable=SC2086 # (the glob)
	tarball=$(ls "$work"/$1)
	shift
	rm -rf "${work:?}/$name" && mkdir -p "$work/$name"
	tar -xzf "$tarball" -C "$work/$name" --strip-components=1
	cmake -S "$work/$name" -B "$work/$name/build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
		-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF \
		-DCMAKE_POLICY_DEFAULT_CMP0077=NEW "$@" >/dev/null
	cmake --build "$work/$name/build" -j"$(nproc)" >/dev/null
	cmake --install "$work/$name/build" >/dev/null
}
build jansson 'jansson_*.orig.tar.gz' -DJANSSON_BUILD_DOCS=OFF -DJANSSON_EXAMPLES=OFF -DJANSSON_WITHOUT_TESTS=ON
build libyaml 'libyaml_*.orig.tar.gz' -DBUILD_TESTING=OFF -DINSTALL_CMAKE_DIR=lib/cmake/yaml
echo "mingw dependencies in $prefix: libjansson.a libyaml.a (${triplet}, from Debian source)"
