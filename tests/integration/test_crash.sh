#!/usr/bin/env bash
# kill -9 during a large import: the store stays consistent, no version is
# half-recorded, and running the import again completes it to exactly what
# an uninterrupted import records.
. "$(dirname "$0")/lib.sh"
need_shared

corpus_subset "Facebook" "Instagram" "Threads"

# the reference: an uninterrupted import into another store
"$CLAUSEWATCH" --db "$WORK/ref.db" --quiet import-history "$WORK/subset" >/dev/null
"$CLAUSEWATCH" --db "$WORK/ref.db" --json list >"$WORK/ref.json"

kills=0
for delay in 0.3 0.7 1.2; do
	"$CLAUSEWATCH" --db "$DB" --quiet import-history "$WORK/subset" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
	wait "$pid" 2>/dev/null
	expect_exit 0 "after kill -9 at ${delay}s the store verifies" cw stats --check
	expect_exit 0 "and its log matches its records" cw log verify
done
check "the import was killed at least once mid-way" test "$kills" -ge 1
# Facebook's history has error pages: refused each time (exit 5)
expect_exit 5 "re-running the import completes it" cw --quiet import-history "$WORK/subset"
cw --json list >"$WORK/got.json"
check "same documents and version counts as an uninterrupted import" cmp -s "$WORK/ref.json" "$WORK/got.json"
expect_exit 0 "the completed store verifies" cw stats --check
expect_exit 0 "and so does its log" cw log verify

# kill -9 of the monitor in the middle of a pass (transfers in flight,
# pages on the extraction workers): the store verifies, and the next pass
# records exactly what an uninterrupted pass records
FIX=$(cd "$(dirname "$CLAUSEWATCH")/../.." && pwd)/tests/fixture_server
if [ -x "$FIX" ]; then
	# documents only (2000 bytes or more): the error pages in Facebook's
	# history are refused by the monitor, never a version
	mapfile -d '' mseeds < <(find "$src" -type f -name '*.md' -size +1999c -print0 | sort -z | head -z -n 200)
	"$FIX" --docs "${#mseeds[@]}" --latency-ms 20 "${mseeds[@]}" >"$WORK/fix.port" 2>/dev/null &
	fpid=$!
	for _ in $(seq 1 50); do [ -s "$WORK/fix.port" ] && break; sleep 0.1; done
	mkdir -p "$WORK/mdecl"
	for i in $(seq 0 $((${#mseeds[@]} - 1))); do
		printf '{"name":"M %d","terms":{"Terms of Service":{"fetch":"http://127.0.0.1:%s/doc/%d","select":"body"}}}\n' \
			"$i" "$(head -1 "$WORK/fix.port")" "$i" >"$WORK/mdecl/M$i.json"
	done
	MON="monitor --once --allow-private-network --fetch-attempts 1 --max-per-host 2 --host-delay-ms 0 --workers 2"
	for db in "$WORK/mref.db" "$WORK/mkill.db"; do
		"$CLAUSEWATCH" --db "$db" --quiet init >/dev/null
		"$CLAUSEWATCH" --db "$db" --quiet declare "$WORK/mdecl" >/dev/null
	done
	"$CLAUSEWATCH" --db "$WORK/mref.db" --quiet $MON >/dev/null 2>&1
	"$CLAUSEWATCH" --db "$WORK/mkill.db" --quiet $MON >/dev/null 2>&1 &
	mpid=$!
	sleep 1
	killed=0
	if kill -9 "$mpid" 2>/dev/null; then killed=1; fi
	wait "$mpid" 2>/dev/null
	check "the monitor was killed mid-pass" test "$killed" -eq 1
	expect_exit 0 "after kill -9 of the monitor the store verifies" \
		"$CLAUSEWATCH" --db "$WORK/mkill.db" stats --check
	expect_exit 0 "and its log (snapshot pages, versions, changes, analyses) matches it" \
		"$CLAUSEWATCH" --db "$WORK/mkill.db" log verify
	"$CLAUSEWATCH" --db "$WORK/mkill.db" --json list >"$WORK/mkill1.json"
	check "the killed pass recorded some documents, not all" \
		test "$(grep -o '"versions":1' "$WORK/mkill1.json" | wc -l)" -lt "${#mseeds[@]}"
	expect_exit 0 "the next pass (the documents still due) completes" \
		"$CLAUSEWATCH" --db "$WORK/mkill.db" --quiet $MON
	for db in mref mkill; do
		for i in $(seq 0 $((${#mseeds[@]} - 1))); do
			"$CLAUSEWATCH" --db "$WORK/$db.db" --json history "M$i/Terms of Service"
		done | sed 's/"recorded_at":"[^"]*"//g; s/"snapshot":[0-9]*//g' >"$WORK/$db.txt"
	done
	check "every document has its version after the restart" \
		test "$(grep -c '"seq":1' "$WORK/mkill.txt")" -eq "${#mseeds[@]}"
	check "same versions and hashes as the uninterrupted pass" cmp -s "$WORK/mref.txt" "$WORK/mkill.txt"
	expect_exit 0 "the completed monitor store's log verifies" \
		"$CLAUSEWATCH" --db "$WORK/mkill.db" log verify
	kill "$fpid" 2>/dev/null
else
	echo "skipped: $FIX not built (monitor kill -9 cases)"
fi
finish
