#!/usr/bin/env bash
# mode learn and spython-policy learn: train on a workload, then the
# generated policy lets exactly that workload run and denies what is new.
source "$(dirname "$0")/../lib.sh"
PP=$BUILD/spython-policy
cp "$SRC/policy/default.conf" "$T/default.conf"
chmod 644 "$T/default.conf"
mkdir -p "$T/data" "$T/other" "$LIB/worker"

cat > "$LIB/worker/__init__.py" <<'PY'
import subprocess
def run(data, exe="/bin/echo"):
    subprocess.run([exe, "-n"], check=True)
    with open(data + "/worker.txt", "w") as f:
        f.write("w")
PY
sign "$LIB"
# Workload A; each argument adds one behaviour A never had.
cat > "$T/a.py" <<PY
import socket, subprocess, sys, worker
D = "$T/data"
extra = sys.argv[1:]
def attempt(name, f):
    try:
        f()
    except PermissionError as e:
        print(name, "denied:", e, flush=True)
    except OSError:
        pass
subprocess.run(["/bin/true"], check=True)
with open(D + "/out.txt", "w") as f:
    f.write("a")
socket.getaddrinfo("localhost", 9)
attempt("connect", lambda: socket.create_connection(("127.0.0.1", 9), timeout=2))
worker.run(D)
if "spawn" in extra:
    attempt("spawn", lambda: subprocess.run(["/bin/ls", "/"]))
if "connect" in extra:
    attempt("connect", lambda: socket.create_connection(("127.0.0.1", 10), timeout=2))
if "write" in extra:
    attempt("write", lambda: open("$T/other/x", "w").close())
if "lookup" in extra:
    attempt("lookup", lambda: socket.getaddrinfo("new-name.invalid", 80))
if "event" in extra:
    attempt("event", lambda: sys.audit("a.new.event"))
if "worker-spawn" in extra:
    attempt("worker-spawn", lambda: worker.run(D, "/bin/true"))
print("A done", flush=True)
PY
sign "$T/a.py"

# Train. mode learn refuses nothing that rules refuse, like mode audit.
write_policy "include $T/default.conf" "deny a.trained.event" "mode learn"
cat > "$T/train.py" <<'PY'
import runpy, sys
sys.audit("a.trained.event")
PY
sign "$T/train.py"
run_spy "$T/train.py"
log_has "mode learn: a deny rule is a would-deny" "e['event'] == 'a.trained.event' and e['decision'] == 'would-deny'"
log_has "mode learn: spython.start says so" "e['event'] == 'spython.start' and e['args']['mode'] == 'learn'"
: > "$LOG"
run_spy "$T/a.py"
check "training run completes" bash -c "[ $RC -eq 0 ] && grep -qx 'A done' '$OUT'"
cp "$LOG" "$T/learn.jsonl"
log_has "mode learn: a line names the packages on the stack and what it did" \
    "e['event'] == 'subprocess.Popen' and e['learn'] == {'scope': ['worker'], 'exec': '/bin/echo'}"
log_has "mode learn: writes are logged resolved" \
    "e['event'] == 'open' and e['learn'].get('write') == ['$T/data/out.txt'] and e['learn']['scope'] == []"
log_has "mode learn: a connect is logged as an allow-connect entry" \
    "e['event'] == 'socket.connect' and e['learn'].get('connect') == '127.0.0.1:9'"
"$PP" learn "$LOG" > "$T/learned.conf" 2> "$T/learn.err"
check "spython-policy learn succeeds" bash -c "[ \$? -eq 0 ] && [ -s '$T/learned.conf' ]"
chmod 644 "$T/learned.conf"
check "the learned policy passes spython-policy check" bash -c "'$PP' check -f '$T/learned.conf' >/dev/null"
check "learned: global executables" grep -qx "allow-exec /bin/echo /bin/true" "$T/learned.conf"
check "learned: global writes (directories)" grep -qx "allow-write $T/data" "$T/learned.conf"
check "learned: connect and lookup" bash -c "grep -qx 'allow-connect 127.0.0.1:9' '$T/learned.conf' && grep -qx 'allow-lookup localhost' '$T/learned.conf'"
check "learned: the package's own lists" bash -c "grep -qx 'module worker allow-exec /bin/echo' '$T/learned.conf' && grep -qx 'module worker allow-write $T/data' '$T/learned.conf' && grep -qx 'module worker allow-connect' '$T/learned.conf'"

