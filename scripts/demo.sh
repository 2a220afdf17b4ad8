#!/usr/bin/env bash
# The main job on the sample captures: installs what is missing, builds a
# release binary and audits every capture in Captures/ (text summary; add
# `--format json` for JSON Lines). Extra arguments go to `plainsight read`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
swift build -c release --product plainsight
.build/release/plainsight read Captures/ "$@"
