#!/usr/bin/env bash
# The whole corpus history: imported, every version segmented, tiling
# verified on every stored version, re-import idempotent. The corpus's
# error pages ("This page isn't available", "We're Sorry") are refused,
# named, and the histories go on: a partial import (exit 5), every
# failure one of them.
. "$(dirname "$0")/lib.sh"
need_shared

expect_exit 5 "import-history imports the whole corpus, but its error pages" cw --json import-history "$SHARED/corpus/versions"
cp "$WORK/out" "$WORK/import.json"
cat "$WORK/import.json"
files=$(find "$SHARED/corpus/versions" -type f | wc -l)
check "every file was read ($files)" test "$(json_field "$WORK/import.json" files)" -eq "$files"
refused=$(json_field "$WORK/import.json" refused)
check "some files are refused as not a version ($refused)" test "$refused" -gt 40
check "... and no file failed for another reason" test "$(json_field "$WORK/import.json" failed)" -eq "$refused"
check "each is named with its cause" test "$(grep -c "^clausewatch: '.*': not recorded: " "$WORK/err")" -eq "$refused"
recorded=$(json_field "$WORK/import.json" recorded)
check "versions were recorded ($recorded)" test "$recorded" -gt 3000
expect_exit 0 "every stored version verifies (hash, provisions, tiling)" cw --json stats --check
cat "$WORK/out"
check "all recorded versions were verified" test "$(json_field "$WORK/out" verified_versions)" -eq "$recorded"
expect_exit 5 "a second import (the error pages refused again)" cw --json import-history "$SHARED/corpus/versions"
check "records nothing new" test "$(json_field "$WORK/out" recorded)" -eq 0
check "... and refuses the same files" test "$(json_field "$WORK/out" refused)" -eq "$refused"
finish
