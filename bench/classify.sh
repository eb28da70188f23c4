#!/bin/sh
# Clause classifier throughput on one core: every CLAUDETTE sentence
# ($CW_SHARED/labels/claudette/sentences_en.tsv) through `clausewatch
# classify`, as sentences (--sentence) and as provisions (split and
# aggregated), best of 3 runs. Prints sentences/s and MB/s of input text.
# CLAUSEWATCH overrides the binary (default: the release build).
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
TSV=$SHARED/labels/claudette/sentences_en.tsv
bench_tmp classify

echo "== clause classification (CLAUDETTE sentences, one core)"
bench_need "$TSV"
tail -n +2 "$TSV" | cut -f6 >"$TMP/in.txt"
lines=$(wc -l <"$TMP/in.txt")
bytes=$(wc -c <"$TMP/in.txt")
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"

# Wall time is what a user waits; CPU time (user + system, from
# /usr/bin/time when present) is what one core spends, and stays meaningful
# on a busy machine. Both include loading the model.
for mode in sentence provision; do
	flag=""
	[ "$mode" = sentence ] && flag="--sentence"
	best=""
	bestcpu=""
	for run in 1 2 3; do
		t0=$(now)
		if [ -x /usr/bin/time ]; then
			$pin /usr/bin/time -f "%U %S" -o "$TMP/time" "$CW" classify $flag \
				<"$TMP/in.txt" >"$TMP/out.jsonl"
		else
			$pin "$CW" classify $flag <"$TMP/in.txt" >"$TMP/out.jsonl"
		fi || {
			echo "bench: clausewatch classify failed" >&2
			exit 1
		}
		t1=$(now)
		s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
		c=$s
		[ -s "$TMP/time" ] && c=$(awk '{ printf "%.4f", $1 + $2 }' "$TMP/time")
		if [ -z "$best" ] || awk -v s="$s" -v b="$best" 'BEGIN { exit !(s < b) }'; then
			best=$s
		fi
		if [ -z "$bestcpu" ] || awk -v s="$c" -v b="$bestcpu" 'BEGIN { exit !(s < b) }'; then
			bestcpu=$c
		fi
	done
	out=$(wc -l <"$TMP/out.jsonl")
	flagged=$(grep -c '"claudette":\["' "$TMP/out.jsonl")
	awk -v n="$lines" -v b="$bytes" -v s="$best" -v c="$bestcpu" -v m="$mode" -v o="$out" -v f="$flagged" 'BEGIN {
		if (c <= 0) c = 0.001
		printf "classify (%s): %d lines, %.2f MB; wall %.2f s: %.0f sentences/s, %.2f MB/s; CPU %.2f s: %.0f sentences/s, %.2f MB/s; %d of %d lines flagged unfair\n",
			m, n, b / 1e6, s, n / s, b / 1e6 / s, c, n / c, b / 1e6 / c, f, o }'
done
