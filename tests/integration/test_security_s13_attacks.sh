#!/usr/bin/env bash
# Attacks of session 13 on the supervision, the events journal, image labels and joined namespaces,
# performed for real:
#  1. a health check that closes its stdout and stderr and sleeps: the supervisor waited for it without
#     a bound (waitpid), so its timeout never came: no more checks, health stuck at "starting".
#  2. a health check that prints bytes that are not UTF-8 (and output cut inside a character at 4 KiB):
#     jansson refused the string and the whole entry vanished from State.Health.Log.
#  3. an image whose label holds a newline and an ESC: `containerv events` printed it raw and the label
#     forged a whole event line (and terminal sequences).
#     Its 100 KB label was written again in every event of its containers (the journal's host I/O).
#  4. an image labelled com.docker.compose.project=shop, service=web: a plain run of it was listed as
#     shop's web replica (compose ps, down, and the project's balancer, which would send it traffic).
#  5. --pid container:X (and --ipc) of an X that runs at permissive with --pid host: a restricted
#     container was given the host's pid namespace, which its level refuses by name.
#  6. a health check's user (the container's, -u) and descriptors (its stdio, nothing of the supervisor's).
#  7. rm -f of containers checked every millisecond: one was left ("did not die after SIGKILL"), its
#     supervisor spawning failing checks forever.
#
# Needs root, jq and umoci. Environment: CONTAINERV, CV_TEST_ROOTFS.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (apt-get install jq)"
export CONTAINERV_ROOTFS_PATH=$(dirname "$CV_TEST_ROOTFS")

START=$(date +%s)
field() { "$CONTAINERV" inspect -f "$2" "$1"; }
is() { [ "$(field "$1" "$2")" = "$3" ]; }

# 1. The check's output ends at once, the check does not: its timeout must still end it.
cv 0 run -d --name closer --network none --health-cmd 'exec >&- 2>&-; sleep 600' --health-timeout 300ms \
	--health-interval 300ms --health-retries 1 busybox sleep 600
ids+=("$OUT")
wait_until "closer unhealthy (the check's timeout, with its output closed)" 60 is closer '{{.State.Health.Status}}' unhealthy
"$CONTAINERV" inspect closer | jq -e '.[0].State.Health.Log[-1] | .ExitCode == -1 and (.Output | test("exceeded timeout"))' \
	>/dev/null || fail "closed-output check: $("$CONTAINERV" inspect closer | jq -c '.[0].State.Health.Log')"
cv 0 exec closer ps -o pid,args
[ "$(grep -c 'sleep 600' <<<"$OUT")" -le 2 ] || fail "timed-out checks were not killed: $OUT"
cv 0 rm -f closer
pass "a check that closes its output is still ended by its timeout"

# 2. Not UTF-8: \377\376 and, at the 4 KiB cut, the first byte of a three-byte character.
cv 0 run -d --name bytes --network none --health-cmd "printf 'bad \\377\\376 end'; exit 1" --health-interval 200ms \
	--health-retries 1 busybox sleep 600
ids+=("$OUT")
wait_until "bytes unhealthy" 30 is bytes '{{.State.Health.Status}}' unhealthy
"$CONTAINERV" inspect bytes | jq -e '.[0].State.Health.Log | length >= 1 and (.[-1].Output == "bad ?? end") and .[-1].ExitCode == 1' \
	>/dev/null || fail "invalid UTF-8 output: $("$CONTAINERV" inspect bytes | jq -c '.[0].State.Health.Log')"
cv 0 rm -f bytes
cv 0 run -d --name cut --network none --health-cmd "head -c 4094 /dev/zero | tr '\\0' x; printf '\\342\\202\\254\\342\\202\\254'" \
	--health-interval 200ms busybox sleep 600
ids+=("$OUT")
wait_until "cut healthy" 30 is cut '{{.State.Health.Status}}' healthy
"$CONTAINERV" inspect cut | jq -e '.[0].State.Health.Log[-1].Output | length == 4095 and endswith("x?")' >/dev/null ||
	fail "output cut in a character: $("$CONTAINERV" inspect cut | jq -c '.[0].State.Health.Log[-1].Output | .[-5:]')"
cv 0 rm -f cut
pass "a check's output that is not UTF-8 is kept, its bad bytes as '?'"

# 3 and 4: an image with a forging label and compose's membership labels (umoci edits a saved copy).
command -v umoci >/dev/null || fail "umoci is needed (apt-get install umoci)"
cv 0 import "$CV_TEST_ROOTFS" hostile:1
cv 0 save -o "$TEST_TMP/hostile.tar" hostile:1
mkdir "$TEST_TMP/layout"
tar -C "$TEST_TMP/layout" -xf "$TEST_TMP/hostile.tar"
umoci config --image "$TEST_TMP/layout:docker.io/library/hostile:1" \
	--config.label $'evil=x)\n2026-01-01T00:00:00.000000000Z container destroy forged (name=victim\e[2J' \
	--config.label com.docker.compose.project=shop --config.label com.docker.compose.service=web \
	--config.label com.docker.compose.container-number=7 --config.label containerv.pool=p1 \
	--config.label kept=yes --config.label "big=$(head -c 100000 /dev/zero | tr '\0' x)" || fail "umoci config"