# Enforce the learned policy.
write_policy "include $T/default.conf" "include $T/learned.conf"
: > "$LOG"
run_spy "$T/a.py"
check "A passes under the learned policy" bash -c "[ $RC -eq 0 ] && grep -qx 'A done' '$OUT' && ! grep -q denied '$OUT'"
check "... with nothing refused in the log" bash -c "! grep -q '\"decision\":\"deny\"' '$LOG'"
for extra in spawn connect write lookup event worker-spawn; do
    run_spy "$T/a.py" "$extra"
    check "A plus a new behaviour ($extra) is denied" \
        bash -c "[ $RC -eq 0 ] && grep -q '^$extra denied: ' '$OUT' && [ \$(grep -c denied '$OUT') -eq 1 ]"
done
check "nothing was written outside what A wrote" test ! -e "$T/other/x"
log_has "the new spawn names the learned line" \
    "e['event'] == 'subprocess.Popen' and e['args'][0] == '/bin/ls' and e['rule'].startswith('$T/learned.conf:')"
log_has "the package's new spawn is denied by its own list" \
    "e['event'] == 'subprocess.Popen' and e['args'][0] == '/bin/true' and e['decision'] == 'deny' and e['reason'] == 'denied by policy: executable not in allow-exec'"

# Several logs add up; -x keeps files exact.
"$PP" learn -x "$T/learn.jsonl" "$T/learn.jsonl" > "$T/exact.conf" 2>/dev/null
check "learn -x: exact files" grep -qx "allow-write $T/data/out.txt $T/data/worker.txt" "$T/exact.conf"

# A log is text anyone who could write it could forge: odd lines are skipped
# or refused one by one, never written into the policy as something else.
cat > "$T/hostile.jsonl" <<'EOF'
{"event":"spython.start","args":{"argv":["spython","x\ny"],"mode":"learn"}}
not json but "learn": anyway
{"event":5,"learn":{"scope":[]}}
{"event":"x","learn":{"scope":"not a list"}}
{"event":"open","learn":{"scope":[],"write":[1,"relative/x","/a b/c","/ok/file"]}}
{"event":"e*","learn":{"scope":["pkg*","a.b","good",7]}}
{"event":"subprocess.Popen","learn":{"scope":[],"exec":null}}
{"event":"socket.connect","learn":{"scope":[],"connect":"# comment"}}
{"event":"socket.connect","learn":{"scope":[],"connect":"10.0.0.1/8"}}
{"event":"ok.event","learn":{"scope":["good"],"lookup":"Name.Example"},"learn":{}}
{"event":"ok.event","learn":{"scope":["good"],"lookup":"name.example"}}
EOF
printf '{"event":"deep","learn":%s}\n' "$(printf '[%.0s' $(seq 1 3000))" >> "$T/hostile.jsonl"
"$PP" learn "$T/hostile.jsonl" > "$T/hostile.conf" 2> "$T/hostile.err"; rc=$?
chmod 644 "$T/hostile.conf"
check "hostile log: a policy still comes out, and it parses" bash -c "[ $rc -eq 0 ] && '$PP' check -f '$T/hostile.conf' >/dev/null"
check "hostile log: only the sound values are in it" bash -c "grep -qx 'allow-write /ok' '$T/hostile.conf' && grep -qx 'module good allow-lookup name.example' '$T/hostile.conf' && ! grep -q 'relative\|a b\|e\*\|pkg\|10.0.0.1\|# comment' '$T/learned.conf' '$T/hostile.conf'"
check "hostile log: what was dropped is said on stderr" bash -c "grep -q 'not JSON' '$T/hostile.err' && grep -q 'executable could not be read' '$T/hostile.err' && grep -q \"'relative/x' cannot be written\" '$T/hostile.err'"
"$PP" learn /dev/null > /dev/null 2> "$T/empty.err"; rc=$?
check "learn: a log without learn lines is an error" bash -c "[ $rc -eq 1 ] && grep -q 'no line of a mode learn run' '$T/empty.err'"
finish
