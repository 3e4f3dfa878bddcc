#!/usr/bin/env bash
# spython-policy(5) and (1) say what the code does: every directive of the
# parser's table, every condition key, event and class of the rules' tables,
# and every line of the shipped default policy, quoted and explained.
source "$(dirname "$0")/../lib.sh"
MAN5=$SRC/man/spython-policy.5
MAN1=$SRC/man/spython-policy.1

# table FILE START: the first quoted string of each line from the line
# matching START to the end of that initializer.
table() { sed -n "/$2/,/^};/p" "$1" | sed -n 's/^[^"]*"\([^"]*\)".*/\1/p'; }

directives=$(table "$SRC/policy/policy.c" '^} directives\[\] = {')
check "the parser's table was read" test "$(echo "$directives" | wc -l)" -ge 20
for d in $directives; do
    check "directive $d is documented" grep -q "^\.It Cm $d\( \|$\)" "$MAN5"
done

keys=$(table "$SRC/policy/rules.c" '^} cond_defs\[CK_MAX\] = {')
check "the condition keys were read" test "$(echo "$keys" | wc -l)" -ge 9
for k in $keys; do
    check "condition $k= is documented" grep -q "^\.It Cm $k= " "$MAN5"
done

events=$(table "$SRC/policy/rules.c" '^static const struct event_spec specs\[\] = {')
check "the event table was read" test "$(echo "$events" | wc -l)" -ge 25
for e in $events; do
    check "event $e is in the table of events" grep -q "^\.It Ql $e Ta " "$MAN5"
done

classes=$(sed -n '/^} classes\[EC_MAX\] = {/,/^};/p' "$SRC/policy/rules.c" |
          sed -n 's/.*\] = { "\([a-z]*\)".*/\1/p')
check "the classes were read" test "$(echo "$classes" | wc -l)" -eq 5
for c in $classes; do
    check "class @$c is documented" grep -q "^\.It Cm @$c$" "$MAN5"
done

# Explained line by line: each rule of the default policy is quoted verbatim
# in the section about it.
sed -n '/^\.Sh THE DEFAULT POLICY/,/^\.Sh /p' "$MAN5" > "$T/default-section"
n=0
while IFS= read -r line; do
    case $line in ''|'#'*) continue ;; esac
    n=$((n + 1))
    grep -qxF -- "$line" "$T/default-section" || fail "default policy line quoted: $line" "not in the man page"
done < "$SRC/policy/default.conf"
check "every default policy line ($n) was looked for" test "$n" -ge 30
pass "the default policy's lines are quoted in spython-policy(5)"

check "spython-policy(1) documents both verbs" \
    bash -c "grep -q '^\.Cm check' '$MAN1' && grep -q '^\.Cm learn' '$MAN1'"
"$BUILD/spython-policy" > /dev/null 2> "$T/usage"
check "the tool has exactly those verbs" \
    bash -c "[ \"\$(grep -o 'spython-policy [a-z]*' '$T/usage' | sort -u | tr '\n' ' ')\" = 'spython-policy check spython-policy learn ' ]"

if command -v mandoc > /dev/null; then
    check "spython-policy(5) is mandoc -Tlint clean" mandoc -Tlint -W warning "$MAN5"
    check "spython-policy(1) is mandoc -Tlint clean" mandoc -Tlint -W warning "$MAN1"
fi
finish
