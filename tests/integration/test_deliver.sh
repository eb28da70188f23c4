#!/bin/bash
# Deliveries that never block, end to end on loopback: twelve webhook
# subscriptions on three receivers that hang (they take the request and
# never answer) beside a healthy one. The healthy one gets its alert while
# the twelve hang; SIGTERM in the middle of that delivery stops the
# monitor within seconds with exit 0 and leaves the twelve pending as they
# were, and the next run delivers them once, with their keys, without
# sending the healthy one again. Then the pass deadline, and signatures
# that carry their time: a request replayed later is refused.
#
# The send timeout is two minutes throughout, so a monitor that waited on
# a hanging receiver, or ignored the signal or the deadline, would take
# minutes where these checks allow seconds.
. "$(dirname "$0")/lib.sh"
need_shared
need_tools "$FIX" "$HOOK" "$SINK"
SRC="$SHARED/corpus/versions/Perplexity/Terms of Service/2026-08-20.md"
need_file "$SRC" "a real document"

start_tools
mkdir -p "$WORK/decl" "$WORK/h1" "$WORK/h2" "$WORK/h3" "$WORK/h4" "$WORK/replay"
cp "$SRC" "$WORK/site/terms.md"
cat >"$WORK/decl/Perplexity.json" <<JSON
{"name": "Perplexity", "terms": {
  "Terms of Service": {"fetch": "http://127.0.0.1:$FPORT/files/terms.md"}}}
JSON
cw init >/dev/null
cw declare "$WORK/decl" >/dev/null 2>&1
# three receivers that hang on their first four requests each, then answer
H1=$(start h1 "$HOOK" --dir "$WORK/h1" --secret "$SECRET" --hang 4)
H2=$(start h2 "$HOOK" --dir "$WORK/h2" --secret "$SECRET" --hang 4)
H3=$(start h3 "$HOOK" --dir "$WORK/h3" --secret "$SECRET" --hang 4)
# subscriptions 1..12 hang, 13 is healthy (its alert is the last row)
for p in $H1 $H2 $H3; do
	for i in 1 2 3 4; do
		cw watch add --webhook "http://127.0.0.1:$p/h$i" --secret "$SECRET" >/dev/null
	done
done
check "13: a healthy receiver" cw watch add --webhook "http://127.0.0.1:$HPORT/ok" --secret "$SECRET"

OPTS="--allow-private-network --fetch-attempts 1 --no-analysis --no-browser --delivery-timeout-ms 120000"
now_ms() { date +%s%3N; }
# wait_gone PID SECONDS: true when PID has ended within SECONDS
wait_gone() {
	for _ in $(seq 1 $(($2 * 20))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}
# stop_monitor PID: SIGTERM, then wait up to 20 s; sets gone (0: it
# ended), stop_ms and mrc (its exit status)
stop_monitor() {
	local ts
	ts=$(now_ms)
	kill -TERM "$1"
	wait_gone "$1" 20
	gone=$?
	stop_ms=$(($(now_ms) - ts))
	wait "$1"
	mrc=$?
}
# lines LOG PATTERN: how many lines of LOG match
lines() {
	local n
	n=$(grep -c "$2" "$1" 2>/dev/null)
	echo "${n:-0}"
}
hangs() { echo $(($(lines "$WORK/h1/log" '^hang') + $(lines "$WORK/h2/log" '^hang') + $(lines "$WORK/h3/log" '^hang'))); }

cw monitor --once --force $OPTS >"$WORK/p1.out" 2>"$WORK/p1.err"
check "pass 1 records the first version" grep -q "1 new versions" "$WORK/p1.out"

# pass 2, by the long-lived monitor: the arbitration clause changes
sed -i 's/will be settled by final and binding arbitration/will be settled by final, binding and confidential arbitration/' "$WORK/site/terms.md"
t0=$(now_ms)
"$CLAUSEWATCH" --db "$DB" monitor --force --poll 3600 $OPTS >"$WORK/m.out" 2>"$WORK/m.err" &
mpid=$!
for _ in $(seq 1 600); do
	[ "$(lines "$WORK/hook/log" '^new cw-13-c')" -ge 1 ] && [ "$(hangs)" -ge 12 ] && break
	kill -0 "$mpid" 2>/dev/null || break
	sleep 0.05
done
ok_ms=$(($(now_ms) - t0))
check "the healthy receiver got its alert (${ok_ms} ms into the pass)" test "$(lines "$WORK/hook/log" '^new cw-13-c')" -eq 1
check "... while all twelve sends to the hanging receivers were held ($(hangs))" test "$(hangs)" -eq 12
check "... and the monitor was still delivering" kill -0 "$mpid"
check "... promptly: within 30 s, where one send at a time waits 12 x 120 s" test "$ok_ms" -lt 30000
stop_monitor "$mpid"
term_ms=$stop_ms
check "SIGTERM in the middle of the delivery stops the monitor (${term_ms} ms)" test "$gone" -eq 0
check "... with exit 0 ($mrc)" test "$mrc" -eq 0
check "... saying what it left" grep -q "delivery stopped: 12 alerts left pending for the next run" "$WORK/m.err"
cw --json status >"$WORK/status.json"
check "the twelve wait in the outbox, the healthy one is sent" grep -q '"outbox":{"pending":12,"held":0,"sent":1,"dead":0}' "$WORK/status.json"
if command -v sqlite3 >/dev/null 2>&1; then
	check "... as they were: no attempt counted, no error recorded" \
		test "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE state = 'pending' AND attempts = 0 AND last_error IS NULL")" -eq 12
