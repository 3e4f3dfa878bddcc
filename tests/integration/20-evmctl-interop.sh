#!/usr/bin/env bash
# spython-sign and the verifier against evmctl (ima-evm-utils) and openssl, both
# ways: what evmctl signs we verify, what we sign evmctl verifies.
source "$(dirname "$0")/../lib.sh"

X=user.ima                          # evmctl --xattr-user; needs no privilege

if ! command -v evmctl >/dev/null || ! command -v openssl >/dev/null; then
    fail evmctl-present "evmctl and openssl are needed (make deps)"
    finish
    exit
fi

# mkkey NAME OPENSSL-NEWKEY-ARGS...: NAME.key, NAME.pem (certificate), NAME.der.
mkkey() {
    local name=$1; shift
    openssl req -x509 -newkey "$@" -nodes -keyout "$T/$name.key" -out "$T/$name.pem" \
        -subj "/CN=spython $name" -days 2 2>/dev/null &&
    openssl x509 -in "$T/$name.pem" -outform DER -out "$T/$name.der"
}

# xattr FILE: the signature as hex.
xattr() { getfattr --only-values -e hex -n "$X" "$1" 2>/dev/null | xxd -p | tr -d '\n'; }

# ours_ok FILE KEYRING: our verifier accepts FILE and says so.
ours_ok() {
    local out
    out=$("$SIGN" --verify -q -K "$2" --xattr "$X" "$1") && [ "$out" = "" ] &&
    out=$("$SIGN" --verify -K "$2" --xattr "$X" "$1") &&
    printf '%s\n' "$out" | grep -qx "$1: ok"
}

# ours_says FILE KEYRING REASON: our verifier refuses FILE with REASON.
ours_says() {
    local out
    out=$("$SIGN" --verify -K "$2" --xattr "$X" "$1")
    [ $? -eq 1 ] && printf '%s\n' "$out" | grep -qx "$1: $3"
}

evm_ok() { evmctl ima_verify --xattr-user --key "$2" "$1" >/dev/null 2>&1; }

mkkey rsa rsa:2048 || fail keygen-rsa "openssl req failed"
mkkey ec256 ec -pkeyopt ec_paramgen_curve:P-256 || fail keygen-ec256 "openssl req failed"
mkkey ec384 ec -pkeyopt ec_paramgen_curve:P-384 || fail keygen-ec384 "openssl req failed"

n=0
for key in rsa ec256 ec384; do
    for algo in sha256 sha512; do
        n=$((n + 1))
        a=$T/evm-$key-$algo.py; b=$T/spy-$key-$algo.py
        printf 'print("%s %s %d")\n' "$key" "$algo" "$n" > "$a"
        cp "$a" "$b"

        # (1) evmctl signs, we verify: with the PEM and the DER certificate.
        evmctl ima_sign --xattr-user --key "$T/$key.key" -a "$algo" "$a" >/dev/null 2>&1 ||
            fail "evmctl-sign-$key-$algo" "evmctl ima_sign failed"
        check "evmctl-to-ours-$key-$algo-pem" ours_ok "$a" "$T/$key.pem"
        check "evmctl-to-ours-$key-$algo-der" ours_ok "$a" "$T/$key.der"

        # (2) we sign, evmctl verifies.
        check "sign-$key-$algo" "$SIGN" -q -k "$T/$key.key" -a "$algo" --xattr "$X" "$b"
        check "ours-to-evmctl-$key-$algo" evm_ok "$b" "$T/$key.der"
        check "ours-to-ours-$key-$algo" ours_ok "$b" "$T/$key.pem"

        # Same header either way; for RSA (PKCS#1 v1.5 is deterministic) the same bytes.
        ea=$(xattr "$a"); eb=$(xattr "$b")
        if [ "$key" = rsa ]; then
            check "same-bytes-$key-$algo" test -n "$ea" -a "$ea" = "$eb"
        else
            check "same-header-$key-$algo" test -n "$ea" -a "${ea:0:14}" = "${eb:0:14}"
        fi

        # A changed file fails for both verifiers, whoever signed it.
        echo '# tampered' >> "$a"; echo '# tampered' >> "$b"
        check "tampered-ours-$key-$algo" ours_says "$a" "$T/$key.pem" "bad signature"
        check "tampered-evmctl-$key-$algo" eval '! evm_ok "$b" "$T/$key.der"'
    done
done

