#!/usr/bin/env bash
# Open Terms Archive datasets on the real corpus: imported, exported, the
# export imported into a second store and exported again (the two exports
# equal byte for byte, every document's versions equal in both stores),
# the export zipped under a top folder as OTA's releases are and imported
# into a third store (the same versions again).
. "$(dirname "$0")/lib.sh"

# readme_has PATTERN FILE: the paragraphs of FILE, lines joined, match
readme_has() { tr '\n' ' ' <"$2" | grep -Eq -- "$1"; }
need_shared

VERSIONS=$SHARED/corpus/versions
DB2=$WORK/second.db
DB3=$WORK/zip.db
cw2() { "$CLAUSEWATCH" --db "$DB2" "$@"; }
cw3() { "$CLAUSEWATCH" --db "$DB3" "$@"; }

# versions DB OUT: every document's versions as "service/type seq time
# sha256" lines, one per version, for comparing stores
versions() {
	"$CLAUSEWATCH" --db "$1" --json list | python3 -c '
import json, subprocess, sys
db, cw = sys.argv[1], sys.argv[2]
for d in json.load(sys.stdin)["documents"]:
    ref = d["service"] + "/" + d["type"]
    h = json.loads(subprocess.run([cw, "--db", db, "--json", "history", ref],
                                  check=True, capture_output=True).stdout)
    for v in h["versions"]:
        print(ref, v["seq"], v["recorded_at"], v["sha256"], v["bytes"])
' "$1" "$CLAUSEWATCH" >"$2"
}

# the corpus's error pages are refused (exit 5, test_import.sh)
expect_exit 5 "the corpus is imported" cw --json import-history "$VERSIONS"
recorded=$(json_field "$WORK/out" recorded)
check "with versions ($recorded)" test "$recorded" -gt 3000

expect_exit 0 "export-dataset writes the dataset" cw --json export-dataset "$WORK/one"
cp "$WORK/out" "$WORK/export.json"
cat "$WORK/export.json"
check "every recorded version is exported" test "$(json_field "$WORK/export.json" versions)" -eq "$recorded"
files=$(find "$WORK/one" -mindepth 3 -type f -name '*.md' | wc -l)
check "one file a version ($files)" test "$files" -eq "$recorded"
check "and a README at the top" test -f "$WORK/one/README.md"
check "the log's checkpoint and key beside it" test -s "$WORK/one/checkpoint" -a -s "$WORK/one/log.vkey"
check "nothing else at the top" test "$(find "$WORK/one" -maxdepth 1 -type f | wc -l)" -eq 3
check "the checkpoint covers every version: its tree is the store's log" \
	test "$(sed -n 2p "$WORK/one/checkpoint")" = "$(cw --json log leaves | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
check "and the store's key signed it" test "$(cat "$WORK/one/log.vkey")" = "$(cw log key)"
# a file ties to its leaf: the proof's leaf holds the file's SHA-256
cw --json log prove "Airbnb/Terms of Service@1" >"$WORK/prove.json"
check "a version's file has the SHA-256 its leaf holds" python3 - "$WORK/prove.json" "$WORK/one/Airbnb/Terms of Service" <<'PY'
import hashlib, json, os, sys
p = json.load(open(sys.argv[1]))
leaf = json.loads(p["leaf"])
name = leaf["recorded"].replace(":", "-") + ".md"
data = open(os.path.join(sys.argv[2], name), "rb").read()
assert hashlib.sha256(data).hexdigest() == leaf["sha256"]
assert p["tree_size"] == int(open(os.path.join(os.path.dirname(os.path.dirname(sys.argv[2])), "checkpoint")).read().split("\n")[1])
PY
check "every file is named by a date-time in OTA's format" \
	test -z "$(find "$WORK/one" -mindepth 3 -type f | grep -Ev '/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}Z\.md$')"
first=$(sed -n 's/.*"first":"\([0-9-]*\)T.*/\1/p' "$WORK/export.json")
last=$(sed -n 's/.*"last":"\([0-9-]*\)T.*/\1/p' "$WORK/export.json")
check "the README names the period ($first to $last)" readme_has "from ${first}T.* to ${last}T" "$WORK/one/README.md"
check "... and the counts" readme_has "holds $recorded versions of" "$WORK/one/README.md"
check "... and where the versions come from" readme_has "from a clausewatch store" "$WORK/one/README.md"
check "no hidden folder is left beside it" test -z "$(find "$WORK" -maxdepth 1 -name '.*partial*')"

