#!/usr/bin/env bash
# spython-sign as a user runs it: usage, key handling, directory walks, exit codes.
source "$(dirname "$0")/../lib.sh"

X=user.ima

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.key" -out "$T/k.pem" \
    -subj /CN=spython-sign -days 2 2>/dev/null || fail keygen "openssl req failed"

signed() { getfattr --only-values -n "$X" "$1" >/dev/null 2>&1; }
unsigned() { ! signed "$1"; }

# run CMD...: sets $rc, $out (stdout) and $err (stderr).
run() {
    "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    out=$(cat "$T/out"); err=$(cat "$T/err")
}

# --- usage -----------------------------------------------------------------
run "$SIGN"
check usage-no-args eval '[ $rc -eq 2 ] && [[ $err == *"usage: spython-sign"* ]]'
run "$SIGN" --help
check usage-help eval '[ $rc -eq 0 ] && [[ $out == *"usage: spython-sign"* ]] && [ -z "$err" ]'
run "$SIGN" -k "$T/k.key"
check usage-no-path eval '[ $rc -eq 2 ]'
run "$SIGN" "$T/k.pem"
check usage-no-key eval '[ $rc -eq 2 ]'
run "$SIGN" --bogus -k "$T/k.key" "$T/k.pem"
check usage-bad-option eval '[ $rc -eq 2 ]'
run "$SIGN" -a md5 -k "$T/k.key" "$T/k.pem"
check usage-md5 eval '[ $rc -eq 2 ] && [[ $err == *"unsupported hash algorithm: md5"* ]]'
run "$SIGN" -a sha1 -k "$T/k.key" "$T/k.pem"
check usage-sha1 eval '[ $rc -eq 2 ]'
run "$SIGN" --verify "$T/k.pem"
check usage-verify-no-keyring eval '[ $rc -eq 2 ]'
run "$SIGN" --verify -K "$T/k.pem" -k "$T/k.key" "$T/k.pem"
check usage-verify-with-key eval '[ $rc -eq 2 ]'

# --- keys ------------------------------------------------------------------
echo 'pass' > "$T/one.py"
run "$SIGN" -k "$T/missing.key" --xattr "$X" "$T/one.py"
check key-missing eval '[ $rc -eq 1 ] && [ "$err" = "spython-sign: $T/missing.key: No such file or directory" ]'

