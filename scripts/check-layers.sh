#!/usr/bin/env bash
# The layer check (ctest: layers.check; docs/architecture.md#layers).
#
# Reads every #include of the library's sources (libs/containerv/<folder>/*.[ch])
# and fails, naming FILE:LINE, when
#   1. a folder includes (with "...") a header of a folder it may not: layers
#      point one way, down; peers do not include each other unless LAYERS says so;
#   2. a file outside the platform folder (platform/linux/) includes a Linux-only header
#      (<linux/...>, <sys/mount.h>, <sys/syscall.h> ...): what only Linux has
#      belongs to the backend, so another backend can be built beside it.
# The few places that still break rule 2 are listed in EXCEPTIONS below, each
# with why: known debt, visible here, and no new one can come in unnoticed.
#
# Usage: scripts/check-layers.sh [LIBRARY_DIR]   (default: libs/containerv)
#        scripts/check-layers.sh --self-test     (plants violations in a copy
#                                                 and checks that they are caught)
# Exit status: 0 clean, 1 a violation, 2 usage or an unreadable tree.
set -uo pipefail

# ---- The allowed graph: the one place it is written down ----
# "FOLDER: FOLDERS IT MAY INCLUDE" (its own headers always). Lowest first.
# A folder that is not listed fails the check: a new layer is declared here first.
# A folder is a top-level directory of the library, or platform/<name> (one backend each).
LAYERS=(
	"include:"                                           # public headers: <chef/...> only, nothing internal
	"common:"                                            # errors, strings, JSON, limits, digests: the floor
	"security:common"                                    # profiles, seccomp model, audit
	"network:common"                                     # addresses, ports, definitions, leases
	"config:common security network"                     # struct containerv_options: the composite config
	"image:common config network"                        # the OCI store, pull/push, image -> config
	"spec:common config image network security"          # docker syntax -> config
	"core:common config security network image spec"     # handle, state store, backend interface, events
	"lb:common"                                          # the load balancer: backends, algorithms, health
	"platform/linux:common config security network image spec core lb" # the Linux backend: fills core's table, lb's relay
	"platform/windows:common config security network image core" # the Windows backend: fills core's table (job objects, tokens, virtual disks, HCS)
	"orchestration:common"                               # compose apps: the public API and common/ only
	"pool:common config"                                 # pools and their keeper: the public API, config/
	"metrics:common"                                     # Prometheus text and its server: the public API only
)

# The platform folders: the only ones that may include a Linux-only (Windows-only) header.
PLATFORM_FOLDERS="platform/linux platform/windows"

# Headers only Linux has (extended regular expression over the <...> name).
LINUX_ONLY='^(linux/.*|asm/.*|sys/(mount|syscall|prctl|sysmacros|xattr|epoll|signalfd|eventfd|inotify|timerfd|fanotify|capability|fsuid|personality|vfs|statfs|sendfile|pidfd|klog|reboot|swap|sysinfo|quota)\.h|mntent\.h|libmnl/.*|nftables/.*|seccomp\.h|libcgroup\.h)$'

# Headers only Windows has: they stay in platform/windows/ as Linux's stay in platform/linux/.
WINDOWS_ONLY='^(windows|winbase|winnt|sddl|userenv|virtdisk|bcrypt|winhttp|computecore|initguid|io|direct|psapi|winsock2|ws2tcpip)\.h$'

# Known debt: "FILE <HEADER>" pairs allowed to break rule 2 for now. Each says why
# and what removes it. Paths are relative to the library directory.
EXCEPTIONS=(
	# None: the last (image/unpack-entry.c's openat2, whiteouts, xattrs and device numbers)
	# went behind image/layer-fs.h, filled by platform/linux/layer-fs.c.
)

usage() {
	echo "usage: $0 [LIBRARY_DIR | --self-test]" >&2
}

# allowed_targets FOLDER: prints the folders FOLDER may include; status 1 when it is not in LAYERS.
allowed_targets() {
	local entry
	for entry in "${LAYERS[@]}"; do
		if [ "${entry%%:*}" = "$1" ]; then
			echo "${entry#*:}"
			return 0
		fi
	done
	return 1
}

