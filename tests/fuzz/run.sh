#!/usr/bin/env bash
# run.sh BINARY SEEDS WORKDIR SECONDS: fuzz one target for SECONDS over its
# seed corpus, keeping new inputs in WORKDIR (never in the seeds). Prints one
# summary line; on a crash or a broken invariant prints the report and the
# saved input, and fails.
set -u
bin=$1 seeds=$2 work=$3 secs=$4
name=$(basename "$bin")
mkdir -p "$work/corpus" "$work/artifacts"
log=$(mktemp "$work/fuzz.XXXXXX.log")
extra=()
[ -f "$seeds.dict" ] && extra+=("-dict=$seeds.dict")
# shellcheck disable=SC2207
[ -f "$seeds.options" ] && extra+=($(cat "$seeds.options"))

"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "${extra[@]}" "$work/corpus" "$seeds" > "$log" 2>&1
rc=$?

# libFuzzer's own counters: total executions, edges covered, features, corpus.
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
if [ "$rc" -ne 0 ]; then
    echo "FAIL $name (exit $rc): input $(ls -t "$work/artifacts" | head -1 | sed "s|^|$work/artifacts/|"), log $log"
    grep -aE 'ERROR|invariant|SUMMARY|^ *#[0-9]+ ' "$log" | head -40
    exit 1
fi
echo "ok $name: ${runs:-?} executions in ${secs}s, ${cov:-no coverage line}"
rm -f "$log"
