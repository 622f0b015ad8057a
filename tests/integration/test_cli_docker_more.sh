#!/usr/bin/env bash
# The last of issue 17's flags, asserting what docker documents: images --filter (dangling, label,
# reference globs, before, since) and images REPOSITORY[:TAG]; inspect --type and -s (SizeRw,
# SizeRootFs); cp -a (uid/gid kept) and cp -L (a symlinked source followed, inside the container's
# root); create -i with start -i / start -a -i (stdin reaches the container); --detach-keys (refused
# in one line: there is no daemon to detach to); --sig-proxy (true: SIGINT/SIGTERM reach the
# container; false: they don't); exec --privileged (every capability at the permissive level,
# refused at restricted). Bad input: one line, a non-zero exit, nothing changed.
#
# Needs root. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs).
source "$(dirname "$0")/lib.sh"

# cv_in INPUT EXPECTED_EXIT ARGS...: cv with INPUT on the CLI's stdin.
cv_in() {
	local input=$1 expected=$2
	shift 2
	set +e
	OUT=$(printf '%b' "$input" | timeout -k 10 60 "$CONTAINERV" "$@" 2>"$TEST_TMP/stderr")
	CODE=$?
	set -e
	ERR=$(cat "$TEST_TMP/stderr")
	[ "$CODE" = "$expected" ] || fail "containerv $*: exit $CODE, expected $expected; stderr: $ERR"
}

