#!/usr/bin/env bash
# Truthful output (issue 17), as docker documents it: ps's PORTS column and
# {{.Ports}}; inspect's Image (the config digest), Mounts and
# NetworkSettings.Networks (NetworkID, IPAddress, Gateway, MacAddress, checked
# against what the container really has); network inspect's container names;
# version --format; import and commit print the id images shows; system df
# counts the writable layers and has -v.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"

bind_dir="$TEST_TMP/bind"
mkdir "$bind_dir"
cv 0 run -d --name web -p 8080:80 -p 127.0.0.1:5353:53/udp -v "$bind_dir:/host:ro" -v data:/data \
	--mount type=tmpfs,target=/scratch busybox sleep 300
id=$OUT
ids+=("$id")

# ps: docker's PORTS column, between STATUS and NAMES, and the {{.Ports}} field.
cv 0 ps
[[ "$(head -1 <<<"$OUT")" == "CONTAINER ID"*"STATUS"*"PORTS"*"NAMES" ]] || fail "ps header: $OUT"
[[ "$(tail -1 <<<"$OUT")" == *"0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp"*web ]] || fail "ps PORTS: $OUT"
cv 0 ps --format '{{.Names}}|{{.Ports}}'
[ "$OUT" = "web|0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp" ] || fail "ps {{.Ports}}: $OUT"
cv 0 ps --format json
[ "$(jq -r .Ports <<<"$OUT")" = "0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp" ] || fail "ps json Ports: $OUT"
pass "ps shows the published ports as docker does"

# inspect: Image is the id images shows.
cv 0 images --no-trunc --format '{{.ID}}'
image_id=$OUT
[[ "$image_id" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "images ID: $image_id"
cv 0 inspect web
container=$(jq '.[0]' <<<"$OUT")
[ "$(jq -r .Image <<<"$container")" = "$image_id" ] || fail "inspect Image: $(jq .Image <<<"$container")"
pass "inspect Image is the image id"

# inspect Mounts: the bind, the named volume (Source its data on the host) and the tmpfs.
mounts=$(jq -c '.Mounts' <<<"$container")
[ "$(jq 'length' <<<"$mounts")" = 3 ] || fail "inspect Mounts: $mounts"
jq -e --arg src "$bind_dir" '.[] | select(.Type=="bind" and .Source==$src and .Destination=="/host" and
	.Mode=="ro" and .RW==false)' <<<"$mounts" >/dev/null || fail "bind in Mounts: $mounts"
cv 0 volume inspect data
volume_source=$(jq -r '.[0].Mountpoint' <<<"$OUT")
jq -e --arg src "$volume_source" '.[] | select(.Type=="volume" and .Name=="data" and .Source==$src and
	.Destination=="/data" and .RW==true)' <<<"$mounts" >/dev/null || fail "volume in Mounts: $mounts"
jq -e '.[] | select(.Type=="tmpfs" and .Destination=="/scratch" and .RW==true)' <<<"$mounts" >/dev/null ||
	fail "tmpfs in Mounts: $mounts"
# The volume's Source is where its data really is.
cv 0 exec web sh -c 'echo through > /data/probe'
[ "$(cat "$volume_source/probe")" = through ] || fail "the volume's Source is not its data"
pass "inspect Mounts lists binds, volumes and tmpfs with source, destination, mode and RW"

# inspect NetworkSettings.Networks: keyed by the network's name, with what the container really has.
bridge=$(jq '.NetworkSettings.Networks.bridge' <<<"$container")
cv 0 network inspect bridge
network=$(jq '.[0]' <<<"$OUT")
[ "$(jq -r .NetworkID <<<"$bridge")" = "$(jq -r .Id <<<"$network")" ] || fail "NetworkID: $bridge"
[ "$(jq -r .Gateway <<<"$bridge")" = "$(jq -r '.IPAM.Config[0].Gateway' <<<"$network")" ] || fail "Gateway: $bridge"
address=$(jq -r .IPAddress <<<"$bridge")
mac=$(jq -r .MacAddress <<<"$bridge")
cv 0 exec web ip -o -4 addr show eth0
[[ "$OUT" == *" inet $address/$(jq -r .IPPrefixLen <<<"$bridge") "* ]] || fail "IPAddress $address, eth0: $OUT"
cv 0 exec web cat /sys/class/net/eth0/address
[ "$OUT" = "$mac" ] || fail "MacAddress $mac, eth0 has $OUT"
[ "$(jq -r .NetworkSettings.IPAddress <<<"$container")" = "$address" ] || fail "top-level IPAddress"
pass "inspect NetworkSettings.Networks has the real address, gateway, MAC and network id"

