#!/usr/bin/env bash
# report.sh LOGDIR: one line per run of spython under valgrind; fails when
# any run has a memcheck error or a definite/indirect leak (tests/valgrind.supp
# lists the few libpython ones we accept, with reasons).
set -u
dir=$1
runs=$(ls "$dir"/vg.*.log 2>/dev/null | wc -l)
bad=0
# Errors and leaks are "==PID==" lines; valgrind's own notes ("--PID--", such
# as the unhandled openat2 that makes spython use its fallback) are not.
for f in "$dir"/vg.*.log; do
    grep -q '^==[0-9]*==' "$f" 2>/dev/null || continue
    bad=$((bad + 1))
    echo "== $f"
    cat "$f"
done
echo "valgrind: $runs spython runs under memcheck, $bad with errors or leaks"
[ "$runs" -gt 0 ] && [ "$bad" -eq 0 ]
