#!/usr/bin/env bash
# The ABI audit at signing: tiny extension modules built here from
# tests/fixtures/ext/ - one within the stable ABI, one past it - under abi3,
# matching and foreign version tags. What complies is signed and imports in
# spython; what does not is refused unless --allow-abi-violations.
source "$(dirname "$0")/../lib.sh"

EXT=$SRC/tests/fixtures/ext
INC=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
SOABI=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_config_var("SOABI"))')
OTHER=${SOABI/cpython-3??/cpython-310}

# build SOURCE MODNAME FILE: a shared object for module MODNAME at $LIB/FILE.
build() {
    cc -shared -fPIC -O2 -DMOD="$2" -I"$INC" "$EXT/$1" -o "$LIB/$3" 2>"$T/cc.err" ||
        fail "build $3" "$(head -c 300 "$T/cc.err")"
}
signed() { getfattr --only-values -n "$XATTR" "$1" >/dev/null 2>&1; }

# run CMD...: sets $rc, $out (stdout) and $err (stderr).
run() {
    "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    out=$(cat "$T/out"); err=$(cat "$T/err")
}

build stable.c okmod okmod.abi3.so
build unstable.c badmod badmod.abi3.so
build stable.c oldmod "oldmod.$OTHER.so"
build unstable.c rightmod "rightmod.$SOABI.so"
printf 'not an ELF file\n' > "$LIB/textmod.abi3.so"
cp "$LIB/okmod.abi3.so" "$LIB/libhelper.so"          # untagged: a plain library
write_policy

# --- one by one ---------------------------------------------------------------
run "$SIGN" -k "$KEYS/ec.pem" --xattr "$XATTR" "$LIB/okmod.abi3.so"
check abi3-stable-signed eval '[ $rc -eq 0 ] && signed "$LIB/okmod.abi3.so"'

run "$SIGN" -k "$KEYS/ec.pem" --xattr "$XATTR" "$LIB/badmod.abi3.so"
check abi3-unstable-refused eval '[ $rc -eq 1 ] && ! signed "$LIB/badmod.abi3.so"'
check abi3-unstable-names-symbol eval '[ "$err" = "spython-sign: $LIB/badmod.abi3.so: refused by the ABI audit: imports 1 symbol outside the stable ABI: PyUnicode_AsUTF8" ]'
check abi3-unstable-summary eval '[[ $out == *"0 signed, 0 unchanged, 0 skipped, 1 failed"* ]]'

run "$SIGN" -k "$KEYS/ec.pem" --xattr "$XATTR" "$LIB/oldmod.$OTHER.so"
check wrong-tag-refused eval '[ $rc -eq 1 ] && ! signed "$LIB/oldmod.$OTHER.so"'
check wrong-tag-says-why eval '[[ $err == *"built for $OTHER, not for $SOABI"* ]]'

run "$SIGN" -k "$KEYS/ec.pem" --xattr "$XATTR" "$LIB/rightmod.$SOABI.so"
check right-tag-signed eval '[ $rc -eq 0 ] && signed "$LIB/rightmod.$SOABI.so"'

run "$SIGN" -k "$KEYS/ec.pem" --xattr "$XATTR" "$LIB/textmod.abi3.so"
check abi3-not-elf-refused eval '[ $rc -eq 1 ] && [[ $err == *"not an ELF file"* ]] && ! signed "$LIB/textmod.abi3.so"'

run "$SIGN" -k "$KEYS/ec.pem" --xattr "$XATTR" "$LIB/libhelper.so"
check untagged-library-signed eval '[ $rc -eq 0 ] && [ -z "$err" ] && signed "$LIB/libhelper.so"'

# --- a directory walk: the rest is signed, the exit status says what failed ---
setfattr -x "$XATTR" "$LIB/okmod.abi3.so"
run "$SIGN" -k "$KEYS/ec.pem" --xattr "$XATTR" -r "$LIB"
check walk-exit-1 test $rc -eq 1
check walk-others-signed signed "$LIB/okmod.abi3.so"
check walk-refusals-listed eval '[ $(grep -c "refused by the ABI audit" "$T/err") -eq 3 ]'
check walk-summary eval '[[ $out == *"1 signed, 2 unchanged, 0 skipped, 3 failed"* ]]'

# --- --allow-abi-violations: signed, with a warning each --------------------------
run "$SIGN" -k "$KEYS/ec.pem" --xattr "$XATTR" --allow-abi-violations "$LIB/badmod.abi3.so" "$LIB/oldmod.$OTHER.so"
check allow-exit-0 test $rc -eq 0
check allow-signed eval 'signed "$LIB/badmod.abi3.so" && signed "$LIB/oldmod.$OTHER.so"'
check allow-warns eval '[ $(grep -c "warning: .*--allow-abi-violations" "$T/err") -eq 2 ] && [[ $err == *PyUnicode_AsUTF8* ]]'
# Signed once by exception is no standing exception: the next plain run says so again.
run "$SIGN" -k "$KEYS/ec.pem" --xattr "$XATTR" "$LIB/badmod.abi3.so"
check allow-is-not-remembered eval '[ $rc -eq 1 ] && [[ $err == *"refused by the ABI audit"* ]]'

# --- what was signed loads in spython, through the verifying loader -------------
script ext.py "import okmod, rightmod
print('okmod', okmod.answer())
print('rightmod', rightmod.shout('hi'))"
sign "$T/ext.py"
run_spy "$T/ext.py"
check spython-imports-abi3 eval '[ $RC -eq 0 ] && grep -qx "okmod 42" "$OUT"'
check spython-imports-tagged grep -qx "rightmod hi!" "$OUT"
log_has spython-logged-extension 'e["event"] == "spython.verify" and e["args"]["kind"] == "extension" and e["args"]["path"].endswith("/okmod.abi3.so") and e["decision"] == "allow"'

finish
