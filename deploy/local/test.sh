#!/usr/bin/env bash
# test.sh: the README's test command. On a fresh Debian 12 machine, as root,
# installs what the build needs, then builds everything with AddressSanitizer
# and UndefinedBehaviorSanitizer and runs every test (deploy/local/run-tests.sh):
# lint, unit, integration against real processes and PostgreSQL, and a short
# fuzz run. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
deploy/local/install-deps.sh
make test
