#!/usr/bin/env bash
# OpenSSL only when a signature must be checked (issue 6): the keyring is read
# at start-up and decoded by the crypto back end (carried inside spython,
# loaded from a sealed memfd) on the first signature; a digest list the
# policy pins by its sha256 is trusted without any signature check, so a run
# covered by pinned lists never loads libcrypto. Attacks: a stale or swapped
# pinned list, a malformed pin, a broken keyring, a back end planted on disk.
source "$(dirname "$0")/../lib.sh"

# What the process has mapped, from the script itself.
MAPS='import sys
maps = open("/proc/self/maps").read()
print("libcrypto", "libcrypto.so" in maps)
print("backend", "spython-crypto" in maps)
print("args", sys.argv[1:])'

# --- spython-sign prints the pin -----------------------------------------------
script maps.py "$MAPS"
"$SIGN" -k "$KEYS/ec.pem" --xattr "$XATTR" --digest-list "$T/all.dl" "$STDLIB" "$T/maps.py" > "$T/gen.out" 2> "$T/gen.err"
check "the generator succeeds" test $? -eq 0
pin=$(grep '^digest-list ' "$T/gen.out")
want="digest-list $T/all.dl sha256:$(sha256sum "$T/all.dl" | cut -d' ' -f1)"
check "spython-sign prints the policy line that pins the list" test "$pin" = "$want"

# --- a run covered by a pinned list loads no crypto at all ----------------------
write_policy "$pin"
run_spy "$T/maps.py" one 'two words'
check "a pinned list lets an unsigned listed script run, with its arguments" \
    bash -c "[ $RC -eq 0 ] && grep -qx \"args \\['one', 'two words'\\]\" '$OUT'"
check "nothing in that run mapped libcrypto" grep -qx "libcrypto False" "$OUT"
check "nor the crypto back end" grep -qx "backend False" "$OUT"
log_has "the pinned list is logged as verified, by its digest, without a key id" \
    'e["event"] == "spython.verify" and e["args"]["kind"] == "digest-list" and e["decision"] == "allow" and e["args"]["digest"] == "sha256:'"${pin##*sha256:}"'" and "keyid" not in e["args"]'

# The pin alone decides: the list's own signature is neither needed nor enough.
cp "$T/all.dl" "$T/unsigned.dl"
write_policy "digest-list $T/unsigned.dl ${pin##* }"
run_spy "$T/maps.py"
check "an unsigned list with the right content runs under its pin" bash -c "[ $RC -eq 0 ]"

# --- attacks on the pin ----------------------------------------------------------
script other.py 'print("OTHER RAN")'
"$SIGN" -q -k "$KEYS/ec.pem" --xattr "$XATTR" --digest-list "$T/all.dl" "$STDLIB" "$T/maps.py" "$T/other.py"
write_policy "$pin"
run_spy "$T/other.py"
expect_refusal "a list re-made and re-signed after pinning is refused: the pin is stale" \
    "all.dl: differs from the digest the policy pins"
check "and nothing ran" bash -c "! grep -q 'OTHER RAN' '$OUT'"
log_has "the stale list is logged as denied" \
    'e["event"] == "spython.verify" and e["args"]["path"].endswith("/all.dl") and e["decision"] == "deny" and e["reason"] == "differs from the digest the policy pins"'

for bad in "sha256:${pin: -64:63}" "sha256:${pin: -64}0" "sha512:${pin: -64}" "${pin: -64}" \
           "sha256:$(echo "${pin: -64}" | tr a-f A-F)"; do
    write_policy "digest-list $T/unsigned.dl $bad"
    run_spy "$T/maps.py"
    expect_refusal "a malformed pin ('${bad:0:12}...') is a policy error" "pin must be sha256:"
done

# --- without a pin: the back end loads on the first signature --------------------
sign "$T/maps.py"
write_policy
run_spy "$T/maps.py"
check "a signed script runs with the back end loaded" \
    bash -c "[ $RC -eq 0 ] && grep -qx 'backend True' '$OUT' && grep -qx 'libcrypto True' '$OUT'"