fi

# the next run: the receivers answer now; each held alert arrives once,
# under the key it was held with, and the healthy one is not sent again
cw monitor --once --deliver-only $OPTS >"$WORK/d.out" 2>"$WORK/d.err"
cat "$WORK"/h[123]/log | sed -n 's/^hang \(.*\)/\1/p' | sort >"$WORK/held.keys"
cat "$WORK"/h[123]/log | sed -n 's/^new \([^ ]*\) valid$/\1/p' | sort >"$WORK/new.keys"
check "the next run delivers the twelve ($(grep -c . "$WORK/new.keys"))" test "$(grep -c . "$WORK/new.keys")" -eq 12
check "... under the keys they were held with" cmp -s "$WORK/held.keys" "$WORK/new.keys"
check "the healthy receiver still has exactly one alert, never a second" \
	test "$(lines "$WORK/hook/log" '^new')" -eq 1 -a "$(lines "$WORK/hook/log" '^dup')" -eq 0
cw --json status >"$WORK/status.json"
check "the outbox is empty" grep -q '"outbox":{"pending":0,"held":0,"sent":13,"dead":0}' "$WORK/status.json"

# the pass deadline: a fourth receiver that never answers
H4=$(start h4 "$HOOK" --dir "$WORK/h4" --secret "$SECRET" --hang 1000)
for i in 1 2 3 4; do
	cw watch add --webhook "http://127.0.0.1:$H4/h$i" --secret "$SECRET" >/dev/null
done
sed -i 's/ONE HUNDRED DOLLARS (\$100.00)/TEN DOLLARS ($10.00)/' "$WORK/site/terms.md"
ts=$(now_ms)
cw --json monitor --once --force $OPTS --delivery-deadline 2s >"$WORK/p3.json" 2>"$WORK/p3.err"
p3rc=$?
p3_ms=$(($(now_ms) - ts))
check "a pass with receivers that never answer ends at its deadline (${p3_ms} ms, exit $p3rc)" test "$p3rc" -eq 0 -a "$p3_ms" -lt 60000
check "... having sent the thirteen others, the four on the wire to retry" grep -q '"delivery":{"sent":13,"retried":4,"dead":0,"digests":0,"feeds":0,"left":0}' "$WORK/p3.json"
check "... naming the deadline" grep -q "h4': no answer before the delivery deadline (2 s)" "$WORK/p3.err"
check "the healthy receiver got the new change once" test "$(lines "$WORK/hook/log" '^new cw-13-c')" -eq 2

# deliveries beside the passes: a long-lived monitor checks every second
# while its sends to the receiver that never answers hang for two minutes
# (its deadline); a change made meanwhile is recorded by the next pass
nver() { cw history "Perplexity/Terms of Service" 2>/dev/null | grep -c .; }
v0=$(nver)
sed -i 's/TEN DOLLARS (\$10.00)/FIVE DOLLARS ($5.00)/' "$WORK/site/terms.md"
"$CLAUSEWATCH" --db "$DB" monitor --force --interval 1s --jitter 0 --poll 1 $OPTS \
	--delivery-deadline 120s >"$WORK/m2.out" 2>"$WORK/m2.err" &
