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


# bench_build_at COMMIT DIR: the release build of COMMIT in DIR (once:
# kept for later runs), from a copy of its tree in DIR/src, so that the
# build can read its own data/ (CW_DATA_DIR=DIR/src/data). Prints the
# path of its clausewatch.
bench_build_at() {
	if [ ! -x "$2/build/src/cli/clausewatch" ]; then
		echo "building clausewatch at $1 into $2" >&2
		rm -rf "$2" && mkdir -p "$2/src" &&
			git archive "$1" | tar -x -C "$2/src" &&
			meson setup "$2/build" "$2/src" --buildtype=release >/dev/null &&
			ninja -C "$2/build" src/cli/clausewatch >/dev/null ||
			{ echo "bench: could not build $1" >&2; return 1; }
	fi
	echo "$2/build/src/cli/clausewatch"
}

# bench_pairs VERSIONS OUT: OLD<TAB>NEW lines, the consecutive version
# files of every document of VERSIONS (ls order per service/type)
bench_pairs() {
	for svc in "$1"/*/; do
		for doc in "$svc"*/; do
			prev=""
			for f in "$doc"*; do
				[ -f "$f" ] || continue
				[ -n "$prev" ] && printf '%s\t%s\n' "$prev" "$f"
				prev=$f
			done
		done
	done >"$2"
}

# bench_mean_ms N CMD...: the mean wall milliseconds of one run of CMD,
# run N times in a row
bench_mean_ms() {
	_n=$1
	shift
	_t0=$(now)
	_i=0
	while [ $_i -lt "$_n" ]; do
		"$@" >/dev/null 2>&1
		_i=$((_i + 1))
	done
	awk -v a="$_t0" -v b="$(now)" -v n="$_n" 'BEGIN { printf "%.2f", (b - a) * 1000 / n }'
}

# bench_git_diff_script FILE: a script that runs git's word diff once per
# line of the pair list given as its argument (git exits 1 on a
# difference; the script exits 0), for /usr/bin/time to measure
bench_git_diff_script() {
	cat >"$1" <<'EOS'
while IFS="	" read -r a b; do
	git diff --no-index --no-color --word-diff=porcelain -- "$a" "$b" >/dev/null
done <"$1"
exit 0
EOS
}
