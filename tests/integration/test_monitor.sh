#!/bin/bash
# The monitoring service end to end, on loopback: declarations pointing at
# the fixture HTTP server, a document that changes between two `monitor
# --once` passes, a webhook receiver and the SMTP sink that must each get
# exactly one alert with the right summary and a valid signature, a
# failing document that becomes a health alert and not a version, a block
# page, the Atom feed, a digest, the SSRF guard, and SIGKILL in the middle
# of delivery with every alert delivered once after the restart.
. "$(dirname "$0")/lib.sh"
need_shared
need_tools "$FIX" "$HOOK" "$SINK"
SRC="$SHARED/corpus/snapshots/Microsoft Copilot/Privacy Policy/source.html"
need_file "$SRC" "a real page"

start_tools
mkdir -p "$WORK/hook2" "$WORK/decl"
cp "$SRC" "$WORK/site/privacy.html"
BASE=http://127.0.0.1:$FPORT
# the real declaration's selectors, our fixture's URLs; the second
# document's page does not exist
cat >"$WORK/decl/Copilot.json" <<JSON
{"name": "Microsoft Copilot", "terms": {
  "Privacy Policy": {"fetch": "$BASE/files/privacy.html", "select": ["main"], "remove": ["nav"]},
  "Terms of Service": {"fetch": "$BASE/files/missing.html", "select": ["main"]}}}
JSON
cw init >/dev/null
check "declarations load" cw declare "$WORK/decl"
check "webhook subscription" cw watch add --webhook "http://127.0.0.1:$HPORT/hook" --secret "$SECRET"
check "email subscription" cw watch add --email legal@example.org --min-materiality editorial
check "feed subscription" cw watch add --feed legal --service Copilot
expect_exit 2 "webhook without a secret is a usage error" cw watch add --webhook http://127.0.0.1:1/x
expect_exit 2 "two channels at once is a usage error" cw watch add --email a@b.c --feed x

MON="monitor --once --force --allow-private-network --smtp-url smtp://127.0.0.1:$SPORT --health-threshold 2 --fetch-attempts 1"

# pass 1: the first version of the policy; the missing page fails once
cw $MON >"$WORK/p1.out" 2>"$WORK/p1.err"
check "pass 1 records the first version" grep -q "1 new versions" "$WORK/p1.out"
cw history "Copilot/Privacy Policy" >"$WORK/h1" 2>&1
check "one version after pass 1" test "$(grep -c . "$WORK/h1")" -ge 1
check "no alert for a first version" test ! -s "$WORK/hook/log"

# pass 2: a retention period changes; the missing page fails again and
# reaches the health threshold
sed -i 's/18 months/36 months/' "$WORK/site/privacy.html"
cw $MON >"$WORK/p2.out" 2>"$WORK/p2.err"
check "pass 2 records a new version" grep -q "1 new versions" "$WORK/p2.out"
changes=$(grep -c '^new cw-1-c' "$WORK/hook/log")
check "the webhook receiver got exactly one change alert ($changes)" test "$changes" -eq 1
check "its signature was valid for the receiver" grep -q '^new cw-1-c[0-9]* valid$' "$WORK/hook/log"
body=$(ls "$WORK"/hook/cw-1-c*.json | head -1)
sig=$(cat "${body%.json}.sig" 2>/dev/null)
if command -v openssl >/dev/null 2>&1; then
	t=$(printf '%s' "$sig" | sed -n 's/^t=\([0-9]*\),v1=[0-9a-f]*$/\1/p')
	want="t=$t,v1=$({ printf '%s.' "$t"; cat "$body"; } | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)"
	check "signature = HMAC-SHA256 of the time and the exact body (openssl)" test -n "$t" -a "$sig" = "$want"
