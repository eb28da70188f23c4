#!/bin/bash
# Monitor at scale: the fixture HTTP server (tests/tools/fixture_server, on
# loopback) serves N documents (default 10,000) built from the corpus
# versions ($CW_SHARED/corpus/versions, rendered to HTML by the server),
# with latency, a fraction changing between passes and 5% faults (HTTP 500
# and 503, resets, hangs past the timeout, slow bodies, a bogus charset,
# redirect loops). One declaration per document points at it.
#
#   pass 1: every document is new (fetch, extract, segment, store);
#   pass 2: the server moves on one pass: changed documents get a new
#           version, a change and an alert; the others answer 304 to the
#           conditional request.
#
# Prints documents checked per minute, peak RSS and the fault outcomes,
# then runs Open Terms Archive's tracker on the same declarations against
# the same server (a subset: it tracks one document at a time) for a ratio.
# Env: CLAUSEWATCH (binary), BUILD (build dir with tests/fixture_server),
# BENCH_DOCS, BENCH_OTA_DOCS.
set -u
cd "$(dirname "$0")/.."
SHARED=${CW_SHARED:-../shared}
BUILD=${BUILD:-build-release}
CW=${CLAUSEWATCH:-$BUILD/src/cli/clausewatch}
FIX=$BUILD/tests/fixture_server
N=${BENCH_DOCS:-10000}
OTA_N=${BENCH_OTA_DOCS:-300}
TMP=$(mktemp -d /tmp/cw-bench-monitor-XXXXXX)
FS_PID=
cleanup() {
	[ -n "$FS_PID" ] && kill "$FS_PID" 2>/dev/null
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

echo "== monitor at scale: $N documents on a local fixture server"
if [ ! -d "$SHARED/corpus/versions" ]; then
	echo "bench: $SHARED/corpus/versions not found; nothing to measure" >&2
	exit 1
fi
if [ ! -x "$FIX" ] || [ ! -x "$CW" ]; then
	echo "bench: $FIX or $CW not built" >&2
	exit 1
fi
field() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1" | head -1; }

# every corpus version is a seed; document I is seed I mod the seed count
mapfile -d '' seeds < <(find "$SHARED/corpus/versions" -type f -name '*.md' -print0 | sort -z)
# Latency 20 ms per answer; 2% of documents change at every pass; 5% fail;
# a slow body takes 16 x 50 ms; a hang lasts 30 s, past our 5 s timeout.
"$FIX" --docs "$N" --latency-ms 20 --change-fraction 0.02 \
	--fault-fraction 0.05 --slow-ms 50 --hang-ms 30000 "${seeds[@]}" \
	>"$TMP/port" 2>"$TMP/fixture.err" &
FS_PID=$!
for _ in $(seq 1 100); do
	[ -s "$TMP/port" ] && break
	sleep 0.1
done
PORT=$(head -1 "$TMP/port")
if [ -z "$PORT" ]; then
	echo "bench: the fixture server did not start" >&2
	cat "$TMP/fixture.err" >&2
	exit 1
fi
BASE=http://127.0.0.1:$PORT
echo "fixture server on $BASE with ${#seeds[@]} corpus versions as seeds"

# declarations: four documents per service, as Open Terms Archive writes them
mkdir -p "$TMP/decl"
awk -v n="$N" -v base="$BASE" -v dir="$TMP/decl" 'BEGIN {
	split("Terms of Service|Privacy Policy|Acceptable Use Policy|Developer Terms", t, "|")
	for (s = 0; s * 4 < n; s++) {
		f = sprintf("%s/Svc%05d.json", dir, s)
		printf "{\"name\":\"Service %d\",\"terms\":{", s > f
		for (k = 0; k < 4 && s * 4 + k < n; k++)
			printf "%s\"%s\":{\"fetch\":\"%s/doc/%d\",\"select\":\"body\"}",
				(k ? "," : ""), t[k + 1], base, s * 4 + k > f
		printf "}}\n" > f
		close(f)
	}
}'
DB=$TMP/store.db
"$CW" --db "$DB" --quiet init >/dev/null
"$CW" --db "$DB" --quiet declare "$TMP/decl" >/dev/null
"$CW" --db "$DB" --quiet watch add --feed bench >/dev/null

