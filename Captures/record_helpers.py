#!/usr/bin/env python3
"""Loopback servers and clients used by record.sh to make the sample captures.

Every server binds to 127.0.0.1 or ::1 only and every client connects only
there. Credentials and mail contents are fake. Each sub-command does one
bounded thing and exits (servers run until record.sh kills them, or until
they have served the number of sessions asked for).

    record_helpers.py http-server ADDR PORT DIR
    record_helpers.py pop3-server PORT        record_helpers.py pop3-client PORT
    record_helpers.py imap-server PORT        record_helpers.py imap-client PORT
    record_helpers.py smtp-server PORT        record_helpers.py smtp-client PORT
    record_helpers.py ftp-server PORT PASV_LO PASV_HI DIR
    record_helpers.py ftp-client PORT
    record_helpers.py dns-server PORT         record_helpers.py dns-client PORT
"""
import os
import socket
import socketserver
import struct
import sys

HOST4 = "127.0.0.1"
FAKE_USER = "demo"
FAKE_PASS = "demo-password"
TIMEOUT = 10


def loopback_only(addr):
    if addr not in ("127.0.0.1", "::1"):
        sys.exit("refusing non-loopback address %r" % addr)
    return addr


# --------------------------------------------------------------------- HTTP
def http_server(addr, port, directory):
    import functools
    import http.server

    loopback_only(addr)

    class Handler(http.server.SimpleHTTPRequestHandler):
        # HTTP/1.1 so that curl can reuse one keep-alive connection
        protocol_version = "HTTP/1.1"

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        allow_reuse_address = True

    handler = functools.partial(Handler, directory=directory)
    with Server((addr, int(port)), handler) as httpd:
        httpd.serve_forever()


# ---------------------------------------------------------------- line I/O
class LineHandler(socketserver.StreamRequestHandler):
    timeout = TIMEOUT

    def send(self, *lines):
        # one write per reply, as real servers do: a multi-line reply (and an
        # untagged + tagged IMAP answer) leaves in one segment
        self.wfile.write(b"".join(l.encode("ascii") + b"\r\n" for l in lines))
        self.wfile.flush()

    def lines(self):
        while True:
            raw = self.rfile.readline(4096)
            if not raw:
                return
            yield raw.decode("ascii", "replace").rstrip("\r\n")


class LoopbackTCPServer(socketserver.TCPServer):
    allow_reuse_address = True


# --------------------------------------------------------------------- POP3
MAIL_LINES = [
    "From: Alice Example <alice@plainsight.test>",
    "To: Bob Example <bob@plainsight.test>",
    "Subject: PlainSight loopback test",
    "Message-ID: <loopback-test-1@plainsight.test>",
    "",
    "Hello Bob,",
    "this is a harmless test message recorded on the loopback interface.",
    "-- Alice",
]


class POP3Handler(LineHandler):
    def handle(self):
        self.send("+OK POP3 ready <1896.697170952@plainsight.test>")
        user, authed = None, False
        size = sum(len(l) + 2 for l in MAIL_LINES)
        for line in self.lines():
            cmd, _, arg = line.partition(" ")
            cmd = cmd.upper()
            if cmd == "CAPA":
                self.send("+OK Capability list follows", "USER", "UIDL", "TOP", ".")
            elif cmd == "USER":
                user = arg
                self.send("+OK send PASS")
            elif cmd == "PASS":
                if user == FAKE_USER and arg == FAKE_PASS:
                    authed = True
                    self.send("+OK %s has 1 message (%d octets)" % (user, size))
                else:
                    self.send("-ERR [AUTH] invalid user name or password")
            elif cmd == "STAT" and authed:
                self.send("+OK 1 %d" % size)
            elif cmd == "LIST" and authed:
                self.send("+OK 1 messages (%d octets)" % size, "1 %d" % size, ".")
            elif cmd == "RETR" and authed and arg == "1":
                self.send("+OK %d octets" % size,
                          *["." + l if l.startswith(".") else l for l in MAIL_LINES], ".")
            elif cmd == "NOOP":
                self.send("+OK")
            elif cmd == "QUIT":
                self.send("+OK POP3 server signing off")
                return
            else:
                self.send("-ERR unknown command or not authenticated")


def pop3_client(port):
    import poplib
    p = poplib.POP3(HOST4, int(port), timeout=TIMEOUT)
    print(p.getwelcome().decode())
    print(p.user(FAKE_USER).decode())
    print(p.pass_(FAKE_PASS).decode())
    print("STAT", p.stat())
    print(p.quit().decode())


# --------------------------------------------------------------------- IMAP
class IMAPHandler(LineHandler):
    CAPS = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE AUTH=PLAIN"

    def handle(self):
        self.send("* OK IMAP4rev1 ready")
        authed = False
        for line in self.lines():
            tag, _, rest = line.partition(" ")
            cmd, _, arg = rest.partition(" ")
            cmd = cmd.upper()
            if not tag or not cmd:
                self.send("* BAD empty command")
            elif cmd == "CAPABILITY":
                self.send("* CAPABILITY " + self.CAPS, "%s OK CAPABILITY completed" % tag)
            elif cmd == "NOOP":
                self.send("%s OK NOOP completed" % tag)
            elif cmd == "LOGIN":
                args = [a.strip('"') for a in arg.split(" ")]
                if args == [FAKE_USER, FAKE_PASS]:
                    authed = True
                    self.send("%s OK [CAPABILITY %s] LOGIN completed" % (tag, self.CAPS))
                else:
                    self.send("%s NO [AUTHENTICATIONFAILED] Invalid credentials" % tag)
            elif cmd == "LOGOUT":
                self.send("* BYE IMAP4rev1 server logging out", "%s OK LOGOUT completed" % tag)
                return
            elif not authed:
                self.send("%s BAD command not valid before LOGIN" % tag)
            else:
                self.send("%s BAD command not supported here" % tag)


