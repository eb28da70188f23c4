#!/usr/bin/env bash
# kill -9 during a large import: the store stays consistent, no version is
# half-recorded, and running the import again completes it to exactly what
# an uninterrupted import records.
. "$(dirname "$0")/lib.sh"
need_shared

src="$SHARED/corpus/versions"
mkdir -p "$WORK/subset"
for d in "Facebook" "Instagram" "Threads"; do
	[ -d "$src/$d" ] && ln -s "$src/$d" "$WORK/subset/$d"
done
[ -n "$(ls "$WORK/subset")" ] || { echo "skipped: no large histories"; exit 77; }

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
done
check "the import was killed at least once mid-way" test "$kills" -ge 1
expect_exit 0 "re-running the import completes it" cw --quiet import-history "$WORK/subset"
cw --json list >"$WORK/got.json"
check "same documents and version counts as an uninterrupted import" cmp -s "$WORK/ref.json" "$WORK/got.json"
expect_exit 0 "the completed store verifies" cw stats --check
finish
