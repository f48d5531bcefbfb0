#!/usr/bin/env bash
# Measures freshtoken against golang-jwt/jwt/v5, kataras/jwt, go-jose/v4,
# jwx v3 and v2 and the bare signature primitives, and writes RESULTS.md,
# ratios.png and raw-results.txt here.
#
#   ./run.sh                          # 7 rounds of 150ms per case: about 5 minutes on 2 cores
#   ROUNDS=10 BENCHTIME=500ms ./run.sh
#
# BenchmarkParallelVerify runs with -cpu 1,2 (and every core, where there
# are more than two), for the two-core scaling targets.
#
# Each round runs every case once, so a noisy neighbour slows a whole round
# rather than one library; the report takes the median of the rounds.
set -euo pipefail
cd "$(dirname "$0")"

ROUNDS=${ROUNDS:-7}
BENCHTIME=${BENCHTIME:-150ms}
CPUS=$(getconf _NPROCESSORS_ONLN)

if ! command -v go >/dev/null; then
  echo "run.sh needs the Go toolchain (https://go.dev/dl/)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "--- checking that every case accepts the token it is timed on"
go test -count=1 .
go test -c -o "$work/bench.test" .

raw=raw-results.txt
: >"$raw"
for round in $(seq "$ROUNDS"); do
  echo "--- round $round of $ROUNDS"
  "$work/bench.test" -test.run '^$' -test.bench '^Benchmark(Verify|Issue|Refresh|Store)$' \
    -test.benchmem -test.benchtime "$BENCHTIME" | tee -a "$raw"
  cpus=1,2
  [ "$CPUS" -gt 2 ] && cpus="1,2,$CPUS"
  "$work/bench.test" -test.run '^$' -test.bench '^BenchmarkParallelVerify$' \
    -test.benchmem -test.benchtime "$BENCHTIME" -test.cpu "$cpus" | tee -a "$raw"
done

# Which freshtoken was measured: CORE says so when the module is pointed
# elsewhere (GOFLAGS=-modfile=...); otherwise the commit of the directory
# above, and whether it had changes outside bench/.
core=${CORE:-}
if [ -z "$core" ]; then
  core=$(git -C .. log -1 --format=%h 2>/dev/null || echo unknown)
  if [ -n "$(git -C .. --no-optional-locks status --porcelain -- . ':(exclude)bench' 2>/dev/null)" ]; then
    core="$core, with uncommitted changes outside bench/"
  fi
fi

go run ./cmd/report -o RESULTS.md -chart ratios.png -go "$(go env GOVERSION)" -core "$core" "$raw"
echo "--- wrote $(pwd)/RESULTS.md and ratios.png"
