#!/usr/bin/env bash
# The signed log on real histories: every record is a leaf, the log
# verifies, and an edit made behind clausewatch's back with sqlite3 is
# named by `log verify` (a blob altered, a version deleted, two versions
# swapped, a version inserted around the log); checkpoints are C2SP
# signed notes that the store's key verifies; proofs check; an audit
# bundle verifies with clausewatch and with the independent script of
# docs/, and a flipped byte in it fails both; a store older than the log
# gets it back-filled, named in its first checkpoint.
. "$(dirname "$0")/lib.sh"
need_shared
command -v sqlite3 >/dev/null || { echo "skipped: sqlite3 not installed"; exit 77; }
python3 -c 'import cryptography' 2>/dev/null ||
	{ echo "skipped: python3-cryptography not installed"; exit 77; }

corpus_subset "Amazon Prime" "Airbnb"

expect_exit 0 "init makes the store and the key" cw init --origin log.example/clausewatch-test
check "the key file is private (0600)" test "$(stat -c %a "$DB.log-key")" = 600
check "init prints the verifier key" grep -q '^log.example/clausewatch-test+[0-9a-f]\{8\}+' "$WORK/out"
expect_exit 0 "init again keeps the key" cw init
check "and says so" grep -q "kept" "$WORK/out"
expect_exit 0 "the histories import" cw --quiet import-history "$WORK/subset"
expect_exit 0 "a real snapshot's declaration loads" cw declare "$SHARED/corpus/snapshots/ChatGPT/Developer Terms/declaration.json"
expect_exit 0 "a snapshot is ingested" cw ingest --date 2026-07-01 "ChatGPT/Developer Terms" "$SHARED/corpus/snapshots/ChatGPT/Developer Terms/source.html"

versions=$(sqlite3 "$DB" "SELECT count(*) FROM versions")
changes=$(sqlite3 "$DB" "SELECT count(*) FROM changes")
pages=$(sqlite3 "$DB" "SELECT count(*) FROM snapshot_pages")
leaves=$(sqlite3 "$DB" "SELECT count(*) FROM log_leaves")
check "one leaf per version, change and snapshot page ($leaves)" test "$leaves" -eq $((versions + changes + pages))
check "the snapshot page is a leaf" test "$(sqlite3 "$DB" "SELECT count(*) FROM log_leaves WHERE kind = 'snapshot'")" -ge 1

expect_exit 0 "a checkpoint is signed" cw log checkpoint
cp "$WORK/out" "$WORK/checkpoint"
check "its body is origin, size, root" test "$(sed -n 1p "$WORK/checkpoint")" = "log.example/clausewatch-test" -a "$(sed -n 2p "$WORK/checkpoint")" = "$leaves"
# 4 bytes of key ID and 64 of signature: 92 base64 characters
check "its signature line is a C2SP one" grep -q '^— log.example/clausewatch-test [A-Za-z0-9+/]\{91\}=$' "$WORK/checkpoint"
expect_exit 0 "log key prints the verifier key" cw log key
vkey=$(cat "$WORK/out")
expect_exit 0 "the log verifies" cw log verify
check "with the checkpoint's signature" grep -q "with their signatures" "$WORK/out"
expect_exit 0 "the log verifies against the published key" cw log verify --key "$vkey"

cw --json log leaves --limit 3 >"$WORK/leaves.json"
check "leaves carry index, kind, service, type, seq and hashes" python3 - "$WORK/leaves.json" <<'EOF'
import json, sys
ls = json.load(open(sys.argv[1]))
assert len(ls) == 3 and ls[0]["index"] == 0
for l in ls:
    assert set(l) == {"index", "kind", "service", "type", "seq", "content_sha256", "leaf_hash"}, l
    assert len(l["content_sha256"]) == 64 and len(l["leaf_hash"]) == 64
EOF

# an inclusion proof, checked here from the leaf, the proof and the root
cw --json log prove "Amazon Prime/Terms of Service@3" >"$WORK/prove.json"
check "log prove gives a proof that leads to the checkpoint's root" python3 - "$WORK/prove.json" <<'EOF'
import base64, hashlib, json, sys
p = json.load(open(sys.argv[1]))
leaf = json.loads(p["leaf"])
assert leaf["kind"] == "version" and leaf["seq"] == 3, leaf
h = lambda b: hashlib.sha256(b).digest()
r, fn, sn = h(b"\0" + p["leaf"].encode()), p["index"], p["tree_size"] - 1
for x in map(base64.b64decode, p["proof"]):
    if fn & 1 or fn == sn:
        r = h(b"\1" + x + r)
        while not fn & 1 and fn:
            fn, sn = fn >> 1, sn >> 1
    else:
        r = h(b"\1" + r + x)
    fn, sn = fn >> 1, sn >> 1
