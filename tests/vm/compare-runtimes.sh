#!/usr/bin/env bash
# Starts one container with the same limits under containerv, crun and runc on
# a cgroup v2 host, and prints a table of the cgroup v2 files each runtime's
# cgroup holds that differ from a fresh cgroup's (what each runtime wrote):
#
#   --memory 64m --memory-swap 96m --cpus 0.5 --cpu-shares 512
#   --pids-limit 64 --blkio-weight 300 --cpuset-cpus 0 --cpuset-mems 0
#
# Needs root, cgroup2 at /sys/fs/cgroup with the controllers enabled at its
# root, crun and runc. tests/vm/run.sh --compare runs it in the v2 guest.
# Environment: CONTAINERV (default build/tools/containerv/containerv),
# CV_TEST_ROOTFS (default build/rootfs/busybox).
set -euo pipefail
cd "$(dirname "$0")/../.."
containerv=${CONTAINERV:-$(pwd)/build/tools/containerv/containerv}
rootfs=${CV_TEST_ROOTFS:-$(pwd)/build/rootfs/busybox}
cgroup=/sys/fs/cgroup
[ "$(stat -f -c %T "$cgroup")" = cgroup2fs ] || {
	echo "compare-runtimes.sh: $cgroup is not cgroup2" >&2
	exit 1
}

work=$(mktemp -d /tmp/cv-compare.XXXXXX)
export CONTAINERV_ROOT=$work/containerv
cleanup() {
	"$containerv" rm -f cv-compare >/dev/null 2>&1 || true
	crun delete -f cv-compare-crun >/dev/null 2>&1 || true
	runc delete -f cv-compare-runc >/dev/null 2>&1 || true
	rmdir "$cgroup/cv-compare-reference" "$cgroup/containerv" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# An OCI bundle with the same limits (the values docker's flags become in config.json).
make_bundle() {
	local bundle=$1 cgroups_path=$2
	mkdir -p "$bundle"
	jq -n --arg rootfs "$rootfs" --arg path "$cgroups_path" '{
		ociVersion: "1.0.2",
		process: {args: ["sleep", "1000"], cwd: "/", user: {uid: 0, gid: 0},
			env: ["PATH=/bin:/sbin"]},
		root: {path: $rootfs, readonly: true},
		hostname: "cv-compare",
		mounts: [{destination: "/proc", type: "proc", source: "proc"}],
		linux: {
			namespaces: [{type: "pid"}, {type: "mount"}, {type: "ipc"}, {type: "uts"},
				{type: "network"}, {type: "cgroup"}],
			cgroupsPath: $path,
			resources: {
				memory: {limit: 67108864, swap: 100663296},
				cpu: {quota: 50000, period: 100000, shares: 512, cpus: "0", mems: "0"},
				pids: {limit: 64},
				blockIO: {weight: 300}
			}
		}
	}' >"$bundle/config.json"
}

# The writable interface files of a cgroup, "name<TAB>content" (lines joined by ";"), sorted.
# One python process: a shell loop forks three tools per file, minutes under an emulated CPU.
snapshot() {
	python3 - "$1" <<'PYTHON'
import os, stat, sys

skip = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.type", "cgroup.kill", "cgroup.freeze"}
directory = sys.argv[1]
for name in sorted(os.listdir(directory)):
    path = os.path.join(directory, name)
    # The mode, not access() (root may write anything); *.pressure are writable for triggers only;
    # cgroup.controllers shows what the parent enabled.
    mode = os.stat(path).st_mode
    if name != "cgroup.controllers" and (name in skip or name.endswith((".reclaim", ".pressure")) or not stat.S_ISREG(mode) or not mode & stat.S_IWUSR):
        continue
    try:
        with open(path) as f:
            content = f.read(400)
    except OSError as error:
        content = "(%s)" % error.strerror
    print("%s\t%s" % (name, ";".join(content.strip().splitlines())))
PYTHON
}

mkdir "$cgroup/cv-compare-reference"
snapshot "$cgroup/cv-compare-reference" >"$work/reference"

"$containerv" run -d --name cv-compare --rootfs "$rootfs" --memory 64m --memory-swap 96m --cpus 0.5 \
	--cpu-shares 512 --pids-limit 64 --blkio-weight 300 --cpuset-cpus 0 --cpuset-mems 0 sleep 1000 >/dev/null
id=$("$containerv" inspect -f '{{.Id}}' cv-compare)
snapshot "$cgroup/containerv/$id" >"$work/containerv.files"

make_bundle "$work/crun" /cv-compare-crun
crun run -d -b "$work/crun" cv-compare-crun </dev/null >/dev/null
snapshot "$cgroup/cv-compare-crun" >"$work/crun.files"

make_bundle "$work/runc" /cv-compare-runc
runc run -d -b "$work/runc" cv-compare-runc </dev/null >/dev/null
snapshot "$cgroup/cv-compare-runc" >"$work/runc.files"

echo "cgroup v2 files that differ from a fresh cgroup's, for the same limits"
echo "(crun $(crun --version | sed -n 's/^crun version //p'), runc $(runc --version | sed -n 's/^runc version //p'), $(uname -r))"
echo
python3 - "$work/reference" "$work/containerv.files" "$work/crun.files" "$work/runc.files" <<'PYTHON'
import sys

def load(path):
    with open(path) as f:
        return dict(line.rstrip("\n").split("\t", 1) for line in f if "\t" in line)

reference, *runtimes = (load(path) for path in sys.argv[1:])
names = ["containerv", "crun", "runc"]
rows = sorted(
    name
    for name in set().union(*runtimes)
    if any(runtime.get(name) != reference.get(name) for runtime in runtimes)
)
table = [["file", *names]] + [[name, *(runtime.get(name, "(none)") for runtime in runtimes)] for name in rows]
widths = [max(len(row[column]) for row in table) for column in range(4)]
for index, row in enumerate(table):
    print("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |")
    if index == 0:
        print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
PYTHON
