#!/usr/bin/env python3
"""Writes the TCP payloads of a capture's HTTP flows (port 80 or 8080), in
capture order, to one file: the "typical HTTP/JSON text" the content-scanner
benchmark (`plainsight patterns bench`) scans.

Text only: a payload is kept when at least 97 % of its bytes are printable
ASCII, tab, CR or LF. The shared workload's HTTP flows also carry images and
downloads (random bytes, about 60 % of their payload): binary goes through the
scanner faster (few candidates) and, in the pipeline, decoded bodies found
binary are not scanned at all, so counting it would flatter the figure.
`--keep-binary` writes every payload (how this script worked before 2026-12-06).

Usage: extract_http_text.py CAPTURE.pcap OUT.txt [--max-mb N] [--keep-binary]
Classic pcap with Ethernet framing only (what ../shared/bench/gen_traffic.py writes).
"""
import struct
import sys


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    limit = 64 << 20
    if '--max-mb' in args:
        limit = int(args[args.index('--max-mb') + 1]) << 20
    keep_binary = '--keep-binary' in args
    src, dst = args[0], args[1]
    written = 0
    skipped = 0
    with open(src, 'rb') as f, open(dst, 'wb') as out:
        magic = f.read(24)[:4]
        endian = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
        while written < limit:
            header = f.read(16)
            if len(header) < 16:
                break
            _, _, caplen, _ = struct.unpack(endian + 'IIII', header)
            frame = f.read(caplen)
            if len(frame) < 14 + 20 or frame[12:14] != b'\x08\x00' or frame[23] != 6:
                continue
            ihl = (frame[14] & 0x0f) * 4
            tcp = 14 + ihl
            sport, dport = struct.unpack('>HH', frame[tcp:tcp + 4])
            if not ({sport, dport} & {80, 8080}):
                continue
            payload = frame[tcp + (frame[tcp + 12] >> 4) * 4:]
            if not keep_binary and not is_text(payload):
                skipped += len(payload)
                continue
            out.write(payload)
            written += len(payload)
    kind = 'payload' if keep_binary else f'text payload ({skipped} bytes of binary payload left out)'
    print(f'{written} bytes of HTTP {kind} written to {dst}')


TEXT_BYTES = bytes(b for b in range(256) if 32 <= b < 127 or b in (9, 10, 13))


def is_text(payload):
    """At least 97 % printable ASCII, tab, CR or LF."""
    return len(payload.translate(None, TEXT_BYTES)) <= 0.03 * len(payload)


if __name__ == '__main__':
    main()
