#!/usr/bin/env bash
# `containerv metrics`: the Prometheus text format, with figures that are the containers' real ones
# (the memory limit given, CPU a busy loop burned, an OOM kill that happened, the processes running),
# pools (ready, keeper), a create-to-start histogram that leaves pooled containers out, and the
# same text served over HTTP (`--listen`: 200 at /metrics, 404 elsewhere, 405 for POST, gone after
# SIGTERM). Bad input: one line, exit 125. Nothing left behind.
#
# Needs root and curl. Environment: CONTAINERV (the CLI), CV_TEST_ROOTFS (a busybox rootfs), CV_ATTACK
# (tests/helpers/attack.c: "alloc MIB").
source "$(dirname "$0")/lib.sh"
: "${CV_ATTACK:?set CV_ATTACK to the built cv-attack helper}"
ip link set lo up 2>/dev/null || true

# sample TEXT METRIC LABELS: the value of one series ("" when absent).
sample() {
	printf '%s\n' "$1" | awk -v series="$2$3" '$1 == series {print $2}'
}

# Every line is a comment or NAME{LABELS} VALUE, and every family has HELP and TYPE before its samples.
check_format() {
	local text=$1
	printf '%s\n' "$text" | awk '
		/^# HELP / { help[$3] = 1; next }
		/^# TYPE / { if (!help[$3]) { print "TYPE before HELP: " $0; exit 1 } type[$3] = $4; next }
		/^#/ { print "stray comment: " $0; exit 1 }
		{
			if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? [-+0-9.eInfa]+$/) {
				print "bad sample line: " $0; exit 1
			}
			name = $1; sub(/\{.*/, "", name); base = name
			sub(/_(bucket|sum|count)$/, "", base)
			if (!(name in type) && !(base in type)) { print "sample without TYPE: " $0; exit 1 }
		}' || fail "not the Prometheus text format"
}

# A quota small enough that even a loaded host gives the loop more than it allows: it is throttled for sure.
cv 0 run -d --name busy --memory 64m --cpus 0.05 --rootfs "$CV_TEST_ROOTFS" --network none sh -c 'while :; do :; done'
ids+=("$OUT")
busy=${OUT:0:12}
busy_id=$OUT
cv 0 run -d --name oom --memory 32m -v "$CV_ATTACK:/cv-attack:ro" --rootfs "$CV_TEST_ROOTFS" --network none \
	sh -c '/cv-attack alloc 128; sleep 1000'
ids+=("$OUT")
oom=${OUT:0:12}
cv 0 run --name once --rootfs "$CV_TEST_ROOTFS" --network none true
ids+=("$(sed -n 's/.*"Id": "\([0-9a-f]*\)".*/\1/p' <<<"$("$CONTAINERV" inspect once)" | head -1)")

