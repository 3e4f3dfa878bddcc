#!/usr/bin/env bash
# The audit log: every event, one JSON line, on disk before the action; fail closed.
source "$(dirname "$0")/../lib.sh"
write_policy

cat > "$T/events.py" <<'PY'
import sys
sys.audit("test.strings", "\udc80 lone surrogate", "nul\x00ctl\x01\x1f", "quote\"back\\slash", "\u2028")
sys.audit("test.bytes", b"\x00\xff\xfeabc")
sys.audit("test.huge", "a" * 10_000_000, b"b" * 5_000_000, list(range(100_000)))
deep = []
for _ in range(100_000):
    deep = [deep]
sys.audit("test.deep", deep)
sys.audit("test.numbers", 2**200, -2**70, 1.5, float("nan"), float("inf"), True, None)
sys.audit("test.objects", object(), {"k": 1, 2: "v"}, sys.stdout)
exec("x = 40 + 2\nprint('dynamic', x)")
eval("1+1")
import ast
exec(compile(ast.parse("y = 'from an AST'"), "<ast>", "exec"))
print("survived")
PY
sign "$T/events.py"
run_spy "$T/events.py"
check "huge, deep and odd arguments: the script survives" bash -c "[ $RC -eq 0 ] && grep -q survived '$OUT'"
check "every log line is valid UTF-8 JSON with the required fields" /usr/bin/python3 - "$LOG" <<'PY'
import json, re, sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")            # strict: must be valid UTF-8
ts = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
n = 0
for line in raw.decode().splitlines():
    e = json.loads(line)
    assert ts.match(e["ts"]), e["ts"]
    assert isinstance(e["pid"], int) and isinstance(e["event"], str)
    assert e["decision"] in ("allow", "deny", "would-deny")
    assert "args" in e
    assert (e["decision"] == "allow") == ("reason" not in e)
    n += 1
assert n > 50, n
PY
log_has "strings keep lone surrogates, NUL and controls exactly" \
    'e["event"] == "test.strings" and e["args"][:3] == ["\udc80 lone surrogate", "nul\x00ctl\x01\x1f", "quote\"back\\slash"]'
log_has "bytes are escaped with their length" \
    'e["event"] == "test.bytes" and e["args"][0] == {"bytes": "\x00\xff\xfeabc", "len": 6}'
log_has "long values are capped with the cap recorded" \
    'e["event"] == "test.huge" and e["args"][0]["len"] == 10_000_000 and e["args"][0]["capped"] == 4096 and len(e["args"][0]["str"]) == 4096 and e["args"][1]["capped"] == 256 and e["args"][2][-1] == {"more": 100_000 - 64}'
log_has "deep nesting is capped" 'e["event"] == "test.deep" and "depth" in str(e["args"])'
log_has "numbers, big ints, nan and objects render" \
    'e["event"] == "test.numbers" and e["args"][2:] == [1.5, "nan", "inf", True, None] and "beyond 64 bits" in e["args"][0]["int"]'
log_has "objects are named by type, never repr()" 'e["event"] == "test.objects" and e["args"][0] == {"type": "object"}'
log_has "exec() of a string logs the full source" \
    'e["event"] == "compile" and e["args"].get("source") == "x = 40 + 2\nprint('"'"'dynamic'"'"', x)" and len(e["args"]["sha256"]) == 64'
log_has "eval() logs the source" 'e["event"] == "compile" and e["args"].get("source") == "1+1"'
log_has "compile() of an AST logs it rendered back to source" \
    'e["event"] == "compile" and e["args"].get("source_type") == "ast" and "from an AST" in e["args"]["source"]'
log_has "exec of a code object is logged" 'e["event"] == "exec" and e["args"][0]["code"] == "<module>"'
log_has "imports are logged" 'e["event"] == "import" and e["args"][0] == "ast"'

# Log before acting: the line is in the file even if the process dies right after.
script kill.py $'import os, sys\nsys.audit("test.before-kill", 1)\nos.kill(os.getpid(), 9)'
sign "$T/kill.py"
run_spy "$T/kill.py"
check "SIGKILL right after an event: killed" bash -c "[ $RC -eq 137 ]"
log_has "SIGKILL right after an event: the line is there" 'e["event"] == "test.before-kill"'
log_has "... and so is the kill itself" 'e["event"] == "os.kill" and e["args"][1] == 9'

# Policy deny list.
write_policy "deny os.system"
script sys.py $'import os\ntry:\n    os.system("echo SHOULD-NOT-RUN")\nexcept PermissionError as e:\n    print("denied:", e)'
sign "$T/sys.py"
run_spy "$T/sys.py"
check "a denied event raises PermissionError" bash -c "grep -q 'denied: spython: os.system denied' '$OUT' && ! grep -q SHOULD-NOT-RUN '$OUT'"
log_has "the deny is logged" 'e["event"] == "os.system" and e["decision"] == "deny" and e["reason"] == "denied by policy"'

# Fail closed: the log cannot be opened or written.
write_policy
sed -i "s|^log .*|log /dev/full|" "$POLICY"
run_spy "$T/kill.py"
expect_refusal "log on /dev/full: refuse to start" "audit log cannot be written"
sed -i "s|^log .*|log $T/no/such/dir/log|" "$POLICY"
run_spy "$T/kill.py"
expect_refusal "log that cannot be opened: refuse to start" "log"
mkfifo "$T/logfifo"
sed -i "s|^log .*|log $T/logfifo|" "$POLICY"
timeout 10 "$SPY" "$T/kill.py" > "$T/out" 2> "$T/err"; RC=$?
expect_refusal "log that is a FIFO: refuse to start" "log"

# A write that fails mid-run denies the action (a tiny filesystem fills up).
if [ "$(id -u)" = 0 ] && mkdir -p "$T/small" && mount -t tmpfs -o size=256k tmpfs "$T/small" 2>/dev/null; then
    write_policy
    sed -i "s|^log .*|log $T/small/log|" "$POLICY"
    cat > "$T/fill.py" <<'PY'
import sys
n = 0
try:
    while True:
        sys.audit("test.fill", "x" * 3000)
        n += 1
except PermissionError as e:
    print("denied after", n, "events:", e)
PY
    sign "$T/fill.py"
    run_spy "$T/fill.py"
    check "a full log filesystem denies the event that cannot be logged" grep -q "denied after .* audit log cannot be written" "$OUT"
    umount "$T/small"
else
    echo "skip: tmpfs mount needs root"
fi

# Policy problems: refuse to start with file:line.
write_policy "frobnicate yes"
run_spy "$T/kill.py"
expect_refusal "unknown policy directive: file:line" "policy.conf:8:"
write_policy
chmod 664 "$POLICY"
run_spy "$T/kill.py"
expect_refusal "a group-writable policy is refused" "policy.conf"
chmod 644 "$POLICY"
chmod 775 "$KEYS/trusted"
run_spy "$T/kill.py"
expect_refusal "a group-writable keyring directory is refused" "trusted"
chmod 755 "$KEYS/trusted"
chmod 664 "$KEYS/trusted/rsa.pub"
run_spy "$T/kill.py"
expect_refusal "a group-writable key file inside the keyring directory is refused" "rsa.pub"
chmod 644 "$KEYS/trusted/rsa.pub"
finish
