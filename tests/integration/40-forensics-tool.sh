#!/usr/bin/env bash
# spython-audit (issue 5): summary and filter on a real log; hostile and
# damaged logs survived with a warning; memory that does not grow with the
# log (`make audit-scale` repeats this at 2M lines).
source "$(dirname "$0")/../lib.sh"
AUDIT=$BUILD/spython-audit
write_policy "deny os.system"

cat > "$T/work.py" <<'PY'
import os, sys
sys.audit("work.step", 1)
try:
    os.system("id")
except PermissionError:
    pass
exec("y = 2")
PY
sign "$T/work.py"
run_spy "$T/work.py"; pid1=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["pid"])' "$LOG")
run_spy "$T/work.py"

"$AUDIT" summary "$LOG" > "$T/sum" 2> "$T/sum.err"; rc=$?
check "summary: exit 0, no warnings" bash -c "[ $rc -eq 0 ] && [ ! -s '$T/sum.err' ]"
check "summary: processes, denials, events by type, time range, transcripts" /usr/bin/python3 - "$T/sum" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
assert re.search(r"^processes: 2$", s, re.M), s
assert re.search(r"^denials: 2$", s, re.M)
assert re.search(r"pid \d+ os\.system deny: denied by policy", s)
assert re.search(r"^ +2 work\.step$", s, re.M)
assert re.search(r"^time: \d{4}-\d\d-\d\dT[\d:.]+Z \.\. \d{4}-", s, re.M)
assert re.search(r"exited .*/work\.py", s)
assert "transcripts: " in s and "1 anomalous" in s
PY

filter() { "$AUDIT" filter "$@" "$LOG" > "$T/f.out" 2> "$T/f.err"; FRC=$?; }
filter --decision deny
check "filter --decision deny: exactly the two denials, as JSON lines" /usr/bin/python3 - "$T/f.out" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 2 and all(e["event"] == "os.system" and e["decision"] == "deny" for e in ev)
PY
filter --pid "$pid1" --event 'work.*'
check "filter --pid --event GLOB: one line, that process's" \
    bash -c "[ $FRC -eq 0 ] && [ \$(wc -l < '$T/f.out') -eq 1 ] && grep -q '\"pid\":$pid1,' '$T/f.out'"
filter --event 'spython.*' --event compile
check "filter: the same option twice means either" \
    bash -c "grep -q '\"event\":\"compile\"' '$T/f.out' && grep -q '\"event\":\"spython.start\"' '$T/f.out' && ! grep -q '\"event\":\"open\"' '$T/f.out'"
filter --until 2000-01-01
check "filter --until before everything: nothing, exit 1" bash -c "[ $FRC -eq 1 ] && [ ! -s '$T/f.out' ]"
first=$(head -1 "$LOG" | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["ts"])')
filter --since "$first" --decision allow
check "filter --since the first line: all of it but the denials" \
    bash -c "[ \$(wc -l < '$T/f.out') -eq \$((\$(wc -l < '$LOG') - 2)) ]"
filter --since 2026-13-99x
check "filter with a malformed time: exit 2, one message" bash -c "[ $FRC -eq 2 ] && [ \$(wc -l < '$T/f.err') -eq 1 ]"
filter --decision maybe
check "filter with an unknown decision: usage, exit 2" test "$FRC" -eq 2
"$AUDIT" filter --event compile - < "$LOG" > "$T/f.out"
check "filter reads standard input (-)" grep -q '"source":"y = 2"' "$T/f.out"
"$AUDIT" frobnicate "$LOG" > /dev/null 2>&1
check "an unknown verb: exit 2" test $? -eq 2
"$AUDIT" --help > "$T/help"
check "--help lists the verbs, and spython-audit(1) documents each" /usr/bin/python3 - "$T/help" "$SRC/man/spython-audit.1" <<'PY'
import re, sys
verbs = re.findall(r"spython-audit ([a-z]+) ", open(sys.argv[1]).read())
man = open(sys.argv[2]).read()
assert verbs == ["summary", "transcripts", "show", "filter", "verify", "report"], verbs
for v in verbs:
    assert re.search(r"^\.It Cm %s( |$)" % v, man, re.M), v
