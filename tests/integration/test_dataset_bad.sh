#!/usr/bin/env bash
# Open Terms Archive datasets we write ourselves: date-time file names keep
# their time of day, in a folder and in a ZIP in any order; a bad ZIP or
# folder is refused whole (a clear error naming the archive and the entry,
# the documented exit code, no version recorded); export-dataset refuses a
# folder that is not empty and leaves nothing behind when it fails.
. "$(dirname "$0")/lib.sh"

# readme_has PATTERN FILE: the paragraphs of FILE, lines joined, match
readme_has() { tr '\n' ' ' <"$2" | grep -Eq -- "$1"; }

# mkzip ZIP [NAME=TEXT | NAME@FILE]...: a ZIP with those entries, in that
# order (python's zipfile; deflated like OTA's)
mkzip() {
	python3 - "$@" <<'PY'
import sys, warnings, zipfile
warnings.simplefilter("ignore")  # a name written twice, on purpose
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for arg in sys.argv[2:]:
        if "@" in arg:
            name, path = arg.split("@", 1)
            z.write(path, name)
        else:
            name, text = arg.split("=", 1)
            z.writestr(name, text + "\n")
PY
}

# no_versions DB: the store holds no version
no_versions() {
	"$CLAUSEWATCH" --db "$1" --json stats >"$WORK/stats" 2>/dev/null &&
		test "$(json_field "$WORK/stats" versions)" -eq 0
}

# recorded_at DB SERVICE/TYPE: the recording times of its versions
recorded_at() {
	"$CLAUSEWATCH" --db "$1" --json history "$2" |
		python3 -c 'import json, sys; print(" ".join(v["recorded_at"] for v in json.load(sys.stdin)["versions"]))'
}

# --- a folder with OTA's names ---
T="Terms of Service"
mkdir -p "$WORK/ota/ServiceA/$T" "$WORK/ota/ServiceB/Privacy Policy"
printf '# Terms\n\n## 1. Use\n\nYou may use the service.\n' >"$WORK/ota/ServiceA/$T/2021-01-01T11-27-00Z.md"
printf '# Terms\n\n## 1. Use\n\nYou may use the service lawfully.\n' >"$WORK/ota/ServiceA/$T/2021-01-11T11-32-47Z.md"
printf '# Privacy\n\nWe keep little.\n' >"$WORK/ota/ServiceB/Privacy Policy/2022-01-01T12-12-24Z.md"
printf 'About this dataset\n' >"$WORK/ota/README.md"
printf 'a licence\n' >"$WORK/ota/LICENSE"
expect_exit 0 "a folder with date-time names is imported" cw --json import-history "$WORK/ota"
check "its three versions are recorded" test "$(json_field "$WORK/out" recorded)" -eq 3
check "a version keeps its time of day" \
	test "$(recorded_at "$DB" "ServiceA/$T")" = "2021-01-01T11:27:00Z 2021-01-11T11:32:47Z"
check "... in every document" test "$(recorded_at "$DB" "ServiceB/Privacy Policy")" = "2022-01-01T12:12:24Z"

# --- the same as a ZIP, newest first, under a top folder ---
DBZ=$WORK/zip.db
mkzip "$WORK/ota-2022.zip" \
	"sandbox-2022-01-01/ServiceB/Privacy Policy/2022-01-01T12-12-24Z.md@$WORK/ota/ServiceB/Privacy Policy/2022-01-01T12-12-24Z.md" \
	"sandbox-2022-01-01/ServiceA/$T/2021-01-11T11-32-47Z.md@$WORK/ota/ServiceA/$T/2021-01-11T11-32-47Z.md" \
	"sandbox-2022-01-01/ServiceA/$T/2021-01-01T11-27-00Z.md@$WORK/ota/ServiceA/$T/2021-01-01T11-27-00Z.md" \
	"sandbox-2022-01-01/README.md@$WORK/ota/README.md" \
	"sandbox-2022-01-01/LICENSE@$WORK/ota/LICENSE"
