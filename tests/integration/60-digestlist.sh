#!/usr/bin/env bash
# Digest lists: one signed list of sha256 digests stands in for the signatures
# of the files it names. Written by spython-sign --digest-list, named by the
# policy's digest-list directive, verified at start-up like any code file.
source "$(dirname "$0")/../lib.sh"

# mklist LIST PATH...: a list of PATHs signed with the trusted key.
mklist() {
    local list=$1
    shift
    "$SIGN" -q -k "$KEYS/ec.pem" --xattr "$XATTR" --digest-list "$list" "$@"
}

# --- the generator ------------------------------------------------------------
mkdir -p "$T/tree/sub"
printf 'A = 1\n' > "$T/tree/a.py"
printf 'B = 2\n' > "$T/tree/sub/b.py"
printf 'B = 2\n' > "$T/tree/sub/copy.py"
printf 'not code\n' > "$T/tree/notes.txt"
ln -s a.py "$T/tree/link.py"
"$SIGN" -v -k "$KEYS/ec.pem" --xattr "$XATTR" --digest-list "$T/tree.dl" "$T/tree" > "$T/gen.out" 2> "$T/gen.err"
check "the generator succeeds" test $? -eq 0
check "the list carries a signature" bash -c "getfattr -n '$XATTR' '$T/tree.dl' > /dev/null 2>&1"
check "the list is not group or world writable" bash -c "[ \$(stat -c %a '$T/tree.dl') = 644 ]"
check "-v prints what sha256sum prints" bash -c "grep '  $T/tree/' '$T/gen.out' | sha256sum -c --quiet -"
check "files are listed, a symlink and non-code files are not" bash -c \
    "[ \$(grep -c '  $T/tree/' '$T/gen.out') -eq 3 ] && ! grep -q 'link.py\|notes.txt' '$T/gen.out'"
if /usr/bin/python3 - "$T/tree.dl" "$T/tree" <<'PY'
import hashlib, pathlib, sys
data = pathlib.Path(sys.argv[1]).read_bytes()
n = int.from_bytes(data[16:24], "big")
rows = [data[32 + 32 * i:64 + 32 * i] for i in range(n)]
want = sorted({hashlib.sha256(p.read_bytes()).digest()
               for p in pathlib.Path(sys.argv[2]).rglob("*.py") if not p.is_symlink()})
ok = (data[:8] == b"SPYDLST1" and data[8] == 4 and len(data) == 32 + 32 * n
      and rows == want and n == 2)
sys.exit(0 if ok else 1)
PY
then pass "the list holds each distinct digest once, sorted"; else fail "the list holds each distinct digest once, sorted"; fi
"$SIGN" -q --verify -K "$KEYS/trusted" --xattr "$XATTR" "$T/tree.dl" > /dev/null
check "the list's own signature verifies" test $? -eq 0

# --- running through a list ---------------------------------------------------
script listed.py 'import listedmod; print("listed ran", listedmod.VALUE)'
script "lib/listedmod.py" 'VALUE = "from a listed module"'
script unlisted.py 'print("UNLISTED RAN")'
script "lib/unlistedmod.py" 'VALUE = "UNLISTED MODULE"'
script imports-unlisted.py 'import unlistedmod'
script signed.py 'print("signed ran")'; sign "$T/signed.py"
sign "$T/imports-unlisted.py"
mklist "$T/code.dl" "$T/listed.py" "$LIB/listedmod.py"

write_policy "digest-list $T/code.dl"
run_spy "$T/listed.py"
check "a listed script with no signature of its own runs, and imports a listed module" \
    bash -c "[ $RC -eq 0 ] && grep -q 'listed ran from a listed module' '$OUT'"
log_has "the list is verified and logged at start-up" \
    'e["event"] == "spython.verify" and e["args"]["kind"] == "digest-list" and e["args"]["path"].endswith("/code.dl") and e["decision"] == "allow" and len(e["args"]["keyid"]) == 8'
