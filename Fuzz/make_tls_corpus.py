#!/usr/bin/env python3
"""Writes the seed corpora of FuzzTLS and FuzzCertificate (Fuzz/Corpus/<Target>/),
and adds the TLS and STARTTLS captures to Fuzz/Corpus/FuzzPipeline/.

Needs tshark (it reassembles each TCP connection: `-z follow,tcp,raw` gives
every segment's payload once, in order, with its direction, and
`-e tls.handshake.certificate` the DER certificates) and reads:

  - Captures/tls*.pcap and Captures/starttls-*.pcap (the project's own),
  - a few TLS/STARTTLS captures of /work/shared/captures/real/ (REAL below),
  - /etc/ssl/certs/*.pem (certificates only, converted to DER).

FuzzTLS seeds are the first chunks of each connection as a script (format:
Fuzz/Sources/FuzzTLS/FuzzTLS.swift), plus variants: every chunk cut into
small pieces (handshake messages straddle chunks), a small budget (the cap
paths), a gap, a STARTTLS-style start offset for the direct analyzer run, and
hand-built SSL 2.0 hellos (no capture has one). Deterministic; re-running it
rewrites the same files (it only removes what it wrote before: Corpus/FuzzTLS,
Corpus/FuzzCertificate and the `tlscap-` seeds of FuzzPipeline).

    python3 Fuzz/make_tls_corpus.py        # from the repository root
"""

import base64
import glob
import hashlib
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_corpus  # noqa: E402  (read_pcap, frame_list, SUPPORTED)

CAPTURES = os.path.join(HERE, "..", "Captures")
REAL_DIR = "/work/shared/captures/real"
CORPUS = os.path.join(HERE, "Corpus")

# Real captures with TLS handshakes (several versions, HRR, client certificates,
# SSLv3, ECH/ESNI, many cipher suites) and STARTTLS upgrades (SMTP, POP3, FTP,
# XMPP, PostgreSQL, MySQL).
REAL = [
    "arkime__openssl-ssl3.pcap", "arkime__openssl-tls1.pcap", "arkime__openssl-tls1_2.pcap",
    "arkime__curl-enabled-tls13.pcap", "arkime__smtp-starttls.pcap", "ndpi__selfsigned.pcap",
    "ndpi__ssl-cert-name-mismatch.pcap", "ndpi__ja3_lots_of_cipher_suites_2_anon.pcap",
    "ndpi__tls_esni_sni_both.pcap", "ndpi__ftp-start-tls.pcap", "ndpi__smtp-starttls.pcap",
    "zeek__tls__hrr.pcap", "zeek__tls__client-certificate.pcap", "zeek__tls__tls1_1.pcap",
    "zeek__tls__tls-expired-cert.pcap", "zeek__tls__dhe.pcap", "zeek__tls__cert-no-cn.pcap",
    "zeek__tls__pop3-starttls.pcap", "zeek__tls__xmpp-dialback-starttls.pcap",
    "zeek__tls__tls13draft16-ff52.a01.pcap", "zeek__tls__signed_certificate_timestamp_tls1_0.pcap",
    "zeek__postgresql__psql-aws-ssl-require.pcap", "zeek__mysql__tls-12-amazon-rds.pcap",
]
MAX_STREAMS = 2          # connections per real capture
MAX_CHUNKS = 16          # chunks per connection (the handshake is in the first few)
MAX_SCRIPT = 48 * 1024   # bytes per script


def tshark(*args):
    return subprocess.run(["tshark", *args], check=True, capture_output=True, text=True).stdout


def streams(path):
    """TCP stream numbers that carry payload."""
    out = tshark("-r", path, "-Y", "tcp.len > 0", "-T", "fields", "-e", "tcp.stream")
    return sorted({int(x) for x in out.split()})


def follow(path, stream):
    """(server port, [(direction 0 = to the server / 1 = to the client, bytes)])."""
    out = tshark("-r", path, "-q", "-z", "follow,tcp,raw,%d" % stream)
    nodes, chunks = {}, []
    for line in out.splitlines():
        if line.startswith("Node "):
            n, endpoint = line[5:].split(": ", 1)
            nodes[int(n)] = int(endpoint.rsplit(":", 1)[1])
        elif line and not line.startswith(("=", "Follow", "Filter")):
            direction = 1 if line.startswith("\t") else 0
            chunks.append((direction, bytes.fromhex(line.strip())))
    client, server = nodes.get(0, 0), nodes.get(1, 0)
    # follow calls the first sender node 0; when that looks like the server, swap.
    if client < 1024 <= server:
        client, server = server, client
        chunks = [(1 - d, b) for d, b in chunks]
    return server, chunks


def script(port, chunks, options=0, starts=(0, 0), extra=b""):
    out = bytearray([options]) + struct.pack("<H", port) + bytes(starts)
    for direction, data in chunks:
        data = data[:0xFFFF]
        if not data:
            continue
        if len(data) <= 63:
            out += bytes([(len(data) << 2) | direction]) + data
        else:
            out += bytes([direction]) + struct.pack("<H", len(data)) + data
    return bytes(out) + extra


def trimmed(chunks):
    kept, total = [], 0
    for d, b in chunks[:MAX_CHUNKS]:
        if total + len(b) > MAX_SCRIPT:
            break
        kept.append((d, b))
        total += len(b)
    return kept


def pieces(chunks, size):
    """Every chunk cut into `size`-byte pieces (the same bytes, more chunks)."""
    return [(d, b[i:i + size]) for d, b in chunks for i in range(0, len(b), size)]


