#!/usr/bin/env bash
# Runs each libFuzzer harness for a fixed budget (the `fuzz` target of a
# -DCONTAINERV_FUZZ=ON clang build runs it):
#
#   scripts/fuzz.sh BINARY_DIR CORPUS_DIR fuzz_NAME...
#
# Each fuzz_NAME runs FUZZ_SECONDS (default 60) seeded with CORPUS_DIR/NAME;
# new inputs go to a scratch corpus (the checked-in one only grows by hand:
# copy what is worth keeping), crashes to FUZZ_ARTIFACTS (default
# ./fuzz-artifacts/NAME/). A crash fails the run after every harness ran;
# fix it and add its input to the checked-in corpus, where the ctest entry
# fuzz.NAME replays it.
set -uo pipefail
binary_dir=$1 corpus_dir=$2
shift 2
seconds=${FUZZ_SECONDS:-60}
artifacts=${FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}
scratch=$(mktemp -d /tmp/containerv-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
failed=()
for harness in "$@"; do
	name=${harness#fuzz_}
	mkdir -p "$scratch/$name" "$artifacts/$name"
	echo "=== $harness: ${seconds}s"
	if ! "$binary_dir/$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$artifacts/$name/" "$scratch/$name" "$corpus_dir/$name" 2>"$scratch/$name.log"; then
		failed+=("$harness")
		tail -n 40 "$scratch/$name.log"
	fi
	grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$scratch/$name.log" | tail -n 1
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "crashed: ${failed[*]} (inputs in $artifacts)"
	exit 1
fi
echo "no crash in $# harnesses, ${seconds}s each"