# The busy loop has burned CPU, and the allocation has been killed, once both show.
burned() {
	cv 0 metrics
	awk -v v="$(sample "$OUT" containerv_container_cpu_seconds_total "{id=\"$busy\",name=\"busy\"}")" \
		'BEGIN {exit !(v > 0.02)}'
}
wait_for "CPU time of the busy loop" burned
throttled() {
	cv 0 metrics
	[ "$(sample "$OUT" containerv_container_cpu_cfs_throttled_periods_total "{id=\"$busy\",name=\"busy\"}")" -gt 0 ]
}
wait_for "the busy loop throttled by --cpus 0.05" throttled
killed() {
	cv 0 metrics
	[ "$(sample "$OUT" containerv_container_oom_kills_total "{id=\"$oom\",name=\"oom\"}")" -ge 1 ]
}
wait_for "the OOM kill counted" killed
text=$OUT
check_format "$text"
[ "$(sample "$text" containerv_container_memory_limit_bytes "{id=\"$busy\",name=\"busy\"}")" = 67108864 ] ||
	fail "memory limit of busy: $(grep 'memory_limit.*busy' <<<"$text")"
[ "$(sample "$text" containerv_container_processes "{id=\"$busy\",name=\"busy\"}")" -ge 1 ] ||
	fail "no process counted in busy"
[ "$(sample "$text" containerv_containers '{state="running"}')" = 2 ] || fail "running: $(grep 'state=' <<<"$text")"
[ "$(sample "$text" containerv_containers '{state="exited"}')" = 1 ] || fail "exited: $(grep 'state=' <<<"$text")"
[ -z "$(sample "$text" containerv_container_cpu_seconds_total '{id="once"}')" ] && ! grep -q 'name="once"' <<<"$text" ||
	fail "an exited container has resource series"
[ "$(sample "$text" containerv_container_create_to_start_seconds_count '')" = 3 ] ||
	fail "create-to-start count: $(grep create_to_start_seconds_count <<<"$text")"
# Pressure stall information where the container's cgroup has it (v2 with PSI: the v2 guest), else no series.
if cat "/sys/fs/cgroup/containerv/$busy_id/cpu.pressure" >/dev/null 2>&1; then
	[ -n "$(sample "$text" containerv_container_pressure_cpu_waiting_seconds_total "{id=\"$busy\",name=\"busy\"}")" ] ||
		fail "PSI is readable but no pressure series: $(grep pressure <<<"$text")"
	pass "metrics: pressure stall series (PSI)"
else
	! grep -q '^containerv_container_pressure_' <<<"$text" || fail "pressure series without PSI"
fi
pass "metrics: real CPU, throttling, memory limit, OOM kill, processes and states, in the text format"

# Pools: ready containers and the keeper; a pooled container's wait is not a start latency.
cv 0 pool create warm --min 1 --rootfs "$CV_TEST_ROOTFS" --network none /bin/true
pool_ready() {
	cv 0 metrics
	[ "$(sample "$OUT" containerv_pool_ready '{pool="warm"}')" = 1 ] &&
		[ "$(sample "$OUT" containerv_pool_keeper_up '{pool="warm"}')" = 1 ]
}
wait_for "the pool's ready container in the metrics" pool_ready
[ "$(sample "$OUT" containerv_containers '{state="held"}')" = 1 ] || fail "held: $(grep 'state=' <<<"$OUT")"
sleep 0.3
cv 0 run --pool warm echo pooled
[ "$OUT" = pooled ] || fail "run --pool: $OUT"
cv 0 metrics
check_format "$OUT"
[ "$(sample "$OUT" containerv_container_create_to_start_seconds_count '')" = 3 ] ||
	fail "a pooled container counted as a start: $(grep create_to_start_seconds_count <<<"$OUT")"
pass "metrics: pools (ready, keeper) and held containers; pooled starts are not counted as latencies"

# Served over HTTP, on the loopback address asked for, until SIGTERM.
"$CONTAINERV" metrics --listen 127.0.0.1:0 >"$TEST_TMP/serve.out" 2>"$TEST_TMP/serve.err" &
server=$!
wait_for "the server's address" grep -q 'serving metrics on' "$TEST_TMP/serve.out"
url=$(sed -n 's/^serving metrics on \(http:[^ ]*\)$/\1/p' "$TEST_TMP/serve.out")
[[ "$url" == http://127.0.0.1:*/metrics ]] || fail "server address: $(cat "$TEST_TMP/serve.out")"
headers=$(curl -s -D - -o "$TEST_TMP/scrape" "$url")
[[ "$headers" == "HTTP/1.1 200"* ]] || fail "GET /metrics: $headers"
grep -qi '^Content-Type: text/plain; version=0.0.4' <<<"$headers" || fail "content type: $headers"
check_format "$(cat "$TEST_TMP/scrape")"
[ "$(sample "$(cat "$TEST_TMP/scrape")" containerv_container_memory_limit_bytes "{id=\"$busy\",name=\"busy\"}")" = 67108864 ] ||
	fail "the served metrics lack busy's limit"
[ "$(curl -s -o /dev/null -w '%{http_code}' "${url%/metrics}/other")" = 404 ] || fail "GET /other is not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url")" = 405 ] || fail "POST /metrics is not 405"
kill -TERM "$server"
wait "$server" || fail "the server ended with $? on SIGTERM: $(cat "$TEST_TMP/serve.err")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 000 ] || fail "still served after SIGTERM"
pass "metrics --listen: 200 with the text format, 404, 405, closed on SIGTERM"

cv 125 metrics --listen nonsense
one_error_line "invalid --listen nonsense"
cv 125 metrics --listen 192.0.2.1:9323
one_error_line "cannot listen on 192.0.2.1:9323"
cv 125 metrics extra
one_error_line
pass "bad --listen and extra arguments: one line, exit 125"

cv 0 pool rm warm
left=$("$CONTAINERV" ps -aq)
[ -z "$left" ] || "$CONTAINERV" rm -f $left >/dev/null
assert_clean "metrics"
pass "nothing left behind"
