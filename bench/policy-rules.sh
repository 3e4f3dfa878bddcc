#!/usr/bin/env bash
# The policy engine's cost (issue 4): the same event loop under a policy of
# 100 rules and under one with none; target 1.2x at most. A benchmark, never
# a test: `make bench-policy` runs it, `make bench` quotes it.
#
#   bench/policy-rules.sh --rules N   print a realistic N-rule set (the
#                                     default policy's rules, then generated
#                                     ones that name events the loop never
#                                     raises); bench/setup.sh uses it too
#   bench/policy-rules.sh             measure; needs BUILD with
#                                     polbench/spython-{none,rules}, spython-sign,
#                                     spython-policy and tests/setup.sh's keys
#
# Each run times its own loops (time.perf_counter_ns), so start-up is not in
# the numbers; the two binaries alternate round by round so that drift in
# the machine hits both alike. POLICY_BENCH_EVENTS (default 100000) and
# POLICY_BENCH_ROUNDS (default 7) tune it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$here")

# The rule lines of the default policy, then rules that other policies have:
# names and globs of events, conditions on imports, addresses and paths, a
# package scope. "bench.event" (the loop's event) matches none of them.
rules() {
    local n=$1 i=0 k=0
    mapfile -t own < <(grep -v '^[[:space:]]*\(#\|$\)' "$SRC/policy/default.conf" | head -n "$n")
    [ "${#own[@]}" -eq 0 ] || printf '%s\n' "${own[@]}"
    i=${#own[@]}
    while [ "$i" -lt "$n" ]; do
        k=$((k + 1))
        case $((i % 6)) in
        0) echo "deny bench.never.$k" ;;
        1) echo "deny bench.glob.$k.*" ;;
        2) echo "deny import module=benchpkg$k" ;;
        3) echo "module benchpkg$k deny subprocess.Popen" ;;
        4) echo "deny socket.connect addr=10.$((k % 256)).0.0/16:22" ;;
        5) echo "kill open path=/nonexistent/bench/$k access=write" ;;
        esac
        i=$((i + 1))
    done
}

if [ "${1:-}" = --rules ]; then
    case ${2:-} in ''|*[!0-9]*) echo "usage: $0 --rules N" >&2; exit 2 ;; esac
    rules "$2"
    exit 0
fi
[ $# -eq 0 ] || { echo "usage: $0 [--rules N]" >&2; exit 2; }

: "${BUILD:?BUILD must name the build directory}"
EVENTS=${POLICY_BENCH_EVENTS:-100000}
ROUNDS=${POLICY_BENCH_ROUNDS:-7}
B=$BUILD/polbench
KEYS=$BUILD/t/keys
STDLIB=$BUILD/t/stdlib
NRULES=100

# policy NAME [LINE...]: B/NAME/policy.conf, as each binary has it compiled in.
policy() {
    local name=$1
    shift
    mkdir -p "$B/$name"
    chmod 755 "$B" "$B/$name"
    {
        echo "keyring $KEYS/trusted"
        echo "log $B/$name/log.jsonl"
        echo "search-path $STDLIB"
        echo "search-path $STDLIB/lib-dynload"
        for l in "$@"; do echo "$l"; done
    } > "$B/$name/policy.conf"
    chmod 644 "$B/$name/policy.conf"
}

policy none
mapfile -t lines < <(rules "$NRULES")
policy rules "${lines[@]}"
named=$(printf '%s\n' "${lines[@]}" | grep -c '^deny import ')
# Say what is measured, and make sure it is what the title claims.
"$BUILD/spython-policy" check "$B/none/policy.conf" | grep -q ': ok: 0 rules,'
"$BUILD/spython-policy" check "$B/rules/policy.conf" | grep -q ": ok: $NRULES rules,"

# Two loops: an event no rule names (the common case, one hash lookup),
# and "import", which some of the rules name with a module= condition.
cat > "$B/loop.py" <<'PY'
import sys, time
audit, n, clock = sys.audit, int(sys.argv[1]), time.perf_counter_ns
t0 = clock()
for i in range(n):
    audit("bench.event", i)
t1 = clock()
for i in range(n):
    audit("import", "bench_module", None, None, None, None)
t2 = clock()
print(t1 - t0, t2 - t1)
PY
"$BUILD/spython-sign" -q -k "$KEYS/ec.pem" "$B/loop.py" > /dev/null

: > "$B/times"
for ((r = 0; r < ROUNDS; r++)); do
    for v in none rules; do
        : > "$B/$v/log.jsonl"
        printf '%s ' "$v" >> "$B/times"
        "$B/spython-$v" "$B/loop.py" "$EVENTS" >> "$B/times"
    done
done
rm -f "$B/none/log.jsonl" "$B/rules/log.jsonl"

/usr/bin/python3 - "$B/times" "$EVENTS" "$ROUNDS" "$NRULES" "$named" <<'PY'
import statistics, sys
path, events, rounds, nrules, named = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
t = {}
for line in open(path):
    v, a, b = line.split()
    t.setdefault(v, ([], []))
    t[v][0].append(int(a) / events / 1000)
    t[v][1].append(int(b) / events / 1000)
med = {v: (statistics.median(x), statistics.median(y)) for v, (x, y) in t.items()}
# The ratio of medians of each round's pair: both ran back to back.
ratio = lambda k: statistics.median(r / n for r, n in zip(t["rules"][k], t["none"][k]))
print("policy engine: %s events a loop, %s rounds, median µs per event (logged)" % (events, rounds))
print("  event no rule names:    no rules %.3f, %s rules %.3f, ratio %.3f (target <= 1.2)"
      % (med["none"][0], nrules, med["rules"][0], ratio(0)))
print("  import, %2s rules name:  no rules %.3f, %s rules %.3f, ratio %.3f"
      % (named, med["none"][1], nrules, med["rules"][1], ratio(1)))
PY
