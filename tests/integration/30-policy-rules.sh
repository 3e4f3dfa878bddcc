#!/usr/bin/env bash
# Policy rules over audit events: actions, arguments, allow-lists, hostile
# events, include and policy.d, and spython-policy check.
source "$(dirname "$0")/../lib.sh"
PP=$BUILD/spython-policy

# Each probe prints "NAME ran", "NAME denied" (PermissionError), "NAME
# import-denied" (ImportError) or "NAME oserror" (it got to the system call).
cat > "$T/probe.py" <<'PY'
import sys
def t(name, f):
    try:
        f()
        print(name, "ran", flush=True)
    except PermissionError:
        print(name, "denied", flush=True)
    except ImportError:
        print(name, "import-denied", flush=True)
    except OSError:
        print(name, "oserror", flush=True)
PY
sign "$T/probe.py"
cp "$T/probe.py" "$LIB/probe.py"
sign "$LIB/probe.py"

# outcome NAME WANT: the last run printed "NAME WANT".
outcome() { check "$1: $2" grep -qx "$1 $2" "$OUT"; }
line_of() { grep -nxF -- "$1" "$POLICY" | cut -d: -f1; }

# --- actions: allow is an exception, deny raises, kill ends the process ---
write_policy "allow subprocess.Popen exe=/bin/true" "deny subprocess.Popen" "kill os.system"
cat > "$T/act.py" <<'PY'
import subprocess, os
from probe import t
t("true", lambda: subprocess.run(["/bin/true"]))
t("echo", lambda: subprocess.run(["/bin/echo", "SHOULD-NOT-RUN"]))
print("before kill", flush=True)
os.system("echo KILLED-TOO-LATE")
print("after kill", flush=True)
PY
sign "$T/act.py"
run_spy "$T/act.py"
outcome true ran
outcome echo denied
check "kill: SIGKILL, nothing after it ran" bash -c "[ $RC -eq 137 ] && grep -q 'before kill' '$OUT' && ! grep -q 'after kill\|KILLED-TOO-LATE\|SHOULD-NOT-RUN' '$OUT'"
deny_ln=$(line_of "deny subprocess.Popen")
kill_ln=$(line_of "kill os.system")
log_has "a deny line names its rule (file:line)" \
    "e['event'] == 'subprocess.Popen' and e['args'][0] == '/bin/echo' and e['decision'] == 'deny' and e['reason'] == 'denied by policy' and e['rule'] == '$POLICY:$deny_ln'"
log_has "the allowed spawn is logged without a rule" \
    "e['event'] == 'subprocess.Popen' and e['args'][0] == '/bin/true' and e['decision'] == 'allow' and 'rule' not in e"
log_has "kill: the line is written before the process ends" \
    "e['event'] == 'os.system' and e['decision'] == 'deny' and e['reason'] == 'killed by policy' and e['rule'] == '$POLICY:$kill_ln'"

write_policy "allow subprocess.Popen exe=/bin/true" "deny subprocess.Popen" "kill os.system" "mode audit"
run_spy "$T/act.py"
check "mode audit: nothing is refused, nothing killed" bash -c "[ $RC -eq 0 ] && grep -q SHOULD-NOT-RUN '$OUT' && grep -q 'after kill' '$OUT'"
log_has "mode audit: would-deny with the rule" \
    "e['event'] == 'subprocess.Popen' and e['args'][0] == '/bin/echo' and e['decision'] == 'would-deny' and e['rule'].endswith(':$deny_ln')"
log_has "mode audit: a kill rule is a would-deny" "e['event'] == 'os.system' and e['decision'] == 'would-deny'"

