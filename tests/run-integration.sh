#!/usr/bin/env bash
# Run every integration scenario; print one closing line with the totals.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export RESULTS; RESULTS=$(mktemp)
rc=0
for t in "$here"/integration/*.sh; do
    echo "== $(basename "$t")"
    bash "$t" || rc=1
done
read -r p f < <(awk '{p+=$1; f+=$2} END {print p+0, f+0}' "$RESULTS")
rm -f "$RESULTS"
echo "integration: $p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