# Wrong key: trusted keys that did not sign it.
w=$T/wrong.py; echo 'pass' > "$w"
evmctl ima_sign --xattr-user --key "$T/rsa.key" "$w" >/dev/null 2>&1
check wrong-key-unknown ours_says "$w" "$T/ec256.pem" "unknown key"

# A keyring directory holding all three certificates, PEM and DER mixed.
mkdir "$T/keys"; cp "$T/rsa.pem" "$T/ec256.der" "$T/ec384.pem" "$T/keys/"
for key in rsa ec256 ec384; do
    f=$T/dir-$key.py; echo "pass # $key" > "$f"
    evmctl ima_sign --xattr-user --key "$T/$key.key" -a sha384 "$f" >/dev/null 2>&1
done
check keyring-dir "$SIGN" --verify -q -K "$T/keys" --xattr "$X" "$T/dir-rsa.py" "$T/dir-ec256.py" "$T/dir-ec384.py"

# --keyid-from-cert: the key id comes from the Subject Key Identifier, as the
# kernel indexes certificates on its keyrings.
mkkey skid rsa:2048 -addext subjectKeyIdentifier=00112233445566778899aabbccddeeff01020304 ||
    fail keygen-skid "openssl req failed"
openssl pkey -in "$T/skid.key" -pubout -out "$T/skid.pub" 2>/dev/null
s1=$T/skid-evm.py; s2=$T/skid-ours.py
echo 'print("skid")' > "$s1"; cp "$s1" "$s2"
evmctl ima_sign --xattr-user --key "$T/skid.key" --keyid-from-cert "$T/skid.pem" "$s1" >/dev/null 2>&1
check skid-evmctl-header test "$(xattr "$s1" | cut -c7-14)" = 01020304
check skid-evmctl-to-ours ours_ok "$s1" "$T/skid.der"
# The bare public key knows only its computed id: proof the SKID id was used.
check skid-needs-cert ours_says "$s1" "$T/skid.pub" "unknown key"
check skid-sign "$SIGN" -q -k "$T/skid.key" --keyid-from-cert "$T/skid.der" --xattr "$X" "$s2"
check skid-same-bytes test "$(xattr "$s1")" = "$(xattr "$s2")"
check skid-ours-to-ours ours_ok "$s2" "$T/skid.pem"
out=$("$SIGN" -k "$T/skid.key" --keyid-from-cert "$T/rsa.pem" --xattr "$X" "$s2" 2>&1); rc=$?
check skid-cert-mismatch eval '[ $rc -eq 1 ] && [[ $out == *"certificate is not for key"* ]]'
out=$("$SIGN" -k "$T/rsa.key" --keyid-from-cert "$T/rsa.key" --xattr "$X" "$s2" 2>&1); rc=$?
check skid-not-a-cert eval '[ $rc -eq 1 ] && [[ $out == *"holds a private key"* ]] && [[ $out != *"-----"* ]]'

# What evmctl writes that is not a signature we take.
h=$T/hash.py; echo 'pass' > "$h"
evmctl ima_hash --xattr-user -a sha256 "$h" >/dev/null 2>&1
check hash-only-is-no-signature ours_says "$h" "$T/rsa.pem" "no signature"
s=$T/sha1.py; echo 'pass' > "$s"
if evmctl ima_sign --xattr-user --key "$T/rsa.key" -a sha1 "$s" >/dev/null 2>&1; then
    check sha1-refused ours_says "$s" "$T/rsa.pem" "unsupported hash algorithm"
fi
u=$T/unsigned.py; echo 'pass' > "$u"
check unsigned ours_says "$u" "$T/rsa.pem" "no signature"

# security.ima, the real thing, when we may write it.
if [ "$(id -u)" = 0 ]; then
    r=$T/sec.py; echo 'print("security.ima")' > "$r"
    if evmctl ima_sign --key "$T/ec384.key" -a sha512 "$r" >/dev/null 2>&1; then
        check security-ima-evmctl-to-ours "$SIGN" --verify -q -K "$T/ec384.pem" "$r"
        check security-ima-user-is-separate ours_says "$r" "$T/ec384.pem" "no signature"
        check security-ima-ours "$SIGN" -q -k "$T/rsa.key" "$r"
        check security-ima-ours-to-evmctl eval 'evmctl ima_verify --key "$T/rsa.der" "$r" >/dev/null 2>&1'
    else
        pass security-ima-unavailable
    fi
fi

finish
