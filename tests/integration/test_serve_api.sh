#!/bin/bash
# The JSON API of `clausewatch serve` over real version histories: every
# answer against the contract (data/http/openapi.json), the version at a
# date against the corpus file for that date, 404 before the first and
# 416 in the future, conditional GETs, tokens for watches, and hostile
# names kept exact in JSON and escaped in the Atom feeds.
. "$(dirname "$0")/lib.sh"
need_shared
# Debian's python3-jsonschema (scripts/install-deps) is for /usr/bin/python3
PY=
for p in /usr/bin/python3 python3; do
	"$p" -c 'import jsonschema' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || { echo "skipped: python3-jsonschema not installed"; exit 77; }
TOOLS=$CW_SOURCE_ROOT/tests/tools
VERSIONS=$SHARED/corpus/versions

mkdir -p "$WORK/versions"
for s in "Vimeo" "Airbnb" "fal"; do
	[ -d "$VERSIONS/$s" ] && cp -r "$VERSIONS/$s" "$WORK/versions/"
done
cw init >/dev/null
cw --quiet import-history "$WORK/versions" >/dev/null
EVIL='<script>alert(1)</script>"&'"'"'x'
printf '# Terms\n\n## 1. Use\n\nBe nice.\n' >"$WORK/t.md"
cw ingest "$EVIL/Terms of Service" "$WORK/t.md" >/dev/null
TOKEN=$(cw token add ci | head -1)
check "a token is made" test "${#TOKEN}" -eq 67
check "the token is not kept in the store" \
	sh -c "! sqlite3 '$DB' .dump | grep -q '$TOKEN'"

PORT=$(start serve "$CLAUSEWATCH" --db "$DB" --json serve --quiet \
	--listen 127.0.0.1:0 | sed -n 's/.*"port":\([0-9]*\).*/\1/p')
check "serve prints its port" test -n "$PORT"
BASE=http://127.0.0.1:$PORT

"$PY" "$TOOLS/api_check.py" "$BASE" "$CW_SOURCE_ROOT/data/http/openapi.json" \
	"$VERSIONS" "$TOKEN" >"$WORK/api.out"
check "every API answer fits the contract and the corpus" test $? -eq 0
grep -c '^ok' "$WORK/api.out" | sed 's/^/# API checks passed: /'
grep '^not ok' "$WORK/api.out"

# the hostile name, exact in JSON and escaped in XML
check "the hostile service name comes back exact in /api/v1/services" \
	python3 -c "
import json, sys, urllib.request
s = json.load(urllib.request.urlopen('$BASE/api/v1/services'))
sys.exit(0 if any(x['id'] == sys.argv[1] for x in s) else 1)" "$EVIL"
check "the feed of everything is well-formed XML naming it as text" \
	python3 -c "
import sys, urllib.request, xml.etree.ElementTree as ET
ns = {'a': 'http://www.w3.org/2005/Atom'}
root = ET.fromstring(urllib.request.urlopen('$BASE/feed').read())
titles = [e.text for e in root.findall('a:entry/a:title', ns)]
sys.exit(0 if any(t.startswith(sys.argv[1]) for t in titles) else 1)" "$EVIL"
check "HEAD on the API has no body" \
	test "$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$BASE/api/v1/services")" = "200 0"
check "a body over 64 KiB is a 413" test "$(head -c 70000 /dev/zero | tr '\0' x |
	curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @- \
		-H "Authorization: Bearer $TOKEN" "$BASE/api/v1/watches")" = 413
check "PUT is a 405" \
	test "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$BASE/api/v1/services")" = 405
check "a removed token no longer works" sh -c "
	'$CLAUSEWATCH' --db '$DB' token remove ci >/dev/null &&
	test \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $TOKEN' '$BASE/api/v1/watches')\" = 403"
finish
