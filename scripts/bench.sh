#!/usr/bin/env bash
# Measures ramsync against the bounds the SCIM API allows and prints a
# results table (scripts/bench), after the Go micro-benchmarks of the
# planner and the SCIM client; then the Feishu/Lark and DingTalk paths
# against their rate limits and push deadlines (scripts/bench/vendors).
# Several minutes; not part of CI.
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
echo "== go test -bench (planner, mapping, SCIM decoding): median of 5 runs each"
# A benchmark that fails or does not build fails the script: its figures
# would be missing, not fine.
benchlog=$(mktemp)
trap 'rm -f "$benchlog"' EXIT
if ! go test -run '^$' -bench . -benchmem -count 5 ./pkg/provision/ ./pkg/scim/ >"$benchlog" 2>&1; then
  cat "$benchlog"
  echo "bench: the Go micro-benchmarks failed (above)" >&2
  exit 1
fi
# The median of the 5 runs of each benchmark, per column (ns/op, B/op,
# allocs/op and custom metrics), computed here rather than eyeballed.
awk '
/^Benchmark/ {
	name = $1; runs[name]++; if (!(name in seen)) { seen[name] = 1; order[++n] = name }
	for (i = 3; i + 1 <= NF; i += 2) { unit[name, i] = $(i + 1); v[name, i, runs[name]] = $i; cols[name] = i }
}
function med(name, i,   k, j, t, m, a) {
	m = runs[name]
	for (k = 1; k <= m; k++) a[k] = v[name, i, k] + 0
	for (k = 2; k <= m; k++) { t = a[k]; for (j = k - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
	if (n == 0) { print "bench: no benchmark results" > "/dev/stderr"; exit 1 }
	for (k = 1; k <= n; k++) {
		name = order[k]; line = sprintf("%-52s median of %d:", name, runs[name])
		for (i = 3; i <= cols[name]; i += 2) line = line sprintf("  %g %s", med(name, i), unit[name, i])
		print line
	}
}' "$benchlog"

echo
echo "== scenarios (scripts/bench)"
# Exits non-zero when a figure could not be measured (RSS unreadable, a
# metric missing): such a figure is a failure, never "ok".
go run ./scripts/bench "$@"

echo
echo "== vendors: Feishu/Lark and DingTalk pulls and pushes (scripts/bench/vendors)"
# Each figure with its bound from the same run: pull calls and wall time
# against the vendor's rate limit, push answer times against the vendor's
# deadline and the round trips the push needs. -quick is passed on.
vendor_flags=()
for a in "$@"; do
  if [ "$a" = -quick ]; then vendor_flags+=(-quick); fi
done
go run ./scripts/bench/vendors "${vendor_flags[@]+"${vendor_flags[@]}"}"
