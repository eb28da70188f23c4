#!/bin/bash
# Provision analysis end to end on real documents: the Stability AI Terms
# of Service (../shared/seeds) ingested, four other services' Terms of
# Service imported from the corpus (with their history), then `analyze` for
# an operator, `compare`, the stored analyses and the exposure moves
# between versions. The JSON is checked with python3.
. "$(dirname "$0")/lib.sh"
need_shared
SEED=$SHARED/seeds/002_7ae7b45475604c64.txt
if [ ! -f "$SEED" ]; then
	echo "skipped: $SEED not found"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "skipped: python3 not found (needed to read the JSON)"
	exit 77
fi
ST="Stability AI/Terms of Service"

check "ingest the Stability AI Terms of Service" cw ingest "$ST" "$SEED"
mkdir -p "$WORK/imp"
for s in Cursor Replicate "Hugging Face" Midjourney; do
	mkdir -p "$WORK/imp/$s"
	ln -s "$SHARED/corpus/versions/$s/Terms of Service" "$WORK/imp/$s/Terms of Service"
done
check "import four other services with their history" cw --quiet import-history "$WORK/imp"

cw --json analyze "$ST" --audience operator >"$WORK/op.json" 2>"$WORK/err"
check "analyze for an operator" test -s "$WORK/op.json"

# py NAME SCRIPT: run SCRIPT with the JSON of $WORK/NAME.json as `d`;
# passes when it prints nothing and exits 0
py() {
	local f=$1 d=$2 out
	shift 2
	out=$(python3 - "$WORK/$f.json" <<EOF 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
P = {p["key"]: p for p in d.get("provisions", [])}
def cat(key, cid):
    for c in P[key]["categories"]:
        if c["id"] == cid:
            return c
    raise SystemExit("no %s in %s: %s" % (cid, key, [c["id"] for c in P[key]["categories"]]))
def param(c, name, value=None):
    for p in c["parameters"]:
        if p["name"] == name and (value is None or p["value"] == value):
            return p
    raise SystemExit("no %s=%s in %s: %s" % (name, value, c["id"], [(p["name"], p["value"]) for p in c["parameters"]]))
def reg(c, inst, art=None):
    for r in c["regulations"]:
        if r["instrument"] == inst and (art is None or r["article"] == art):
            assert r["source"] == "regulation:%s/%s" % (inst, r["article"]), r
            assert r["in_effect"] in (True, False, None), r
            assert r["jurisdictions"], r
            return r
    raise SystemExit("no %s %s for %s" % (inst, art, c["id"]))
def must(cond, msg):
    if not cond:
        raise SystemExit(msg)
$(cat)
EOF
)
	if [ $? -eq 0 ] && [ -z "$out" ]; then ok "$d"; else
		not_ok "$d"
		echo "$out" | sed 's/^/  | /' | head -8
	fi
}

py op "arbitration: NAM as forum with its rules, under the FAA and the grey lists" <<'EOF'
c = cat("13.d", "mandatory_arbitration")
p = param(c, "arbitration_body", "NAM")
must(p["detail"] == "National Arbitration and Mediation", p)
must("National Arbitration" in p["quote"], p)
must(p["source"] == "params:arbitration_body", p)
must("Comprehensive Dispute Resolution" in param(c, "arbitration_rules")["value"], c)
reg(c, "us_faa", "§2"); reg(c, "eu_uctd", "Annex 1(q)")
must(c["rules"] and c["rules"]["explicit"], c["rules"])
must(any(s["source"][0] == "template:reading.params.arbitration_body" and "NAM" in s["text"]
         for s in P["13.d"]["legal_reading"]), P["13.d"]["legal_reading"])
EOF

py op "arbitration opt-out: 30 days, by email, with its span" <<'EOF'
c = cat("13.b", "arbitration_opt_out")
p = param(c, "opt_out_window", "30 days")
must(p["number"] == 30 and p["unit"] == "days", p)
must("30 days" in p["quote"], p)
s, e = p["span"]
must(0 < s < e, p)
param(c, "opt_out_method", "email to legal@stability.ai")
reg(c, "us_faa")
EOF

