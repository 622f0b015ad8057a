#!/usr/bin/env bash
# deploy.restart_policy.max_attempts bounds the restarts of condition: any (a command that exits 0 is
# restarted too) and of condition: on-failure: after max_attempts restarts the replica stays exited,
# its supervisor ends, and RestartCount says max_attempts. Without max_attempts, any keeps restarting.
#
# Needs root and jq. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supervise-lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")

app=$TEST_TMP/attempts
mkdir -p "$app"
cat >"$app/compose.yaml" <<'YAML'
name: attempts
services:
  anyok:
    image: busybox
    command: "true"
    network_mode: none
    deploy:
      restart_policy: {condition: any, max_attempts: 2}
  failing:
    image: busybox
    command: sh -c 'exit 3'
    network_mode: none
    deploy:
      restart_policy: {condition: on-failure, max_attempts: 3}
  forever:
    image: busybox
    command: "true"
    network_mode: none
    deploy:
      restart_policy: {condition: any}
YAML
no_supervisor() { [ -z "$(supervisors_of "$1")" ]; }
compose() { cv "$1" compose -f "$app/compose.yaml" "${@:2}"; }

compose 0 up -d
for service in anyok failing; do
	id=$(field "attempts-$service-1" '{{.Id}}')
	wait_until "$service's supervisor to give up" 60 no_supervisor "$id"
done
[ "$(field attempts-anyok-1 '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}')" = "exited 2 0" ] ||
	fail "any, max_attempts 2: $(field attempts-anyok-1 '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}')"
[ "$(field attempts-failing-1 '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}')" = "exited 3 3" ] ||
	fail "on-failure, max_attempts 3: $(field attempts-failing-1 '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}')"
cv 0 inspect attempts-anyok-1
[ "$(jq -r '.[0].HostConfig.RestartPolicy | "\(.Name) \(.MaximumRetryCount)"' <<<"$OUT")" = "always 2" ] ||
	fail "inspect RestartPolicy: $(jq -c '.[0].HostConfig.RestartPolicy' <<<"$OUT")"
pass "condition any and on-failure stop after max_attempts restarts (RestartCount 2 and 3), exited"

# Without max_attempts any goes on: more restarts than the bounded one had, still supervised.
wait_until "forever restarted more than 3 times" 60 sh -c "[ \"\$('$CONTAINERV' inspect -f '{{.RestartCount}}' attempts-forever-1)\" -gt 3 ]"
[ -n "$(supervisors_of "$(field attempts-forever-1 '{{.Id}}')")" ] || fail "forever's supervisor ended"
pass "condition any without max_attempts keeps restarting"

compose 0 down
assert_clean "compose restart attempts"
pass "down leaves nothing"
