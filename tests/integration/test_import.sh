#!/usr/bin/env bash
# The whole corpus history: imported without an error, every version
# segmented, tiling verified on every stored version, re-import idempotent.
. "$(dirname "$0")/lib.sh"
need_shared

expect_exit 0 "import-history imports the whole corpus" cw --json import-history "$SHARED/corpus/versions"
cp "$WORK/out" "$WORK/import.json"
cat "$WORK/import.json"
files=$(find "$SHARED/corpus/versions" -type f | wc -l)
check "every file was read ($files)" test "$(json_field "$WORK/import.json" files)" -eq "$files"
check "no file failed" test "$(json_field "$WORK/import.json" failed)" -eq 0
recorded=$(json_field "$WORK/import.json" recorded)
check "versions were recorded ($recorded)" test "$recorded" -gt 3000
expect_exit 0 "every stored version verifies (hash, provisions, tiling)" cw --json stats --check
cat "$WORK/out"
check "all recorded versions were verified" test "$(json_field "$WORK/out" verified_versions)" -eq "$recorded"
expect_exit 0 "a second import" cw --json import-history "$SHARED/corpus/versions"
check "records nothing new" test "$(json_field "$WORK/out" recorded)" -eq 0
finish
