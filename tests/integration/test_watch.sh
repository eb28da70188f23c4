#!/bin/bash
# Watchlists by taxonomy category, end to end on loopback: a real version
# of Perplexity's Terms of Service (from the corpus) served by the fixture
# server, changed between `monitor --once` passes: first its arbitration
# agreement (9.3), then its liability cap (8.2). Each change is analysed
# by the monitor; only the subscriptions whose categories the changed
# provision carries get an alert, and the alert names the categories and
# the exposure move.
. "$(dirname "$0")/lib.sh"
need_shared
need_tools "$FIX" "$HOOK" "$SINK"
SRC="$SHARED/corpus/versions/Perplexity/Terms of Service/2026-08-20.md"
need_file "$SRC" "a real document"

start_tools
mkdir -p "$WORK/decl"
cp "$SRC" "$WORK/site/terms.md"
HURL=http://127.0.0.1:$HPORT/hook
cat >"$WORK/decl/Perplexity.json" <<JSON
{"name": "Perplexity", "terms": {
  "Terms of Service": {"fetch": "http://127.0.0.1:$FPORT/files/terms.md"}}}
JSON
cw init >/dev/null
cw declare "$WORK/decl" >/dev/null 2>&1
hook() { cw watch add --webhook "$HURL" --secret "$SECRET" "$@" >/dev/null; }
# subscription ids follow the order of creation: 1..8
check "1: arbitration watch" hook --category mandatory_arbitration
check "2: an unrelated category" hook --category training_on_user_data
check "3: two categories (either)" hook --category limitation_of_liability --category mandatory_arbitration
check "4: the category, but another service" hook --service Other --category mandatory_arbitration
check "5: the category and this document" hook --document "Perplexity/Terms of Service" --category mandatory_arbitration
check "6: every change (no category)" hook
check "7: arbitration by email" cw watch add --email legal@example.org --category mandatory_arbitration >/dev/null
check "8: arbitration, as a daily digest" hook --cadence daily --category mandatory_arbitration
expect_exit 2 "an unknown category is a usage error" cw watch add --feed x --category arbitration
check "the error names the bad id" grep -q "'arbitration'" "$WORK/err"
check "the error suggests the real ids" grep -q "mandatory_arbitration" "$WORK/err"
expect_exit 2 "a second bad id among good ones is refused" cw watch add --feed x --category mandatory_arbitration --category no_such_thing
check "... naming it" grep -q "'no_such_thing'" "$WORK/err"
cw watch list >"$WORK/list"
check "watch list shows the categories" grep -q "^3.*categories (any of) limitation_of_liability,mandatory_arbitration" "$WORK/list"
cw --json watch list >"$WORK/list.json"
check "watch list --json lists them" grep -q '"categories":\["limitation_of_liability","mandatory_arbitration"\]' "$WORK/list.json"

MON="monitor --once --force --allow-private-network --smtp-url smtp://127.0.0.1:$SPORT --fetch-attempts 1"
count() { grep -c "^new cw-$1-c" "$WORK/hook/log" 2>/dev/null; }
# pass N WHAT: monitor pass N (its report in pN.json), which records WHAT
pass() {
	cw --json $MON >"$WORK/p$1.json" 2>"$WORK/p$1.err"
	check "pass $1 records $2" grep -q '"new_versions":1' "$WORK/p$1.json"
}
# alerts SUB N DESCRIPTION: subscription SUB has had N alerts so far
alerts() { check "$3 ($(count "$1"))" test "$(count "$1")" = "$2"; }

# pass 1: the first version: no change, nothing analysed, no alert
pass 1 "the first version"
check "a first version is not analysed in the monitor" grep -q '"analysis":{"changes":0,"provisions":0,.*"versions":0,' "$WORK/p1.json"
check "no alert for a first version" test ! -s "$WORK/hook/log"

