#!/usr/bin/env bash
# Mounts through the CLI: -v (bind, named, anonymous, ro), --mount, --tmpfs,
# --read-only; real effects (data persists and is shared, ro refuses writes
# for root, tmpfs size is enforced), a symlinked mount target stays inside
# the container, bad input gets one error line and leaves nothing behind.
#
# Needs root. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox
# root filesystem directory).
source "$(dirname "$0")/lib.sh"

R=$CV_TEST_ROOTFS
host_dir=$TEST_TMP/host
mkdir -p "$host_dir"
echo from-host >"$host_dir/greeting"

# Bind: the container reads the host's file and its writes reach the host.
cv 0 run --rm --rootfs "$R" -v "$host_dir:/data" sh -c 'cat /data/greeting; echo from-container > /data/reply'
[ "$OUT" = from-host ] || fail "bind read: '$OUT'"
[ "$(cat "$host_dir/reply")" = from-container ] || fail "bind write did not reach the host"
pass "bind mount"

# Read-only bind: root inside cannot write either (EROFS).
cv 1 run --rm --rootfs "$R" -v "$host_dir:/data:ro" sh -c 'touch /data/nope'
[[ "$ERR" == *"Read-only file system"* ]] || fail "ro bind: '$ERR'"
[ ! -e "$host_dir/nope" ] || fail "ro bind: the file was written"
cv 1 run --rm --rootfs "$R" --mount "type=bind,source=$host_dir,target=/data,readonly" touch /data/nope
[[ "$ERR" == *"Read-only file system"* ]] || fail "--mount readonly: '$ERR'"
pass "read-only bind"

# Named volume: data outlives the container and a second container sees it.
cv 0 run --rm --rootfs "$R" -v keep:/store sh -c 'echo persisted > /store/file'
cv 0 run --rm --rootfs "$R" -v keep:/store cat /store/file
[ "$OUT" = persisted ] || fail "named volume content: '$OUT'"
cv 0 volume ls -q
[[ "$OUT" == *keep* ]] || fail "volume ls after the containers are gone: '$OUT'"
pass "named volume persists across containers"

# Two running containers share one volume.
cv 0 run -d --name writer --rootfs "$R" -v shared:/s sh -c 'i=0; while :; do i=$((i+1)); echo $i > /s/tick; sleep 0.1; done'
cv 0 run -d --name reader --rootfs "$R" -v shared:/s sleep 30
ids+=("$("$CONTAINERV" inspect -f '{{.Id}}' writer)" "$("$CONTAINERV" inspect -f '{{.Id}}' reader)")
first_tick() { "$CONTAINERV" exec reader cat /s/tick; }
wait_for "the writer's first tick" first_tick
a=$("$CONTAINERV" exec reader cat /s/tick)
sleep 0.5
b=$("$CONTAINERV" exec reader cat /s/tick)
[ "$a" != "$b" ] || fail "the reader does not see the writer's updates ($a)"
cv 1 volume rm shared
[[ "$ERR" == *"in use"* ]] || fail "volume rm of a used volume: '$ERR'"
cv 0 rm -f writer reader
cv 0 volume rm shared
pass "shared volume, in-use refusal"

# Anonymous volumes: kept by rm, removed by rm -v and by --rm.
cv 0 run -d --name anon --rootfs "$R" -v /scratch sleep 30
anon_id=$("$CONTAINERV" inspect -f '{{.Id}}' anon)
ids+=("$anon_id")
cv 0 volume ls -q
anonymous=$(printf '%s\n' "$OUT" | grep -E '^[0-9a-f]{64}$' || true)
[ -n "$anonymous" ] || fail "no anonymous volume listed: '$OUT'"
cv 0 rm -f -v anon
cv 0 volume ls -q
! printf '%s\n' "$OUT" | grep -q "$anonymous" || fail "rm -v kept the anonymous volume"
cv 0 run --rm --rootfs "$R" -v /scratch true
cv 0 volume ls -q
[ -z "$(printf '%s\n' "$OUT" | grep -E '^[0-9a-f]{64}$' || true)" ] || fail "--rm kept an anonymous volume: '$OUT'"
pass "anonymous volumes"