# network inspect: each container with its name, MAC and address.
entry=$(jq --arg id "$id" '.Containers[$id]' <<<"$network")
[ "$(jq -r .Name <<<"$entry")" = web ] || fail "network inspect Containers: $entry"
[ "$(jq -r .MacAddress <<<"$entry")" = "$mac" ] || fail "network inspect MacAddress: $entry"
[[ "$(jq -r .IPv4Address <<<"$entry")" == "$address/"* ]] || fail "network inspect IPv4Address: $entry"
pass "network inspect lists its containers by name"
cv 0 rm -f web

# version --format, as docker's Client/Server structure.
cv 0 version --format '{{.Client.Version}}'
[[ "$OUT" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "version --format '{{.Client.Version}}': $OUT"
cv 0 version --format '{{json .}}'
[ "$(jq -r .Server.Os <<<"$OUT")" = linux ] || fail "version {{json .}}: $OUT"
cv 0 version --format json
[ "$(jq -r .Server.KernelVersion <<<"$OUT")" = "$(uname -r)" ] || fail "version json: $OUT"
cv 125 version --format '{{.Client.Version'
one_error_line
pass "version --format works"

# import and commit print the image id, the one images and inspect show (docker: the config digest).
cv 0 import "$CV_TEST_ROOTFS" imported:1
printed=$OUT
[[ "$printed" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed '$printed'"
cv 0 images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}'
grep -qx "imported:1 $printed" <<<"$OUT" || fail "import printed $printed, images shows: $OUT"
cv 0 images --format '{{.Repository}} {{.ID}}'
grep -qx "imported ${printed:7:12}" <<<"$OUT" || fail "images' short id is not the printed one: $OUT"
cv 0 run --name work imported:1 sh -c 'echo x > /x'
cv 0 commit work committed:1
printed=$OUT
cv 0 image inspect committed:1
[ "$(jq -r '.[0].Id' <<<"$OUT")" = "$printed" ] || fail "commit printed $printed, inspect: $(jq '.[0].Id' <<<"$OUT")"
cv 0 rm work
pass "import and commit print the image id images shows"

# system df: the writable layers count (3 MiB written here), reclaimable once stopped; -v per container.
cv 0 run --name writer busybox sh -c 'dd if=/dev/zero of=/big bs=1M count=3 2>/dev/null'
cv 0 system df --format json
size=$(jq -r 'select(.Type=="Containers") | .Size' <<<"$OUT")
reclaimable=$(jq -r 'select(.Type=="Containers") | .Reclaimable' <<<"$OUT")
[ "$size" -ge 3145728 ] && [ "$size" -lt 4194304 ] || fail "system df Containers Size $size: $OUT"
[ "$reclaimable" = "$size" ] || fail "a stopped container's layer is reclaimable: $OUT"
cv 0 system df
[[ "$(grep '^Containers' <<<"$OUT")" =~ ^Containers\ +1\ +0\ +3\.1[0-9]MB\ +3\.1[0-9]MB\ \(100%\)$ ]] ||
	fail "system df table: $OUT"
cv 0 system df -v
grep -q '^Containers space usage:' <<<"$OUT" || fail "system df -v: $OUT"
grep -qE '^[0-9a-f]{12} +busybox:latest +.* 3\.1[0-9]MB .* writer$' <<<"$OUT" || fail "system df -v row: $OUT"
grep -qE '^data +0 +' <<<"$OUT" || fail "system df -v volumes: $OUT"
cv 0 rm writer
cv 0 system df --format json
[ "$(jq -r 'select(.Type=="Containers") | .Size' <<<"$OUT")" = 0 ] || fail "removed layer still counted: $OUT"
pass "system df counts the containers' writable layers, -v lists them"

cv 0 volume rm data
cv 0 rmi imported:1 committed:1
assert_clean "truthful output"
