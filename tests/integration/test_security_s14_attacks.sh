#!/usr/bin/env bash
# Session 14's attacks on its own branches (notes/s14-attack.md), each performed for real again:
#  - --device under --userns: the init binds the host node (no mknod in a user namespace); a symlink
#    swapped in a loop between the start's check and that bind must never put a host file at /dev/x;
#  - --device uhid (10:239), userio (10:240), i2c (89) are refused at restricted like uinput;
#  - a container named like another's full id does not stand for it: the id reaches its own container;
#  - on a hybrid host, a configured cgroup path naming a cgroup of unified/ that the container did not
#    make: delete neither kills its processes nor removes it.
#
# Needs root. Environment: CONTAINERV, CONTAINERV_RUNC, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"

RF=$CV_TEST_ROOTFS
swapper=
victim=
foreign=
s14_cleanup() {
	[ -z "$swapper" ] || kill "$swapper" 2>/dev/null || true
	[ -z "$victim" ] || kill "$victim" 2>/dev/null || true
	if [ -n "$foreign" ] && [ -d "$foreign" ]; then
		# Back to the root of unified/ what is left in it, then the directory.
		for pid in $(cat "$foreign/cgroup.procs" 2>/dev/null); do
			echo "$pid" >/sys/fs/cgroup/unified/cgroup.procs 2>/dev/null || true
		done
		rmdir "$foreign" 2>/dev/null || true
	fi
	cleanup
}
trap s14_cleanup EXIT

# ---- --device bound under --userns: what is bound is the node judged, never what the path became ----
mkdir -p "$TEST_TMP/pub"
chmod 755 "$TEST_TMP/pub"
echo "HOST FILE" >"$TEST_TMP/pub/file"
chmod 644 "$TEST_TMP/pub/file"
mknod "$TEST_TMP/pub/tun" c 10 200
ln -s "$TEST_TMP/pub/tun" "$TEST_TMP/dev"
cv 0 create --name devrace --userns auto --rootfs "$RF" --device "$TEST_TMP/dev:/dev/x" sh -c 'cat /dev/x 2>&1'
(
	while :; do
		ln -sfn "$TEST_TMP/pub/tun" "$TEST_TMP/dev.new"
		mv -T "$TEST_TMP/dev.new" "$TEST_TMP/dev"
		ln -sfn "$TEST_TMP/pub/file" "$TEST_TMP/dev.new"
		mv -T "$TEST_TMP/dev.new" "$TEST_TMP/dev"
	done
) &
swapper=$!
refused_bind=0
for i in $(seq 1 25); do
	set +e
	out=$(timeout -k 10 60 "$CONTAINERV" start -a devrace 2>&1 </dev/null)
	set -e
	[[ "$out" != *"HOST FILE"* ]] || fail "start $i: a host file was bound at the device's place: $out"
	[[ "$out" != *"changed since it was checked"* ]] || refused_bind=$((refused_bind + 1))
done
kill "$swapper"
wait "$swapper" 2>/dev/null || true
swapper=
# Still the device when nothing swaps it: a read of tun before TUNSETIFF is EBADFD.
ln -sfn "$TEST_TMP/pub/tun" "$TEST_TMP/dev"
set +e
out=$(timeout -k 10 60 "$CONTAINERV" start -a devrace 2>&1 </dev/null)
set -e
[[ "$out" == *"bad state"* ]] || fail "the device is not in the container any more (tun's EBADFD expected): $out"
cv 0 rm -f devrace
pass "--device under --userns: 25 starts against a swapping symlink, no host file bound ($refused_bind refused)"

# ---- keystroke injectors and I2C refused at restricted, by number ----
for node in "uhid 10 239" "userio 10 240" "i2c-0 89 0"; do
	set -- $node
	mknod "$TEST_TMP/$1" c "$2" "$3"
	cv 125 run --rm --rootfs "$RF" --device "$TEST_TMP/$1:/dev/x" true
	one_error_line "refused at the restricted security level"
	[[ "$ERR" == *"$2:$3"* ]] || fail "$1: the refusal does not name $2:$3: $ERR"
done
[ -z "$("$CONTAINERV" ps -aq)" ] || fail "a refused run left a container"
cv 0 run --rm --security-level permissive --rootfs "$RF" --device "$TEST_TMP/uhid:/dev/x" true
pass "uhid, userio and i2c refused at restricted, allowed at permissive"

# ---- a name that is another container's full id does not stand for it ----
cv 0 create --name real --rootfs "$RF" sleep 100
real=$OUT
cv 0 create --name "$real" --rootfs "$RF" sleep 100
squatter=$OUT
cv 0 inspect -f '{{.Id}}' "$real"
[ "$OUT" = "$real" ] || fail "inspect by the full id found $OUT, not the container with that id ($real)"
cv 0 rm -f "$real"
cv 0 ps -aq --no-trunc
[ "$OUT" = "$squatter" ] || fail "rm -f by the full id removed the wrong container: left $OUT"
cv 0 rm -f "$squatter"
pass "a full id reaches its own container before a name that spells it"

# ---- hybrid host: a configured cgroupsPath naming a cgroup of unified/ we did not make ----
if [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] && [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	: "${CONTAINERV_RUNC:?set CONTAINERV_RUNC to the built containerv-runc}"
	name=cv-s14-foreign-$$
	foreign=/sys/fs/cgroup/unified/$name
	mkdir "$foreign"
	sleep 1000 &
	victim=$!
	echo "$victim" >"$foreign/cgroup.procs"
	runc_root=$TEST_TMP/runc-root
	mkdir -p "$TEST_TMP/bundle"
	"$CONTAINERV_RUNC" --root "$runc_root" spec --bundle "$TEST_TMP/bundle"
	cp -a "$RF" "$TEST_TMP/bundle/rootfs"
	jq '.process.terminal = false | .process.args = ["sleep", "1000"] | .linux.cgroupsPath = "/'"$name"'"' \
		"$TEST_TMP/bundle/config.json" >"$TEST_TMP/bundle/config.new"
	mv "$TEST_TMP/bundle/config.new" "$TEST_TMP/bundle/config.json"
	timeout -k 10 60 "$CONTAINERV_RUNC" --root "$runc_root" create --bundle "$TEST_TMP/bundle" foreign </dev/null \
		>/dev/null || fail "create with cgroupsPath /$name"
	timeout -k 10 60 "$CONTAINERV_RUNC" --root "$runc_root" delete --force foreign </dev/null ||
		fail "delete of the container"
	kill -0 "$victim" 2>/dev/null || fail "delete killed a process of $foreign, a cgroup it did not make"
	[ -d "$foreign" ] || fail "delete removed $foreign, a cgroup it did not make"
	pass "hybrid host: delete leaves a unified/ cgroup it did not make, and its processes"
else
	echo "ok - SKIP hybrid unified/ case: not a hybrid cgroup host"
fi