# A damaged key: the message names the file and quotes none of it.
head -c 600 "$T/k.key" > "$T/cut.key"
run "$SIGN" -k "$T/cut.key" --xattr "$X" "$T/one.py"
check key-damaged eval '[ $rc -eq 1 ] && [[ $err == *"$T/cut.key: "* ]] && [ $(printf "%s\n" "$err" | wc -l) -eq 1 ]'
leak=0
while read -r line; do
    [ ${#line} -ge 16 ] && [[ $err == *"${line:0:16}"* ]] && leak=1
done < "$T/cut.key"
check key-damaged-no-bytes test $leak -eq 0
check key-damaged-nothing-signed unsigned "$T/one.py"

openssl pkey -in "$T/k.key" -aes256 -passout pass:secret -out "$T/enc.key" 2>/dev/null
run timeout 10 "$SIGN" -k "$T/enc.key" --xattr "$X" "$T/one.py"
check key-encrypted-no-prompt eval '[ $rc -eq 1 ] && [[ $err == *"no unencrypted PEM private key"* ]]'
run "$SIGN" -k "$T/k.pem" --xattr "$X" "$T/one.py"
check key-certificate-is-not-a-key eval '[ $rc -eq 1 ]'
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/small.key" 2>/dev/null
run "$SIGN" -k "$T/small.key" --xattr "$X" "$T/one.py"
check key-rsa1024-refused eval '[ $rc -eq 1 ] && [[ $err == *"unsupported key: RSA key of 1024 bits"* ]]'
openssl genpkey -algorithm ED25519 -out "$T/ed.key" 2>/dev/null
run "$SIGN" -k "$T/ed.key" --xattr "$X" "$T/one.py"
check key-ed25519-refused eval '[ $rc -eq 1 ] && [[ $err == *"unsupported key"* ]]'
check key-refused-nothing-signed unsigned "$T/one.py"

# --- a directory walk ------------------------------------------------------
D=$T/tree
mkdir -p "$D/pkg/sub" "$D/.hidden"
for f in a.py b.pyc c.pth d.so e.zip pkg/__init__.py pkg/sub/deep.py .hidden/h.py; do
    printf 'content of %s\n' "$f" > "$D/$f"
done
for f in f.txt g.so.1 h.pyx README py pkg/data.json; do
    printf 'content of %s\n' "$f" > "$D/$f"
done
chmod 0640 "$D/a.py"; chmod 0755 "$D/d.so"
touch -d '2001-02-03 04:05:06' "$D/a.py" "$D/d.so"
ln -s a.py "$D/link.py"
ln -s ../a.py "$D/pkg/uplink.py"
mkfifo "$D/fifo.py"

# snapshot: content hash, mode and mtime (ns) of every regular file
snapshot() { find "$D" -type f -printf '%p %m %T@\n' | sort; find "$D" -type f -exec sha256sum {} + | sort; }
before=$(snapshot)

run timeout 20 "$SIGN" -k "$T/k.key" --xattr "$X" "$D"
check walk-exit-0 test $rc -eq 0
want="a.py b.pyc c.pth d.so e.zip pkg/__init__.py pkg/sub/deep.py .hidden/h.py"
ok=1
for f in $want; do signed "$D/$f" || { ok=0; echo "  not signed: $f"; }; done
check walk-signs-code-files test $ok -eq 1
ok=1
for f in f.txt g.so.1 h.pyx README py pkg/data.json; do
    signed "$D/$f" && { ok=0; echo "  signed: $f"; }
done
check walk-skips-other-files test $ok -eq 1
check walk-one-line-per-file test "$(printf '%s\n' "$out" | grep -c '^signed ')" -eq 8
check walk-line-format eval 'printf "%s\n" "$out" | grep -qx "signed $D/pkg/sub/deep.py"'
check walk-summary eval 'printf "%s\n" "$out" | tail -n 1 | grep -qx "8 signed, 0 unchanged, 3 skipped, 0 failed"'
check walk-quiet-about-skips test -z "$err"
check walk-symlinks-skipped eval '[[ $out != *link.py* ]]'
check walk-content-mode-mtime-unchanged test "$before" = "$(snapshot)"
check walk-mtime-kept test "$(stat -c %Y "$D/a.py")" = "$(date -d '2001-02-03 04:05:06' +%s)"

run "$SIGN" -v -q -k "$T/k.key" --xattr "$X" "$D"
check walk-quiet test -z "$out"
check walk-verbose-skips eval '[[ $err == *"$D/link.py: skipped (symbolic link)"* ]] && [[ $err == *"$D/fifo.py: skipped (not a regular file)"* ]]'

run "$SIGN" --verify -K "$T/k.pem" --xattr "$X" "$D"
check verify-tree-ok eval '[ $rc -eq 0 ] && [[ $out == *"$D/pkg/__init__.py: ok"* ]] && [[ $out == *"8 verified, 0 failed"* ]]'
echo '# changed' >> "$D/pkg/sub/deep.py"
run "$SIGN" --verify -K "$T/k.pem" --xattr "$X" "$D"
check verify-tree-tampered eval '[ $rc -eq 1 ] && [[ $out == *"$D/pkg/sub/deep.py: bad signature"* ]] && [[ $out == *"7 verified, 1 failed"* ]]'
run "$SIGN" --verify -q -K "$T/k.pem" --xattr "$X" "$D"
check verify-quiet-shows-failures-only eval '[ $rc -eq 1 ] && [ "$out" = "$D/pkg/sub/deep.py: bad signature" ]'

# --- paths named on the command line -----------------------------------------
run "$SIGN" -q -k "$T/k.key" --xattr "$X" "$D/README"
check named-file-any-suffix eval '[ $rc -eq 0 ] && signed "$D/README"'
run "$SIGN" -k "$T/k.key" --xattr "$X" "$D/link.py"
check named-symlink-refused eval '[ $rc -eq 1 ] && [[ $err == *"$D/link.py: is a symbolic link"* ]]'
run timeout 10 "$SIGN" -k "$T/k.key" --xattr "$X" "$D/fifo.py"
check named-fifo-refused eval '[ $rc -eq 1 ] && [[ $err == *"$D/fifo.py: not a regular file"* ]]'
run "$SIGN" --verify -K "$T/k.pem" --xattr "$X" "$D/link.py"
check verify-follows-named-symlink eval '[ $rc -eq 0 ] && [[ $out == *"$D/link.py: ok"* ]]'

# One failure among successes: the rest is still signed, the exit status says so.
echo 'pass' > "$T/two.py"; echo 'pass' > "$T/three.py"
run "$SIGN" -k "$T/k.key" --xattr "$X" "$T/two.py" "$T/nonexistent.py" "$T/three.py"
check partial-failure-exit-1 test $rc -eq 1
check partial-failure-others-signed eval 'signed "$T/two.py" && signed "$T/three.py"'
check partial-failure-message eval '[[ $err == *"spython-sign: $T/nonexistent.py: No such file or directory"* ]]'
check partial-failure-summary eval '[[ $out == *"2 signed, 0 unchanged, 0 skipped, 1 failed"* ]]'

# Hash algorithm and EC keys from the tool's side.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$T/p521.key" 2>/dev/null
openssl pkey -in "$T/p521.key" -pubout -out "$T/p521.pub" 2>/dev/null
echo 'pass' > "$T/four.py"
check ec-p521-sha384 "$SIGN" -q -k "$T/p521.key" -a sha384 --xattr "$X" "$T/four.py"
check ec-p521-algo-in-header test "$(getfattr --only-values -n "$X" "$T/four.py" 2>/dev/null | xxd -p -l 3)" = 030205
check ec-p521-verifies "$SIGN" --verify -q -K "$T/p521.pub" --xattr "$X" "$T/four.py"

finish
