#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test.
# As root, the live-capture tests also run (on the loopback interface).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
swift build --build-tests
swift test --skip-build
