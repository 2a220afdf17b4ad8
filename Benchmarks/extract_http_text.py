#!/usr/bin/env python3
"""Writes the TCP payloads of a capture's HTTP flows (port 80 or 8080), in
capture order, to one file: the "typical HTTP/JSON text" the content-scanner
benchmark (`plainsight patterns bench`) scans.

Usage: extract_http_text.py CAPTURE.pcap OUT.txt [--max-mb N]
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
    src, dst = args[0], args[1]
    written = 0
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
            out.write(payload)
            written += len(payload)
    print(f'{written} bytes of HTTP payload written to {dst}')


if __name__ == '__main__':
    main()
