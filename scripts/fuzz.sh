#!/usr/bin/env bash
# Runs every fuzz target of every module for TIME each, one after another.
#
#   scripts/fuzz.sh 5m            # every target, 5 minutes each
#   scripts/fuzz.sh 30s etag      # only the targets of packages under ./etag
#
# TIME is what go test -fuzztime takes (30s, 5m, 10000x). An input that
# makes a target fail is kept by go test under the package's
# testdata/fuzz/FuzzXxx/, where every later `go test` runs it as a
# regression case: commit it with the fix. The new interesting inputs a
# run found (those that widened coverage, which go test keeps in
# $(go env GOCACHE)/fuzz) are copied there too, so that committing
# testdata/fuzz makes every later `go test` replay them; an entry already
# there is never overwritten.
#
# The script stops at the first target that fails and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
  echo "usage: scripts/fuzz.sh TIME [PACKAGE-PATH-PREFIX]" >&2
  exit 2
fi
fuzztime=$1
only=${2:-}
modules=(. ./examples ./otel ./redisstore ./sqlstore ./bench)

total=0
for m in "${modules[@]}"; do
  # Each package directory with a func FuzzXxx in a _test.go file.
  while IFS= read -r dir; do
    rel=${dir#./}
    [ -n "$only" ] && [[ "$m/$rel" != *"$only"* ]] && continue
    for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$m/$rel"/*_test.go | sed 's/^func //' | sort -u); do
      echo "fuzz.sh: ${m%/.}/${rel#.} $target for $fuzztime"
      (cd "$m" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "./$rel")
      pkg=$(cd "$m" && go list "./$rel")
      cache="$(go env GOCACHE)/fuzz/$pkg/$target"
      if [ -d "$cache" ]; then
        keep="$m/$rel/testdata/fuzz/$target"
        mkdir -p "$keep"
        before=$(find "$keep" -type f | wc -l)
        cp -n "$cache"/* "$keep"/ 2>/dev/null || true
        echo "fuzz.sh: $target: $(( $(find "$keep" -type f | wc -l) - before )) new corpus entries kept in ${keep#./}"
      fi
      total=$((total + 1))
    done
  done < <(cd "$m" && grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u |
    while IFS= read -r d; do
      # Leave packages of nested modules to their own module.
      inner=$d
      while [ "$inner" != "." ]; do [ -f "$inner/go.mod" ] && break; inner=$(dirname "$inner"); done
      [ "$inner" = "." ] && echo "$d"
    done)
done
echo "fuzz.sh: $total targets ran for $fuzztime each, no failures"
