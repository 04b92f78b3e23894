#!/usr/bin/env bash
# run.sh reruns every benchmark of bench/ and regenerates BENCHMARKS.md
# from bench/BENCHMARKS.tmpl.md. The raw output is kept in
# bench/results.txt.
#
#	BENCH  benchmarks to run, a go test -bench pattern (default: all)
#	COUNT  runs of each benchmark; the report uses the median (default: 3)
#	BENCHTIME  go test -benchtime for each run, such as 200ms or 20000x
#	       (default: go test's 1s)
#
# Benchmarks that need Redis skip without it; set RESTWELL_REQUIRE_REDIS=1
# to make them fail instead.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bench=${BENCH:-.}
count=${COUNT:-3}
benchtime=${BENCHTIME:-1s}

# The machine's load, before and after, says how far to trust the run.
loadavg() { [ -r /proc/loadavg ] && echo "load average $1: $(cut -d' ' -f1-3 /proc/loadavg)" >&2 || true; }
loadavg "at start"
echo "+ go test -run '^\$' -bench $(printf %q "$bench") -benchmem -count $(printf %q "$count") -benchtime $(printf %q "$benchtime") -timeout 60m ./bench/ | tee bench/results.txt" >&2
go test -run '^$' -bench "$bench" -benchmem -count "$count" -benchtime "$benchtime" -timeout 60m ./bench/ | tee bench/results.txt
loadavg "at end"

# Write to a temporary file first so that a failure leaves the old
# BENCHMARKS.md in place rather than half a new one.
tmp=$(mktemp BENCHMARKS.md.XXXXXX)
trap 'rm -f "$tmp"' EXIT
echo "+ go run ./bench/report -template bench/BENCHMARKS.tmpl.md bench/results.txt > BENCHMARKS.md" >&2
go run ./bench/report -template bench/BENCHMARKS.tmpl.md bench/results.txt >"$tmp"
chmod 644 "$tmp"
mv "$tmp" BENCHMARKS.md
echo "wrote BENCHMARKS.md" >&2