# folder_of PATH: sets FOLDER to the layer of a library-relative path: its first
# component, or its first two under platform/ (each backend is a layer of its own).
folder_of() {
	FOLDER=${1%%/*}
	if [ "$FOLDER" = platform ] && [[ $1 == platform/*/* ]]; then
		local rest=${1#platform/}
		FOLDER=platform/${rest%%/*}
	fi
}

is_exception() {
	local entry
	for entry in "${EXCEPTIONS[@]}"; do
		[ "$entry" = "$1 <$2>" ] && return 0
	done
	return 1
}

is_platform_folder() {
	local folder
	for folder in $PLATFORM_FOLDERS; do
		[ "$folder" = "$1" ] && return 0
	done
	return 1
}

# target_folder LIBRARY_DIR FILE INCLUDED: sets TARGET to the folder a quoted include resolves to.
# As the compiler does: next to the including file first, then from the library
# directory (CMake's include path for the sources). Pure bash: no process per include.
target_folder() {
	local library=$1 file=$2 included=$3 path component
	TARGET=
	local -a parts=() resolved=()
	if [ -e "$library/${file%/*}/$included" ]; then
		path="${file%/*}/$included"
	else
		path=$included
	fi
	IFS=/ read -r -a parts <<<"$path"
	for component in "${parts[@]}"; do
		case "$component" in
		'' | .) ;;
		..)
			[ ${#resolved[@]} -gt 0 ] || {
				TARGET="(outside)"
				return
			}
			unset 'resolved[${#resolved[@]}-1]'
			;;
		*) resolved+=("$component") ;;
		esac
	done
	if [ ${#resolved[@]} -gt 2 ] && [ "${resolved[0]}" = platform ]; then
		TARGET=platform/${resolved[1]}
	elif [ ${#resolved[@]} -gt 1 ]; then
		TARGET=${resolved[0]}
	else
		TARGET="(top)"
	fi
}

check() {
	local library=$1 violations=0 file folder allowed line number directive included rest
	local -A used_exceptions=() allowed_of=()

	[ -d "$library" ] || {
		echo "check-layers: $library: not a directory" >&2
		return 2
	}
	# Every source of a folder, even one without an include, must belong to the graph.
	while IFS= read -r file; do
		folder_of "$file"
		folder=$FOLDER
		[ -n "${allowed_of[$folder]+set}" ] && continue
		if allowed=$(allowed_targets "$folder"); then
			allowed_of[$folder]=$allowed
		else
			echo "$file:1: folder \"$folder\" is not in the layer graph (scripts/check-layers.sh LAYERS)"
			allowed_of[$folder]="(unknown)"
			violations=$((violations + 1))
		fi
	done < <(cd "$library" && find . -mindepth 2 -type f \( -name '*.c' -o -name '*.h' \) -printf '%P\n' | sort)

	# One grep over the tree: "FILE:LINE:#include ...".
	while IFS= read -r line; do
		file=${line%%:*}
		rest=${line#*:}
		number=${rest%%:*}
		directive=${rest#*:}
		[ "${file%%/*}" = "$file" ] && continue # a file at the top, outside every layer
		folder_of "$file"
		folder=$FOLDER
		allowed=${allowed_of[$folder]}
		[ "$allowed" = "(unknown)" ] && continue
		if [[ $directive =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
			included=${BASH_REMATCH[1]}
			target_folder "$library" "$file" "$included"
			[ "$TARGET" = "$folder" ] && continue
			if [[ " $allowed " != *" $TARGET "* ]]; then
				echo "$file:$number: $folder may not include \"$included\" ($TARGET); $folder may include: ${allowed:-nothing internal}"
				violations=$((violations + 1))
			fi
		elif [[ $directive =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
			included=${BASH_REMATCH[1]}
			is_platform_folder "$folder" && continue
			if [[ $included =~ $WINDOWS_ONLY ]]; then
				echo "$file:$number: <$included> is Windows-only: outside platform/windows/ no file may include it"
				violations=$((violations + 1))
				continue
			fi
			[[ $included =~ $LINUX_ONLY ]] || continue
			if is_exception "$file" "$included"; then
				used_exceptions["$file <$included>"]=1
				continue
			fi
			echo "$file:$number: <$included> is Linux-only: outside $PLATFORM_FOLDERS/ no file may include it"
			violations=$((violations + 1))
		fi
	done < <(cd "$library" && grep -rn --include='*.c' --include='*.h' '^[[:space:]]*#[[:space:]]*include' . |
		sed 's|^\./||' | sort -t: -k1,1 -k2,2n)

	# An exception whose include is gone is stale: drop it, so the list stays the true debt.
	local entry
	for entry in "${EXCEPTIONS[@]}"; do
		if [ -z "${used_exceptions[$entry]:-}" ]; then
			echo "scripts/check-layers.sh: exception \"$entry\" no longer occurs: remove it from EXCEPTIONS"
			violations=$((violations + 1))
		fi
	done
	if [ "$violations" -gt 0 ]; then
		echo "check-layers: $violations violation(s) (allowed graph and exceptions: scripts/check-layers.sh)"
		return 1
	fi
	echo "check-layers: $library: every include points down; ${#EXCEPTIONS[@]} Linux-header exception(s) listed"
	return 0
}

# Plants one violation of each kind in a copy of the tree and expects each to be named.
self_test() {
	local library=$1 scratch output status
	scratch=$(mktemp -d /tmp/check-layers.XXXXXX) || return 2
	# shellcheck disable=SC2064 # (the path is fixed now)
	trap "rm -rf '$scratch'" RETURN
	cp -r "$library" "$scratch/lib"
	check "$scratch/lib" >/dev/null || {
		echo "self-test: the unmodified tree does not pass" >&2
		return 1
	}
	printf '#include "platform/linux/cgroup.h"\n' >>"$scratch/lib/common/error.c"
	printf '#include "../image/store.h"\n' >>"$scratch/lib/network/address.c"
	printf '#include <sys/mount.h>\n' >>"$scratch/lib/spec/env.c"
	printf '#include "platform/linux/container-private.h"\n' >>"$scratch/lib/core/store.c"
	mkdir "$scratch/lib/newlayer" && printf '/* new */\n' >"$scratch/lib/newlayer/new.c"
	output=$(check "$scratch/lib")
	status=$?
	echo "$output"
	[ "$status" = 1 ] || {
		echo "self-test: expected status 1, got $status" >&2
		return 1
	}
	local expected
	for expected in 'common/error.c:[0-9]*: common may not include "platform/linux/cgroup.h" (platform/linux)' \
		'network/address.c:[0-9]*: network may not include "../image/store.h" (image)' \
		'spec/env.c:[0-9]*: <sys/mount.h> is Linux-only' \
		'core/store.c:[0-9]*: core may not include "platform/linux/container-private.h" (platform/linux)' \
		'newlayer/new.c:1: folder "newlayer" is not in the layer graph'; do
		grep -q "$expected" <<<"$output" || {
			echo "self-test: not reported: $expected" >&2
			return 1
		}
	done
	echo "self-test: every planted violation was reported"
}

source_dir=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
--self-test) self_test "$source_dir/libs/containerv" ;;
-h | --help) usage ;;
-*)
	usage
	exit 2
	;;
*) check "${1:-$source_dir/libs/containerv}" ;;
esac
