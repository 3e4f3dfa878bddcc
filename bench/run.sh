#!/usr/bin/env bash
# make bench: fixtures (bench/setup.sh), then the benchmarks (bench/bench.py),
# whose table goes to stdout and, with the machine and every median, to
# bench/results.md. Arguments name a subset (trivial imports events signing
# policy), printed only: bench/results.md is written by full runs.
set -eu
: "${BUILD:?}"
here=$(cd "$(dirname "$0")" && pwd)
"$here/setup.sh"
cd "$here"
exec /usr/bin/python3 "$here/bench.py" "$@"
