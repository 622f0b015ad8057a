#!/usr/bin/env bash
# run/create flags docker users reach for: -u with user and group names (looked up in the container's
# own /etc/passwd and /etc/group, a symlinked file never followed to the host's), --sysctl (namespaced
# keys only), --stop-signal (what stop sends), --cidfile (written once, never overwritten), --init and
# -q accepted, --cpu-rt-* refused in one line; /sys/fs/cgroup shows the container's own cgroup read-only. Bad values: exit 125, one line, nothing created.
#
# Needs root. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs).
source "$(dirname "$0")/lib.sh"

# ---- -u names ----
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" -u nobody id
[ "$OUT" = "uid=65534(nobody) gid=65534(nogroup)" ] || fail "-u nobody: $OUT"
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" -u 0:nogroup id -g
[ "$OUT" = 65534 ] || fail "-u 0:nogroup: gid $OUT"
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" -u nosuchuser id
one_error_line "no such user"
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" -u nobody:nosuchgroup id
one_error_line "no such group"
pass "-u resolves user and group names in the container's /etc/passwd and /etc/group"

# A root filesystem whose /etc/passwd is a symlink to a host file: the name must not be found there.
cp -a "$CV_TEST_ROOTFS" "$TEST_TMP/rootfs"
echo 'hostonly:x:4242:4242::/:/bin/sh' >"$TEST_TMP/host-passwd"
ln -sf "$TEST_TMP/host-passwd" "$TEST_TMP/rootfs/etc/passwd"
cv 125 run --rm --rootfs "$TEST_TMP/rootfs" -u hostonly id
one_error_line "no such user"
rm -rf "$TEST_TMP/rootfs/etc"
ln -s "$TEST_TMP/hostetc" "$TEST_TMP/rootfs/etc"
mkdir "$TEST_TMP/hostetc"
cp "$TEST_TMP/host-passwd" "$TEST_TMP/hostetc/passwd"
cv 125 run --rm --rootfs "$TEST_TMP/rootfs" -u hostonly id
one_error_line "no such user"
pass "-u never follows a symlinked /etc/passwd or /etc to the host's files"

# ---- --sysctl ----
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" --sysctl net.ipv4.ip_forward=1 --sysctl kernel.shmmni=1234 \
	cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni
[ "$OUT" = "$(printf '1\n1234')" ] || fail "--sysctl values inside: $OUT"
host_swappiness=$(cat /proc/sys/vm/swappiness)
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --sysctl vm.swappiness=1 true
one_error_line "not a parameter of the container's own namespaces"
[ "$(cat /proc/sys/vm/swappiness)" = "$host_swappiness" ] || fail "a refused --sysctl changed the host"
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --sysctl novalue true
one_error_line "KEY=VALUE"
pass "--sysctl: namespaced keys set inside, host-wide ones refused"

# ---- --stop-signal ----
cv 0 run -d --name stopper --rootfs "$CV_TEST_ROOTFS" --stop-signal SIGUSR1 \
	sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done'
ids+=("$OUT")
sleep 0.3
cv 0 stop -t 5 stopper
cv 0 inspect -f '{{.State.ExitCode}}' stopper
[ "$OUT" = 42 ] || fail "stop sent the --stop-signal: exit code $OUT, expected 42 from the USR1 trap"
cv 0 rm stopper
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --stop-signal NOPE true
one_error_line "--stop-signal"
pass "--stop-signal: stop sends it"

# ---- --cidfile ----
cv 0 run -d --rootfs "$CV_TEST_ROOTFS" --cidfile "$TEST_TMP/cid" true
ids+=("$OUT")
[ "$(cat "$TEST_TMP/cid")" = "$OUT" ] || fail "--cidfile holds $(cat "$TEST_TMP/cid"), run printed $OUT"
before=$("$CONTAINERV" ps -aq | wc -l)
cv 125 run -d --rootfs "$CV_TEST_ROOTFS" --cidfile "$TEST_TMP/cid" true
one_error_line "container ID file found"
[ "$("$CONTAINERV" ps -aq | wc -l)" = "$before" ] || fail "a refused --cidfile created a container"
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --cidfile "$TEST_TMP/cid2" -m bogus true
[ ! -e "$TEST_TMP/cid2" ] || fail "a refused run left its --cidfile"
pass "--cidfile: the id written, an existing file refused"

# ---- /sys/fs/cgroup: the container's own cgroup, read-only ----
limit_file='f=/sys/fs/cgroup/memory.max; [ -e $f ] || f=/sys/fs/cgroup/memory/memory.limit_in_bytes; cat $f'
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" -m 64m sh -c "$limit_file"
[ "$OUT" = 67108864 ] || fail "the memory limit read inside is $OUT, expected 67108864 (-m 64m)"
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" --network host -m 32m sh -c "$limit_file"
[ "$OUT" = 33554432 ] || fail "with --network host the memory limit read inside is $OUT"
cv 0 run --rm --rootfs "$CV_TEST_ROOTFS" -m 64m sh -c \
	'for f in /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes; do [ -e $f ] && echo 1 >$f 2>/dev/null && echo WRITABLE; done; cat /proc/self/cgroup | cut -d: -f3 | sort -u'
[ "$OUT" = / ] || fail "the cgroup view is writable, or not rooted at the container's cgroup: $OUT"
pass "/sys/fs/cgroup shows the container's own cgroup read-only (its memory limit readable inside)"

# ---- accepted and refused ----
cv 0 run --rm --init -q --rootfs "$CV_TEST_ROOTFS" echo fine
[ "$OUT" = fine ] || fail "--init -q: $OUT"
cv 125 run --rm --rootfs "$CV_TEST_ROOTFS" --cpu-rt-runtime 950000 true
one_error_line "realtime"
pass "--init and -q accepted, --cpu-rt-runtime refused in one line"

cv 0 rm -f $("$CONTAINERV" ps -aq)
assert_clean "run flags"