# --- writes: only under listed directories -------------------------------
mkdir -p "$T/wout" "$T/else"
write_policy "allow-write $T/wout"
cat > "$T/w.py" <<PY
import os, shutil, pathlib
from probe import t
O, E = "$T/wout", "$T/else"
t("write-in", lambda: open(O + "/a", "w").close())
t("write-out", lambda: open(E + "/b", "w").close())
t("read-out", lambda: open("/etc/hostname").close())
t("append-out", lambda: open(E + "/c", "a").close())
t("osopen-out", lambda: os.close(os.open(E + "/d", os.O_WRONLY | os.O_CREAT)))
t("remove-out", lambda: os.remove(E + "/nothing"))
t("rename-out", lambda: os.rename(O + "/a", E + "/a"))
t("rename-in", lambda: os.rename(O + "/a", O + "/a2"))
t("copy-out", lambda: shutil.copy(O + "/a2", E + "/x"))
t("copy-in", lambda: shutil.copy(O + "/a2", O + "/x"))
t("mkdir-out", lambda: os.mkdir(E + "/dir"))
t("chmod-out", lambda: os.chmod(E, 0o755))
t("pathlib-out", lambda: pathlib.Path(E, "p").write_text("x"))
t("symlink-in", lambda: os.symlink(E, O + "/link"))
t("through-symlink", lambda: open(O + "/link/z", "w").close())
t("dotdot", lambda: open(O + "/../else/y", "w").close())
os.chdir(E)
t("relative-out", lambda: open("rel", "w").close())
os.chdir(O)
t("relative-in", lambda: open("rel", "w").close())
# os.open's dir_fd is not in the event: a relative os.open is not trusted.
d = os.open(E, os.O_RDONLY)
t("osopen-dirfd", lambda: os.close(os.open("viafd", os.O_WRONLY | os.O_CREAT, dir_fd=d)))
t("remove-dirfd", lambda: os.remove("nothing", dir_fd=d))
t("rmtree-out", lambda: shutil.rmtree(E))
PY
sign "$T/w.py"
run_spy "$T/w.py"
for n in write-in read-out rename-in copy-in symlink-in relative-in; do outcome "$n" ran; done
for n in write-out append-out osopen-out remove-out rename-out copy-out mkdir-out chmod-out \
         pathlib-out through-symlink dotdot relative-out osopen-dirfd remove-dirfd rmtree-out; do
    outcome "$n" denied
done
check "nothing was written outside the list" bash -c "[ -z \"\$(ls -A '$T/else')\" ]"
log_has "a write outside the list names the allow-write line" \
    "e['event'] == 'open' and e['args'][0] == '$T/else/b' and e['reason'] == 'denied by policy: path not in allow-write' and e['rule'] == '$POLICY:$(line_of "allow-write $T/wout")'"

# --- network: addresses, ports, names ------------------------------------
write_policy "allow-connect 127.0.0.1:1-1000 $T/sock" "allow-bind 127.0.0.1:0" "allow-lookup localhost"
cat > "$T/net.py" <<PY
import socket
from probe import t
def conn(addr, fam=socket.AF_INET, kind=socket.SOCK_STREAM):
    with socket.socket(fam, kind) as s:
        s.settimeout(2)
        s.connect(addr)
def bind(addr):
    with socket.socket() as s:
        s.bind(addr)
def sendto(addr):
    with socket.socket(type=socket.SOCK_DGRAM) as s:
        s.sendto(b"x", addr)
