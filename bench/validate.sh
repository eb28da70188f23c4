#!/bin/sh
# Open Terms Archive's validator fixtures and contrib collection through
# `clausewatch validate`: how many valid fixtures it accepts, how many
# invalid ones it refuses, and what it says of the whole collection. Not
# a timing; printed by `make bench` beside the other figures of issue 16.
# Env: CLAUSEWATCH, CW_SHARED.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
FIX=$SHARED/ota/validate-fixtures
echo "== Open Terms Archive's validator fixtures"
bench_need "$FIX"
# count DIR WANT [--history]: files of DIR whose exit status is WANT
count() {
	n=0 t=0
	for f in "$1"/*.json; do
		[ -f "$f" ] || continue
		t=$((t + 1))
		"$CW" --quiet validate ${3:-} "$f" >/dev/null 2>&1
		[ $? -eq "$2" ] && n=$((n + 1))
	done
	echo "$n/$t"
}
echo "valid declarations accepted: $(count "$FIX/valid" 0)"
echo "valid history files accepted: $(count "$FIX/valid-history" 0 --history)"
echo "invalid declarations refused: $(count "$FIX/invalid" 1)"
echo "invalid history files refused: $(count "$FIX/invalid-history" 1 --history)"
if [ -d "$SHARED/ota/contrib-declarations" ]; then
	"$CW" validate "$SHARED/ota/contrib-declarations" 2>&1 | tail -1 | sed 's/^/contrib collection: /'
fi