# tmpfs: its size is enforced; --read-only leaves tmpfs writable.
cv 1 run --rm --rootfs "$R" --tmpfs /t:size=1m sh -c 'dd if=/dev/zero of=/t/fill bs=64k count=64'
[[ "$ERR" == *"No space left"* ]] || fail "tmpfs size not enforced: '$ERR'"
cv 0 run --rm --rootfs "$R" --mount type=tmpfs,target=/t,tmpfs-size=2m sh -c 'grep " /t " /proc/mounts'
[[ "$OUT" == *"tmpfs"*"size=2048k"* ]] || fail "--mount tmpfs: '$OUT'"
cv 1 run --rm --rootfs "$R" --read-only --tmpfs /scratch sh -c 'echo ok > /scratch/f && cat /scratch/f && touch /newfile'
[ "$OUT" = ok ] || fail "--read-only with a tmpfs: '$OUT'"
[[ "$ERR" == *"Read-only file system"* ]] || fail "--read-only rootfs accepted a write: '$ERR'"
pass "tmpfs and --read-only"

# A mount target that is a symlink in the image resolves inside the container, never on the host.
image=$TEST_TMP/image
cp -a "$R" "$image"
rm -rf "$image/data"
ln -s /etc "$image/data"
marker=cvtest-marker-$$
touch "$host_dir/$marker"
cv 0 run --rm --rootfs "$image" -v "$host_dir:/data" ls /etc
[[ "$OUT" == *"$marker"* ]] || fail "the bind did not land on the container's /etc: '$OUT'"
[ ! -e "/etc/$marker" ] || fail "the bind reached the host's /etc"
pass "symlinked mount target stays in the container"

# Size-limited volume: ENOSPC at the limit inside, usage reported, loop device gone after rm.
cv 0 volume create --opt size=16m limited
cv 1 run --rm --rootfs "$R" -v limited:/d sh -c 'dd if=/dev/zero of=/d/fill bs=1M count=24'
[[ "$ERR" == *"No space left"* ]] || fail "size-limited volume: '$ERR'"
cv 0 volume inspect limited
used=$(printf '%s\n' "$OUT" | jq '.[0].UsageData.Size')
[ "$used" -gt $((10 << 20)) ] || fail "size-limited volume usage: $used"
[ -z "$(losetup -a | grep "$CONTAINERV_ROOT" || true)" ] || fail "loop device left: $(losetup -a)"
! grep -q "$CONTAINERV_ROOT/volumes/limited" /proc/self/mountinfo || fail "size-limited volume still mounted"
cv 0 volume rm limited
pass "size-limited volume"

# Ordinary binds stay ordinary at every level (the sensitive-path check must not catch them): a
# directory, a named volume, a file, and the usual read-only /etc/localtime (a link into /usr here).
for level in permissive restricted strict paranoid; do
	cv 0 run --rm --network none --security-level "$level" --rootfs "$R" -v "$host_dir:/data" -v ordinary:/v \
		-v "$host_dir/greeting:/greeting:ro" -v /etc/localtime:/localtime:ro sh -c 'cat /greeting; ls /data /v >/dev/null'
	[ "$OUT" = from-host ] || fail "$level: ordinary binds: '$OUT'"
done
cv 0 volume rm ordinary
pass "ordinary binds accepted at every level"

# Bad input: one line, 125, nothing created.
cv 125 run --rm --rootfs "$R" -v "$host_dir:relative" true
one_error_line "relative"
cv 125 run --rm --rootfs "$R" -v "../../etc:/x" true
one_error_line "../../etc"
cv 125 run --rm --rootfs "$R" --mount "type=bind,source=/nonexistent-cvtest,target=/x" true
one_error_line "/nonexistent-cvtest"
cv 125 run --rm --rootfs "$R" --tmpfs "/t:size=12XB" true
one_error_line "12XB"
cv 125 run --rm --rootfs "$R" -v "$host_dir:/a" -v "$host_dir:/a" true
one_error_line "/a"
cv 125 run --rm --rootfs "$R" --mount "type=nfs,target=/x" true
one_error_line "nfs"
assert_clean "mount errors"
cv 0 volume rm keep
pass "bad mount input"

echo "all mount tests passed"
