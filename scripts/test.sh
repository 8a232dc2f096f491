#!/usr/bin/env bash
# Runs every check ramsync's CI runs: formatting, go vet, staticcheck, the
# tests (unit, integration against the cloud test double, and end to end
# through the real function binaries) with the race detector, and each
# fuzz target briefly.
#
#   scripts/test.sh            # everything (what .ci/run runs)
#   FUZZTIME=30s scripts/test.sh
#
# Needs Go 1.26 and the Go module proxy; gcc for -race (cgo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fuzztime=${FUZZTIME:-3s}
step() { printf '\n== %s\n' "$*"; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './dist/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

step "go test -race"
go test -race -count=1 -timeout 15m ./...

step "fuzz ($fuzztime each)"
for target in $(grep -rho 'func Fuzz[A-Za-z0-9_]*' --include='*_test.go' pkg functions | sed 's/func //' | sort -u); do
  pkg=$(grep -rl "func $target(" --include='*_test.go' pkg functions | head -1 | xargs dirname)
  echo "$target ($pkg)"
  go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=2s "./$pkg" > /tmp/ramsync-fuzz.log 2>&1 ||
    { cat /tmp/ramsync-fuzz.log; exit 1; }
done

step "all checks passed"
