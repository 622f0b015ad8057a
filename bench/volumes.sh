#!/usr/bin/env bash
# Sequential write and read throughput in a bind mount, a named volume and a
# size-limited (loop-mounted ext4) volume, against the same work on the host
# directory, printed as ratios. Writes are fsync'ed (conv=fsync); the page
# cache is dropped before each read. The same busybox dd runs everywhere.
#
# Usage (root, after a build): bash bench/volumes.sh
#   BENCH_MB=512 (size of the file), BENCH_ROUNDS=3 (median of), CONTAINERV, CV_ROOTFS
set -euo pipefail
cd "$(dirname "$0")/.."

MB=${BENCH_MB:-512}
ROUNDS=${BENCH_ROUNDS:-3}
CONTAINERV=${CONTAINERV:-build/tools/containerv/containerv}
R=${CV_ROOTFS:-build/rootfs/busybox}
R=$(cd "$R" && pwd)
[ -x "$CONTAINERV" ] || { echo "bench/volumes.sh: build first ($CONTAINERV missing)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/cvbench-volumes.XXXXXX)
export CONTAINERV_ROOT=$work/root
cleanup() {
	"$CONTAINERV" rm -f $("$CONTAINERV" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	"$CONTAINERV" volume rm -f benchvol benchlimited >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/host" "$work/bind"

# busybox time's "real" (10 ms resolution) around dd: MB/s. Container start-up stays outside it.
rate() { sed -n 's/^real[[:space:]]*\([0-9]*\)m \([0-9.]*\)s.*/\1 \2/p' | awk -v mb="$MB" '{ printf "%.1f", mb * 1.048576 / ($1 * 60 + $2) }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

host_write() { "$R/bin/busybox" time "$R/bin/busybox" dd if=/dev/zero of="$work/host/f" bs=1M count="$MB" conv=fsync 2>&1 | rate; }
host_read() { sync; echo 3 >/proc/sys/vm/drop_caches; "$R/bin/busybox" time "$R/bin/busybox" dd if="$work/host/f" of=/dev/null bs=1M 2>&1 | rate; }
in_container() { # MOUNT-FLAGS... -- COMMAND
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	"$CONTAINERV" run --rm --rootfs "$R" "${args[@]}" sh -c "$*" 2>&1
}
ct_write() { in_container "$@" -- "time dd if=/dev/zero of=/data/f bs=1M count=$MB conv=fsync" | rate; }
ct_read() { sync; echo 3 >/proc/sys/vm/drop_caches; in_container "$@" -- "time dd if=/data/f of=/dev/null bs=1M" | rate; }

"$CONTAINERV" volume create benchvol >/dev/null
"$CONTAINERV" volume create --opt size=$((MB * 2))m benchlimited >/dev/null

declare -A W Rd
for kind in host bind named limited; do
	ws=() rs=()
	for _ in $(seq "$ROUNDS"); do
		case $kind in
		host) ws+=("$(host_write)"); rs+=("$(host_read)") ;;
		bind) ws+=("$(ct_write -v "$work/bind:/data")"); rs+=("$(ct_read -v "$work/bind:/data")") ;;
		named) ws+=("$(ct_write -v benchvol:/data)"); rs+=("$(ct_read -v benchvol:/data)") ;;
		limited) ws+=("$(ct_write -v benchlimited:/data)"); rs+=("$(ct_read -v benchlimited:/data)") ;;
		esac
	done
	W[$kind]=$(printf '%s\n' "${ws[@]}" | median)
	Rd[$kind]=$(printf '%s\n' "${rs[@]}" | median)
done

echo "=== volume throughput: ${MB} MiB sequential, dd bs=1M, fsync'ed writes, cold-cache reads, median of $ROUNDS ==="
printf '%-26s %12s %12s %12s %12s\n' where "write MB/s" "read MB/s" "write ratio" "read ratio"
for kind in host bind named limited; do
	printf '%-26s %12s %12s %12s %12s\n' "$kind" "${W[$kind]}" "${Rd[$kind]}" \
		"$(awk -v a="${W[$kind]}" -v b="${W[host]}" 'BEGIN { printf "%.2fx", a / b }')" \
		"$(awk -v a="${Rd[$kind]}" -v b="${Rd[host]}" 'BEGIN { printf "%.2fx", a / b }')"
done
echo "targets: bind and named >= 0.95x the host, size-limited (loop ext4) >= 0.8x"
