#!/usr/bin/env bash
# Builds ramsync's Function Compute code packages (runtime go1, handler main):
# for each function a static linux/amd64 binary dist/<fn>/main (s.yaml's
# `code: ./dist/<fn>`) and a zip dist/<fn>.zip holding it as an executable
# `main` at the top.
#
#   scripts/build.sh                 # webhook, reconciler and offboarding
#   scripts/build.sh webhook ...     # only these
#
# Reproducible: the same sources and Go toolchain give byte-identical
# binaries (-trimpath, empty build id, no VCS stamp) and zips (fixed entry
# times and order, written by scripts/deploy/zipper; no zip tool needed).
# Prints each zip's size and fails when one is over 10 MB (MB = 2^20 bytes).
# Needs only bash and Go; works from any directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

all=(webhook reconciler offboarding)
max_bytes=$((10 * 1024 * 1024))

if [ "$#" -gt 0 ]; then
  fns=("$@")
else
  fns=("${all[@]}")
fi
for fn in "${fns[@]}"; do
  case " ${all[*]} " in
    *" $fn "*) ;;
    *) echo "build.sh: unknown function \"$fn\" (want: ${all[*]})" >&2; exit 2 ;;
  esac
done

mkdir -p dist
too_big=0
for fn in "${fns[@]}"; do
  rm -rf "dist/$fn" "dist/$fn.zip"
  mkdir -p "dist/$fn"
  CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags="-s -w -buildid=" -buildvcs=false \
    -o "dist/$fn/main" "./functions/$fn"
  chmod 0755 "dist/$fn/main"
  # The zipper runs on this machine: GOOS/GOARCH above were for the binary only.
  go run ./scripts/deploy/zipper "dist/$fn.zip" "dist/$fn"
  bytes=$(wc -c < "dist/$fn.zip" | tr -d ' ')
  mb=$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }')
  printf '%-24s %10d bytes  %6s MB\n' "dist/$fn.zip" "$bytes" "$mb"
  if [ "$bytes" -gt "$max_bytes" ]; then
    echo "build.sh: dist/$fn.zip is $mb MB, over the 10 MB limit" >&2
    too_big=1
  fi
done
exit "$too_big"
