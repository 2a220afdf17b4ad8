#!/usr/bin/env bash
# Installs the Debian packages PlainSight builds against, when missing.
# Usage: bash scripts/deps.sh [extra-package ...]
set -euo pipefail
packages=(libpcap-dev libpcre2-dev zlib1g-dev libbrotli-dev libzstd-dev pkg-config "$@")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain (swift.org) first" >&2; exit 1; }