PY
if command -v mandoc > /dev/null; then
    check "spython-audit(1) is mandoc -Tlint clean" mandoc -Tlint -W warning "$SRC/man/spython-audit.1"
fi

# --- hostile and damaged logs --------------------------------------------------
/usr/bin/python3 - "$LOG" "$T/hostile.jsonl" <<'PY'
import sys
good = open(sys.argv[1], "rb").read().splitlines(keepends=True)
bad = [
    b"garbage\n", b"\n", b"[1,2,3]\n", b'"just a string"\n', b"{}\n", b'{"event":5}\n',
    b"\x00\x01\xff\xfe\n",
    b'{"event":"x\\udc80\\ud800y","ts":"\\ud83d","args":["\\udfff"],"decision":"allow"}\n',
    b'{"event":"\x1b[31mred\x1b[0m\xc2\x9b","decision":"deny","reason":"\x1b]0;title\x07","ts":"z","pid":1}\n',
    b'{"event":"compile","args":{"sha256":"' + b"g" * 64 + b'","source":"x"}}\n',
    b'{"event":"compile","args":{"sha256":"<script>' + b"a" * 56 + b'","part":-1}}\n',
    b'{"event":"exec","args":[{"origin":"transcript","transcript":7}]}\n',
    b'{"event":"e","seq":-5,"chain":"zz","prev":1,"hash":"' + b"0" * 64 + b'"}\n',
    b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"\n",
    b'{"event":"' + b"A" * (70 << 20) + b'"}\n',
    b'{"event":"dup","event":"dup2","decision":"allow","decision":"deny"}\n',
    b'{"event":"n","pid":1e400,"seq":18446744073709551616}\r\n',
]
out = good[:5] + bad + [b"more garbage %d\n" % i for i in range(30)] + good[5:] + [b'{"ts":"torn']
open(sys.argv[2], "wb").writelines(out)
PY
for verb in summary transcripts verify "filter --decision deny" "report -o $T/h.html"; do
    # shellcheck disable=SC2086
    "$AUDIT" $verb "$T/hostile.jsonl" > "$T/h.out" 2> "$T/h.err"; rc=$?
    check "hostile log, ${verb%% *}: no crash (exit $rc), warnings on stderr" \
        bash -c "[ $rc -lt 4 ] && grep -q 'warning: torn last line' '$T/h.err' && grep -q 'longer than 64 MiB, skipped' '$T/h.err'"
    check "hostile log, ${verb%% *}: no escape sequence reaches the terminal" \
        bash -c "! grep -q \$'\\x1b' '$T/h.out' && ! grep -q \$'\\x1b' '$T/h.err' && ! grep -qP '\\xc2\\x9b' '$T/h.out'"
done
"$AUDIT" verify "$T/hostile.jsonl" > "$T/h.out" 2>&1; rc=$?
check "hostile log: verify says tampered (exit 1), the good chains still checked" \
    bash -c "[ $rc -eq 1 ] && grep -q 'not a log line' '$T/h.out' && grep -q ' 2 chains: 0 broken, 0 open' '$T/h.out'"
"$AUDIT" summary "$T/hostile.jsonl" > "$T/h.out" 2> "$T/h.err"
check "hostile log: the lines around the damage still count" \
    bash -c "[ \$(grep -c ' exited .*/work.py' '$T/h.out') -eq 2 ] && grep -q '^ *2 work.step$' '$T/h.out'"
check "hostile log: warnings are capped (20, and the torn last line)" \
    bash -c "[ \$(grep -c warning: '$T/h.err') -le 21 ] && grep -q 'further warnings not shown' '$T/h.err'"
check "hostile log: the report escapes what the log says" \
    bash -c "! grep -q '<script>a' '$T/h.html' && grep -q 'Evidence of tampering' '$T/h.html'"

