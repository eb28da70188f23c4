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
# BENCH_DOCS, BENCH_OTA_DOCS (default 300), BENCH_OTA_SECONDS (a limit on
# Open Terms Archive's run, default 900), CW_CHROMIUM, BENCH_WORKERS
# (extraction threads of the monitor, default 2). BENCH_OTA_DOCS=0 or no
# engine installed: clausewatch alone. Figures: docs/internals/monitor.md.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${BUILD:-build-release}
CW=${CLAUSEWATCH:-$BUILD/src/cli/clausewatch}
FIX=$BUILD/tests/fixture_server
N=${BENCH_DOCS:-10000}
OTA_N=${BENCH_OTA_DOCS:-300}
TMP=$(mktemp -d /tmp/cw-bench-monitor-XXXXXX)
FS_PID=
OTA_PID=
cleanup() {
	[ -n "$FS_PID" ] && kill "$FS_PID" 2>/dev/null
	# Open Terms Archive's session (node and the browser it started)
	if [ -n "$OTA_PID" ]; then
		for p in $(ps -o pid= -s "$OTA_PID" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	fi
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

echo "== monitor at scale: $N documents on a local fixture server"
bench_need "$SHARED/corpus/versions"
if [ ! -x "$FIX" ] || [ ! -x "$CW" ]; then
	echo "bench: $FIX or $CW not built" >&2
	exit 1
fi
field() { # field FILE KEY: the first "KEY":NUMBER (nested objects such as
	# "analysis" repeat some keys after the top-level ones)
	grep -o "\"$2\":[0-9.e+-]*" "$1" | head -1 | cut -d: -f2; }

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
# Two cores: the monitor's thread (transfers, store) and BENCH_WORKERS
# extraction threads (default 2) pinned to CPUs 0 and 1.
OPTS="--once --force --allow-private-network --max-transfers 256
	--max-per-host 256 --host-delay-ms 0 --timeout-ms 5000
	--connect-timeout-ms 2000 --fetch-attempts 2 --no-browser
	--workers ${BENCH_WORKERS:-2}"
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
	sed -n 's/.*"analysis":{\([^}]*\)}.*/  analysis (on the monitor'"'"'s thread, inside that CPU time): \1/p' "$j"
	grep -v '^exit 0$' "$TMP/$1.err" | grep -v 'failing since' | head -5 | sed 's/^/  stderr: /'
}

# documents/min depends on what else runs on the machine; documents per
# CPU-minute much less: both are printed, with the load when each pass ends
echo "load average before pass 1: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
run_pass pass1
report pass1
echo "  load average after pass 1: $(cut -d' ' -f1-3 /proc/loadavg)"
curl -s "$BASE/_pass" >/dev/null 2>&1 || kill -USR1 "$FS_PID"
run_pass pass2
report pass2
echo "  load average after pass 2: $(cut -d' ' -f1-3 /proc/loadavg)"

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
# Its real tracker, `ota track` (@opentermsarchive/engine from npm, installed
# by bench/run with PUPPETEER_SKIP_DOWNLOAD=1), on the first BENCH_OTA_DOCS
# of the same declarations, against the same server, recording snapshots
# and versions in its git repositories as it does in production. It starts
# headless Chromium at every run, so it is pointed at Debian's chromium
# (PUPPETEER_EXECUTABLE_PATH; as root through a wrapper adding
# --no-sandbox, since the engine passes no launch arguments). Without
# chromium, its fetch and extract alone are measured (bench/ota_track.mjs).
# Nothing here may stop the bench: a failure is printed and the bench ends.
if [ "$OTA_N" -le 0 ]; then
	echo "BENCH_OTA_DOCS=0: Open Terms Archive not run"
	exit 0
fi
OTA=bench/node_modules/@opentermsarchive/engine
if ! command -v node >/dev/null 2>&1 || [ ! -d "$OTA" ]; then
	echo "Open Terms Archive engine not installed (bench/run installs it): ratio not measured"
	exit 0
fi
CW_RATE=$(awk -v c="$(field "$TMP/pass1.json" checked)" -v s="$(field "$TMP/pass1.json" seconds)" \
	'BEGIN { if (s > 0) printf "%.1f", c * 60 / s; else print 0 }')
CW_RSS=$(cut -d" " -f1 "$TMP/pass1.rss" 2>/dev/null)
CHROMIUM=${CW_CHROMIUM:-$(command -v chromium || true)}
OTA_LIMIT=${BENCH_OTA_SECONDS:-900}

ota_fallback() { # the engine's fetch + extract only, without a browser
	echo "Open Terms Archive on the first $OTA_N of the same declarations, same server"
	echo "  (its fetch and extract only, one document at a time as 'ota track' does)"
	node bench/ota_track.mjs "$TMP/decl" "$OTA_N" 5000 >"$TMP/ota.json" 2>"$TMP/ota.err" ||
		{ echo "  failed: $(tail -1 "$TMP/ota.err")"; return; }
	sed 's/^/  /' "$TMP/ota.json"
	awk -v n="$(field "$TMP/ota.json" documents)" -v s="$(field "$TMP/ota.json" seconds)" \
		-v rss="$(field "$TMP/ota.json" peak_rss)" -v okn="$(field "$TMP/ota.json" ok)" \
		-v m="$CW_RATE" 'BEGIN {
		o = n * 60 / s
		printf "Open Terms Archive (fetch+extract): %d documents (%d ok) in %.1f s = %.0f documents/min, peak RSS %.0f MiB\n",
			n, okn, s, o, rss / 1048576
		printf "ratio: clausewatch checks %.1fx more documents per minute\n", m / o }'
}

