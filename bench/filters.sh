#!/bin/sh
# Open Terms Archive's JavaScript filters, clausewatch against the engine:
# for every .filters.js of the contrib collection, pages made to exercise
# it (bench/ota_filters.mjs: the filter code's selectors and strings as
# elements, links with tracking parameters, redirects, anchors, images)
# are extracted by Open Terms Archive's engine with its own loading of the
# declaration and filters, and by `clausewatch extract` with the same
# declaration; the Markdown is compared. Two extractions that fail in the
# same filter count as the same. Also: the unapplied-filter warnings of
# `declare` on the whole collection.
#
# Env: CLAUSEWATCH, CW_SHARED; needs node, jsdom (install-deps --filters)
# and the engine (bench/node_modules, `make bench` installs it).
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_tmp filters
COLL_DECL="$SHARED/ota/contrib-declarations"
ENGINE=bench/node_modules/@opentermsarchive/engine

echo "== JavaScript filters: clausewatch against Open Terms Archive's engine"
bench_need "$COLL_DECL"
COLL_DECL=$(cd "$COLL_DECL" && pwd)
if ! "$CW" --db "$TMP/w.db" declare "$COLL_DECL" >"$TMP/declare.out" 2>&1; then
	echo "bench: declare on the contrib collection failed: $(tail -1 "$TMP/declare.out")"
	exit 1
fi
warnings=$(grep -c "JavaScript filter" "$TMP/declare.out")
echo "declare on the contrib collection: $warnings unapplied-filter warnings ($(tail -1 "$TMP/declare.out"))"
if [ ! -d "$ENGINE" ] || ! command -v node >/dev/null 2>&1; then
	echo "Open Terms Archive engine or node not available: not compared"
	exit 0
fi
# the engine reads a collection folder that holds declarations/
mkdir -p "$TMP/coll" && ln -s "$COLL_DECL" "$TMP/coll/declarations"
NODE_CONFIG_DIR="$ENGINE/config" SUPPRESS_NO_CONFIG_WARNING=1 \
NODE_CONFIG="{\"@opentermsarchive/engine\":{\"collectionPath\":\"$TMP/coll\"}}" \
	node bench/ota_filters.mjs "$TMP/coll" "$TMP/out" >"$TMP/ota.json" || {
	echo "bench: the engine's extraction failed"
	exit 1
}
same=0 differ=0 effect=0 docs=0 failing=0
: >"$TMP/files-same"
: >"$TMP/files-differ"
for rec in "$TMP"/out/*.json; do
	docs=$((docs + 1))
	python3 - "$rec" "$CW" "$COLL_DECL" "$TMP/out" <<'PY' >"$TMP/verdict" 2>&1
import json, re, subprocess, sys
rec = json.load(open(sys.argv[1]))
cw, decls, out = sys.argv[2:5]
pages = [f"{out}/{p}" for p in rec["pages"]]
r = subprocess.run([cw, "extract", "--declaration", f"{decls}/{rec['service']}.json",
                    "--type", rec["type"], *pages], capture_output=True, text=True)
ours = r.stdout.rstrip("\n") if r.returncode == 0 else None
if "error" in rec:
    m = re.search(r'filter function "([^"]+)" failed', rec["error"])
    theirs_f = m.group(1) if m else None
    m = re.search(r"filter '([^']+)' failed", r.stderr)
    ours_f = m.group(1) if m else None
    ok = ours is None and theirs_f is not None and theirs_f == ours_f
    ok = ok or (ours is None and theirs_f is None and ours_f is None)
    print("same-failure" if ok else "differ", rec["service"], rec["type"], "|", rec["error"][:160], "|", r.stderr.strip()[:160])
else:
    ok = ours == rec["ota"]
    print(("same" if ok else "differ") + ("+effect" if rec["ota"] != rec["ota_raw"] else ""),
          rec["service"], rec["type"], "" if ok else "| " + r.stderr.strip()[:160])
PY
	v=$(cat "$TMP/verdict")
	file=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["file"])' "$rec")
	case "$v" in
	same*) echo "$file" >>"$TMP/files-same" ;;
	*) echo "$file" >>"$TMP/files-differ" ;;
	esac
	case "$v" in same-failure*) failing=$((failing + 1)) ;; esac
	case "$v" in
	same*) same=$((same + 1)) ;;
	*)
		differ=$((differ + 1))
		echo "  $v"
		;;
	esac
	case "$v" in *+effect*) effect=$((effect + 1)) ;; esac
done
nfiles=$(sort -u "$TMP/files-same" "$TMP/files-differ" | wc -l)
bad=$(sort -u "$TMP/files-differ" | wc -l)
echo "filters: $((nfiles - bad)) of $nfiles filter files give identical output ($docs documents: $same the same, $failing of them the same filter failing on the made page; $differ different; the filters changed the text of $effect)"