py op "liability cap: the greater of \$100 or six months of fees" <<'EOF'
c = cat("11", "limitation_of_liability")
p = param(c, "liability_cap")
must(p["number"] == 100 and p["unit"] == "USD", p)
must(p["number2"] == 6 and p["unit2"] == "months", p)
must("$100" in p["quote"], p)
reg(c, "uk_cra", "s.65"); reg(c, "eu_uctd", "Annex 1(b)")
must(c["model"] is not None and c["model"]["code"] == "ltd", c["model"])
must(c["severity"] in ("potentially_unfair", "clearly_unfair"), c["severity"])
must(P["11"]["exposure"]["level"] == "high", P["11"]["exposure"])
EOF

py op "minimum age 18, under GDPR art. 8 and COPPA" <<'EOF'
c = cat("2.a", "eligibility_min_age")
p = param(c, "min_age", "18 years")
must(p["number"] == 18, p)
reg(c, "eu_gdpr", "8"); reg(c, "us_coppa")
EOF

py op "California law and exclusive Los Angeles courts, under Rome I and Brussels Ia" <<'EOF'
c = cat("13.j", "choice_of_law")
param(c, "governing_law", "California")
reg(c, "eu_rome_i", "6")
j = cat("13.j", "jurisdiction")
p = param(j, "forum", "Los Angeles, California")
must(p["detail"] == "exclusive", p)
reg(j, "eu_brussels_ia", "18")
EOF

py op "bans on automated access and on transferring API keys, from explicit rules" <<'EOF'
a = cat("3.b", "automated_access")
must(a["rules"]["explicit"], a)
must(any("crawl" in e["quote"].lower() or "scrape" in e["quote"].lower()
         for e in a["rules"]["evidence"]), a["rules"]["evidence"])
must(all(e["source"].startswith("rule:automated_access#") for e in a["rules"]["evidence"]), a)
reg(a, "us_cfaa")
k = cat("3.b", "api_key_non_transfer")
must(k["rules"]["explicit"], k)
must(k["exposure"]["operator"]["level"] == "medium", k["exposure"])
must(k["exposure"]["operator"]["basis"] == "explicit", k["exposure"])
# the transfer ban's law: security of processing where keys reach personal
# data, unauthorised access in the US, consumer fairness in the EU and UK
reg(k, "eu_gdpr", "32"); reg(k, "us_cfaa", "§1030(a)(2)"); reg(k, "eu_uctd", "3")
must(k["severity_source"] == "taxonomy:api_key_non_transfer.severity", k["severity_source"])
must(all(r["verified"] == bool(r["verified_at"]) for c in P["3.b"]["categories"]
         for r in c["regulations"]), "a verified article without its source")
EOF

# Where the reader is changes the view, not the stored analysis: a consumer
# in the EU reads the arbitration clause against the grey list; for a
# reader in the US, EU and UK consumer law is marked as not applying.
cw --json analyze "$ST" --audience consumer --jurisdiction eu >"$WORK/eu.json"
cw --json analyze "$ST" --audience consumer >"$WORK/nowhere.json"
cw --json analyze "$ST" --audience consumer --jurisdiction us >"$WORK/us.json"
py eu "a consumer in the EU: grey-listed arbitration is raised by the context modifier" <<'EOF'
c = cat("13.d", "mandatory_arbitration")
must(any(m["source"] == "context:lexicon.context_modifiers#grey_list_consumer"
         for m in c["exposure"]["consumer"]["modifiers"]), c["exposure"]["consumer"])
must(d["jurisdiction"] == "eu" and P["13.d"]["reader"]["jurisdiction"] == "eu", d["jurisdiction"])
must("mandatory_arbitration" in P["13.d"]["reader"]["grey_list_raised"], P["13.d"]["reader"])
must(any(r["applies_to_reader"] for r in c["regulations"] if r["instrument"] == "eu_uctd"), c)
must(not any(r["applies_to_reader"] for r in c["regulations"] if r["instrument"] == "us_faa"), c)
EOF
py nowhere "without a place, no reader context and no grey-list modifier" <<'EOF'
c = cat("13.d", "mandatory_arbitration")
must(P["13.d"]["reader"] is None and d["jurisdiction"] is None, P["13.d"]["reader"])
must(not any("context_modifiers#grey" in m["source"]
             for m in c["exposure"]["consumer"]["modifiers"]), c["exposure"]["consumer"])
