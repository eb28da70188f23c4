#!/usr/bin/env bash
# The two programs (src/cli/cli.h, "The two programs"): clausewatch loads
# none of the libraries of fetching, serving, PDFs and tar files, lists
# every command, and runs clausewatch-full in its place for the commands
# it leaves out, with the same arguments, output and exit code; without
# clausewatch-full it says so and where it looked.
. "$(dirname "$0")/lib.sh"
FULL=$(dirname "$CLAUSEWATCH")/clausewatch-full
need_file "$FULL" "the full program"

if command -v readelf >/dev/null 2>&1; then
	readelf -d "$CLAUSEWATCH" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' >"$WORK/needed"
	readelf -d "$FULL" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' >"$WORK/needed-full"
	for lib in libcurl libmicrohttpd libpoppler libarchive libglib; do
		check "clausewatch does not load $lib" test -z "$(grep "^$lib" "$WORK/needed")"
		check "... clausewatch-full does" grep -q "^$lib" "$WORK/needed-full"
	done
	echo "  ($(grep -c . "$WORK/needed") libraries needed directly, against $(grep -c . "$WORK/needed-full"))"
else
	echo "  (no readelf: the libraries are not checked)"
fi

"$CLAUSEWATCH" --help >"$WORK/help"
"$FULL" --help >"$WORK/help-full"
check "both list the same commands" cmp -s "$WORK/help" "$WORK/help-full"
check "... the ones of the full program among them" grep -q "^  serve " "$WORK/help"

expect_exit 0 "init" cw init --origin test.example/startup
# a command of the full program, through clausewatch: same output
printf '<html><body><h1>Terms</h1><p>You must be 18.</p></body></html>\n' >"$WORK/t.html"
cw ingest "Start/Terms of Service" "$WORK/t.html" >"$WORK/ingest.out" 2>&1
check "ingest runs through clausewatch" grep -q "Start/Terms of Service: new" "$WORK/ingest.out"
check "... and what it recorded is there" cw history "Start/Terms of Service"
"$CLAUSEWATCH" extract "$WORK/t.html" >"$WORK/x1"
"$FULL" extract "$WORK/t.html" >"$WORK/x2"
check "extract prints the same through either program" cmp -s "$WORK/x1" "$WORK/x2"
expect_exit 3 "an exit code of the full program comes through" cw fetch "Nobody/Terms"
expect_exit 2 "so does a usage error" cw monitor --no-such-flag
cw --json verify-bundle "$WORK/none.tar" >"$WORK/vb.json" 2>&1
check "global options come through (--json)" grep -q '"error"' "$WORK/vb.json"

# clausewatch alone, without the full program beside it or installed
mkdir -p "$WORK/alone"
cp "$CLAUSEWATCH" "$WORK/alone/clausewatch"
expect_exit 0 "alone, its own commands run" "$WORK/alone/clausewatch" --db "$DB" history "Start/Terms of Service"
"$WORK/alone/clausewatch" --db "$DB" fetch >"$WORK/alone.out" 2>"$WORK/alone.err"
rc=$?
check "alone, a full-program command fails (exit $rc)" test "$rc" -eq 1
check "... naming the program it needs and where" grep -q "cannot run '.*clausewatch-full' (the full program" "$WORK/alone.err"
"$WORK/alone/clausewatch" --db "$DB" --json fetch >/dev/null 2>"$WORK/alone.json"
check "... as a JSON error under --json" grep -q '^{"error":"cannot run .*clausewatch-full.*","code":1}$' "$WORK/alone.json"
finish
