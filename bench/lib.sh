# Sourced by the bench scripts after they `cd` to the top of the tree:
# where the corpus and the binary are, a temporary folder that goes away
# on exit, and the check that ends a bench with nothing to measure.
# CW_SHARED and CLAUSEWATCH override the defaults.
SHARED=${CW_SHARED:-../shared}
CW=${CLAUSEWATCH:-build-release/src/cli/clausewatch}

# bench_tmp NAME: a fresh folder in $TMP, removed when the script exits
bench_tmp() {
	TMP=$(mktemp -d "/tmp/cw-bench-$1-XXXXXX")
	trap 'rm -rf "$TMP"' EXIT
}

# bench_need PATH: stop (status 1) when the file or folder PATH is missing
bench_need() {
	if [ ! -e "$1" ]; then
		echo "bench: $1 not found; nothing to measure" >&2
		exit 1
	fi
}

# now: wall-clock seconds, with nanoseconds
now() { date +%s.%N; }
