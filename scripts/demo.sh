#!/usr/bin/env bash
# Runs ramsync whole on this machine: builds the three real function
# binaries, starts the cloud test double (OAuth, SCIM, KMS, RAM OpenAPI)
# and a local Function Compute runtime, and plays a short story through
# them. Needs only Go 1.26 and the Go module proxy.
#
#   scripts/demo.sh            # the story, then exit
#   scripts/demo.sh -serve     # then keep serving, to call the webhook with curl
#   scripts/demo.sh -v         # also print every line the functions log
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec go run ./scripts/demo "$@"