log_has "a file accepted through the list is logged with its digest" \
    'e["event"] == "spython.verify" and e["args"]["path"].endswith("/listed.py") and e["decision"] == "allow" and e["args"]["digest"].startswith("sha256:") and "keyid" not in e["args"]'

run_spy "$T/unlisted.py"
expect_refusal "an unlisted file with no signature is refused" "unlisted.py: .*no signature"
run_spy "$T/imports-unlisted.py"
check "an unlisted module with no signature is not imported" bash -c \
    "[ $RC -ne 0 ] && ! grep -q 'UNLISTED MODULE' '$OUT' && grep -q 'no signature' '$ERR'"
run_spy "$T/signed.py"
check "a file with its own signature still runs when lists are in use" grep -q "signed ran" "$OUT"

cp "$T/listed.py" "$T/listed-orig.py"
printf 'print("TAMPERED")\n' >> "$T/listed.py"
run_spy "$T/listed.py"
expect_refusal "a listed file that was changed is refused" "listed.py: .*no signature"
cp "$T/listed-orig.py" "$T/listed.py"

# --- lists that must not be trusted ---------------------------------------------
cat "$T/code.dl" > "$T/unsigned.dl"     # the same list without its signature
write_policy "digest-list $T/unsigned.dl"
run_spy "$T/listed.py"
expect_refusal "an unsigned list refuses the start" "digest list .*unsigned.dl: no signature"
log_has "the refused list is logged" \
    'e["event"] == "spython.verify" and e["args"]["kind"] == "digest-list" and e["decision"] == "deny"'

"$SIGN" -q -k "$KEYS/untrusted.pem" --xattr "$XATTR" --digest-list "$T/other.dl" "$T/listed.py" "$LIB/listedmod.py"
write_policy "digest-list $T/other.dl"
run_spy "$T/listed.py"
expect_refusal "a list signed by an unknown key refuses the start" "digest list .*: unknown key"

cat "$T/code.dl" > "$T/tampered.dl"
sign "$T/tampered.dl"
printf '\xff' | dd of="$T/tampered.dl" bs=1 seek=40 conv=notrunc status=none
write_policy "digest-list $T/tampered.dl"
run_spy "$T/listed.py"
expect_refusal "a list changed after signing refuses the start" "digest list .*: bad signature"

printf 'print("a signed script is not a list")\n' > "$T/notalist.dl"
sign "$T/notalist.dl"
write_policy "digest-list $T/notalist.dl"
run_spy "$T/listed.py"
expect_refusal "a signed file that is not a list refuses the start" "not a digest list"

chmod 664 "$T/code.dl"
write_policy "digest-list $T/code.dl"
run_spy "$T/listed.py"
expect_refusal "a group-writable list refuses the start" "code.dl: bad ownership or modes"
chmod 644 "$T/code.dl"

write_policy "digest-list relative.dl"
run_spy "$T/listed.py"
expect_refusal "a relative digest-list path is a policy error" "not an absolute path"

# A list vouches for code, never for another list: each carries its own signature.
cat "$T/unsigned.dl" > "$T/inner.dl"
mklist "$T/outer.dl" "$T/inner.dl"
write_policy "digest-list $T/outer.dl" "digest-list $T/inner.dl"
run_spy "$T/listed.py"
expect_refusal "a list named by another list still needs its own signature" "inner.dl: no signature"

# Audit mode: a list that fails is logged and ignored, nothing is trusted through it.
write_policy "mode audit" "digest-list $T/unsigned.dl"
run_spy "$T/listed.py"
check "in audit mode a bad list does not stop the start" grep -q "listed ran" "$OUT"
log_has "in audit mode the bad list is a would-deny" \
    'e["event"] == "spython.verify" and e["args"]["kind"] == "digest-list" and e["decision"] == "would-deny"'
log_has "in audit mode files are not accepted through an unverified list" \
    'e["event"] == "spython.verify" and e["args"]["path"].endswith("/listed.py") and e["decision"] == "would-deny"'

finish
