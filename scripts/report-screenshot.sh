#!/usr/bin/env bash
# Renders an HTML report to a PNG with headless chromium: the README's screenshot.
# Usage: bash scripts/report-screenshot.sh [REPORT.html [OUT.png]]
#   REPORT.html  a report written by PlainSight; without it, the sample report of
#                the tests (Tests/AssessmentTests/SampleReport.swift) is rendered
#   OUT.png      default docs/report.png
# The browser gets a profile of its own and resolves no host name, so nothing
# leaves the machine whatever the page asked for (the report asks for nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
html=${1:-}
out=${2:-docs/report.png}
bash scripts/deps.sh chromium
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium is not on PATH" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$html" ]; then
    html=$work/report.html
    swift build --build-tests 2>&1 | grep -E "error:|Compiling|Build complete" | tail -1 >&2
    PLAINSIGHT_REPORT_HTML_OUT=$html swift test --skip-build --filter 'HTMLReportTests/rendersEverySectionInReadingOrder' \
        >"$work/test.log" 2>&1 || { tail -20 "$work/test.log" >&2; exit 1; }
fi
[ -f "$html" ] || { echo "no such report: $html" >&2; exit 1; }

# As root chromium refuses to start with its sandbox on.
sandbox=()
[ "$(id -u)" -ne 0 ] || sandbox=(--no-sandbox)
mkdir -p "$(dirname "$out")"
"$browser" --headless "${sandbox[@]}" --disable-gpu --disable-dev-shm-usage --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --user-data-dir="$work/profile" --host-resolver-rules='MAP * ~NOTFOUND' \
    --hide-scrollbars --force-device-scale-factor=1 --window-size=1280,1640 \
    --screenshot="$(realpath -m "$out")" "file://$(realpath "$html")" 2>"$work/chromium.log" \
    || { tail -20 "$work/chromium.log" >&2; exit 1; }
echo "wrote $out" >&2
