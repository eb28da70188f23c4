#!/usr/bin/env bash
# Declarations, ingest, versions, show, extraction failures: the archive
# commands end to end on real snapshots.
. "$(dirname "$0")/lib.sh"
need_shared

expect_exit 0 "init creates the store" cw init
expect_exit 0 "the shipped declarations load" cw declare "$CW_SOURCE_ROOT/data/declarations"
cw --json list >"$WORK/list.json"
check "list shows the declared documents" grep -q '"service":"Stability AI"' "$WORK/list.json"

# a malformed declaration names the file, line and column
printf '{\n  "name": "Broken",\n  "terms": {\n    "Terms of Service": {\n      "fetch": "https://x.example/tos",\n    }\n  }\n}\n' >"$WORK/Broken.json"
expect_exit 1 "a malformed declaration fails" cw declare "$WORK/Broken.json"
check "its error names file:line:col" grep -Eq "Broken.json'?:[0-9]+:[0-9]+" "$WORK/err"

# a real snapshot, ingested with the declaration it was extracted under
snap="$SHARED/corpus/snapshots/ChatGPT/Developer Terms"
mkdir -p "$WORK/decl"
cp "$snap/declaration.json" "$WORK/decl/ChatGPT.json"
expect_exit 0 "a snapshot's declaration loads" cw declare "$WORK/decl/ChatGPT.json"
expect_exit 0 "ingest records a version" cw ingest --date 2026-07-01 "ChatGPT/Developer Terms" "$snap/source.html"
check "it says a new version was recorded" grep -q "new_version" "$WORK/out"
expect_exit 0 "ingesting the same bytes again" cw ingest --date 2026-07-02 "ChatGPT/Developer Terms" "$snap/source.html"
check "is unchanged" grep -q "unchanged" "$WORK/out"
cw --json history "ChatGPT/Developer Terms" >"$WORK/h.json"
check "history has one version" test "$(grep -o '"seq":' "$WORK/h.json" | wc -l)" -eq 1
cw --json show "ChatGPT/Developer Terms" >"$WORK/show.json"
check "show lists provisions" grep -q '"provisions":\[{"key"' "$WORK/show.json"
key=$(sed -n 's/.*"provisions":\[{"key":"\([^"]*\)".*/\1/p' "$WORK/show.json")
expect_exit 0 "show --provision prints one provision" cw show --provision "$key" "ChatGPT/Developer Terms"
expect_exit 3 "an unknown provision is not found" cw show --provision no-such-key "ChatGPT/Developer Terms"
expect_exit 3 "an unknown document is not found" cw show "Nobody/Terms of Service"

# the same page extracted through the CLI gives the same text as stored
cw show "ChatGPT/Developer Terms" >"$WORK/stored.md"
"$CLAUSEWATCH" extract --declaration "$WORK/decl/ChatGPT.json" --type "Developer Terms" "$snap/source.html" >"$WORK/extracted.md"
check "extract without a store gives the stored text" cmp -s "$WORK/stored.md" "$WORK/extracted.md"

# a combined document: its pages in the declaration's order (meta.json)
multi="$SHARED/corpus/snapshots/ChatGPT/Terms of Service"
mkdir -p "$WORK/decl2"
cp "$multi/declaration.json" "$WORK/decl2/ChatGPT.json"
expect_exit 0 "a combine declaration loads" cw declare "$WORK/decl2/ChatGPT.json"
pages=()
while IFS= read -r f; do pages+=("$multi/$f"); done < <(sed -n 's/.*"file": *"\([^"]*\)".*/\1/p' "$multi/meta.json")
check "the combined snapshot has two pages" test "${#pages[@]}" -eq 2
expect_exit 0 "ingest of a combined document" cw ingest "ChatGPT/Terms of Service" "${pages[@]}"
expect_exit 1 "a combined document needs all its pages" cw ingest "ChatGPT/Terms of Service" "${pages[0]}"
check "the error says how many pages" grep -q "2 page" "$WORK/err"

# a selector that matches nothing: an extraction failure, not a version
cat >"$WORK/decl/Nomatch.json" <<'JSON'
{ "name": "Nomatch", "terms": { "Terms of Service": {
  "fetch": "https://nomatch.example/tos", "select": ["#no-such-element"] } } }
JSON
expect_exit 0 "a declaration with a missing selector loads" cw declare "$WORK/decl/Nomatch.json"
expect_exit 4 "extraction failure exits 4" cw ingest "Nomatch/Terms of Service" "$snap/source.html"
check "the error names the selector" grep -q "no-such-element" "$WORK/err"
cw --json history "Nomatch/Terms of Service" >"$WORK/h2.json"
check "no version was recorded" grep -q '"versions":\[\]' "$WORK/h2.json"
cw --json stats >"$WORK/stats.json"
check "the failed attempt was recorded" test "$(json_field "$WORK/stats.json" attempts)" -ge 3

# local Markdown for an undeclared document creates it
printf '# Terms\n\n## 1. Use\n\nYou may use it.\n\n## 2. Liability\n\nOur liability is limited to $100.\n' >"$WORK/t.md"
expect_exit 0 "ingest of an undeclared document" cw ingest --date 2024-01-01 "Local/Terms of Service" "$WORK/t.md"
expect_exit 0 "stats --check verifies every version" cw stats --check
finish
