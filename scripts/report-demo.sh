#!/usr/bin/env bash
# Two nights of `plainsight assess` over the sample captures, and the README's
# screenshot of the second night's report.
# Usage: bash scripts/report-demo.sh [FOLDER]   (default: a temporary folder, kept)
#
# Night one (2026-11-30) is every classic pcap in Captures/; night two
# (2026-12-01) is the same without the HTTP connection that carried a card
# number, an e-mail address and an SSN (resolved: its server still answered),
# without the FTP sessions (their servers sent nothing: not observed), and with
# HTTP and Redis logins that night one did not have (new). Each capture is moved
# to its night by shifting its timestamps; nothing else is changed.
set -euo pipefail
cd "$(dirname "$0")/.."
site=${1:-$(mktemp -d /tmp/plainsight-demo-XXXXXX)}
mkdir -p "$site"
bash scripts/deps.sh
swift build -c release 2>&1 | grep -E "error:|Build complete" | tail -1 >&2
bin=$PWD/.build/release/plainsight

python3 - "$site" Captures <<'PY'
import calendar, os, struct, sys
site, captures = sys.argv[1], sys.argv[2]

def rewrite(src, dst, day, drop_ports=(), hour=9):
    data = open(src, 'rb').read()
    if data[:4] != b'\xd4\xc3\xb2\xa1':
        return False                      # pcapng or big-endian: not moved
    start = calendar.timegm(tuple(map(int, day.split('-'))) + (hour, 0, 0, 0, 0, 0))
    out, at, first = bytearray(data[:24]), 24, None
    linktype = struct.unpack('<I', data[20:24])[0]
    while at + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack('<IIII', data[at:at + 16])
        pkt = data[at + 16:at + 16 + incl]
        first = sec if first is None else first
        keep = True
        if drop_ports and linktype == 1 and len(pkt) >= 38 and pkt[12:14] == b'\x08\x00' and pkt[23] == 6:
            tcp = 14 + (pkt[14] & 0x0f) * 4
            sport, dport = struct.unpack('>HH', pkt[tcp:tcp + 4])
            keep = sport not in drop_ports and dport not in drop_ports
        if keep:
            out += struct.pack('<IIII', start + sec - first, usec, incl, orig) + pkt
        at += 16 + incl
    open(dst, 'wb').write(out)
    return True

names = sorted(n for n in os.listdir(captures) if n.endswith('.pcap'))
for day in ('2026-11-30', '2026-12-01'):
    os.makedirs(os.path.join(site, 'captures', day), exist_ok=True)
new_on_night_two = ('http-auth-curl.pcap', 'redis-auth.pcap')
for n in names:
    if n not in new_on_night_two:
        rewrite(os.path.join(captures, n), os.path.join(site, 'captures', '2026-11-30', n), '2026-11-30')
    if n.startswith('ftp'):
        continue
    drop = (46224,) if n == 'content-http.pcap' else ()
    rewrite(os.path.join(captures, n), os.path.join(site, 'captures', '2026-12-01', n), '2026-12-01', drop)
PY

cat > "$site/assess.yaml" <<'YAML'
inputs:
  captures:
    - captures/{date}/*.pcap
window: yesterday
output_dir: reports
state_dir: state
fail_on: high
title: Nightly assessment — sample captures
YAML

export XDG_STATE_HOME="$site"      # the demo's own fingerprint key
for night in 2026-12-01 2026-12-02; do
    "$bin" assess --config "$site/assess.yaml" --now "${night}T02:30:00Z" || true
done
report=$(ls -d "$site"/reports/*/ | sort | tail -1)report.html
echo "report: $report" >&2
bash scripts/report-screenshot.sh "$report" docs/report.png
