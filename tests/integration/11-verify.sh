#!/usr/bin/env bash
# Signed code only: scripts, modules, bytecode, .pth, zip archives, extensions.
source "$(dirname "$0")/../lib.sh"
write_policy

script good.py 'print("good ran")'; sign "$T/good.py"
run_spy "$T/good.py"
check "an EC-signed script runs" bash -c "[ $RC -eq 0 ] && grep -q 'good ran' '$OUT'"
log_has "its verification is logged with digest and key id" \
    'e["event"] == "spython.verify" and e["args"]["path"].endswith("/good.py") and e["args"]["digest"].startswith("sha256:") and len(e["args"]["keyid"]) == 8'
log_has "its compile event names the verified file instead of its text" \
    'e["event"] == "compile" and e["args"].get("verified", "").endswith("/good.py") and "source" not in e["args"]'

script rsa.py 'print("rsa ran")'; sign -k "$KEYS/rsa.pem" "$T/rsa.py"
run_spy "$T/rsa.py"
check "an RSA-signed script runs" grep -q "rsa ran" "$OUT"

script unsigned.py 'print("UNSIGNED RAN")'
run_spy "$T/unsigned.py"
expect_refusal "an unsigned script is refused" "unsigned.py: .*no signature"
check "the unsigned script did not run" bash -c "! grep -q 'UNSIGNED RAN' '$OUT'"
log_has "the refusal is logged with its reason" \
    'e["event"] == "spython.verify" and e["args"]["path"].endswith("/unsigned.py") and e["decision"] == "deny" and e["reason"] == "no signature"'

script tampered.py 'print("original")'; sign "$T/tampered.py"
printf 'print("TAMPERED")\n' > "$T/tampered.py.new"
cat "$T/tampered.py.new" > "$T/tampered.py"   # same inode: the xattr stays
run_spy "$T/tampered.py"
expect_refusal "a tampered script is refused" "bad signature"

script wrongkey.py 'print("WRONG KEY")'; sign -k "$KEYS/untrusted.pem" "$T/wrongkey.py"
run_spy "$T/wrongkey.py"
expect_refusal "a script signed by an unknown key is refused" "unknown key"

script trunc.py 'print("TRUNC")'; sign "$T/trunc.py"
hexsig() { getfattr -n "$XATTR" -e hex "$1" 2>/dev/null | sed -n 's/^[^=]*=0x//p'; }
sig=$(hexsig "$T/trunc.py")
setfattr -n "$XATTR" -v "0x${sig:0:40}" "$T/trunc.py"
run_spy "$T/trunc.py"
expect_refusal "a truncated signature is refused" "malformed"
setfattr -n "$XATTR" -v 0x0402aabbccdd "$T/trunc.py"
run_spy "$T/trunc.py"
expect_refusal "a hash-only IMA xattr is not a signature" "no signature"
setfattr -n "$XATTR" -v "0x0302ee${sig:6}" "$T/trunc.py"
run_spy "$T/trunc.py"
expect_refusal "an unknown hash algorithm id is refused" "hash"

# Copying another file's valid signature onto this file does not help.
script victim.py 'print("VICTIM")'
setfattr -n "$XATTR" -v "0x$(hexsig "$T/good.py")" "$T/victim.py"
run_spy "$T/victim.py"
expect_refusal "a signature copied from another file is refused" "bad signature"

write_policy "max-file-size 10"
run_spy "$T/good.py"
expect_refusal "a script over max-file-size is refused" "too large"
write_policy

