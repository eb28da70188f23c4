#!/bin/bash
# The web pages of `clausewatch serve` over real version histories: what
# a person sees in headless Chromium (the DOM after load, the outline,
# a screenshot that is not blank, the dark scheme), hostile text that
# must neither run nor escape, the version in force at a date, conditional
# GETs, errors, and a clean stop.
. "$(dirname "$0")/lib.sh"
need_shared
CHROMIUM=${CW_CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] || { echo "skipped: chromium not installed"; exit 77; }
TOOLS=$CW_SOURCE_ROOT/tests/tools
VERSIONS=$SHARED/corpus/versions

# a few services' histories keep the import short
mkdir -p "$WORK/versions"
for s in "Vimeo" "Airbnb" "fal" "Proton Mail"; do
	[ -d "$VERSIONS/$s" ] && cp -r "$VERSIONS/$s" "$WORK/versions/"
done
cw init >/dev/null
cw --quiet import-history "$WORK/versions" >/dev/null
check "the corpus subset is imported" test "$(cw list | wc -l)" -ge 4

# hostile text: a service name, a heading, a link and markup
cat >"$WORK/evil.md" <<'MD'
# Terms <script>alert(1)</script>

## 1. Use "><img src=x onerror=alert(2)>

Do not click [here](javascript:alert(3)) or <b onmouseover=alert(4)>x</b>.

## 2. Arbitration

All disputes go to binding arbitration.
MD
EVIL='<script>alert(9)</script>"x'
cw ingest "$EVIL/Terms of Service" "$WORK/evil.md" >/dev/null
check "a document with a hostile name is ingested" test $? -eq 0

PORT=$(start serve "$CLAUSEWATCH" --db "$DB" --json serve --quiet \
	--listen 127.0.0.1:0 | sed -n 's/.*"port":\([0-9]*\).*/\1/p')
check "serve prints its port" test -n "$PORT"
BASE=http://127.0.0.1:$PORT
VIMEO="$BASE/services/Vimeo/Terms%20of%20Service"
EVIL_URL="$BASE/services/%3Cscript%3Ealert(9)%3C%2Fscript%3E%22x/Terms%20of%20Service"

status() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }
dom() { # dom URL FILE [WINDOW]: the DOM after load
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--dump-dom "$1" 2>/dev/null >"$2"
}
shot() { # shot URL FILE [CHROMIUM OPTIONS...]
	local u=$1 f=$2
	shift 2
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--window-size=1200,1400 "$@" --screenshot="$f" "$u" \
		>/dev/null 2>&1
}

# every page answers
for p in / /services /services/Vimeo "/services/Vimeo/Terms%20of%20Service" \
	"/services/Vimeo/Terms%20of%20Service/versions/1" \
	"/services/Vimeo/Terms%20of%20Service/diff/1..2" \
	"/services/Vimeo/Terms%20of%20Service/diff/1..2?view=side" \
	/categories /regulations /changes "/changes?materiality=substantive" \
	"/search?q=arbitration" /status /static/style.css; do
	check "GET $p is 200" test "$(status "$BASE$p")" = 200
done

# the document page: outline links that land, one anchor per provision
dom "$VIMEO" "$WORK/doc.dom"
check "the document page's outline links all land" \
	python3 "$TOOLS/dom_check.py" "$WORK/doc.dom" --need-outline
nprov=$(cw --json history "Vimeo/Terms of Service" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["versions"][-1]["provisions"])')
nsec=$(grep -o 'class="provision" id="p-' "$WORK/doc.dom" | wc -l)
check "one section per provision ($nsec of $nprov)" test "$nsec" -eq "$nprov"

# a provision page in the seed pages' sections, and what it costs
# the provision that best matches "arbitration": one with an analysis
key=$(cw --json search arbitration --service Vimeo --limit 1 |
	python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.load(sys.stdin)["hits"][0]["key"], safe=""))')
PROV="$VIMEO/provisions/$key"
dom "$PROV" "$WORK/prov.dom"
check "the provision page shows its sections" \
	python3 "$TOOLS/dom_check.py" "$WORK/prov.dom" \
	--need-text "Legal reading" --need-text "What this means for you" \
	--need-text "How other platforms handle this" --need-text "Monitoring" \
	--need-text "Compliance analysis"
check "the audience switch is a labelled control" \
	grep -q '<label for="aud">' "$WORK/prov.dom"
size=$(($(curl -s "$PROV" | wc -c) + $(curl -s "$BASE/static/style.css" | wc -c)))
echo "# provision page with its stylesheet: $size bytes"
check "the provision page is under 30 KB with its CSS ($size)" test "$size" -lt 30720
check "an unknown audience is a 400" \
	test "$(status "$PROV?audience=regulator")" = 400
check "an unknown jurisdiction is a 400" \
	test "$(status "$PROV?jurisdiction=mars")" = 400

