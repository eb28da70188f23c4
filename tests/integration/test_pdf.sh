#!/bin/bash
# PDFs within limits. A hostile PDF made here (three texts drawn 32,000
# times at one place: poppler needs about 25 s and 320 MiB for its 8 KB)
# sits in a monitor pass beside ordinary documents (two HTML pages and a
# plain PDF) served by the fixture server: the ordinary ones are recorded
# without waiting for it, it fails with its cause at its 3 s limit, it
# goes on the failing document's schedule, and the pass ends in bounded
# time. `extract` and `ingest` stop it the same way, by time and by
# memory. Every file is our own, written by tests/tools/make_pdf.py.
. "$(dirname "$0")/lib.sh"
need_tools "$FIX"
if ! command -v python3 >/dev/null 2>&1; then
	echo "skipped: python3 is needed to write the PDFs"
	exit 77
fi
MAKE_PDF=$TESTS/tools/make_pdf.py

mkdir -p "$WORK/site" "$WORK/decl"
python3 "$MAKE_PDF" --overlap 32000 "$WORK/site/hostile.pdf"
python3 "$MAKE_PDF" "$WORK/site/privacy.pdf" "Privacy Policy
1. We keep account data for 18 months." "2. You may ask us to delete it."
for p in terms aup; do
	printf '<html><body><nav>menu</nav><main><h1>%s</h1><p>These are the %s of Example.</p></main></body></html>\n' \
		"$p" "$p" >"$WORK/site/$p.html"
done
FPORT=$(start fixture "$FIX" --dir "$WORK/site")
BASE=http://127.0.0.1:$FPORT
cat >"$WORK/decl/Example.json" <<JSON
{"name": "Example", "terms": {
  "Terms of Service": {"fetch": "$BASE/files/terms.html", "select": ["main"]},
  "Acceptable Use Policy": {"fetch": "$BASE/files/aup.html", "select": ["main"]},
  "Privacy Policy": {"fetch": "$BASE/files/privacy.pdf"}}}
JSON
cat >"$WORK/decl/Hostile.json" <<JSON
{"name": "Hostile", "terms": {
  "Terms of Service": {"fetch": "$BASE/files/hostile.pdf"}}}
JSON
cw init >/dev/null
check "declarations load" cw declare "$WORK/decl"

# extract: the ordinary PDF as text, the hostile one stopped at its limit
# (exit 1, the cause named), by time and by address space
cw extract "$WORK/site/privacy.pdf" >"$WORK/privacy.txt" 2>"$WORK/x.err"
check "extract reads an ordinary PDF" grep -q '^1. We keep account data for 18 months.$' "$WORK/privacy.txt"
t0=$(date +%s)
expect_exit 1 "extract fails on the hostile PDF past --pdf-timeout-ms" \
	cw extract --pdf-timeout-ms 2000 "$WORK/site/hostile.pdf"
t1=$(date +%s)
check "... naming the file and the limit" grep -qx "clausewatch: '$WORK/site/hostile.pdf': PDF extraction took longer than 2 s" "$WORK/err"
check "... within a generous bound of it ($((t1 - t0)) s)" test $((t1 - t0)) -lt 30
expect_exit 1 "extract fails on it past --pdf-memory-mb" \
	cw extract --pdf-memory-mb 200 --pdf-timeout-ms 120000 "$WORK/site/hostile.pdf"
check "... naming the memory limit" grep -qx "clausewatch: '$WORK/site/hostile.pdf': PDF extraction used more than 200 MiB" "$WORK/err"
expect_exit 2 "a memory limit below the program's own size is a usage error" \
	cw extract --pdf-memory-mb 16 "$WORK/site/privacy.pdf"

# ingest: the same limit, the failure recorded as an attempt, no version
expect_exit 1 "ingest fails on the hostile PDF past --pdf-timeout-ms" \
	cw ingest --pdf-timeout-ms 2000 "Upload/Terms of Service" "$WORK/site/hostile.pdf"
check "... with its cause" grep -q "PDF extraction took longer than 2 s" "$WORK/err"
expect_exit 3 "... and no version of it" cw show "Upload/Terms of Service"

