#!/usr/bin/env bash
# validate and declare on Open Terms Archive's own files: its validator's
# fixtures, its contrib collection as a folder and as a collection folder
# (one holding declarations/), exit codes, --json and --strict.
. "$(dirname "$0")/lib.sh"
OTA=$SHARED/ota
if [ ! -d "$OTA/validate-fixtures" ] || [ ! -d "$OTA/contrib-declarations" ]; then
	echo "skipped: $OTA/validate-fixtures or contrib-declarations not found (set CW_SHARED)"
	exit 77
fi
FIX=$OTA/validate-fixtures

expect_exit 0 "the valid fixtures are valid" cw validate "$FIX"/valid/*.json
check "and say so" grep -q "^6 files (6 services, 7 documents, 0 history entries): valid, 0 errors" "$WORK/out"
expect_exit 0 "the valid history fixtures, read as history files" cw validate --history "$FIX"/valid-history/*.json
for f in "$FIX"/invalid/*.json; do
	expect_exit 1 "$(basename "$f") is refused" cw validate "$f"
	check "$(basename "$f"): one error" grep -q ": invalid, 1 error," "$WORK/out"
done
expect_exit 1 "a history fixture without validUntil is refused" cw validate --history "$FIX/invalid-history/missing-valid-until.json"
check "naming the entry" grep -q "^'[^']*missing-valid-until.json': Privacy Policy\[0\]: error: missing 'validUntil'" "$WORK/out"
expect_exit 1 "a date without a time is refused" cw validate --history "$FIX/invalid-history/invalid-date.json"
check "at validUntil" grep -q "Privacy Policy\[0\].validUntil: error: '2023-12-31' is not a date-time" "$WORK/out"
expect_exit 1 "without --history, a history fixture is an odd declaration" cw validate "$FIX/valid-history/simple-history.json"
check "and the hint says how to name it" grep -q "must end in .history.json" "$WORK/out"

# human output: file, JSON path, severity, message
expect_exit 1 "missing select" cw validate "$FIX/invalid/missing-select.json"
check "names the file and the path" grep -q "^'$FIX/invalid/missing-select.json': terms.Privacy Policy: error: missing 'select'" "$WORK/out"

# --json: every problem with file, path, severity and message
expect_exit 1 "--json over all the invalid fixtures" cw --json validate "$FIX"/invalid/*.json
check "one JSON line on stdout" test "$(wc -l <"$WORK/out")" -eq 1
check "valid is false, 9 errors" grep -q '"valid":false,"strict":false,"files":9,"services":9,"documents":8,"history_entries":0,"errors":9,' "$WORK/out"
check "a problem has file, path, severity and message" grep -q '{"file":"[^"]*invalid-filter-object.json","path":"terms.Privacy Policy.filter\[0\]","severity":"error","message":"a filter object has one key' "$WORK/out"
check "the error object on stderr" grep -q '"error":"9 errors and 0 warnings in 9 files","code":1' "$WORK/err"

# the contrib collection: a folder, and a collection folder
expect_exit 0 "the contrib collection is valid" cw validate "$OTA/contrib-declarations"
check "every file read" grep -Eq "^575 files \(379 services, 816 documents, [0-9]+ history entries\): valid, 0 errors" "$WORK/out"
mkdir -p "$WORK/collection"
ln -s "$OTA/contrib-declarations" "$WORK/collection/declarations"
expect_exit 0 "a collection folder stands for its declarations/" cw validate "$WORK/collection"
check "the same files" grep -q "^575 files (379 services, 816 documents" "$WORK/out"
expect_exit 1 "--strict fails on a warning" cw validate --strict "$OTA/contrib-declarations/Instagram.history.json"
check "the warning is the date given twice" grep -q "Developer Terms\[3\].validUntil: warning: the same date as Developer Terms\[0\]" "$WORK/out"

# usage
expect_exit 2 "validate needs a path" cw validate
expect_exit 2 "an unknown option" cw validate --nope "$FIX/valid/minimal-service.json"
expect_exit 1 "a missing file is an error" cw validate "$WORK/no-such.json"
check "named as such" grep -q "no such file or folder" "$WORK/out"

# declare: a collection folder, and an unknown terms type warned about
expect_exit 0 "declare reads a collection folder" cw declare "$WORK/collection"
check "all its services" grep -q "^declared 379 services, 816 documents" "$WORK/out"
cat >"$WORK/Typo.json" <<'JSON'
{ "name": "Typo", "terms": { "Terms of Use": {
  "fetch": "https://typo.example/tos", "select": "main" } } }
JSON
expect_exit 0 "declare loads an unknown terms type" cw declare "$WORK/Typo.json"
check "with a warning and the near miss" grep -q "warning: '$WORK/Typo.json': terms.Terms of Use: unknown terms type 'Terms of Use'; did you mean 'Terms of Service' (also known as 'Terms of Use')?" "$WORK/err"
expect_exit 1 "validate refuses it" cw validate "$WORK/Typo.json"

finish