expect_exit 0 "the ZIP is imported" "$CLAUSEWATCH" --db "$DBZ" --json import-history "$WORK/ota-2022.zip"
check "its three versions are recorded" test "$(json_field "$WORK/out" recorded)" -eq 3
check "oldest first, whatever the archive's order, with their times" \
	test "$(recorded_at "$DBZ" "ServiceA/$T")" = "2021-01-01T11:27:00Z 2021-01-11T11:32:47Z"
"$CLAUSEWATCH" --db "$DB" show "ServiceA/$T@1" >"$WORK/a1"
"$CLAUSEWATCH" --db "$DBZ" show "ServiceA/$T@1" >"$WORK/z1"
check "the same text as from the folder" cmp -s "$WORK/a1" "$WORK/z1"

# a path named twice (OTA's technical upgrade of a version): the later
# entry is read, with a warning
DBD=$WORK/dup.db
mkzip "$WORK/dup.zip" "S/T/2024-01-01T10-00-00Z.md=first extraction" \
	"S/T/2024-01-01T10-00-00Z.md=upgraded extraction" "S/T/2024-02-01.md=next"
expect_exit 0 "a ZIP naming one path twice is imported" "$CLAUSEWATCH" --db "$DBD" import-history "$WORK/dup.zip"
check "... with a warning" grep -q "named twice" "$WORK/err"
check "... the later entry read" test "$("$CLAUSEWATCH" --db "$DBD" show "S/T@1")" = "upgraded extraction"