# the monitor: one pass over all four documents, the PDF limit at 3 s
MON="monitor --once --force --verbose --allow-private-network --fetch-attempts 1 --workers 2 --pdf-timeout-ms 3000"
t0=$(date +%s)
cw $MON >"$WORK/p1.out" 2>"$WORK/p1.err"
rc=$?
t1=$(date +%s)
check "the pass ends (exit $rc: some documents were recorded)" test "$rc" -eq 0
check "the pass ends in bounded time ($((t1 - t0)) s < 60)" test $((t1 - t0)) -lt 60
check "the three ordinary documents are recorded" grep -q "checked 4 of 4 due.*: 3 new versions, 0 unchanged (0 not modified), 1 failed" "$WORK/p1.out"
check "the hostile PDF failed with its cause" grep -qx "Hostile/Terms of Service: failed: '$BASE/files/hostile.pdf': PDF extraction took longer than 3 s" "$WORK/p1.err"
check "the ordinary documents did not wait for it (its failure is the last line)" \
	test "$(grep -E '^(Example|Hostile)/' "$WORK/p1.err" | tail -1 | cut -d: -f1)" = "Hostile/Terms of Service"
cw show "Example/Privacy Policy" >"$WORK/show.txt" 2>&1
check "the ordinary PDF's text is its version" grep -q "We keep account data for 18 months" "$WORK/show.txt"
expect_exit 3 "no version of the hostile PDF" cw show "Hostile/Terms of Service"

cw --json status >"$WORK/status.json"
check "status: the hostile PDF is failing with its cause, the others ok" python3 - "$WORK/status.json" <<'PY'
import json, sys
docs = {d["service"] + "/" + d["type"]: d for d in json.load(open(sys.argv[1]))["documents"]}
h = docs["Hostile/Terms of Service"]
assert h["state"] == "failing" and h["failures"] == 1, h
assert h["last_error"].endswith("PDF extraction took longer than 3 s"), h
for k in ("Example/Terms of Service", "Example/Acceptable Use Policy", "Example/Privacy Policy"):
    assert docs[k]["state"] == "ok" and docs[k]["versions"] == 1, docs[k]
    # a failing document is checked again after failing_retry (1 h), the
    # others after their interval (12 h): the hostile one comes first
    assert h["next_due"] < docs[k]["next_due"], (h["next_due"], docs[k]["next_due"])
PY

# the next pass, not forced: the hostile PDF is not due yet (it backs off
# like any failing document), so nothing holds the pass up
t0=$(date +%s)
cw monitor --once --allow-private-network --pdf-timeout-ms 3000 >"$WORK/p2.out" 2>"$WORK/p2.err"
t1=$(date +%s)
check "the next pass finds nothing due" grep -q "checked 0 of 0 due" "$WORK/p2.out"
check "... and takes no PDF time ($((t1 - t0)) s)" test $((t1 - t0)) -lt 3
cw --json monitor --once --force --allow-private-network --fetch-attempts 1 --pdf-timeout-ms 3000 >"$WORK/p3.json" 2>"$WORK/p3.err"
check "a forced pass counts the failure as a time limit" grep -q '"failures":{"CW_ETIMEOUT":1}' "$WORK/p3.json"
cw --json status >"$WORK/status.json"
check "... and the failure streak goes on" grep -q '"service":"Hostile","type":"Terms of Service","declared":true,"state":"failing","failures":2' "$WORK/status.json"

# SIGTERM to the monitor alone (not its group, as `kill PID` does) while
# the hostile PDF's process runs under a 60 s limit: the monitor kills
# that process and stops in seconds, not at the PDF's limit
helpers() { pgrep -f -- '--clausewatch-internal-pdf-text' | grep -c .; }
"$CLAUSEWATCH" --db "$DB" monitor --force --poll 3600 --allow-private-network \
	--fetch-attempts 1 --pdf-timeout-ms 60000 >"$WORK/m.out" 2>"$WORK/m.err" &
mpid=$!
for _ in $(seq 1 200); do
	[ "$(helpers)" -ge 1 ] && break
	sleep 0.05
done
check "the hostile PDF's process runs ($(helpers))" test "$(helpers)" -ge 1
sleep 0.5
t0=$(date +%s%3N)
kill -TERM "$mpid"
for _ in $(seq 1 400); do
	kill -0 "$mpid" 2>/dev/null || break
	sleep 0.05
done
t1=$(date +%s%3N)
check "SIGTERM stops the monitor during a PDF ($((t1 - t0)) ms, where the limit is 60 s)" test $((t1 - t0)) -lt 10000
wait "$mpid"
mrc=$?
check "... with exit 0 ($mrc)" test "$mrc" -eq 0
sleep 0.3
check "... and leaves no PDF process behind ($(helpers))" test "$(helpers)" -eq 0
finish
