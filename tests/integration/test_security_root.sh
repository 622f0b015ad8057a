#!/usr/bin/env bash
# The state root against host users (CVE-2021-41091 class): everything under it
# is root's alone, so an unprivileged host user reaches none of the images' or
# containers' setuid files and device nodes, whose paths (chain ids) anyone can
# compute. As nobody: a setuid-root binary of an imported layer, a block device
# node of a layer (imported, and committed from a container's mknod), a setuid
# binary a container wrote into a named volume, a --userns auto container's
# upper/ and its chown'd layer copies; then a walk of the whole root. Also the
# modes of a root containerv makes and of one an older version made (tightened),
# and no path of the state root in a container's mountinfo.
source "$(dirname "$0")/lib.sh"
: "${CV_ATTACK:?set CV_ATTACK to the built cv-attack helper}"

# A root containerv makes itself, as it makes /var/lib/containerv (its parent searchable, as /var/lib is).
rmdir "$CONTAINERV_ROOT"
export CONTAINERV_ROOT=$TEST_TMP/state

# as_nobody SCRIPT: uid and gid 65534, no groups, no capability. (Through sh: setpriv itself executes
# its command while it still holds root's capabilities.)
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups sh -c "$1" </dev/null 2>&1; }

# refused WHAT PATH SCRIPT: the file exists (seen by root), and SCRIPT (given $1 = PATH) fails as nobody.
refused() {
	local what=$1 path=$2 script=$3 out
	[ -e "$path" ] || fail "$what: $path is not there (the test lost its target)"
	if out=$(as_nobody "set -- '$path'; $script"); then
		fail "$what: nobody got through: $out"
	fi
	[[ "$out" != *euid=* ]] || fail "$what: nobody ran it: $out"
}

