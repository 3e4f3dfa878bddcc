#!/usr/bin/env bash
# The pre-flight's promise: spython-sign --check --policy P lists exactly the
# modules spython under P refuses to import - no more, no fewer.
source "$(dirname "$0")/../lib.sh"

M=$T/mods
mkdir -p "$M/pkg"
for i in $(seq 1 12); do echo "V = $i" > "$M/m$i.py"; done
echo 'X = 1' > "$M/pkg/__init__.py"
sign "$M"
echo '# tampered' >> "$M/m2.py"
setfattr -x "$XATTR" "$M/m3.py"
sign -k "$KEYS/untrusted.pem" "$M/m4.py"
setfattr -n "$XATTR" -v 0x0302 "$M/m5.py"
printf 'x' | dd of="$M/m6.py" bs=1 seek=3 conv=notrunc 2>/dev/null
write_policy "search-path $M"

# What --check says.
"$SIGN" --check -q --policy "$POLICY" "$M" > "$T/listed" 2>"$T/err"
check check-has-refusals test -s "$T/listed"
check check-no-errors test ! -s "$T/err"

# What spython does: import each module, one run each.
: > "$T/refused"
for f in "$M"/m*.py "$M/pkg/__init__.py"; do
    mod=$(basename "$f" .py)
    [ "$mod" = __init__ ] && mod=pkg
    script "imp.py" "import $mod"
    sign "$T/imp.py"
    run_spy "$T/imp.py"
    if [ "$RC" -ne 0 ]; then
        reason=$(sed -n 's/.*ImportError: refused by spython: \(.*\): .*/\1/p' "$ERR" | head -n 1)
        echo "$f: $reason" >> "$T/refused"
    fi
done
check same-files-same-reasons diff <(sort "$T/listed") <(sort "$T/refused")
check several-reasons test "$(cut -d: -f2 "$T/listed" | sort -u | wc -l)" -ge 4

finish
