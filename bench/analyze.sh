#!/bin/sh
# Provision analysis of the whole corpus: import $CW_SHARED/corpus/versions
# into a temporary store, then `clausewatch analyze --all`, which analyses
# the latest version of every document (rules, classifier, facts, notes,
# exposure, generated text; stored per version) and runs the "how other
# platforms handle this" query (top 3, the store's FTS5 search filtered by
# category) for each analysed provision. Prints the figures; "index" is
# now only opening the search (the store keeps the index as versions are
# recorded, so its cost is in the import).
# Classification throughput alone is bench/classify.sh (run by bench/run).
# CLAUSEWATCH overrides the binary (default: the release build).
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_tmp analyze

echo "== provision analysis of every current document of the corpus"
bench_need "$SHARED/corpus/versions"
"$CW" --db "$TMP/store.db" --quiet import-history "$SHARED/corpus/versions" >"$TMP/import.txt" 2>&1 || {
	echo "bench: import failed" >&2
	tail -3 "$TMP/import.txt" >&2
	exit 1
}
tail -1 "$TMP/import.txt"
t0=$(now)
"$CW" --db "$TMP/store.db" --json analyze --all >"$TMP/all.json" || {
	echo "bench: analyze --all failed" >&2
	exit 1
}
t1=$(now)
# a second run reads the stored analyses back: what a later page costs
"$CW" --db "$TMP/store.db" --json analyze --all >"$TMP/again.json" || exit 1
t2=$(now)
f() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1"; }
awk -v d="$(f "$TMP/all.json" documents)" -v p="$(f "$TMP/all.json" analysed_provisions)" \
	-v a="$(f "$TMP/all.json" analyse_seconds)" -v i="$(f "$TMP/all.json" index_seconds)" \
	-v e="$(f "$TMP/all.json" index_entries)" -v q="$(f "$TMP/all.json" queries)" \
	-v qs="$(f "$TMP/all.json" query_seconds)" -v w1="$t0" -v w2="$t1" -v w3="$t2" 'BEGIN {
	printf "analysed %d documents (latest versions), %d provisions, in %.2f s (%.0f provisions/s)\n", d, p, a, p / a
	printf "similarity search: %d current provisions indexed, opened in %.2f s; %d top-3 queries in %.2f s\n", e, i, q, qs
	printf "wall time, everything included (store reads and writes): %.2f s; again from stored analyses: %.2f s\n", w2 - w1, w3 - w2 }'
