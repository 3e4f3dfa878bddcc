#!/usr/bin/env bash
# Tamper evidence (issue 5): every process's lines form a hash chain, keyed
# with a sealing key when the policy names one; spython-audit verify finds
# the first altered, missing, reordered or cut-short line per chain in a file
# that many processes wrote at once. Exit status: 0 intact, 1 tampered,
# 3 not everything verifiable (open chain, torn tail, no key).
source "$(dirname "$0")/../lib.sh"
AUDIT=$BUILD/spython-audit
write_policy

cat > "$T/family.py" <<'PY'
import os, sys, threading
def work(tag, n):
    for i in range(n):
        sys.audit("family." + tag, i)
t = threading.Thread(target=work, args=("thread", 50))
t.start()
pid = os.fork()
if pid == 0:
    work("child", 30)
    if os.fork() == 0:
        work("grandchild", 10)
        sys.exit(0)
    os.wait()
    os._exit(0)
work("parent", 30)
t.join()
os.waitpid(pid, 0)
PY
sign "$T/family.py"
for i in 1 2 3 4; do "$SPY" "$T/family.py" > /dev/null 2>&1 & done
wait

verify() { "$AUDIT" verify "$@" > "$T/v.out" 2> "$T/v.err"; VRC=$?; }
verify "$LOG"
check "four processes, their threads and forks, interleaved: every chain intact (exit 0)" \
    bash -c "[ $VRC -eq 0 ] && grep -q ' 12 chains: 0 broken, 0 open' '$T/v.out'"
check "the chains really interleave in the file" /usr/bin/python3 - "$LOG" <<'PY'
import json, sys
chains = [json.loads(l)["chain"] for l in open(sys.argv[1])]
switches = sum(1 for a, b in zip(chains, chains[1:]) if a != b)
assert len(set(chains)) == 12 and switches > 12, (len(set(chains)), switches)
PY
log_has "a forked child's chain names its parent's chain and seq" \
    'e["event"] == "family.child" and e["args"] == [0] and len(e["fork"]["chain"]) == 32 and e["fork"]["seq"] > 1'

# mutate KIND: a copy of the log with one line of one chain changed.
mutate() {
    /usr/bin/python3 - "$LOG" "$T/bad.jsonl" "$1" <<'PY'
import json, sys
src, dst, kind = sys.argv[1:]
lines = open(src, encoding="utf-8").read().splitlines(keepends=True)
ev = [json.loads(l) for l in lines]
# Lines of the first chain, past its start.
first = ev[0]["chain"]
idx = [i for i, e in enumerate(ev) if e["chain"] == first]
k = idx[10]
if kind == "alter":          # allow -> deny, in place
    lines[k] = lines[k].replace('"decision":"allow"', '"decision":"deny"')
elif kind == "delete":
    del lines[k]
elif kind == "reorder":      # two lines of the chain swap places
    j = idx[11]
    lines[k], lines[j] = lines[j], lines[k]
elif kind == "truncate":     # the chain's last lines, spython.exit among them
    for i in reversed(idx[-3:]):
        del lines[i]
elif kind == "torn":
    lines.append(lines[k][:40])
elif kind == "garbage":
    lines.insert(k, "this is not a log line\n")
elif kind == "replay":       # a line appended again at the end
    lines.append(lines[k])
open(dst, "w", encoding="utf-8").writelines(lines)
print(k + 1)
PY
}
n=$(mutate alter); verify "$T/bad.jsonl"
check "an altered line: exit 1, named (file:line), hash mismatch" \
    bash -c "[ $VRC -eq 1 ] && grep -q 'bad.jsonl:$n: altered' '$T/v.out'"
check "... and only that chain is broken" grep -q ' 1 broken, 0 open' "$T/v.out"
n=$(mutate delete); verify "$T/bad.jsonl"
check "a deleted line: exit 1, the gap named" \
    bash -c "[ $VRC -eq 1 ] && grep -q 'bad.jsonl:$n: .*the lines between are missing' '$T/v.out'"
