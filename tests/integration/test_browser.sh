#!/bin/bash
# Script-rendered pages end to end: `clausewatch fetch` of a declaration
# with executeClientScripts renders the page in headless Chromium (Debian's
# `chromium`) and records the text its script wrote; the same page without
# executeClientScripts has no such text. The page is a real policy (a
# corpus snapshot) served behind our own script shell
# (tests/data/fetch/browser/scripted.html), so the rendered document must
# extract to exactly the text of the real page fetched directly.
# Without chromium only the error path is checked: a clear message naming
# the Debian package.
. "$(dirname "$0")/lib.sh"
need_shared
need_tools "$FIX"
SRC="$SHARED/corpus/snapshots/Microsoft Copilot/Privacy Policy/source.html"
need_file "$SRC" "a real page"

mkdir -p "$WORK/site" "$WORK/decl"
cp "$SRC" "$WORK/site/privacy.html"
cp "$TESTS/data/fetch/browser/scripted.html" "$WORK/site/"
BASE=http://127.0.0.1:$(start fix "$FIX" --dir "$WORK/site")
# the real declaration's selectors; the page behind a script, twice (with
# and without executeClientScripts), and the same page served plainly
cat >"$WORK/decl/Scripted.json" <<JSON
{"name": "Scripted", "terms": {
  "Privacy Policy": {"fetch": "$BASE/files/scripted.html?src=privacy.html",
    "select": ["main"], "remove": ["nav"], "executeClientScripts": true},
  "Terms of Service": {"fetch": "$BASE/files/scripted.html?src=privacy.html",
    "select": ["main"], "remove": ["nav"]}}}
JSON
cat >"$WORK/decl/Plain.json" <<JSON
{"name": "Plain", "terms": {
  "Privacy Policy": {"fetch": "$BASE/files/privacy.html", "select": ["main"], "remove": ["nav"]}}}
JSON
cw init >/dev/null
check "declarations load" cw declare "$WORK/decl"

# no browser: the error names the package, and nothing is recorded
CW_CHROMIUM=/nonexistent/chromium cw fetch --allow-private-network \
	"Scripted/Privacy Policy" >"$WORK/none.out" 2>"$WORK/none.err"
check "without chromium the fetch fails" test $? -ne 0
check "... with a message naming the Debian package" \
	grep -q "install the Debian package 'chromium'" "$WORK/none.err"
check "... and the setting that points at the binary" grep -q CW_CHROMIUM "$WORK/none.err"
expect_exit 3 "... and no version is recorded" cw show "Scripted/Privacy Policy"

if [ -n "${CW_CHROMIUM:-}" ]; then
	CHROMIUM=$CW_CHROMIUM
else
	CHROMIUM=$(command -v chromium || true)
fi
if [ -z "$CHROMIUM" ] || [ ! -x "$CHROMIUM" ]; then
	echo "chromium not installed (Debian package 'chromium'): rendering not checked"
	finish
	exit $?
fi

check "the plain page is fetched" cw fetch --allow-private-network "Plain/Privacy Policy"
cw fetch --allow-private-network "Scripted/Privacy Policy" >"$WORK/js.out" 2>"$WORK/js.err"
check "the script-rendered page is fetched with chromium" test $? -eq 0
sed 's/^/  | /' "$WORK/js.err" | head -5
cw show "Plain/Privacy Policy" >"$WORK/plain.md" 2>&1
cw show "Scripted/Privacy Policy" >"$WORK/js.md" 2>&1
check "the real policy has text ($(wc -c <"$WORK/plain.md") bytes)" test "$(wc -c <"$WORK/plain.md")" -gt 2000
check "the rendered page extracts to exactly the real page's text" cmp -s "$WORK/plain.md" "$WORK/js.md"
cw fetch --allow-private-network "Scripted/Terms of Service" >"$WORK/nojs.out" 2>"$WORK/nojs.err"
check "without executeClientScripts the same page has no such text" test $? -ne 0
check "... its selector matches nothing in the unrendered page" grep -qi "select\|empty\|match" "$WORK/nojs.err"
sed 's/^/  | /' "$WORK/nojs.err" | head -3
expect_exit 3 "... and no version is recorded for it" cw show "Scripted/Terms of Service"

# --no-browser: the declaration asks for scripts, the operator said no
cw fetch --allow-private-network --no-browser "Scripted/Privacy Policy" >"$WORK/nb.out" 2>&1
check "--no-browser fetches without rendering (no new version)" test "$(cw history "Scripted/Privacy Policy" | grep -c .)" -eq 1

# the address guard applies to rendered pages as to any other
cw fetch "Scripted/Privacy Policy" >"$WORK/ssrf.out" 2>"$WORK/ssrf.err"
check "a loopback page is refused without --allow-private-network" grep -q "loopback" "$WORK/ssrf.err"
finish