assert sn == 0
root = base64.b64decode(p["checkpoint"].split("\n")[2])
assert r == root, "root mismatch"
EOF
expect_exit 0 "the tlog-proof text form" cw log prove "Amazon Prime/Terms of Service@3" --kind change
check "starts with the C2SP header and carries the leaf" test "$(head -1 "$WORK/out")" = "c2sp.org/tlog-proof@v1" -a "$(sed -n 2p "$WORK/out" | cut -c1-6)" = "extra "
expect_exit 3 "no change made the first version" cw log prove "Amazon Prime/Terms of Service@1" --kind change
expect_exit 0 "a consistency proof from 10 leaves" cw log consistency 10
check "has base64 hashes" grep -q '^[A-Za-z0-9+/]\{43\}=$' "$WORK/out"
expect_exit 1 "a consistency proof from beyond the tree" cw log consistency $((leaves + 5))

# an audit bundle, checked by clausewatch and by the independent script
expect_exit 0 "export-bundle" cw export-bundle "Amazon Prime/Terms of Service" "$WORK/b.tar"
expect_exit 0 "verify-bundle, with the bundle's own key" "$CLAUSEWATCH" verify-bundle "$WORK/b.tar"
expect_exit 0 "verify-bundle against the published key" "$CLAUSEWATCH" verify-bundle --key "$vkey" "$WORK/b.tar"
expect_exit 0 "the independent check of docs/ passes" python3 "$CW_SOURCE_ROOT/docs/verify-bundle.py" "$WORK/b.tar" "$vkey"
check "the bundle holds every version with its provisions" test "$(tar tf "$WORK/b.tar" | grep -c '/versions/[0-9]*\.md$')" -eq "$(sqlite3 "$DB" "SELECT count(*) FROM versions v JOIN documents d ON d.id = v.doc_id JOIN services s ON s.id = d.service_id WHERE s.sid = 'Amazon Prime'")" -a "$(tar tf "$WORK/b.tar" | grep -c '/provisions/')" -gt 0
other=$("$CLAUSEWATCH" --db "$WORK/other.db" --log-key "$WORK/other.key" log key 2>/dev/null)
expect_exit 1 "a bundle checked against another log's key fails" "$CLAUSEWATCH" verify-bundle --key "$other" "$WORK/b.tar"
# one byte of one version, then one byte of the checkpoint's signature
python3 - "$WORK/b.tar" "$WORK/bad1.tar" "$WORK/bad2.tar" <<'EOF'
import io, sys, tarfile
def rewrite(dst, match, at):
    src = tarfile.open(sys.argv[1])
    out = tarfile.open(dst, "w")
    for m in src.getmembers():
        data = src.extractfile(m).read()
        if m.name.endswith(match):
            b = bytearray(data); b[at(b)] ^= 1; data = bytes(b)
        m.size = len(data)
        out.addfile(m, io.BytesIO(data))
    out.close()
