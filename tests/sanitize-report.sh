#!/usr/bin/env bash
# sanitize-report.sh LOGDIR: judge the ASan/UBSan/LSan reports that
# `make sanitize` collected (one file per process that reported anything).
# Every report fails the run, with one exception: LeakSanitizer in a child
# that fork() made from a threaded process. Its thread list still names the
# parent's other threads, which do not exist in the child, so it says
# "Running thread N was not suspended. False leaks are possible." and
# cannot scan their stacks; what it then calls leaked is noise. Such a
# report is shown, not counted. ASan and UBSan errors always count.
set -u
dir=$1
bad=0 noisy=0
for f in "$dir"/*; do
    [ -e "$f" ] || continue
    if grep -q 'was not suspended. False leaks are possible' "$f" &&
       ! grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' "$f"; then
        noisy=$((noisy + 1))
        if grep -q 'ERROR: LeakSanitizer' "$f"; then
            echo "== $f (LeakSanitizer after fork from a threaded process: not counted)"
            cat "$f"
        fi
        continue
    fi
    bad=$((bad + 1))
    echo "== $f"
    cat "$f"
done
echo "sanitize: $bad report(s)$([ "$noisy" -gt 0 ] && echo ", $noisy leak check(s) in forked children not counted")"
[ "$bad" -eq 0 ]
