#!/usr/bin/env bash
# lock-signatures yes: a seccomp filter, in place before any Python code runs,
# makes every way to write or remove an xattr fail with EPERM - in spython and
# in whatever it starts - so a script cannot sign files, or unsign them.
source "$(dirname "$0")/../lib.sh"

X=user.spytest
echo 'data' > "$T/target"
setfattr -n user.keep -v 1 "$T/target"
setfattr -n user.keep2 -v 1 "$T/target"

# One script tries every way in; each line says what happened.
script try.py "import ctypes, errno, os, subprocess, sys
t = sys.argv[1]
def attempt(name, fn):
    try:
        fn()
        print(name, 'WROTE')
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, e.errno))
attempt('setxattr', lambda: os.setxattr(t, '$X', b'forged'))
attempt('fsetxattr', lambda: os.setxattr(os.open(t, os.O_RDONLY), '$X', b'forged'))
attempt('lsetxattr', lambda: os.setxattr(t, '$X', b'forged', follow_symlinks=False))
attempt('removexattr', lambda: os.removexattr(t, 'user.keep'))
attempt('security.ima', lambda: os.setxattr(t, 'security.ima', b'\x03\x02'))
r = subprocess.run(['setfattr', '-n', '$X', '-v', 'child', t], capture_output=True)
print('child', 'WROTE' if r.returncode == 0 else 'refused')
libc = ctypes.CDLL(None, use_errno=True)
class Args(ctypes.Structure):
    _fields_ = [('value', ctypes.c_uint64), ('size', ctypes.c_uint32), ('flags', ctypes.c_uint32)]
val = ctypes.create_string_buffer(b'forged')
args = Args(ctypes.addressof(val), 6, 0)
libc.syscall.restype = ctypes.c_long
def raw(name, nr, *a):      # variadic: every argument a full register
    rc = libc.syscall(ctypes.c_long(nr), *(ctypes.c_long(x) for x in a))
    print(name, 'WROTE' if rc >= 0 else errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno()))
path, name, keep = (ctypes.create_string_buffer(s) for s in (t.encode(), b'$X', b'user.keep2'))
addr = ctypes.addressof
raw('setxattrat', 463, -100, addr(path), 0, addr(name), addr(args), ctypes.sizeof(args))
raw('removexattrat', 466, -100, addr(path), 0, addr(keep))
raw('io_uring_setup', 425, 8, addr(ctypes.create_string_buffer(120)))
"
sign "$T/try.py"

# --- without the lock: the same script can write (so the test can fail) ---------
write_policy
run_spy "$T/try.py" "$T/target"
check unlocked-runs test $RC -eq 0
check unlocked-writes eval '[ $(grep -c " WROTE$" "$OUT") -eq 9 ] && grep -qx "child WROTE" "$OUT"'
setfattr -x "$X" "$T/target"; setfattr -n user.keep -v 1 "$T/target"; setfattr -n user.keep2 -v 1 "$T/target"

# --- locked -------------------------------------------------------------------------
write_policy "lock-signatures yes"
: > "$LOG"
run_spy "$T/try.py" "$T/target"
check locked-runs test $RC -eq 0
for call in setxattr fsetxattr lsetxattr removexattr security.ima setxattrat removexattrat io_uring_setup; do
    check "locked-$call-EPERM" grep -qx "$call EPERM" "$OUT"
done
check locked-child-refused grep -qx "child refused" "$OUT"
check locked-nothing-written eval '! getfattr -n "$X" "$T/target" >/dev/null 2>&1 && [ "$(getfattr --only-values -n user.keep "$T/target" 2>/dev/null)" = 1 ] && [ "$(getfattr --only-values -n user.keep2 "$T/target" 2>/dev/null)" = 1 ]'
log_has locked-logged 'e["event"] == "spython.lock-signatures" and "fsetxattr" in e["args"]["denied"] and "setxattrat" in e["args"]["denied"]'
# Logged before the first line of Python: the lock line comes before any import.
check locked-before-python /usr/bin/python3 - "$LOG" <<'PY'
import json, sys
ev = [json.loads(l)["event"] for l in open(sys.argv[1])]
lock = ev.index("spython.lock-signatures")
sys.exit(0 if "import" in ev and lock < ev.index("import") else 1)
PY
log_has locked-attempt-logged 'e["event"] == "os.setxattr"'
# Reading is not writing: the script's own imports and xattr reads still work.
script read.py "import os, sys; print(os.getxattr(sys.argv[1], 'user.keep'))"
sign "$T/read.py"
run_spy "$T/read.py" "$T/target"
check locked-reads-work eval '[ $RC -eq 0 ] && grep -qx "b'"'"'1'"'"'" "$OUT"'

write_policy "lock-signatures sometimes"
run_spy "$T/read.py" "$T/target"
expect_refusal lock-bad-value "lock-signatures: 'sometimes' is not yes or no"

finish