# Sorted rows of a listing, one per line, joined by spaces (order-independent comparisons).
rows() { printf '%s\n' "$1" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'; }

# ---- images --filter ----
cv 0 import "$CV_TEST_ROOTFS" base:1
base_id=$OUT
cv 0 tag base:1 base:latest
cv 0 import -c 'LABEL tier=web' -c 'LABEL owner=team a' "$CV_TEST_ROOTFS" lab:1
cv 0 import "$CV_TEST_ROOTFS" other/thing:2
names() { cv 0 images "$@" --format '{{.Repository}}:{{.Tag}}'; rows "$OUT"; }
[ "$(names)" = "base:1 base:latest lab:1 other/thing:2" ] || fail "images: $(names)"
[ "$(names -f reference=base)" = "base:1 base:latest" ] || fail "reference=base: $(names -f reference=base)"
[ "$(names -f 'reference=base:l*')" = "base:latest" ] || fail "reference=base:l*: $(names -f 'reference=base:l*')"
[ "$(names -f 'reference=*/*')" = "other/thing:2" ] || fail "reference=*/*: $(names -f 'reference=*/*')"
# docker's path.Match: '*' does not cross '/'.
[ "$(names -f 'reference=*:2')" = "" ] || fail "reference=*:2 crossed a /: $(names -f 'reference=*:2')"
[ "$(names -f reference=base -f reference=lab)" = "base:1 base:latest lab:1" ] || fail "two references"
[ "$(names base)" = "base:1 base:latest" ] || fail "images REPOSITORY: $(names base)"
[ "$(names other/thing:2)" = "other/thing:2" ] || fail "images REPOSITORY:TAG: $(names other/thing:2)"
pass "images --filter reference: globs over the name with or without its tag, alternatives ORed"

[ "$(names -f label=tier=web)" = "lab:1" ] || fail "label=tier=web: $(names -f label=tier=web)"
[ "$(names -f label=owner)" = "lab:1" ] || fail "label=owner: $(names -f label=owner)"
[ "$(names -f 'label=owner=team a')" = "lab:1" ] || fail "a label value with a space"
[ "$(names -f label=tier=db)" = "" ] || fail "label=tier=db matched"
cv 0 image inspect -f '{{.Config.Labels.tier}}' lab:1
[ "$OUT" = web ] || fail "import --change LABEL: $OUT"
[ "$(names -f dangling=true)" = "" ] || fail "dangling=true lists named images"
[ "$(names -f dangling=false)" = "base:1 base:latest lab:1 other/thing:2" ] || fail "dangling=false"
# Created in the order base, lab, other.
[ "$(names -f since=base:1)" = "lab:1 other/thing:2" ] || fail "since=base:1: $(names -f since=base:1)"
[ "$(names -f before=other/thing:2)" = "base:1 base:latest lab:1" ] || fail "before=other/thing:2"
[ "$(names -f since=base:1 -f before=other/thing:2)" = "lab:1" ] || fail "since and before together"
[ "$(names -f since=base:1 -f label=tier)" = "lab:1" ] || fail "keys ANDed"
cv 0 images -q -f reference=base
[ "$OUT" = "${base_id:7:12}" ] || fail "images -q prints the id once per image: $OUT"
pass "images --filter label, dangling, before, since: keys ANDed, -q once per image"

cv 125 images -f bogus=1
one_error_line "unknown key"
cv 125 images -f dangling=maybe
one_error_line "dangling"
cv 125 images -f reference
one_error_line "KEY=VALUE"
cv 1 images -f since=nosuch:1
one_error_line "nosuch"
cv 125 import -c 'LABEL =x' "$CV_TEST_ROOTFS" lab:2
one_error_line "LABEL"
cv 1 image inspect lab:2
pass "images --filter: a bad key or value is one line (125), an unknown image one line (1)"

# ---- inspect --type / -s ----
cv 0 volume create same
cv 0 create --name same base:1 true
same_id=$OUT
ids+=("$same_id")
cv 0 network create netx
cv 0 inspect -f '{{.Id}}' same
[ "$OUT" = "$same_id" ] || fail "a name without --type is a container first: $OUT"
cv 0 inspect --type volume -f '{{.Name}} {{.Driver}}' same
[ "$OUT" = "same local" ] || fail "inspect --type volume: $OUT"
cv 0 inspect --type container -f '{{.Id}}' same
[ "$OUT" = "$same_id" ] || fail "inspect --type container: $OUT"
cv 0 inspect --type image -f '{{.Id}}' base:1
[ "$OUT" = "$base_id" ] || fail "inspect --type image: $OUT"
cv 0 inspect -f '{{.Id}}' base:1
[ "$OUT" = "$base_id" ] || fail "an image name without --type: $OUT"
cv 0 inspect -f '{{.Name}}' netx
[ "$OUT" = netx ] || fail "a network name without --type: $OUT"
cv 0 inspect --type network -f '{{.Name}}' netx
[ "$OUT" = netx ] || fail "inspect --type network: $OUT"
cv 1 inspect --type container base:1
one_error_line "No such container: base:1"
cv 1 inspect --type image same
one_error_line "No such image: same"
cv 1 inspect --type volume netx
one_error_line "No such volume: netx"
cv 1 inspect nosuch
one_error_line "No such object: nosuch"
cv 125 inspect --type pod same
one_error_line "--type"
# One missing among found ones: the found are printed, the exit is 1.
cv 1 inspect -f '{{.Name}}' netx nosuch
[ "$OUT" = netx ] || fail "inspect with a missing name printed: $OUT"
pass "inspect --type container|image|network|volume; without it: container, image, network, volume"

cv 0 run --name sizer base:1 dd if=/dev/zero of=/big bs=1024 count=1024
ids+=("$(timeout 60 "$CONTAINERV" inspect -f '{{.Id}}' sizer)")
cv 0 inspect -s -f '{{.SizeRw}} {{.SizeRootFs}}' sizer
read -r size_rw size_root <<<"$OUT"
cv 0 image inspect -f '{{.Size}}' base:1
image_size=$OUT
[ "$size_rw" -ge 1048576 ] && [ "$size_rw" -lt 4194304 ] || fail "SizeRw of 1 MiB written: $size_rw"
[ "$size_root" = "$((size_rw + image_size))" ] || fail "SizeRootFs $size_root != $size_rw + image $image_size"
cv 0 inspect sizer
! grep -q SizeRw <<<"$OUT" || fail "SizeRw without -s"
cv 0 inspect -s -f '{{.Name}}' netx
[ "$OUT" = netx ] || fail "-s on a network: $OUT"
pass "inspect -s: SizeRw is the writable layer ($size_rw B), SizeRootFs adds the image ($image_size B)"

# ---- cp -a / -L ----
mkdir -p "$TEST_TMP/src/sub" "$TEST_TMP/out"
echo hi >"$TEST_TMP/src/f"
chown 1234:2345 "$TEST_TMP/src/f" "$TEST_TMP/src/sub"
ln -s f "$TEST_TMP/src/link"
echo host-real >"$TEST_TMP/real"
ln -s "$TEST_TMP/real" "$TEST_TMP/hostlink"
echo host-secret >"$TEST_TMP/hostsecret"
cv 0 run -d --name cpc base:1 sleep 1000
ids+=("$OUT")
cv 0 cp -a "$TEST_TMP/src" cpc:/kept
cv 0 cp "$TEST_TMP/src" cpc:/plain
cv 0 exec cpc stat -c '%u:%g' /kept/f /kept/sub /plain/f
[ "$(rows "$OUT")" = "0:0 1234:2345 1234:2345" ] || fail "cp -a into the container: $OUT"
cv 0 exec cpc stat -c '%u:%g' /kept/f
[ "$OUT" = 1234:2345 ] || fail "cp -a kept the file's owner: $OUT"
cv 0 exec cpc stat -c '%u:%g' /plain/f
[ "$OUT" = 0:0 ] || fail "cp without -a gives the container's root: $OUT"
cv 0 cp -a cpc:/kept "$TEST_TMP/out/kept"
cv 0 cp cpc:/kept "$TEST_TMP/out/plain"
[ "$(stat -c '%u:%g' "$TEST_TMP/out/kept/f")" = 1234:2345 ] || fail "cp -a out of the container"
[ "$(stat -c '%u:%g' "$TEST_TMP/out/kept/sub")" = 1234:2345 ] || fail "cp -a out: a directory's owner"
[ "$(stat -c '%u:%g' "$TEST_TMP/out/plain/f")" = "$(id -u):$(id -g)" ] || fail "cp out without -a"
[ -L "$TEST_TMP/out/kept/link" ] || fail "a link inside a copied directory stays a link"
pass "cp -a: the source's uid/gid kept both ways; without it the container's root or the caller"

cv 0 exec cpc sh -c "echo inside >/target; ln -s /target /abs; ln -s ../../../../target /rel; \
ln -s /../../../../..$TEST_TMP/hostsecret /esc; ln -s ../../../../../..$TEST_TMP/hostsecret /esc2"
cv 0 cp cpc:/abs "$TEST_TMP/out/abs-link"
[ -L "$TEST_TMP/out/abs-link" ] || fail "cp without -L copies the link"
cv 0 cp -L cpc:/abs "$TEST_TMP/out"
[ -f "$TEST_TMP/out/abs" ] && [ ! -L "$TEST_TMP/out/abs" ] || fail "cp -L: not a file under the link's name"
[ "$(cat "$TEST_TMP/out/abs")" = inside ] || fail "cp -L followed /abs to: $(cat "$TEST_TMP/out/abs")"
cv 0 cp -L cpc:/rel "$TEST_TMP/out/rel"
[ "$(cat "$TEST_TMP/out/rel")" = inside ] || fail "cp -L of a relative link"
for link in esc esc2; do
	cv 1 cp -L "cpc:/$link" "$TEST_TMP/out/$link"
	one_error_line "$link"
	[ ! -e "$TEST_TMP/out/$link" ] || fail "cp -L of /$link left $(cat "$TEST_TMP/out/$link")"
done
cv 0 cp -L "$TEST_TMP/hostlink" cpc:/fromhost
cv 0 exec cpc sh -c '[ -f /fromhost ] && [ ! -L /fromhost ] && cat /fromhost'
[ "$OUT" = host-real ] || fail "cp -L from the host: $OUT"
cv 125 cp -a - cpc:/kept
one_error_line "tar stream"
pass "cp -L: the link's target under its name, resolved inside the container's root (no escape)"

# ---- create -i, start -i / start -a -i ----
cv 0 create -i --name cati base:1 sh -c 'read -r line; echo "got:$line"'
ids+=("$OUT")
cv 0 inspect -f '{{.Config.OpenStdin}}' cati
[ "$OUT" = true ] || fail "create -i: OpenStdin $OUT"
cv_in 'hello\n' 0 start -i cati
[ "$OUT" = got:hello ] || fail "start -i: output '$OUT'"
cv_in 'again\n' 0 start -a -i cati
[ "$OUT" = got:again ] || fail "start -a -i: output '$OUT'"
# Not created with -i: nothing takes stdin (docker's), the process reads end-of-file.
cv 0 create --name nocat base:1 sh -c 'cat; echo end'
ids+=("$OUT")
cv_in 'ignored\n' 0 start -i nocat
[ "$OUT" = end ] || fail "start -i of a container without -i: '$OUT'"
# Created with -i, started without: its stdin ends at once (no daemon holds it open).
cv 0 create -i --name eof base:1 sh -c 'cat; echo eof-seen'
ids+=("$OUT")
cv 0 start eof
cv 0 wait eof
[ "$OUT" = 0 ] || fail "wait eof: $OUT"
cv 0 logs eof
[ "$OUT" = eof-seen ] || fail "a plain start of a create -i container: $OUT"
cv 125 start -i cati nocat
one_error_line "multiple"
cv 125 create -t base:1 true
one_error_line "-t"
pass "start -i / start -a -i: stdin reaches a container created with -i"

# ---- --detach-keys ----
cv 0 ps -aq
before=$OUT
cv 125 run --detach-keys ctrl-a base:1 true
one_error_line "--detach-keys"
cv 125 run --detach-keys ctrl-p,ctrl-q -i base:1 true
one_error_line "--detach-keys"
cv 0 ps -aq
[ "$OUT" = "$before" ] || fail "a refused --detach-keys run left a container"
# docker's default sequence is no detach here: the bytes reach the container like any others.
cv_in 'a\020\021b' 0 run --rm -i base:1 wc -c
[ "$(echo $OUT)" = 4 ] || fail "ctrl-p ctrl-q through run -i: '$OUT'"
cv 0 run -d --name detached base:1 sleep 1000
ids+=("$OUT")
cv 125 attach --detach-keys ctrl-x detached
one_error_line "--detach-keys"
pass "--detach-keys refused in one line for run and attach; ctrl-p ctrl-q pass through run -i"

# ---- --sig-proxy ----
mkdir -p "$TEST_TMP/sp"
# sig_run PROXY_FLAG NAME: an attached run in the background that reports the signals it gets, then
# waits for $TEST_TMP/sp/go-NAME and exits 0.
sig_run() {
	"$CONTAINERV" run $1 --name "$2" -v "$TEST_TMP/sp:/sp" base:1 sh -c \
		"trap 'echo got-int' INT; trap 'echo got-term; exit 8' TERM; echo ready; \
		until [ -e /sp/go-$2 ]; do sleep 0.1; done; echo finished" >"$TEST_TMP/sp/$2.out" 2>&1 &
}
sig_run "" proxied
proxied=$!
wait_for "the proxied run" grep -q ready "$TEST_TMP/sp/proxied.out"
kill -INT "$proxied"
wait_for "SIGINT proxied" grep -q got-int "$TEST_TMP/sp/proxied.out"
kill -TERM "$proxied"
wait_code "$proxied"
[ "$CODE" = 8 ] || fail "run exits with the container's code 8 after SIGTERM, got $CODE"
ids+=("$(timeout 60 "$CONTAINERV" inspect -f '{{.Id}}' proxied)")
grep -q got-term "$TEST_TMP/sp/proxied.out" || fail "SIGTERM not proxied: $(cat "$TEST_TMP/sp/proxied.out")"
sig_run --sig-proxy=false unproxied
unproxied=$!
wait_for "the unproxied run" grep -q ready "$TEST_TMP/sp/unproxied.out"
kill -INT "$unproxied"
kill -TERM "$unproxied"
sleep 1
kill -0 "$unproxied" || fail "--sig-proxy=false: the CLI ended on SIGINT/SIGTERM"
touch "$TEST_TMP/sp/go-unproxied"
wait_code "$unproxied"
[ "$CODE" = 0 ] || fail "--sig-proxy=false: exit $CODE, $(cat "$TEST_TMP/sp/unproxied.out")"
ids+=("$(timeout 60 "$CONTAINERV" inspect -f '{{.Id}}' unproxied)")
! grep -q got- "$TEST_TMP/sp/unproxied.out" || fail "--sig-proxy=false passed a signal on"
grep -q finished "$TEST_TMP/sp/unproxied.out" || fail "--sig-proxy=false: $(cat "$TEST_TMP/sp/unproxied.out")"
pass "--sig-proxy: SIGINT/SIGTERM reach the container by default, not with --sig-proxy=false"

# ---- exec --privileged ----
# Every capability we hold (a host or sandbox may lack some: those cannot be given).
full=$(awk '/^CapPrm:/ { print $2 }' /proc/self/status)
cv 0 run -d --security-level permissive --name perm base:1 sleep 1000
ids+=("$OUT")
cv 0 exec perm sh -c 'grep CapEff /proc/self/status'
[ "${OUT##*[[:space:]]}" != "$full" ] || fail "a plain exec has every capability"
cv 0 exec --privileged perm sh -c 'grep CapEff /proc/self/status'
[ "${OUT##*[[:space:]]}" = "$full" ] || fail "exec --privileged at permissive: $OUT, expected $full"
cv 0 exec --privileged perm sh -c 'grep CapBnd /proc/self/status'
[ "${OUT##*[[:space:]]}" = "$full" ] || fail "exec --privileged bounding set: $OUT"
cv 125 exec --privileged detached true
one_error_line "restricted"
cv 0 run -d --security-level strict --name strictc base:1 sleep 1000
ids+=("$OUT")
cv 125 exec --privileged strictc true
one_error_line "strict"
pass "exec --privileged: every capability at permissive, refused in one line at restricted and strict"

# ---- nothing left ----
cv 0 rm -f cpc cati nocat eof detached perm strictc sizer same proxied unproxied
cv 0 volume rm same
cv 0 network rm netx
assert_clean "after the tests"
pass "no container, mount or cgroup left"
