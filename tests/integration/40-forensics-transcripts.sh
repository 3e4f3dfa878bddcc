#!/usr/bin/env bash
# Transcripts (issue 5): every dynamic compile logged whole with its SHA-256,
# split into parts when large; exec() linked to the transcript it runs and to
# its caller; known-benign generators recognised by frame and shape; and
# spython-audit transcripts / show reading them back.
source "$(dirname "$0")/../lib.sh"
AUDIT=$BUILD/spython-audit
write_policy

cat > "$T/dyn.py" <<'PY'
import ast, collections, dataclasses, marshal, typing
exec("a = 6 * 7")                                   # exec(str)
print(eval("a + 1"))                                # eval(str)
code = compile("b = 'deferred'", "<later>", "exec") # compile now ...
sys_sentinel = [1, 2, 3]                            # other events in between
import json; json.dumps(sys_sentinel)
exec(code)                                          # ... exec later
tree = ast.parse("c = 'from an AST'")
exec(compile(tree, "<ast>", "exec"))
big = "total = 0\n" + "".join("total += %d  # \u00e9\u20ac\U0001f600 line %d\n" % (i, i) for i in range(6000))
exec(big)
print("total", total)
exec(b"# coding: latin-1\nlatin = 'caf\xe9'\n")          # bytes, not UTF-8
P = collections.namedtuple("P", "x y")
@dataclasses.dataclass
class D:
    name: str
    n: int = 0
def f(x: "typing.List[int]"): pass
typing.get_type_hints(f)
def namedtuple(src):                                # a generator's name, not its file
    exec(src)
namedtuple("lambda _cls, x, y: _tuple_new(_cls, (x, y))")
exec(marshal.loads(marshal.dumps(compile("m = 'marshalled'", "<m>", "exec"))))
twin = compile("t = 'twin'", "<twin>", "exec")     # alive, tagged: its equal copy
exec(marshal.loads(marshal.dumps(twin)))            # is another object, untagged
reused = 0
for i in range(50):                                 # tagged code freed, its address reused
    _c = compile("r = %d" % i, "<reuse>", "exec"); _id = id(_c); _b = marshal.dumps(_c); del _c
    _m = marshal.loads(_b); exec(_m); reused += id(_m) == _id; del _m   # id() is an event
print("reused", reused)
print("done", a, b, c)
PY
printf '%s\n' 'import os' 'os._exit(0)' > "$T/quick.py"
sign "$T/dyn.py" "$T/quick.py"
run_spy "$T/dyn.py"
check "dynamic code runs" grep -q "done 42 deferred from an AST" "$OUT"

log_has "exec(str): the compile line has the source, its sha256 and the caller file:line" \
    'e["event"] == "compile" and e["args"].get("source") == "a = 6 * 7" and e["args"]["sha256"] == __import__("hashlib").sha256(b"a = 6 * 7").hexdigest() and e["args"]["caller"]["file"].endswith("/dyn.py") and e["args"]["caller"]["line"] == 2'
log_has "exec(str): the exec line names that transcript" \
    'e["event"] == "exec" and e["args"][0]["origin"] == "transcript" and e["args"][0]["transcript"] == __import__("hashlib").sha256(b"a = 6 * 7").hexdigest() and e["args"][0]["caller"]["line"] == 2'
log_has "compile() then exec() later, with events between: linked, exec caller line 7" \
    'e["event"] == "exec" and e["args"][0]["file"] == "<later>" and e["args"][0]["transcript"] == __import__("hashlib").sha256(b"b = '"'deferred'"'").hexdigest() and e["args"][0]["caller"]["line"] == 7'
log_has "an AST is logged as source (ast.unparse) and its exec is linked" \
    'e["event"] == "exec" and e["args"][0]["file"] == "<ast>" and e["args"][0]["origin"] == "transcript"'
log_has "bytes that are not UTF-8 are logged byte for byte (latin-1 mapping)" \
    'e["event"] == "compile" and e["args"].get("encoding") == "latin-1" and "caf\xe9" in e["args"]["source"]'
log_has "marshal.loads of unverified bytes: the exec says origin marshal" \
    'e["event"] == "exec" and e["args"][0]["file"] == "<m>" and e["args"][0]["origin"] == "marshal"'
check "an equal copy of compiled code, or code at a freed one's address, is not linked to its transcript" /usr/bin/python3 - "$LOG" <<'PY'
import json, sys
ex = [e["args"][0] for e in map(json.loads, open(sys.argv[1])) if e["event"] == "exec"]
twin = [x["origin"] for x in ex if x["file"] == "<twin>"]
reuse = [x["origin"] for x in ex if x["file"] == "<reuse>"]
assert twin == ["marshal"], twin
assert reuse == ["marshal"] * 50, reuse
PY
check "freed code's addresses were reused in that run (the check above is not vacuous)" grep -q "^reused [1-9]" "$OUT"
log_has "modules from signed .pyc files: exec origin verified, with the .pyc and its digest" \
    'e["event"] == "exec" and e["args"][0]["origin"] == "verified" and e["args"][0]["verified"].endswith(".pyc") and e["args"][0]["digest"].startswith("sha256:")'
