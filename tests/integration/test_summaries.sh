#!/usr/bin/env bash
# The document summaries of diff-files on real version pairs: what they
# name against our key of described changes (tests/data/changes/key.json),
# their shape in --json and in text, dates, renames and links as
# presentation, and no modal-verb lines in the text.
. "$(dirname "$0")/lib.sh"
need_shared
V=$SHARED/corpus/versions
KEY=$CW_SOURCE_ROOT/tests/data/changes/key.json

# the share of the key's keyword groups named; the floor is what the
# summaries reached when this test was written, so that it can only rise
check "the summaries name at least 70% of the key's groups" \
	"$CW_SOURCE_ROOT/scripts/summary-score" --min 0.70 "$CLAUSEWATCH" "$KEY" "$V"

prime="$V/Amazon Prime/Terms of Service"
expect_exit 0 "diff-files --json on Amazon Prime, May 2021" \
	cw --json diff-files "$prime/2020-11-09.md" "$prime/2021-05-11.md"
check "summary comes first, then the changes, most material first" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
keys = list(d)
assert keys[0] == "summary", keys
s = d["summary"]
assert len(s) <= 600, len(s)
for w in ("arbitration", "King County", "Disputes"):
    assert w in s, (w, s)
order = {"substantive": 3, "editorial": 2, "cosmetic": 1}
m = [order[c["materiality"]] for c in d["changes"]]
assert m == sorted(m, reverse=True), m
assert d["changes"][0]["old_key"] == "disputes"
date = [c for c in d["changes"] if c["old_key"] == "preamble"][0]
assert date["materiality"] == "cosmetic", date
assert "date changed from June 30, 2020 to May 11, 2021" in date["summary"], date
fees = [c for c in d["changes"] if c["old_key"] == "fees-and-renewal"][0]
assert fees["materiality"] == "cosmetic" and fees["noise"] == ["link"], fees
' "$WORK/out"

expect_exit 0 "diff-files in text" cw diff-files "$prime/2020-11-09.md" "$prime/2021-05-11.md"
check "opens with the summary after the header" sh -c 'sed -n 3p "$1" | grep -q "^Disputes: mandatory arbitration removed"' _ "$WORK/out"
check "no modal-verb or negation lines" sh -c '! grep -Eq "^ +(modal|negation):" "$1"' _ "$WORK/out"

yahoo="$V/Yahoo/Terms of Service"
expect_exit 0 "Yahoo, 2013: Yahoo! became Yahoo" \
	cw --json diff-files "$yahoo/2013-06-20.md" "$yahoo/2013-09-12.md"
check "a rename, presentation only" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert "became \u201cYahoo\u201d in" in d["summary"], d["summary"]
bad = [c for c in d["changes"] if c["materiality"] != "cosmetic"]
assert not bad, bad[0]
' "$WORK/out"

# every summary of the key's pairs: at most 600 characters
check "every summary of the key's pairs fits in 600 characters" python3 -c '
import json, subprocess, sys, os
key = json.load(open(sys.argv[2]))
for p in key["pairs"]:
    d = os.path.join(sys.argv[3], p["document"])
    out = subprocess.run([sys.argv[1], "--json", "diff-files", d + "/" + p["old"] + ".md",
                          d + "/" + p["new"] + ".md"], capture_output=True, text=True, check=True)
    s = json.loads(out.stdout)["summary"]
    assert 0 < len(s) <= 600, (p["document"], p["new"], len(s))
' "$CLAUSEWATCH" "$KEY" "$V"
finish
