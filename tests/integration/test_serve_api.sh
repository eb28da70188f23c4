#!/bin/bash
# The JSON API of `clausewatch serve` over real version histories
# (tests/tools/api_check.py): every answer against the contract
# (data/http/openapi.json) and with a Content-Security-Policy, the version
# at every date of three documents against the corpus file in force then,
# 404 before the first and 416 in the future, conditional GETs, HEAD,
# tokens for watches, and a hostile service name kept exact in JSON and
# escaped in the Atom feeds. Here: tokens kept hashed, and a clean stop.
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
# three services (a same-day pair of versions in Airbnb's), to stay fast
for s in "Vimeo" "Airbnb" "fal"; do
	[ -d "$VERSIONS/$s/Terms of Service" ] || {
		echo "skipped: $VERSIONS/$s/Terms of Service not found"
		exit 77
	}
	cp -r "$VERSIONS/$s" "$WORK/versions/"
done
cw init >/dev/null
cw --quiet import-history "$WORK/versions" >/dev/null
EVIL='<script>alert(1)</script>"&'"'"'x'
printf '# Terms\n\n## 1. Use\n\nBe nice.\n' >"$WORK/t.md"
cw ingest "$EVIL/Terms of Service" "$WORK/t.md" >/dev/null
TOKEN=$(cw token add ci | head -1)
check "a token is made: cw_ and 64 hex digits" \
	sh -c "printf %s '$TOKEN' | grep -Eqx 'cw_[0-9a-f]{64}'"
HASH=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
check "the store keeps the token's SHA-256" "$PY" -c "
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute('SELECT name, hash FROM tokens')
sys.exit(0 if rows.fetchall() == [('ci', sys.argv[2])] else 1)" "$DB" "$HASH"
check "... and the token itself is in none of its files" \
	sh -c "! grep -qF '$TOKEN' '$DB'*"
check "token list shows names, never hashes" \
	sh -c "'$CLAUSEWATCH' --db '$DB' --json token list | grep -q '\"name\":\"ci\"' &&
		! '$CLAUSEWATCH' --db '$DB' --json token list | grep -q '$HASH'"

# serve runs as a child of this shell (not through start()) so that its
# exit status can be read when it is stopped
"$CLAUSEWATCH" --db "$DB" --json serve --quiet --listen 127.0.0.1:0 \
	>"$WORK/serve.out" 2>"$WORK/serve.err" &
SPID=$!
echo "$SPID" >"$WORK/serve.pid" # stopped by cleanup if the test dies
for _ in $(seq 1 50); do
	[ -s "$WORK/serve.out" ] && break
	sleep 0.1
done
PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$WORK/serve.out")
check "serve prints its port" test -n "$PORT"
BASE=http://127.0.0.1:$PORT

"$PY" "$TOOLS/api_check.py" "$BASE" "$CW_SOURCE_ROOT/data/http/openapi.json" \
	"$VERSIONS" "$TOKEN" "$EVIL" >"$WORK/api.out"
check "every API answer fits the contract and the corpus" test $? -eq 0
grep -c '^ok' "$WORK/api.out" | sed 's/^/# API checks passed: /'
grep '^not ok' "$WORK/api.out"
check "a removed token no longer works" sh -c "
	'$CLAUSEWATCH' --db '$DB' token remove ci >/dev/null &&
	test \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $TOKEN' '$BASE/api/v1/watches')\" = 403"

# a clean stop: SIGTERM, and serve is gone within 5 s with exit 0
t0=$EPOCHREALTIME
kill -TERM "$SPID"
for _ in $(seq 1 50); do
	kill -0 "$SPID" 2>/dev/null || break
	sleep 0.1
done
t1=$EPOCHREALTIME
if kill -0 "$SPID" 2>/dev/null; then
	not_ok "SIGTERM stops serve within 5 s"
	kill -KILL "$SPID"
else
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "# stopped in %.2f s\n", b - a }'
	ok "SIGTERM stops serve within 5 s"
fi
wait "$SPID"
rc=$?
rm -f "$WORK/serve.pid"
check "... with exit 0 (exit $rc)" test "$rc" -eq 0
finish