# a version's file is its text byte for byte, named by its recording time
same_text() { # same_text SERVICE/TYPE SEQ
	local ref=$1 seq=$2 at name
	at=$(cw --json history "$ref" | python3 -c 'import json, sys; print([v for v in json.load(sys.stdin)["versions"] if v["seq"] == int(sys.argv[1])][0]["recorded_at"])' "$seq")
	name=$(echo "$at" | tr ':' '-')
	cw show "$ref@$seq" >"$WORK/shown"
	cmp -s "$WORK/shown" "$WORK/one/$ref/$name.md"
}
for ref in "Airbnb/Terms of Service" "ChatGPT/Privacy Policy" "DALL·E/Acceptable Use Policy"; do
	if cw history "$ref" >/dev/null 2>&1; then
		n=$(cw --json history "$ref" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["versions"]))')
		check "$ref: the first version's file is its text" same_text "$ref" 1
		check "$ref: the latest version's file is its text" same_text "$ref" "$n"
	fi
done

expect_exit 0 "the export is imported into a second store" cw2 --json import-history "$WORK/one"
check "every version is recorded again" test "$(json_field "$WORK/out" recorded)" -eq "$recorded"
check "none failed" test "$(json_field "$WORK/out" failed)" -eq 0
expect_exit 0 "the second store is exported" cw2 export-dataset "$WORK/two"
# each store signs with its own key: the versions and README are equal
check "the two exports are equal byte for byte (but for each store's checkpoint and key)" \
	diff -r -x checkpoint -x log.vkey "$WORK/one" "$WORK/two"
versions "$DB" "$WORK/v1"
versions "$DB2" "$WORK/v2"
check "every document has the same versions in both stores ($(wc -l <"$WORK/v1") versions)" \
	test -s "$WORK/v1" -a "$(wc -l <"$WORK/v1")" -eq "$recorded"
check "... seq, recorded_at, sha256 and bytes alike" cmp -s "$WORK/v1" "$WORK/v2"

# a ZIP as OTA releases them: everything under one top folder named
# after the archive, entries in no particular order (newest first here)
python3 - "$WORK/one" "$WORK/ota-dataset-2026-01-01.zip" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
top = os.path.splitext(os.path.basename(dst))[0]
paths = []
for root, dirs, files in os.walk(src):
    for f in files:
        paths.append(os.path.relpath(os.path.join(root, f), src))
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for rel in sorted(paths, reverse=True):
        z.write(os.path.join(src, rel), top + "/" + rel)
PY
expect_exit 0 "the zipped export is imported" cw3 --json import-history "$WORK/ota-dataset-2026-01-01.zip"
check "every version is recorded" test "$(json_field "$WORK/out" recorded)" -eq "$recorded"
versions "$DB3" "$WORK/v3"
check "the same versions as the store it came from" cmp -s "$WORK/v1" "$WORK/v3"
expect_exit 0 "importing the ZIP again" cw3 --json import-history "$WORK/ota-dataset-2026-01-01.zip"
check "records nothing new" test "$(json_field "$WORK/out" recorded)" -eq 0
check "... every version already present" test "$(json_field "$WORK/out" skipped)" -eq "$recorded"

# what export-dataset refuses and selects
expect_exit 1 "an export into a folder that is not empty is refused" cw export-dataset "$WORK/one"
check "... naming the folder" grep -q "$WORK/one.*not empty" "$WORK/err"
check "... and leaving it as it was" diff -r -x checkpoint -x log.vkey "$WORK/one" "$WORK/two"
expect_exit 0 "an export of two services" cw export-dataset --service Airbnb --service ChatGPT "$WORK/some"
check "holds those two" test "$(ls "$WORK/some" | tr '\n' ' ')" = "Airbnb ChatGPT README.md checkpoint log.vkey "
check "... with their versions alike" diff -r "$WORK/some/ChatGPT" "$WORK/one/ChatGPT"
expect_exit 3 "an export of a service the store does not have" cw export-dataset --service Nobody "$WORK/nobody"
check "... names it" grep -q "Nobody" "$WORK/err"
check "... and writes nothing" test ! -e "$WORK/nobody" -a -z "$(find "$WORK" -maxdepth 1 -name '.*partial*')"
finish
