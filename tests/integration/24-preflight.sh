#!/usr/bin/env bash
# Pre-flight: spython-sign --check lists every code file spython would
# refuse, and why, with counts, an exit status, and one JSON document for
# tools; --policy takes everything from a spython policy, as spython would.
source "$(dirname "$0")/../lib.sh"

X=user.ima
run() {
    "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    out=$(cat "$T/out"); err=$(cat "$T/err")
}
# json EXPR: a Python expression over `d`, the parsed --check --json output.
json() {
    /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
        "$T/out" "$1"
}

# A tree with one of each kind of trouble.
D=$T/tree
mkdir -p "$D/pkg/__pycache__" "$D/other"
for f in good.py pkg/__init__.py pkg/__pycache__/m.cpython-311.pyc unsigned.py tampered.py \
         wrongkey.py malformed.py hashonly.py other/x.pth notes.txt; do
    printf '# %s\n' "$f" > "$D/$f"
done
"$SIGN" -q -k "$KEYS/ec.pem" --xattr "$X" "$D/good.py" "$D/pkg" "$D/tampered.py" "$D/other/x.pth" "$D/malformed.py"
"$SIGN" -q -k "$KEYS/untrusted.pem" --xattr "$X" "$D/wrongkey.py"
echo '# changed' >> "$D/tampered.py"
setfattr -n "$X" -v 0x030204deadbeef0004cafe "$D/malformed.py"
evmctl ima_hash --xattr-user -a sha256 "$D/hashonly.py" >/dev/null 2>&1 ||
    setfattr -n "$X" -v 0x0404 "$D/hashonly.py"
ln -s good.py "$D/link.py"
mkfifo "$D/fifo.py"

# --- the listing ------------------------------------------------------------------
run "$SIGN" --check -r -K "$KEYS/trusted" --xattr "$X" "$D"
check check-exit-1 test $rc -eq 1
check lists-unsigned eval 'grep -qx "$D/unsigned.py: no signature" "$T/out"'
check lists-hash-only eval 'grep -qx "$D/hashonly.py: no signature" "$T/out"'
check lists-tampered eval 'grep -qx "$D/tampered.py: bad signature" "$T/out"'
check lists-unknown-key eval 'grep -qx "$D/wrongkey.py: unknown key" "$T/out"'
check lists-malformed eval 'grep -qx "$D/malformed.py: malformed signature" "$T/out"'
check lists-only-refusals eval '[[ $out != *"good.py"* ]] && [[ $out != *"notes.txt"* ]] && [[ $out != *": ok"* ]]'
check summary-line eval 'grep -qx "9 checked: 4 ok, 5 refused, 2 skipped" "$T/out"'
check counts-per-reason eval 'grep -qxE " +2 no signature" "$T/out" && grep -qxE " +1 bad signature" "$T/out" && grep -qxE " +1 unknown key" "$T/out" && grep -qxE " +1 malformed signature" "$T/out"'
check quiet-on-stderr test -z "$err"

run "$SIGN" --check -v -K "$KEYS/trusted" --xattr "$X" "$D"
check verbose-shows-ok eval 'grep -qx "$D/good.py: ok" "$T/out" && [[ $err == *"$D/link.py: skipped (symbolic link)"* ]]'
run "$SIGN" --check -q -K "$KEYS/trusted" --xattr "$X" "$D"
check quiet-refusals-only eval '[ $rc -eq 1 ] && [ $(wc -l < "$T/out") -eq 5 ]'

rm "$D/unsigned.py" "$D/tampered.py" "$D/wrongkey.py" "$D/malformed.py" "$D/hashonly.py"
run "$SIGN" --check -K "$KEYS/trusted" --xattr "$X" "$D"
check all-pass-exit-0 eval '[ $rc -eq 0 ] && [ "$out" = "4 checked: 4 ok, 0 refused, 2 skipped" ]'
# A named file is checked as spython would open it, symlink followed.
run "$SIGN" --check -v -K "$KEYS/trusted" --xattr "$X" "$D/link.py" "$D/fifo.py"
check named-paths eval '[ $rc -eq 1 ] && grep -qx "$D/link.py: ok" "$T/out" && grep -qx "$D/fifo.py: not a regular file" "$T/out"'

# --- JSON, for tools that gate a host on it (names need not be UTF-8) -------------
printf 'x' > "$D/unsigned.py"
name=$(printf '%s/caf\xe9.py' "$D"); printf 'x' > "$name"
run "$SIGN" --check --json -K "$KEYS/trusted" --xattr "$X" "$D"
check json-exit-1 test $rc -eq 1
check json-one-document eval 'json "True" && [ $(wc -l < "$T/out") -eq 1 ] && [ -z "$err" ]'
check json-counts json 'd["checked"] == 6 and d["ok"] == 4 and d["refused"] == 2 and d["skipped"] == 2'
check json-reasons json 'd["reasons"] == {"no signature": 2}'
check json-refusals json 'sorted(r["path"].rsplit("/", 1)[1] for r in d["refusals"]) == ["caf\\u00e9.py".encode().decode("unicode_escape"), "unsigned.py"] and all(r["reason"] == "no signature" for r in d["refusals"])'
chmod 000 "$D/other"
if [ "$(id -u)" != 0 ]; then
    run "$SIGN" --check --json -K "$KEYS/trusted" --xattr "$X" "$D"
    check json-unreadable-dir json 'any(r["reason"] == "unreadable" and r["errno"] == "Permission denied" for r in d["refusals"])'