if [ -z "$CHROMIUM" ] || [ ! -x "$CHROMIUM" ]; then
	echo "chromium not installed (scripts/install-deps installs it): 'ota track' cannot start"
	ota_fallback
	exit 0
fi

OTA_DIR=$TMP/ota
mkdir -p "$OTA_DIR/declarations" "$OTA_DIR/config"
nsvc=$(((OTA_N + 3) / 4))
find "$TMP/decl" -name 'Svc*.json' | sort | head -n "$nsvc" | xargs -r cp -t "$OTA_DIR/declarations"
ndocs=$(cat "$OTA_DIR"/declarations/*.json | grep -o '"fetch"' | wc -l)
# its production settings, but our timeout (5 s) and a bench author; the
# git paths are those of its default configuration
cat >"$OTA_DIR/config/default.json" <<'JSON'
{"@opentermsarchive/engine": {
  "collectionPath": "./",
  "fetcher": {"waitForElementsTimeout": 5000, "navigationTimeout": 5000, "language": "en"},
  "recorder": {
    "versions": {"storage": {"type": "git", "git": {"path": "./data/versions", "publish": false,
      "snapshotIdentiferTemplate": "./data/snapshots/%SNAPSHOT_ID",
      "author": {"name": "bench", "email": "bench@localhost"}}}},
    "snapshots": {"storage": {"type": "git", "git": {"path": "./data/snapshots", "publish": false,
      "author": {"name": "bench", "email": "bench@localhost"}}}}}}}
JSON
BROWSER=$CHROMIUM
if [ "$(id -u)" = 0 ]; then
	BROWSER=$TMP/chromium-no-sandbox
	printf '#!/bin/sh\nexec "%s" --no-sandbox "$@"\n' "$CHROMIUM" >"$BROWSER"
	chmod +x "$BROWSER"
fi
echo "Open Terms Archive's tracker ('ota track', engine $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$OTA/package.json"), with $CHROMIUM)"
echo "  on the first $ndocs of the same declarations, same server, recording in git"
ROOT=$PWD
# its own session, so that the browser it starts (in a process group of its
# own) is measured and, past BENCH_OTA_SECONDS, stopped with it
(cd "$OTA_DIR" && PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_EXECUTABLE_PATH=$BROWSER \
	exec setsid /usr/bin/time -f '%M %e' -o "$TMP/ota.time" \
	node "$ROOT/$OTA/bin/ota.js" track) >"$TMP/ota.log" 2>&1 &
OTA_PID=$!
peak=0
start=$(date +%s)
while kill -0 "$OTA_PID" 2>/dev/null; do
	rss=$(ps -o rss= -s "$OTA_PID" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
	[ "$rss" -gt "$peak" ] && peak=$rss
	if [ $(($(date +%s) - start)) -gt "$OTA_LIMIT" ]; then
		echo "  stopped after $OTA_LIMIT s (BENCH_OTA_SECONDS)"
		for p in $(ps -o pid= -s "$OTA_PID" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		break
	fi
	sleep 0.5
done
wait "$OTA_PID" 2>/dev/null
ota_rc=$?
# the tracking phase: from "Tracking changes of" to "Tracked changes of"
# (the log's timestamps, whole seconds; the run also has a first
# extract-only pass and two browser starts, counted in the wall time)
t_start=$(grep -m1 'Tracking changes of' "$TMP/ota.log" | cut -c1-25)
t_end=$(grep -m1 'Tracked changes of' "$TMP/ota.log" | cut -c1-25)
if [ -z "$t_end" ]; then
	echo "  'ota track' did not finish (exit $ota_rc):"
	grep -iv 'Environment variable' "$TMP/ota.log" | tail -5 | sed 's/^/  | /'
	ota_fallback
	exit 0
fi
secs=$(($(date -d "$t_end" +%s) - $(date -d "$t_start" +%s)))
[ "$secs" -lt 1 ] && secs=1
wall=$(cut -d" " -f2 "$TMP/ota.time" 2>/dev/null)
node_rss=$(cut -d" " -f1 "$TMP/ota.time" 2>/dev/null)
firsts=$(grep -c 'Recorded first version' "$TMP/ota.log")
# a document that still fails after the engine's second attempt is
# reported once with "can not be selected:", its causes on the lines below
fails=$(grep -c 'cannot be accessed or their contents can not be selected' "$TMP/ota.log")
echo "  $(grep -m1 'Recorded [0-9]* new snapshots' "$TMP/ota.log" | sed 's/.*Recorded/recorded/')"
echo "  failed documents: $fails, by cause:"
awk '/can not be selected:/ { f = 1; next } f && /^ *- / { print; next } { f = 0 }' "$TMP/ota.log" |
	sed -e "s/'[^']*'//g" -e 's/[0-9][0-9]*/N/g' -e 's/^ *- //' | cut -c1-90 |
	sort | uniq -c | sort -rn | head -6 | sed 's/^/    /'
awk -v n="$ndocs" -v s="$secs" -v w="$wall" -v v="$firsts" -v peak="$peak" -v nrss="$node_rss" \
	-v m="$CW_RATE" -v crss="$CW_RSS" 'BEGIN {
	o = n * 60 / s
	printf "Open Terms Archive: %d documents tracked in %d s (whole run %.1f s) = %.0f documents/min; %d first versions; peak RSS %.0f MiB with its browser (node alone %.0f MiB)\n",
		n, s, w, o, v, peak / 1024, nrss / 1024
	printf "clausewatch (first pass, every document new): %.0f documents/min; peak RSS %.0f MiB\n", m, crss / 1024
	printf "ratio: clausewatch checks %.1fx more documents per minute than Open Terms Archive'"'"'s tracker, in %.1fx less memory\n",
		m / o, (peak > 0 && crss > 0) ? peak / crss : 0 }'