def certificates(path):
    out = tshark("-r", path, "-o", "tls.desegment_ssl_records:TRUE", "-T", "fields", "-e", "tls.handshake.certificate")
    found = []
    for line in out.split():
        for item in line.split(","):
            item = item.replace(":", "")
            if item:
                found.append(bytes.fromhex(item))
    return found


def sslv2_seeds():
    """Hand-built SSL 2.0-format hellos: a ClientHello offering SSL 2.0 and
    TLS suites, and an SSL 2.0 ServerHello carrying a certificate."""
    specs = bytes.fromhex("0700c0" "050080" "030080" "010080" "000035" "00002f" "0000ff")
    challenge = bytes(range(16))
    body = bytes([1]) + struct.pack(">HHHH", 0x0002, len(specs), 0, len(challenge)) + specs + challenge
    client = struct.pack(">H", 0x8000 | len(body)) + body
    cert = bytes.fromhex("3082") + b"\x00\x10" + bytes(16)  # not a real certificate
    server_specs = bytes.fromhex("0700c0" "010080")
    sbody = bytes([4, 0, 1]) + struct.pack(">HHHH", 0x0002, len(cert), len(server_specs), 16) + cert + server_specs + bytes(16)
    server = struct.pack(">H", 0x8000 | len(sbody)) + sbody
    return {
        "sslv2-hellos": script(443, [(0, client), (1, server)]),
        "sslv2-hellos-split": script(443, pieces([(0, client), (1, server)], 5)),
        # An SSL 2.0 client hello, then a TLS 1.0 server answering it.
        "sslv2-client-tls-server": script(443, [(0, client), (1, bytes.fromhex(
            "160301002a" "02000026" "0301" + "11" * 32 + "00" "002f" "00"))]),
    }


def main():
    captures = sorted(glob.glob(os.path.join(CAPTURES, "tls*.pcap")) + glob.glob(os.path.join(CAPTURES, "starttls-*.pcap")))
    real = [os.path.join(REAL_DIR, n) for n in REAL if os.path.exists(os.path.join(REAL_DIR, n))]
    tls_seeds, certs, pipeline = {}, {}, {}

    for path in captures + real:
        stem = os.path.basename(path)[:-len(".pcap")]
        is_real = path.startswith(REAL_DIR)
        tag = ("real-" + stem.split("__", 1)[-1].replace("__", "-")) if is_real else stem
        numbers = streams(path)
        for n in numbers[:MAX_STREAMS] if is_real else numbers:
            port, chunks = follow(path, n)
            chunks = trimmed(chunks)
            if not chunks:
                continue
            name = tag if n == numbers[0] else "%s-%d" % (tag, n)
            tls_seeds[name] = script(port, chunks)
        for der in certificates(path):
            certs.setdefault(hashlib.sha1(der).hexdigest()[:12], (tag, der))
        # make_corpus.py already writes tls12-openssl and tls13-openssl.
        if not is_real and stem not in ("tls12-openssl", "tls13-openssl"):
            dlt, packets = make_corpus.read_pcap(path)
            if dlt in make_corpus.SUPPORTED:
                pipeline["tlscap-" + stem] = make_corpus.frame_list(make_corpus.SUPPORTED.index(dlt), 0, packets)

    # Variants of the project's own handshakes.
    for base, size in (("tls12-openssl", 7), ("tls13-hrr-openssl", 61), ("starttls-smtp", 13), ("tls12-bad-certs", 100)):
        path = os.path.join(CAPTURES, base + ".pcap")
        if not os.path.exists(path):
            continue
        port, chunks = follow(path, streams(path)[0])
        chunks = trimmed(chunks)
        tls_seeds[base + "-pieces%d" % size] = script(port, pieces(chunks, size))
        if base == "tls12-openssl":
            tls_seeds[base + "-budget2k-pieces"] = script(port, pieces(chunks, 200), options=2)
            tls_seeds[base + "-budget200"] = script(port, chunks, options=3 | 4)
            tls_seeds[base + "-start5"] = script(port, pieces(chunks, 50), options=8, starts=(5, 0))
            # The server's flight lost mid-way: a gap to the client, then the rest.
            tls_seeds[base + "-gap"] = script(port, chunks[:2], extra=bytes([0x06]) + struct.pack("<H", 100))
        if base == "tls12-bad-certs":
            tls_seeds[base + "-clientends"] = script(port, chunks, options=0x10 | 0x0c)
    tls_seeds.update(sslv2_seeds())

    # Certificates of the system bundle.
    for pem in sorted(glob.glob("/etc/ssl/certs/*.pem")):
        text = open(pem).read()
        if "BEGIN CERTIFICATE" not in text:
            continue
        b64 = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
        der = base64.b64decode("".join(b64.split()))
        certs.setdefault(hashlib.sha1(der).hexdigest()[:12], ("system", der))

    def rewrite(target, items, prefixes=None):
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        for old in os.listdir(d):
            if prefixes is None or old.startswith(prefixes):
                os.remove(os.path.join(d, old))
        for name, data in sorted(items.items()):
            with open(os.path.join(d, name + ".bin"), "wb") as f:
                f.write(data)
        print("%-16s %4d seeds, %8d bytes" % (target, len(items), sum(len(v) for v in items.values())))

    rewrite("FuzzTLS", tls_seeds)
    rewrite("FuzzCertificate", {"%s-%s" % (tag, h): der for h, (tag, der) in certs.items()})
    rewrite("FuzzPipeline", pipeline, prefixes=("tlscap-",))


if __name__ == "__main__":
    main()
