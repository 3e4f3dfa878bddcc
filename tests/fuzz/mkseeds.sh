#!/usr/bin/env bash
# mkseeds.sh BUILD: (re)make the seed corpora in tests/fuzz/corpus/ with
# BUILD/spython-sign and the fuzz-only keys in tests/fuzz/keys (throwaway keys
# made for this purpose; nothing trusts them outside the fuzzers). Run as root
# (security.ima) after changing the input format of a target. The output is
# committed; the fuzzers do not need this script at run time.
set -eu
build=${1:?usage: mkseeds.sh BUILD}
here=$(cd "$(dirname "$0")" && pwd)
sign=$build/spython-sign
keys=$here/keys
c=$here/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$c/fuzz_sig" "$c/fuzz_verify" "$c/fuzz_policy" "$c/fuzz_json" "$c/fuzz_keyring"

xattr_of() { getfattr --absolute-names --only-values -n security.ima "$1"; }

# fuzz_verify input: 2-byte big-endian xattr length, xattr, data.
verify_seed() {
    local x=$1 data=$2 out=$3 n
    n=$(stat -c %s "$x")
    printf "\\x$(printf %02x $((n >> 8)))\\x$(printf %02x $((n & 255)))" > "$out"
    cat "$x" "$data" >> "$out"
}

printf 'print("hello")\n' > "$tmp/a.py"
printf '' > "$tmp/empty.py"
head -c 3000 /dev/urandom > "$tmp/random.bin"
for key in ec rsa; do
    for algo in sha256 sha384 sha512 sha224; do
        for f in a.py empty.py random.bin; do
            "$sign" -q -k "$keys/$key.pem" -a "$algo" "$tmp/$f"
            xattr_of "$tmp/$f" > "$c/fuzz_sig/$key-$algo-${f%.*}"
            verify_seed "$c/fuzz_sig/$key-$algo-${f%.*}" "$tmp/$f" "$c/fuzz_verify/$key-$algo-${f%.*}"
        done
    done
done
"$sign" -q -k "$keys/ec.pem" --keyid-from-cert "$keys/trusted/ec.crt" "$tmp/a.py"
xattr_of "$tmp/a.py" > "$c/fuzz_sig/ec-skid"
verify_seed "$c/fuzz_sig/ec-skid" "$tmp/a.py" "$c/fuzz_verify/ec-skid"
# Someone else's signature over other bytes, and no signature at all.
verify_seed "$c/fuzz_sig/rsa-sha256-a" "$tmp/random.bin" "$c/fuzz_verify/mismatch"
printf '\x00\x00print(1)\n' > "$c/fuzz_verify/no-xattr"

printf '\x04\x04aabbccdd' > "$c/fuzz_sig/hash-only"
printf '\x03\x02\x04' > "$c/fuzz_sig/short-header"
printf '\x03\x02\xee\x01\x02\x03\x04\x00\x01\x30' > "$c/fuzz_sig/unknown-algo"
printf '\x03\x02\x01\x01\x02\x03\x04\x00\x01\x30' > "$c/fuzz_sig/md5"
printf '\x03\x02\x04\x01\x02\x03\x04\x04\x01\x30' > "$c/fuzz_sig/size-too-big"
printf '\x03\x01\x04\x01\x02\x03\x04\x00\x01\x30' > "$c/fuzz_sig/v1"

k=$c/fuzz_keyring
cp "$keys/trusted/ec.crt" "$keys/trusted/rsa.pub" "$k/"
cat "$keys/trusted/ec.crt" "$keys/trusted/rsa.pub" > "$k/two-keys.pem"
openssl x509 -in "$keys/trusted/ec.crt" -outform DER -out "$k/ec.der"
openssl pkey -pubin -in "$keys/trusted/rsa.pub" -outform DER -out "$k/rsa.der"
cp "$keys/ec.pem" "$k/private.pem"
printf -- '-----BEGIN SOMETHING ELSE-----\nAAAA\n-----END SOMETHING ELSE-----\n' > "$k/other-label.pem"

p=$c/fuzz_policy
cat > "$p/full" <<'EOF'
# spython policy
keyring /etc/spython/keys
  keyring	/etc/spython/extra.pem   # trailing comment
xattr user.ima
log /var/log/spython/audit.jsonl
search-path /usr/lib/python3.11
search-path /usr/lib/python3.11/lib-dynload
search-path /opt/app#1
deny os.system
deny ctypes.dlopen
mode audit
max-file-size 64M
EOF
printf 'keyring /k\r\nlog /l\r\nsearch-path /s\r\nmode enforce\r\nmax-file-size 4G' > "$p/crlf"
printf 'xattr security.ima\nxattr user.ima\n' > "$p/twice"
printf 'max-file-size 99999999999999999999K\n' > "$p/size-overflow"
printf 'max-file-size 0\nmax-file-size 1\n' > "$p/size-zero"
printf 'log relative/path\n' > "$p/relative"
printf 'keyring /\xc3\xa9t\xc3\xa9\ndeny \xff\n' > "$p/utf8"
printf 'log /a\x00b\n' > "$p/nul"
printf 'frobnicate yes\n' > "$p/unknown"
printf 'deny a b c d e f\n' > "$p/too-many-args"
printf 'mode\n' > "$p/missing-arg"
printf 'xattr trusted.\n' > "$p/bad-xattr"
head -c 5000 /dev/zero | tr '\0' a > "$p/long-line"

