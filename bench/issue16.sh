#!/bin/sh
# Issue 16's three costs against git, before and after: start-up
# (`--version` against `git --version`), the provision diff of every
# consecutive corpus pair (`diff-files --batch` against git's word diff
# run once per pair, CPU seconds) and the store of the corpus versions
# (the SQLite file after import-history against git's packed objects).
# "Before" is the build of BEFORE (default c18df1b, where the work on the
# issue began), made once into build-release/before16/.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_tmp issue16
BEFORE=${BEFORE:-c18df1b}
VERS=$SHARED/corpus/versions
echo "== issue 16: start-up, diff and store against git, before ($BEFORE) and now"
bench_need "$VERS"
OLD=$(bench_build_at "$BEFORE" build-release/before16) || exit 1
OLD_DATA=build-release/before16/src/data
N=${STARTUP_RUNS:-200}

cpu_s() { # user + system seconds of CMD (which may exit 1: git diff)
	/usr/bin/time -f "%U %S" -o "$TMP/t" "$@" >/dev/null 2>&1
	grep -v '^Command' "$TMP/t" | awk '{ printf "%.2f", $1 + $2 }'
}

git_v=$(bench_mean_ms "$N" git --version)
old_v=$(CW_DATA_DIR=$OLD_DATA bench_mean_ms "$N" "$OLD" --version)
new_v=$(bench_mean_ms "$N" "$CW" --version)

bench_pairs "$VERS" "$TMP/pairs.tsv"
bench_git_diff_script "$TMP/git.sh"
git_d=$(cpu_s sh "$TMP/git.sh" "$TMP/pairs.tsv")
old_d=$(CW_DATA_DIR=$OLD_DATA cpu_s "$OLD" --quiet diff-files --batch "$TMP/pairs.tsv")
new_d=$(cpu_s "$CW" --quiet diff-files --batch "$TMP/pairs.tsv")

CW_DATA_DIR=$OLD_DATA "$OLD" --db "$TMP/old.db" --quiet import-history "$VERS" >/dev/null 2>&1
"$CW" --db "$TMP/new.db" --quiet import-history "$VERS" >/dev/null 2>&1
old_s=$(stat -c %s "$TMP/old.db")
new_s=$(stat -c %s "$TMP/new.db")
bench_git_history "$TMP/git"
git_s=$(du -sb "$TMP/git/.git/objects" | cut -f1)

# the store by part (dbstat: pages of each table and index) and git's
# objects by type: the part that holds the versions is what git holds
part_mib() { # DB WHERE-clause over dbstat's name
	sqlite3 "$1" "SELECT sum(pgsize) FROM dbstat WHERE $2" 2>/dev/null |
		awk '{ printf "%.1f", $1 / 1048576 }'
}
SEARCH="name LIKE 'provision_texts%' OR name LIKE '%_fts%' OR name = 'sqlite_autoindex_provision_texts_1'"
LOG="name LIKE 'log_%' OR name LIKE 'sqlite_autoindex_log_%'"
git_parts=$(git -C "$TMP/git" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize:disk)' |
	awk '{ s[$1] += $2 } END { printf "blobs %.1f MiB, trees and commits %.1f MiB", s["blob"] / 1048576, (s["tree"] + s["commit"]) / 1048576 }')
texts=$(sqlite3 "$TMP/new.db" "SELECT sum(length(data)) FROM blobs WHERE id IN (SELECT text_blob FROM versions)" |
	awk '{ printf "%.1f", $1 / 1048576 }')
echo "store by part, now: versions $(part_mib "$TMP/new.db" "NOT ($SEARCH) AND NOT ($LOG)") MiB (of which the texts' frames $texts MiB)," \
	"search index $(part_mib "$TMP/new.db" "$SEARCH") MiB, signed log $(part_mib "$TMP/new.db" "$LOG") MiB; git: $git_parts"

awk -v gv="$git_v" -v ov="$old_v" -v nv="$new_v" -v gd="$git_d" -v od="$old_d" -v nd="$new_d" \
	-v gs="$git_s" -v os="$old_s" -v ns="$new_s" 'BEGIN {
	printf "start-up: git %.2f ms; before %.2f ms (%.1fx git), now %.2f ms (%.1fx git)\n", gv, ov, ov / gv, nv, nv / gv
	printf "diff of %s: git %.2f s CPU; before %.2f s (%.2fx git), now %.2f s (%.2fx git)\n", "every corpus pair", gd, od, od / gd, nd, nd / gd
	printf "store: git %.1f MiB; before %.1f MiB (%.2fx git), now %.1f MiB (%.2fx git)\n", gs / 1048576, os / 1048576, os / gs, ns / 1048576, ns / gs
	printf "ratios against git (lower is better), before -> now: start-up %.1f -> %.1f, diff %.2f -> %.2f, store %.2f -> %.2f\n", ov / gv, nv / gv, od / gd, nd / gd, os / gs, ns / gs }'