# screenshots: not blank, and dark when the reader asks for it
shot "$VIMEO" "$WORK/light.png"
shot "$VIMEO" "$WORK/dark.png" --force-dark-mode \
	--blink-settings=preferredColorScheme=0
read -r lmean lcol < <(python3 "$TOOLS/png_stats.py" "$WORK/light.png")
read -r dmean dcol < <(python3 "$TOOLS/png_stats.py" "$WORK/dark.png")
echo "# light: mean $lmean, $lcol colours; dark: mean $dmean, $dcol colours"
check "the screenshot is not blank ($lcol colours)" test "$lcol" -gt 20
check "the light scheme is light (mean $lmean)" test "$lmean" -gt 180
check "the dark scheme is dark (mean $dmean)" test "$dmean" -lt 80

# every text colour on its background is WCAG AA (4.5:1), in both schemes
curl -s "$BASE/static/style.css" >"$WORK/style.css"
check "the stylesheet's colours meet WCAG AA in both schemes" \
	python3 "$TOOLS/css_contrast.py" "$WORK/style.css"

# the version in force at a date: the latest recorded at or before it
first=$(ls "$VERSIONS/Vimeo/Terms of Service" | sort | sed -n 2p)
d1=$(echo "$first" | cut -c1-10)
curl -s "$VIMEO?at=$d1" >"$WORK/at.html"
check "?at=$d1 shows version 2" grep -q 'Version 2 of' "$WORK/at.html"
check "... and says it is the version in force then" \
	grep -q "in force on $d1" "$WORK/at.html"
check "?at= before the first version is a 404" \
	test "$(status "$VIMEO?at=1990-01-01")" = 404
check "?at=garbage is a 400" test "$(status "$VIMEO?at=yesterday")" = 400

# hostile text neither runs nor escapes
for u in "$EVIL_URL" "$BASE/services" "$BASE/" \
	"$BASE/search?q=%3Cscript%3Ealert(5)%3C%2Fscript%3E%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(6)%3E" \
	"$EVIL_URL/provisions/1"; do
	dom "$u" "$WORK/evil.dom"
	check "nothing runs on $(echo "$u" | cut -c1-70)" \
		python3 "$TOOLS/dom_check.py" "$WORK/evil.dom"
done
dom "$EVIL_URL" "$WORK/evil.dom"
check "the hostile name is shown as text" \
	python3 "$TOOLS/dom_check.py" "$WORK/evil.dom" --need-text "$EVIL"
check "the hostile markup is shown as text" \
	python3 "$TOOLS/dom_check.py" "$WORK/evil.dom" \
	--need-text '"><img src=x onerror=alert(2)>'
check "every page carries a Content-Security-Policy without script" \
	sh -c "curl -sI '$EVIL_URL' | grep -qi '^content-security-policy: default-src .none.'"

# caching: ETag and 304, immutable old versions, HEAD
etag=$(curl -sI "$VIMEO" | sed -n 's/^[Ee][Tt]ag: \(.*\)\r$/\1/p')
check "the document page has an ETag" test -n "$etag"
check "If-None-Match with it is a 304" \
	test "$(status -H "If-None-Match: $etag" "$VIMEO")" = 304
check "an old version is immutable" \
	sh -c "curl -sI '$VIMEO/versions/1' | grep -qi 'cache-control: .*immutable'"
check "HEAD has the headers and no body" \
	test "$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$VIMEO")" = "200 0"
check "an unknown page is a 404" test "$(status "$BASE/no/such/page")" = 404
check "the 404 is a page" grep -q '<h1>Not found</h1>' "$WORK/body"
check "an unknown service is a 404" test "$(status "$BASE/services/Nope")" = 404
check "a bad diff range is a 400" test "$(status "$VIMEO/diff/1-2")" = 400

# answers a worker keeps go stale with the store: a new version shows
for _ in 1 2 3 4; do curl -s -o /dev/null "$VIMEO"; done
nv=$(cw --json history "Vimeo/Terms of Service" |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["versions"]))')
# the latest text with a sentence added (a text of a few bytes after a
# long one would be refused as a block page: README, "What is not a
# version")
{ cw show "Vimeo/Terms of Service"; printf '\nA text no version had.\n'; } >"$WORK/vimeo.md"
cw ingest "Vimeo/Terms of Service" "$WORK/vimeo.md" >/dev/null
ok_all=true
for _ in 1 2 3 4; do
	curl -s "$VIMEO" | grep -q "Version $((nv + 1)) of $((nv + 1))" || ok_all=false
done
check "a version recorded by another process shows at once on every worker" $ok_all
curl -s "$BASE/search?q=no+version+had" | grep -q 'Vimeo' 
check "... and in search" test $? -eq 0

# a clean stop on SIGTERM
pid=$(cat "$WORK/serve.pid")
kill -TERM "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM stops serve within 5 s" sh -c "! kill -0 $pid 2>/dev/null"
rm -f "$WORK/serve.pid"
finish