# --- bad ZIPs and folders: refused whole ---
# refused CODE DESCRIPTION PATTERN PATH: import-history PATH into a new
# store ends with CODE, the error matches PATTERN, no version recorded
refused() {
	local code=$1 d=$2 pattern=$3 path=$4 db
	db=$WORK/bad-$RANDOM.db
	expect_exit "$code" "$d: exit $code" "$CLAUSEWATCH" --db "$db" import-history "$path"
	if grep -Eq -- "$pattern" "$WORK/err"; then ok "$d: the error names it"; else
		not_ok "$d: the error names it"
		sed 's/^/  | /' "$WORK/err" | head -3
	fi
	check "$d: no version recorded" no_versions "$db"
}
head -c $(($(stat -c %s "$WORK/ota-2022.zip") / 2)) "$WORK/ota-2022.zip" >"$WORK/truncated.zip"
refused 1 "a truncated ZIP" "'$WORK/truncated.zip': not a ZIP file, or one cut short" "$WORK/truncated.zip"
head -c $(($(stat -c %s "$WORK/ota-2022.zip") - 8)) "$WORK/ota-2022.zip" >"$WORK/cut.zip"
refused 1 "a ZIP without the end of its directory" "'$WORK/cut.zip'" "$WORK/cut.zip"
mkzip "$WORK/evil.zip" "top/S/T/2024-01-01.md=fine" "top/S/T/2024-01-02.md=fine too" "top/../evil.md=escape"
refused 1 "an entry ../evil.md" "'$WORK/evil.zip': entry 'top/../evil.md': a '\.\.' component" "$WORK/evil.zip"
mkzip "$WORK/abs.zip" "S/T/2024-01-01.md=fine" "/etc/evil.md=escape"
refused 1 "an absolute entry" "'$WORK/abs.zip': entry '/etc/evil.md': an absolute path" "$WORK/abs.zip"
mkzip "$WORK/nodate.zip" "S/T/2024-01-01.md=fine" "S/T/latest.md=not a date"
refused 1 "an entry not named by a date" "'$WORK/nodate.zip': entry 'S/T/latest.md': the file name is not a version's date" "$WORK/nodate.zip"
mkzip "$WORK/baddate.zip" "S/T/2024-01-01.md=fine" "S/T/2024-02-30T10-00-00Z.md=no such day"
refused 1 "an entry named by a day that does not exist" "entry 'S/T/2024-02-30T10-00-00Z.md'" "$WORK/baddate.zip"
mkzip "$WORK/misplaced.zip" "S/T/2024-01-01.md=fine" "S/2024-01-02.md=no type"
refused 1 "an entry outside SERVICE/TYPE" "entry 'S/2024-01-02.md': not where a version lies" "$WORK/misplaced.zip"
# a flipped byte in an entry's compressed data: caught before any version
python3 - "$WORK/ota-2022.zip" "$WORK/crc.zip" <<'PY'
import sys, zipfile
data = bytearray(open(sys.argv[1], "rb").read())
info = zipfile.ZipFile(sys.argv[1]).infolist()[2]
start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
data[start + info.compress_size // 2] ^= 0xFF
open(sys.argv[2], "wb").write(bytes(data))
PY
refused 1 "a damaged entry" "'$WORK/crc.zip': entry 'sandbox-2022-01-01/ServiceA/" "$WORK/crc.zip"
printf 'not a zip at all\n' >"$WORK/text.zip"
refused 1 "a file that is not a ZIP" "'$WORK/text.zip': not a ZIP file" "$WORK/text.zip"
refused 3 "a dataset that does not exist" "'$WORK/nope.zip': no such file" "$WORK/nope.zip"
cp -r "$WORK/ota" "$WORK/ota-bad"
printf 'x\n' >"$WORK/ota-bad/ServiceA/$T/notes.txt"
refused 1 "a folder with a file not named by a date" "'$WORK/ota-bad/ServiceA/$T/notes.txt': the file name" "$WORK/ota-bad"
expect_exit 1 "under --json, a bad ZIP" "$CLAUSEWATCH" --db "$WORK/j.db" --json import-history "$WORK/evil.zip"
check "... is one error object with code 1" python3 -c 'import json, sys; o = json.load(open(sys.argv[1])); assert o["code"] == 1 and "evil.md" in o["error"], o' "$WORK/err"

# --- export-dataset ---
expect_exit 0 "a store with times of day is exported" cw --json export-dataset "$WORK/exp/ota"
check "a version's file is named by its time" test -f "$WORK/exp/ota/ServiceA/$T/2021-01-11T11-32-47Z.md"
check "... and holds its text" cmp -s "$WORK/ota/ServiceA/$T/2021-01-11T11-32-47Z.md" "$WORK/exp/ota/ServiceA/$T/2021-01-11T11-32-47Z.md"
check "the README names the period" readme_has "between January 1, 2021 and January 1, 2022" "$WORK/exp/ota/README.md"
check "... and the counts" readme_has "holds 3 versions of 2 documents from 2 services" "$WORK/exp/ota/README.md"
mkdir "$WORK/empty"
expect_exit 0 "an empty folder is written into" cw export-dataset "$WORK/empty"
check "... and holds the dataset" diff -r "$WORK/exp/ota" "$WORK/empty"
expect_exit 1 "a folder that is not empty is refused" cw export-dataset "$WORK/ota"
check "... naming it" grep -q "'$WORK/ota' exists and is not empty" "$WORK/err"
: >"$WORK/a-file"
expect_exit 1 "a file is refused" cw export-dataset "$WORK/a-file"
expect_exit 2 "export-dataset needs a folder" cw export-dataset
# two versions in one second cannot both be named: nothing is written
printf 'one\n' >"$WORK/s1.md"
printf 'two\n' >"$WORK/s2.md"
cw ingest --date 2026-03-01T10:00:00Z "Same/Second" "$WORK/s1.md" >/dev/null
cw ingest --date 2026-03-01T10:00:00Z "Same/Second" "$WORK/s2.md" >/dev/null
expect_exit 1 "two versions recorded in one second are refused" cw export-dataset "$WORK/exp2"
check "... naming the version" grep -q "'Same/Second' version 2" "$WORK/err"
check "... leaving no dataset" test ! -e "$WORK/exp2"
check "... and no hidden folder" test -z "$(find "$WORK" -maxdepth 1 -name '.exp2.partial*')"
finish
