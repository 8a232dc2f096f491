#!/usr/bin/env bash
# Measures ramsync against the bounds the SCIM API allows and prints a
# results table (scripts/bench), after the Go micro-benchmarks of the
# planner and the SCIM client. Several minutes; not part of CI.
#
#   scripts/bench.sh            # full sizes (1k, 10k, 100k users; 10k creates)
#   scripts/bench.sh -quick     # smaller sizes
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== machine"
echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version)"
grep -m1 'model name' /proc/cpuinfo || true

echo
echo "== zips (scripts/build.sh)"
bash scripts/build.sh

echo
echo "== go test -bench (planner, mapping, SCIM decoding)"
go test -run '^$' -bench . -benchmem -count 5 ./pkg/provision/ ./pkg/scim/ | grep -E '^(Benchmark|ok|PASS)' || true

echo
echo "== scenarios (scripts/bench)"
go run ./scripts/bench "$@"