# Modules.
script "lib/signedmod.py" 'VALUE = "signed module"'; sign "$LIB/signedmod.py"
script "lib/unsignedmod.py" 'print("UNSIGNED MODULE RAN")'
script "lib/tamperedmod.py" 'X = 1'; sign "$LIB/tamperedmod.py"; echo 'print("TAMPERED MODULE")' >> "$LIB/tamperedmod.py"
script "lib/wrongkeymod.py" 'print("WRONG KEY MODULE RAN")'; sign -k "$KEYS/untrusted.pem" "$LIB/wrongkeymod.py"
script "lib/truncmod.py" 'print("TRUNCATED SIG MODULE RAN")'; sign "$LIB/truncmod.py"
setfattr -n "$XATTR" -v "0x$(getfattr -n "$XATTR" -e hex "$LIB/truncmod.py" 2>/dev/null | sed -n 's/^[^=]*=0x//p' | cut -c1-30)" "$LIB/truncmod.py"
cat > "$T/mods.py" <<'PY'
import signedmod
print(signedmod.VALUE)
for name in ("unsignedmod", "tamperedmod", "wrongkeymod", "truncmod"):
    try:
        __import__(name)
        print("IMPORTED", name)
    except ImportError as e:
        print("refused", name, type(e).__name__)
PY
sign "$T/mods.py"
run_spy "$T/mods.py"
check "a signed module imports" grep -q "signed module" "$OUT"
check "an unsigned module does not import (ImportError)" grep -q "refused unsignedmod ImportError" "$OUT"
check "a tampered module does not import" grep -q "refused tamperedmod ImportError" "$OUT"
check "a module signed by an unknown key does not import" grep -q "refused wrongkeymod ImportError" "$OUT"
check "a module with a truncated signature does not import" grep -q "refused truncmod ImportError" "$OUT"
check "no refused module ran" bash -c "! grep -q 'RAN\|TAMPERED MODULE\|IMPORTED' '$OUT'"
log_has "a refused module is logged" 'e["event"] == "spython.verify" and e["args"]["path"].endswith("unsignedmod.py") and e["decision"] == "deny"'
log_has "each refused module's reason is logged" 'e["event"] == "spython.verify" and e["args"]["path"].endswith("wrongkeymod.py") and e["reason"] == "unknown key"'
log_has "a truncated module signature is logged as malformed" 'e["event"] == "spython.verify" and e["args"]["path"].endswith("truncmod.py") and e["reason"] == "malformed signature"'

# __pycache__ poisoning: an unsigned .pyc falls back to the signed source.
script "lib/cached.py" 'print("from signed source")'; sign "$LIB/cached.py"
mkdir -p "$T/poison"
printf 'print("POISONED BYTECODE")\n' > "$T/poison/cached.py"
touch -r "$LIB/cached.py" "$T/poison/cached.py"
/usr/bin/python3 -c "import py_compile,sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2])" \
    "$T/poison/cached.py" "$LIB/__pycache__/cached.cpython-311.pyc"
# Give the poisoned .pyc the source's size and mtime so CPython would accept it.
/usr/bin/python3 - "$LIB/cached.py" "$LIB/__pycache__/cached.cpython-311.pyc" <<'PY'
import os, struct, sys
st = os.stat(sys.argv[1]); data = bytearray(open(sys.argv[2], "rb").read())
data[8:16] = struct.pack("<II", int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF)
open(sys.argv[2], "wb").write(data)
PY
script pyc.py 'import cached'; sign "$T/pyc.py"
run_spy "$T/pyc.py"
check "an unsigned __pycache__ .pyc is ignored for the signed source" \
    bash -c "grep -q 'from signed source' '$OUT' && ! grep -q POISONED '$OUT'"
sign "$LIB/__pycache__/cached.cpython-311.pyc"
run_spy "$T/pyc.py"
check "a signed .pyc is used (bytecode signatures are honoured)" grep -q "POISONED BYTECODE" "$OUT"
rm -rf "$LIB/__pycache__"