# pass 2: the arbitration agreement becomes confidential
sed -i 's/will be settled by final and binding arbitration/will be settled by final, binding and confidential arbitration/' "$WORK/site/terms.md"
pass 2 "a new version"
check "the change was analysed" grep -q '"analysis":{"changes":1,"provisions":[1-9][0-9]*,"reused":0,"failed":0,' "$WORK/p2.json"
check "then the new version in full, after the pass" grep -q '"versions":1,"version_provisions":[1-9]' "$WORK/p2.json"
alerts 1 1 "arbitration watch: exactly one alert"
alerts 2 0 "unrelated category: no alert"
alerts 3 1 "either of two categories: one alert"
alerts 4 0 "category of another service: no alert"
alerts 5 1 "category and document: one alert"
alerts 6 1 "no category: one alert"
body=$(ls "$WORK"/hook/cw-1-c*.json 2>/dev/null | head -1)
check "the alert's signature is valid" grep -q '^new cw-1-c[0-9]* valid$' "$WORK/hook/log"
if command -v python3 >/dev/null 2>&1 && [ -n "$body" ]; then
	check "the summary names the category, per provision and for the change" python3 -c "
import json, sys
b = json.load(open(sys.argv[1]))
assert 'mandatory_arbitration' in b['categories'], b.get('categories')
c = [c for c in b['changes'] if c['new_key'] == '9.3']
assert len(c) == 1, [c['new_key'] for c in b['changes']]
ids = [x['id'] for x in c[0]['categories']]
assert 'mandatory_arbitration' in ids, ids
a = [x for x in c[0]['categories'] if x['id'] == 'mandatory_arbitration'][0]
assert a['in'] == 'both' and 0 < a['confidence'] <= 1 and a['severity'], a
assert b['categories'] == sorted(set(b['categories']))
" "$body"
	check "the alert says the provision moved from medium to high exposure for operators" python3 -c "