EOF
py us "a reader in the US: EU and UK consumer law flagged as not applying" <<'EOF'
c = cat("13.d", "mandatory_arbitration")
must(not any(r["applies_to_reader"] for r in c["regulations"]
             if r["instrument"] in ("eu_uctd", "uk_cra")), c["regulations"])
must(any(r["applies_to_reader"] for r in c["regulations"] if r["instrument"] == "us_faa"), c)
must(P["13.d"]["reader"]["grey_list_raised"] == [], P["13.d"]["reader"])
EOF
expect_exit 2 "bad jurisdiction" cw analyze "$ST" --jurisdiction mars

# Category coverage of every current document: the measure printed by
# analyze --all, and the list of uncategorised provisions behind it.
cw --json analyze --all >"$WORK/all.json"
cw analyze --all --uncategorised >"$WORK/uncat.jsonl"
if python3 - "$WORK/all.json" "$WORK/uncat.jsonl" <<'EOF'
import json, sys
cov = json.load(open(sys.argv[1]))["coverage"]
assert cov["analysed"] > 0 and 0 <= cov["uncategorised"] < cov["analysed"], cov
# the share is rounded to 4 decimals
assert abs(cov["uncategorised_share"] - cov["uncategorised"] / cov["analysed"]) <= 5e-5, cov
lines = [json.loads(l) for l in open(sys.argv[2])]
assert len(lines) == cov["uncategorised"], (len(lines), cov)
assert all(l["service"] and l["key"] and l["text"] is not None for l in lines), lines[:1]
EOF
then ok "analyze --all reports category coverage; --uncategorised lists the same provisions"
else not_ok "analyze --all reports category coverage; --uncategorised lists the same provisions"
fi

py op "the operator answers for end users' inputs: high exposure, AI Act, DSA, OSA, s.230" <<'EOF'
c = cat("4.a", "operator_end_user_responsibility")
reg(c, "eu_ai_act", "25"); reg(c, "eu_dsa", "16"); reg(c, "uk_osa", "s.10"); reg(c, "us_cda_230")
e = c["exposure"]["operator"]
must(e["level"] == "high", e)
must(any(m["source"].startswith("modifier:operator_end_user_responsibility/operator#")
         and m["quote"] for m in e["modifiers"]), e)
must(c["exposure"]["consumer"]["level"] == "low", c["exposure"])
m = P["4.a"]["what_it_means"]
must(any("operator_end_user_responsibility" in " ".join(s["source"]) for s in m), m)
flags = [f["jurisdiction"] for f in P["4.a"]["compliance"]["jurisdiction_flags"]]
must("EU" in flags and "UK" in flags and "US" in flags, flags)
EOF

py op "every statement names its source; the five compliance parts are there" <<'EOF'
n = 0
for p in d["provisions"]:
    for sec in ("legal_reading", "what_it_means", "interpretive_notes"):
        for s in p[sec]:
            must(s["text"] and s["source"], (p["key"], sec, s)); n += 1
    comp = p["compliance"]
    for part in ("regulatory_landscape", "exposure", "jurisdiction_flags",
                 "contract_and_vendor", "considerations"):
        must(part in comp, (p["key"], part))
    for s in comp["regulatory_landscape"] + comp["exposure"]["by_category"]:
        must(s["source"][0].startswith("template:compliance."), s); n += 1
    for c in p["categories"]:
        must(0 < c["confidence"] <= 1, c)
        must(c["severity"] in ("clearly_fair", "potentially_unfair", "clearly_unfair"), c)
        must(c["rules"] is not None or c["model"] is not None, c)
