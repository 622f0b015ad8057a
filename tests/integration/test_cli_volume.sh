#!/usr/bin/env bash
# containerv volume create|ls|inspect|rm|prune: outputs, exit codes (1 for
# the store's errors as docker's daemon errors, 125 for bad flags), and no
# mounts, loop devices or directories left behind.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"

assert_no_volume_leftovers() {
	! grep -q "$CONTAINERV_ROOT" /proc/self/mountinfo || fail "$1: mounts under $CONTAINERV_ROOT left"
	[ -z "$(losetup -a | grep "$CONTAINERV_ROOT" || true)" ] || fail "$1: loop devices left: $(losetup -a)"
	[ -z "$(ls -A "$CONTAINERV_ROOT/volumes" 2>/dev/null)" ] || fail "$1: volume dirs left: $(ls -A "$CONTAINERV_ROOT/volumes")"
}

# create: prints the name; without one, a 64-hex name.
cv 0 volume create --label app=web --label tier=db data
[ "$OUT" = data ] || fail "volume create printed '$OUT'"
cv 0 volume create --opt size=16m --opt uid=1000 --opt gid=1000 limited
[ "$OUT" = limited ] || fail "volume create limited printed '$OUT'"
cv 0 volume create
[[ "$OUT" =~ ^[0-9a-f]{64}$ ]] || fail "volume create without a name printed '$OUT'"
generated=$OUT
[ -d "$CONTAINERV_ROOT/volumes/data/_data" ] || fail "no _data directory"
# Sparse by default (the space its files use); preallocated: all of it at once, like a fixed VHD.
[ "$(du -k "$CONTAINERV_ROOT/volumes/limited/disk.img" | cut -f1)" -lt 8192 ] || fail "a size-limited image is not sparse"
cv 0 volume create --opt size=16m --opt preallocate=true fixed
[ "$(du -k "$CONTAINERV_ROOT/volumes/fixed/disk.img" | cut -f1)" -ge 16384 ] || fail "preallocate=true left holes"
cv 0 run --rm -v fixed:/data --rootfs "$CV_TEST_ROOTFS" sh -c 'echo kept > /data/f && cat /data/f'
[ "$OUT" = kept ] || fail "a preallocated volume: '$OUT'"
cv 0 volume rm fixed
pass "volume create"

# Errors: existing name, invalid names, bad options.
cv 1 volume create data
one_error_line "volume data already exists"
cv 1 volume create ../../etc
one_error_line "invalid volume name"
[ ! -e "$CONTAINERV_ROOT/etc" ] && [ ! -e "$CONTAINERV_ROOT/volumes/../../etc/_data" ] || fail "../../etc created something"
cv 1 volume create -- -x
one_error_line "invalid volume name"
cv 1 volume create --opt size=1m tiny
one_error_line "minimum"
cv 125 volume create --opt size=lots big
one_error_line "--opt size=lots"
cv 125 volume create --opt size=16m --opt preallocate=maybe other
one_error_line "preallocate"
cv 125 volume create --opt type=nfs other
one_error_line "type=nfs"
cv 125 volume create --bogus x
one_error_line
cv 125 volume frobnicate
one_error_line "frobnicate"
pass "volume create errors"

# ls: docker's table, sorted; -q; json.
cv 0 volume ls
[ "$(printf '%s\n' "$OUT" | head -1 | tr -s ' ')" = "DRIVER VOLUME NAME" ] || fail "ls header: $OUT"
# The generated name is random hex: it may sort before or after the others.
expected=$(printf '%s\n' "$generated" data limited | LC_ALL=C sort | tr '\n' ' ')
[ "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $2}' | tr '\n' ' ')" = "$expected" ] ||
	fail "ls rows: $OUT"
[[ "$(printf '%s\n' "$OUT" | sed -n 2p)" == local* ]] || fail "ls driver column: $OUT"
cv 0 volume ls -q
[ "$OUT" = "$(printf '%s\n' "$generated" data limited | LC_ALL=C sort)" ] || fail "ls -q: $OUT"
cv 0 volume ls --format json
[ "$(printf '%s\n' "$OUT" | jq -r 'select(.Name == "data") | .Labels')" = "app=web,tier=db" ] || fail "ls json: $OUT"
cv 0 volume ls --format '{{.Name}} {{.Driver}}'
printf '%s\n' "$OUT" | grep -qx "data local" || fail "ls template: $OUT" # the generated name may sort first
pass "volume ls"