# An image with a setuid-root binary (the static helper: "euid" prints its effective uid) and /dev/loop0.
cp -a "$CV_TEST_ROOTFS" "$TEST_TMP/evil"
cp "$CV_ATTACK" "$TEST_TMP/evil/bin/rootshell"
chown 0:0 "$TEST_TMP/evil/bin/rootshell" && chmod 4755 "$TEST_TMP/evil/bin/rootshell"
mknod "$TEST_TMP/evil/disk" b 7 0
cv 0 import "$TEST_TMP/evil" evil:1
layer_with() { # FILE: the unpacked layer holding FILE
	local layer
	for layer in "$CONTAINERV_ROOT"/images/layers/*/; do
		if [ -e "$layer$1" ]; then
			printf '%s' "${layer%/}"
			return 0
		fi
	done
	fail "no layer holds $1"
}

# 1. A setuid-root binary of an imported layer.
layer=$(layer_with bin/rootshell)
[ -u "$layer/bin/rootshell" ] || fail "the layer lost the setuid bit: the test proves nothing"
refused "setuid binary of a layer" "$layer/bin/rootshell" 'exec "$1" euid'
# 2. A block device node of a layer, and one a default container made and commit captured.
refused "device node of a layer" "$layer/disk" 'head -c 1 "$1" >/dev/null'
cv 0 run --name mk --network none evil:1 mknod /disk2 b 7 0
cv 0 commit mk evil:2
cv 0 rm mk
refused "committed device node" "$(layer_with disk2)/disk2" 'head -c 1 "$1" >/dev/null'
# 3. A setuid-root binary a container wrote into a named volume.
cv 0 volume create vol
cv 0 run --rm --network none -v vol:/data evil:1 sh -c 'cp /bin/rootshell /data/rs && chmod 4755 /data/rs'
[ -u "$CONTAINERV_ROOT/volumes/vol/_data/rs" ] || fail "the container could not make its setuid file"
refused "setuid binary in a volume" "$CONTAINERV_ROOT/volumes/vol/_data/rs" 'exec "$1" euid'
pass "as nobody: no setuid binary or device node of a layer, a commit or a volume"

# The modes: the root and its top directories, made by containerv, 0700.
cv 0 network create net
cv 0 network rm net
for dir in "" /containers /names /images /images/layers /volumes /volumes/vol /networks; do
	[ -d "$CONTAINERV_ROOT$dir" ] || fail "$CONTAINERV_ROOT$dir was not made"
	mode=$(stat -c %a "$CONTAINERV_ROOT$dir")
	[ "$mode" = 700 ] || fail "$CONTAINERV_ROOT$dir: mode $mode, expected 700"
done
pass "a new state root and its top directories are 0700"

# 4. --userns auto: the container's upper/ (its files are its range's), with id-mapped layers and with the
# chown'd copies (setuid bits kept: a host user would get the container root's uid).
cv 0 run -d --name ns --network none --userns auto evil:1 sh -c 'cp /bin/rootshell /x && chmod 4755 /x && sleep 60'
ids+=("$("$CONTAINERV" inspect --format '{{.Id}}' ns)")
wait_for "the setuid file in upper/" test -u "$CONTAINERV_ROOT/containers/${ids[-1]}/upper/x"
refused "setuid file in a --userns auto upper/" "$CONTAINERV_ROOT/containers/${ids[-1]}/upper/x" 'exec "$1" euid'
CONTAINERV_TEST_NO_IDMAP=1 cv 0 run -d --name shifted --network none --userns auto evil:1 sleep 60
ids+=("$("$CONTAINERV" inspect --format '{{.Id}}' shifted)")
copy="$CONTAINERV_ROOT/containers/${ids[-1]}/shifted/0/bin/rootshell"
[ -u "$copy" ] || fail "the chown'd copy lost the setuid bit: the test proves nothing"
refused "setuid file of a chown'd layer copy" "$copy" 'exec "$1" euid'
cv 0 exec shifted sh -c 'stat -c %u /bin/busybox; echo hi > /etc/written && cat /etc/written'
[ "$OUT" = "0
hi" ] || fail "the chown'd copy-up does not work: $OUT"
pass "as nobody: no setuid file of a --userns auto container (id-mapped layers or chown'd copies)"

# 5. The whole root: nobody lists nothing in it, and no path below it is there for nobody (stat fails).
out=$(as_nobody "find '$CONTAINERV_ROOT' -mindepth 1" || true)
[ -z "$(printf '%s\n' "$out" | grep -v 'Permission denied')" ] || fail "nobody walks the root: $out"
find "$CONTAINERV_ROOT" -mindepth 1 >"$TEST_TMP/paths"
chmod 0644 "$TEST_TMP/paths"
[ "$(wc -l <"$TEST_TMP/paths")" -gt 100 ] || fail "the root holds too little to prove anything"
reached=$(as_nobody "while IFS= read -r p; do if [ -e \"\$p\" ] || [ -L \"\$p\" ]; then echo \"\$p\"; fi; done <'$TEST_TMP/paths'")
[ -z "$reached" ] || fail "nobody reaches: $(printf '%s\n' "$reached" | head -5)"
pass "as nobody: nothing below the root of $(wc -l <"$TEST_TMP/paths") paths can be reached"

# The init keeps no descriptor of the host's but exit.json (the overlay's were opened by it, then closed).
for name in ns shifted; do
	cv 0 inspect --format '{{.State.Pid}}' "$name"
	held=$(ls -l "/proc/$OUT/fd" | grep -F "$CONTAINERV_ROOT" | grep -v '/exit.json$' || true)
	[ -z "$held" ] || fail "the init of $name holds: $held"
done
cv 0 rm -f ns shifted

# 6. No path of the state root in a container's mountinfo (the overlay's layers are /proc/self/fd/N).
for args in "" "--userns auto"; do
	cv 0 run --rm --network none $args evil:1 cat /proc/self/mountinfo
	[[ "$OUT" == *overlay* ]] || fail "no overlay in the mountinfo: $OUT"
	[[ "$OUT" != *"$CONTAINERV_ROOT"* ]] || fail "the mountinfo shows the state root (${args:-default}): $OUT"
done
pass "a container's mountinfo shows no path of the state root"

# A root an older version made (0711 and 0755 all along) is tightened when opened.
old=$TEST_TMP/old
for dir in "" /containers /names /images /images/layers /volumes /networks /userns; do
	mkdir -p "$old$dir" && chmod 0711 "$old$dir"
done
cv 0 --root "$old" images
cv 0 --root "$old" volume create v
cv 0 --root "$old" network ls
cv 0 --root "$old" run --rm --name old --network none --userns auto --rootfs "$CV_TEST_ROOTFS" true
for dir in "" /containers /names /images /images/layers /volumes /networks /userns; do
	mode=$(stat -c %a "$old$dir")
	[ "$mode" = 700 ] || fail "$old$dir: mode $mode after use, expected 700"
done
cv 0 --root "$old" volume rm v
pass "an older root's 0711 directories are tightened to 0700"

cv 0 volume rm vol
assert_clean "state root tests"