n=$(mutate reorder); verify "$T/bad.jsonl"
check "two lines swapped: exit 1, reordered" \
    bash -c "[ $VRC -eq 1 ] && grep -q 'bad.jsonl:$n: .*reordered' '$T/v.out'"
mutate truncate > /dev/null; verify "$T/bad.jsonl"
check "a chain's tail removed: exit 3, open (no spython.exit)" \
    bash -c "[ $VRC -eq 3 ] && grep -q 'open: ends at seq .* without spython.exit' '$T/v.out' && grep -q ' 0 broken, 1 open' '$T/v.out'"
mutate torn > /dev/null; verify "$T/bad.jsonl"
check "a torn last line: exit 3, a warning on stderr" \
    bash -c "[ $VRC -eq 3 ] && grep -q 'torn last line' '$T/v.err' && grep -q '1 torn' '$T/v.out'"
n=$(mutate garbage); verify "$T/bad.jsonl"
check "a line that is not a log line: exit 1, named" \
    bash -c "[ $VRC -eq 1 ] && grep -q 'bad.jsonl:$n: not a log line' '$T/v.out'"
mutate replay > /dev/null; verify "$T/bad.jsonl"
check "a line replayed after the chain's end: exit 1" \
    bash -c "[ $VRC -eq 1 ] && grep -q 'after the chain.s spython.exit' '$T/v.out'"
verify /dev/null "$LOG"
check "several files read as one (rotated first)" test "$VRC" -eq 0
"$AUDIT" verify > /dev/null 2>&1
check "verify without a log: usage, exit 2" test $? -eq 2

# --- sealed ---------------------------------------------------------------
KEY=$T/keys/seal.key
mkdir -p "$T/keys" && chmod 700 "$T/keys"
head -c 32 /dev/urandom > "$KEY" && chmod 600 "$KEY"
head -c 32 /dev/urandom > "$T/keys/other.key"
write_policy "log-seal-key $KEY"
: > "$LOG"
for i in 1 2; do "$SPY" "$T/family.py" > /dev/null 2>&1 & done
wait
check "sealed: lines carry an HMAC, not a plain hash" \
    bash -c "grep -q '\"hmac\":\"' '$LOG' && ! grep -q '\"hash\":\"' '$LOG'"
verify -k "$KEY" "$LOG"
check "sealed: verify -k KEY, forks included: exit 0" \
    bash -c "[ $VRC -eq 0 ] && grep -q ' 6 chains: 0 broken, 0 open, 0 not fully' '$T/v.out'"
verify "$LOG"
check "sealed, no key given: order checked, exit 3" \
    bash -c "[ $VRC -eq 3 ] && grep -q 'without the key (-k) only its order is checked' '$T/v.out'"
verify -k "$T/keys/other.key" "$LOG"
check "sealed, another key: exit 1" bash -c "[ $VRC -eq 1 ] && grep -q 'not sealed with this key' '$T/v.out'"
# Someone without the key rewrites a line and re-hashes the chain after it
# with plain SHA-256: a keyed verify is not fooled.
/usr/bin/python3 - "$LOG" "$T/bad.jsonl" <<'PY'
import hashlib, json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
first = json.loads(lines[0])["chain"]
prev, out = None, []
for l in lines:
    e = json.loads(l)
    if e["chain"] == first:
        body = l[: l.rindex(',"hmac":"')]
        if e["seq"] == 5:
            body = body.replace('"decision":"allow"', '"decision":"deny"')
        if prev is not None:
            body = body.replace('"prev":"%s"' % e["prev"], '"prev":"%s"' % prev)
        prev = hashlib.sha256(body.encode()).hexdigest()
        l = body + ',"hash":"%s"}' % prev
    out.append(l + "\n")