import json, sys
b = json.load(open(sys.argv[1]))
m = [m for m in b['exposure_moves'] if m['key'] == '9.3' and m['audience'] == 'operator']
assert m and m[0]['from'] == 'medium' and m[0]['to'] == 'high' and m[0]['direction'] == 'up', b.get('exposure_moves')
c = [c for c in b['changes'] if c['new_key'] == '9.3'][0]
assert {'audience': 'operator', 'from': 'medium', 'to': 'high', 'direction': 'up'} in c['exposure_moves']
" "$body"
fi
mails=$(grep -l '^Subject: .*Terms of Service changed' "$WORK"/mail/*.eml 2>/dev/null | wc -l)
check "the SMTP sink got exactly one email ($mails)" test "$mails" -eq 1
mail=$(ls "$WORK"/mail/*.eml 2>/dev/null | head -1)
if command -v python3 >/dev/null 2>&1; then
	# the plain-text part, decoded (quoted-printable folds long lines)
	python3 -c "
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
for p in m.walk():
    if p.get_content_type() == 'text/plain':
        sys.stdout.write(p.get_payload(decode=True).decode())
" "${mail:-/dev/null}" >"$WORK/mail.txt" 2>/dev/null
	check "the email names the category" grep -q 'Mandatory arbitration (mandatory_arbitration' "$WORK/mail.txt"
	check "the email names the exposure move" grep -q 'Provision 9.3 .* moved from medium to high exposure for the operator' "$WORK/mail.txt"
	# whitespace is not a token of the diff: the redline must still
	# interleave the edits in place (old and new differ around "and")
	check "the email's redline interleaves the edits in place" grep -qF 'final[-and-]{+,+} binding {+and confidential+} arbitration' "$WORK/mail.txt"
fi

# pass 3: the liability cap drops from 100 to 10 dollars
sed -i 's/ONE HUNDRED DOLLARS (\$100.00)/TEN DOLLARS ($10.00)/' "$WORK/site/terms.md"
pass 3 "a new version"
check "the older version's stored analysis is read back" grep -q '"analysis":{"changes":1,"provisions":[0-9]*,"reused":1,"failed":0,' "$WORK/p3.json"
alerts 1 1 "arbitration watch: no alert for a liability change"
alerts 3 2 "liability or arbitration: a second alert"
alerts 6 2 "no category: a second alert"
alerts 2 0 "unrelated category: still none"
check "still one email" test "$(ls "$WORK"/mail/*.eml | wc -l)" -eq 1
body=$(ls "$WORK"/hook/cw-3-c*.json 2>/dev/null | sort | tail -1)
check "the liability alert names limitation_of_liability" grep -q '"categories":\["limitation_of_liability"' "${body:-/dev/null}"

# the digest holds the arbitration change only, with its categories
cw monitor --once --deliver-only --digest-now --allow-private-network >"$WORK/d.out" 2>&1
digest=$(ls "$WORK"/hook/cw-8-d*.json 2>/dev/null | head -1)
check "one digest for the daily arbitration watch" test -n "$digest"
if command -v python3 >/dev/null 2>&1 && [ -n "$digest" ]; then
	check "the digest lists the arbitration change with its categories" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
cs = [c for g in d['groups'] for c in g['changes']]
assert len(cs) == 1, cs
assert 'mandatory_arbitration' in cs[0]['categories'], cs[0]
assert any(m['key'] == '9.3' for m in cs[0]['exposure_moves'])
" "$digest"
fi

# `analyze` reads the analyses the monitor stored
cw --json analyze "Perplexity/Terms of Service" --provision 9.3 --format json >"$WORK/an.json" 2>"$WORK/an.err"
check "analyze finds the provision's stored analysis" grep -q 'mandatory_arbitration' "$WORK/an.json"
stats_ok() { cw stats >/dev/null; }
check "the store is consistent" stats_ok

# secrets at rest and out of argv: the store keeps webhook secrets sealed
# (no file of the store holds their bytes), the store and its keys are
# the owner's alone, a secret comes from a file or the environment, a
# target's password is never shown, and no password goes over plain SMTP
SDB=$WORK/secrets.db
printf 'file-secret-%s\n' "$$" >"$WORK/secret.txt"
expect_exit 0 "watch add --secret-file" "$CLAUSEWATCH" --db "$SDB" watch add --webhook "https://hooks.example/a" --secret-file "$WORK/secret.txt"
CLAUSEWATCH_WEBHOOK_SECRET="env-secret-$$" expect_exit 0 "a secret from CLAUSEWATCH_WEBHOOK_SECRET" \
	"$CLAUSEWATCH" --db "$SDB" watch add --webhook "https://hooks.example/b"
expect_exit 0 "--secret still works" "$CLAUSEWATCH" --db "$SDB" watch add --webhook "https://ops:hunter2pass@hooks.example/c" --secret "argv-secret-$$"
check "... with a warning that argv is visible" grep -q "visible to every user" "$WORK/err"
holds() { cat "$SDB" "$SDB"-wal 2>/dev/null | grep -qa "$1"; }
check "no file of the store holds a secret's bytes" sh -c '! { cat "$1" "$1"-wal 2>/dev/null | grep -qa -e "file-secret-" -e "env-secret-" -e "argv-secret-"; }' _ "$SDB"
check "the store file is 0600" test "$(stat -c %a "$SDB")" = 600
check "its secrets key is 0600" test "$(stat -c %a "$SDB.secret-key")" = 600
expect_exit 0 "watch list" "$CLAUSEWATCH" --db "$SDB" watch list
check "shows a target's user but not its password" sh -c 'grep -q "ops:\*\*\*@hooks.example" "$1" && ! grep -q hunter2pass "$1"' _ "$WORK/out"
expect_exit 1 "a password in an smtp:// URL is refused" "$CLAUSEWATCH" --db "$SDB" monitor --once --smtp-url "smtp://me:pw123456@127.0.0.1:$SPORT"
check "... saying it would go without TLS" grep -q "sent without TLS" "$WORK/err"
check "... and the error does not print the password" sh -c '! grep -q pw123456 "$1"' _ "$WORK/err"
finish
