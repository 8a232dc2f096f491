#!/usr/bin/env bash
# Renders a reconciler report (the JSON the reconciler returns and logs)
# for people: a summary table in the terminal and, with --html, a
# self-contained HTML page for an auditor (counts, a bar of outcomes, the
# changes with their diffs, the refusals with their reasons).
#
#   scripts/report.sh report.json
#   scripts/report.sh report.json --html report.html
#   scripts/report.sh - < report.json                 # standard input
#
# FILE may also be a Log Service line whose "report" field holds the report.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Resolve a relative output path against the caller's directory, not the
# repository's, since go run runs from the repository.
args=()
for a in "$@"; do
  case "$a" in
    --html=/*|-html=/*) args+=("$a") ;;
    --html=*|-html=*) args+=("${a%%=*}=$PWD/${a#*=}") ;;
    -|--html|-html|-*) args+=("$a") ;;
    /*) args+=("$a") ;;
    *) args+=("$PWD/$a") ;;
  esac
done
cd "$root"
exec go run ./scripts/report "${args[@]}"
