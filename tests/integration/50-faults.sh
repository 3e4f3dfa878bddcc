#!/usr/bin/env bash
# Faults: the log taken away, replaced or made unwritable under a running
# script, signals and SIGKILL mid-stream, huge and deep event arguments. In
# every case no event is lost silently: it is in the log, or the action it
# announced was refused.
source "$(dirname "$0")/../lib.sh"
write_policy

# logfd.py: the script's way to find spython's log fd (it is the script's
# process, so nothing stops it from touching the fd).
cat > "$LIB/logfd.py" <<'PY'
import os

def logfd(path):
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name) == path:
                return int(name)
        except OSError:
            pass
    raise SystemExit("log fd not found")
PY
sign "$LIB/logfd.py"

# count_events FILE EVENT: lines of FILE for EVENT (every line must parse).
count_events() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
n = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        assert line.endswith("\n"), "torn last line"
        n += json.loads(line)["event"] == sys.argv[2]
print(n)
PY
}

# --- The log fd closed or dup2'd over by the script ------------------------
cat > "$T/close.py" <<'PY'
import os, sys
from logfd import logfd
os.close(logfd(sys.argv[1]))
for i in range(1000):
    sys.audit("t.after-close", i)
print("done")
PY
sign "$T/close.py"
run_spy "$T/close.py" "$LOG"
check "fd closed by the script: it runs on" bash -c "[ $RC -eq 0 ] && grep -q done '$OUT'"
check "fd closed: all 1000 later events are in the log" test "$(count_events "$LOG" t.after-close)" = 1000
log_has "fd closed: the reopening is noted" \
    'e["event"] == "spython.log-reopened" and e["args"]["reason"] == "fd closed"'

: > "$T/mine"
cat > "$T/dup2.py" <<'PY'
import os, sys
from logfd import logfd
fd = logfd(sys.argv[1])
os.dup2(os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND), fd)
for i in range(1000):
    sys.audit("t.after-dup2", i)
print("done")
PY
sign "$T/dup2.py"
: > "$LOG"
run_spy "$T/dup2.py" "$LOG" "$T/mine"
check "fd dup2'd over: it runs on" bash -c "[ $RC -eq 0 ] && grep -q done '$OUT'"
check "fd dup2'd over: all 1000 later events are in the log" test "$(count_events "$LOG" t.after-dup2)" = 1000
check "fd dup2'd over: the script's own file got no log line" test ! -s "$T/mine"
log_has "fd dup2'd over: the reopening is noted" \
    'e["event"] == "spython.log-reopened" and e["args"]["reason"] == "fd replaced"'

# The log itself, opened again without O_APPEND and dup2'd over the fd: same
# file, so the fd check passes, and lines would land at offset 0 over the
# oldest ones.
cat > "$T/overwrite.py" <<'PY'
import os, sys
from logfd import logfd
fd = logfd(sys.argv[1])
os.dup2(os.open(sys.argv[1], os.O_WRONLY), fd)
for i in range(100):
    sys.audit("t.after-overwrite", i)
PY
sign "$T/overwrite.py"
: > "$LOG"
run_spy "$T/overwrite.py" "$LOG"
check "the log reopened without O_APPEND and dup2'd over the fd: no line is overwritten" \
    log_match 'e["event"] == "spython.start"'
check "... and every later event is there" test "$(count_events "$LOG" t.after-overwrite)" = 100

cat > "$T/devfull.py" <<'PY'
import os, sys
from logfd import logfd
fd = logfd(sys.argv[1])
os.dup2(os.open("/dev/full", os.O_WRONLY), fd)
for i in range(100):
    sys.audit("t.after-devfull", i)
print("done")
PY
sign "$T/devfull.py"
: > "$LOG"
run_spy "$T/devfull.py" "$LOG"
check "/dev/full dup2'd over the log fd: it runs on" bash -c "[ $RC -eq 0 ] && grep -q done '$OUT'"
check "/dev/full dup2'd over the log fd: the log is reopened, all events kept" \
    test "$(count_events "$LOG" t.after-devfull)" = 100

# The log cannot be reopened: a directory stands at its path.
cat > "$T/nolog.py" <<'PY'
import os, sys
from logfd import logfd
log = sys.argv[1]
os.rename(log, log + ".old")
os.mkdir(log)
os.close(logfd(log + ".old"))
for what in ("audit", "listdir", "open"):
    try:
        if what == "audit":
            sys.audit("t.unloggable")
        elif what == "listdir":
            os.listdir("/")
        else:
            open(sys.argv[0]).close()
        print("ALLOWED", what)
    except PermissionError as e:
        print("refused", what, "cannot be written" in str(e))