fi
check "the alert names the document" grep -q '"service":"Copilot","service_name":"Microsoft Copilot","type":"Privacy Policy"' "$body"
check "the alert carries the structured summary (18 -> 36 months)" grep -q '18 months.*36 months' "$body"
check "the alert is substantive" grep -q '"materiality":"substantive"' "$body"
check "the alert carries the redline text" grep -q '"op":"ins"[^}]*"text":"36"' "$body"
mails=$(grep -l '^Subject: .*Privacy Policy changed' "$WORK"/mail/*.eml 2>/dev/null | wc -l)
check "the SMTP sink got exactly one change email ($mails)" test "$mails" -eq 1
mail=$(grep -l '^Subject: .*Privacy Policy changed' "$WORK"/mail/*.eml | head -1)
check "the email has a plain-text and an HTML part" sh -c "grep -q 'text/plain' '$mail' && grep -q 'text/html' '$mail'"
check "the email has the redline" grep -q '<ins>36</ins>' "$mail"
check "the email went to the subscriber" grep -q '^X-Sink-Rcpt-To: <legal@example.org>' "$mail"

# the failing document: a health state and one operational alert, no version
cw --json status >"$WORK/status.json"
check "the missing page is failing in status" grep -q '"type":"Terms of Service","declared":true,"state":"failing","failures":2,"versions":0' "$WORK/status.json"
check "its last error names the HTTP status" grep -q '"last_error":"[^"]*404' "$WORK/status.json"
check "one health alert to the webhook" test "$(grep -c '^new cw-1-h' "$WORK/hook/log")" -eq 1
check "one health alert by email" test "$(grep -l '^Subject: .*Terms of Service: tracking failing' "$WORK"/mail/*.eml | wc -l)" -eq 1
expect_exit 3 "no version was recorded for the failing document" cw show "Copilot/Terms of Service"

# pass 3: nothing changed (304 to the conditional request): no new alert,
# and the failing document does not alert twice for the same streak
cw $MON >"$WORK/p3.out" 2>"$WORK/p3.err"
check "pass 3 asks with validators and gets 304" grep -q "(1 not modified)" "$WORK/p3.out"
check "still exactly one change alert and one health alert" test "$(grep -c '^new' "$WORK/hook/log")" -eq 2
check "still two emails" test "$(ls "$WORK"/mail/*.eml | wc -l)" -eq 2

# a block page: the selector still matches but the text collapses
cp "$WORK/site/privacy.html" "$WORK/privacy.good"
printf '<html><body><main><p>Please accept cookies to continue.</p></main></body></html>\n' >"$WORK/site/privacy.html"
cw $MON >"$WORK/p4.out" 2>"$WORK/p4.err"
check "a block page is counted as blocked, not as a version" grep -q "0 new versions.*1 blocked" "$WORK/p4.out"
cw --json status >"$WORK/status.json"
check "the block page makes the document fail" grep -q '"type":"Privacy Policy","declared":true,"state":"failing"' "$WORK/status.json"
check "no alert for a block page" test "$(grep -c '^new' "$WORK/hook/log")" -eq 2
cp "$WORK/privacy.good" "$WORK/site/privacy.html"
cw $MON >"$WORK/p5.out" 2>"$WORK/p5.err"
cw --json status >"$WORK/status.json"
check "the page back: the document is ok again, still 2 versions" grep -q '"type":"Privacy Policy","declared":true,"state":"ok","failures":0,"versions":2' "$WORK/status.json"
check "no recovery alert for a streak that raised none" test "$(grep -c '^new' "$WORK/hook/log")" -eq 2

# the failing document comes back: health ok again, and one "recovered"
# alert through the channels that got the failure alert
cp "$WORK/privacy.good" "$WORK/site/missing.html"
cw $MON >"$WORK/r1.out" 2>"$WORK/r1.err"
cw --json status >"$WORK/status.json"
check "the recovered document is ok in status" grep -q '"type":"Terms of Service","declared":true,"state":"ok","failures":0,"versions":1' "$WORK/status.json"
check "the monitor says it recovered" grep -q 'Terms of Service: recovered after 5 failed checks' "$WORK/r1.err"
check "one recovery alert to the webhook" test "$(grep -c '^new cw-1-h[0-9]*-R' "$WORK/hook/log")" -eq 1
rbody=$(ls "$WORK"/hook/cw-1-h*-R*.json 2>/dev/null | head -1)
check "it says recovered, names the document and the streak" grep -q '"service":"Copilot","type":"Terms of Service","state":"recovered","failing_since":"[0-9T:-]*Z","failures":5' "${rbody:-/dev/null}"
check "its signature was valid" grep -q '^new cw-1-h[0-9]*-R[0-9A-Z]* valid$' "$WORK/hook/log"
check "one recovery email" test "$(grep -l '^Subject: .*Terms of Service: tracking recovered' "$WORK"/mail/*.eml | wc -l)" -eq 1
cw $MON >"$WORK/r2.out" 2>"$WORK/r2.err"
check "no second recovery alert on the next pass" test "$(grep -c '^new cw-1-h[0-9]*-R' "$WORK/hook/log")" -eq 1

# one monitor per store: a second one is refused naming the store and the
# first one's pid; kill -9 of the first leaves no lock behind
"$CLAUSEWATCH" --db "$DB" monitor --poll 3600 --allow-private-network >"$WORK/l1.out" 2>"$WORK/l1.err" &
lpid=$!
for _ in $(seq 1 100); do
	[ "$(cat "$DB-monitor.lock" 2>/dev/null)" = "$lpid" ] && break
	sleep 0.05
done
expect_exit 1 "a second monitor on the same store is refused" cw $MON
check "the refusal names the store and the running monitor's pid" grep -q "'$DB': another monitor is running on this store (pid $lpid)" "$WORK/err"
kill -9 "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null
expect_exit 0 "after kill -9 of that monitor the lock is free" cw $MON

# the Atom feed of the watchlist
cw watch feed legal >"$WORK/feed.xml"
if command -v python3 >/dev/null 2>&1; then
	check "the feed is well-formed Atom with the change entry" python3 -c "
import sys, xml.etree.ElementTree as E
ns = '{http://www.w3.org/2005/Atom}'
f = E.parse(sys.argv[1]).getroot()
assert f.tag == ns + 'feed'
for k in ('id', 'title', 'updated', 'author'):
    assert f.find(ns + k) is not None, k
es = f.findall(ns + 'entry')
assert any('Privacy Policy changed' in e.find(ns + 'title').text for e in es)
for e in es:
    for k in ('id', 'title', 'updated'):
        assert e.find(ns + k) is not None, k
" "$WORK/feed.xml"
fi
expect_exit 3 "an unknown feed is not found" cw watch feed nosuchfeed

# a daily digest, sent now
check "digest subscription" cw watch add --webhook "http://127.0.0.1:$HPORT/hook" --secret "$SECRET" --cadence daily --document "Copilot/Privacy Policy"
sed -i 's/36 months/48 months/' "$WORK/site/privacy.html"
cw $MON >"$WORK/p6.out" 2>"$WORK/p6.err"
check "the digest subscription holds its alert" test "$(ls "$WORK"/hook/cw-4-*.json 2>/dev/null | wc -l)" -eq 0
cw monitor --once --deliver-only --digest-now --allow-private-network >"$WORK/d.out" 2>&1
digest=$(ls "$WORK"/hook/cw-4-d*.json 2>/dev/null | head -1)
check "one digest delivered" test -n "$digest"
check "the digest groups by service and materiality" grep -q '"groups":\[{"service":"Copilot","materiality":"substantive"' "${digest:-/dev/null}"

# SSRF guard: without --allow-private-network, loopback is refused
cw monitor --once --force --fetch-attempts 1 >"$WORK/ssrf.out" 2>&1
cw --json status >"$WORK/status.json"
check "loopback refused by default (recorded as a failure)" grep -q '"last_error":"[^"]*\(private\|loopback\|refused\|blocked\)' "$WORK/status.json"

# SIGKILL in the middle of delivery: 20 subscribers on a slow receiver
H2PORT=$(start hook2 "$HOOK" --dir "$WORK/hook2" --secret "$SECRET" --delay-ms 250)
for i in $(seq 1 20); do
	cw watch add --webhook "http://127.0.0.1:$H2PORT/h$i" --secret "$SECRET" --document "Copilot/Privacy Policy" >/dev/null
done
sed -i 's/48 months/60 months/' "$WORK/site/privacy.html"
# not through the cw function: $! must be the monitor itself
"$CLAUSEWATCH" --db "$DB" $MON >"$WORK/k1.out" 2>"$WORK/k1.err" &
mpid=$!
for _ in $(seq 1 200); do
	[ "$(grep -c . "$WORK/hook2/log" 2>/dev/null || echo 0)" -ge 4 ] && break
	sleep 0.05
done
kill -9 "$mpid" 2>/dev/null
wait "$mpid" 2>/dev/null
before=$(grep -c '^new' "$WORK/hook2/log")
check "killed mid-delivery ($before of 20 delivered)" test "$before" -lt 20
check "the killed monitor is gone" sh -c "! kill -0 $mpid 2>/dev/null"
cw --json status >"$WORK/status.json"
check "the undelivered alerts wait in the outbox" grep -q '"outbox":{"pending":[1-9]' "$WORK/status.json"
cw monitor --once --deliver-only --allow-private-network --smtp-url "smtp://127.0.0.1:$SPORT" >"$WORK/k2.out" 2>&1
news=$(grep -c '^new' "$WORK/hook2/log")
distinct=$(grep '^new' "$WORK/hook2/log" | cut -d' ' -f2 | sort -u | wc -l)
check "after the restart all 20 alerts are delivered ($news)" test "$news" -eq 20
check "none processed twice by the receiver ($distinct distinct keys)" test "$distinct" -eq 20
check "every one with a valid signature" test "$(grep -c '^new .* valid$' "$WORK/hook2/log")" -eq 20
echo "  (receiver saw $(grep -c '^dup' "$WORK/hook2/log") redelivered duplicates, acknowledged by key)"
cw --json status >"$WORK/status.json"
check "the outbox is empty" grep -q '"outbox":{"pending":0,' "$WORK/status.json"
check "the store is consistent after kill -9" cw stats

# extraction on worker threads records exactly what the monitor's thread
# alone records: same versions, text hashes and provisions, document by
# document, for 40 corpus versions served by the fixture server
# (documents: 2000 bytes or more, so none is an error page the monitor
# refuses)
mapfile -d '' eseeds < <(find "$SHARED/corpus/versions" -type f -name '*.md' -size +1999c -print0 | sort -z | head -z -n 40)
EPORT=$(start equiv "$FIX" --docs "${#eseeds[@]}" "${eseeds[@]}")
mkdir -p "$WORK/edecl"
for i in $(seq 0 $((${#eseeds[@]} - 1))); do
	printf '{"name":"Equiv %d","terms":{"Terms of Service":{"fetch":"http://127.0.0.1:%s/doc/%d","select":"body"}}}\n' \
		"$i" "$EPORT" "$i" >"$WORK/edecl/Equiv$i.json"
done
for w in 0 4; do
	db=$WORK/equiv$w.db
	"$CLAUSEWATCH" --db "$db" --quiet init >/dev/null
	"$CLAUSEWATCH" --db "$db" --quiet declare "$WORK/edecl" >/dev/null
	"$CLAUSEWATCH" --db "$db" --quiet monitor --once --force --allow-private-network \
		--fetch-attempts 1 --workers "$w" >"$WORK/equiv$w.out" 2>&1
	for i in $(seq 0 $((${#eseeds[@]} - 1))); do
		"$CLAUSEWATCH" --db "$db" --json history "Equiv$i/Terms of Service"
		"$CLAUSEWATCH" --db "$db" --json show "Equiv$i/Terms of Service"
	done | sed 's/"recorded_at":"[^"]*"//g' >"$WORK/equiv$w.txt"
done
check "both passes recorded every document ($(grep -c '"sha256"' "$WORK/equiv4.txt") lines with hashes)" \
	test "$(grep -c '"versions":\[{' "$WORK/equiv4.txt")" -eq "${#eseeds[@]}"
check "workers = 4 records the same versions, hashes and provisions as workers = 0" \
	cmp -s "$WORK/equiv0.txt" "$WORK/equiv4.txt"
# a pass where every document fails is a failed run (exit 1), so a cron
# job or a systemd timer sees it; port 9 of loopback refuses connections
mkdir -p "$WORK/downdecl"
for i in 1 2; do
	printf '{"name":"Down %d","terms":{"Terms of Service":{"fetch":"http://127.0.0.1:9/doc/%d","select":"body"}}}\n' \
		"$i" "$i" >"$WORK/downdecl/Down$i.json"
done
"$CLAUSEWATCH" --db "$WORK/down.db" --quiet declare "$WORK/downdecl" >/dev/null
expect_exit 1 "monitor --once where every document fails" \
	"$CLAUSEWATCH" --db "$WORK/down.db" monitor --once --allow-private-network --fetch-attempts 1 --no-browser
check "says so" grep -q "all 2 documents checked failed" "$WORK/err"
# a pass's memory is bounded by the extraction budget, not by the number
# of workers: six 20 MB pages on six workers, all at once and then with a
# budget of 16 MiB of pages (one at a time); peak RSS as the kernel counts
# it for the child (python's getrusage), never a time
mkdir -p "$WORK/bigdecl"
for i in 1 2 3 4 5 6; do
	printf '{"name":"Big %d","terms":{"Terms of Service":{"fetch":"http://127.0.0.1:%s/big/2000000%d","select":"body"}}}\n' \
		"$i" "$FPORT" "$i" >"$WORK/bigdecl/Big$i.json"
done
peak() { # peak BUDGET: the monitor's peak RSS in KiB over one pass
	rm -f "$WORK/big.db"*
	"$CLAUSEWATCH" --db "$WORK/big.db" --quiet declare "$WORK/bigdecl" >/dev/null
	python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
		"$CLAUSEWATCH" --db "$WORK/big.db" monitor --once --allow-private-network \
		--no-analysis --no-browser --workers 6 --max-bytes 30000000 \
		--fetch-attempts 1 --extract-budget-bytes "$1"
}
all=$(peak 1073741824)
one=$(peak 16777216)
echo "# peak RSS: $((all / 1024)) MiB with no budget to speak of, $((one / 1024)) MiB with 16 MiB"
check "the extraction budget lowers the pass's peak memory ($((one / 1024)) < 0.9 x $((all / 1024)) MiB)" \
	test "$((one * 10))" -lt "$((all * 9))"
finish
