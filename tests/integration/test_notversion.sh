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

finish