open(sys.argv[2], "w").writelines(out)
PY
verify -k "$KEY" "$T/bad.jsonl"
check "a sealed chain re-hashed without the key: exit 1" test "$VRC" -eq 1
verify "$T/bad.jsonl"
check "... and not clean without the key either (sealed and unsealed lines)" test "$VRC" -ne 0

chmod 644 "$KEY"
run_spy "$T/family.py"
expect_refusal "a sealing key others can read: refuse to start" "seal.key: a sealing key must be owned by root and readable by nobody else"
chmod 600 "$KEY"
head -c 8 /dev/urandom > "$T/keys/short.key" && chmod 600 "$T/keys/short.key"
write_policy "log-seal-key $T/keys/short.key"
run_spy "$T/family.py"
expect_refusal "a sealing key of 8 bytes: refuse to start" "16 to 1024 bytes"
write_policy "log-seal-key $T/keys/missing.key"
run_spy "$T/family.py"
expect_refusal "a sealing key that is not there: refuse to start" "missing.key"
if id nobody > /dev/null 2>&1; then
    write_policy "log-seal-key $KEY"
    chmod 755 "$T" && chmod 711 "$T/keys"
    chmod 666 "$LOG"
    su nobody -s /bin/sh -c "'$SPY' '$T/family.py'" > "$OUT" 2> "$ERR" < /dev/null; RC=$?
    expect_refusal "a user who cannot read the sealing key: refuse to start" "seal.key: Permission denied"
    chmod 700 "$T/keys"
fi

# --- rotation --------------------------------------------------------------
# logrotate renames the log while scripts write; spython notices within
# 100 ms and reopens the path, noting it in the chain. No line is lost.
write_policy
: > "$LOG"
cat > "$T/rot.py" <<'PY'
import sys, time
for i in range(300):
    sys.audit("rot.tick", i)
    if i % 50 == 0:
        time.sleep(0.05)
PY
sign "$T/rot.py"
cat > "$T/logrotate.conf" <<EOF
$LOG {
    rotate 20
    compress
    delaycompress
    missingok
    create 0640 root root
}
EOF
if command -v logrotate > /dev/null; then
    (for i in $(seq 8); do "$SPY" "$T/rot.py" & "$SPY" "$T/rot.py" & wait; done) > /dev/null 2>&1 &
    writers=$!
    for i in 1 2 3 4; do
        sleep 0.4
        logrotate -f -s "$T/logrotate.state" "$T/logrotate.conf"
    done
    wait "$writers"
    ls "$LOG".* > "$T/rotated"
    check "rotation happened: rotated files, older ones compressed" \
        bash -c "grep -q 'log.jsonl.1$' '$T/rotated' && grep -q 'log.jsonl.2.gz$' '$T/rotated'"
    # Oldest first, as verify wants them.
    files=()
    for n in $(seq 20 -1 1); do
        if [ -f "$LOG.$n.gz" ]; then zcat "$LOG.$n.gz" > "$T/part.$n"; files+=("$T/part.$n"); fi
        if [ -f "$LOG.$n" ]; then files+=("$LOG.$n"); fi
    done
    files+=("$LOG")
    verify "${files[@]}"
    check "rotation while 16 scripts ran: every chain intact across the files (exit 0)" \
        bash -c "[ $VRC -eq 0 ] && grep -q ' 16 chains: 0 broken, 0 open' '$T/v.out'"
    check "... every tick of every script is there, once" /usr/bin/python3 - "${files[@]}" <<'PY'
import collections, json, sys
ticks = collections.defaultdict(list)
reopened = 0
for f in sys.argv[1:]:
    for l in open(f, encoding="utf-8"):
        e = json.loads(l)
        if e["event"] == "rot.tick":
            ticks[e["chain"]].append(e["args"][0])
        reopened += e["event"] == "spython.log-reopened" and e["args"]["reason"] == "rotated"
assert len(ticks) == 16 and all(v == list(range(300)) for v in ticks.values())
assert reopened > 0, "no process saw a rotation"
PY
else
    echo "skip: logrotate is not installed (make deps)"
fi
finish
