#!/usr/bin/env bash
# The compose balancer parses hostile traffic; it must not do so as root with every capability (the
# attack of session 13 found it so). Checked on a running project with an autoscaled service behind a
# published port: the balancer process has no capability in any set (a port >= 1024), no_new_privs,
# and a seccomp filter; its threads too. The privileged part that scales (compose-lb-scaler.c) is a
# separate process, the balancer's child, that reads no traffic. The balancer still serves, and down
# still ends both.
#
# Needs root, jq and curl. Environment: CONTAINERV, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/network-lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")
ip link set lo up 2>/dev/null || true
P=$(pick_port_prefix)
trap '"$CONTAINERV" compose -p confined down >/dev/null 2>&1 || true; cleanup' EXIT

app=$TEST_TMP/confined
mkdir -p "$app"
cat >"$app/compose.yaml" <<YAML
name: confined
services:
  web:
    image: busybox
    stop_grace_period: 1s
    command: sh -c 'mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 80 -h /www'
    ports: ["127.0.0.1:${P}01:80"]
    deploy: {replicas: 2}
    x-containerv:
      autoscale: {min: 1, max: 3, cpu_percent: 90, scale_up_cooldown: 60s, scale_down_cooldown: 60s}
YAML
cv 0 compose -f "$app/compose.yaml" up -d
pid=$(jq -r .pid "$CONTAINERV_ROOT/compose/confined/lb.json")
kill -0 "$pid" || fail "the balancer ($pid) does not run"
wait_for "the balancer to answer" curl -sf --max-time 2 "http://127.0.0.1:${P}01/"

field() { awk -v k="$1:" '$1 == k {print $2}' "$2"; }
for task in /proc/"$pid"/task/*; do
	status=$task/status
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		[ "$(field $set "$status")" = 0000000000000000 ] ||
			fail "balancer thread ${task##*/}: $set $(field $set "$status") (root with capabilities)"
	done
	[ "$(field NoNewPrivs "$status")" = 1 ] || fail "balancer thread ${task##*/}: no_new_privs not set"
	[ "$(field Seccomp "$status")" = 2 ] || fail "balancer thread ${task##*/}: no seccomp filter"
done
[ "$(ls /proc/"$pid"/task | wc -l)" -gt 1 ] || fail "the balancer has no relay threads to check"
pass "the balancer and its $(ls /proc/"$pid"/task | wc -l) threads: no capabilities, no_new_privs, seccomp filter"

# The scaler: the balancer's only child, privileged, with no listening socket of the balancer's.
scaler=$(cat /proc/"$pid"/task/*/children | tr ' ' '\n' | grep . || true)
[ "$(wc -w <<<"$scaler")" = 1 ] || fail "expected one scaler child of the balancer, found: '$scaler'"
[ "$(field NoNewPrivs /proc/"$scaler"/status)" = 0 ] && [ "$(field CapEff /proc/"$scaler"/status)" != 0000000000000000 ] ||
	fail "the scaler is not the privileged half: $(grep -E 'Cap|NoNew' /proc/"$scaler"/status)"
inode_of_port() { awk -v p="$(printf ':%04X' "$1")" '$2 ~ p"$" && $4 == "0A" {print $10}' /proc/net/tcp; }
listener=$(inode_of_port "${P}01")
[ -n "$listener" ] || fail "no listener on ${P}01"
! ls -l /proc/"$scaler"/fd | grep -q "socket:\[$listener\]" || fail "the scaler holds the balancer's listener"
ls -l /proc/"$pid"/fd | grep -q "socket:\[$listener\]" || fail "the balancer does not hold its listener"
pass "the scaler is a separate privileged child without the listening socket"

# Scaling through the scaler: integration.test_cli_compose_autoscale; its bounds: unit.test_lb_scaler.
cv 0 compose -f "$app/compose.yaml" down
wait_for "the balancer to end" bash -c "! kill -0 $pid 2>/dev/null"
wait_for "the scaler to end" bash -c "! kill -0 $scaler 2>/dev/null || grep -q '^State:.*Z' /proc/$scaler/status"
pass "down ends the balancer and its scaler"
assert_clean "confined balancer"