# Sourceless bytecode: SourcelessFileLoader would read it with FileIO.
mkdir -p "$T/src"
printf 'print("SOURCELESS RAN")\n' > "$T/src/bconly.py"
/usr/bin/python3 -c "import py_compile,sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2])" "$T/src/bconly.py" "$LIB/bconly.pyc"
script sl.py $'try:\n    import bconly\nexcept ImportError as e:\n    print("refused sourceless", e)'
sign "$T/sl.py"
run_spy "$T/sl.py"
check "an unsigned sourceless .pyc does not load" bash -c "grep -q 'refused sourceless' '$OUT' && ! grep -q 'SOURCELESS RAN' '$OUT'"
script sl2.py $'import importlib.machinery as m, sys\nl = m.SourcelessFileLoader("bconly2", sys.argv[1])\ntry:\n    l.load_module()\nexcept ImportError as e:\n    print("refused direct", type(e).__name__)'
sign "$T/sl2.py"
run_spy "$T/sl2.py" "$LIB/bconly.pyc"
check "SourcelessFileLoader used directly cannot load unsigned bytecode" \
    bash -c "grep -q 'refused direct ImportError' '$OUT' && ! grep -q 'SOURCELESS RAN' '$OUT'"
sign "$LIB/bconly.pyc"
run_spy "$T/sl.py"
check "a signed sourceless .pyc loads" grep -q "SOURCELESS RAN" "$OUT"
rm -f "$LIB/bconly.pyc"

# .pth files in a search-path directory.
mkdir -p "$T/pthdir" "$T/pthdir2"
script "pthdir/frompth.py" 'print("via signed pth")'; sign "$T/pthdir/frompth.py"
script "pthdir2/frompth2.py" 'print("VIA UNSIGNED PTH")'; sign "$T/pthdir2/frompth2.py"
echo "$T/pthdir" > "$LIB/good.pth"; sign "$LIB/good.pth"
printf '%s\nimport sys; print("UNSIGNED PTH CODE RAN")\n' "$T/pthdir2" > "$LIB/bad.pth"
script pth.py $'import sys\nimport frompth\ntry:\n    import frompth2\nexcept ImportError:\n    print("unsigned pth ignored")\nprint(sys.path)'
sign "$T/pth.py"
run_spy "$T/pth.py"
check "a signed .pth adds its directory" grep -q "via signed pth" "$OUT"
check "an unsigned .pth has no effect" bash -c "grep -q 'unsigned pth ignored' '$OUT' && ! grep -q 'UNSIGNED PTH' '$OUT'"
log_has "the unsigned .pth is logged as refused" 'e["event"] == "spython.verify" and e["args"]["path"].endswith("bad.pth") and e["decision"] == "deny"'
rm -f "$LIB/good.pth" "$LIB/bad.pth"

# Zip archives.
mkdir -p "$T/z"
printf 'print("zipped module ran")\n' > "$T/z/zipmod.py"
(cd "$T/z" && /usr/bin/python3 -m zipfile -c "$T/signed.zip" zipmod.py)
cp "$T/signed.zip" "$T/unsigned.zip"
sign "$T/signed.zip"
script zip.py $'import sys\nsys.path.insert(0, sys.argv[1])\ntry:\n    import zipmod\nexcept ImportError as e:\n    print("zip refused")'
sign "$T/zip.py"
run_spy "$T/zip.py" "$T/signed.zip"
check "a module in a signed zip imports" grep -q "zipped module ran" "$OUT"
run_spy "$T/zip.py" "$T/unsigned.zip"
check "a module in an unsigned zip does not" bash -c "grep -q 'zip refused' '$OUT' && ! grep -q 'zipped module ran' '$OUT'"

# Extension modules load from a sealed memfd of the verified bytes.
script ext.py $'import _json, sys\nprint("ext", _json.__file__)'
sign "$T/ext.py"
run_spy "$T/ext.py"
check "a signed extension module loads, __file__ is its real path" \
    grep -qF "ext $STDLIB/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so" "$OUT"