def imap_client(port):
    import imaplib
    m = imaplib.IMAP4(HOST4, int(port), timeout=TIMEOUT)
    print(m.welcome.decode())
    print(m.login(FAKE_USER, FAKE_PASS))
    print(m.logout())


# --------------------------------------------------------------------- SMTP
def smtp_server(port):
    # aiosmtpd (Debian package python3-aiosmtpd): a real SMTP server
    # implementation; the Sink handler accepts and discards the mail.
    import asyncio
    from aiosmtpd.handlers import Sink
    from aiosmtpd.smtp import SMTP

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(Sink(), hostname="mail.plainsight.test"),
            host=HOST4, port=int(port), reuse_address=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def smtp_client(port):
    import smtplib
    from email.message import EmailMessage
    msg = EmailMessage()
    msg["From"] = "Alice Example <alice@plainsight.test>"
    msg["To"] = "Bob Example <bob@plainsight.test>"
    msg["Subject"] = "PlainSight loopback test"
    msg["Message-ID"] = "<loopback-test-2@plainsight.test>"
    msg.set_content("Hello Bob,\nthis is a harmless test message recorded on "
                    "the loopback interface.\n-- Alice\n")
    with smtplib.SMTP(HOST4, int(port), local_hostname="client.plainsight.test",
                      timeout=TIMEOUT) as s:
        s.set_debuglevel(1)
        s.send_message(msg)


# ---------------------------------------------------------------------- FTP
def ftp_server(port, pasv_lo, pasv_hi, directory):
    import logging
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    logging.basicConfig(level=logging.INFO)
    auth = DummyAuthorizer()
    auth.add_user(FAKE_USER, FAKE_PASS, directory, perm="elr")  # read-only
    handler = FTPHandler
    handler.authorizer = auth
    handler.passive_ports = range(int(pasv_lo), int(pasv_hi) + 1)
    handler.permit_foreign_addresses = False
    server = FTPServer((HOST4, int(port)), handler)
    server.max_cons = 4
    server.serve_forever()


def ftp_client(port):
    import ftplib
    ftp = ftplib.FTP(timeout=TIMEOUT)
    print(ftp.connect(HOST4, int(port)))
    print(ftp.login(FAKE_USER, FAKE_PASS))
    ftp.set_pasv(True)
    ftp.retrlines("LIST")  # sends TYPE A, PASV, LIST
    chunks = []
    print(ftp.retrbinary("RETR readme.txt", chunks.append))
    print(repr(b"".join(chunks)))
    print(ftp.quit())


# ---------------------------------------------------------------------- DNS
QNAME = "plainsight.test"


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def dns_server(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST4, int(port)))
    while True:
        data, peer = sock.recvfrom(512)
        if len(data) < 12:
            continue
        qid, flags, qd, an, ns, ar = struct.unpack("!6H", data[:12])
        if flags & 0x8000 or qd != 1:
            continue
        # walk the question name
        i = 12
        while i < len(data) and data[i] != 0:
            i += 1 + data[i]
        qend = i + 1 + 4
        question = data[12:qend]
        qtype, qclass = struct.unpack("!HH", data[i + 1:qend])
        rd = flags & 0x0100
        answers = b""
        rcode = 0
        name = question[:-4]
        if name == encode_name(QNAME) and qtype == 1 and qclass == 1:
            # pointer to the name at offset 12, A, IN, TTL 60, 4 bytes
            answers = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
        elif name != encode_name(QNAME):
            rcode = 3  # NXDOMAIN
        rflags = 0x8000 | 0x0400 | rd | 0x0080 | rcode  # QR AA RD RA
        header = struct.pack("!6H", qid, rflags, 1, 1 if answers else 0, 0, 0)
        sock.sendto(header + question + answers, peer)


def dns_client(port):
    qid = int.from_bytes(os.urandom(2), "big")
    query = struct.pack("!6H", qid, 0x0100, 1, 0, 0, 0) + encode_name(QNAME) + struct.pack("!HH", 1, 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(5)
    sock.connect((HOST4, int(port)))
    sock.send(query)
    resp = sock.recv(512)
    rid, rflags, qd, an, ns, ar = struct.unpack("!6H", resp[:12])
    if rid != qid or not rflags & 0x8000 or an != 1:
        sys.exit("bad DNS response: %r" % resp)
    print("%s A %s (id 0x%04x, rcode %d)" % (QNAME, socket.inet_ntoa(resp[-4:]), rid, rflags & 0xF))


# ------------------------------------------------------------------- main
def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "http-server":
        http_server(*args)
    elif cmd == "pop3-server":
        LoopbackTCPServer((HOST4, int(args[0])), POP3Handler).serve_forever()
    elif cmd == "pop3-client":
        pop3_client(*args)
    elif cmd == "imap-server":
        LoopbackTCPServer((HOST4, int(args[0])), IMAPHandler).serve_forever()
    elif cmd == "imap-client":
        imap_client(*args)
    elif cmd == "smtp-server":
        smtp_server(*args)
    elif cmd == "smtp-client":
        smtp_client(*args)
    elif cmd == "ftp-server":
        ftp_server(*args)
    elif cmd == "ftp-client":
        ftp_client(*args)
    elif cmd == "dns-server":
        dns_server(*args)
    elif cmd == "dns-client":
        dns_client(*args)
    else:
        sys.exit("unknown sub-command %r\n%s" % (cmd, __doc__))


if __name__ == "__main__":
    main(sys.argv)
