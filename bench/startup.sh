#!/bin/sh
# Start-up: how long a command takes before it does anything, against
# git's. Each program runs N times in a row (default 300) and the mean
# wall time of one run is printed: `clausewatch --version`, `clausewatch
# list` on an empty store (a store opened), and `clausewatch-full
# --version`, the program that carries every library, as it was before
# the split (src/cli/cli.h, "The two programs"), each against
# `git --version`.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_tmp startup
FULL=$(dirname "$CW")/clausewatch-full
bench_need "$CW"
bench_need "$FULL"
N=${STARTUP_RUNS:-300}

"$CW" --db "$TMP/empty.db" --quiet init --origin bench.example/startup >/dev/null 2>&1
bench_mean_ms 20 git --version >/dev/null # warm the caches
git=$(bench_mean_ms "$N" git --version)
light=$(bench_mean_ms "$N" "$CW" --version)
list=$(bench_mean_ms "$N" "$CW" --db "$TMP/empty.db" list)
full=$(bench_mean_ms "$N" "$FULL" --version)
libs() { ldd "$1" 2>/dev/null | grep -c '=>'; }
echo "git --version: $git ms"
echo "clausewatch --version: $light ms ($(libs "$CW") libraries); clausewatch list (empty store): $list ms"
echo "clausewatch-full --version: $full ms ($(libs "$FULL") libraries)"
awk -v g="$git" -v l="$light" -v s="$list" -v f="$full" 'BEGIN {
	printf "ratio: clausewatch starts in %.1fx git'"'"'s time (list: %.1fx); the full program in %.1fx\n", l / g, s / g, f / g }'
