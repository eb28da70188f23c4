#!/usr/bin/env bash
# Bad input: a clear error or a bounded, correct result; never a crash or a
# partial version.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "init" cw init
: >"$WORK/empty.html"
expect_exit 4 "an empty file is an extraction failure" cw ingest "Bad/Empty" "$WORK/empty.html"
head -c 65536 /dev/urandom >"$WORK/random.bin"
"$CLAUSEWATCH" --db "$DB" ingest "Bad/Binary" "$WORK/random.bin" >/dev/null 2>"$WORK/err"
rc=$?
check "binary input is refused, not a crash (exit $rc)" test "$rc" -eq 1
check "... naming the file and the offset" grep -q "random.bin': binary data (a NUL byte at offset" "$WORK/err"
printf '<html><body><p>caf\xe9 \xff\xfe ok \xc3\x28</p></body></html>' >"$WORK/bad-utf8.html"
expect_exit 0 "invalid UTF-8 is repaired" cw ingest "Bad/Utf8" "$WORK/bad-utf8.html"
cw show "Bad/Utf8" >"$WORK/utf8.txt"
check "the stored text is valid UTF-8" iconv -f UTF-8 -t UTF-8 "$WORK/utf8.txt" -o /dev/null
awk 'BEGIN { printf "<html><body>"; for (i = 0; i < 100000; i++) printf "<div>"; printf "deep text"; for (i = 0; i < 100000; i++) printf "</div>"; print "</body></html>" }' >"$WORK/deep.html"
"$CLAUSEWATCH" --db "$DB" ingest "Bad/Deep" "$WORK/deep.html" >/dev/null 2>"$WORK/err"
rc=$?
check "100,000 nested elements end cleanly (exit $rc)" test "$rc" -eq 0 -o "$rc" -eq 1 -o "$rc" -eq 4
# 200 MB page: over the input cap, refused before anything is stored
{ printf '<html><body><p>'; head -c 209715200 /dev/zero | tr '\0' 'a'; printf '</p></body></html>'; } >"$WORK/huge.html"
expect_exit 1 "a 200 MB page is refused" cw ingest "Bad/Huge" "$WORK/huge.html"
check "the error names the file and the limit" grep -q "huge.html.*limit" "$WORK/err"
rm -f "$WORK/huge.html"
cw --json history "Bad/Huge" >"$WORK/h.json" 2>/dev/null
check "no version of the huge page" test ! -s "$WORK/h.json" -o -n "$(grep -o '"versions":\[\]' "$WORK/h.json")"
printf '{"name": "X", "terms": {' >"$WORK/X.json"
expect_exit 1 "truncated JSON is an error" cw declare "$WORK/X.json"
check "with line and column" grep -Eq ":[0-9]+:[0-9]+" "$WORK/err"
expect_exit 3 "a missing file is not found" cw ingest "Bad/Missing" "$WORK/nope.html"
check "naming the file" grep -q "nope.html" "$WORK/err"
expect_exit 2 "an unknown command is a usage error" "$CLAUSEWATCH" no-such-command

# Under --json an error is one object {"error": "...", "code": N} on
# stderr, N the exit status; a batch may print item messages before it.
# json_error CODE WHOLE|LAST DESCRIPTION COMMAND...
json_error() {
	local want=$1 part=$2 d=$3
	shift 3
	expect_exit "$want" "$d: exit $want" "$@"
	if python3 - "$WORK/err" "$want" "$part" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
o = json.loads(text if sys.argv[3] == "WHOLE" else text.splitlines()[-1])
assert list(o) == ["error", "code"], o
assert isinstance(o["error"], str) and o["error"], o
assert o["code"] == int(sys.argv[2]), o
PY
	then ok "$d: a JSON error object with code $want"; else
		not_ok "$d: a JSON error object with code $want"
		sed 's/^/  | /' "$WORK/err" | head -5
	fi
}
json_error 3 WHOLE "a document not found" cw --json show "Nobody/Terms of Service"
check "... naming it" grep -q "Nobody/Terms of Service" "$WORK/err"
json_error 1 WHOLE "a bad version name" cw --json show "Bad/Utf8@not-a-version"
check "... naming it" grep -q "not-a-version" "$WORK/err"
json_error 3 WHOLE "a version not found" cw --json diff "Bad/Utf8" 1 99
json_error 2 WHOLE "a usage error" cw --json show
json_error 2 WHOLE "an unknown option" cw --json show --no-such-option "Bad/Utf8"
check "... naming it" grep -q "no-such-option" "$WORK/err"
json_error 2 WHOLE "a bad option value" cw --json changes --since yesterday
json_error 2 WHOLE "an unknown command" "$CLAUSEWATCH" --json no-such-command
json_error 2 WHOLE "an unknown global option" "$CLAUSEWATCH" --json --no-such-option list
json_error 2 WHOLE "no command" "$CLAUSEWATCH" --json
json_error 1 LAST "a failed declaration" cw --json declare "$WORK/X.json"
check "... with its line and column" grep -Eq '"error":"[^"]*:[0-9]+:[0-9]+' "$WORK/err"
json_error 4 LAST "an extraction failure" cw --json ingest "Bad/Empty" "$WORK/empty.html"
check "... and its result on stdout" python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]; assert r["outcome"] == "extraction_failed" and r["error"], r' "$WORK/out"
expect_exit 0 "a success under --json" cw --json show "Bad/Utf8"
check "... leaves stderr empty" test ! -s "$WORK/err"
check "... and prints valid JSON" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$WORK/out"

# one shape for a version reference: diff, changes and timeline
printf '# Terms\n\n## 1. Use\n\nYou may use the service.\n' >"$WORK/v1.md"
printf '# Terms\n\n## 1. Use\n\nYou may use the service for any lawful purpose only.\n' >"$WORK/v2.md"
expect_exit 0 "a first version" cw ingest --date 2026-01-01 "Shape/Terms" "$WORK/v1.md"
expect_exit 0 "a second version" cw ingest --date 2026-02-01 "Shape/Terms" "$WORK/v2.md"
key=$(cw --json show "Shape/Terms" | python3 -c 'import json, sys; print(json.load(sys.stdin)["provisions"][-1]["key"])')
cw --json diff "Shape/Terms" >"$WORK/s-diff.json"
cw --json changes --service Shape >"$WORK/s-changes.json"
cw --json timeline "Shape/Terms" >"$WORK/s-timeline.json"
cw --json timeline "Shape/Terms" --provision "$key" >"$WORK/s-events.json"
check "diff, changes and timeline give the same from/to objects" python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1] + "/s-"
load = lambda n: json.load(open(w + n + ".json"))
sides = [load("diff"), load("changes")["changes"][0],
         load("timeline")["changes"][0], load("events")["events"][0]]
for s in sides:
    for k in ("from", "to"):
        assert list(s[k]) == ["seq", "recorded_at", "stated_date"], s[k]
    assert s["from"]["seq"] == 1 and s["to"]["seq"] == 2, s
    assert s["to"]["recorded_at"] == "2026-02-01T00:00:00Z", s
assert all((s["from"], s["to"]) == (sides[0]["from"], sides[0]["to"]) for s in sides)
PY
expect_exit 0 "the store is consistent after all of it" cw stats --check
finish