script where.py 'maps = open("/proc/self/maps").read().splitlines()
print(sorted({l.split(None, 5)[-1] for l in maps if "spython-crypto" in l}))'
sign "$T/where.py"
run_spy "$T/where.py"
check "the back end's mapping is the memfd" grep -qx "\['/memfd:spython-crypto (deleted)'\]" "$OUT"

# A back end planted where a build or install might look is never used.
mkdir -p "$T/plant"
printf 'garbage' > "$T/plant/spython-crypto.so"
(cd "$T/plant" && LD_LIBRARY_PATH="$T/plant" "$SPY" "$T/maps.py" > "$T/plant.out" 2>&1)
check "a planted spython-crypto.so in cwd or LD_LIBRARY_PATH changes nothing" \
    grep -qx "backend True" "$T/plant.out"

# --- a keyring that cannot be decoded refuses, with its reason -------------------
mkdir -p "$T/badkeys"
cp "$KEYS/trusted/"* "$T/badkeys/"
printf -- '-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n' > "$T/badkeys/zz-bad.pem"
chmod 644 "$T/badkeys/"*
sed -i "s|^keyring .*|keyring $T/badkeys|" "$POLICY"
run_spy "$T/maps.py"
expect_refusal "a key file that does not decode refuses the signed script, naming the file" \
    "maps.py: keyring unusable: $T/badkeys/zz-bad.pem: bad PEM data"
log_has "the refusal is logged with the verdict" \
    'e["event"] == "spython.verify" and e["args"]["path"].endswith("/maps.py") and e["decision"] == "deny" and e["reason"] == "keyring unusable"'

# The same broken keyring does not matter to a run that needs no key: the
# list made again over the same files has the pinned content again.
"$SIGN" -q -k "$KEYS/ec.pem" --xattr "$XATTR" --digest-list "$T/all.dl" "$STDLIB" "$T/maps.py"
echo "$pin" >> "$POLICY"
run_spy "$T/maps.py"
check "a run covered by a pinned list never decodes the keyring" \
    bash -c "[ $RC -eq 0 ] && grep -qx 'libcrypto False' '$OUT'"

# --- spython-sign --check answers as spython does under the policy's lists ------
script listed.py 'print("LISTED RAN")'
script unlisted.py 'print("UNLISTED RAN")'
"$SIGN" -k "$KEYS/ec.pem" --xattr "$XATTR" --digest-list "$T/chk.dl" "$T/listed.py" > "$T/chk.out" 2>&1
cpin=$(grep '^digest-list ' "$T/chk.out")
for how in pinned signed; do
    if [ $how = pinned ]; then write_policy "$cpin"; else write_policy "digest-list $T/chk.dl"; fi
    "$SIGN" --check --policy "$POLICY" "$T/listed.py" "$T/unlisted.py" > "$T/check.out" 2>&1
    CRC=$?
    check "--check --policy, $how list: the listed unsigned file is ok" bash -c \
        "grep -q '^2 checked: 1 ok, 1 refused' '$T/check.out' && ! grep -q '^$T/listed.py:' '$T/check.out'"
    check "... the unlisted unsigned one is refused, exit 1" bash -c \
        "[ $CRC -eq 1 ] && grep -qx '$T/unlisted.py: no signature' '$T/check.out'"
    run_spy "$T/listed.py"
    check "... and spython agrees: the listed one runs" bash -c "[ $RC -eq 0 ] && grep -q 'LISTED RAN' '$OUT'"
    run_spy "$T/unlisted.py"
    check "... the unlisted one does not" bash -c "[ $RC -ne 0 ] && ! grep -q 'UNLISTED RAN' '$OUT'"
done
"$SIGN" -q -k "$KEYS/ec.pem" --xattr "$XATTR" --digest-list "$T/chk.dl" "$T/listed.py" "$T/unlisted.py"
write_policy "$cpin"
"$SIGN" --check --policy "$POLICY" "$T/listed.py" > "$T/check.out" 2>&1
CRC=$?
check "--check with a stale pin fails as spython would, naming the list" bash -c \
    "[ $CRC -eq 1 ] && grep -q 'digest list $T/chk.dl: differs from the digest the policy pins' '$T/check.out'"
check "... and reports no file as ok" bash -c "! grep -q 'checked:' '$T/check.out'"

finish
