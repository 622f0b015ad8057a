#!/usr/bin/env bash
# Installs the Debian packages containerv needs to build, test and benchmark,
# and only those that are missing. Idempotent: a second run changes nothing
# and does not touch the network.
#
# Usage: scripts/install-deps.sh [--check]
#   --check   only report what is missing (exit 1 when something is)
set -euo pipefail

# package            what it is for
PACKAGES=(
	build-essential  # gcc, make, libc headers: the compiler and the example's Makefile
	cmake            # the build system (>= 3.20)
	pkg-config       # finds jansson at configure time; containerv.pc for library users
	libjansson-dev   # JSON: config.json/state.json/exit.json, `inspect` output
	libarchive-dev   # tar streams: `cp -` in and out of containers, image layers (gzip, zstd)
	libseccomp-dev   # compiles seccomp profiles to BPF (security levels, --security-opt seccomp=FILE)
	libssl-dev       # libcrypto: sha256 digests of image blobs and layers
	libyaml-dev      # YAML configuration files (security profiles; compose files)
	libmnl-dev       # netlink: bridges, veth pairs, addresses, routes (container networking)
	libnftables-dev  # nftables rules: outbound NAT, published ports, network isolation
	nftables         # `nft`: the network tests look at the rules
	iperf3           # TCP throughput in bench/network.sh
	wrk              # HTTP load in bench/lb.sh (the load balancer against haproxy)
	haproxy          # peer load balancer in bench/lb.sh
	python3          # UDP/TCP peers in the network tests; crafted layer tarballs; the registry tests' token server
	umoci            # peer OCI unpacker: the layer unpack equivalence test
	zstd             # zstd-compressed layers in the unpack tests
	skopeo           # peer image tool: the archive interop checks of test_cli_image.sh
	busybox-static   # /bin/busybox: the built-in "busybox" rootfs (scripts/make-rootfs.sh)
	tini             # `tini -s`: a subreaper for the test runs (this VM's PID 1 reaps no orphans)
	crun             # peer runtime for the benchmarks (bench/)
	runc             # peer runtime for the benchmarks (bench/)
	containerd       # containerd + ctr + its runc shim: test_oci_containerd.sh and bench/oci.sh drive containerv-runc through it
	podman           # test_oci_podman.sh: podman --runtime containerv-runc
	gnuplot-nox      # the PNG plot of `containerv bench --plot` (bench/suite-report.sh); only the bench needs it
	iproute2         # `ip`: integration tests look at network namespaces, veths, bridges
	e2fsprogs        # mkfs.ext4/chattr: volume and filesystem tests
	util-linux       # nsenter, unshare, mount, findmnt, lsns: integration tests
	procps           # ps, pgrep: tests check that no process is left behind
	strace           # test_install.sh: the installed CLI never looks at a path of the build tree
	clang-format     # the formatting check in scripts/test.sh (.clang-format, version 14)
	clang            # libFuzzer: the on-demand `fuzz` target of a -DCONTAINERV_FUZZ=ON build (scripts/fuzz.sh)
	gcc-mingw-w64-x86-64 # x86_64-w64-mingw32-gcc: the public headers must compile for Windows (headers.mingw.*), the Windows target (build-mingw)
	wine64           # tests/windows/run.sh: the Windows test program and containerv.exe under wine 8 (64-bit only: no i386)
	wine             # /usr/bin/wine, the launcher of wine64
	hyperfine        # benchmark driver (bench/)
	jq               # integration tests read the CLI's JSON output (inspect, ps --format json)
	bsdutils         # `script`: the tty test runs the CLI under a real pseudo-terminal
	time             # GNU time: peak memory in bench/startup.sh
	libldns-dev      # the DNS wire format of user networks' embedded DNS servers (network/dns.c)
	dnsmasq-base     # peer DNS server: the upstream of the DNS tests, the reference of bench/dns.sh
	dnsperf          # DNS load generator of bench/dns.sh
	libcurl4-openssl-dev # the registry client (HTTP/1.1 and TLS, parallel blob downloads)
	libmicrohttpd-dev    # the metrics endpoint (containerv metrics --listen): HTTP served from its own thread
	docker-registry  # CNCF distribution 2.8: the peer registry the image tests start on 127.0.0.1
	skopeo           # peer client: pushes images containerv pulls, pulls and checks what it pushes; bench/pull.sh
	apache2-utils    # htpasswd: the basic-auth test registry
	openssl          # self-signed certificates and JWT signatures for the test registries
	curl             # the tests talk to the registries directly (readiness, hand-written manifests)
	qemu-system-x86  # tests/vm/run.sh: the suite in a Debian guest per cgroup layout (v2, v1, hybrid)
	kmod             # depmod for the guest's kernel modules (tests/vm/run.sh), modprobe in the guest
)

check_only=0
case "${1:-}" in
--check) check_only=1 ;;
"") ;;
*)
	echo "usage: $0 [--check]" >&2
	exit 2
	;;
esac

missing=()
for package in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
	if [ "$status" != "installed" ]; then
		missing+=("$package")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages are installed"
	exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if [ "$check_only" = 1 ]; then
	exit 1
fi

run_as_root=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		run_as_root=(sudo)
	else
		echo "install-deps: must run as root (or with sudo available) to install packages" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
"${run_as_root[@]}" apt-get update </dev/null
"${run_as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
echo "install-deps: installed ${missing[*]}"
