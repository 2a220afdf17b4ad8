#!/usr/bin/env python3
"""Write a pcap holding one long, in-order TCP connection (for the allocation check).

Classic pcap, Ethernet, IPv4, microsecond timestamps; valid IPv4 header and TCP
checksums. The connection is: 3-way handshake, an HTTP/1.1 POST whose request
header is the first data segment and whose body follows in full-size segments
(all client -> server, in order, no loss), a server ACK every second data
segment (delayed ACKs), a "200 OK" response, then FIN/ACK from both sides.

    python3 gen_single_flow.py --packets 10000 --out /tmp/flow-10k.pcap
    python3 gen_single_flow.py --packets 100000 --out /tmp/flow-100k.pcap

--packets counts the client's data segments (--payload bytes each). Running the
auditor on N and 10 N packets under the malloc shim shows whether it allocates
per packet: the two allocation counts should be (almost) equal.
Standard library only (struct, array).
"""
import argparse
import array
import struct
import sys

ETH_HDR = struct.pack("!6s6sH", bytes.fromhex("020000000002"), bytes.fromhex("020000000001"), 0x0800)
ETH_HDR_REV = struct.pack("!6s6sH", bytes.fromhex("020000000001"), bytes.fromhex("020000000002"), 0x0800)
CLIENT = bytes([10, 1, 0, 10])
SERVER = bytes([10, 2, 0, 20])
CPORT, SPORT = 49152, 80

SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01

_swap = sys.byteorder == "little"


def ones_sum(data: bytes) -> int:
    """Unfolded one's-complement sum of 16-bit words, in network order."""
    if len(data) & 1:
        data = data + b"\0"
    a = array.array("H", data)
    if _swap:
        a.byteswap()
    return sum(a)


def fold(s: int) -> int:
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Writer:
    def __init__(self, f):
        self.f = f
        self.ts = 1_700_000_000_000_000  # microseconds
        self.ip_id = {CLIENT: 1, SERVER: 1}
        self.count = 0
        self._payload_sums = {}
        # pcap global header: magic, v2.4, thiszone, sigfigs, snaplen, DLT_EN10MB
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))

    def payload_sum(self, payload: bytes) -> int:
        key = id(payload)
        hit = self._payload_sums.get(key)
        if hit is None or hit[0] is not payload:
            hit = (payload, ones_sum(payload))
            self._payload_sums[key] = hit
        return hit[1]

    def tcp(self, src, dst, sport, dport, seq, ack, flags, payload=b"", options=b"", step_us=100):
        doff = (20 + len(options)) // 4
        tcp_hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                              doff << 4, flags, 65535, 0, 0) + options
        tcp_len = len(tcp_hdr) + len(payload)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, tcp_len)
        s = ones_sum(pseudo) + ones_sum(tcp_hdr) + (self.payload_sum(payload) if payload else 0)
        csum = fold(s)
        tcp_hdr = tcp_hdr[:16] + struct.pack("!H", csum) + tcp_hdr[18:]
        total = 20 + tcp_len
        ident = self.ip_id[src]
        self.ip_id[src] = (ident + 1) & 0xFFFF
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", fold(ones_sum(ip))) + ip[12:]
        eth = ETH_HDR if src == CLIENT else ETH_HDR_REV
        frame_len = len(eth) + total
        self.f.write(struct.pack("<IIII", self.ts // 1_000_000, self.ts % 1_000_000, frame_len, frame_len))
        self.f.write(eth)
        self.f.write(ip)
        self.f.write(tcp_hdr)
        if payload:
            self.f.write(payload)
        self.ts += step_us
        self.count += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=int, default=10000, help="client data segments (default 10000)")
    ap.add_argument("--payload", type=int, default=1000, help="bytes per data segment (default 1000)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-acks", action="store_true", help="omit the server's delayed ACKs")
    args = ap.parse_args()
    n, size = args.packets, args.payload
    if n < 1 or not 200 <= size <= 1460:
        ap.error("--packets >= 1 and 200 <= --payload <= 1460")

    # The request header fills the start of the first segment and the body
    # pads it to full size, then fills the other n-1 segments.
    def request_header(body_len):
        return ("POST /upload HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: gen_single_flow/1\r\n"
                "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % body_len).encode()
    body_len = n * size
    for _ in range(3):  # fixed point: the header's length depends on the body length's digits
        body_len = n * size - len(request_header(body_len))
    header = request_header(body_len)
    header = header + b"x" * (size - len(header))
    assert len(header) == size and len(request_header(body_len)) + body_len == n * size
    # Printable body chunks (text, like an upload of a log file), cycled.
    line = b"2024-01-01T00:00:00Z INFO worker=%02d request handled in 12 ms status=ok\n"
    chunks = []
    for k in range(16):
        text = b"".join(line % ((k + j) % 100) for j in range(size // 70 + 2))
        chunks.append(text[:size])

    mss = struct.pack("!BBH", 2, 4, 1460) + b"\x01\x01\x04\x02"  # MSS, NOP NOP SACK-permitted
    c_isn, s_isn = 0x1000_0000, 0x7000_0000
    with open(args.out, "wb") as f:
        w = Writer(f)
        w.tcp(CLIENT, SERVER, CPORT, SPORT, c_isn, 0, SYN, options=mss, step_us=500)
        w.tcp(SERVER, CLIENT, SPORT, CPORT, s_isn, c_isn + 1, SYN | ACK, options=mss, step_us=500)
        w.tcp(CLIENT, SERVER, CPORT, SPORT, c_isn + 1, s_isn + 1, ACK, step_us=100)
        cseq, sseq = c_isn + 1, s_isn + 1
        for i in range(n):
            payload = header if i == 0 else chunks[i % len(chunks)]
            w.tcp(CLIENT, SERVER, CPORT, SPORT, cseq, sseq, ACK | PSH if i == n - 1 else ACK, payload)
            cseq += len(payload)
            if not args.no_acks and (i & 1 or i == n - 1):
                w.tcp(SERVER, CLIENT, SPORT, CPORT, sseq, cseq, ACK, step_us=20)
        resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        w.tcp(SERVER, CLIENT, SPORT, CPORT, sseq, cseq, ACK | PSH, resp)
        sseq += len(resp)
        w.tcp(CLIENT, SERVER, CPORT, SPORT, cseq, sseq, ACK | FIN)
        cseq += 1
        w.tcp(SERVER, CLIENT, SPORT, CPORT, sseq, cseq, ACK | FIN)
        sseq += 1
        w.tcp(CLIENT, SERVER, CPORT, SPORT, cseq, sseq, ACK)
    print("%s: %d packets (%d client data segments of %d bytes)" % (args.out, w.count, n, size), file=sys.stderr)


if __name__ == "__main__":
    main()
