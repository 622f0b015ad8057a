#!/usr/bin/env bash
# Builds the built-in "busybox" root filesystem from the host's static busybox
# (Debian's busybox-static):
#
#   DEST/bin/busybox              the binary
#   DEST/{bin,sbin,usr/bin,usr/sbin}/<applet> -> busybox   one link per applet
#   DEST/etc/{passwd,group,hostname,hosts,resolv.conf}     root and nobody (65534); resolv.conf empty
#   DEST/{dev,proc,sys,root,home,var,run,tmp}              tmp is 1777
#
# Usage: scripts/make-rootfs.sh DEST [BUSYBOX]
#
# Idempotent: when DEST exists and was made by this script version from the
# same busybox binary, nothing is done. Atomic: the tree is built in DEST.tmp
# and renamed into place, so a reader never sees a half-made rootfs.
# The stamp that records what DEST was made from is DEST.stamp (outside the
# rootfs, so containers do not see it).
set -euo pipefail

# Bump when the layout below changes, so existing trees are rebuilt.
LAYOUT_VERSION=2

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 DEST [BUSYBOX]" >&2
	exit 2
fi
dest=${1%/}
busybox=${2:-/bin/busybox}

if [ ! -x "$busybox" ]; then
	echo "make-rootfs: $busybox not found: install busybox-static (scripts/install-deps.sh)" >&2
	exit 1
fi
# A dynamically linked busybox would not run inside the container, which has
# no libc: insist on the static build.
if command -v readelf >/dev/null 2>&1 && readelf -l "$busybox" 2>/dev/null | grep -q 'INTERP'; then
	echo "make-rootfs: $busybox is dynamically linked: install busybox-static" >&2
	exit 1
fi

stamp_file="$dest.stamp"
wanted_stamp="layout=$LAYOUT_VERSION busybox=$(sha256sum "$busybox" | cut -d' ' -f1)"
if [ -d "$dest" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$wanted_stamp" ]; then
	exit 0
fi

tmp="$dest.tmp"
old="$dest.old"
rm -rf "$tmp" "$old"
mkdir -p "$tmp"

# Directories. Modes are explicit so that the result does not depend on umask.
for directory in bin sbin usr usr/bin usr/sbin etc dev proc sys root home var var/log run mnt; do
	mkdir -p "$tmp/$directory"
	chmod 0755 "$tmp/$directory"
done
chmod 0700 "$tmp/root"
mkdir -p "$tmp/tmp" "$tmp/var/tmp"
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"

install -m 0755 "$busybox" "$tmp/bin/busybox"

# One relative symlink per applet at the place busybox says it belongs
# (bin/sh, sbin/ifconfig, usr/bin/env, ...). Relative links work both inside
# the container and when the tree is looked at from the host.
count=0
while IFS= read -r applet_path; do
	applet_path=${applet_path#/}
	# linuxrc (an initramfs entry point) has no place in a container.
	case "$applet_path" in
	"" | bin/busybox | linuxrc) continue ;;
	esac
	applet_dir=$(dirname "$applet_path")
	case "$applet_dir" in
	bin) target=busybox ;;
	sbin) target=../bin/busybox ;;
	usr/bin | usr/sbin) target=../../bin/busybox ;;
	*)
		echo "make-rootfs: unexpected applet location $applet_path" >&2
		exit 1
		;;
	esac
	ln -sfn "$target" "$tmp/$applet_path"
	count=$((count + 1))
done < <("$busybox" --list-full)

# Some busybox builds lack --list-full output for a few applets; make sure
# every applet of --list has a link somewhere on PATH.
while IFS= read -r applet; do
	[ -n "$applet" ] || continue
	case "$applet" in
	busybox | linuxrc) continue ;;
	esac
	found=0
	for directory in bin sbin usr/bin usr/sbin; do
		if [ -L "$tmp/$directory/$applet" ]; then
			found=1
			break
		fi
	done
	if [ "$found" = 0 ]; then
		ln -sfn busybox "$tmp/bin/$applet"
		count=$((count + 1))
	fi
done < <("$busybox" --list)

if [ ! -L "$tmp/bin/sh" ]; then
	echo "make-rootfs: busybox has no sh applet" >&2
	exit 1
fi

cat >"$tmp/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$tmp/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
echo containerv >"$tmp/etc/hostname"
cat >"$tmp/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
# An empty resolv.conf: the runtime binds its own over it. Without one, every container's first
# start would create the mount target (and /etc) in its upper layer: two disk writes per container.
: >"$tmp/etc/resolv.conf"
chmod 0644 "$tmp/etc/passwd" "$tmp/etc/group" "$tmp/etc/hostname" "$tmp/etc/hosts" "$tmp/etc/resolv.conf"

# Swap the new tree in. rename(2) cannot replace a non-empty directory, so an
# existing tree is moved aside first; the stamp is removed before and written
# after, so an interruption leaves at worst a tree that is rebuilt next time.
rm -f "$stamp_file"
if [ -e "$dest" ]; then
	mv -T "$dest" "$old"
fi
mv -T "$tmp" "$dest"
rm -rf "$old"
echo "$wanted_stamp" >"$stamp_file"
echo "make-rootfs: $dest: busybox with $count applets"