PY
sign "$T/nolog.py"
: > "$LOG"
run_spy "$T/nolog.py" "$LOG"
check "log gone and not reopenable: each later action is refused" \
    bash -c "[ \$(grep -c '^refused .* True\$' '$OUT') -eq 3 ] && ! grep -q ALLOWED '$OUT'"
check "... and none of them reached a file" bash -c "! grep -q t.unloggable '$LOG.old'"
rmdir "$LOG"; rm -f "$LOG.old"

# --- The log file deleted or replaced under the running script -------------
cat > "$T/unlink.py" <<'PY'
import os, sys
os.unlink(sys.argv[1])
for i in range(1000):
    sys.audit("t.after-unlink", i)
print("done")
PY
sign "$T/unlink.py"
: > "$LOG"
run_spy "$T/unlink.py" "$LOG"
check "log deleted: it runs on" bash -c "[ $RC -eq 0 ] && grep -q done '$OUT'"
check "log deleted: all 1000 later events are in a new file at the path" \
    test "$(count_events "$LOG" t.after-unlink 2>/dev/null)" = 1000
log_has "log deleted: the reopening is noted" 'e["event"] == "spython.log-reopened"'

# Renamed away and a new file put in its place (what logrotate does): every
# later event is in one of the two files, exactly once.
cat > "$T/rotate.py" <<'PY'
import os, sys
log = sys.argv[1]
os.rename(log, log + ".1")
open(log, "x").close()
for i in range(20000):
    sys.audit("t.after-rotate", i)
print("done")
PY
sign "$T/rotate.py"
: > "$LOG"
run_spy "$T/rotate.py" "$LOG"
check "log renamed and replaced: every later event is kept exactly once" /usr/bin/python3 - "$LOG" "$LOG.1" <<'PY'
import json, sys
seen = []
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        e = json.loads(line)
        if e["event"] == "t.after-rotate":
            seen.append(e["args"][0])
assert sorted(seen) == list(range(20000)), len(seen)
PY
rm -f "$LOG.1"

# Replaced by a symlink to someone else's file: that file never gets a line;
# a line that cannot be written refuses its action, so every event the
# script saw allowed is in the renamed log.
echo "victim" > "$T/victim"
cat > "$T/symlink.py" <<'PY'
import os, sys
log = sys.argv[1]
os.rename(log, log + ".1")
os.symlink(sys.argv[2], log)
ok = refused = 0
for i in range(20000):
    try:
        sys.audit("t.after-symlink", i)
        ok += 1
    except PermissionError:
        refused += 1
print("allowed", ok, "refused", refused)
PY
sign "$T/symlink.py"
: > "$LOG"
run_spy "$T/symlink.py" "$LOG" "$T/victim"
check "log replaced by a symlink: the link's target is untouched" test "$(cat "$T/victim")" = victim
allowed=$(sed -n 's/^allowed \([0-9]*\) .*/\1/p' "$OUT")
check "log replaced by a symlink: every allowed event is in the renamed log" \
    test "$(count_events "$LOG.1" t.after-symlink)" = "${allowed:-x}"
rm -f "$LOG" "$LOG.1"
write_policy

# --- Signals -----------------------------------------------------------------
# A 1 ms SIGALRM storm while 200k events are logged, the handler logging too.
cat > "$T/alarm.py" <<'PY'
import signal, sys
hits = 0
def on_alarm(signum, frame):
    global hits
    hits += 1
    sys.audit("t.alarm", hits)
signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
for i in range(200_000):
    sys.audit("t.storm", i)
signal.setitimer(signal.ITIMER_REAL, 0, 0)
print("alarms", hits)
PY
sign "$T/alarm.py"
: > "$LOG"
run_spy "$T/alarm.py"
hits=$(sed -n 's/^alarms //p' "$OUT")
check "SIGALRM storm: the script finishes" bash -c "[ $RC -eq 0 ] && [ -n '$hits' ]"
check "SIGALRM storm: 200000 events, each once and in order, no torn line" /usr/bin/python3 - "$LOG" "${hits:-0}" <<'PY'
import json, sys
storm, alarms, seqs = [], 0, []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        assert line.endswith("\n")
        e = json.loads(line)
        seqs.append(e["seq"])
        if e["event"] == "t.storm":
            storm.append(e["args"][0])
        alarms += e["event"] == "t.alarm"
assert storm == list(range(200_000)), len(storm)
assert alarms == int(sys.argv[2]), (alarms, sys.argv[2])
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
PY
echo "   ($hits alarms during the storm)"

# SIGKILL from outside in the middle of a stream: the lines already written
# are whole, and none is missing before the last one.
cat > "$T/stream.py" <<'PY'
import sys
i = 0
while True:
    sys.audit("t.stream", i)
    i += 1
PY
sign "$T/stream.py"
: > "$LOG"
"$SPY" "$T/stream.py" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do
    [ "$(stat -c %s "$LOG")" -gt 2000000 ] && break
    sleep 0.05
