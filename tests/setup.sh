#!/usr/bin/env bash
# Test fixtures shared by all scenarios: keys and a signed stdlib copy.
set -eu
: "${BUILD:?}"
k=$BUILD/t/keys
mkdir -p "$k/trusted" "$k/other"
chmod 755 "$BUILD/t" "$k" "$k/trusted" "$k/other"
if [ ! -f "$k/ec.pem" ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$k/ec.pem" 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k/rsa.pem" 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$k/untrusted.pem" 2>/dev/null
    openssl req -new -x509 -key "$k/ec.pem" -subj /CN=spython-test-ec -days 3650 -out "$k/trusted/ec.crt" 2>/dev/null
    openssl pkey -in "$k/rsa.pem" -pubout -out "$k/trusted/rsa.pub" 2>/dev/null
    openssl pkey -in "$k/untrusted.pem" -pubout -out "$k/other/untrusted.pub" 2>/dev/null
fi
stamp=$BUILD/t/stdlib.stamp
if [ ! -f "$stamp" ] || [ "$BUILD/spython-sign" -nt "$stamp" ]; then
    SIGN=$BUILD/spython-sign "$(dirname "$0")/mkstdlib.sh" "$BUILD/t/stdlib" "$k/ec.pem" security.ima user.ima
    touch "$stamp"
fi
