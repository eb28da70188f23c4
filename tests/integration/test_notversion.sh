#!/usr/bin/env bash
# Nothing false becomes a version: an error page, a login or bot wall, an
# empty or binary file, a page whose text is there twice, invalid UTF-8
# and impossible dates, through ingest and import-history (the monitor's
# side is in test_monitor.sh), on real histories of ../shared/corpus and
# on the small fixtures of tests/data/notversion.
. "$(dirname "$0")/lib.sh"
need_shared
FX=$TESTS/data/notversion
cw --quiet init >/dev/null

# versions of SERVICE/TYPE in the store
nversions() {
	cw --json history "$1" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["versions"]))'
}

# --- Llama API's AUP: 88 files, 41 of them the 131-byte "This page isn't
# available" page, alternating with the real text
LLAMA="$SHARED/corpus/versions/Llama API/Acceptable Use Policy"
if [ -d "$LLAMA" ]; then
	mkdir -p "$WORK/llama/Llama API"
	ln -s "$LLAMA" "$WORK/llama/Llama API/Acceptable Use Policy"
	stubs=$(grep -l "This page isn.t available" "$LLAMA"/*.md | wc -l)
	expect_exit 5 "import-history of Llama API: a partial import (its error pages are refused)" \
		cw --json import-history "$WORK/llama"
	cp "$WORK/out" "$WORK/llama.json"
	cp "$WORK/err" "$WORK/llama.err"
	check "every error page is refused ($stubs)" test "$(json_field "$WORK/llama.json" refused)" -eq "$stubs"
	check "... named, with its cause" test "$(grep -c "2025-11-11.md': not recorded: an error page, not a version: its 132 bytes say \"page isn't available\"" "$WORK/llama.err")" -eq 1
	check "the history goes on: no other failure" test "$(json_field "$WORK/llama.json" failed)" -eq "$stubs"
	n=$(nversions "Llama API/Acceptable Use Policy")
	# one version per run of the same real text, the error pages left out
	want=$(for f in "$LLAMA"/*.md; do grep -q "This page isn.t available" "$f" || sha256sum <"$f"; done | uniq | wc -l)
	check "the versions are the real texts only ($n of 88 files, $want expected)" test "$n" -eq "$want"
	cw --json history "Llama API/Acceptable Use Policy" >"$WORK/llama.hist"
	check "no version is the error page" python3 -c 'import json, sys; sys.exit(any(v["bytes"] < 1000 for v in json.load(open(sys.argv[1]))["versions"]))' "$WORK/llama.hist"
	expect_exit 4 "ingest of the error page: extraction failed" \
		cw ingest "Llama API/Acceptable Use Policy" "$LLAMA/2025-11-11.md"
	check "... saying why" grep -q "an error page, not a version" "$WORK/err"
	check "... and no version is added" test "$(nversions "Llama API/Acceptable Use Policy")" -eq "$n"
	cw --json stats >"$WORK/stats.json"
	check "... the failed attempt is recorded" test "$(json_field "$WORK/stats.json" attempts)" -ge 1
	expect_exit 4 "ingest of the error page as a first version is refused too" \
		cw ingest "Stub/Terms of Service" "$LLAMA/2025-11-11.md"
	check "... no version" test "$(nversions "Stub/Terms of Service")" -eq 0
else
	echo "skipped: $LLAMA not found (the Llama API cases)"
fi

# --- Amazon Prime's Terms of Service of 2026-08-15: its text twice
PRIME="$SHARED/corpus/versions/Amazon Prime/Terms of Service"
if [ -f "$PRIME/2026-08-15.md" ]; then
	mkdir -p "$WORK/prime/Amazon Prime"
	ln -s "$PRIME" "$WORK/prime/Amazon Prime/Terms of Service"
	expect_exit 0 "import-history of Amazon Prime" cw import-history "$WORK/prime"
	check "... says the latest text is there twice, recorded once" grep -q "2026-08-15.md': the text is there 2 times over, recorded once" "$WORK/err"
	cw --json history "Amazon Prime/Terms of Service" >"$WORK/prime.hist"
	bytes=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["versions"][-1]["bytes"])' "$WORK/prime.hist")
	full=$(wc -c <"$PRIME/2026-08-15.md")
	check "the latest version is one copy ($bytes bytes of $full)" test "$bytes" -lt $((full / 2 + 100))
	cw changes "Amazon Prime/Terms of Service" >"$WORK/prime.changes"
	check "no provision of the second copy is 'new'" test "$(grep -c 'Limitation of Liability: new provision added' "$WORK/prime.changes")" -eq 0
	expect_exit 0 "ingest of the doubled page" cw ingest "Prime Ingest/Terms of Service" "$PRIME/2026-08-15.md"
	check "... recorded once too" test "$(cw --json history "Prime Ingest/Terms of Service" | json_field /dev/stdin bytes)" -eq "$bytes"
else
	echo "skipped: $PRIME/2026-08-15.md not found (the doubled page)"
fi

# --- fixtures: doubled, repaired, binary, empty, impossible dates
expect_exit 0 "ingest of a text there twice (whitespace apart)" cw ingest "Ex/Terms of Service" "$FX/doubled.md"
check "... warns" grep -q "doubled.md': the text is there 2 times over" "$WORK/err"
expect_exit 0 "... which is the text once" cw ingest "Ex/Terms of Service" "$FX/once.md"
check "... unchanged" grep -q "unchanged" "$WORK/out"
expect_exit 0 "ingest of a text with an invalid UTF-8 byte" cw ingest "Ex/Terms of Service" "$FX/repaired.md"
check "... warns naming the file and the offset" grep -q "repaired.md': 1 invalid UTF-8 sequence replaced with U+FFFD, the first at byte offset 231" "$WORK/err"
head -c 4096 "$CLAUSEWATCH" >"$WORK/program.md"
n0=$(nversions "Ex/Terms of Service")
expect_exit 1 "ingest of a binary file fails" cw ingest "Ex/Terms of Service" "$WORK/program.md"
check "... naming it" grep -q "program.md': binary data (a NUL byte at offset" "$WORK/err"
check "... no version" test "$(nversions "Ex/Terms of Service")" -eq "$n0"
: >"$WORK/empty.md"
expect_exit 4 "ingest of an empty file: extraction failed" cw ingest "Ex/Terms of Service" "$WORK/empty.md"
check "... no version" test "$(nversions "Ex/Terms of Service")" -eq "$n0"
expect_exit 2 "--date 2025-02-30 is refused" cw ingest --date 2025-02-30 "Ex/Terms of Service" "$FX/once.md"
check "... naming it" grep -q "bad --date '2025-02-30'" "$WORK/err"
expect_exit 2 "--since 2025-02-30 is refused" cw changes --since 2025-02-30
check "... naming it" grep -q "bad --since '2025-02-30'" "$WORK/err"

D="$WORK/ds/Fx/Terms of Service"
mkdir -p "$D"
cp "$FX/once.md" "$D/2025-01-01.md"
: >"$D/2025-01-02.md"
cp "$WORK/program.md" "$D/2025-01-03.md"
cp "$FX/repaired.md" "$D/2025-01-04.md"
cp "$FX/doubled.md" "$D/2025-01-05.md"
expect_exit 5 "import-history of a folder with an empty and a binary file: partial" cw --json import-history "$WORK/ds"
cp "$WORK/out" "$WORK/ds.json"
check "two failed" test "$(json_field "$WORK/ds.json" failed)" -eq 2
check "the empty file refused, named" grep -q "2025-01-02.md': not recorded: empty text" "$WORK/err"
check "the binary file failed, named once" grep -q "^clausewatch: '[^']*2025-01-03.md': binary data" "$WORK/err"
check "the repaired file warned with its offset" grep -q "2025-01-04.md': 1 invalid UTF-8 sequence replaced with U+FFFD, the first at byte offset 231" "$WORK/err"
check "three versions (none of 0 bytes)" test "$(nversions "Fx/Terms of Service")" -eq 3
cw --json history "Fx/Terms of Service" >"$WORK/fx.hist"
check "... the doubled one recorded once" python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))["versions"]; sys.exit(not (v[0]["bytes"] > 0 and v[2]["bytes"] == v[0]["bytes"]))' "$WORK/fx.hist"
cp "$FX/once.md" "$D/2025-02-30.md"
expect_exit 1 "a file named 2025-02-30.md is refused" cw import-history "$WORK/ds"
check "... naming it" grep -q "2025-02-30.md': the file name is not a version's date" "$WORK/err"

# --- exit codes as the README says: not found 3, usage 2
expect_exit 3 "list of an unknown service: not found" cw list "Nobody"
check "... naming it" grep -q "no service 'Nobody'" "$WORK/err"
expect_exit 0 "list of a known one" cw list "Ex"
for c in list history stats import-history; do
	expect_exit 2 "$c --no-such-option: a usage error" cw "$c" --no-such-option
done
expect_exit 0 "stats --check still works" cw stats --check

finish