mpid=$!
h4hangs() { lines "$WORK/h4/log" '^hang'; }
for _ in $(seq 1 400); do
	[ "$(nver)" -gt "$v0" ] && [ "$(h4hangs)" -ge 8 ] && break
	kill -0 "$mpid" 2>/dev/null || break
	sleep 0.05
done
check "the long-lived monitor records the change ($(nver) versions)" test "$(nver)" -eq $((v0 + 1))
check "... and its four alerts to the silent receiver hang ($(h4hangs) held in all)" test "$(h4hangs)" -ge 8
sed -i 's/FIVE DOLLARS (\$5.00)/TWO DOLLARS ($2.00)/' "$WORK/site/terms.md"
ts=$(now_ms)
for _ in $(seq 1 400); do
	[ "$(nver)" -gt $((v0 + 1)) ] && break
	kill -0 "$mpid" 2>/dev/null || break
	sleep 0.05
done
next_ms=$(($(now_ms) - ts))
check "the next change is recorded while those sends still hang (${next_ms} ms)" test "$(nver)" -eq $((v0 + 2))
check "... well before the delivery deadline: within 20 s" test "$next_ms" -lt 20000
check "... by a monitor still running" kill -0 "$mpid"
stop_monitor "$mpid"
term2_ms=$stop_ms
check "SIGTERM stops it and its delivery thread (${term2_ms} ms, exit $mrc)" test "$gone" -eq 0 -a "$mrc" -eq 0
check "... saying what the thread left" grep -q "delivery stopped: .* left pending for the next run" "$WORK/m2.err"

# signatures carry their time: t=UNIX,v1=HMAC-SHA256(secret, "t.body")
body=$(ls "$WORK"/hook/cw-13-c*.json | sort | head -1)
key=$(basename "$body" .json)
sig=$(cat "$WORK/hook/$key.sig")
check "the signature header has the time and the HMAC" grep -qE '^t=[0-9]+,v1=[0-9a-f]{64}$' "$WORK/hook/$key.sig"
if command -v curl >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
	RPORT=$(start replay "$HOOK" --dir "$WORK/replay" --secret "$SECRET" --max-age 1)
	# post PORT KEY SIGNATURE BODY-FILE: the HTTP status
	post() {
		curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
			-H "Idempotency-Key: $2" -H "X-Clausewatch-Signature: $3" \
			--data-binary @"$4" "http://127.0.0.1:$1/hook"
	}
	# sign SECRET TIME BODY-FILE
	sign() { echo "t=$2,v1=$({ printf '%s.' "$2"; cat "$3"; } | openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1)"; }
	# the request captured at pass 2, sent again seconds later
	check "a captured request replayed later is refused (401)" test "$(post "$RPORT" "$key" "$sig" "$body")" = 401
	check "... as stale" grep -q "^refused $key stale$" "$WORK/replay/log"
	check "the same body signed now is taken (200)" test "$(post "$RPORT" "$key" "$(sign "$SECRET" "$(date +%s)" "$body")" "$body")" = 200
	check "... as a valid new alert" grep -q "^new $key valid$" "$WORK/replay/log"
	check "an old time, well signed, is refused by a receiver's five minutes (401)" \
		test "$(post "$HPORT" cw-replay-1 "$(sign "$SECRET" $(($(date +%s) - 600)) "$body")" "$body")" = 401
	check "... as stale" grep -q "^refused cw-replay-1 stale$" "$WORK/hook/log"
	check "a signature under another secret is refused (401)" \
		test "$(post "$HPORT" cw-replay-2 "$(sign wrong-secret "$(date +%s)" "$body")" "$body")" = 401
	check "... as a bad signature" grep -q "^refused cw-replay-2 signature$" "$WORK/hook/log"
	check "the old header format is refused (401)" \
		test "$(post "$HPORT" cw-replay-3 "sha256=$(openssl dgst -sha256 -hmac "$SECRET" -r "$body" | cut -d' ' -f1)" "$body")" = 401
	check "... as malformed" grep -q "^refused cw-replay-3 malformed$" "$WORK/hook/log"
fi
echo "  (healthy alert ${ok_ms} ms into the pass; SIGTERM to exit ${term_ms} ms; deadline pass ${p3_ms} ms; next change beside hanging sends ${next_ms} ms)"
stats_ok() { cw stats >/dev/null; }
check "the store is consistent" stats_ok
finish