must(n > 300, n)
must(d["audience"] == "operator" and d["model"] is True, d["audience"])
must(d["from_store"] is False, "first analysis computed")
EOF

py op "how other platforms handle it: other services only, best first, prevalence over 5" <<'EOF'
o = P["11"]["other_platforms"]
must(o["category"] == "limitation_of_liability", o)
h = o["hits"]
must(1 <= len(h) <= 3, h)
must(all(x["service"] != "Stability AI" for x in h), h)
must(all(h[i]["score"] >= h[i + 1]["score"] for i in range(len(h) - 1)), h)
pv = [c for c in P["11"]["categories"] if c["id"] == "limitation_of_liability"][0]["prevalence"]
must(pv["of"] == 5 and 1 <= pv["services"] <= 5, pv)
must(any("of 5 tracked services" in s["text"] for s in o["statements"]), o["statements"])
EOF

cw --json analyze "$ST" --audience operator --provision 11 >"$WORK/again.json"
py again "the analysis is stored: a second run reads it back" <<'EOF'
must(d["from_store"] is True, d["from_store"])
must([p["key"] for p in d["provisions"]] == ["11"], d["provisions"])
EOF

cw --json compare "$ST" --provision 11 --top 4 >"$WORK/cmp.json"
py cmp "compare: the 4 closest liability provisions of other services" <<'EOF'
must(d["category"] == "limitation_of_liability", d)
h = d["hits"]
must(len(h) == 4, h)
must(all(x["service"] != "Stability AI" and x["key"] and x["type"] and x["score"] > 0 for x in h), h)
must(all(h[i]["score"] >= h[i + 1]["score"] for i in range(3)), h)
must(d["prevalence"]["of"] == 5, d["prevalence"])
EOF

cw analyze "$ST" --provision 13.b --audience consumer >"$WORK/md.txt"
check "markdown: the sections of a provision page" grep -q "### Compliance analysis" "$WORK/md.txt"
check "markdown: the opt-out window with its source" grep -q "30 days.*template:reading.params.opt_out_window" "$WORK/md.txt"
check "markdown: what it means for a consumer" grep -q "### What this means for you (consumer)" "$WORK/md.txt"

# Exposure moves: a real change of Cursor's terms moved provisions between
# levels; the move must agree with the stored analyses of both versions.
cw --json analyze "Cursor/Terms of Service" --audience consumer >"$WORK/cursor.json"
py cursor "monitoring history: versions changed and exposure moves" <<'EOF'
moves = [(p["key"], m) for p in d["provisions"] for m in p["monitoring"]["moves"]]
must(moves, "no exposure move in Cursor's history")
must(any(p["monitoring"]["events"] for p in d["provisions"]), "no events")
key, m = moves[0]
must(m["from"] != m["to"] and m["direction"] in ("up", "down"), m)
open(sys.argv[1] + ".move", "w").write("%s\t%s\t%s\t%s\t%s\t%s\n" % (
    key, m["old_key"], m["from_version"], m["to_version"], m["from"], m["to"]))
EOF
IFS=$'\t' read -r key okey fv tv from to <"$WORK/cursor.json.move"
cw --json analyze "Cursor/Terms of Service@$fv" --audience consumer --provision "$okey" >"$WORK/before.json"
cw --json analyze "Cursor/Terms of Service@$tv" --audience consumer --provision "$key" >"$WORK/after.json"
py before "the move's old level is the stored level of version $fv" <<EOF
# a provision with no category has no level: it counts as low
must((P["$okey"]["exposure"] or {}).get("level", "low") == "$from", P["$okey"]["exposure"])
EOF
py after "the move's new level is the stored level of version $tv" <<EOF
must((P["$key"]["exposure"] or {}).get("level", "low") == "$to", P["$key"]["exposure"])
EOF

expect_exit 3 "unknown provision" cw analyze "$ST" --provision 99.z
expect_exit 2 "bad audience" cw analyze "$ST" --audience regulator
expect_exit 2 "compare needs --provision" cw compare "$ST"
expect_exit 3 "unknown document" cw analyze "Nobody/Terms of Service"

finish