# inspect: a docker-shaped JSON array.
cv 0 volume inspect data limited
[ "$(jq length <<<"$OUT")" = 2 ] || fail "inspect: $OUT"
[ "$(jq -r '.[0].Name' <<<"$OUT")" = data ] || fail "inspect name: $OUT"
[ "$(jq -r '.[0].Driver + " " + .[0].Scope' <<<"$OUT")" = "local local" ] || fail "inspect driver/scope: $OUT"
[ "$(jq -r '.[0].Mountpoint' <<<"$OUT")" = "$CONTAINERV_ROOT/volumes/data/_data" ] || fail "inspect mountpoint: $OUT"
[ "$(jq -r '.[0].Labels.app' <<<"$OUT")" = web ] || fail "inspect labels: $OUT"
[[ "$(jq -r '.[0].CreatedAt' <<<"$OUT")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
	fail "inspect CreatedAt: $OUT"
[ "$(jq -r '.[0].Options' <<<"$OUT")" = null ] || fail "inspect plain options: $OUT"
[ "$(jq -r '.[1].Options.size' <<<"$OUT")" = 16777216 ] || fail "inspect size option: $OUT"
[ "$(jq -r '.[1].UsageData.RefCount' <<<"$OUT")" = 0 ] || fail "inspect RefCount: $OUT"
[ "$(jq -c '.[1].UsedBy' <<<"$OUT")" = "[]" ] || fail "inspect UsedBy: $OUT"
[ -f "$CONTAINERV_ROOT/volumes/limited/disk.img" ] || fail "no disk.img for a size-limited volume"
cv 0 volume inspect -f '{{.Mountpoint}}' limited
[ "$OUT" = "$CONTAINERV_ROOT/volumes/limited/_data" ] || fail "inspect -f: $OUT"
cv 1 volume inspect nosuch
one_error_line "No such volume: nosuch"
pass "volume inspect"

# rm: names printed; a missing volume exits 1 and the others are still removed.
cv 1 volume rm nosuch data
one_error_line "nosuch"
[ "$OUT" = data ] || fail "rm printed '$OUT'"
[ ! -e "$CONTAINERV_ROOT/volumes/data" ] || fail "data not removed"
cv 1 volume rm data
one_error_line "no such volume: data"
cv 125 volume rm
one_error_line
pass "volume rm"

# A volume in use (a user recorded by a container that exists) is refused unless -f.
fake=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
mkdir -p "$CONTAINERV_ROOT/containers/$fake"
echo '{}' >"$CONTAINERV_ROOT/containers/$fake/state.json"
touch "$CONTAINERV_ROOT/volumes/limited/users/$fake"
cv 0 volume inspect limited
[ "$(jq -r '.[0].UsedBy[0]' <<<"$OUT")" = "$fake" ] || fail "UsedBy: $OUT"
cv 1 volume rm limited
one_error_line "volume limited is in use by container ${fake:0:12}"
pass "volume rm of a volume in use"

# prune: asks first (no answer: nothing removed); -f removes the unused ones only.
set +e
OUT=$(echo n | timeout 60 "$CONTAINERV" volume prune)
CODE=$?
set -e
[ "$CODE" = 0 ] || fail "prune answered no: exit $CODE"
[ -d "$CONTAINERV_ROOT/volumes/$generated" ] || fail "prune without confirmation removed a volume"
cv 0 volume create spare
cv 0 volume prune -f
[[ "$OUT" == "Deleted Volumes:"*"Total reclaimed space: "* && "$OUT" == *"$generated"* && "$OUT" == *spare* ]] ||
	fail "prune output: $OUT"
cv 0 volume ls -q
[ "$OUT" = limited ] || fail "prune removed a volume in use, or left an unused one: $OUT"
pass "volume prune"

# The container is gone: its use is forgotten and rm works without -f.
rm -rf "${CONTAINERV_ROOT:?}/containers/$fake"
cv 0 volume rm limited
cv 0 volume prune -f
[[ "$OUT" == "Total reclaimed space: 0B" ]] || fail "empty prune: $OUT"
cv 0 volume create --opt size=8m forced
cv 0 volume rm -f forced
assert_no_volume_leftovers "volume commands"
pass "no leftovers"
