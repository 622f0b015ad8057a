#!/usr/bin/env bash
# --device by what the device is, not by its path (the attack of session 13, "found and not fixed"):
# at restricted, character devices that reach the host's storage (SCSI generic, bsg, NVMe, tape),
# CPUs (msr, cpuid), consoles and terminals (tty1, console, pts, input) or the kernel (mem, port) were
# passed in like a sound card. Each is our own node made with mknod under a private directory (the
# classification is by type and numbers, so the host need not have the device), and each is tried by
# path, through a symlink, and swapped in after create (the numbers are read and judged again at start).
# Ordinary devices still pass at restricted; permissive and --privileged allow, the audit says what.
#
# Needs root. Environment: CONTAINERV, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"

RF=$CV_TEST_ROOTFS

refused() {
	local why=$1
	shift
	cv 125 run --rm --rootfs "$RF" "$@" true
	one_error_line "$why"
	[ -z "$("$CONTAINERV" ps -aq)" ] || fail "a refused run ($*) left a container"
}

# major of a driver the kernel numbered at boot, from /proc/devices ("" when this kernel lacks it).
dynamic_major() { awk -v name="$1" '/^Block devices:/ {exit} $2 == name {print $1; exit}' /proc/devices; }

# name TYPE MAJOR MINOR WHAT: a node, refused at restricted by path and through a symlink elsewhere.
checked=0
refuse_node() {
	local name=$1 type=$2 major=$3 minor=$4 what=$5
	mknod "$TEST_TMP/$name" "$type" "$major" "$minor"
	refused "$what" --device "$TEST_TMP/$name:/dev/x"
	[[ "$ERR" == *"refused at the restricted security level"* ]] || fail "$name: not the level's refusal: $ERR"
	mkdir -p "$TEST_TMP/links"
	ln -s "../$name" "$TEST_TMP/links/innocent-$name"
	refused "$what" --device "$TEST_TMP/links/innocent-$name:/dev/x"
	checked=$((checked + 1))
}

refuse_node sg0 c 21 0 "SCSI generic"
refuse_node st0 c 9 0 "SCSI tape"
refuse_node msr c 202 0 "model-specific registers"
refuse_node cpuid c 203 1 "CPUID"
refuse_node tty1 c 4 1 "virtual console"
refuse_node console c 5 1 "system console"
refuse_node vcs c 7 1 "screen memory"
refuse_node pts0 c 136 0 "pseudo-terminal"
refuse_node event0 c 13 64 "input device"
refuse_node fb0 c 29 0 "frame buffer"
refuse_node mem c 1 1 "kernel memory"
refuse_node port c 1 4 "I/O ports"
refuse_node uinput c 10 223 "input event injector"
refuse_node loopctl c 10 237 "loop control"
refuse_node snapshot c 10 231 "hibernation image"
refuse_node microcode c 10 184 "microcode"
for driver in bsg nvme nvme-generic watchdog; do
	major=$(dynamic_major "$driver")
	[ -n "$major" ] || continue
	refuse_node "$driver-0" c "$major" 0 "$driver"
done
pass "restricted refuses $checked storage, CPU, console and kernel character devices, by path and by symlink"

# Strict and paranoid refuse every device, these included.
refused "strict security level: it allows no device" --security-level strict --device "$TEST_TMP/sg0:/dev/sg0"

# Ordinary devices still pass at restricted: a serial port (4:64, /dev/ttyS0), /dev/net/tun, fuse, null.
mknod "$TEST_TMP/ttyS0" c 4 64
mknod "$TEST_TMP/tun" c 10 200
mknod "$TEST_TMP/fuse" c 10 229
cv 0 run --rm --rootfs "$RF" --device "$TEST_TMP/ttyS0:/dev/ttyS0" --device "$TEST_TMP/tun:/dev/net/tun" \
	--device "$TEST_TMP/fuse:/dev/fuse" sh -c 'ls -l /dev/ttyS0 /dev/net/tun /dev/fuse | awk "{print \$5 \$6}"'
[ "$OUT" = "$(printf '10,229\n10,200\n4,64')" ] || fail "ordinary devices at restricted: $OUT"
pass "restricted still passes ordinary character devices (serial port, tun, fuse)"

# Swapped after create: the path judged at create is a serial port, at start it is SCSI generic.
mknod "$TEST_TMP/swap" c 4 64
cv 0 create --name swapped --rootfs "$RF" --device "$TEST_TMP/swap:/dev/ttyS0" true
ids+=("$OUT")
rm "$TEST_TMP/swap"
ln -s sg0 "$TEST_TMP/swap"
cv 1 start -a swapped # docker start fails with 1
one_error_line "SCSI generic"
cv 0 inspect -f '{{.State.Status}}' swapped
[ "$OUT" = created ] || fail "the swapped device's container ran: $OUT"
! compgen -G "/sys/fs/cgroup/containerv/${ids[0]}*" >/dev/null || fail "the refused start left a cgroup"
cv 0 rm swapped
pass "a device swapped after create for SCSI generic is refused at start"

# Permissive (docker's own default) allows them; the audit names what each one is.
cv 0 run --rm --rootfs "$RF" --security-level permissive --device "$TEST_TMP/sg0:/dev/sg0:r" \
	sh -c 'ls -l /dev/sg0 | awk "{print \$5 \$6}"'
[ "$OUT" = "21,0" ] || fail "permissive: SCSI generic node: $OUT"
cv 0 create --name loud --rootfs "$RF" --security-level permissive --device "$TEST_TMP/msr:/dev/cpu/0/msr" \
	--device "$TEST_TMP/links/innocent-sg0:/dev/sg0" true
ids+=("$OUT")
cv 0 security audit --format json loud
for finding in "host device $TEST_TMP/msr is at /dev/cpu/0/msr (rwm): a CPU's model-specific registers" \
	"host device $TEST_TMP/links/innocent-sg0 is at /dev/sg0 (rwm): SCSI generic"; do
	[[ "$OUT" == *"$finding"* ]] || fail "the audit lacks \"$finding\": $OUT"
done
[ "$(jq -r '[.findings[] | select(.id == "device") | .severity] | sort | join(",")' <<<"$OUT")" = critical,high ] ||
	fail "audit severities of msr and sg: $(jq -c '[.findings[] | select(.id == "device")]' <<<"$OUT")"
cv 0 rm loud
pass "permissive allows them, the audit names each (msr critical, sg high)"

assert_clean "devices"