# Settings for one loopback host: the per-host politeness limit (2
# transfers, 250 ms apart by default) would make a single host the
# bottleneck; a real deployment spreads documents over many hosts.
OPTS="--once --force --allow-private-network --max-transfers 256
	--max-per-host 256 --host-delay-ms 0 --timeout-ms 5000
	--connect-timeout-ms 2000 --fetch-attempts 2 --no-browser"
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0,1"
run_pass() { # run_pass NAME
	/usr/bin/time -f '%M %U %S' -o "$TMP/$1.rss" $pin "$CW" --db "$DB" --quiet \
		--json monitor $OPTS >"$TMP/$1.json" 2>"$TMP/$1.err"
	echo "exit $?" >>"$TMP/$1.err"
}
report() { # report NAME
	local j=$TMP/$1.json
	awk -v name="$1" -v c="$(field "$j" checked)" -v s="$(field "$j" seconds)" \
		-v rss="$(cut -d" " -f1 "$TMP/$1.rss" 2>/dev/null)" -v cpu="$(awk '{ print $2 + $3 }' "$TMP/$1.rss" 2>/dev/null)" -v nv="$(field "$j" new_versions)" \
		-v un="$(field "$j" unchanged)" -v nm="$(field "$j" not_modified)" \
		-v f="$(field "$j" failed)" -v xf="$(field "$j" extract_failed)" \
		-v bl="$(field "$j" blocked)" -v al="$(sed -n 's/.*"delivery":{"sent":\([0-9]*\).*/\1/p' "$j")" 'BEGIN {
		printf "%s: %d documents in %.1f s = %.0f documents/min (CPU %.1f s, %.0f documents per CPU-minute); peak RSS %.0f MiB; %d new versions, %d unchanged (%d not modified, 304), %d failed, %d extraction failed, %d blocked; %d alerts delivered\n",
			name, c, s, c * 60 / s, cpu, c * 60 / (cpu > 0 ? cpu : 1), rss / 1024, nv, un, nm, f, xf, bl, al }'
	sed -n 's/.*"failures":{\([^}]*\)}.*/  failures by cause: \1/p' "$j"
	grep -v '^exit 0$' "$TMP/$1.err" | grep -v 'failing since' | head -5 | sed 's/^/  stderr: /'
}

run_pass pass1
report pass1
curl -s "$BASE/_pass" >/dev/null 2>&1 || kill -USR1 "$FS_PID"
run_pass pass2
report pass2

echo "fault outcomes (the server's faults, then what the store says):"
curl -s "$BASE/_stats" | sed 's/^/  server: /'
"$CW" --db "$DB" --json status >"$TMP/status.json"
echo "  documents failing: $(grep -o '"state":"failing"' "$TMP/status.json" | wc -l) of $N (expected about 5% = $((N / 20)), minus slow bodies that finish in time)"
grep -o '"last_error":"[^"]*"' "$TMP/status.json" |
	sed -e 's/.*HTTP status \([0-9]*\).*/HTTP \1/' \
		-e 's/.*[Tt]imeout.*\|.*timed out.*/timeout/' \
		-e 's/.*[Rr]edirect.*/redirect loop/' \
		-e 's/.*charset.*/bad charset/' \
		-e 's/.*[Rr]ecv.*\|.*[Rr]eset.*\|.*[Ee]mpty reply.*\|.*Connection died.*/connection reset/' |
	sort | uniq -c | sort -rn | sed 's/^/    /'
"$CW" --db "$DB" --json stats >"$TMP/stats.json"
echo "  store: $(field "$TMP/stats.json" versions) versions, $(field "$TMP/stats.json" attempts) attempts, $(field "$TMP/stats.json" changes) changes recorded"

# ---- Open Terms Archive on the same server ----
OTA=bench/node_modules/@opentermsarchive/engine
if ! command -v node >/dev/null 2>&1 || [ ! -d "$OTA" ]; then
	echo "Open Terms Archive engine not installed (bench/run installs it): ratio not measured"
	exit 0
fi
echo "Open Terms Archive on the first $OTA_N of the same declarations, same server"
echo "  (its fetch and extract, one document at a time as 'ota track' does; 'ota track'"
echo "  itself starts headless Chrome first and cannot run without it: see bench/ota_track.mjs)"
node bench/ota_track.mjs "$TMP/decl" "$OTA_N" 5000 >"$TMP/ota.json" 2>"$TMP/ota.err"
cat "$TMP/ota.json" | sed 's/^/  /'
awk -v n="$(field "$TMP/ota.json" documents)" -v s="$(field "$TMP/ota.json" seconds)" \
	-v rss="$(field "$TMP/ota.json" peak_rss)" -v okn="$(field "$TMP/ota.json" ok)" \
	-v c="$(field "$TMP/pass1.json" checked)" -v cs="$(field "$TMP/pass1.json" seconds)" 'BEGIN {
	o = n * 60 / s; m = c * 60 / cs
	printf "Open Terms Archive: %d documents (%d ok) in %.1f s = %.0f documents/min, peak RSS %.0f MiB\n",
		n, okn, s, o, rss / 1048576
	printf "ratio: clausewatch checks %.1fx more documents per minute than Open Terms Archive (clausewatch first pass, every document new)\n", m / o }'
