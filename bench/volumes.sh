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

# Free page reporting (virtio-balloon): a guest returns pages that stay free for about two seconds
# to its hypervisor, and the next write into them faults them back in, at about a third of the
# copy's speed. A size-limited volume's page cache always starts empty (its filesystem is mounted
# by the container), so it alone would draw such pages, while the host, bind and named runs reuse
# the pages of the file they truncate. Reporting is held off while the benchmark runs, so that every
# kind writes into memory of the same kind; BENCH_PAGE_REPORTING=1 leaves it as it is.
REPORTING=/sys/module/page_reporting/parameters/page_reporting_order
reporting_order=
if [ "${BENCH_PAGE_REPORTING:-0}" != 1 ] && [ -w "$REPORTING" ]; then
	reporting_order=$(cat "$REPORTING")
	echo 11 >"$REPORTING" # above the page allocator's largest order: nothing is reported
	# Fault back in what was reported already: fill and free a tmpfs file of twice the test size.
	"$R/bin/busybox" dd if=/dev/zero of=/dev/shm/cvbench-touch bs=1M count=$((MB * 2)) 2>/dev/null
	rm -f /dev/shm/cvbench-touch
fi
cleanup() {
	[ -z "$reporting_order" ] || echo "$reporting_order" >"$REPORTING"
	"$CONTAINERV" rm -f $("$CONTAINERV" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	"$CONTAINERV" volume rm -f benchvol benchlimited benchfixed >/dev/null 2>&1 || true
	rm -rf "$work"
	rmdir /sys/fs/cgroup/*/containerv 2>/dev/null || true # the shared cgroup parents, when empty
}
trap cleanup EXIT

# busybox time's "real" (10 ms resolution) around dd: MB/s. Container start-up stays outside it.
rate() { sed -n 's/^real[[:space:]]*\([0-9]*\)m \([0-9.]*\)s.*/\1 \2/p' | awk -v mb="$MB" '{ printf "%.1f", mb * 1.048576 / ($1 * 60 + $2) }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

host_write() { "$R/bin/busybox" time "$R/bin/busybox" dd if=/dev/zero of="$data/f" bs=1M count="$MB" conv=fsync 2>&1 | rate; }
host_read() { sync; echo 3 >/proc/sys/vm/drop_caches; "$R/bin/busybox" time "$R/bin/busybox" dd if="$data/f" of=/dev/null bs=1M 2>&1 | rate; }
in_container() { # MOUNT-FLAGS... -- COMMAND
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	"$CONTAINERV" run --rm --network none --rootfs "$R" "${args[@]}" sh -c "$*" 2>&1
}
ct_write() { in_container "$@" -- "time dd if=/dev/zero of=/data/f bs=1M count=$MB conv=fsync" | rate; }
ct_read() { sync; echo 3 >/proc/sys/vm/drop_caches; in_container "$@" -- "time dd if=/data/f of=/dev/null bs=1M" | rate; }

"$CONTAINERV" volume create benchvol >/dev/null
"$CONTAINERV" volume create --opt size=$((MB * 2))m benchlimited >/dev/null
"$CONTAINERV" volume create --opt size=$((MB * 2))m --opt preallocate=true benchfixed >/dev/null
# host, bind and named all write the same file in the same directory (the named volume's), so
# that only the way it is reached differs: where a file lands on this VM's disk changes its speed.
data=$("$CONTAINERV" volume inspect benchvol | jq -r '.[0].Mountpoint')

# Interleaved: each round measures every kind once, in a rotating order, so that the disk's
# own drift (this VM's disk is cached by its host) weighs on all of them alike.
kinds=(host bind named limited fixed)
declare -A WS RS W Rd
for round in $(seq "$ROUNDS"); do
	for i in 0 1 2 3 4; do
		kind=${kinds[$(((i + round) % 5))]}
		case $kind in
		host) w=$(host_write) r=$(host_read) ;;
		bind) w=$(ct_write -v "$data:/data") r=$(ct_read -v "$data:/data") ;;
		named) w=$(ct_write -v benchvol:/data) r=$(ct_read -v benchvol:/data) ;;
		limited) w=$(ct_write -v benchlimited:/data) r=$(ct_read -v benchlimited:/data) ;;
		fixed) w=$(ct_write -v benchfixed:/data) r=$(ct_read -v benchfixed:/data) ;;
		esac
		WS[$kind]+="$w "
		RS[$kind]+="$r "
	done
done
for kind in "${kinds[@]}"; do
	W[$kind]=$(printf '%s\n' ${WS[$kind]} | median)
	Rd[$kind]=$(printf '%s\n' ${RS[$kind]} | median)
done

# Ratios round by round (each kind against the host in the same round), then their median.
paired_ratio() { # KIND w|r
	local -a mine host
	if [ "$2" = w ]; then
		read -ra mine <<<"${WS[$1]}"
		read -ra host <<<"${WS[host]}"
	else
		read -ra mine <<<"${RS[$1]}"
		read -ra host <<<"${RS[host]}"
	fi
	for i in "${!mine[@]}"; do awk -v a="${mine[$i]}" -v b="${host[$i]}" 'BEGIN { printf "%.3f\n", a / b }'; done | median
}

echo "=== volume throughput: ${MB} MiB sequential, dd bs=1M, fsync'ed writes, cold-cache reads, $ROUNDS interleaved rounds ==="
printf '%-10s %18s %18s %22s %22s\n' where "write MB/s (median)" "read MB/s (median)" "write ratio (paired)" "read ratio (paired)"
for kind in "${kinds[@]}"; do
	printf '%-10s %18s %18s %21sx %21sx\n' "$kind" "${W[$kind]}" "${Rd[$kind]}" "$(paired_ratio "$kind" w)" \
		"$(paired_ratio "$kind" r)"
done
[ -n "$reporting_order" ] && echo "free page reporting held off during the run (BENCH_PAGE_REPORTING=1 keeps it)"
echo "limited: sparse image (the default); fixed: --opt preallocate=true (the whole image allocated at create)"
echo "targets: bind and named >= 0.95x the host, size-limited (loop ext4) >= 0.8x"