t("connect-port-in", lambda: conn(("127.0.0.1", 9)))
t("connect-port-out", lambda: conn(("127.0.0.1", 2000)))
t("connect-addr-out", lambda: conn(("127.0.0.2", 9)))
t("connect-v4-spelled", lambda: conn(("127.1", 2000)))
t("connect-v6", lambda: conn(("::1", 9), socket.AF_INET6))
t("connect-name", lambda: conn(("localhost", 9)))
t("connect-unix-in", lambda: conn("$T/sock", socket.AF_UNIX))
t("connect-unix-out", lambda: conn("$T/other", socket.AF_UNIX))
t("connect-ex", lambda: socket.socket().connect_ex(("127.0.0.1", 2000)))
t("sendto-in", lambda: sendto(("127.0.0.1", 9)))
t("sendto-out", lambda: sendto(("127.0.0.1", 5353)))
t("bind-in", lambda: bind(("127.0.0.1", 0)))
t("bind-out", lambda: bind(("0.0.0.0", 0)))
t("lookup-in", lambda: socket.getaddrinfo("localhost", 9))
t("lookup-numeric", lambda: socket.getaddrinfo("127.0.0.1", 9))
t("lookup-out", lambda: socket.getaddrinfo("blocked.invalid", 80))
t("gethostbyname-out", lambda: socket.gethostbyname("blocked.invalid"))
t("reverse-out", lambda: socket.gethostbyaddr("127.0.0.1"))
PY
sign "$T/net.py"
run_spy "$T/net.py"
for n in connect-port-in connect-unix-in; do outcome "$n" oserror; done
for n in sendto-in bind-in lookup-in lookup-numeric; do outcome "$n" ran; done
for n in connect-port-out connect-addr-out connect-v4-spelled connect-v6 connect-name connect-unix-out \
         connect-ex sendto-out bind-out lookup-out gethostbyname-out reverse-out; do
    outcome "$n" denied
done
log_has "a refused connect names the allow-connect line" \
    "e['event'] == 'socket.connect' and e['args'][1] == ['127.0.0.1', 2000] and e['reason'] == 'denied by policy: address not in allow-connect'"
log_has "a refused lookup says so" \
    "e['event'] == 'socket.getaddrinfo' and e['args'][0] == 'blocked.invalid' and e['reason'] == 'denied by policy: name not in allow-lookup'"

# --- executables ----------------------------------------------------------
write_policy "allow-exec /bin/true"
cat > "$T/x.py" <<'PY'
import os, subprocess, pathlib
from probe import t
t("popen-in", lambda: subprocess.run(["/bin/true"], check=True))
t("popen-out", lambda: subprocess.run(["/bin/echo"]))
t("popen-bare", lambda: subprocess.run(["true"]))
t("popen-cwd", lambda: subprocess.run(["./true"], cwd="/bin", check=True))
t("popen-pathobj", lambda: subprocess.run([pathlib.Path("/bin/true")]))
t("system", lambda: os.system("true"))
t("spawn-in", lambda: os.waitpid(os.posix_spawn("/bin/true", ["true"], {}), 0))
t("spawnp-bare", lambda: os.posix_spawnp("true", ["true"], {}))
pid = os.fork()
if pid == 0:
    try:
        os.execv("/bin/echo", ["echo", "EXEC-RAN"])
    except PermissionError:
        os._exit(3)
print("exec-out", "denied" if os.WEXITSTATUS(os.waitpid(pid, 0)[1]) == 3 else "ran")
PY
sign "$T/x.py"
run_spy "$T/x.py"
for n in popen-in popen-cwd spawn-in; do outcome "$n" ran; done
for n in popen-out popen-bare popen-pathobj system spawnp-bare exec-out; do outcome "$n" denied; done
check "the denied exec never ran" bash -c "! grep -q EXEC-RAN '$OUT'"

# --- imports, pickles, libraries: argument conditions ---------------------
write_policy "deny import module=xml" "deny pickle.find_class global=os:system" \
             "deny ctypes.dlopen lib=$STDLIB/lib-dynload/_uuid*"
cat > "$T/m.py" <<PY
import pickle
from probe import t
t("import-json", lambda: __import__("json"))
t("import-xml-dom", lambda: __import__("xml.dom"))
t("pickle-os-system", lambda: pickle.loads(b"cos\nsystem\n."))
t("pickle-os-getcwd", lambda: pickle.loads(b"cos\ngetcwd\n."))
import ctypes
t("dlopen-rule", lambda: ctypes.CDLL("$STDLIB/lib-dynload/_uuid.cpython-311-x86_64-linux-gnu.so"))
PY
sign "$T/m.py"
run_spy "$T/m.py"
outcome import-json ran
outcome import-xml-dom import-denied
outcome pickle-os-system denied
outcome pickle-os-getcwd ran
outcome dlopen-rule denied

