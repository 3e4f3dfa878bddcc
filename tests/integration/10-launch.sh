#!/usr/bin/env bash
# Launch rules: only `spython SCRIPT [ARGS...]`, only regular files, isolated.
source "$(dirname "$0")/../lib.sh"
write_policy

run_spy --version
check "--version exits 0 and names the version" \
    bash -c "[ $RC -eq 0 ] && grep -q '^spython [0-9]' '$OUT'"
run_spy --help
check "--help exits 0 with usage" bash -c "[ $RC -eq 0 ] && grep -q '^usage: spython SCRIPT' '$OUT'"

script ok.py 'import sys; print(sys.argv)'
sign "$T/ok.py"

run_spy
expect_refusal "no script is refused" "no script given"
for opt in -c -m -i -I -E -s -S -u -O -OO -B -b -d -q -v -x -h -V -Xdev -X -Wdefault -W -P -- - --check-hash-based-pycs; do
    run_spy "$opt" "$T/ok.py"
    expect_refusal "option $opt before the script is refused" "^spython: "
done
run_spy --version "$T/ok.py"
expect_refusal "--version with a script is refused" "options are not accepted"
run_spy ""
expect_refusal "empty script name is refused" "empty script name"
log_has "launch refusal is logged as deny" \
    'e["event"] == "spython.launch" and e["decision"] == "deny" and e["args"]["subject"] == "-c"'

# Arguments after SCRIPT pass through untouched, options included.
run_spy "$T/ok.py" -c x --verbose -- - '' 'sp ace' $'new\nline'
check "arguments reach sys.argv unchanged" \
    grep -qF "['$T/ok.py', '-c', 'x', '--verbose', '--', '-', '', 'sp ace', 'new\\nline']" "$OUT"

# Not a regular file: stdin, pipes, FIFOs, sockets, devices, directories, magic links.
printf 'print("from stdin")\n' > "$T/stdin.py"
sign "$T/stdin.py"
"$SPY" /dev/stdin < "$T/stdin.py" > "$T/out" 2> "$T/err"; RC=$?; ERR=$T/err
expect_refusal "/dev/stdin is refused even when it is a signed file" "not a regular file"
"$SPY" /dev/fd/3 3< "$T/stdin.py" > "$T/out" 2> "$T/err"; RC=$?
expect_refusal "/dev/fd/N is refused" "not a regular file"
"$SPY" /proc/self/fd/3 3< "$T/stdin.py" > "$T/out" 2> "$T/err"; RC=$?
expect_refusal "/proc/self/fd/N is refused" "not a regular file"
"$SPY" <(cat "$T/stdin.py") > "$T/out" 2> "$T/err"; RC=$?
expect_refusal "process substitution is refused" "not a regular file"
echo 'print(1)' | "$SPY" /dev/stdin > "$T/out" 2> "$T/err"; RC=$?
expect_refusal "a pipe on stdin is refused" "not a regular file"
mkfifo "$T/fifo"
timeout 10 "$SPY" "$T/fifo" > "$T/out" 2> "$T/err"; RC=$?
expect_refusal "a FIFO is refused without blocking" "not a regular file"
/usr/bin/python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/sock"
run_spy "$T/sock"
expect_refusal "a socket is refused" "not a regular file|No such device"
run_spy /dev/null
expect_refusal "a device is refused" "not a regular file"
run_spy "$T"
expect_refusal "a directory is refused" "not a regular file"
run_spy "$T/missing.py"
expect_refusal "a missing script is refused" "No such file"
ln -s "$T/ok.py" "$T/link.py"
run_spy "$T/link.py"
check "an ordinary symlink to a signed script runs" grep -q "link.py" "$OUT"

# Isolation: environment, user site, cwd and script dir, bytecode writing.
cat > "$T/iso.py" <<'PY'
import sys, os
print("path", sys.path)
print("flags", sys.flags.isolated, sys.flags.ignore_environment, sys.flags.no_user_site,
      sys.dont_write_bytecode, sys.flags.safe_path)
try:
    import evil_cwd_module
    print("IMPORTED-CWD")
except ImportError:
    print("cwd-not-importable")
print("file", __file__, __name__)
PY
sign "$T/iso.py"
mkdir -p "$T/cwd"
printf 'print("EVIL")\n' > "$T/cwd/evil_cwd_module.py"
sign "$T/cwd/evil_cwd_module.py"
cp "$T/cwd/evil_cwd_module.py" "$T/evil_cwd_module.py"; sign "$T/evil_cwd_module.py"
(cd "$T/cwd" && PYTHONPATH="$T/cwd" PYTHONSTARTUP="$T/cwd/evil_cwd_module.py" PYTHONINSPECT=1 \
    PYTHONHOME=/nonexistent PYTHONVERBOSE=1 "$SPY" "$T/iso.py" > "$T/out" 2> "$T/err"); RC=$?
check "isolated run succeeds under hostile PYTHON* variables" bash -c "[ $RC -eq 0 ]"
check "sys.path is exactly the policy's search-path list" \
    grep -qF "path ['$STDLIB', '$STDLIB/lib-dynload', '$LIB']" "$T/out"
check "isolated, environment ignored, no user site, no bytecode written" grep -q "flags 1 1 1 True True" "$T/out"
check "neither cwd nor the script directory is importable" grep -q "cwd-not-importable" "$T/out"
check "__file__ and __name__ are the script's" grep -qF "file $T/iso.py __main__" "$T/out"
check "no __pycache__ is written" bash -c "! find '$T' '$LIB' -name __pycache__ | grep -q ."

# Exit status, tracebacks, exit(), KeyboardInterrupt.
script exit3.py 'import sys; sys.exit(3)'; sign "$T/exit3.py"
run_spy "$T/exit3.py"
check "sys.exit(3) gives status 3" bash -c "[ $RC -eq 3 ]"
script exitb.py 'exit(4)'; sign "$T/exitb.py"
run_spy "$T/exitb.py"
check "the exit() builtin works" bash -c "[ $RC -eq 4 ]"
script raise.py $'def f():\n    raise ValueError("boom")\nf()'; sign "$T/raise.py"
run_spy "$T/raise.py"
check "an uncaught exception gives status 1" bash -c "[ $RC -eq 1 ]"
check "the traceback names the script and line" grep -qF "File \"$T/raise.py\", line 2, in f" "$ERR"
script kbi.py $'import os, signal\ntry:\n    os.kill(os.getpid(), signal.SIGINT)\n    import time; time.sleep(5)\nexcept KeyboardInterrupt:\n    print("caught KeyboardInterrupt")\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(5)'
sign "$T/kbi.py"
run_spy "$T/kbi.py"
check "SIGINT raises KeyboardInterrupt" grep -q "caught KeyboardInterrupt" "$OUT"
check "an uncaught KeyboardInterrupt ends the process by SIGINT" bash -c "[ $RC -eq 130 ]"

# Shebang: #!/path/to/spython runs the script with its arguments.
printf '#!%s\nimport sys; print("shebang", sys.argv[1:])\n' "$SPY" > "$T/tool"
chmod 755 "$T/tool"; sign "$T/tool"
"$T/tool" -c x > "$T/out" 2> "$T/err"; RC=$?
check "a #!spython script runs with its arguments" grep -qF "shebang ['-c', 'x']" "$T/out"

# Defence in depth: the run_* events spython never raises are refused.
log_has "the start of every run is logged" 'e["event"] == "spython.start" and e["args"]["mode"] == "enforce"'
finish
