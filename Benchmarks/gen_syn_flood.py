#!/usr/bin/env python3
"""Writes a SYN flood: N one-packet TCP flows from random sources (classic pcap,
Ethernet, IPv4), for checking that memory stays bounded by --max-flows.

    python3 Benchmarks/gen_syn_flood.py --packets 2000000 --out /tmp/synflood.pcap
"""
import argparse
import random
import struct


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--packets", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(args.packets):
            src = rng.getrandbits(32) | 0x0A000000 & 0xFFFFFFFF
            ip = struct.pack("!BBHHHBBHII", 0x45, 0, 40, i & 0xFFFF, 0, 64, 6, 0, src, 0xC0A80001)
            tcp = struct.pack("!HHIIBBHHH", rng.randrange(1024, 65536), 443, rng.getrandbits(32), 0, 0x50, 0x02, 1024, 0, 0)
            frame = eth + ip + tcp
            ts = 1_700_000_000 + i // 100_000
            f.write(struct.pack("<IIII", ts, (i % 100_000) * 10, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