fi
chmod 755 "$D/other"
rm -f "$D/unsigned.py" "$name"

# --- --policy: keyring, xattr and rules as spython has them ---------------------------
mkdir -p "$T/sp/a/sub" "$T/sp/b"
echo 'x = 1' > "$T/sp/a/sub/m.py"; echo 'y = 1' > "$T/sp/b/n.py"; echo 'z = 1' > "$T/sp/a/bad.py"
sign "$T/sp/a/sub/m.py" "$T/sp/b/n.py"
cat > "$T/policy.conf" <<EOF
keyring $KEYS/trusted
xattr $XATTR
log $T/unused.log
search-path $T/sp/a
search-path $T/sp/a/sub
search-path $T/sp/b
search-path $T/sp/missing
EOF
chmod 644 "$T/policy.conf"
run "$SIGN" --check -v --policy "$T/policy.conf"
check policy-search-path eval '[ $rc -eq 1 ] && grep -qx "$T/sp/a/bad.py: no signature" "$T/out" && grep -qx "$T/sp/b/n.py: ok" "$T/out"'
check policy-nested-once eval '[ $(grep -c "m.py: ok" "$T/out") -eq 1 ] && grep -qx "3 checked: 2 ok, 1 refused, 0 skipped" "$T/out"'
check policy-missing-dir-skipped eval '[[ $err == *"$T/sp/missing: skipped (search-path does not exist)"* ]]'
echo 'require-unwritable yes' >> "$T/policy.conf"
chmod 664 "$T/sp/b/n.py"
run "$SIGN" --check --policy "$T/policy.conf" --user 4242 "$T/sp/b"
check policy-require-unwritable eval '[ $rc -eq 1 ] && [ "$(head -n 1 "$T/out")" = "$T/sp/b/n.py: writable by the running user" ]'
chmod 644 "$T/sp/b/n.py"
chmod 666 "$T/policy.conf"
run "$SIGN" --check --policy "$T/policy.conf"
check policy-untrusted-refused eval '[ $rc -eq 1 ] && [[ $err == *"bad ownership or modes"* ]]'
chmod 644 "$T/policy.conf"

# --- W^X from a service user's point of view --------------------------------------------
if id nobody >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    chown nobody "$T/sp/b/n.py"
    run "$SIGN" --check --require-unwritable --user nobody -K "$KEYS/trusted" --xattr "$XATTR" "$T/sp/b"
    check user-owner-writable eval '[ $rc -eq 1 ] && grep -qx "$T/sp/b/n.py: writable by the running user" "$T/out"'
    run "$SIGN" --check --require-unwritable -K "$KEYS/trusted" --xattr "$XATTR" "$T/sp/b"
    check root-exempt test $rc -eq 0
    chown root "$T/sp/b/n.py"
fi

# --- noexec mounts (root: mount) --------------------------------------------------------
if [ "$(id -u)" = 0 ] && mkdir "$T/nx" && mount -t tmpfs -o noexec,size=1m tmpfs "$T/nx" 2>/dev/null; then
    cp "$T/sp/b/n.py" "$T/nx/n.py"
    sign "$T/nx/n.py"
    run "$SIGN" --check -K "$KEYS/trusted" --xattr "$XATTR" "$T/nx"
    check noexec-refused eval '[ $rc -eq 1 ] && grep -qx "$T/nx/n.py: on a noexec mount" "$T/out"'
    run "$SIGN" --check --exec-check off -K "$KEYS/trusted" --xattr "$XATTR" "$T/nx"
    check noexec-exec-check-off test $rc -eq 0
    umount "$T/nx"
else
    pass "noexec mounts need root (skipped)"
fi

# --- usage ----------------------------------------------------------------------------
run "$SIGN" --check "$D"
check usage-no-trust test $rc -eq 2
run "$SIGN" --check -K "$KEYS/trusted" --policy "$T/policy.conf" "$D"
check usage-two-trust-sources test $rc -eq 2
run "$SIGN" --check --policy "$T/policy.conf" --xattr user.ima "$D"
check usage-policy-and-xattr test $rc -eq 2
run "$SIGN" --check -K "$KEYS/trusted"
check usage-no-path-no-policy test $rc -eq 2
run "$SIGN" --verify --json -K "$KEYS/trusted" "$D"
check usage-json-with-verify test $rc -eq 2
run "$SIGN" --check -k "$KEYS/ec.pem" -K "$KEYS/trusted" "$D"
check usage-key-with-check test $rc -eq 2
run "$SIGN" --check --exec-check sometimes -K "$KEYS/trusted" "$D"
check usage-bad-exec-check eval '[ $rc -eq 2 ] && [[ $err == *"not auto, require or off"* ]]'

finish