log_has "frozen modules: exec origin frozen" \
    'e["event"] == "exec" and e["args"][0]["origin"] == "frozen"'
check "no exec in this run is of untracked code" /usr/bin/python3 - "$LOG" <<'PY'
import json, sys
bad = [e["args"][0] for e in map(json.loads, open(sys.argv[1])) if e["event"] == "exec" and e["args"][0]["origin"] == "untracked"]
assert not bad, bad
PY

check "a large source: ordered numbered parts, none over 128 KiB, that join to the sha256" /usr/bin/python3 - "$LOG" <<'PY'
import hashlib, json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
parts = [json.loads(l)["args"] for l in lines if '"part":' in l]
assert all(len(l) < 128 * 1024 for l in lines)
assert len(parts) >= 5 and [p["part"] for p in parts] == list(range(1, len(parts) + 1))
assert all(p["parts"] == len(parts) and p["sha256"] == parts[0]["sha256"] for p in parts)
src = "".join(p["source"] for p in parts).encode()
assert len(src) == parts[0]["len"] and hashlib.sha256(src).hexdigest() == parts[0]["sha256"]
PY
big_sha=$(/usr/bin/python3 -c '
import hashlib
big = "total = 0\n" + "".join("total += %d  # \u00e9\u20ac\U0001f600 line %d\n" % (i, i) for i in range(6000))
print(hashlib.sha256(big.encode()).hexdigest())')
"$AUDIT" show "${big_sha:0:12}" "$LOG" > "$T/shown"
check "spython-audit show joins the parts back into the exact source" /usr/bin/python3 - "$T/shown" <<'PY'
import sys
big = "total = 0\n" + "".join("total += %d  # \u00e9\u20ac\U0001f600 line %d\n" % (i, i) for i in range(6000))
assert open(sys.argv[1], "rb").read() == big.encode()
PY
"$AUDIT" show "$(/usr/bin/python3 -c 'import hashlib; print(hashlib.sha256(b"# coding: latin-1\nlatin = '"'caf\xe9'"'\n").hexdigest())')" "$LOG" > "$T/shown"
check "show gives non-UTF-8 bytes back exactly" cmp -s "$T/shown" <(printf "# coding: latin-1\nlatin = 'caf\xe9'\n")

log_has "namedtuple: benign, with the frame that asked for it" \
    'e["event"] == "compile" and e["args"].get("benign") == "collections.namedtuple" and e["args"]["for"]["file"].endswith("/dyn.py") and e["args"]["for"]["line"] == 14'
log_has "dataclasses: benign" 'e["event"] == "compile" and e["args"].get("benign") == "dataclasses"'
log_has "typing forward references: benign" \
    'e["event"] == "compile" and e["args"].get("benign") == "typing.ForwardRef" and e["args"]["source"] == "typing.List[int]"'
log_has "a function named namedtuple outside the stdlib: not benign" \
    'e["event"] == "compile" and e["args"].get("caller", {}).get("function") == "namedtuple" and e["args"]["caller"]["file"].endswith("/dyn.py") and "benign" not in e["args"]'

# dataclasses' private generator takes a body of any statements: called by
# anything but dataclasses itself, what it makes is not benign.
cat > "$T/private.py" <<'PY'
import dataclasses
fn = dataclasses._create_fn("f", [], ["import os", "return os.getpid()"])
print("pid", fn() > 0)
PY
sign "$T/private.py"
run_spy "$T/private.py"
log_has "dataclasses._create_fn called from a script: not benign" \
    'e["event"] == "compile" and "import os" in e["args"].get("source", "") and "benign" not in e["args"]'

run_spy "$T/quick.py"
log_has "os._exit() still closes the chain (spython.exit with the status)" \
    'e["event"] == "spython.exit" and e["args"].get("status") == 0'

# The reader: anomalies first, benign collapsed by generator.
: > "$LOG"
run_spy "$T/dyn.py"
"$AUDIT" transcripts "$LOG" > "$T/tr" 2> "$T/tr.err"; rc=$?
check "transcripts: exit 0, no warnings" bash -c "[ $rc -eq 0 ] && [ ! -s '$T/tr.err' ]"
check "transcripts: anomalies come first, with callers and a preview" /usr/bin/python3 - "$T/tr" <<'PY'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
a, b = t.index("ANOMALIES:"), t.index("BENIGN:")
assert a < b
anom = t[a:b]
assert "a = 6 * 7" in anom and "dyn.py:2 (<module>)" in anom, anom[:2000]
assert " parts\n" in anom
benign = t[b:]
assert "collections.namedtuple" in benign and "dataclasses" in benign and "typing.ForwardRef" in benign
assert "lambda _cls" not in benign          # collapsed: no sources
PY
check "transcripts: the user's own namedtuple() source is an anomaly" \
    grep -q "dyn.py:22 (namedtuple)" "$T/tr"
check "show of an unknown hash: exit 1, one line" \
    bash -c "! '$AUDIT' show 0123456789abcdef '$LOG' >/dev/null 2>'$T/e' && [ \$(wc -l < '$T/e') -eq 1 ]"
finish