j=$c/fuzz_json
printf 'plain ascii text, nothing to escape at all' > "$j/ascii"
printf 'quote" backslash\\ tab\t nl\n cr\r bs\b ff\f nul\x00 del\x7f' > "$j/escapes"
printf 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8 \xe2\x80\xa9' > "$j/utf8"
printf '\xc0\xaf \xe0\x80\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xf8\x88\x80\x80\x80 \x80 \xc3' > "$j/invalid"
printf '\xff\xfe\xfd 01234567\xe2\x82' > "$j/truncated"
printf '\x00\xd8\x00\x00\xdc\x00\x00\x00\x11\x28\x20\x00\x22\x00\x00' > "$j/codepoints"
# fuzz_rules: rule lines, NUL, then event, path, cwd, host, exe, module,
# lib, global and a flags byte, NUL-separated.
r=$c/fuzz_rules
mkdir -p "$r"
rules='search-path /lib
allow subprocess.Popen exe=/bin/true
deny subprocess.Popen
kill os.system
deny open path=/etc/* access=write
deny socket.connect addr=127.0.0.0/8:2000-2010
deny import module=xml module=ctypes
deny pickle.find_class global=os:system global=*:*.*
deny marshal.loads origin=unverified
allow-write /tmp /var/tmp/x
allow-connect 127.0.0.1:1-1000 [::1]:53 /run/x.sock @abstract name.example:443
allow-bind 127.0.0.1:0
allow-lookup localhost *.example.org
allow-exec /bin/true /bin/echo
allow-event open import
module netpkg allow-exec /bin/echo
module spawner deny subprocess.Popen'
seed() { local name=$1; shift; { printf '%s\0' "$rules"; printf '%b\0' "$@"; } > "$r/$name"; }
seed open open /etc/passwd / "" "" "" "" "" "!"
seed open-rel open ../../etc/./shadow /var/lib/x "" "" "" "" "" " "
seed connect socket.connect "" / 127.0.0.1 "" "" "" "" "\x02"
seed connect6 socket.connect "" / "::ffff:10.0.0.1%eth0" "" "" "" "" "\x02"
seed lookup socket.getaddrinfo "" / WWW.Example.ORG. "" "" "" "" "\x08"
seed popen subprocess.Popen "" /tmp "" ./bin/../true "" "" "" "\x10"
seed import import "" / "" "" xml.dom "" "" "\xff"
seed pickle pickle.find_class "" / "" "" "" "" posixpath:os.system "@"
seed marshal marshal.loads "" / "" "" "" "" "" "\xc0"
cat "$here/../../policy/default.conf" > "$r/default"
printf '\0import\0\0/\0\0\0ctypes\0\0\0\377' >> "$r/default"

# fuzz_audit: real logs, one of them sealed with the fuzzer's key. Needs
# BUILD/test-spython and its fixtures (tests/setup.sh).
a=$c/fuzz_audit
mkdir -p "$a"
(
    BUILD=$(cd "$build" && pwd)
    source "$here/../lib.sh"
    printf 'spython fuzz sealing key 0123456' > "$T/seal.key"
    chmod 600 "$T/seal.key"
    cat > "$T/seed.py" <<'PY'
import os, sys, threading
sys.audit("t.strings", "\udc80", "nul\x00", "<xfuzz>", b"\xff")
exec("x = 40 + 2")
exec("#" + "y" * 40000)
try:
    os.system("true")
except PermissionError:
    pass
t = threading.Thread(target=lambda: sys.audit("t.thread"))
t.start(); t.join()
pid = os.fork()
if pid == 0:
    sys.audit("t.child")
    os._exit(0)
os.waitpid(pid, 0)
PY
    sign "$T/seed.py"
    for kind in plain sealed; do
        if [ $kind = sealed ]; then write_policy "log-seal-key $T/seal.key"; else write_policy "deny os.system"; fi
        : > "$LOG"
        "$SPY" "$T/seed.py" > /dev/null 2>&1
        # Whole lines, up to 120000 bytes: mutations are cut to -max_len (65536).
        awk '{ n += length($0) + 1; if (n > 120000) exit; print }' "$LOG" > "$a/$kind"
    done
    head -c 3000 "$a/plain" > "$a/torn"
    tail -n 40 "$a/plain" > "$a/tail"
    grep -v '"t.thread"' "$a/plain" > "$a/deleted-line"
)

echo "seeds in $c"
