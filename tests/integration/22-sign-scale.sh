#!/usr/bin/env bash
# spython-sign over a real tree: every file signed once with any number of
# threads, the same output whatever the number, a second run that touches
# nothing, --force, a progress bar on a terminal only, and an exit status
# that counts. (Speed is measured by `make sign-throughput`, not here.)
source "$(dirname "$0")/../lib.sh"

X=user.ima
KEY=$KEYS/ec.pem
SRCTREE=/usr/lib/python3.$(/usr/bin/python3 -c 'import sys; print(sys.version_info[1])')

# run CMD...: sets $rc, $out (stdout) and $err (stderr).
run() {
    "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    out=$(cat "$T/out"); err=$(cat "$T/err")
}
# xattrs DIR: every code file's signature, hex, one line each, sorted by path.
xattrs() {
    find "$1" -type f \( -name '*.py' -o -name '*.pyc' -o -name '*.so' -o -name '*.pth' -o -name '*.zip' \) \
        -exec getfattr --absolute-names -e hex -n "$X" {} + 2>/dev/null | paste -d' ' - - - | sort
}
# snapshot DIR: content, mode, mtime and ctime of every file.
snapshot() { find "$1" -type f -printf '%p %m %T@ %C@\n' | sort; find "$1" -type f -exec sha256sum {} + | sort; }
codefiles() { find "$1" -type f \( -name '*.py' -o -name '*.pyc' -o -name '*.so' -o -name '*.pth' -o -name '*.zip' \) | wc -l; }

# Two copies of a few stdlib packages: hundreds of files, __pycache__ and all.
for d in A B; do
    mkdir -p "$T/$d"
    cp -a "$SRCTREE/email" "$SRCTREE/json" "$SRCTREE/asyncio" "$SRCTREE/lib-dynload" "$T/$d/"
    ln -s ../json/decoder.py "$T/$d/email/link.py"
    mkfifo "$T/$d/fifo.py"
done
n=$(codefiles "$T/A")
before=$(snapshot "$T/A")

run "$SIGN" -r -j 1 -k "$KEY" --xattr "$X" "$T/A"
out1=$(sed "s#$T/A#TREE#" "$T/out")
check one-thread-exit-0 test $rc -eq 0
check one-thread-summary eval '[ "$(tail -n 1 "$T/out")" = "$n signed, 0 unchanged, 2 skipped, 0 failed" ]'
run "$SIGN" -r -j 7 -k "$KEY" --xattr "$X" "$T/B"
check many-threads-same-output test "$out1" = "$(sed "s#$T/B#TREE#" "$T/out")"
check every-file-signed test "$(xattrs "$T/A" | wc -l)" -eq "$n"
check not-a-terminal-no-bar eval '[[ $err != *$'"'"'\e'"'"'* ]]'

run "$SIGN" --verify -q -K "$KEYS/trusted" --xattr "$X" "$T/A"
check signatures-verify eval '[ $rc -eq 0 ] && [ -z "$out" ]'
openssl x509 -in "$KEYS/trusted/ec.crt" -outform DER -out "$T/ec.der"
check evmctl-agrees eval 'evmctl ima_verify --xattr-user --key "$T/ec.der" "$T/A/json/decoder.py" >/dev/null 2>&1'

# --- idempotent: nothing is rewritten, not even the xattr (ECDSA signatures are
# randomized, so a re-signed file would differ) and so not ctime either. -----
sigs=$(xattrs "$T/A")
mid=$(snapshot "$T/A")
run "$SIGN" -r -k "$KEY" --xattr "$X" "$T/A"
check second-run-exit-0 test $rc -eq 0
check second-run-summary eval '[ "$(tail -n 1 "$T/out")" = "0 signed, $n unchanged, 2 skipped, 0 failed" ]'
check second-run-prints-no-file test "$(wc -l < "$T/out")" -eq 1
check second-run-same-xattrs test "$sigs" = "$(xattrs "$T/A")"
check second-run-same-ctime test "$mid" = "$(snapshot "$T/A")"
check content-mode-mtime-kept test "$(echo "$before" | cut -d' ' -f1-3)" = "$(snapshot "$T/A" | cut -d' ' -f1-3)"
run "$SIGN" -v -r -k "$KEY" --xattr "$X" "$T/A/json"
check verbose-lists-unchanged eval 'grep -qx "unchanged $T/A/json/decoder.py" "$T/out"'

# --- what is not this key's signature over these bytes is signed again ---------
f=$T/A/json/encoder.py g=$T/A/json/scanner.py h=$T/A/json/tool.py i=$T/A/json/__init__.py
"$SIGN" -q -k "$KEYS/rsa.pem" --xattr "$X" "$f"               # another key
"$SIGN" -q -k "$KEY" -a sha512 --xattr "$X" "$g"              # another algorithm
printf '\n' >> "$h"                                           # changed since
setfattr -n "$X" -v 0x0302 "$i"                               # damaged
run "$SIGN" -r -k "$KEY" --xattr "$X" "$T/A/json"
check resigned-the-four eval '[[ $out == *"4 signed, "* ]] && grep -qx "signed $f" "$T/out" && grep -qx "signed $g" "$T/out" && grep -qx "signed $h" "$T/out" && grep -qx "signed $i" "$T/out"'
check resigned-sha256 test "$(getfattr --absolute-names --only-values -n "$X" "$g" | xxd -p -l 3)" = 030204

# --- --force re-signs everything ----------------------------------------------
run "$SIGN" -f -r -k "$KEY" --xattr "$X" "$T/A"
check force-summary eval '[ "$(tail -n 1 "$T/out")" = "$n signed, 0 unchanged, 2 skipped, 0 failed" ]'
check force-new-xattrs test "$sigs" != "$(xattrs "$T/A")"

# --- the exit status counts failures; the rest is done regardless -----------------
if chattr +i "$T/B/json/tool.py" 2>/dev/null; then
    setfattr -x "$X" "$T/B/json/tool.py" 2>/dev/null
    run "$SIGN" -f -r -k "$KEY" --xattr "$X" "$T/B/json"
    chattr -i "$T/B/json/tool.py"
    check immutable-fails eval '[ $rc -eq 1 ] && [[ $err == *"$T/B/json/tool.py: Operation not permitted"* ]]'
    check immutable-summary eval '[[ $(tail -n 1 "$T/out") == *", 1 failed" ]]'
else
    pass "immutable files need chattr (skipped)"
fi

# --- a progress bar on a terminal, not with --quiet ---------------------------------
# script(1) (not lib.sh's script) gives the command a pty for stdout and stderr; stdin stays ours.
run /usr/bin/script -qec "$SIGN -r -k $KEY --xattr $X $T/A/json >/dev/null" /dev/null
check tty-bar eval '[[ $out == *"signing ["*"] 100% "* ]]'
check tty-bar-erased eval '[[ $out == *$'"'"'\r\e[K'"'"'* ]]'
run /usr/bin/script -qec "$SIGN -q -r -k $KEY --xattr $X $T/A/json" /dev/null
check tty-quiet-no-bar eval '[[ $out != *"signing ["* ]] && [ -z "$out" ]'

# --- usage -------------------------------------------------------------------------
run "$SIGN" -j 0 -k "$KEY" "$T/A"
check jobs-zero-refused eval '[ $rc -eq 2 ] && [[ $err == *"--jobs"* ]]'
run "$SIGN" -j many -k "$KEY" "$T/A"
check jobs-word-refused test $rc -eq 2
run "$SIGN" --json -k "$KEY" "$T/A"
check check-option-when-signing-refused test $rc -eq 2

finish
