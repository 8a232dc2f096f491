#!/usr/bin/env bash
# Runs every check ramsync's CI runs: formatting, go vet, staticcheck, the
# tests (unit, integration against the cloud test double, and end to end
# through the real function binaries) with the race detector, and each
# fuzz target briefly.
#
#   scripts/test.sh            # everything (what .ci/run runs)
#   FUZZTIME=100000x scripts/test.sh   # more executions per fuzz target
#
# Needs Go 1.26 and the Go module proxy; gcc for -race (cgo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Fuzz budgets are execution counts, not durations: with a duration, Go
# 1.26's fuzz coordinator can report its own -fuzztime deadline as a failure
# ("context deadline exceeded", no crasher written; go.dev/issue/75804, fixed
# in Go 1.27). A count never arms that deadline.
fuzztime=${FUZZTIME:-10000x}
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
# -json, so that skipped tests (those that need ../shared, the project's
# shared folder beside the repository, skip with a message saying so) can
# be listed below; the normal output is printed as the tests run.
testlog=$(mktemp)
trap 'rm -f "$testlog"' EXIT
teststatus=0
go test -race -count=1 -timeout 15m -json ./... >"$testlog" || teststatus=$?
# Print what go test would have printed without -json: build errors, the
# output of each failed test (its subtests included), each package's
# result line.
awk '
function field(name,   v) { v = $0; if (v !~ "\"" name "\":\"") return ""; sub(".*\"" name "\":\"", "", v); sub(/".*/, "", v); return v }
function output(   v) { v = $0; sub(/.*"Output":"/, "", v); sub(/"}$/, "", v)
	gsub(/\\t/, "\t", v); gsub(/\\n/, "", v); gsub(/\\"/, "\"", v); gsub(/\\u003c/, "<", v); gsub(/\\u003e/, ">", v); gsub(/\\u0026/, "\\&", v); gsub(/\\\\/, "\\", v); return v }
/"Action":"build-output"/ { print output(); next }
/"Action":"output"/ {
	pkg = field("Package"); t = field("Test"); out = output()
	if (t == "") { if (out !~ /^(PASS|=== |coverage:)/) print out; next }
	top = t; sub(/\/.*/, "", top)
	buf[pkg, top] = buf[pkg, top] out "\n"
	next
}
/"Action":"fail"/ { t = field("Test"); if (t != "" && t !~ /\//) printf "%s", buf[field("Package"), t] }
' "$testlog"
# Skipped tests, with their reasons: a skip must never pass for a pass.
skips=$(awk '
function field(name,   v) { v = $0; if (v !~ "\"" name "\":\"") return ""; sub(".*\"" name "\":\"", "", v); sub(/".*/, "", v); return v }
/"Action":"output"/ && /"Test":"/ {
	out = $0; sub(/.*"Output":"/, "", out); sub(/"}$/, "", out); gsub(/\\n/, "", out); gsub(/\\t/, " ", out); gsub(/\\"/, "\"", out)
	if (out ~ /^ +[A-Za-z0-9_]+\.go:[0-9]+:/) last[field("Package"), field("Test")] = out
}
/"Action":"skip"/ && /"Test":"/ {
	p = field("Package"); t = field("Test"); r = last[p, t]; sub(/^ +/, "", r)
	sub(/^github.com\/ramsync\/ramsync\//, "", p)
	printf "  %s %s: %s\n", p, t, r
}' "$testlog")
if [ -n "$skips" ]; then
  echo
  echo "skipped ($(printf '%s\n' "$skips" | wc -l)):"
  printf '%s\n' "$skips"
else
  echo
  echo "skipped: none"
fi
if [ "$teststatus" -ne 0 ]; then
  echo "go test failed (exit $teststatus)"; exit "$teststatus"
fi

step "fuzz ($fuzztime each)"
for target in $(grep -rho 'func Fuzz[A-Za-z0-9_]*' --include='*_test.go' pkg functions | sed 's/func //' | sort -u); do
  pkg=$(grep -rl "func $target(" --include='*_test.go' pkg functions | head -1 | xargs dirname)
  echo "$target ($pkg)"
  go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=2s "./$pkg" > /tmp/ramsync-fuzz.log 2>&1 ||
    { cat /tmp/ramsync-fuzz.log; exit 1; }
done

step "all checks passed"