rewrite(sys.argv[2], "/versions/2.md", lambda b: len(b) // 2)
rewrite(sys.argv[3], "/checkpoint", lambda b: len(b) - 10)
EOF
expect_exit 1 "a flipped byte in a version fails verify-bundle" "$CLAUSEWATCH" verify-bundle "$WORK/bad1.tar"
check "naming the file" grep -q "'versions/2.md': its SHA-256 is not the one the log holds" "$WORK/err"
expect_exit 1 "and fails the independent check" python3 "$CW_SOURCE_ROOT/docs/verify-bundle.py" "$WORK/bad1.tar"
check "naming the file" grep -q "versions/2.md" "$WORK/err"
expect_exit 1 "a flipped byte in the signature fails verify-bundle" "$CLAUSEWATCH" verify-bundle "$WORK/bad2.tar"
expect_exit 1 "and fails the independent check" python3 "$CW_SOURCE_ROOT/docs/verify-bundle.py" "$WORK/bad2.tar"
printf 'not a tar' >"$WORK/junk.tar"
expect_exit 1 "a file that is not a bundle" "$CLAUSEWATCH" verify-bundle "$WORK/junk.tar"
check "is named" grep -q "junk.tar" "$WORK/err"

# tampering behind clausewatch's back, each on a copy of the store
tamper() { # NAME SQL: a copy of the store with the SQL run on it
	cp "$DB" "$WORK/$1.db"
	cp "$DB.log-key" "$WORK/$1.db.log-key"
	sqlite3 "$WORK/$1.db" "$2"
}
caught() { # NAME WHAT PATTERN SQL: log verify fails on the edit, naming it
	tamper "$1" "$4"
	expect_exit 1 "$2" "$CLAUSEWATCH" --db "$WORK/$1.db" log verify
	check "... and names it" grep -q "$3" "$WORK/err"
}
doc="(SELECT d.id FROM documents d JOIN services s ON s.id = d.service_id WHERE s.sid = 'Amazon Prime')"
last="(SELECT max(seq) FROM versions WHERE doc_id = $doc)"
ap="of Amazon Prime/Terms of Service"
caught altered "a version's blob altered with sqlite3" "(version [0-9]* $ap)" \
	"UPDATE blobs SET data = substr(data, 1, 20) || X'00' || substr(data, 22) WHERE id = (SELECT text_blob FROM versions WHERE doc_id = $doc AND seq = $last)"
caught deleted "a version deleted" "(version 5 $ap): the record is gone" \
	"DELETE FROM versions WHERE doc_id = $doc AND seq = 5"
caught swapped "two versions swapped" "(version 2 $ap)" \
	"UPDATE versions SET text_blob = (SELECT text_blob FROM versions WHERE doc_id = $doc AND seq = 3) WHERE doc_id = $doc AND seq = 2; UPDATE versions SET seq = -1 WHERE doc_id = $doc AND seq = 3; UPDATE versions SET seq = 3 WHERE doc_id = $doc AND seq = 4; UPDATE versions SET seq = 4 WHERE doc_id = $doc AND seq = -1"
caught inserted "a version inserted around the log" "in the store but not in the log" \
	"INSERT INTO versions (doc_id, seq, recorded_at, text_blob, provisions_blob, n_provisions, origin) SELECT doc_id, seq + 100, recorded_at, text_blob, provisions_blob, n_provisions, origin FROM versions WHERE doc_id = $doc AND seq = 2"
caught changed "a change record's blob altered" "(change [0-9]* $ap)" \
	"UPDATE blobs SET data = substr(data, 1, 12) || X'00' || substr(data, 14) WHERE id = (SELECT json_blob FROM changes WHERE doc_id = $doc ORDER BY id DESC LIMIT 1)"
expect_exit 1 "... which stats --check finds too" "$CLAUSEWATCH" --db "$WORK/changed.db" stats --check
caught leafgone "a leaf deleted" "the log has no leaf 7 (deleted)" \
	"DELETE FROM log_leaves WHERE idx = 7; DELETE FROM log_nodes WHERE level = 0 AND idx = 7"
# the newest record and its leaf removed, to hide it: the tree is now
# smaller than the one signed, and no checkpoint is served or signed
top=$((leaves - 1))
tamper hidden "DELETE FROM snapshot_pages WHERE snapshot_id = (SELECT record_id FROM log_leaves WHERE idx = $top); DELETE FROM log_leaves WHERE idx = $top; DELETE FROM log_nodes WHERE level = 0 AND idx = $top"
expect_exit 1 "a record hidden with its leaf: no checkpoint" "$CLAUSEWATCH" --db "$WORK/hidden.db" log checkpoint
check "says leaves were deleted" grep -q "leaves were deleted" "$WORK/err"
expect_exit 1 "and verify says so" "$CLAUSEWATCH" --db "$WORK/hidden.db" log verify

# the log over HTTP (C2SP tlog-tiles): /checkpoint is the signed note,
# and a client that reads only the tiles and entry bundles computes the
# checkpoint's root and the leaf hashes of every entry
cw log checkpoint >/dev/null
"$CLAUSEWATCH" --db "$DB" --json serve --quiet --listen 127.0.0.1:0 \
	>"$WORK/serve.out" 2>"$WORK/serve.err" &
SPID=$!
echo "$SPID" >"$WORK/serve.pid"
for _ in $(seq 1 50); do [ -s "$WORK/serve.out" ] && break; sleep 0.1; done
PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$WORK/serve.out")
check "serve prints its port" test -n "$PORT"
check "a client of the tiles gets the checkpoint's root and every entry" python3 - "$PORT" "$vkey" <<'EOF2'
import base64, hashlib, sys, urllib.request
port, vkey = sys.argv[1], sys.argv[2]
get = lambda p: urllib.request.urlopen("http://127.0.0.1:%s/%s" % (port, p))
r = get("checkpoint")
assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
lines = r.read().decode().split("\n")
assert lines[0] == vkey.split("+")[0], lines[0]
size, root = int(lines[1]), base64.b64decode(lines[2])
assert lines[3] == "" and lines[4].startswith("\u2014 " + lines[0] + " ")
def path(n):
    s = "%03d" % (n % 1000)
    n //= 1000
    while n:
        s = "x%03d/" % (n % 1000) + s
        n //= 1000
    return s
h = lambda b: hashlib.sha256(b).digest()
leaves, entries = [], []
for t in range((size + 255) // 256):
    w = min(256, size - 256 * t)
    suffix = "" if w == 256 else ".p/%d" % w
    r = get("tile/0/%s%s" % (path(t), suffix))
    assert "immutable" in r.headers["Cache-Control"]
    data = r.read()
    assert len(data) == 32 * w
    leaves += [data[i:i + 32] for i in range(0, len(data), 32)]
    b = get("tile/entries/%s%s" % (path(t), suffix)).read()
    i = 0
    while i < len(b):
        n = int.from_bytes(b[i:i + 2], "big")
        entries.append(b[i + 2:i + 2 + n])
        i += 2 + n
assert len(leaves) == size and len(entries) == size
assert all(h(b"\0" + e) == l for e, l in zip(entries, leaves)), "entry"
def mth(hs):
    if len(hs) == 1:
        return hs[0]
    k = 1
    while k * 2 < len(hs):
        k *= 2
    return h(b"\1" + mth(hs[:k]) + mth(hs[k:]))
assert mth(leaves) == root, "root"
# the level-1 tile holds the roots of the full level-0 tiles
full = size // 256
if full:
    t1 = get("tile/1/000.p/%d" % full).read() if full < 256 else get("tile/1/000").read()
    assert [t1[i:i + 32] for i in range(0, len(t1), 32)] == [mth(leaves[256 * i:256 * i + 256]) for i in range(full)]
EOF2
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/tile/0/x000/001")
check "a tile index written another way is not a tile (404)" test "$code" = 404
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/tile/0/$(printf '%03d' $((leaves / 256 + 1)))")
check "a tile beyond the tree is not there (404)" test "$code" = 404
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/checkpoint")
check "the checkpoint is not written to (405)" test "$code" = 405
# the tree's hashes edited behind the server's back: it refuses to
# sign or serve a checkpoint that does not extend the one it published
top=$(sqlite3 "$DB" "SELECT max(level) FROM log_nodes")
was=$(sqlite3 "$DB" "SELECT hex(hash) FROM log_nodes WHERE level = $top AND idx = 0")
sqlite3 "$DB" "UPDATE log_nodes SET hash = zeroblob(32) WHERE level = $top AND idx = 0"
code=$(curl -s -o "$WORK/cp.err" -w '%{http_code}' "http://127.0.0.1:$PORT/checkpoint")
check "an edited tree gets no checkpoint (500)" test "$code" = 500
check "saying why" grep -q "refusing to sign or serve it" "$WORK/cp.err"
kill "$SPID"
wait "$SPID" 2>/dev/null
sqlite3 "$DB" "UPDATE log_nodes SET hash = X'$was' WHERE level = $top AND idx = 0"
expect_exit 0 "with the edit undone the log verifies again" cw log verify

# a store older than the log: the log is made from its records at the
# migration, and the first checkpoint names the back-filled range
cp "$DB" "$WORK/old.db"
sqlite3 "$WORK/old.db" "DROP TABLE log_leaves; DROP TABLE log_nodes; DROP TABLE log_checkpoints; DROP TABLE log_meta; PRAGMA user_version = 5"
expect_exit 0 "an older store opens and gets its log" "$CLAUSEWATCH" --db "$WORK/old.db" log verify
check "with a leaf for each record" test "$(sqlite3 "$WORK/old.db" "SELECT count(*) FROM log_leaves")" -eq "$leaves"
expect_exit 0 "its first checkpoint" "$CLAUSEWATCH" --db "$WORK/old.db" log checkpoint
check "names the back-filled range" grep -qx "clausewatch backfilled 0-$((leaves - 1))" "$WORK/out"

echo "# $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
