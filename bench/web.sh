#!/bin/bash
# bench/web.sh: `clausewatch serve` under load, side by side with Open
# Terms Archive's own Collection API on the same route over the same
# versions. wrk at 64 connections and 2 threads, WEB_SECONDS (default 10)
# per route; prints requests/s, p50 and p99, and the ratios.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_tmp web
bench_need "$SHARED/corpus/versions"
SHARED=$(cd "$SHARED" && pwd)
SECS=${WEB_SECONDS:-10}
command -v wrk >/dev/null || { echo "bench: wrk not installed (scripts/install-deps --bench)"; exit 1; }

echo "== web: clausewatch serve vs Open Terms Archive's Collection API (wrk, 64 connections, ${SECS} s a route)"
"$CW" --db "$TMP/cw.db" --quiet import-history "$SHARED/corpus/versions" >/dev/null 2>&1
# the analyses the provision page reads are made once, as the monitor does
"$CW" --db "$TMP/cw.db" --quiet analyze --all >/dev/null 2>&1

"$CW" --db "$TMP/cw.db" --json serve --quiet --threads 2 --listen 127.0.0.1:0 >"$TMP/serve.json" &
SERVE=$!
OTA=
trap 'kill $SERVE $OTA 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 50); do [ -s "$TMP/serve.json" ] && break; sleep 0.1; done
PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$TMP/serve.json")
BASE=http://127.0.0.1:$PORT

SVC="Vimeo"; TYPE="Terms of Service"
SVC_U=$(printf %s "$SVC" | sed 's/ /%20/g'); TYPE_U=$(printf %s "$TYPE" | sed 's/ /%20/g')
DATE=2023-06-01T00:00:00Z
KEY=$("$CW" --db "$TMP/cw.db" --json search arbitration --service "$SVC" --limit 1 |
	sed -n 's/.*"key":"\([^"]*\)".*/\1/p' | head -1)

# run NAME URL [WRK OPTIONS...]: wrk's figures as "rps p50_ms p99_ms"
run() {
	local name=$1 url=$2 out
	shift 2
	out=$(wrk -t2 -c64 -d"${SECS}s" --timeout 30s --latency "$@" "$url" 2>&1)
	awk -v name="$name" '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx/ { bad = $NF }
		/Socket errors/ { sock = $0 }
		END { printf "%s: %.0f requests/s, p50 %.2f ms, p99 %.2f ms%s%s\n", name, rps, p50, p99, bad ? ", " bad " non-2xx answers" : "", sock ? " (" sock ")" : ""
		      print rps, p50, p99 > "/dev/stderr" }' <<<"$out"
}

# warm every worker's read session (the first provision page of a worker
# opens it: about a second)
for _ in 1 2 3 4 5 6 7 8; do curl -s -o /dev/null "$BASE/services/$SVC_U/$TYPE_U/provisions/$KEY"; done

API="$BASE/api/v1/version/$SVC_U/$TYPE_U/$DATE"
run "clausewatch GET /api/v1/version/$SVC/$TYPE/$DATE" "$API" 2>"$TMP/cw_api"
run "clausewatch document page /services/$SVC/$TYPE" "$BASE/services/$SVC_U/$TYPE_U" 2>/dev/null
run "clausewatch provision page .../provisions/$KEY" "$BASE/services/$SVC_U/$TYPE_U/provisions/$KEY" 2>/dev/null
page=$(curl -s "$BASE/services/$SVC_U/$TYPE_U/provisions/$KEY" | wc -c)
css=$(curl -s "$BASE/static/style.css" | wc -c)
echo "provision page: $page bytes of HTML + $css of CSS = $((page + css)) (goal: under 30 KB)"
read -r cw_rps cw_p50 cw_p99 <"$TMP/cw_api"
# the goal's rate: each of the 64 connections waits 32 ms after an answer
# before its next request, about 2,000 requests/s in all
printf 'function delay() return 32 end\n' >"$TMP/pace.lua"
run "clausewatch API route paced at about 2,000 requests/s" "$API" -s "$TMP/pace.lua" 2>"$TMP/cw_paced"
read -r p_rps p_p50 p_p99 <"$TMP/cw_paced"
awk -v r="$p_rps" -v p="$p_p99" 'BEGIN { printf "goal p99 under 10 ms at 2,000 requests/s on the API route: %s (%.0f requests/s, p99 %.2f ms)\n", (r >= 1800 && p < 10) ? "met" : "not met", r, p }'

# Open Terms Archive over a git repository of the same versions in its
# layout (SERVICE/TYPE.md, one commit a version dated by its fetch)
ENGINE=bench/node_modules/@opentermsarchive/engine
if [ ! -d "$ENGINE" ]; then
	echo "Open Terms Archive engine not available (no npm): ratio not measured"
	exit 0
fi
# the declaration of the service the route reads (the others name
# JavaScript filters that are not all in the corpus; the route reads
# the versions repository, not the declarations)
mkdir -p "$TMP/ota/data/versions" "$TMP/ota/declarations"
find "$SHARED/corpus/declarations" -name "$SVC.json" -exec ln -sf {} "$TMP/ota/declarations/" \;
(
	cd "$TMP/ota/data/versions" && git init -q && git config user.email bench@localhost &&
		git config user.name bench
	find "$SHARED/corpus/versions" -type f -name '*.md' | awk -F/ '{ print $NF "\t" $0 }' |
		sort | cut -f2 | while IFS= read -r f; do
			rel=${f#"$SHARED/corpus/versions/"}
			doc=$(dirname "$rel")
			svc=$(dirname "$doc")
			mkdir -p "$svc"
			first="Record new changes of"
			[ -f "$doc.md" ] || first="First record of"
			cp "$f" "$doc.md"
			when="$(basename "$f" .md)T00:00:00Z"
			git add -A . >/dev/null 2>&1
			GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when \
				git commit -qm "$first $svc $(basename "$doc")" >/dev/null 2>&1 || true
		done
)
OPORT=$((PORT + 1))
NODE_CONFIG="{\"@opentermsarchive/engine\":{\"collectionPath\":\"$TMP/ota\",\"recorder\":{\"versions\":{\"storage\":{\"git\":{\"path\":\"$TMP/ota/data/versions\"}}}},\"collection-api\":{\"port\":$OPORT,\"basePath\":\"/api\"}}}" \
	NODE_ENV=production node "$ENGINE/bin/ota-serve.js" >"$TMP/ota.log" 2>&1 &
OTA=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$OPORT/api/v1/" && break; sleep 0.2; done
OURL="http://127.0.0.1:$OPORT/api/v1/version/$SVC_U/$TYPE_U/$DATE"
if [ "$(curl -s -o /dev/null -w '%{http_code}' "$OURL")" != 200 ]; then
	echo "Open Terms Archive's API did not answer the route (see below): ratio not measured"
	grep -m3 -i "error" "$TMP/ota.log"
	exit 0
fi
run "Open Terms Archive GET /api/v1/version/$SVC/$TYPE/$DATE" "$OURL" 2>"$TMP/ota_api"
read -r o_rps o_p50 o_p99 <"$TMP/ota_api"
awk -v a="$cw_rps" -v b="$o_rps" -v pa="$cw_p99" -v pb="$o_p99" 'BEGIN {
	printf "ratio: clausewatch serves the version route %.1fx the requests/s of Open Terms Archive (goal: 10x); p99 %.2f ms vs %.2f ms\n", a / b, pa, pb }'