tar -C "$TEST_TMP/layout" -cf "$TEST_TMP/hostile2.tar" .
cv 0 rmi hostile:1
cv 0 load -i "$TEST_TMP/hostile2.tar"
cv 0 create --name labelled --network none hostile:1 true
ids+=("$OUT")
cv 0 inspect labelled
jq -e '.[0].Config.Labels | .kept == "yes" and (.evil | startswith("x)")) and
	([keys[] | select(startswith("com.docker.compose.") or startswith("containerv."))] | length == 0)' <<<"$OUT" \
	>/dev/null || fail "labels inherited from the image: $(jq -c '.[0].Config.Labels' <<<"$OUT")"
cv 0 compose -p shop ps -a -q
[ -z "$OUT" ] || fail "a plain run of a labelled image is a replica of project shop: $OUT"
cv 0 rm labelled
cv 0 events --since "$START" --until "$(($(date +%s) + 1))" --filter container=labelled
lines=$(printf '%s\n' "$OUT" | grep -c .)
[ "$lines" = 2 ] || fail "events of labelled: $lines lines (create, destroy expected): $OUT"
! grep -q '^2026-01-01T00:00:00' <<<"$OUT" || fail "a label forged an event line: $OUT"
! grep -q $'\e' <<<"$OUT" || fail "an ESC reached the events output"
# The 100 KB label is not written again with each event (a flipping health check makes one a millisecond).
longest=$(wc -L <"$CONTAINERV_ROOT/events.log")
[ "$longest" -lt 20000 ] || fail "an event line of $longest bytes: an image's labels are copied into each event"
[[ "$OUT" == *kept=yes* ]] || fail "the image's short labels are missing from its events: $OUT"
[[ "$OUT" == *'evil=x)\n2026'*'victim\x1b[2J'* ]] || fail "the label is not shown escaped: $OUT"
cv 0 rmi hostile:1
pass "an image's labels neither join a compose project nor forge an event line"

# 5. A permissive container with the host's namespaces; a restricted one joining them is refused.
cv 0 run -d --name hostpid --network none --security-level permissive --pid host --ipc host busybox sleep 600
ids+=("$OUT")
cv 125 run --rm --network none --pid container:hostpid busybox true
one_error_line "shares the host's pid namespace: --pid host is refused at the restricted security level"
cv 125 run --rm --network none --ipc container:hostpid --security-level strict busybox true
one_error_line "shares the host's ipc namespace: --ipc host is refused at the strict security level"
cv 0 run --rm --network none --ipc container:hostpid busybox readlink /proc/self/ns/ipc
[ "$OUT" = "$(readlink /proc/self/ns/ipc)" ] || fail "--ipc container: of a host-ipc container (allowed at restricted): $OUT"
cv 0 run --rm --network none --security-level permissive --pid container:hostpid busybox readlink /proc/self/ns/pid
[ "$OUT" = "$(readlink /proc/self/ns/pid)" ] || fail "permissive may join the host's pid namespace: $OUT"
cv 0 run -d --name ownpid --network none busybox sleep 600
ids+=("$OUT")
cv 0 run --rm --network none --pid container:ownpid busybox sh -c 'ps -o args | grep -c "^sleep 600"'
[ "$OUT" = 1 ] || fail "--pid container: of a container with its own namespace: $OUT"
cv 0 rm -f hostpid ownpid
pass "joining a container that shares the host's pid or ipc namespace is --pid/--ipc host for the level"

# 6. The check runs as the container's user (an image's check must not be root under -u), with its stdio
#    alone: 0, 1, 2 and the one ls reads /proc/self/fd through.
cv 0 run -d --name fds --network none -u 1000:1000 --health-cmd 'id -u; ls /proc/self/fd | tr "\n" " "' \
	--health-interval 200ms busybox sleep 600
ids+=("$OUT")
wait_until "fds healthy" 30 is fds '{{.State.Health.Status}}' healthy
out=$("$CONTAINERV" inspect fds | jq -r '.[0].State.Health.Log[-1].Output')
[ "$out" = "$(printf '1000\n0 1 2 3 ')" ] || fail "a health check's user or descriptors: $out"
cv 0 rm -f fds
pass "a health check runs as the container's user and holds only its stdio"

# 7. rm -f of containers whose (image's) health check runs every millisecond: a check spawned while rm killed
#    the cgroup lost its helper before its pid was reported, stayed the supervisor's zombie, and the init
#    waited for it forever: "did not die after SIGKILL", the container left and its supervisor spinning.
for round in 1 2 3 4; do
	names=()
	for i in 1 2 3 4 5 6; do
		cv 0 run -d --name "fast$i" --network none --health-cmd true --health-interval 1ms busybox sleep 600
		ids+=("$OUT")
		names+=("fast$i")
	done
	sleep 1.5
	cv 0 rm -f "${names[@]}"
	[ -z "$("$CONTAINERV" ps -aq)" ] || fail "round $round: rm -f left $("$CONTAINERV" ps -a --format '{{.Names}}')"
done
wait_until "the supervisors' end" 10 sh -c "! pgrep -f '^containerv-supervise $CONTAINERV_ROOT '"
pass "containers with a health check every millisecond are removed, their supervisors gone"

assert_clean "session 13 attacks"
