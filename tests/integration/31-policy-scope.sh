#!/usr/bin/env bash
# module PACKAGE: rules and allow-lists that apply only while code of that
# package (or a submodule) is on the Python stack.
source "$(dirname "$0")/../lib.sh"

cat > "$LIB/probe.py" <<'PY'
def t(name, f):
    try:
        f()
        print(name, "ran", flush=True)
    except PermissionError:
        print(name, "denied", flush=True)
    except OSError:
        print(name, "oserror", flush=True)
PY
mkdir -p "$LIB/spawner" "$LIB/netpkg" "$LIB/writer"
cat > "$LIB/spawner/__init__.py" <<'PY'
import subprocess
def run():
    subprocess.run(["/bin/true"], check=True)
def via_callback(cb):
    return cb()
def exec_string():
    # A made-up file name adds a frame; the caller's frame stays on the stack.
    exec(compile("import subprocess; subprocess.run(['/bin/true'])", "/elsewhere/fake.py", "exec"))
PY
cat > "$LIB/spawner/deep.py" <<'PY'
import subprocess
def run():
    subprocess.run(["/bin/true"], check=True)
PY
cat > "$LIB/spawnerx.py" <<'PY'
import subprocess
def run():
    subprocess.run(["/bin/true"], check=True)
PY
cat > "$LIB/helper.py" <<'PY'
def call(f):
    return f()
PY
cat > "$LIB/netpkg/__init__.py" <<'PY'
import subprocess
def run(exe):
    subprocess.run([exe], check=True)
PY
cat > "$LIB/writer/__init__.py" <<'PY'
def write(path):
    with open(path, "w") as f:
        f.write("x")
PY
sign "$LIB"

outcome() { check "$1: $2" grep -qx "$1 $2" "$OUT"; }

write_policy "module spawner deny subprocess.Popen"
cat > "$T/scope.py" <<'PY'
import subprocess
import spawner, spawner.deep, spawnerx, helper
from probe import t
t("main", lambda: subprocess.run(["/bin/true"], check=True))
t("package", spawner.run)
t("submodule", spawner.deep.run)
t("through-helper", lambda: helper.call(spawner.run))
t("callback-under-package", lambda: spawner.via_callback(lambda: subprocess.run(["/bin/true"])))
t("exec-string-in-package", spawner.exec_string)
t("similar-name", spawnerx.run)
t("main-again", lambda: subprocess.run(["/bin/true"], check=True))
PY
sign "$T/scope.py"
run_spy "$T/scope.py"
for n in main similar-name main-again; do outcome "$n" ran; done
for n in package submodule through-helper callback-under-package exec-string-in-package; do
    outcome "$n" denied
done
log_has "the package's spawn is denied by the module line" \
    "e['event'] == 'subprocess.Popen' and e['decision'] == 'deny' and e['rule'] == '$POLICY:$(grep -n '^module spawner' "$POLICY" | cut -d: -f1)'"
log_has "the main script's own spawn of the same program is allowed" \
    "e['event'] == 'subprocess.Popen' and e['decision'] == 'allow' and e['args'][0] == '/bin/true'"

# Allow-lists per module narrow the global ones: both must allow.
mkdir -p "$T/w1" "$T/w2"
write_policy "allow-exec /bin/true /bin/echo" "module netpkg allow-exec /bin/echo" \
             "module writer allow-write $T/w1"
cat > "$T/lists.py" <<PY
import subprocess, netpkg, writer
from probe import t
t("pkg-echo", lambda: netpkg.run("/bin/echo"))
t("pkg-true", lambda: netpkg.run("/bin/true"))
t("main-true", lambda: subprocess.run(["/bin/true"], check=True))
t("main-ls", lambda: subprocess.run(["/bin/ls"]))
t("writer-in", lambda: writer.write("$T/w1/x"))
t("writer-out", lambda: writer.write("$T/w2/x"))
t("main-writes-w2", lambda: open("$T/w2/y", "w").close())
PY
sign "$T/lists.py"
run_spy "$T/lists.py"
for n in pkg-echo main-true writer-in main-writes-w2; do outcome "$n" ran; done
for n in pkg-true main-ls writer-out; do outcome "$n" denied; done
log_has "a package's own list names its line" \
    "e['event'] == 'subprocess.Popen' and e['args'][0] == '/bin/true' and e['decision'] == 'deny' and e['reason'] == 'denied by policy: executable not in allow-exec' and e['rule'].endswith(':$(grep -n '^module netpkg' "$POLICY" | cut -d: -f1)')"
finish
