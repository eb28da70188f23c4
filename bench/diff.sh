#!/bin/sh
# Provision diff throughput: every consecutive version pair of every
# document in $CW_SHARED/corpus/versions (ls order per service/type), with
# `clausewatch diff-files --batch` (extraction, segmentation, alignment,
# word redlines, facts and summaries) and with
# `git diff --no-index --word-diff=porcelain` on the same files (the
# corpus files are the extracted Markdown texts). Prints total time of
# each, the ratio and the peak memory (max RSS, /usr/bin/time).
# CLAUSEWATCH overrides the binary (default: the release build).
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
VERS=$SHARED/corpus/versions
bench_tmp diff

echo "== provision diff of consecutive versions (whole corpus, one core)"
bench_need "$VERS"
if [ ! -x "$CW" ]; then
	echo "bench: $CW not built" >&2
	exit 1
fi
bench_pairs "$VERS" "$TMP/pairs.tsv"
pairs=$(wc -l <"$TMP/pairs.tsv")
bytes=$(cut -f2 "$TMP/pairs.tsv" | tr '\n' '\0' | xargs -0 cat | wc -c)
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
TIME=/usr/bin/time

"$TIME" -f "%e %M %U %S" -o "$TMP/cw.time" $pin "$CW" --quiet diff-files --batch "$TMP/pairs.tsv" \
	>/dev/null 2>"$TMP/cw.err" || {
	echo "bench: clausewatch diff-files failed:" >&2
	tail -5 "$TMP/cw.err" >&2
	exit 1
}
bench_git_diff_script "$TMP/git.sh"
"$TIME" -f "%e %M %U %S" -o "$TMP/git.time" $pin sh "$TMP/git.sh" "$TMP/pairs.tsv"

# git exits 1 when files differ: /usr/bin/time then writes a status line first
read -r cw_s cw_kb cw_u cw_y <"$TMP/cw.time"
grep -v '^Command' "$TMP/git.time" | { read -r git_s git_kb git_u git_y; echo "$git_s $git_kb $git_u $git_y"; } >"$TMP/git.vals"
read -r git_s git_kb git_u git_y <"$TMP/git.vals"
tail -1 "$TMP/cw.err"
awk -v p="$pairs" -v b="$bytes" -v cs="$cw_s" -v ck="$cw_kb" -v gs="$git_s" -v gk="$git_kb" \
	-v cc="$(awk -v u="$cw_u" -v y="$cw_y" 'BEGIN { print u + y }')" \
	-v gc="$(awk -v u="$git_u" -v y="$git_y" 'BEGIN { print u + y }')" 'BEGIN {
	printf "pairs: %d (%.1f MB of new-side text)\n", p, b / 1e6;
	printf "clausewatch diff-files --batch: %.2f s wall, %.2f s CPU, peak RSS %.0f MiB\n", cs, cc, ck / 1024;
	printf "git diff --no-index --word-diff=porcelain: %.2f s wall, %.2f s CPU, peak RSS %.0f MiB (one process per pair)\n", gs, gc, gk / 1024;
	printf "ratio (wall): clausewatch is %.2fx %s than git word diff\n", (cs < gs ? gs / cs : cs / gs), (cs < gs ? "faster" : "slower");
	printf "ratio (CPU): clausewatch is %.2fx %s than git word diff\n", (cc < gc ? gc / cc : cc / gc), (cc < gc ? "faster" : "slower") }'