log_has "the extension's verification is logged" 'e["event"] == "spython.verify" and e["args"]["kind"] == "extension" and e["decision"] == "allow"'
mkdir -p "$T/extlib"
cp "$STDLIB/lib-dynload/_bz2.cpython-311-x86_64-linux-gnu.so" "$T/extlib/"
setfattr -x "$XATTR" "$T/extlib/_bz2.cpython-311-x86_64-linux-gnu.so" 2>/dev/null
script ext2.py $'import sys\nsys.path.insert(0, sys.argv[1])\ntry:\n    import _bz2\n    print("UNSIGNED EXT LOADED")\nexcept ImportError as e:\n    print("unsigned ext refused")'
sign "$T/ext2.py"
run_spy "$T/ext2.py" "$T/extlib"
check "an unsigned extension module does not load" grep -q "unsigned ext refused" "$OUT"
cat > "$T/ext3.py" <<'PY'
import _imp, sys, importlib.machinery as m
spec = m.ModuleSpec("_bz2", None, origin=sys.argv[1])
try:
    _imp.create_dynamic(spec)
    print("BYPASS LOADED")
except PermissionError as e:
    print("direct create_dynamic refused")
PY
sign "$T/ext3.py"
run_spy "$T/ext3.py" "$T/extlib/_bz2.cpython-311-x86_64-linux-gnu.so"
check "_imp.create_dynamic around the verifying loader is refused" grep -q "direct create_dynamic refused" "$OUT"

cat > "$T/ext4.py" <<'PY'
import _imp, fcntl, os, sys, importlib.machinery as m
fd = os.memfd_create("mine", os.MFD_ALLOW_SEALING)
os.write(fd, open(sys.argv[1], "rb").read())
fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)
try:
    _imp.create_dynamic(m.ModuleSpec("_bz2", None, origin="/proc/self/fd/%d" % fd))
    print("BYPASS LOADED")
except PermissionError:
    print("own memfd refused")
PY
sign "$T/ext4.py"
run_spy "$T/ext4.py" "$T/extlib/_bz2.cpython-311-x86_64-linux-gnu.so"
check "a sealed memfd the script made itself is not a way around verification" grep -q "own memfd refused" "$OUT"

# ctypes.dlopen: only a signed library path.
cp "$STDLIB/lib-dynload/_uuid.cpython-311-x86_64-linux-gnu.so" "$T/libunsigned.so"
setfattr -x "$XATTR" "$T/libunsigned.so" 2>/dev/null
cat > "$T/ct.py" <<'PY'
import ctypes, sys
for lib in (sys.argv[1], "libc.so.6"):
    try:
        ctypes.CDLL(lib)
        print("LOADED", lib)
    except PermissionError as e:
        print("refused", lib)
PY
sign "$T/ct.py"
run_spy "$T/ct.py" "$T/libunsigned.so"
check "ctypes cannot load an unsigned library" grep -q "refused $T/libunsigned.so" "$OUT"
check "ctypes cannot load a library by bare name" grep -q "refused libc.so.6" "$OUT"
sign "$T/libunsigned.so"
run_spy "$T/ct.py" "$T/libunsigned.so"
check "ctypes loads a signed library path" grep -q "LOADED $T/libunsigned.so" "$OUT"

# Audit mode: what would be refused runs, logged would-deny.
write_policy "mode audit"
run_spy "$T/unsigned.py"
check "audit mode runs an unsigned script" grep -q "UNSIGNED RAN" "$OUT"
log_has "audit mode logs would-deny" 'e["event"] == "spython.verify" and e["args"]["path"].endswith("/unsigned.py") and e["decision"] == "would-deny"'
log_has "audit mode logs the unverified script's full text" 'e["event"] == "compile" and "UNSIGNED RAN" in e["args"].get("source", "")'

# user.ima, the name evmctl --xattr-user writes (the stdlib copy carries both).
XATTR=user.ima write_policy
script user.py 'print("user xattr ok")'
"$SIGN" -q -k "$KEYS/ec.pem" --xattr user.ima "$T/user.py"
run_spy "$T/user.py"
check "with xattr user.ima, a user.ima signature is read" grep -q "user xattr ok" "$OUT"
run_spy "$T/good.py"
expect_refusal "with xattr user.ima, a security.ima signature is not" "no signature"
finish