done
kill -9 "$pid"
{ wait "$pid"; } 2>/dev/null; RC=$?
check "SIGKILL mid-stream: killed" test "$RC" -eq 137
check "SIGKILL mid-stream: every line before the kill whole, the stream without a gap" /usr/bin/python3 - "$LOG" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
# A write(2) to a regular file stops at a page boundary when SIGKILL is
# already pending, so the line being written at the kill may be cut short.
# Only that last line may be; every line before it must be whole.
lines = raw.split(b"\n")
if lines[-1] == b"":
    lines.pop()
else:
    torn = lines.pop()
    assert torn.startswith(b'{"ts":'), "garbage, not a torn line"
events = [json.loads(l) for l in lines]
stream = [e["args"][0] for e in events if e["event"] == "t.stream"]
assert len(stream) > 1000 and stream == list(range(len(stream))), len(stream)
seqs = [e["seq"] for e in events]
assert seqs == list(range(1, len(seqs) + 1)), "seq gap"
PY

# --- Huge and deep arguments --------------------------------------------------
cat > "$T/huge.py" <<'PY'
import sys
big = "\u20ac" * 100_000_000                 # 300 MB as UTF-8
sys.audit("t.huge-str", big)
del big
sys.audit("t.huge-bytes", bytes(300_000_000))
sys.audit("t.huge-dict", dict.fromkeys(map(str, range(1_000_000))))
sys.audit("t.int-keys", {1: "a", 2: "b"})
deep = {}
for _ in range(1_000_000):
    deep = {"k": (deep, [deep])}
sys.audit("t.deep", deep)
try:
    exec("x = 1\n" * 50_000_000)             # 300 MB: more than a transcript holds
    print("EXEC RAN UNLOGGED")
except PermissionError as e:
    print("big exec refused:", e)
exec("#" + "\u20ac" * 30_000_000)             # 90 MB, logged whole in parts
sys.audit("t.after", 1)
print("survived")
PY
sign "$T/huge.py"
: > "$LOG"
run_spy "$T/huge.py"
check "huge and deep arguments: the process survives" bash -c "[ $RC -eq 0 ] && grep -q survived '$OUT'"
check "a 300 MB source that cannot be logged is not run" \
    bash -c "grep -q 'big exec refused: spython: compile refused' '$OUT' && ! grep -q UNLOGGED '$OUT'"
check "huge arguments are capped, with their real size recorded" /usr/bin/python3 - "$LOG" <<'PY'
import json, sys
ev = {}
for line in open(sys.argv[1], encoding="utf-8"):
    assert len(line) < 1 << 20, "a line over 1 MB"
    e = json.loads(line)
    ev.setdefault(e["event"], e)
s = ev["t.huge-str"]["args"][0]
assert s["len"] == 100_000_000 and s["capped"] and s["str"] == "\u20ac" * s["capped"]
b = ev["t.huge-bytes"]["args"][0]
assert b["len"] == 300_000_000 and b["capped"] and b["bytes"] == "\0" * b["capped"]
d = ev["t.huge-dict"]["args"][0]
assert d["..."]["more"] == 1_000_000 - (len(d) - 1)
assert "depth" in json.dumps(ev["t.deep"]["args"])
assert ev["t.after"]["args"] == [1]
PY
check "non-string dict keys do not become duplicate JSON keys (key, value pairs instead)" \
    /usr/bin/python3 - "$LOG" <<'PY'
import json, sys
def pairs(kv):
    assert len({k for k, _ in kv}) == len(kv), "duplicate key"
    return dict(kv)
ev = {}
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line, object_pairs_hook=pairs)
    ev.setdefault(e["event"], e)
assert ev["t.int-keys"]["args"] == [{"dict": [[1, "a"], [2, "b"]]}], ev["t.int-keys"]["args"]
PY
check "a source too large to log is refused with a line saying so (size, digest)" \
    log_match 'e["event"] == "compile" and e["decision"] == "deny" and e["args"]["len"] == 300_000_000 and e["args"]["source"] is None and len(e["args"]["sha256"]) == 64'
check "a 90 MB exec() is logged whole, in parts that add up to its digest" /usr/bin/python3 - "$LOG" <<'PY'
import hashlib, json, sys
parts = {}
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    a = e["args"]
    if e["event"] == "compile" and isinstance(a, dict) and a.get("len") == 90_000_001:
        parts[a["part"]] = a["source"]
        n, digest = a["parts"], a["sha256"]
assert sorted(parts) == list(range(1, n + 1)), (len(parts), n)
src = "".join(parts[i] for i in range(1, n + 1))
assert src == "#" + "\u20ac" * 30_000_000
assert hashlib.sha256(src.encode()).hexdigest() == digest
PY
finish
