#!/bin/sh
# Issue 10's measure: the share of our key's keyword groups that the
# document summaries name (scripts/summary-score over
# tests/data/changes/key.json), for the build of BEFORE (default 4b691be,
# where the work began, made once into build-release/before10/) and now;
# and what reading the meaning costs: diff-files --batch over every
# consecutive corpus pair with the summaries and without (--quiet), CPU.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_tmp summaries
BEFORE=${BEFORE:-4b691be}
VERS=$SHARED/corpus/versions
KEY=tests/data/changes/key.json
echo "== change summaries against our key of described changes, before ($BEFORE) and now"
bench_need "$VERS"
OLD=$(bench_build_at "$BEFORE" build-release/before10) || exit 1
old=$(CW_DATA_DIR=build-release/before10/src/data scripts/summary-score "$OLD" "$KEY" "$VERS" | tail -1)
new=$(scripts/summary-score "$CW" "$KEY" "$VERS" | tail -1)
echo "before: $old"
echo "now: $new"

cpu_s() { # user + system seconds of CMD
	/usr/bin/time -f "%U %S" -o "$TMP/t" "$@" >/dev/null 2>&1
	grep -v '^Command' "$TMP/t" | awk '{ printf "%.2f", $1 + $2 }'
}
bench_pairs "$VERS" "$TMP/pairs.tsv"
quiet=$(cpu_s "$CW" --quiet diff-files --batch "$TMP/pairs.tsv")
said=$(cpu_s "$CW" diff-files --batch "$TMP/pairs.tsv")
awk -v q="$quiet" -v s="$said" -v n="$(wc -l <"$TMP/pairs.tsv")" 'BEGIN {
	printf "diff of %d corpus pairs: %.2f s CPU without summaries, %.2f s with (%.2fx)\n", n, q, s, s / q }'
