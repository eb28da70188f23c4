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

# bench_git_history DIR: a git repository in DIR with one commit per corpus
# version, in date order across the corpus (a document is SERVICE/TYPE.md),
# then gc --aggressive: the history as git would keep it
bench_git_history() {
	local shared
	shared=$(cd "$SHARED" && pwd) # the loop runs inside DIR
	mkdir -p "$1" && (
		cd "$1" && git init -q && git config user.email bench@localhost &&
			git config user.name bench
		find "$shared/corpus/versions" -type f -name '*.md' | awk -F/ '{ print $NF "\t" $0 }' |
			sort | cut -f2 | while IFS= read -r f; do
				rel=${f#"$shared/corpus/versions/"}
				doc=$(dirname "$rel")
				mkdir -p "$(dirname "$doc")"
				cp "$f" "$doc.md"
				git add -A . >/dev/null 2>&1
				git commit -qm "$rel" >/dev/null 2>&1 || true
			done
		git gc -q --aggressive >/dev/null 2>&1
	)
}

