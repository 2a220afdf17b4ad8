#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (Fuzz/Corpus/<Target>/) from
the sample captures in Captures/*.pcap, plus a few hand-built frames for paths
the captures do not reach (IP fragments, VLAN, VXLAN, GRE, snap-length cuts).

Standard library only (struct); deterministic, so re-running it rewrites the
same files. The input formats are described at the top of each target's
source file (Fuzz/Sources/<Target>/<Target>.swift).

    python3 Fuzz/make_corpus.py            # from the repository root
"""

import os
import base64
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = os.path.join(HERE, "..", "Captures")
CORPUS = os.path.join(HERE, "Corpus")

# Order of LinkType.supported in Sources/Decoding/LinkType.swift.
SUPPORTED = [0, 1, 12, 14, 105, 108, 113, 127, 228, 229, 276]
# LINKTYPE_* values in pcap files that differ from the DLT_* values.
LINKTYPE_TO_DLT = {101: 12}


# ---------------------------------------------------------------- pcap files

def read_pcap(path):
    """Returns (dlt, [(timestamp_us, captured_bytes, wire_length)])."""
    data = open(path, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError(path + ": not a classic pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    packets = []
    i = 24
    while i + 16 <= len(data):
        sec, frac, caplen, wirelen = struct.unpack(e + "IIII", data[i:i + 16])
        i += 16
        us = sec * 1_000_000 + (frac // 1000 if nano else frac)
        packets.append((us, data[i:i + caplen], wirelen))
        i += caplen
    return LINKTYPE_TO_DLT.get(linktype, linktype), packets


def network_layer(dlt, frame):
    """(ethertype, bytes after the link header) or None."""
    if dlt == 1:
        if len(frame) < 14:
            return None
        etype = struct.unpack(">H", frame[12:14])[0]
        body = frame[14:]
        while etype in (0x8100, 0x88A8) and len(body) >= 4:
            etype = struct.unpack(">H", body[2:4])[0]
            body = body[4:]
        return etype, body
    if dlt == 113 and len(frame) >= 16:
        return struct.unpack(">H", frame[14:16])[0], frame[16:]
    if dlt == 276 and len(frame) >= 20:
        return struct.unpack(">H", frame[0:2])[0], frame[20:]
    return None


def transport_segment(dlt, frame):
    """A dict describing the TCP or UDP packet in `frame`, or None."""
    nl = network_layer(dlt, frame)
    if nl is None:
        return None
    etype, ip = nl
    if etype == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack(">H", ip[2:4])[0] or len(ip)
        proto, src, dst = ip[9], ip[12:16], ip[16:20]
        body = ip[ihl:total]
    elif etype == 0x86DD and len(ip) >= 40:
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        body = ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
    else:
        return None
    if proto == 6 and len(body) >= 20:
        sport, dport, seq, ack, off_flags = struct.unpack(">HHIIH", body[:14])
        hl = (off_flags >> 12) * 4
        return dict(proto="tcp", src=(src, sport), dst=(dst, dport), seq=seq, ack=ack,
                    flags=off_flags & 0x3F, payload=body[hl:])
    if proto == 17 and len(body) >= 8:
        sport, dport = struct.unpack(">HH", body[:4])
        return dict(proto="udp", src=(src, sport), dst=(dst, dport), payload=body[8:])
    return None


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


# ---------------------------------------------------------------- frame-list formats

def time_step(delta_us):
    """The one-byte time step of the FuzzDecoder/FuzzPipeline formats."""
    if delta_us < 0:
        return 0xFF
    ms = delta_us // 1000
    if ms < 128:
        return ms
    return 0x80 | min(126, delta_us // 250_000)


def frame_list(link_index, config, frames):
    """frames: [(timestamp_us, captured_bytes, wire_length)]."""
    out = bytearray([link_index, config])
    previous = frames[0][0] if frames else 0
    for ts, data, wire in frames:
        data = data[:0xFFFF]
        extra = wire - len(data)
        if extra == 0:
            code = 0
        elif 1 <= extra <= 253:
            code = extra
        elif extra > 253:
            code = 255
        else:
            code = 254
        out += struct.pack("<HBB", len(data), time_step(ts - previous), code)
        out += data
        previous = ts
    return bytes(out)


# ---------------------------------------------------------------- hand-built frames

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


MAC_A = bytes.fromhex("02000000000a")
MAC_B = bytes.fromhex("02000000000b")
IP4_A = bytes([192, 0, 2, 1])
IP4_B = bytes([198, 51, 100, 7])
IP6_A = bytes.fromhex("20010db8000000000000000000000001")
IP6_B = bytes.fromhex("20010db8000000000000000000000002")


def ether(etype, body, vlan=None):
    tag = struct.pack(">HH", 0x8100, vlan) if vlan is not None else b""
    return MAC_B + MAC_A + tag + struct.pack(">H", etype) + body


def ipv4(proto, body, src=IP4_A, dst=IP4_B, ident=0x1234, offset=0, more=False, total=None):
    flags = (0x2000 if more else 0) | (offset // 8)
    total = 20 + len(body) if total is None else total
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, ident, flags, 64, proto, 0, src, dst)
    return h[:10] + struct.pack(">H", csum(h)) + h[12:] + body


def ipv6(next_header, body, src=IP6_A, dst=IP6_B):
    return struct.pack(">IHBB", 0x60000000, len(body), next_header, 64) + src + dst + body


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


DNS_QUERY = bytes.fromhex("abcd01000001000000000000") + b"\x0aplainsight\x04test\x00" + b"\x00\x01\x00\x01"


def synthetic_frames():
    """Named lists of Ethernet frames (link index 1), each [(ts, bytes, wire)]."""
    t = 1_700_000_000_000_000
    seeds = {}

    # IPv4 fragments of a UDP DNS query: out of order, one duplicate, then the rest.
    datagram = udp(40000, 53, DNS_QUERY + b"\x00" * 24)
    pieces = [(0, datagram[:16], True), (16, datagram[16:32], True), (32, datagram[32:], False)]
    frames = [ether(0x0800, ipv4(17, p, offset=o, more=m)) for o, p, m in pieces]
    order = [frames[2], frames[0], frames[0], frames[1]]
    seeds["ipv4-fragments"] = [(t + i * 1000, f, len(f)) for i, f in enumerate(order)]

    # The same fragments for two datagrams interleaved, one never completed (expires).
    other = [ether(0x0800, ipv4(17, p, ident=0x4321, offset=o, more=m)) for o, p, m in pieces[:2]]
    mixed = [other[0], frames[0], other[1], frames[1], frames[2]]
    seeds["ipv4-fragments-interleaved"] = [(t + i * 400_000, f, len(f)) for i, f in enumerate(mixed)]

    # IPv6 fragment header (next header 44) carrying a TCP segment in two fragments.
    segment = tcp(40001, 80, 1000, 0, PSH | ACK, b"GET /fragmented HTTP/1.1\r\nHost: x\r\n\r\n")
    first, second = segment[:24], segment[24:]
    frag1 = struct.pack(">BBHI", 6, 0, 0 | 1, 0xCAFE) + first
    frag2 = struct.pack(">BBHI", 6, 0, 24, 0xCAFE) + second
    seeds["ipv6-fragments"] = [
        (t, ether(0x86DD, ipv6(44, frag1)), 0),
        (t + 1000, ether(0x86DD, ipv6(44, frag2)), 0),
    ]

    # VLAN-tagged TCP handshake and a request.
    c, s = 40002, 8080
    handshake = [
        tcp(c, s, 100, 0, SYN), tcp(s, c, 500, 101, SYN | ACK), tcp(c, s, 101, 501, ACK),
        tcp(c, s, 101, 501, PSH | ACK, b"GET / HTTP/1.1\r\nHost: vlan\r\n\r\n"),
    ]
    vlan_frames = []
    for i, seg in enumerate(handshake):
        src, dst = (IP4_B, IP4_A) if i == 1 else (IP4_A, IP4_B)
        vlan_frames.append(ether(0x0800, ipv4(6, seg, src=src, dst=dst), vlan=42))
    seeds["vlan-tcp"] = [(t + i * 1000, f, 0) for i, f in enumerate(vlan_frames)]

    # VXLAN (UDP 4789) carrying Ethernet/IPv4/TCP.
    inner = ether(0x0800, ipv4(6, tcp(40003, 80, 7, 0, PSH | ACK, b"GET /vxlan HTTP/1.1\r\n\r\n")))
    vxlan = struct.pack(">II", 0x08000000, 0x00123400) + inner
    seeds["vxlan"] = [(t, ether(0x0800, ipv4(17, udp(50000, 4789, vxlan))), 0)]

    # GRE with a key, carrying IPv4/TCP.
    inner_ip = ipv4(6, tcp(40004, 25, 9, 0, PSH | ACK, b"EHLO gre.example\r\n"))
    gre = struct.pack(">HHI", 0x2000, 0x0800, 77) + inner_ip
    seeds["gre-key"] = [(t, ether(0x0800, ipv4(47, gre)), 0)]

    # Snap-length cut: a TCP segment captured to 60 bytes of 200.
    full = ether(0x0800, ipv4(6, tcp(40005, 80, 1, 0, PSH | ACK, b"A" * 146)))
    seeds["snaplen-cut"] = [(t, full[:60], len(full))]

    # A CSV download (text/csv) for the content scanner's column names: quoted
    # cells with delimiters and a line feed, a row with too few cells; in four segments.
    c, s = 40006, 8081
    table = (b'id,name,email,card_number\r\n1,"Lee, Jo",jo@corp-mail.io,4069006792188143\r\n'
             b'2,"two\nlines",dana@corp-mail.io,\r\n3,short\r\n4,x,eve@corp-mail.io,\r\n')
    response = b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n" % len(table) + table
    request = b"GET /export.csv HTTP/1.1\r\nHost: csv\r\n\r\n"
    segs = [tcp(c, s, 100, 0, SYN), tcp(s, c, 500, 101, SYN | ACK), tcp(c, s, 101, 501, ACK),
            tcp(c, s, 101, 501, PSH | ACK, request)]
    seq = 501
    for k in range(0, len(response), 50):
        segs.append(tcp(s, c, seq, 101 + len(request), PSH | ACK, response[k:k + 50]))
        seq += len(response[k:k + 50])
    frames = []
    for seg in segs:
        client = struct.unpack(">H", seg[:2])[0] == c
        frames.append(ether(0x0800, ipv4(6, seg, src=IP4_A if client else IP4_B, dst=IP4_B if client else IP4_A)))
    seeds["csv-http"] = [(t + i * 1000, f, 0) for i, f in enumerate(frames)]

    # Mail read back for the content scanner: a POP3 RETR reply and an IMAP
    # FETCH BODY[] literal, each a multipart mail with a base64 part, in 60-byte segments.
    part = base64.encodebytes(b"card 4556 7375 8689 9855\r\n").replace(b"\n", b"\r\n")
    mail = (b"Subject: s\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n\r\nhi\r\n..dot\r\n"
            b"--z\r\nContent-Transfer-Encoding: base64\r\n\r\n" + part + b"--z--\r\n")
    dialogues = [
        (40007, 110, b"USER a\r\nPASS b\r\nRETR 1\r\nQUIT\r\n", b"+OK\r\n+OK\r\n+OK in\r\n+OK\r\n" + mail + b".\r\n+OK bye\r\n"),
        (40008, 143, b"a1 LOGIN a b\r\na2 FETCH 1 BODY[]\r\na3 LOGOUT\r\n",
         b"* OK\r\na1 OK\r\n* 1 FETCH (BODY[] {%d}\r\n" % len(mail.replace(b"..", b".")) + mail.replace(b"..", b".") + b")\r\na2 OK\r\n* BYE\r\na3 OK\r\n"),
    ]
    frames = []
    for c, s, request, reply in dialogues:
        segs = [tcp(c, s, 100, 0, SYN), tcp(s, c, 500, 101, SYN | ACK), tcp(c, s, 101, 501, ACK),
                tcp(c, s, 101, 501, PSH | ACK, request)]
        for k in range(0, len(reply), 60):
            segs.append(tcp(s, c, 501 + k, 101 + len(request), PSH | ACK, reply[k:k + 60]))
        for seg in segs:
            client = struct.unpack(">H", seg[:2])[0] == c
            frames.append(ether(0x0800, ipv4(6, seg, src=IP4_A if client else IP4_B, dst=IP4_B if client else IP4_A)))
    seeds["mail-retrieval"] = [(t + i * 1000, f, 0) for i, f in enumerate(frames)]
    return seeds


# ---------------------------------------------------------------- per-target seeds

def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name + ".bin"), "wb") as f:
        f.write(data)


def cut_frames(packets, keep=96):
    """The same frames as a capture with a short snap length."""
    out = []
    for ts, data, wire in packets:
        caplen = max(min(len(data), keep), len(data) - 253)
        out.append((ts, data[:caplen], wire))
    return out


def tcp_connections(dlt, packets):
    """Groups TCP segments by connection: {key: [segment dict with ts]}."""
    conns = {}
    for ts, data, _ in packets:
        seg = transport_segment(dlt, data)
        if seg is None or seg["proto"] != "tcp":
            continue
        key = tuple(sorted([seg["src"], seg["dst"]]))
        seg["ts"] = ts
        conns.setdefault(key, []).append(seg)
    return conns


def reassembly_ops(segments, shuffle=False, cap_config=0):
    """FuzzReassembly input for one TCP connection's segments."""
    first = segments[0]
    client = first["src"] if first["flags"] & SYN and not first["flags"] & ACK else (
        first["src"] if first["src"][1] > first["dst"][1] else first["dst"])
    syn = next((s for s in segments if s["flags"] & SYN and s["src"] == client), None)
    synack = next((s for s in segments if s["flags"] & SYN and s["src"] != client), None)
    isn = [((syn or first)["seq"] + (1 if syn else 0)) & 0xFFFFFFFF, 0]
    server_first = next((s for s in segments if s["src"] != client), None)
    isn[1] = ((synack["seq"] + 1) if synack else (server_first["seq"] if server_first else 0)) & 0xFFFFFFFF
    out = bytearray([cap_config]) + struct.pack("<II", isn[0], isn[1])
    next_seq = list(isn)  # approximate next expected sequence per side (for ack deltas)
    order = list(segments)
    if shuffle:
        # Swap neighbouring data segments of each direction and repeat one: out of order and retransmitted.
        for i in range(1, len(order) - 1, 3):
            order[i], order[i + 1] = order[i + 1], order[i]
        data_segments = [s for s in order if s["payload"]]
        if data_segments:
            order.append(data_segments[len(data_segments) // 2])
    for seg in order:
        side = 0 if seg["src"] == client else 1
        other = 1 - side
        flags = 0
        if seg["flags"] & FIN:
            flags |= 1
        if seg["flags"] & ACK:
            flags |= 2
        payload = seg["payload"]
        if len(payload) > 255:
            flags |= 0x20  # long payload: u16 length
        op = side << 3
        if seg["flags"] & SYN:
            flags |= 0x40  # SYN, sequence mode 0: i8 -1 from the ISN
            body = struct.pack("<b", -1)
        else:
            flags |= 1 << 3  # sequence mode 1: u16 from the ISN
            body = struct.pack("<H", (seg["seq"] - isn[side]) & 0xFFFF)
        if flags & 0x20:
            payload = payload[:0x1FFF]
            body += struct.pack("<H", len(payload))
        else:
            body += struct.pack("<B", len(payload))
        body += b"\x00"  # no bytes lost after the capture
        if flags & 2:
            delta = (seg["ack"] - next_seq[other]) & 0xFFFFFFFF
            if delta >= 0x80000000:
                delta -= 1 << 32
            body += struct.pack("<h", max(-32768, min(32767, delta)))
        out += bytes([op, flags]) + body + payload
        end = (seg["seq"] + len(payload) + (1 if seg["flags"] & SYN else 0)) & 0xFFFFFFFF
        if ((end - next_seq[side]) & 0xFFFFFFFF) < 0x80000000:
            next_seq[side] = end
    # Drain both, then finish both.
    out += bytes([6, 6 | 8, 4, 4 | 8])
    return bytes(out)


def identification_events(transport, server_port, chunks):
    """FuzzIdentification input: chunks = [(direction 0/1, bytes)]."""
    out = bytearray([0 if transport == "tcp" else 1]) + struct.pack("<H", server_port)
    for direction, data in chunks:
        data = data[:0x3FF]
        if 1 <= len(data) <= 63:
            out += bytes([(len(data) << 2) | direction]) + data
        else:
            out += bytes([direction]) + struct.pack("<H", len(data)) + data
    return bytes(out)


def main():
    seeds = {t: {} for t in ("FuzzDecoder", "FuzzPipeline", "FuzzReassembly", "FuzzIdentification")}
    names = sorted(n for n in os.listdir(CAPTURES) if n.endswith(".pcap"))
    ethernet_packets = []
    for name in names:
        stem = name[:-len(".pcap")]
        dlt, packets = read_pcap(os.path.join(CAPTURES, name))
        if dlt not in SUPPORTED:
            print("skipping", name, "(link type %d)" % dlt, file=sys.stderr)
            continue
        link = SUPPORTED.index(dlt)
        seeds["FuzzDecoder"][stem] = frame_list(link, 0x17, packets)
        seeds["FuzzPipeline"][stem] = frame_list(link, 0, packets)
        if dlt == 1:
            ethernet_packets += packets
        if stem in ("http-curl", "tls12-openssl"):
            seeds["FuzzDecoder"][stem + "-snaplen"] = frame_list(link, 0x17, cut_frames(packets))
            seeds["FuzzPipeline"][stem + "-snaplen"] = frame_list(link, 0, cut_frames(packets))
        if stem == "smtp-python":
            seeds["FuzzPipeline"][stem + "-text-smallcaps"] = frame_list(link, 1 | (2 << 1) | (1 << 3), packets)
        if stem in ("content-http", "h2c-content", "smtp-python", "ftp-data", "http-auth-curl", "mixed-any", "dns-udp",
                    "utf16-content", "nntp-python", "content-br-zstd", "grpc-gzip", "grpc-messages", "http-identity", "saml-post",
                    "radius", "tacacs", "syslog", "proxy-connect", "socks-tunnels", "websocket", "mqtt-websocket",
                    "stomp-rabbitmq"):
            # Bit 7: the content scanner runs too (raw streams, decoded bodies).
            seeds["FuzzPipeline"][stem + "-content"] = frame_list(link, 0x80, packets)

        conns = tcp_connections(dlt, packets)
        for i, (key, segments) in enumerate(sorted(conns.items())):
            if dlt != 1 or i > 0 and stem not in ("ftp-python", "syslog", "proxy-connect", "socks-tunnels"):
                continue
            tag = stem if i == 0 else "%s-%d" % (stem, i)
            seeds["FuzzReassembly"][tag] = reassembly_ops(segments)
            if stem in ("http-curl", "ssh-openssh", "tls13-openssl"):
                seeds["FuzzReassembly"][tag + "-reordered"] = reassembly_ops(segments, shuffle=True, cap_config=2)
            # Identification: the first data segments per direction, as sent.
            first = segments[0]
            client = first["src"] if first["flags"] & SYN and not first["flags"] & ACK else first["dst"]
            server_port = (first["dst"] if first["src"] == client else first["src"])[1]
            chunks = [(0 if s["src"] == client else 1, s["payload"]) for s in segments if s["payload"]][:6]
            if chunks:
                seeds["FuzzIdentification"][tag] = identification_events("tcp", server_port, chunks)

        if stem in ("dns-udp", "radius", "syslog"):
            udp_chunks = []
            server_port = None
            for _, data, _ in packets:
                seg = transport_segment(dlt, data)
                if seg and seg["proto"] == "udp":
                    server_port = server_port or seg["dst"][1]
                    udp_chunks.append((0 if seg["dst"][1] == server_port else 1, seg["payload"]))
            key = stem + "-udp" if stem in seeds["FuzzIdentification"] else stem  # syslog.pcap has TCP flows too
            seeds["FuzzIdentification"][key] = identification_events("udp", server_port, udp_chunks)

    # Many flows at once (table caps, eviction): every Ethernet capture merged.
    ethernet_packets.sort(key=lambda p: p[0])
    seeds["FuzzPipeline"]["all-ethernet-maxflows4"] = frame_list(1, 2 << 1, ethernet_packets[:120])

    for name, frames in synthetic_frames().items():
        seeds["FuzzDecoder"]["synthetic-" + name] = frame_list(1, 0x17, frames)
        seeds["FuzzPipeline"]["synthetic-" + name] = frame_list(1, 0x80 if name in ("csv-http", "mail-retrieval") else 0, frames)

    # Identification probes with nothing decisive yet, a gap and an end.
    seeds["FuzzIdentification"]["telnet-then-gap"] = (
        identification_events("tcp", 2323, [(1, b"\xff\xfd\x18"), (0, b"\xff\xfb\x18")]) + b"\x02\x10\x00\x03")

    total = 0
    for target, items in seeds.items():
        d = os.path.join(CORPUS, target)
        if os.path.isdir(d):
            for old in os.listdir(d):
                os.remove(os.path.join(d, old))
        for name, data in sorted(items.items()):
            write(target, name, data)
            total += len(data)
        print("%-20s %3d seeds, %7d bytes" % (target, len(items), sum(len(v) for v in items.values())))
    print("total %d bytes" % total)


if __name__ == "__main__":
    main()