# --- memory does not grow with the log -------------------------------------------
# A chained log of N lines from 8 processes, with transcripts, their execs
# and denials, made fast (valid hashes: verify reads it as spython's).
cat > "$T/gen.py" <<'PY'
import hashlib, json, sys
n, path = int(sys.argv[1]), sys.argv[2]
chains = ["%032x" % (0x5eed0000 + k) for k in range(8)]
state = {c: (0, "0" * 64) for c in chains}
srcs = [("v%d = %d" % (k, k)) for k in range(40)]
sha = [hashlib.sha256(s.encode()).hexdigest() for s in srcs]
with open(path, "w") as out:
    for i in range(n):
        c = chains[i & 7]
        seq, prev = state[c]
        seq += 1
        k = i % 100
        if k == 7:
            ev = '"compile","args":{"filename":"<string>","source_type":"bytes","len":%d,"sha256":"%s","caller":{"file":"/srv/app.py","line":%d,"function":"run"},"source":%s}' % (
                len(srcs[i % 40]), sha[i % 40], i % 13, json.dumps(srcs[i % 40]))
        elif k == 8:
            ev = '"exec","args":[{"code":"<module>","file":"<string>","line":1,"origin":"transcript","transcript":"%s"}]' % sha[(i - 1) % 40]
        else:
            ev = '"open","args":["/srv/data/%d","r",524288]' % (i % 997)
        dec = '"deny","reason":"denied by policy"' if i % 1000 == 999 else '"allow"'
        body = '{"ts":"2026-01-01T%02d:%02d:%02d.%06dZ","pid":%d,"event":%s,"decision":%s,"seq":%d,"chain":"%s","prev":"%s"' % (
            i // 3600000000 % 24, i // 60000000 % 60, i // 1000000 % 60, i % 1000000, 100 + (i & 7), ev, dec, seq, c, prev)
        h = hashlib.sha256(body.encode()).hexdigest()
        out.write('%s,"hash":"%s"}\n' % (body, h))
        state[c] = (seq, h)
PY
SMALL=${AUDIT_SCALE_SMALL:-10000}
BIG=${AUDIT_SCALE_BIG:-200000}
/usr/bin/python3 "$T/gen.py" "$SMALL" "$T/small.jsonl"
/usr/bin/python3 "$T/gen.py" "$BIG" "$T/big.jsonl"
if [ -x /usr/bin/time ]; then
    for verb in verify summary transcripts "filter --decision denied" "report -o $T/m.html"; do
        for size in small big; do
            # shellcheck disable=SC2086
            /usr/bin/time -f %M -o "$T/rss.$size" "$AUDIT" $verb "$T/$size.jsonl" > "$T/m.out" 2>&1
            echo "$?" > "$T/rc.$size"
            [ "$verb" = verify ] && cp "$T/m.out" "$T/verify.$size"
        done
        s=$(tail -1 "$T/rss.small") b=$(tail -1 "$T/rss.big")
        echo "  ${verb%% *}: max RSS ${s} KB at $SMALL lines, ${b} KB at $BIG lines"
        # Under ASan the peak is its shadow memory and quarantine, not ours.
        if [ -n "${ASAN_OPTIONS:-}" ]; then
            check "${verb%% *} at $BIG lines: exit status" bash -c "[ \$(cat '$T/rc.big') -lt 4 ]"
            continue
        fi
        check "${verb%% *}: memory at $BIG lines within 2 MiB of that at $SMALL, under 32 MiB" \
            bash -c "[ $b -le $((s + 2048)) ] && [ $b -lt 32768 ] && [ \$(cat '$T/rc.big') -lt 4 ]"
    done
    check "the generated log verifies (exit 3: its chains have no spython.exit)" \
        grep -q " 8 chains: 0 broken, 8 open" "$T/verify.big"
else
    echo "skip: memory checks need /usr/bin/time (make deps)"
fi
finish
