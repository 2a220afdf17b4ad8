#!/usr/bin/env python3
"""Writes the seed corpus of FuzzHPACK (Fuzz/Corpus/FuzzHPACK/): the header
blocks of RFC 7541 Appendix C (C.3/C.4 requests, C.5/C.6 responses with
a 256-byte table) and the HEADERS blocks of each direction of
Captures/h2c-curl.pcap (curl and the python h2 server, as tshark decodes them
with Decode As HTTP2), in the format of Fuzz/Sources/FuzzHPACK/FuzzHPACK.swift.

    python3 Fuzz/make_hpack_corpus.py        # from the repository root
"""

import os
import shutil
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Corpus", "FuzzHPACK")
CAPTURE = os.path.join(HERE, "..", "Captures", "h2c-curl.pcap")

# Byte 0: limit 4096/256/65536/1 MiB (bits 0-1), budget 1 MiB/4096/256/64 (bits 2-3).
LIMIT_4096, LIMIT_256, LIMIT_1M, BUDGET_256 = 0, 1, 3, 2 << 2

RFC = {
    "c3-requests": (LIMIT_4096, [
        "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "8286 84be 5808 6e6f 2d63 6163 6865",
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"]),
    "c4-requests-huffman": (LIMIT_4096, [
        "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"]),
    "c5-responses": (LIMIT_256, [
        "3fe1 01 4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "4803 3330 37c1 c0bf",
        "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31"]),
    "c6-responses-huffman": (LIMIT_256, [
        "3fe1 01 4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        "4883 640e ffc1 c0bf",
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"]),
}


def seed(options, blocks):
    out = bytearray([options])
    for b in blocks:
        out += struct.pack("<H", len(b)) + b
    return bytes(out)


def capture_blocks():
    """Per TCP stream and direction, the HEADERS blocks in order."""
    out = subprocess.run(
        ["tshark", "-r", CAPTURE, "-d", "tcp.port==18095,http2", "-Y", "http2.type == 1", "-T", "fields",
         "-e", "tcp.stream", "-e", "tcp.dstport", "-e", "http2.headers"],
        check=True, capture_output=True, text=True).stdout
    streams = {}
    for line in out.splitlines():
        stream, port, blocks = (line.split("\t") + ["", "", ""])[:3]
        for block in filter(None, blocks.split(",")):
            streams.setdefault((stream, port == "18095"), []).append(bytes.fromhex(block))
    return streams


def main():
    seeds = {}
    for name, (options, blocks) in RFC.items():
        blocks = [bytes.fromhex(b.replace(" ", "")) for b in blocks]
        seeds[name] = seed(options, blocks)
        seeds[name + "-budget256"] = seed(options | BUDGET_256, blocks)
    if os.path.exists(CAPTURE):
        for (stream, to_server), blocks in sorted(capture_blocks().items()):
            tag = "h2c-curl-%s-%s" % (stream, "client" if to_server else "server")
            seeds[tag] = seed(LIMIT_4096, blocks)
            seeds[tag + "-limit1M"] = seed(LIMIT_1M, blocks)
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("FuzzHPACK: %d seeds" % len(seeds))


if __name__ == "__main__":
    main()
