#!/usr/bin/env bash
# Fixtures for `make bench`: keys; one signed copy of the system stdlib carrying
# an ECDSA-P256 signature in security.ima and an RSA-2048 one in user.ima; the
# workloads signed both ways; one digest list over both; python3 set up to run
# on the same copy; one policy per benchmark binary (mk/bench.mk).
set -eu
: "${BUILD:?}"
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$BUILD/bench
SIGN=$BUILD/spython-sign
k=$B/keys
mkdir -p "$k/ec" "$k/rsa" "$B/log"
chmod 755 "$B" "$k" "$k/ec" "$k/rsa"
if [ ! -f "$k/ec.pem" ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$k/ec.pem" 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k/rsa.pem" 2>/dev/null
    openssl pkey -in "$k/ec.pem" -pubout -out "$k/ec/ec.pub" 2>/dev/null
    openssl pkey -in "$k/rsa.pem" -pubout -out "$k/rsa/rsa.pub" 2>/dev/null
fi
if [ ! -f "$B/stdlib.stamp" ] || [ "$SIGN" -nt "$B/stdlib.stamp" ]; then
    SIGN=$SIGN "$SRC/tests/mkstdlib.sh" "$B/stdlib" "$k/ec.pem" security.ima
    "$SIGN" -q -k "$k/rsa.pem" --xattr user.ima "$B/stdlib" >/dev/null
    touch "$B/stdlib.stamp"
fi
rm -rf "$B/work"
mkdir -p "$B/work"
cp "$SRC"/bench/workloads/*.py "$B/work/"
"$SIGN" -q -k "$k/ec.pem" --xattr security.ima "$B/work" >/dev/null
"$SIGN" -q -k "$k/rsa.pem" --xattr user.ima "$B/work" >/dev/null
head -c 4096 /dev/urandom > "$B/work/data.bin"
mkdir -p "$B/list"
chmod 755 "$B/list"
# Unless -q, the generator's last line is the policy line that pins the list.
pin=$("$SIGN" -k "$k/ec.pem" --xattr security.ima --digest-list "$B/list/code.dl" "$B/stdlib" "$B/work" |
      grep '^digest-list ')

# The baseline: Debian's own python3 binary, copied into a prefix whose
# lib/python3.X is the signed copy (getpath finds the stdlib next to the
# binary; -I keeps the environment out), so both read the same files.
pyver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
mkdir -p "$B/py/bin" "$B/py/lib"
cmp -s "/usr/bin/python$pyver" "$B/py/bin/python3" || cp "/usr/bin/python$pyver" "$B/py/bin/python3"
ln -sfn ../../stdlib "$B/py/lib/python$pyver"

# policy NAME KEYDIR XATTR [EXTRA...]
policy() {
    local name=$1 keys=$2 xattr=$3
    shift 3
    mkdir -p "$B/$name"
    chmod 755 "$B/$name"
    {
        echo "keyring $keys"
        echo "xattr $xattr"
        echo "log $B/log/$name.jsonl"
        echo "search-path $B/stdlib"
        echo "search-path $B/stdlib/lib-dynload"
        for l in "$@"; do echo "$l"; done
    } > "$B/$name/policy.conf"
    chmod 644 "$B/$name/policy.conf"
}
policy ec "$k/ec" security.ima
policy rsa "$k/rsa" user.ima
policy list "$k/ec" security.ima "digest-list $B/list/code.dl"
policy pin "$k/ec" security.ima "$pin"
# Benchmark 5: the policy engine's rule set when it ships one, else 100 deny
# rules for events that never happen (each event is checked against all).
if [ -x "$SRC/bench/policy-rules.sh" ] && rules=$("$SRC/bench/policy-rules.sh" --rules 100 2>/dev/null); then
    :
else
    rules=$(for i in $(seq 1 100); do echo "deny bench.never.$i"; done)
fi
mapfile -t rules <<< "$rules"
policy rules "$k/ec" security.ima "$pin" "${rules[@]}"
