#!/usr/bin/env bash
# A few spython runs that between them take every main path (verified
# script, modules, bytecode, .pth, zip, extensions, ctypes, hostile event
# arguments, dynamic code, log tampering, threads, fork, signals, refusals of
# every kind), for `make valgrind-smoke` to run under memcheck (SPY_WRAP).
# The full scenarios run under valgrind with `make valgrind`.
source "$(dirname "$0")/../lib.sh"
write_policy

script "lib/signedmod.py" 'VALUE = "signed module"'; sign "$LIB/signedmod.py"
script "lib/unsignedmod.py" 'print("UNSIGNED MODULE RAN")'
script "lib/cached.py" 'print("from signed source")'; sign "$LIB/cached.py"
mkdir -p "$LIB/__pycache__" "$T/pthdir" "$T/z"
printf 'print("POISONED")\n' > "$LIB/__pycache__/cached.cpython-311.pyc"
script "pthdir/frompth.py" 'X = 1'; sign "$T/pthdir/frompth.py"
echo "$T/pthdir" > "$LIB/good.pth"; sign "$LIB/good.pth"
echo "import os" > "$LIB/bad.pth"
printf 'Z = 1\n' > "$T/z/zipmod.py"
(cd "$T/z" && /usr/bin/python3 -m zipfile -c "$T/signed.zip" zipmod.py)
sign "$T/signed.zip"
cp "$STDLIB/lib-dynload/_uuid.cpython-311-x86_64-linux-gnu.so" "$T/libunsigned.so"
setfattr -x "$XATTR" "$T/libunsigned.so" 2>/dev/null
cat > "$LIB/logfd.py" <<'PY'
import os

def logfd(path):
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name) == path:
                return int(name)
        except OSError:
            pass
PY
sign "$LIB/logfd.py"

cat > "$T/all.py" <<'PY'
import ast, ctypes, importlib.machinery, json, os, signal, sys, threading
from logfd import logfd
log, zipfile, unsigned_lib = sys.argv[1:4]
import signedmod, cached, frompth
for name in ("unsignedmod",):
    try:
        __import__(name)
    except ImportError:
        print("refused", name)
sys.path.insert(0, zipfile)
import zipmod
try:
    importlib.machinery.SourcelessFileLoader("x", sys.argv[0]).load_module()
except ImportError:
    print("refused sourceless")
for lib in (unsigned_lib, "libc.so.6"):
    try:
        ctypes.CDLL(lib)
    except PermissionError:
        print("refused", lib)
ctypes.CDLL(None)
print(json.dumps({"k": [1, 2]}))
sys.audit("t.strings", "\udc80", "nul\x00", "\u2028", b"\x00\xff", "x" * 100_000)
deep = []
for _ in range(10_000):
    deep = [deep]
sys.audit("t.deep", deep, {"k": 1, 2: "v"}, 2**200, float("nan"), object())
exec("x = 40 + 2")
eval("1 + 1")
exec(compile(ast.parse("y = 1"), "<ast>", "exec"))
os.close(logfd(log))
sys.audit("t.after-close")
fd = logfd(log)
os.dup2(os.open("/dev/null", os.O_WRONLY), fd)
sys.audit("t.after-dup2")
hits = 0
def on_alarm(signum, frame):
    global hits
    hits += 1
signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
def work(t):
    for i in range(200):
        sys.audit("t.thread", t, i)
threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
for th in threads:
    th.start()
pid = os.fork()
if pid == 0:
    sys.audit("t.child", os.getpid())
    os._exit(0)
for th in threads:
    th.join()
os.waitpid(pid, 0)
signal.setitimer(signal.ITIMER_REAL, 0, 0)
print("done")
PY
sign "$T/all.py"
run_spy "$T/all.py" "$LOG" "$T/signed.zip" "$T/libunsigned.so"
check "under valgrind: the all-paths script runs" \
    bash -c "[ $RC -eq 0 ] && grep -q '^done' '$OUT' && [ \$(grep -c '^refused' '$OUT') -eq 4 ]"
log_has "under valgrind: the forked child logged" 'e["event"] == "t.child"'

script unsigned.py 'print("UNSIGNED RAN")'
run_spy "$T/unsigned.py"
expect_refusal "under valgrind: an unsigned script is refused" "no signature"
cp "$T/all.py" "$T/tampered.py"; sign "$T/tampered.py"; echo '#' >> "$T/tampered.py"
run_spy "$T/tampered.py"
expect_refusal "under valgrind: a tampered script is refused" "bad signature"
run_spy -c 'print(1)'
expect_refusal "under valgrind: an option is refused" "^spython: "

write_policy "mode audit"
run_spy "$T/unsigned.py"
check "under valgrind: audit mode runs an unsigned script" grep -q "UNSIGNED RAN" "$OUT"
write_policy "frobnicate yes"
run_spy "$T/all.py"
expect_refusal "under valgrind: a bad policy is refused" "policy.conf:"
write_policy
sed -i "s|^log .*|log /dev/full|" "$POLICY"
run_spy "$T/all.py"
expect_refusal "under valgrind: an unwritable log is refused" "cannot be written"
write_policy

# The signing tool, directly under valgrind (it has no Python in it).
for args in "-q -k $KEYS/ec.pem $T/unsigned.py" "-q -k $KEYS/rsa.pem -a sha512 $T/unsigned.py" \
            "--verify -K $KEYS/trusted $T/all.py $T/unsigned.py $T/tampered.py"; do
    # shellcheck disable=SC2086
    valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --suppressions="$SRC/tests/valgrind.supp" \
        --log-file="$VG_LOGS/vg.%p.log" "$SIGN" $args > /dev/null 2>&1
done
check "under valgrind: spython-sign ran" test "$(ls "$VG_LOGS" | wc -l)" -ge 10
finish