# --- deny rules on arguments: path and mode, CIDR and ports, names, programs
mkdir -p "$T/secret"
echo s > "$T/secret/key"
write_policy "deny open path=$T/secret access=write" "deny socket.connect addr=127.0.0.0/8:2000-2010" \
             "deny socket.getaddrinfo host=*.blocked.invalid" "deny os.posix_spawn exe=/bin/e*"
cat > "$T/args.py" <<PY
import os, socket
from probe import t
def conn(port, host="127.0.0.1"):
    with socket.socket() as s:
        s.settimeout(2)
        s.connect((host, port))
t("secret-read", lambda: open("$T/secret/key").close())
t("secret-write", lambda: open("$T/secret/key", "a").close())
t("cidr-port-in-range", lambda: conn(2005, "127.9.9.9"))
t("cidr-port-out-of-range", lambda: conn(2011))
t("lookup-glob", lambda: socket.getaddrinfo("a.b.blocked.invalid", 80))
t("lookup-other", lambda: socket.getaddrinfo("localhost", 80))
t("spawn-echo", lambda: os.waitpid(os.posix_spawn("/bin/echo", ["echo"], {}), 0))
t("spawn-true", lambda: os.waitpid(os.posix_spawn("/bin/true", ["true"], {}), 0))
PY
sign "$T/args.py"
run_spy "$T/args.py"
for n in secret-read lookup-other spawn-true; do outcome "$n" ran; done
outcome cidr-port-out-of-range oserror
for n in secret-write cidr-port-in-range lookup-glob spawn-echo; do outcome "$n" denied; done
check "the denied write left the file alone" grep -qx s "$T/secret/key"

# --- hostile events: made-up arguments never crash, always fail closed ---
write_policy "allow-write $T/wout" "allow-connect 127.0.0.1" "allow-lookup localhost" \
             "allow-exec /bin/true" "deny import module=zzz" "deny pickle.find_class global=zzz" \
             "deny marshal.loads origin=unverified" "deny @write path=$T/else" "deny sys.*.huge"
cat > "$T/h.py" <<'PY'
import sys
from probe import t
a = sys.audit
t("open-object", lambda: a("open", object(), "w", 1))
t("open-short", lambda: a("open"))
t("open-nul", lambda: a("open", "/tmp/out\0x", "w", 577))
t("open-surrogate", lambda: a("open", "/tmp/\udcff", "w", 577))
t("open-flags-str", lambda: a("open", "/tmp/x", "w", "flags"))
t("rename-ints", lambda: a("os.rename", 1, 2, "x", None))
t("remove-baddirfd", lambda: a("os.remove", "rel", 999999))
t("remove-hugedirfd", lambda: a("os.remove", "rel", 2**80))
t("connect-hugehost", lambda: a("socket.connect", None, ("a" * 1000000, 80)))
t("connect-surrogate", lambda: a("socket.connect", None, ("\udc80", 80)))
t("connect-badport", lambda: a("socket.connect", None, ("127.0.0.1", -1)))
t("connect-hugeport", lambda: a("socket.connect", None, ("127.0.0.1", 2**80)))
t("connect-weird", lambda: a("socket.connect", None, [1, 2, 3]))
t("connect-abstract-binary", lambda: a("socket.connect", None, b"\0\xff\x00\x01"))
t("lookup-int", lambda: a("socket.getaddrinfo", 42))
t("popen-int", lambda: a("subprocess.Popen", 12345678, None, None, None))
t("popen-none", lambda: a("subprocess.Popen"))
t("import-int", lambda: a("import", 5))
t("pickle-none", lambda: a("pickle.find_class", None))
t("marshal-str", lambda: a("marshal.loads", "not bytes"))
t("huge-name", lambda: a("sys." + "x" * 100000 + ".huge"))
t("nameinfo-bad", lambda: a("socket.getnameinfo", ("\0", 1), 0))
print("survived")
PY
sign "$T/h.py"
run_spy "$T/h.py"
check "hostile event arguments: spython survives" bash -c "[ $RC -eq 0 ] && grep -qx survived '$OUT'"
for n in open-object open-short open-nul open-surrogate open-flags-str rename-ints remove-baddirfd remove-hugedirfd \
         connect-hugehost connect-surrogate connect-badport connect-hugeport connect-weird \
         connect-abstract-binary lookup-int popen-int popen-none pickle-none marshal-str \
         huge-name nameinfo-bad; do
    outcome "$n" denied
