#!/usr/bin/env bash
# The report of bench/suite.sh: RESULTS ("key value" lines; times in microseconds, throughput in
# milli-containers per second, memory in KiB) as a table of medians and ratios on stdout, and as
# JSON, a PNG plot and a validation against stored thresholds when asked.
#   suite-report.sh RESULTS JSON_FILE|"" PNG_FILE|"" THRESHOLDS|""
# Validation: THRESHOLDS is {"max": {KEY: LIMIT}, "min": {KEY: LIMIT}} over the JSON's "derived"
# keys (ratios, milliseconds, KiB); a key the run did not measure is reported and skipped. Exit 1 on
# a regression.
set -euo pipefail
results=$1 json_out=${2:-} plot_out=${3:-} thresholds=${4:-}

# One JSON object: the raw values and the derived figures the table, the plot and the validation use.
json=$(jq -nR '
	[inputs | select(length > 0) | split(" ") | {key: .[0], value: (.[1] | tonumber? // .)}] | from_entries |
	. as $r |
	def ms(k): if $r[k] != null then ($r[k] / 1000) else null end;
	def ratio(a; b): if $r[a] != null and $r[b] != null and $r[b] != 0 then ($r[a] / $r[b]) else null end;
	{raw: $r, derived: ({
		"startup.floor_ms": ms("startup.floor"), "startup.cold_ms": ms("startup.cold"),
		"startup.image_ms": ms("startup.image"), "startup.warm_ms": ms("startup.warm"),
		"startup.crun_ms": ms("startup.crun"), "startup.runc_ms": ms("startup.runc"),
		"startup.warm_over_cold": ratio("startup.warm"; "startup.cold"),
		"startup.warm_over_crun": ratio("startup.warm"; "startup.crun"),
		"startup.cold_over_crun": ratio("startup.cold"; "startup.crun"),
		"startup.cold_over_runc": ratio("startup.cold"; "startup.runc"),
		"startup.image_over_cold": ratio("startup.image"; "startup.cold")
	} + ([$r | keys[] | select(startswith("throughput.")) | {key: (. + "_per_s"), value: ($r[.] / 1000)}] | from_entries)
	  + ([$r | keys[] | select(test("^throughput\\.containerv\\.[0-9]+$")) | select(. != "throughput.containerv.1") |
	      {key: ("throughput.containerv.speedup." + (split(".")[2])), value: ratio(.; "throughput.containerv.1")}] | from_entries)
	  + ([$r | keys[] | select(test("^scaling\\.[0-9]+\\.(cold|warm|crun)$")) | {key: (. + "_ms"), value: ($r[.] / 1000)}] | from_entries)
	  + ([$r | keys[] | select(test("^scaling\\.[0-9]+\\.cold$")) | split(".")[1] | select(. != "0") |
	      {key: ("scaling.cold_at_" + . + "_over_0"), value: ratio("scaling." + . + ".cold"; "scaling.0.cold")}] | from_entries)
	  + ([$r | keys[] | select(test("^scaling\\.[0-9]+\\.warm$")) | split(".")[1] | select(. != "0") |
	      {key: ("scaling.warm_at_" + . + "_over_0"), value: ratio("scaling." + . + ".warm"; "scaling.0.warm")}] | from_entries)
	  + ([$r | keys[] | select(test("^memory\\.[0-9]+\\.init_pss$")) | split(".")[1] |
	      {key: ("memory." + . + ".overhead_kib"), value: ($r["memory." + . + ".init_pss"] + ($r["memory." + . + ".monitor_pss"] // 0) + ($r["memory." + . + ".kmem"] // 0))}] | from_entries)
	  | with_entries(select(.value != null)))}' <"$results")

d() { jq -r --arg k "$1" '.derived[$k] // empty' <<<"$json"; }
r() { jq -r --arg k "$1" '.raw[$k] // empty' <<<"$json"; }
row() { [ -n "$2" ] && printf '  %-52s %12s\n' "$1" "$2" || true; }
fmt() { [ -n "$1" ] && printf "%.${2:-2}f" "$1" || true; }

echo
echo "containerv bench: $(r host.cpus) CPUs, load average $(r load.start) at start, $(r load.end) at end"
if [ -n "$(d startup.cold_ms)" ]; then
	echo "start-up, median ms (interleaved rounds):"
	row "/bin/true from bash (the floor)" "$(fmt "$(d startup.floor_ms)" 3)"
	row "containerv run --rm --rootfs R /bin/true (cold)" "$(fmt "$(d startup.cold_ms)" 3)"
	row "containerv run --rm IMAGE /bin/true (from an image)" "$(fmt "$(d startup.image_ms)" 3)"
	row "containerv run --rm --pool P /bin/true (warm)" "$(fmt "$(d startup.warm_ms)" 3)"
	row "crun run + delete" "$(fmt "$(d startup.crun_ms)" 3)"
	row "runc run + delete" "$(fmt "$(d startup.runc_ms)" 3)"
	echo "  ratios: warm/cold $(fmt "$(d startup.warm_over_cold)")  warm/crun $(fmt "$(d startup.warm_over_crun)")" \
		" cold/crun $(fmt "$(d startup.cold_over_crun)")  cold/runc $(fmt "$(d startup.cold_over_runc)")" \
		" image/cold $(fmt "$(d startup.image_over_cold)")"
fi
if jq -e '.raw | keys | any(startswith("throughput."))' <<<"$json" >/dev/null; then
	echo "throughput, containers per second (median of the batches):"
	printf '  %-12s' parallel
	levels=$(jq -r '.raw | keys[] | select(startswith("throughput.containerv.")) | split(".")[2]' <<<"$json" | sort -n)
	for p in $levels; do printf '%9s' "$p"; done
	echo
	for rt in containerv crun runc; do
		[ -n "$(r "throughput.$rt.1")" ] || continue
		printf '  %-12s' "$rt"
		for p in $levels; do printf '%9s' "$(fmt "$(d "throughput.$rt.${p}_per_s")" 1)"; done
		echo
	done
	printf '  %-12s' "speed-up"
	for p in $levels; do [ "$p" = 1 ] && printf '%9s' 1.00 || printf '%9s' "$(fmt "$(d "throughput.containerv.speedup.$p")")"; done
	echo
fi
levels=$(jq -r '.raw | keys[] | select(test("^scaling\\.[0-9]+\\.cold$")) | split(".")[1]' <<<"$json" | sort -n)
if [ -n "$levels" ]; then
	echo "memory per idle container (median of a sample, KiB) and start latency while N run (median ms):"
	printf '  %8s %9s %9s %8s %9s %10s %11s %10s %8s %9s %9s %6s\n' running init-RSS init-PSS mon-PSS kmem overhead cg-charged host-drop crun-cg cold warm load
	for l in $levels; do
		printf '  %8s %9s %9s %8s %9s %10s %11s %10s %8s %9s %9s %6s\n' "$l" "$(r "memory.$l.init_rss")" "$(r "memory.$l.init_pss")" "$(r "memory.$l.monitor_pss")" \
			"$(r "memory.$l.kmem")" "$(d "memory.$l.overhead_kib")" "$(r "memory.$l.charged")" \
			"$(r "memory.$l.host_avail_drop_kib_per_container")" "$(r "memory.$l.crun_charged")" \
			"$(fmt "$(d "scaling.$l.cold_ms")" 1)" "$(fmt "$(d "scaling.$l.warm_ms")" 1)" "$(r "scaling.$l.load")"
	done
	echo "  (overhead = the init's PSS + its monitor's PSS + the kernel memory charged to the cgroup; cg-charged includes the workload;"
	echo "   host-drop: MemAvailable's fall per container, other users' activity included)"
	last=$(tail -1 <<<"$levels")
	echo "  start latency with $last running over with none: cold $(fmt "$(d "scaling.cold_at_${last}_over_0")")" \
		" warm $(fmt "$(d "scaling.warm_at_${last}_over_0")")"
fi

if [ -n "$json_out" ]; then
	jq . <<<"$json" >"$json_out"
	echo "JSON: $json_out"
fi

if [ -n "$plot_out" ]; then
	if ! command -v gnuplot >/dev/null; then
		echo "containerv: bench: no plot: gnuplot is not installed (apt-get install gnuplot-nox)" >&2
	else
		data=$(mktemp -d /tmp/cvbench-plot.XXXXXX)
		for k in floor cold image warm crun runc; do
			v=$(d "startup.${k}_ms")
			[ -n "$v" ] && echo "$k $v" >>"$data/startup"
		done
		for rt in containerv crun runc; do
			jq -r --arg rt "$rt" '.raw | to_entries[] | select(.key | startswith("throughput." + $rt + ".")) |
				"\(.key | split(".")[2]) \(.value / 1000)"' <<<"$json" | sort -n >"$data/tp.$rt"
		done
		# "?": a value this level has not (gnuplot's missing datum), so that the columns stay in place.
		m() { local v=$1; echo "${v:-?}"; }
		for l in $levels; do
			echo "$l $(m "$(d "scaling.$l.cold_ms")") $(m "$(d "scaling.$l.warm_ms")") $(m "$(d "scaling.$l.crun_ms")")" \
				"$(m "$(d "memory.$l.overhead_kib")") $(m "$(r "memory.$l.host_avail_drop_kib_per_container")")" \
				"$(m "$(r "memory.$l.crun_charged")")" >>"$data/scaling"
		done
		touch "$data/startup" "$data/scaling"
		# A section the run did not measure leaves its panel empty (gnuplot stops at a plot without points).
		startup_plot= throughput_plot= scaling_plot= memory_plot=
		[ -s "$data/startup" ] && startup_plot="plot \"$data/startup\" using 0:2:xtic(1) with boxes notitle"
		for f in "$data"/tp.*; do [ -s "$f" ] || rm -f "$f"; done
		[ -s "$data/tp.containerv" ] &&
			throughput_plot="plot for [rt in \"$(cd "$data" && ls tp.* | sed 's/^tp\.//' | tr '\n' ' ')\"] \"$data/tp.\".rt using 1:2 with linespoints title rt"
		if [ -s "$data/scaling" ]; then
			scaling_plot="plot \"$data/scaling\" using 1:2 with linespoints title \"containerv cold\", \"\" using 1:3 with linespoints title \"containerv warm (pool)\", \"\" using 1:4 with linespoints title \"crun\""
			memory_plot="plot \"$data/scaling\" using 1:5 with linespoints title \"containerv: init + monitor PSS + kernel memory charged\", \"\" using 1:6 with linespoints title \"host MemAvailable drop per container\", \"\" using 1:7 with linespoints title \"crun: cgroup charge (incl. workload)\""
		fi
		gnuplot <<EOF || echo "containerv: bench: the plot is incomplete (gnuplot failed)" >&2
set terminal pngcairo size 1400,1000 noenhanced
set output "$plot_out"
set datafile missing "?"
set multiplot layout 2,2 title "containerv bench: load $(r load.start)-$(r load.end), $(r host.cpus) CPUs"
set title "start-up to exit, median ms"
set style fill solid 0.6
set boxwidth 0.6
set yrange [0:*]
set grid y
$startup_plot
set title "throughput, containers per second"
set xlabel "parallel"
set logscale x 2
$throughput_plot
unset logscale x
set title "start latency while N containers run, median ms"
set xlabel "containers running"
$scaling_plot
set title "memory per idle container, KiB (log scale)"
set logscale y
set yrange [*:*]
$memory_plot
unset multiplot
EOF
		rm -rf "$data"
		echo "plot: $plot_out"
	fi
fi

if [ -n "$thresholds" ]; then
	echo "validation against $thresholds:"
	failed=$(jq -r --slurpfile t "$thresholds" '
		.derived as $d | $t[0] as $t |
		([($t.max // {}) | to_entries[] | {k: .key, limit: .value, op: "<="}] +
		 [($t.min // {}) | to_entries[] | {k: .key, limit: .value, op: ">="}])[] |
		if $d[.k] == null then "  skip \(.k): not measured in this run"
		elif (.op == "<=" and $d[.k] <= .limit) or (.op == ">=" and $d[.k] >= .limit) then "  ok   \(.k) = \($d[.k] * 1000 | round / 1000) \(.op) \(.limit)"
		else "  FAIL \(.k) = \($d[.k] * 1000 | round / 1000), must be \(.op) \(.limit)" end' <<<"$json")
	echo "$failed"
	if grep -q '^  FAIL' <<<"$failed"; then
		echo "containerv: bench: regression against $thresholds" >&2
		exit 1
	fi
fi
