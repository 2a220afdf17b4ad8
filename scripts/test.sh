#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test.
# As root, the live-capture tests also run (on the loopback interface).
set -euo pipefail
cd "$(dirname "$0")/.."
# chromium and poppler-utils: the HTML report is checked in a real browser (not needed to build or run).
bash scripts/deps.sh chromium poppler-utils
swift build --build-tests
swift test --skip-build
