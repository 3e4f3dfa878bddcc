#!/usr/bin/env bash
# Many writers, one log: processes and threads logging at once, and fork()
# from a threaded script. Lines never interleave, none is lost, and each one
# carries the pid of the process that wrote it.
source "$(dirname "$0")/../lib.sh"
write_policy

# --- 8 processes x 20k events --------------------------------------------------
cat > "$T/burst.py" <<'PY'
import os, sys
tag = sys.argv[1]
for i in range(20_000):
    sys.audit("t.burst", tag, os.getpid(), i)
PY
sign "$T/burst.py"
: > "$LOG"
pids=()
for n in 1 2 3 4 5 6 7 8; do
    "$SPY" "$T/burst.py" "p$n" > /dev/null 2> "$T/err$n" < /dev/null &
    pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
check "8 processes x 20k events: all exit 0" test "$rc" -eq 0
check "8 processes x 20k events: every line whole JSON, exactly 20000 per process, in order" \
    /usr/bin/python3 - "$LOG" <<'PY'
import collections, json, sys
per_pid = collections.defaultdict(list)
tags = {}
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        assert line.endswith("\n")
        e = json.loads(line)
        if e["event"] == "t.burst":
            tag, pid, i = e["args"]
            assert e["pid"] == pid, "line carries another process's pid"
            assert tags.setdefault(pid, tag) == tag
            per_pid[pid].append(i)
assert len(per_pid) == 8 and sorted(tags.values()) == ["p%d" % n for n in range(1, 9)], tags
for pid, seen in per_pid.items():
    assert seen == list(range(20_000)), (pid, len(seen))
PY

# --- 10 threads logging at once --------------------------------------------------
cat > "$T/threads.py" <<'PY'
import sys, threading
def work(t):
    for i in range(20_000):
        sys.audit("t.thread", t, i)
threads = [threading.Thread(target=work, args=(t,)) for t in range(10)]
for th in threads:
    th.start()
for th in threads:
    th.join()
print("joined")
PY
sign "$T/threads.py"
: > "$LOG"
run_spy "$T/threads.py"
check "10 threads: the script finishes" bash -c "[ $RC -eq 0 ] && grep -q joined '$OUT'"
check "10 threads: no interleaved line, exactly 20000 per thread, in order" /usr/bin/python3 - "$LOG" <<'PY'
import collections, json, sys
per = collections.defaultdict(list)
seqs = collections.defaultdict(list)
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        assert line.endswith("\n") and line.count("\n") == 1
        e = json.loads(line)
        seqs[e["pid"]].append(e["seq"])
        if e["event"] == "t.thread":
            per[e["args"][0]].append(e["args"][1])
assert sorted(per) == list(range(10)), sorted(per)
for t, seen in per.items():
    assert seen == list(range(20_000)), (t, len(seen))
for pid, s in seqs.items():
    assert len(set(s)) == len(s), "a seq number used twice"
PY

# --- fork() from a threaded script ----------------------------------------------
# While the parent's threads verify imports (the GIL released around the
# file read and the signature check) and log, the main thread forks. Each
# child must log with its own pid, verify an import itself and exit; a child
# stuck on a lock inherited from another thread is killed at the deadline and
# reported. Not under ASan: clang 14's allocator takes no lock at fork, so a
# child can hang in its malloc (seen once in about 300 forks; gdb shows
# SizeClassAllocator64::GetFromAllocator), whatever spython does.
if [ -n "${ASAN_OPTIONS:-}" ]; then
    echo "skip: fork from a threaded script (ASan's allocator is not fork-safe)"
    finish
    exit
fi
for n in $(seq 0 9); do script "lib/forkmod$n.py" "VALUE = $n"; done
sign "$LIB"/forkmod*.py
cat > "$T/fork.py" <<'PY'
import importlib, os, signal, sys, threading, time
stop = False
def churn(n):
    mod = importlib.import_module("forkmod%d" % n)
    while not stop:
        importlib.reload(mod)              # read + verify + compile, again and again
        sys.audit("t.churn", n)
threads = [threading.Thread(target=churn, args=(n,)) for n in range(4)]
for th in threads:
    th.start()
children, hung = [], 0
for k in range(20):
    time.sleep(0.01)
    pid = os.fork()
    if pid == 0:
        sys.audit("t.child", os.getpid(), k)
        importlib.import_module("forkmod%d" % (4 + k % 6))
        importlib.reload(sys.modules["forkmod%d" % (4 + k % 6)])
        sys.audit("t.child-done", os.getpid(), k)
        os._exit(0)
    children.append(pid)
stop = True
for th in threads:
    th.join()
for pid in children:
    deadline = time.monotonic() + 30
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            hung += 1
            break
        time.sleep(0.01)
print("children", len(children), "hung", hung)
PY
sign "$T/fork.py"
: > "$LOG"
OUT=$T/out ERR=$T/err
timeout 300 "$SPY" "$T/fork.py" > "$OUT" 2> "$ERR" < /dev/null; RC=$?
check "fork from a threaded script: no child hangs" bash -c "[ $RC -eq 0 ] && grep -qx 'children 20 hung 0' '$OUT'"
check "fork from a threaded script: each child logs with its own pid and finishes" \
    /usr/bin/python3 - "$LOG" <<'PY'
import collections, json, sys
parent = None
child = collections.defaultdict(set)
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e["event"] == "spython.start":
        parent = e["pid"]
    if e["event"] in ("t.child", "t.child-done"):
        assert e["pid"] == e["args"][0], "a child line with the wrong pid"
        child[e["args"][1]].add(e["event"])
    if e["event"] == "spython.verify" and e["pid"] != parent:
        child["verified"].add(e["pid"])
assert parent is not None
ks = [k for k in child if k != "verified"]
assert sorted(ks) == list(range(20)), ks
assert all(child[k] == {"t.child", "t.child-done"} for k in ks)
assert parent not in child["verified"] and len(child["verified"]) == 20
PY
finish
