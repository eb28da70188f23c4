# Shared helpers of the integration tests (sourced).
set -u
: "${CLAUSEWATCH:?the built clausewatch (set by meson)}"
SHARED=${CW_SHARED:-$CW_SOURCE_ROOT/../shared}
TESTS=${CW_TESTS:-$CW_SOURCE_ROOT/tests}
WORK=$(mktemp -d /tmp/cw-it-XXXXXX)
DB=$WORK/store.db
# the test tools (tests/tools), built next to $CLAUSEWATCH
BUILD=$(cd "$(dirname "$CLAUSEWATCH")/../.." && pwd)
FIX=$BUILD/tests/fixture_server
HOOK=$BUILD/tests/webhook_receiver
SINK=$BUILD/tests/smtp_sink

# On exit: stop the tools that start() ran, remove the work folder.
cleanup() {
	# start() runs in a command substitution (a subshell): the tools'
	# ids come back through files, not variables
	for f in "$WORK"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
PASS=0
FAIL=0

cw() { "$CLAUSEWATCH" --db "$DB" "$@"; }

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1"; }

# check DESCRIPTION COMMAND...: passes when the command succeeds
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# expect_exit CODE DESCRIPTION COMMAND...
expect_exit() {
	local want=$1 d=$2 got
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$d"; else
		not_ok "$d (exit $got, expected $want)"
		sed 's/^/  | /' "$WORK/err" | head -5
	fi
}

need_shared() {
	if [ ! -d "$SHARED/corpus" ]; then
		echo "skipped: $SHARED/corpus not found (real documents are needed)"
		exit 77
	fi
}

# corpus_subset SERVICE...: $WORK/subset holds links to those services'
# histories in the corpus (those it has); skips the test when none is
src="$SHARED/corpus/versions"
corpus_subset() {
	mkdir -p "$WORK/subset"
	for d in "$@"; do
		[ -d "$src/$d" ] && ln -s "$src/$d" "$WORK/subset/$d"
	done
	if [ -z "$(ls "$WORK/subset")" ]; then
		echo "skipped: none of the histories $* is in $src"
		exit 77
	fi
}

# need_tools PATH...: skips the test unless every tool is built
need_tools() {
	for t in "$@"; do
		if [ ! -x "$t" ]; then
			echo "skipped: test tool $t not built"
			exit 77
		fi
	done
}

# need_file PATH WHAT: skips the test unless the file exists
need_file() {
	if [ ! -f "$1" ]; then
		echo "skipped: $1 not found ($2 is needed)"
		exit 77
	fi
}

# start NAME CMD...: runs a tool in the background (stopped on exit),
# waits for the port it prints on stdout and prints it
start() {
	local name=$1
	shift
	"$@" >"$WORK/$name.port" 2>"$WORK/$name.err" &
	echo $! >"$WORK/$name.pid"
	for _ in $(seq 1 50); do
		[ -s "$WORK/$name.port" ] && break
		sleep 0.1
	done
	head -1 "$WORK/$name.port"
}

# start_tools: the fixture server on $WORK/site, the webhook receiver on
# $WORK/hook (secret $SECRET) and the SMTP sink on $WORK/mail, their
# ports in FPORT, HPORT and SPORT
start_tools() {
	mkdir -p "$WORK/site" "$WORK/hook" "$WORK/mail"
	SECRET=test-secret-$$
	FPORT=$(start fixture "$FIX" --dir "$WORK/site")
	HPORT=$(start hook "$HOOK" --dir "$WORK/hook" --secret "$SECRET")
	SPORT=$(start sink "$SINK" --dir "$WORK/mail")
}

json_field() { # json_field FILE KEY -> first numeric value of "KEY":
	sed -n "s/.*\"$2\":\([0-9-]*\).*/\1/p" "$1" | head -1
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
