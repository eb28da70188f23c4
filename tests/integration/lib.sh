# Shared helpers of the integration tests (sourced).
set -u
: "${CLAUSEWATCH:?the built clausewatch (set by meson)}"
SHARED=${CW_SHARED:-$CW_SOURCE_ROOT/../shared}
TESTS=${CW_TESTS:-$CW_SOURCE_ROOT/tests}
WORK=$(mktemp -d /tmp/cw-it-XXXXXX)
DB=$WORK/store.db
trap 'rm -rf "$WORK"' EXIT
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

json_field() { # json_field FILE KEY -> first numeric value of "KEY":
	sed -n "s/.*\"$2\":\([0-9-]*\).*/\1/p" "$1" | head -1
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
