#!/usr/bin/env bash
# Signing keys: passphrase-protected PEM keys with --pass-file (held to an ssh
# private key's rules) or a prompt on the terminal (no echo, never when
# there is no one at it); the key id from a certificate. No key byte and no
# passphrase ever reaches output.
source "$(dirname "$0")/../lib.sh"

X=user.ima
PASS='correct horse battery staple'
signed() { getfattr --only-values -n "$X" "$1" >/dev/null 2>&1; }
run() {
    "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    out=$(cat "$T/out"); err=$(cat "$T/err")
    cat "$T/out" "$T/err" >> "$T/all"
}
# no_leak: neither the passphrase nor 16 bytes of a key file in all output so far.
no_leak() {
    local all line
    all=$(cat "$T/all")
    [[ $all != *"$PASS"* ]] || return 1
    for k in "$T"/*.key; do
        while read -r line; do
            [ ${#line} -ge 16 ] && [[ $line != -----* ]] && [[ $all == *"${line:0:16}"* ]] && return 1
        done < "$k"
    done
    return 0
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/plain.key" \
    -out "$T/cert.pem" -subj /CN=spython-keys -days 2 \
    -addext subjectKeyIdentifier=0102030405060708090a0b0c0d0e0f1011121314 2>/dev/null ||
    fail keygen "openssl req failed"
openssl pkey -in "$T/plain.key" -aes256 -passout "pass:$PASS" -out "$T/pkcs8.key" 2>/dev/null
openssl genrsa -aes128 -traditional -passout "pass:$PASS" -out "$T/trad.key" 2048 2>/dev/null
openssl pkey -in "$T/trad.key" -passin "pass:$PASS" -pubout -out "$T/trad.pub" 2>/dev/null
mkdir -m 700 "$T/secret"
printf '%s\n' "$PASS" > "$T/secret/pass"; chmod 600 "$T/secret/pass"
printf 'wrong\n' > "$T/secret/wrong"; chmod 600 "$T/secret/wrong"
for f in a b c d e f g h; do echo "print('$f')" > "$T/$f.py"; done

# --- --pass-file ----------------------------------------------------------------
run "$SIGN" -k "$T/pkcs8.key" --pass-file "$T/secret/pass" --xattr "$X" "$T/a.py"
check pass-file-pkcs8 eval '[ $rc -eq 0 ] && signed "$T/a.py"'
check pass-file-verifies "$SIGN" --verify -q -K "$T/cert.pem" --xattr "$X" "$T/a.py"
run "$SIGN" -k "$T/trad.key" --pass-file "$T/secret/pass" --xattr "$X" "$T/b.py"
check pass-file-traditional-rsa eval '[ $rc -eq 0 ] && "$SIGN" --verify -q -K "$T/trad.pub" --xattr "$X" "$T/b.py"'
# A relative name and CRLF line ending work too.
printf '%s\r\n' "$PASS" > "$T/secret/crlf"; chmod 600 "$T/secret/crlf"
run bash -c "cd '$T/secret' && '$SIGN' -k '$T/pkcs8.key' --pass-file crlf --xattr '$X' '$T/c.py'"
check pass-file-relative-crlf eval '[ $rc -eq 0 ] && signed "$T/c.py"'

run "$SIGN" -k "$T/pkcs8.key" --pass-file "$T/secret/wrong" --xattr "$X" "$T/d.py"
check wrong-pass-file eval '[ $rc -eq 1 ] && [ "$err" = "spython-sign: $T/pkcs8.key: cannot decrypt the private key (wrong passphrase?)" ]'
check wrong-pass-file-nothing-signed eval '! signed "$T/d.py"'

chmod 640 "$T/secret/pass"
run "$SIGN" -k "$T/pkcs8.key" --pass-file "$T/secret/pass" --xattr "$X" "$T/d.py"
check pass-file-group-readable-refused eval '[ $rc -eq 1 ] && [[ $err == *"group or others may access it"* ]] && ! signed "$T/d.py"'
chmod 600 "$T/secret/pass"
mkdir -m 777 "$T/open"; cp -p "$T/secret/pass" "$T/open/pass"
run "$SIGN" -k "$T/pkcs8.key" --pass-file "$T/open/pass" --xattr "$X" "$T/d.py"
check pass-file-in-writable-dir-refused eval '[ $rc -eq 1 ] && [[ $err == *"bad ownership or modes"* ]] && ! signed "$T/d.py"'
ln -s "$T/secret/pass" "$T/secret/link"
run "$SIGN" -k "$T/pkcs8.key" --pass-file "$T/secret/link" --xattr "$X" "$T/d.py"
check pass-file-symlink-refused eval '[ $rc -eq 1 ] && [[ $err == *"is a symbolic link"* ]]'
: > "$T/secret/empty"; chmod 600 "$T/secret/empty"
run "$SIGN" -k "$T/pkcs8.key" --pass-file "$T/secret/empty" --xattr "$X" "$T/d.py"
check pass-file-empty-refused eval '[ $rc -eq 1 ] && [[ $err == *"empty passphrase"* ]]'
run "$SIGN" -k "$T/pkcs8.key" --pass-file "$T/secret/missing" --xattr "$X" "$T/d.py"
check pass-file-missing eval '[ $rc -eq 1 ] && [[ $err == *"No such file or directory"* ]]'
run "$SIGN" -k "$T/plain.key" --pass-file "$T/secret/pass" --xattr "$X" "$T/d.py"
check pass-file-unused-for-plain-key eval '[ $rc -eq 0 ] && signed "$T/d.py"'

# --- no passphrase source: a clear refusal, never a hang, never the environment --
run env EVMCTL_KEY_PASSWORD="$PASS" timeout 10 "$SIGN" -k "$T/pkcs8.key" --xattr "$X" "$T/e.py"
check no-terminal-refused eval '[ $rc -eq 1 ] && [[ $err == *"no terminal to ask for its passphrase (use --pass-file)"* ]]'
check environment-ignored eval '! signed "$T/e.py"'

# --- a prompt on the terminal: no echo, three tries -----------------------------
# A pty driver: wait for each prompt, then type; the transcript is what a
# person at the terminal would have seen.
tty_sign() {    # tty_sign ANSWER... -- ARGS...: transcript in $T/tty, status in $rc
    /usr/bin/python3 - "$T/tty" "$@" <<'PY'
import os, pty, sys, time
i = sys.argv.index("--")
answers, argv = sys.argv[2:i], sys.argv[i + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
buf, answered, deadline = b"", 0, time.time() + 20
while time.time() < deadline:
    try:
        chunk = os.read(fd, 4096)
    except OSError:             # EIO: the child is gone
        break
    if not chunk:
        break
    buf += chunk
    # Echo is off before the prompt is written: answer a prompt once it is whole.
    if answered < len(answers) and buf.count(b"Enter passphrase for") > answered \
            and buf.endswith(b": "):
        os.write(fd, answers[answered].encode() + b"\n")
        answered += 1
open(sys.argv[1], "wb").write(buf)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
PY
    rc=$?
    cat "$T/tty" >> "$T/all"
}
tty_sign "$PASS" -- "$SIGN" -k "$T/pkcs8.key" --xattr "$X" "$T/f.py"
check tty-prompt eval '[ $rc -eq 0 ] && grep -q "Enter passphrase for $T/pkcs8.key: " "$T/tty" && signed "$T/f.py"'
check tty-no-echo eval '! grep -qF "$PASS" "$T/tty"'
tty_sign wrong "$PASS" -- "$SIGN" -k "$T/pkcs8.key" --xattr "$X" "$T/g.py"
check tty-second-try eval '[ $rc -eq 0 ] && grep -q "wrong passphrase, try again" "$T/tty" && signed "$T/g.py"'
tty_sign bad worse worst -- "$SIGN" -k "$T/pkcs8.key" --xattr "$X" "$T/h.py"
check tty-three-tries eval '[ $rc -eq 1 ] && [ $(grep -c "Enter passphrase for" "$T/tty") -eq 3 ] && grep -q "cannot decrypt the private key" "$T/tty" && ! signed "$T/h.py"'

# --- the key id from a certificate, with an encrypted key ---------------------------
echo 'pass' > "$T/skid.py"
run "$SIGN" -k "$T/pkcs8.key" --pass-file "$T/secret/pass" --keyid-from-cert "$T/cert.pem" --xattr "$X" "$T/skid.py"
check skid-encrypted-key eval '[ $rc -eq 0 ] && [ "$(getfattr --absolute-names --only-values -n "$X" "$T/skid.py" | xxd -p -s 3 -l 4)" = 11121314 ]'

check nothing-leaked no_leak
finish