done
outcome import-int import-denied

# --- include and policy.d -------------------------------------------------
mkdir -p "$T/policy.d"
chmod 755 "$T/policy.d"
printf 'allow subprocess.Popen exe=/bin/echo\n' > "$T/policy.d/10-first.conf"
printf 'deny subprocess.Popen\n' > "$T/policy.d/20-second.conf"
printf 'not a directive\n' > "$T/policy.d/README"
chmod 644 "$T/policy.d/"*
write_policy "include $T/policy.d/*.conf"
cat > "$T/inc.py" <<'PY'
import subprocess
from probe import t
t("echo", lambda: subprocess.run(["/bin/echo", "-n"]))
t("true", lambda: subprocess.run(["/bin/true"]))
PY
sign "$T/inc.py"
run_spy "$T/inc.py"
outcome echo ran
outcome true denied
log_has "a rule from a drop-in is named by its own file" \
    "e['event'] == 'subprocess.Popen' and e['decision'] == 'deny' and e['rule'] == '$T/policy.d/20-second.conf:1'"
chmod 666 "$T/policy.d/20-second.conf"
run_spy "$T/inc.py"
expect_refusal "a group- or world-writable drop-in refuses the start" "20-second.conf: "
chmod 644 "$T/policy.d/20-second.conf"
printf 'deny open path=relative\n' > "$T/policy.d/30-bad.conf"
chmod 644 "$T/policy.d/30-bad.conf"
run_spy "$T/inc.py"
expect_refusal "a bad drop-in line refuses the start with file:line" "30-bad.conf:1: deny: not an absolute path: 'relative'"

# --- spython-policy check: validates, runs nothing ------------------------
rm -f "$T/policy.d/30-bad.conf"
write_policy "include $T/policy.d/*.conf" "allow-write $T/wout" "mode learn"
sed -i "s|^log .*|log $T/check-never-written.log|" "$POLICY"
"$PP" check "$POLICY" > "$T/check.out" 2> "$T/check.err"
check "check: a good policy is ok" bash -c "[ \$? -eq 0 ] && grep -q '^$POLICY: ok: 2 rules, 1 allow-list lines, 0 packages, mode learn$' '$T/check.out'"
check "check: nothing ran, no log was opened" test ! -e "$T/check-never-written.log"
printf 'deny socket.connect addr=10.0.0.1/8\n' >> "$POLICY"
"$PP" check "$POLICY" > "$T/check.out" 2> "$T/check.err"; rc=$?
check "check: a bad rule fails with file:line" bash -c "[ $rc -eq 1 ] && grep -qx \"spython-policy: $POLICY:$(wc -l < "$POLICY"): deny: '10.0.0.1/8': host bits set past the prefix\" '$T/check.err'"
"$PP" check -f "$T/policy.d/10-first.conf" > "$T/check.out" 2>&1
check "check -f: a drop-in alone" grep -q ': ok: 1 rules' "$T/check.out"
chmod 664 "$T/policy.d/10-first.conf"
"$PP" check -f "$T/policy.d/10-first.conf" > "$T/check.out" 2>&1; rc=$?
check "check -f: the drop-in's trust is checked too" bash -c "[ $rc -eq 1 ] && grep -q 'bad ownership or modes' '$T/check.out'"
finish
