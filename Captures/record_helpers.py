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

TLS (CERT/KEY: server certificate and key files, CA: the client's trust file):

    record_helpers.py gnutls-server PORT CERT KEY PRIORITY
    record_helpers.py starttls-smtp-server PORT CERT KEY
    record_helpers.py starttls-smtp-client PORT CA
    record_helpers.py starttls-imap-server PORT CERT KEY
    record_helpers.py starttls-imap-client PORT CA
    record_helpers.py starttls-pop3-server PORT CERT KEY
    record_helpers.py starttls-pop3-client PORT CA
    record_helpers.py ftp-tls-server PORT CERT KEY
    record_helpers.py ftp-tls-client PORT CA

Cleartext authentication (record.sh's "cleartext" set, RECORD_ONLY=cleartext):

    record_helpers.py http-auth-server PORT   record_helpers.py http-auth-client PORT
    record_helpers.py smtp-auth-server PORT CERT KEY
    record_helpers.py smtp-auth-client PORT
    record_helpers.py ftp-server PORT PASV_LO PASV_HI DIR CERT KEY   (pyftpdlib TLS_FTPHandler)
    record_helpers.py ftp-rejected-client PORT
    record_helpers.py ftp-feat-client PORT
    record_helpers.py pop3-sasl-server PORT   record_helpers.py pop3-sasl-client PORT
    record_helpers.py imap-auth-server PORT   record_helpers.py imap-auth-client PORT
    record_helpers.py h2c-auth-server PORT    record_helpers.py h2c-auth-client PORT   (python3-h2)
    record_helpers.py h2c-content-server PORT record_helpers.py h2c-content-client PORT (python3-h2)

Mail content (record.sh's "mailcontent" set, RECORD_ONLY=mailcontent):

    record_helpers.py mail-smtp-server PORT   record_helpers.py mail-smtp-client PORT
    record_helpers.py mail-pop3-server PORT   record_helpers.py mail-pop3-client PORT
    record_helpers.py mail-imap-server PORT   record_helpers.py mail-imap-client PORT

UTF-16 content (record.sh's "utf16content" set, RECORD_ONLY=utf16content):

    record_helpers.py utf16-http-server PORT  record_helpers.py utf16-http-client PORT
    record_helpers.py tds-server PORT         record_helpers.py tds-client PORT

NNTP (record.sh's "nntp" set, RECORD_ONLY=nntp):

    record_helpers.py nntp-server PORT        record_helpers.py nntp-client PORT

SAML (record.sh's "saml" set, RECORD_ONLY=saml; python3-pysaml2, xmlsec1):

    record_helpers.py saml-sp-server PORT     record_helpers.py saml-idp-server PORT SP_PORT
    record_helpers.py saml-browser IDP_PORT SP_PORT

RADIUS (record.sh's "radius" set, RECORD_ONLY=radius; python3-cryptography):

    record_helpers.py mschapv2-request USER PASSWORD EXPECT_FILE

WebSocket (record.sh's "websocket" set, RECORD_ONLY=websocket; python3-websockets):

    record_helpers.py websocket-server PORT   record_helpers.py websocket-client PORT
    record_helpers.py mqtt-ws-server PORT     record_helpers.py mqtt-ws-client PORT   (python3-paho-mqtt)

STOMP (record.sh's "stomp" set, RECORD_ONLY=stomp; RabbitMQ's STOMP and Web STOMP plugins as the broker):

    record_helpers.py stomp-client STOMP_PORT WEB_STOMP_PORT   (python3-stomp, python3-websockets)

TACACS+ (record.sh's "tacacs" set, RECORD_ONLY=tacacs; the client needs the
tacacs_plus library on PYTHONPATH):

    record_helpers.py tacacs-server PORT KEY|-
    record_helpers.py tacacs-client PORT key KEY|flag|none
"""
import hashlib
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

    def read_dot_stuffed(self):
        """The text a client sends up to the lone "." line (SMTP DATA, NNTP
        POST), dot-unstuffed, CRLFs kept."""
        got = []
        while True:
            raw = self.rfile.readline(4096)
            if not raw or raw == b".\r\n":
                return b"".join(got)
            got.append(raw[1:] if raw.startswith(b".") else raw)


class LoopbackTCPServer(socketserver.TCPServer):
    allow_reuse_address = True


def send_ok(handler, body, content_type, coding=None):
    """A 200 answer from an http.server handler: Content-Type, Content-Encoding
    when the body is compressed, Content-Length, then the body."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    if coding:
        handler.send_header("Content-Encoding", coding)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def serve_http(port, handler):
    """Serves `handler` (an http.server handler class) on 127.0.0.1:port until killed."""
    import http.server

    class Server(http.server.HTTPServer):
        allow_reuse_address = True

    with Server((HOST4, int(port)), handler) as httpd:
        httpd.serve_forever()


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
    MAIL = MAIL_LINES  # message 1, as lines without CRLF

    def handle(self):
        self.send("+OK POP3 ready <1896.697170952@plainsight.test>")
        user, authed = None, False
        size = sum(len(l) + 2 for l in self.MAIL)
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
                          *["." + l if l.startswith(".") else l for l in self.MAIL], ".")
            elif cmd == "NOOP":
                self.send("+OK")
            elif cmd == "QUIT":
                self.send("+OK POP3 server signing off")
                return
            else:
                self.send("-ERR unknown command or not authenticated")


def pop3_login(port):
    """poplib, logged in with USER/PASS (printing the greeting and replies)."""
    import poplib
    p = poplib.POP3(HOST4, int(port), timeout=TIMEOUT)
    print(p.getwelcome().decode())
    print(p.user(FAKE_USER).decode())
    print(p.pass_(FAKE_PASS).decode())
    return p


def pop3_client(port):
    p = pop3_login(port)
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
            elif not self.command(tag, cmd, arg):
                self.send("%s BAD command not supported here" % tag)

    def command(self, tag, cmd, arg):
        """A command after LOGIN other than NOOP and LOGOUT; True when answered (none here)."""
        return False


def imap_login(port):
    """imaplib, logged in with LOGIN (printing the greeting and the reply)."""
    import imaplib
    m = imaplib.IMAP4(HOST4, int(port), timeout=TIMEOUT)
    print(m.welcome.decode())
    print(m.login(FAKE_USER, FAKE_PASS))
    return m


def imap_client(port):
    m = imap_login(port)
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
def ftp_server(port, pasv_lo, pasv_hi, directory, certfile=None, keyfile=None):
    # With CERT and KEY: pyftpdlib's TLS_FTPHandler (needs python3-openssl), so
    # FEAT advertises AUTH TLS / AUTH SSL / PBSZ / PROT; TLS stays optional
    # (tls_control_required False), so a client may still log in in clear.
    import logging
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    logging.basicConfig(level=logging.INFO)
    auth = DummyAuthorizer()
    auth.add_user(FAKE_USER, FAKE_PASS, directory, perm="elr")  # read-only
    handler = FTPHandler
    if certfile:
        from pyftpdlib.handlers import TLS_FTPHandler
        handler = TLS_FTPHandler
        handler.certfile = certfile
        handler.keyfile = keyfile
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


def ftp_data_client(port, active_port, extended_active_port):
    # ftp-data.pcap: one download (RETR readme.txt) over each kind of data
    # connection: PASV (227), PORT, EPSV (229) and EPRT |1| (RFC 959, RFC 2428).
    # The active ones listen on fixed ports, so the capture filter keeps them.
    import ftplib
    import socket
    ftp = ftplib.FTP(timeout=TIMEOUT)
    print(ftp.connect(HOST4, int(port)))
    print(ftp.login(FAKE_USER, FAKE_PASS))
    print(ftp.voidcmd("TYPE I"))
    chunks = []

    def receive(conn):
        chunks.append(conn.makefile("rb").read())
        conn.close()
        print(ftp.voidresp())

    host, dport = ftplib.parse227(ftp.sendcmd("PASV"))
    conn = socket.create_connection((host, dport), timeout=TIMEOUT)
    print(ftp.sendcmd("RETR readme.txt"))
    receive(conn)
    for announce, lport in ((ftp.sendport, active_port), (ftp.sendeprt, extended_active_port)):
        listener = socket.create_server((HOST4, int(lport)))
        print(announce(HOST4, int(lport)))
        print(ftp.sendcmd("RETR readme.txt"))
        conn, _ = listener.accept()
        listener.close()
        receive(conn)
        if announce == ftp.sendport:
            host, dport = ftplib.parse229(ftp.sendcmd("EPSV"), ftp.sock.getpeername())
            conn = socket.create_connection((host, dport), timeout=TIMEOUT)
            print(ftp.sendcmd("RETR readme.txt"))
            receive(conn)
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


# ------------------------------------------------------- TLS: GnuTLS server
# OpenSSL 3.0 as built by Debian has no 3DES (nor RC4) TLS cipher suites, so the
# DES-CBC3-SHA connection of tls12-weak-ciphers.pcap is served by GnuTLS (the
# Debian libgnutls30 that gnutls-cli uses). gnutls-serv itself cannot be told
# to listen on 127.0.0.1 only (it binds every address), hence this small
# ctypes server: one client, each line answered reversed (like s_server -rev),
# close_notify answered with close_notify.
def gnutls_server(port, certfile, keyfile, priority):
    import ctypes
    import ctypes.util
    import signal

    signal.alarm(60)  # never outlive the recording
    lib = ctypes.CDLL(ctypes.util.find_library("gnutls") or "libgnutls.so.30")
    lib.gnutls_strerror.restype = ctypes.c_char_p
    lib.gnutls_strerror.argtypes = [ctypes.c_int]
    lib.gnutls_session_get_desc.restype = ctypes.c_char_p
    lib.gnutls_session_get_desc.argtypes = [ctypes.c_void_p]
    lib.gnutls_record_recv.restype = ctypes.c_ssize_t
    lib.gnutls_record_recv.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    lib.gnutls_record_send.restype = ctypes.c_ssize_t
    lib.gnutls_record_send.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    for fn in ("gnutls_handshake", "gnutls_bye", "gnutls_credentials_set",
               "gnutls_priority_set_direct", "gnutls_transport_set_int2",
               "gnutls_error_is_fatal"):
        getattr(lib, fn).restype = ctypes.c_int
    lib.gnutls_handshake.argtypes = [ctypes.c_void_p]
    lib.gnutls_bye.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.gnutls_credentials_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.gnutls_priority_set_direct.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                               ctypes.POINTER(ctypes.c_char_p)]
    lib.gnutls_transport_set_int2.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.gnutls_error_is_fatal.argtypes = [ctypes.c_int]
    GNUTLS_SERVER, GNUTLS_CRD_CERTIFICATE, GNUTLS_X509_FMT_PEM, GNUTLS_SHUT_WR = 1, 1, 1, 1

    def check(ret, what):
        if ret < 0:
            sys.exit("gnutls %s: %s" % (what, lib.gnutls_strerror(ret).decode()))
        return ret

    check(lib.gnutls_global_init(), "global_init")
    cred = ctypes.c_void_p()
    check(lib.gnutls_certificate_allocate_credentials(ctypes.byref(cred)), "credentials")
    check(lib.gnutls_certificate_set_x509_key_file(
        cred, certfile.encode(), keyfile.encode(), GNUTLS_X509_FMT_PEM), "certificate")

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST4, int(port)))
    listener.listen(1)
    conn, peer = listener.accept()
    listener.close()  # one client only

    session = ctypes.c_void_p()
    check(lib.gnutls_init(ctypes.byref(session), GNUTLS_SERVER), "init")
    errpos = ctypes.c_char_p()
    check(lib.gnutls_priority_set_direct(session, priority.encode(), ctypes.byref(errpos)),
          "priority %r" % priority)
    check(lib.gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, cred), "credentials_set")
    lib.gnutls_transport_set_int2(session, conn.fileno(), conn.fileno())
    while True:
        ret = lib.gnutls_handshake(session)
        if ret >= 0 or lib.gnutls_error_is_fatal(ret):
            break
    check(ret, "handshake")
    print("handshake with %s:%d: %s" % (peer[0], peer[1],
                                         lib.gnutls_session_get_desc(session).decode()), flush=True)
    buf = ctypes.create_string_buffer(4096)
    pending = b""
    while True:
        n = lib.gnutls_record_recv(session, buf, len(buf))
        if n == 0:          # the client's close_notify
            break
        if n < 0:
            if lib.gnutls_error_is_fatal(n):
                sys.exit("gnutls recv: %s" % lib.gnutls_strerror(n).decode())
            continue
        pending += buf.raw[:n]
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            line = line.rstrip(b"\r")
            print("received %r" % line, flush=True)
            reply = line[::-1] + b"\n"
            check(lib.gnutls_record_send(session, reply, len(reply)), "send")
    lib.gnutls_bye(session, GNUTLS_SHUT_WR)  # our close_notify
    conn.close()


# ------------------------------------------------- TLS: STARTTLS servers/clients
FAKE_SNI = "plainsight.test"


def server_tls_context(certfile, keyfile, max_version=None):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    if max_version == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2

    def sni(sock, name, _ctx):
        print("SNI %r" % name, flush=True)
    ctx.sni_callback = sni
    return ctx


def client_tls_context(cafile):
    """A verifying client context that always sends SNI plainsight.test.

    The clients connect to 127.0.0.1 (no name resolution), and smtplib,
    imaplib, poplib and ftplib pass their host as server_hostname, so the
    name is put in here: it is sent as SNI and checked against the certificate.
    """
    import ssl

    class SNIContext(ssl.SSLContext):
        def wrap_socket(self, sock, *args, **kwargs):
            kwargs["server_hostname"] = FAKE_SNI
            return super().wrap_socket(sock, *args, **kwargs)

    ctx = SNIContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies chain and host name
    ctx.load_verify_locations(cafile)
    return ctx


def describe_tls(sock):
    return "%s %s (peer certificate subject %s)" % (
        sock.version(), sock.cipher()[0], dict(x[0] for x in sock.getpeercert()["subject"]))


class StartTLSHandler(LineHandler):
    """Line-based handler that can switch the connection to TLS mid-stream."""
    TLS_MAX = None      # "1.2" to cap the server at TLS 1.2 (certificate visible)
    tls = None

    def send(self, *lines):
        data = b"".join(l.encode("ascii") + b"\r\n" for l in lines)
        if self.tls is not None:
            self.tls.sendall(data)
        else:
            self.wfile.write(data)
            self.wfile.flush()

    def start_tls(self):
        # The client sends its ClientHello only after our "go ahead" reply,
        # so nothing is left in the cleartext read buffer.
        ctx = server_tls_context(self.server.certfile, self.server.keyfile, self.TLS_MAX)
        self.tls = ctx.wrap_socket(self.connection, server_side=True)
        self.rfile = self.tls.makefile("rb")
        print("TLS established: %s %s" % (self.tls.version(), self.tls.cipher()[0]), flush=True)

    def finish(self):
        super().finish()
        if self.tls is not None:
            self.tls.close()  # FIN; like the cleartext servers, no close_notify


class StartTLSServer(LoopbackTCPServer):
    def __init__(self, port, handler, certfile, keyfile):
        self.certfile, self.keyfile = certfile, keyfile
        super().__init__((HOST4, int(port)), handler)


class StartTLSSMTPHandler(StartTLSHandler):
    TLS_MAX = "1.2"

    def handle(self):
        self.send("220 mail.plainsight.test ESMTP PlainSight test server")
        for line in self.lines():
            cmd, _, arg = line.partition(" ")
            cmd = cmd.upper()
            if cmd in ("EHLO", "HELO"):
                exts = ["SIZE 10240000", "8BITMIME"]
                if self.tls is None:
                    exts.append("STARTTLS")
                exts.append("HELP")
                self.send("250-mail.plainsight.test Hello %s" % arg,
                          *["250-" + e for e in exts[:-1]], "250 " + exts[-1])
            elif cmd == "STARTTLS" and self.tls is None:
                self.send("220 Ready to start TLS")
                self.start_tls()
            elif cmd == "MAIL":
                self.send("250 OK")
            elif cmd == "RCPT":
                self.send("250 OK")
            elif cmd == "DATA":
                self.send("354 End data with <CR><LF>.<CR><LF>")
                for body in self.lines():
                    if body == ".":
                        break
                self.send("250 OK: queued as PS0001")
            elif cmd == "NOOP":
                self.send("250 OK")
            elif cmd == "QUIT":
                self.send("221 Bye")
                return
            else:
                self.send("502 Command not implemented")


def starttls_smtp_client(port, cafile):
    import smtplib
    from email.message import EmailMessage
    msg = EmailMessage()
    msg["From"] = "Alice Example <alice@plainsight.test>"
    msg["To"] = "Bob Example <bob@plainsight.test>"
    msg["Subject"] = "PlainSight loopback STARTTLS test"
    msg["Message-ID"] = "<loopback-test-3@plainsight.test>"
    msg.set_content("Hello Bob,\nthis harmless test message went through STARTTLS "
                    "on the loopback interface.\n-- Alice\n")
    with smtplib.SMTP(HOST4, int(port), local_hostname="client.plainsight.test",
                      timeout=TIMEOUT) as s:
        s.set_debuglevel(1)
        s.ehlo()
        print(s.starttls(context=client_tls_context(cafile)))
        print(describe_tls(s.sock))
        s.ehlo()
        s.send_message(msg)
        s.quit()


class StartTLSIMAPHandler(StartTLSHandler):
    def handle(self):
        self.send("* OK IMAP4rev1 PlainSight test server ready")
        for line in self.lines():
            tag, _, rest = line.partition(" ")
            cmd, _, arg = rest.partition(" ")
            cmd = cmd.upper()
            caps = ("IMAP4rev1 AUTH=PLAIN" if self.tls is not None
                    else "IMAP4rev1 STARTTLS LOGINDISABLED")
            if not tag or not cmd:
                self.send("* BAD empty command")
            elif cmd == "CAPABILITY":
                self.send("* CAPABILITY " + caps, "%s OK CAPABILITY completed" % tag)
            elif cmd == "STARTTLS" and self.tls is None:
                self.send("%s OK Begin TLS negotiation now" % tag)
                self.start_tls()
            elif cmd == "LOGIN" and self.tls is not None:
                args = [a.strip('"') for a in arg.split(" ")]
                if args == [FAKE_USER, FAKE_PASS]:
                    self.send("%s OK [CAPABILITY %s] LOGIN completed" % (tag, caps))
                else:
                    self.send("%s NO [AUTHENTICATIONFAILED] Invalid credentials" % tag)
            elif cmd == "LOGIN":
                self.send("%s NO [PRIVACYREQUIRED] LOGIN only after STARTTLS" % tag)
            elif cmd == "NOOP":
                self.send("%s OK NOOP completed" % tag)
            elif cmd == "LOGOUT":
                self.send("* BYE IMAP4rev1 server logging out", "%s OK LOGOUT completed" % tag)
                return
            else:
                self.send("%s BAD command not supported here" % tag)


def starttls_imap_client(port, cafile):
    import imaplib
    m = imaplib.IMAP4(HOST4, int(port), timeout=TIMEOUT)
    print(m.welcome.decode())
    print(m.starttls(ssl_context=client_tls_context(cafile)))
    print(describe_tls(m.sock))
    print(m.login(FAKE_USER, FAKE_PASS))
    print(m.noop())
    print(m.logout())


class StartTLSPOP3Handler(StartTLSHandler):
    TLS_MAX = "1.2"

    def handle(self):
        self.send("+OK POP3 PlainSight test server ready")
        user, authed = None, False
        for line in self.lines():
            cmd, _, arg = line.partition(" ")
            cmd = cmd.upper()
            if cmd == "CAPA":
                caps = ["USER", "UIDL", "TOP"] if self.tls is not None else ["STLS", "UIDL", "TOP"]
                self.send("+OK Capability list follows", *caps, ".")
            elif cmd == "STLS" and self.tls is None:
                self.send("+OK Begin TLS negotiation")
                self.start_tls()
            elif cmd == "USER" and self.tls is not None:
                user = arg
                self.send("+OK send PASS")
            elif cmd == "PASS" and self.tls is not None:
                if user == FAKE_USER and arg == FAKE_PASS:
                    authed = True
                    self.send("+OK %s has 0 messages (0 octets)" % user)
                else:
                    self.send("-ERR [AUTH] invalid user name or password")
            elif cmd == "STAT" and authed:
                self.send("+OK 0 0")
            elif cmd == "QUIT":
                self.send("+OK POP3 server signing off")
                return
            else:
                self.send("-ERR command not valid here")


def starttls_pop3_client(port, cafile):
    import poplib
    p = poplib.POP3(HOST4, int(port), timeout=TIMEOUT)
    print(p.getwelcome().decode())
    print(p.stls(context=client_tls_context(cafile)).decode())
    print(describe_tls(p.sock))
    print(p.user(FAKE_USER).decode())
    print(p.pass_(FAKE_PASS).decode())
    print("STAT", p.stat())
    print(p.quit().decode())


class FTPTLSHandler(StartTLSHandler):
    def handle(self):
        self.send("220 PlainSight FTP test server ready")
        user, authed = None, False
        for line in self.lines():
            cmd, _, arg = line.partition(" ")
            cmd = cmd.upper()
            if cmd == "AUTH" and arg.upper() in ("TLS", "SSL") and self.tls is None:
                self.send("234 AUTH TLS successful")
                self.start_tls()
            elif cmd == "USER":
                user = arg
                self.send("331 Username ok, send password.")
            elif cmd == "PASS":
                if user == FAKE_USER and arg == FAKE_PASS:
                    authed = True
                    self.send("230 Login successful.")
                else:
                    self.send("530 Authentication failed.")
            elif cmd == "PBSZ":
                self.send("200 PBSZ=0 successful.")
            elif cmd == "PROT":
                self.send("200 Protection set to %s" % ("Private" if arg.upper() == "P" else "Clear"))
            elif cmd == "SYST":
                self.send("215 UNIX Type: L8")
            elif cmd == "PWD" and authed:
                self.send('257 "/" is the current directory.')
            elif cmd == "QUIT":
                self.send("221 Goodbye.")
                return
            else:
                self.send("530 Log in with USER and PASS first." if not authed
                          else "502 Command not implemented.")


def ftp_tls_client(port, cafile):
    import ftplib
    ftp = ftplib.FTP_TLS(context=client_tls_context(cafile), timeout=TIMEOUT)
    print(ftp.connect(HOST4, int(port)))
    print(ftp.auth())               # AUTH TLS, then the TLS handshake
    print(describe_tls(ftp.sock))
    print(ftp.login(FAKE_USER, FAKE_PASS))
    print(ftp.prot_p())             # PBSZ 0 + PROT P
    print(ftp.pwd())
    print(ftp.quit())


# ------------------------------------------- cleartext authentication (new set)
# Credentials sent in clear, accepted and refused, on plain connections.
WRONG_PASS = "wrong-password"
# A made-up JWT: base64url {"alg":"HS256","typ":"JWT"} . base64url
# {"sub":"demo","name":"PlainSight Demo","iat":1700000000,"exp":1700003600}
# . base64url "fake-signature-not-a-real-hmac!!" (not a real HMAC).
FAKE_JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
            ".eyJzdWIiOiJkZW1vIiwibmFtZSI6IlBsYWluU2lnaHQgRGVtbyIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ"
            ".ZmFrZS1zaWduYXR1cmUtbm90LWEtcmVhbC1obWFjISE")
FAKE_API_KEY = "demo-api-key-0123456789abcdef"
FAKE_SESSION = "5f2b9c0e7d4a4e1f9a3c6b8d2e7f1a0c"   # fixed, so tests can look for it
RESET_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Account help</title></head>\n"
    "<body><h1>Forgot your password?</h1>\n"
    "<p>Enter your e-mail address and we will send you a link to choose a new password.</p>\n"
    "<form method=\"post\" action=\"/reset\"><input type=\"email\" name=\"email\"></form>\n"
    "</body></html>\n")


def http_auth_server(port):
    """HTTP/1.1 (keep-alive) server that checks the fake credentials.

    GET /basic      Basic demo:demo-password -> 200, else 401 + WWW-Authenticate
    GET /bearer     Bearer FAKE_JWT -> 200, else 401 (WWW-Authenticate: Bearer)
    GET /apikey     X-API-Key FAKE_API_KEY -> 200, else 401
    POST /login     form username=demo&password=demo-password -> 302 + Set-Cookie
    GET /account    Cookie sessionid=FAKE_SESSION -> 200, else 302 to /login
    GET /reset.html an HTML page that merely mentions "password" -> 200
    Every reply has a Content-Length, so 401s keep the connection open.
    """
    import base64
    import http.server
    import urllib.parse

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "PlainSightTest/1.0"

        def reply(self, code, body, ctype="text/plain; charset=utf-8", headers=()):
            data = body.encode("utf-8")
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def unauthorized(self, scheme):
            self.reply(401, "401 Unauthorized: valid credentials required\n",
                       headers=[("WWW-Authenticate", scheme + ' realm="plainsight"')])

        def do_GET(self):
            auth = self.headers.get("Authorization", "")
            if self.path == "/basic":
                ok = False
                if auth.startswith("Basic "):
                    try:
                        ok = base64.b64decode(auth[6:]).decode() == FAKE_USER + ":" + FAKE_PASS
                    except ValueError:
                        pass
                if ok:
                    self.reply(200, "Hello demo: Basic authentication accepted\n")
                else:
                    self.unauthorized("Basic")
            elif self.path == "/bearer":
                if auth == "Bearer " + FAKE_JWT:
                    self.reply(200, '{"user":"demo","scheme":"bearer","ok":true}\n',
                               ctype="application/json")
                else:
                    self.unauthorized("Bearer")
            elif self.path == "/apikey":
                if self.headers.get("X-API-Key") == FAKE_API_KEY:
                    self.reply(200, '{"user":"demo","scheme":"api-key","ok":true}\n',
                               ctype="application/json")
                else:
                    self.unauthorized("ApiKey")
            elif self.path == "/account":
                cookies = dict(c.strip().partition("=")[::2]
                               for c in self.headers.get("Cookie", "").split(";") if "=" in c)
                if cookies.get("sessionid") == FAKE_SESSION:
                    self.reply(200, "<!DOCTYPE html>\n<html><body><p>Signed in as demo "
                               "(theme %s).</p></body></html>\n" % cookies.get("theme", "light"),
                               ctype="text/html; charset=utf-8")
                else:
                    self.reply(302, "", headers=[("Location", "/login")])
            elif self.path == "/reset.html":
                self.reply(200, RESET_PAGE, ctype="text/html; charset=utf-8")
            else:
                self.reply(404, "404 Not Found\n")

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(n).decode("ascii", "replace"))
            if (self.path == "/login" and form.get("username") == [FAKE_USER]
                    and form.get("password") == [FAKE_PASS]):
                self.reply(302, "", headers=[
                    ("Location", "/account"),
                    ("Set-Cookie", "sessionid=%s; Path=/; HttpOnly" % FAKE_SESSION)])
            else:
                self.reply(401, "401 Unauthorized: login failed\n")

    class Server(http.server.ThreadingHTTPServer):
        allow_reuse_address = True

    with Server((HOST4, int(port)), Handler) as httpd:
        httpd.serve_forever()


def http_auth_client(port):
    """curl, one invocation (= one TCP connection) per step; see README."""
    import subprocess
    u = "http://%s:%d" % (HOST4, int(port))
    curl = ["curl", "--http1.1", "-sS", "--max-time", "10", "--noproxy", "*",
            "-o", "/dev/null", "-w", "%{http_code} %{method} %{url_effective} connects=%{num_connects}\\n"]
    steps = [
        # (a) Basic, right password -> 200
        ["-u", "%s:%s" % (FAKE_USER, FAKE_PASS), u + "/basic"],
        # (b) Basic, wrong password -> 401
        ["-u", "%s:%s" % (FAKE_USER, WRONG_PASS), u + "/basic"],
        # (c) no credentials -> 401 challenge, then (h) a page that mentions "password"
        [u + "/basic", "-o", "/dev/null", u + "/reset.html"],
        # (d) Bearer token (made-up JWT) -> 200
        ["-H", "Authorization: Bearer " + FAKE_JWT, u + "/bearer"],
        # (e) API key header -> 200
        ["-H", "X-API-Key: " + FAKE_API_KEY, u + "/apikey"],
        # (f) form login -> 302 + Set-Cookie, then (g) the session cookie -> 200
        ["-d", "username=%s&password=%s" % (FAKE_USER, FAKE_PASS), u + "/login",
         "--next", "-o", "/dev/null", "-w", "%{http_code} %{method} %{url_effective} connects=%{num_connects}\\n",
         "-H", "Cookie: sessionid=%s; theme=dark" % FAKE_SESSION, u + "/account"],
    ]
    for args in steps:
        out = subprocess.run(curl + args, check=True, capture_output=True, text=True).stdout
        print(out, end="", flush=True)


FAKE_H2C_TOKEN = "h2c-demo-token-7f3a9c1e5b"
FAKE_GRPC_TOKEN = "grpc-demo-token-2d8e6a4f0c"


def serve_h2c(port, answer):
    """An h2c server on 127.0.0.1 with the python h2 library: prior knowledge
    or HTTP/1.1 Upgrade: h2c (RFC 7540 3.2: the request becomes stream 1);
    answer(conn, stream_id, headers) answers each request once it ended."""
    import h2.config
    import h2.connection
    import h2.events

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            sock = self.request
            sock.settimeout(TIMEOUT)
            conn = h2.connection.H2Connection(
                config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
            data = b""
            while len(data) < 24 and b"\r\n\r\n" not in data:
                more = sock.recv(65536)
                if not more:
                    return
                data += more
            requests = {}
            if data.startswith(b"PRI * HTTP/2.0"):
                conn.initiate_connection()
            else:
                # HTTP/1.1 Upgrade: h2c (RFC 7540 3.2): the request becomes stream 1
                head, _, data = data.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                fields = dict((k.strip().lower(), v.strip()) for k, _, v in
                              (line.partition(":") for line in lines[1:]))
                sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
                conn.initiate_upgrade_connection(fields["http2-settings"])
                fields.update({":method": method, ":path": path})
                answer(conn, 1, fields)
            sock.sendall(conn.data_to_send())
            while True:
                for event in conn.receive_data(data) if data else []:
                    if isinstance(event, h2.events.RequestReceived):
                        requests[event.stream_id] = dict(event.headers)
                    if isinstance(event, h2.events.DataReceived):
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    if isinstance(event, h2.events.StreamEnded) and event.stream_id in requests:
                        answer(conn, event.stream_id, requests.pop(event.stream_id))
                sock.sendall(conn.data_to_send())
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return

    LoopbackTCPServer.allow_reuse_address = True
    with LoopbackTCPServer((HOST4, int(port)), Handler) as srv:
        srv.serve_forever()


def h2c_auth_server(port):
    """HTTP/2 in clear (h2c) with the python h2 library, prior knowledge or
    HTTP/1.1 Upgrade: h2c. It checks the fake credentials:

    /bearer     authorization: Bearer FAKE_H2C_TOKEN -> 200, else 401
    /apikey     x-api-key FAKE_API_KEY -> 200, else 401
    /plainsight.Demo/Get (content-type application/grpc): :status 200, then
                trailers grpc-status 0 for Bearer FAKE_GRPC_TOKEN, else 16 (UNAUTHENTICATED)
    """
    def answer(conn, sid, headers):
        path = headers.get(":path", "")
        auth = headers.get("authorization", "")
        if headers.get("content-type", "").startswith("application/grpc"):
            ok = auth == "Bearer " + FAKE_GRPC_TOKEN
            conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc")])
            conn.send_data(sid, b"\x00\x00\x00\x00\x00")
            conn.send_headers(sid, [("grpc-status", "0" if ok else "16")] +
                              ([] if ok else [("grpc-message", "invalid token")]), end_stream=True)
            return
        if path == "/bearer":
            ok = auth == "Bearer " + FAKE_H2C_TOKEN
        elif path == "/apikey":
            ok = headers.get("x-api-key") == FAKE_API_KEY
        else:
            ok = False
        body = b'{"ok":true}\n' if ok else b"401 Unauthorized\n"
        conn.send_headers(sid, [(":status", "200" if ok else "401"), ("content-type", "text/plain"),
                                ("content-length", str(len(body)))] +
                          ([] if ok else [("www-authenticate", 'Bearer realm="plainsight"')]))
        conn.send_data(sid, body, end_stream=True)

    serve_h2c(port, answer)


def h2c_auth_client(port):
    """curl, one connection per step: prior knowledge with the right and a
    wrong bearer token, the HTTP/1.1 Upgrade with an API key, and a gRPC-style
    POST whose trailers say UNAUTHENTICATED."""
    import subprocess
    u = "http://%s:%d" % (HOST4, int(port))
    curl = ["curl", "-sS", "--max-time", "10", "--noproxy", "*", "-o", "/dev/null",
            "-w", "%{http_code} %{http_version} %{url_effective}\\n"]
    steps = [
        ["--http2-prior-knowledge", "-H", "Authorization: Bearer " + FAKE_H2C_TOKEN, u + "/bearer"],
        ["--http2-prior-knowledge", "-H", "Authorization: Bearer wrong-h2c-token", u + "/bearer"],
        ["--http2", "-H", "X-API-Key: " + FAKE_API_KEY, u + "/apikey"],
        ["--http2-prior-knowledge", "-H", "Content-Type: application/grpc", "-H", "TE: trailers",
         "-H", "Authorization: Bearer wrong-grpc-token", "--data-binary", "@-", u + "/plainsight.Demo/Get"],
    ]
    for step in steps:
        out = subprocess.run(curl + step, input=b"\x00\x00\x00\x00\x00", capture_output=True, check=True)
        sys.stdout.write(out.stdout.decode())


def smtp_auth_server(port, certfile, keyfile):
    # aiosmtpd with AUTH allowed before TLS (auth_require_tls=False) and a TLS
    # context, so EHLO advertises STARTTLS and AUTH; the client uses neither
    # STARTTLS nor TLS. Accepts demo/demo-password only.
    import asyncio
    import ssl
    from aiosmtpd.handlers import Sink
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == FAKE_USER.encode()
              and auth_data.password == FAKE_PASS.encode())
        print("AUTH %s %r -> %s" % (mechanism, auth_data, ok), flush=True)
        # handled=False: aiosmtpd itself answers 235 or 535
        return AuthResult(success=ok, handled=False)

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(Sink(), hostname="mail.plainsight.test", tls_context=ctx,
                         require_starttls=False, auth_require_tls=False,
                         authenticator=authenticator),
            host=HOST4, port=int(port), reuse_address=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def smtp_auth_client(port):
    import smtplib
    from email.message import EmailMessage
    msg = EmailMessage()
    msg["From"] = "Demo User <demo@plainsight.test>"
    msg["To"] = "Bob Example <bob@plainsight.test>"
    msg["Subject"] = "PlainSight loopback AUTH test"
    msg["Message-ID"] = "<loopback-test-4@plainsight.test>"
    msg.set_content("Hello Bob,\nthis harmless test message was sent after AUTH PLAIN "
                    "without TLS.\n-- Demo\n")
    # 1: AUTH PLAIN (initial response) accepted, one mail, QUIT
    s = smtplib.SMTP(HOST4, int(port), local_hostname="client.plainsight.test", timeout=TIMEOUT)
    s.set_debuglevel(1)
    s.ehlo()
    if not s.has_extn("starttls") or "PLAIN" not in s.esmtp_features.get("auth", ""):
        sys.exit("server does not advertise STARTTLS and AUTH PLAIN")
    s.user, s.password = FAKE_USER, FAKE_PASS
    print(s.auth("PLAIN", s.auth_plain))            # 235
    s.send_message(msg)
    print(s.quit())
    # 2: AUTH LOGIN (no initial response: username and password each after a 334) refused
    s = smtplib.SMTP(HOST4, int(port), local_hostname="client.plainsight.test", timeout=TIMEOUT)
    s.set_debuglevel(1)
    s.ehlo()
    s.user, s.password = FAKE_USER, WRONG_PASS
    try:
        s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        sys.exit("AUTH LOGIN with the wrong password was accepted")
    except smtplib.SMTPAuthenticationError as e:
        print("refused as expected:", e.smtp_code, e.smtp_error)
    print(s.quit())


def ftp_rejected_client(port):
    import ftplib
    ftp = ftplib.FTP(timeout=TIMEOUT)
    print(ftp.connect(HOST4, int(port)))
    try:
        ftp.login(FAKE_USER, WRONG_PASS)        # USER, PASS -> 530
        sys.exit("FTP login with the wrong password was accepted")
    except ftplib.error_perm as e:
        print("refused as expected:", e)
    print(ftp.quit())


def ftp_feat_client(port):
    import ftplib
    ftp = ftplib.FTP(timeout=TIMEOUT)
    print(ftp.connect(HOST4, int(port)))
    feat = ftp.sendcmd("FEAT")
    print(feat)
    if "AUTH TLS" not in feat:
        sys.exit("server does not advertise AUTH TLS")
    print(ftp.login(FAKE_USER, FAKE_PASS))     # in clear: no AUTH TLS
    print(ftp.pwd())
    print(ftp.quit())


def sasl_plain(user, password):
    import base64
    return base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()


def parse_sasl_plain(b64):
    import base64
    try:
        parts = base64.b64decode(b64, validate=True).decode().split("\0")
    except ValueError:
        return None
    return parts[1:] if len(parts) == 3 else None


class POP3SASLHandler(LineHandler):
    """POP3 with CAPA listing STLS and SASL PLAIN; AUTH PLAIN (RFC 5034)."""

    def handle(self):
        self.send("+OK POP3 PlainSight test server ready")
        authed = False
        for line in self.lines():
            cmd, _, arg = line.partition(" ")
            cmd = cmd.upper()
            if cmd == "CAPA":
                self.send("+OK Capability list follows", "USER", "SASL PLAIN", "STLS",
                          "UIDL", "TOP", "RESP-CODES", "AUTH-RESP-CODE", ".")
            elif cmd == "AUTH":
                mech, _, initial = arg.partition(" ")
                if mech.upper() != "PLAIN":
                    self.send("-ERR unsupported SASL mechanism")
                    continue
                if not initial:
                    self.send("+ ")
                    initial = next(self.lines(), "")
                if parse_sasl_plain(initial) == [FAKE_USER, FAKE_PASS]:
                    authed = True
                    self.send("+OK demo authenticated, 0 messages")
                else:
                    self.send("-ERR [AUTH] authentication failed")
            elif cmd == "STAT" and authed:
                self.send("+OK 0 0")
            elif cmd == "QUIT":
                self.send("+OK POP3 server signing off")
                return
            else:
                self.send("-ERR command not valid here")


def pop3_sasl_client(port):
    import poplib
    p = poplib.POP3(HOST4, int(port), timeout=TIMEOUT)
    print(p.getwelcome().decode())
    caps = p.capa()
    print(caps)
    if "STLS" not in caps or "PLAIN" not in caps.get("SASL", []):
        sys.exit("server does not advertise STLS and SASL PLAIN")
    # poplib has no AUTH method: AUTH PLAIN with the initial response (RFC 5034)
    print(p._shortcmd("AUTH PLAIN " + sasl_plain(FAKE_USER, FAKE_PASS)).decode())
    print("STAT", p.stat())
    print(p.quit().decode())


class IMAPAuthHandler(LineHandler):
    """IMAP advertising STARTTLS and AUTH=PLAIN; AUTHENTICATE PLAIN and LOGIN in clear."""
    CAPS = "IMAP4rev1 STARTTLS AUTH=PLAIN"

    def handle(self):
        self.send("* OK IMAP4rev1 PlainSight test server ready")
        for line in self.lines():
            tag, _, rest = line.partition(" ")
            cmd, _, arg = rest.partition(" ")
            cmd = cmd.upper()
            if not tag or not cmd:
                self.send("* BAD empty command")
            elif cmd == "CAPABILITY":
                self.send("* CAPABILITY " + self.CAPS, "%s OK CAPABILITY completed" % tag)
            elif cmd == "AUTHENTICATE":
                mech, _, initial = arg.partition(" ")
                if mech.upper() != "PLAIN":
                    self.send("%s NO unsupported mechanism" % tag)
                    continue
                if not initial:
                    self.send("+ ")
                    initial = next(self.lines(), "")
                if parse_sasl_plain(initial) == [FAKE_USER, FAKE_PASS]:
                    self.send("%s OK [CAPABILITY IMAP4rev1] AUTHENTICATE completed" % tag)
                else:
                    self.send("%s NO [AUTHENTICATIONFAILED] Invalid credentials" % tag)
            elif cmd == "LOGIN":
                args = [a.strip('"') for a in arg.split(" ")]
                if args == [FAKE_USER, FAKE_PASS]:
                    self.send("%s OK [CAPABILITY IMAP4rev1] LOGIN completed" % tag)
                else:
                    self.send("%s NO [AUTHENTICATIONFAILED] Invalid credentials" % tag)
            elif cmd == "NOOP":
                self.send("%s OK NOOP completed" % tag)
            elif cmd == "LOGOUT":
                self.send("* BYE IMAP4rev1 server logging out", "%s OK LOGOUT completed" % tag)
                return
            else:
                self.send("%s BAD command not supported here" % tag)


def imap_auth_client(port):
    import imaplib
    # 1: AUTHENTICATE PLAIN (continuation, no SASL-IR) accepted, LOGOUT
    m = imaplib.IMAP4(HOST4, int(port), timeout=TIMEOUT)    # sends CAPABILITY
    print(m.welcome.decode(), m.capabilities)
    if "STARTTLS" not in m.capabilities or "AUTH=PLAIN" not in m.capabilities:
        sys.exit("server does not advertise STARTTLS and AUTH=PLAIN")
    print(m.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (FAKE_USER, FAKE_PASS)).encode()))
    print(m.logout())
    # 2: LOGIN with the wrong password refused, LOGOUT
    m = imaplib.IMAP4(HOST4, int(port), timeout=TIMEOUT)
    try:
        m.login(FAKE_USER, WRONG_PASS)
        sys.exit("IMAP LOGIN with the wrong password was accepted")
    except imaplib.IMAP4.error as e:
        print("refused as expected:", e)
    print(m.logout())


# ------------------------------------------------------------------- main
# ---------------------------------------------------------- content (PII, secrets)
# Fake values, each valid for its validator (scripts/content-rules/make_examples.py):
# a Luhn-valid Visa number that is no published test card, an SSN in the issued
# ranges, an AWS access key id and a GitHub token whose CRC32 checksum is right.
CONTENT_CARD = "4069006792188143"
CONTENT_SSN = "600-69-6960"
CONTENT_EMAIL = "dana.whitfield@corp-mail.io"
CONTENT_AWS_KEY = "AKIA2E4GQJ5NMWZRK7TP"
CONTENT_GITHUB_TOKEN = "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"


def content_server(port):
    """HTTP/1.1 on 127.0.0.1: POST /api/customers answers the customer record,
    gzip-compressed, with the e-mail address and the SSN; GET /deploy.env
    answers a plain-text file holding an AWS key id and a GitHub token."""
    import gzip
    import http.server
    import json

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, body, content_type, gzipped=False):
            if gzipped:
                send_ok(self, gzip.compress(body, mtime=0), content_type, "gzip")
            else:
                send_ok(self, body, content_type)

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            record = {"id": 4821, "name": "Dana Whitfield", "email": CONTENT_EMAIL, "ssn": CONTENT_SSN}
            self.reply(json.dumps(record).encode(), "application/json", gzipped=True)

        def do_GET(self):
            env = "AWS_ACCESS_KEY_ID=%s\nGITHUB_TOKEN=%s\nREGION=eu-west-1\n" % (CONTENT_AWS_KEY, CONTENT_GITHUB_TOKEN)
            self.reply(env.encode(), "text/plain")

        def log_message(self, *args):
            pass

    serve_http(port, Handler)


def content_client(port):
    """curl, one connection per request: a JSON order with the card number,
    then the deployment file."""
    import subprocess

    base = "http://%s:%s" % (HOST4, port)
    order = '{"customer":4821,"card_number":"%s","amount":"19.99"}' % CONTENT_CARD
    for args in (["-X", "POST", "-H", "Content-Type: application/json", "--data", order, "--compressed",
                  base + "/api/customers"],
                 [base + "/deploy.env"]):
        out = subprocess.run(["curl", "-sS", "--max-time", "10"] + args, capture_output=True, text=True, check=True)
        print(out.stdout)



def compressed_server(port):
    """HTTP/1.1 on 127.0.0.1 with the codings curl --compressed accepts
    besides gzip: GET /customers.json answers the customer record (e-mail
    address, SSN) brotli-compressed (Content-Encoding: br), GET /deploy.env
    the deployment file (AWS key id, GitHub token) zstd-compressed
    (Content-Encoding: zstd). The bodies are made by the brotli and zstd
    command-line tools (python has neither codec in its standard library)."""
    import http.server
    import json
    import subprocess

    def squeeze(command, body):
        return subprocess.run(command, input=body, capture_output=True, check=True).stdout

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            accepted = [c.strip() for c in self.headers.get("Accept-Encoding", "").split(",")]
            # A few KB each, so that the codecs code the literals too: no value
            # is left as it is on the wire (the README row says so, checked by grep).
            if self.path == "/customers.json":
                orders = [{"sku": "SKU-%04d" % (7 * k), "item": "widget model %d" % k, "qty": k % 5 + 1,
                           "price": "%d.%02d" % (k + 3, (k * 37) % 100)} for k in range(60)]
                record = {"id": 4821, "name": "Dana Whitfield", "orders": orders[:30], "email": CONTENT_EMAIL,
                          "ssn": CONTENT_SSN, "returns": orders[30:]}
                body, coding, media = json.dumps(record).encode(), "br", "application/json"
            else:
                env = "".join("FEATURE_%02d_ENABLED=%s\n" % (k, "true" if k % 3 else "false") for k in range(40))
                env += "AWS_ACCESS_KEY_ID=%s\nGITHUB_TOKEN=%s\nREGION=eu-west-1\n" % (CONTENT_AWS_KEY, CONTENT_GITHUB_TOKEN)
                env += "".join("WORKER_%02d_THREADS=%d\n" % (k, 2 + k % 7) for k in range(40))
                body, coding, media = env.encode(), "zstd", "text/plain"
            if coding not in accepted:
                self.send_error(406, "client does not accept %s" % coding)
                return
            send_ok(self, squeeze(["brotli", "-c"] if coding == "br" else ["zstd", "-c", "-q"], body), media, coding)

        def log_message(self, *args):
            pass

    serve_http(port, Handler)


def compressed_client(port):
    """curl --compressed (Accept-Encoding: deflate, gzip, br, zstd), both
    files over one keep-alive connection; curl decodes them, and the client
    checks that the values came through."""
    import subprocess

    base = "http://%s:%s" % (HOST4, port)
    out = subprocess.run(["curl", "-sS", "--fail", "--max-time", "10", "--compressed",
                          base + "/customers.json", base + "/deploy.env"],
                         capture_output=True, text=True, check=True).stdout
    for value in (CONTENT_EMAIL, CONTENT_SSN, CONTENT_AWS_KEY, CONTENT_GITHUB_TOKEN):
        if value not in out:
            sys.exit("curl did not decode %s" % value)
    print(out)
    print("decoded by curl: the br and zstd bodies hold the values")


def protobuf_field(number, value):
    """One length-delimited protobuf field (wire type 2): tag, varint length, bytes."""
    length, varint = len(value), b""
    while True:
        byte, length = length & 0x7F, length >> 7
        varint += bytes([byte | (0x80 if length else 0)])
        if not length:
            return bytes([number << 3 | 2]) + varint + value


def grpc_customer_request():
    """A Lookup request as protobuf (hand-encoded: python's grpcio needs no
    generated code for bytes): field 1 the customer's e-mail address,
    field 2 a note, field 3 forty order ids (so gzip has work to do)."""
    orders = b"".join(protobuf_field(3, b"ORD-%06d" % (7919 * k % 1000000)) for k in range(40))
    return protobuf_field(1, CONTENT_EMAIL.encode()) + protobuf_field(2, b"lookup by support agent") + orders


def grpc_customer_reply():
    """The reply: name, SSN, card number, then forty order lines."""
    lines = b"".join(protobuf_field(5, b"order %d shipped to warehouse %d" % (k, k % 7)) for k in range(40))
    return (protobuf_field(1, b"Dana Whitfield") + protobuf_field(2, CONTENT_SSN.encode())
            + protobuf_field(3, CONTENT_CARD.encode()) + lines)


def serve_grpc(port, service, method, request, reply, compression=None):
    """A gRPC server in clear (h2c) on python's grpcio: /service/method
    answers `reply` to the request it expects (it checks the bytes)."""
    from concurrent import futures
    import grpc

    def answer(got, context):
        if got != request:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "not the request as built")
        print("%s: the request as built" % method, flush=True)
        return reply

    handler = grpc.method_handlers_generic_handler(service, {method: grpc.unary_unary_rpc_method_handler(answer)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), compression=compression)
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port("%s:%s" % (HOST4, port))
    server.start()
    server.wait_for_termination()


def grpc_server(port):
    """/plainsight.Customers/Lookup with gzip compression."""
    import grpc

    serve_grpc(port, "plainsight.Customers", "Lookup", grpc_customer_request(), grpc_customer_reply(),
               grpc.Compression.Gzip)


def grpc_client(port):
    """One unary call with gzip compression; checks the reply."""
    import grpc

    with grpc.insecure_channel("%s:%s" % (HOST4, port), compression=grpc.Compression.Gzip) as channel:
        lookup = channel.unary_unary("/plainsight.Customers/Lookup")
        reply = lookup(grpc_customer_request(), timeout=10)
    if reply != grpc_customer_reply():
        sys.exit("not the reply as built")
    print("decoded by grpcio: the reply as built")


GRPC_FRAME = 16384  # HTTP/2's default SETTINGS_MAX_FRAME_SIZE: grpcio's DATA frames hold at most this


def grpc_plain_request():
    """An Upload request (protobuf, hand-encoded) of about 40 KB: field 1 a
    note padded so that field 2, the GitHub token, starts 20 bytes before
    the end of the first DATA frame (its payload: the 5-byte message prefix,
    then the message), field 3 the rest of the upload."""
    note_header = 3  # tag, two-byte varint length
    token_at = GRPC_FRAME - 5 - 20
    note = b"upload notes " + b"." * (token_at - note_header - 2 - 13)
    return (protobuf_field(1, note) + protobuf_field(2, CONTENT_GITHUB_TOKEN.encode())
            + protobuf_field(3, b"chunk data " * 2200))


def grpc_plain_reply():
    """The reply: the customer record (name, e-mail address, SSN)."""
    return (protobuf_field(1, b"Dana Whitfield") + protobuf_field(2, CONTENT_EMAIL.encode())
            + protobuf_field(3, CONTENT_SSN.encode()))


def grpc_plain_server(port):
    """/plainsight.Files/Upload without compression (grpcio's default)."""
    serve_grpc(port, "plainsight.Files", "Upload", grpc_plain_request(), grpc_plain_reply())


def grpc_plain_client(port):
    """A gRPC client on the python h2 library: grpcio's own client sends a
    message in one DATA frame as large as its server allows (4 MiB), where
    grpc-go, Envoy and most servers keep HTTP/2's default 16 KiB frames. One
    unary call, the request in 16 KiB DATA frames; checks the reply and
    grpc-status 0."""
    import socket

    import h2.config
    import h2.connection
    import h2.events

    sock = socket.create_connection((HOST4, int(port)), timeout=TIMEOUT)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    request = grpc_plain_request()
    body = b"\0" + len(request).to_bytes(4, "big") + request
    conn.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":path", "/plainsight.Files/Upload"),
                          (":authority", "%s:%s" % (HOST4, port)), ("content-type", "application/grpc"),
                          ("te", "trailers")])
    for k in range(0, len(body), GRPC_FRAME):
        conn.send_data(1, body[k:k + GRPC_FRAME], end_stream=k + GRPC_FRAME >= len(body))
    sock.sendall(conn.data_to_send())
    reply, status, ended = b"", None, False
    while not ended:
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.DataReceived):
                reply += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.TrailersReceived):
                status = dict(event.headers).get("grpc-status")
            elif isinstance(event, h2.events.StreamEnded):
                ended = True
        sock.sendall(conn.data_to_send())
    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()
    if status != "0" or reply[5:] != grpc_plain_reply():
        sys.exit("not the reply as built: grpc-status %s" % status)
    print("decoded by the client: the reply as built")


def grpc_web_frame(flags, payload):
    """A gRPC-Web frame: flags (0x80: trailers), 4-byte big-endian length, payload."""
    return bytes([flags]) + len(payload).to_bytes(4, "big") + payload


def grpc_web_server(port):
    """gRPC-Web over HTTP/1.1 as a proxy such as Envoy answers a browser:
    POST /plainsight.Customers/Find with application/grpc-web-text; the
    request (base64) must hold the expected message; the response is
    chunked, base64 per frame (the message, then the trailers frame, each
    padded): the card number and the SSN."""
    import base64
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = grpc_web_frame(0, grpc_web_request())
            ok = (self.headers.get("Content-Type") == "application/grpc-web-text"
                  and base64.b64decode(body) == expected)
            print("Find: %s" % ("the request as built" if ok else "unexpected"), flush=True)
            reply = grpc_web_frame(0, protobuf_field(1, b"Dana Whitfield") + protobuf_field(2, CONTENT_CARD.encode())
                                   + protobuf_field(3, CONTENT_SSN.encode()))
            trailers = grpc_web_frame(0x80, b"grpc-status:%d\r\ngrpc-message:\r\n" % (0 if ok else 3))
            self.send_response(200)
            self.send_header("Content-Type", "application/grpc-web-text+proto")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for frame in (reply, trailers):
                chunk = base64.b64encode(frame)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")

        def log_message(self, *args):
            pass

    http.server.HTTPServer((HOST4, int(port)), Handler).serve_forever()


def grpc_web_request():
    """The Find request: the customer's e-mail address and the AWS key id."""
    return protobuf_field(1, CONTENT_EMAIL.encode()) + protobuf_field(2, CONTENT_AWS_KEY.encode())


def grpc_web_client(port):
    """curl posts the base64 request as grpc-web's JavaScript client does
    (mode grpcwebtext, its default); the client decodes the reply and
    checks the values and grpc-status 0."""
    import base64
    import subprocess

    body = base64.b64encode(grpc_web_frame(0, grpc_web_request()))
    out = subprocess.run(
        ["curl", "-sS", "--fail", "--max-time", "10", "-H", "Content-Type: application/grpc-web-text",
         "-H", "Accept: application/grpc-web-text", "-H", "X-Grpc-Web: 1", "-H", "X-User-Agent: grpc-web-javascript/0.1",
         "--data-binary", "@-", "http://%s:%s/plainsight.Customers/Find" % (HOST4, port)],
        input=body, capture_output=True, check=True).stdout
    decoded = b"".join(base64.b64decode(p + b"=" * (-len(p) % 4)) for p in out.split(b"=") if p)
    if CONTENT_CARD.encode() not in decoded or b"grpc-status:0" not in decoded:
        sys.exit("not the reply as built: %r" % decoded)
    print("decoded by the client: the reply as built")


PRINCIPAL_ID = "4b1d7c2e-9f3a-4e6b-8c5d-2a7f9e1b3c60"


def easy_auth_principal():
    """What Azure App Service's authentication (Easy Auth) passes to the
    application in X-MS-CLIENT-PRINCIPAL: base64 of a JSON object with the
    signed-in user's claims (here the e-mail address of content-http.pcap)."""
    import base64
    import json

    claims = [{"typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "val": CONTENT_EMAIL},
              {"typ": "name", "val": "Dana Whitfield"},
              {"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": PRINCIPAL_ID}]
    principal = {"auth_typ": "aad", "claims": claims, "name_typ": "name",
                 "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}
    return base64.b64encode(json.dumps(principal).encode()).decode()


def flask_server(port):
    """A Flask 2.2 application (Debian python3-flask) behind an
    authenticating proxy, in clear: POST /login keeps the signed-in user in
    Flask's default session, a signed cookie whose payload is base64url JSON
    (the e-mail address and the card on file); GET /account reads it back,
    and the proxy's X-MS-CLIENT-PRINCIPAL header."""
    import base64
    import json
    import logging

    import flask

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = flask.Flask("plainsight-demo")
    app.secret_key = "demo-secret-key-not-for-production"

    @app.post("/login")
    def login():
        flask.session["email"] = CONTENT_EMAIL
        flask.session["card"] = CONTENT_CARD
        return {"ok": True}

    @app.get("/account")
    def account():
        principal = json.loads(base64.b64decode(flask.request.headers["X-MS-CLIENT-PRINCIPAL"]))
        email = next(c["val"] for c in principal["claims"] if c["typ"].endswith("emailaddress"))
        ok = flask.session.get("email") == CONTENT_EMAIL == email
        print("account: %s" % ("the session and the principal as built" if ok else "unexpected"), flush=True)
        return {"user": "Dana Whitfield", "orders": 3} if ok else ({"error": "unexpected"}, 400)

    app.run(host=HOST4, port=int(port))


def flask_client(port):
    """curl with a cookie jar: POST /login (the session cookie is set), then
    GET /account with it and the proxy's X-MS-CLIENT-PRINCIPAL."""
    import subprocess
    import tempfile

    base = "http://%s:%s" % (HOST4, port)
    with tempfile.TemporaryDirectory() as d:
        jar = d + "/jar"
        curl = ["curl", "-sS", "--fail", "--max-time", "10", "-c", jar, "-b", jar]
        subprocess.run(curl + ["-X", "POST", base + "/login"], check=True, capture_output=True)
        out = subprocess.run(curl + ["-H", "X-MS-CLIENT-PRINCIPAL-NAME: " + CONTENT_EMAIL.split("@")[0],
                                     "-H", "X-MS-CLIENT-PRINCIPAL-ID: " + PRINCIPAL_ID,
                                     "-H", "X-MS-CLIENT-PRINCIPAL: " + easy_auth_principal(), base + "/account"],
                             check=True, capture_output=True, text=True).stdout
    if "Dana Whitfield" not in out:
        sys.exit("not the account as built: %r" % out)
    print("answered: the account as built")


SAML_IDP = "https://idp.corp-mail.io/idp/shibboleth"
# What the IdP releases about the user (attribute FriendlyNames): the SSN as
# SCHAC's personal unique id, urn:schac:personalUniqueID:<country>:<type>:<id>.
SAML_IDENTITY = {"mail": [CONTENT_EMAIL], "givenName": ["Dana"], "sn": ["Whitfield"],
                 "schacPersonalUniqueID": ["urn:schac:personalUniqueID:us:SSN:" + CONTENT_SSN]}


def saml_dir(port):
    """Where the service provider and the identity provider of one port
    leave each other their metadata."""
    import tempfile

    return os.path.join(tempfile.gettempdir(), "plainsight-saml-%s" % port)


def saml_key(d, name, subject):
    """A throwaway RSA key and self-signed certificate, d/NAME.key and
    d/NAME.crt, made with openssl: what a provider signs with and what its
    metadata gives its peer to verify."""
    import subprocess

    key, cert = os.path.join(d, name + ".key"), os.path.join(d, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
                    "-subj", subject, "-keyout", key, "-out", cert], check=True, capture_output=True)
    return key, cert


def saml_prefixes():
    """The usual prefixes (samlp, saml, ds) in the XML pysaml2 writes, not
    ElementTree's ns0, ns1, ns2."""
    from xml.etree import ElementTree

    from saml2 import saml, samlp, xmldsig

    for prefix, ns in (("samlp", samlp.NAMESPACE), ("saml", saml.NAMESPACE), ("ds", xmldsig.NAMESPACE)):
        ElementTree.register_namespace(prefix, ns)


def saml_redirect_query(entity, path, peer, descriptor):
    """The query of a Redirect-binding GET (SAML Bindings 3.4.4.1), one value
    a name, once its Signature verifies (over SAMLRequest or SAMLResponse,
    RelayState and SigAlg) with a signing certificate of the peer's metadata:
    pysaml2's parse_* read only the deflated XML, and leave the query's
    signature to the caller."""
    import urllib.parse

    from saml2.sigver import verify_redirect_signature

    url = urllib.parse.urlsplit(path)
    query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
    if "Signature" not in query or not any(verify_redirect_signature(query, entity.sec.sec_backend, cert)
                                           for cert in entity.metadata.certs(peer, descriptor, "signing")):
        raise ValueError("%s: not signed by %s" % (url.path, peer))
    return query


def saml_sp_config(port, idp_metadata=None):
    """The service provider's pysaml2 configuration: one Assertion Consumer
    Service (POST binding) at /acs, that takes a response to its
    AuthnRequest only when the assertion and the response are both
    signed, and one Single Logout Service (Redirect binding) at /sls; the
    key and certificate of saml_sp_server sign what it sends by redirect."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.config import SPConfig
    from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

    base = "http://%s:%s" % (HOST4, port)
    d = saml_dir(port)
    conf = {"entityid": base + "/metadata", "xmlsec_binary": "/usr/bin/xmlsec1",
            "key_file": os.path.join(d, "sp.key"), "cert_file": os.path.join(d, "sp.crt"),
            "service": {"sp": {"endpoints": {"assertion_consumer_service": [(base + "/acs", BINDING_HTTP_POST)],
                                             "single_logout_service": [(base + "/sls", BINDING_HTTP_REDIRECT)]},
                               "name_id_format": [NAMEID_FORMAT_EMAILADDRESS], "allow_unsolicited": False,
                               "authn_requests_signed": True, "logout_requests_signed": True,
                               "want_assertions_signed": True, "want_response_signed": True,
                               "required_attributes": ["mail", "givenName", "sn"],
                               "optional_attributes": ["schacPersonalUniqueID"]}}}
    if idp_metadata:
        conf["metadata"] = {"local": [idp_metadata]}
    return SPConfig().load(conf)


def saml_sp_server(port):
    """A SAML service provider (pysaml2's Saml2Client) behind a
    TLS-terminating load balancer, in clear: it makes its key and writes its
    metadata at start; one client serves every request (made at the first,
    with the IdP's metadata: the two start in either order), so that its
    identity cache knows at /logout who signed in at /acs. GET /login answers
    302 to the IdP's /sso with an AuthnRequest (Redirect binding, signed);
    POST /acs takes the form of the POST binding, verifies the signed
    response and answers 302 to the RelayState; GET /logout starts single
    logout of the user signed in: 302 to the IdP's /slo with a LogoutRequest
    (Redirect binding, signed, the NameID in it); GET /sls verifies the
    IdP's signed LogoutResponse, forgets the user and answers 302 to /."""
    import functools
    import http.server
    import urllib.parse

    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.client import Saml2Client
    from saml2.ident import decode
    from saml2.metadata import create_metadata_string
    from saml2.xmldsig import SIG_RSA_SHA256

    d = saml_dir(port)
    os.makedirs(d, exist_ok=True)
    saml_key(d, "sp", "/CN=%s" % HOST4)
    with open(os.path.join(d, "sp.xml"), "wb") as f:
        f.write(create_metadata_string(None, config=saml_sp_config(port)))
    saml_prefixes()
    outstanding = {}  # the AuthnRequests sent, by ID: their RelayState

    @functools.lru_cache(maxsize=None)
    def client():
        return Saml2Client(saml_sp_config(port, os.path.join(d, "idp.xml")))

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, location):
            self.send_response(302 if location else 403)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            try:  # pysaml2 raises on a bad signature, and gives no assertion for another Destination
                authn = client().parse_authn_request_response(form["SAMLResponse"][0], BINDING_HTTP_POST,
                                                              outstanding)
                ok = (self.path == "/acs" and authn.name_id.text == CONTENT_EMAIL
                      and authn.get_identity() == SAML_IDENTITY)
            except Exception as e:
                ok = False
                print("acs: refused: %r" % e, flush=True)
            print("acs: %s" % ("the assertion as built" if ok else "unexpected"), flush=True)
            self.answer(ok and form["RelayState"][0])

        def do_GET(self):
            path, location = urllib.parse.urlsplit(self.path).path, None
            try:
                sp = client()
                if path == "/login":
                    request_id, info = sp.prepare_for_authenticate(SAML_IDP, "/dashboard", sign=True,
                                                                   sigalg=SIG_RSA_SHA256)
                    outstanding[request_id] = "/dashboard"
                    location = dict(info["headers"])["Location"]
                    print("login: AuthnRequest %s, signed" % request_id, flush=True)
                elif path == "/logout":
                    (name_id,) = sp.users.subjects()  # who signed in at /acs: one user, or refused
                    (_, info), = sp.global_logout(name_id, "urn:oasis:names:tc:SAML:2.0:logout:user",
                                                    sign=True, sign_alg=SIG_RSA_SHA256).values()
                    location = dict(info["headers"])["Location"]
                    print("logout: LogoutRequest for %s, signed" % name_id.text, flush=True)
                elif path == "/sls":
                    query = saml_redirect_query(sp, self.path, SAML_IDP, "idpsso")
                    response = sp.parse_logout_request_response(query["SAMLResponse"], BINDING_HTTP_REDIRECT)
                    name_id = decode(sp.state[response.in_response_to]["name_id"])
                    sp.handle_logout_response(response)
                    if response.status_ok() and not sp.is_logged_in(name_id):
                        location = "/"
                        print("sls: the LogoutResponse as built, signature verified: %s logged out"
                              % name_id.text, flush=True)
            except Exception as e:
                print("%s: refused: %r" % (path, e), flush=True)
            self.answer(location)

        def log_message(self, *args):
            pass

    http.server.HTTPServer((HOST4, int(port)), Handler).serve_forever()


def saml_idp_server(port, sp_port):
    """An identity provider (pysaml2's Server) behind a load balancer that
    ends TLS, in clear: its key and certificate made with openssl at start,
    its metadata (/sso and /slo, Redirect binding, at its own address) left
    for the service provider of sp_port. GET /sso signs,
    with RSA-SHA256, a response and its assertion for that service provider
    (in response to a signed AuthnRequest by the Redirect binding), the NameID and the attributes in clear (no
    EncryptedAssertion), and answers the POST binding's auto-submitting HTML
    page: the response in base64 in a hidden input. GET /slo takes a signed
    LogoutRequest by the Redirect binding and answers 302 to the service
    provider's /sls with a signed LogoutResponse, by the Redirect binding."""
    import http.server
    import urllib.parse

    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml, xmldsig
    from saml2.config import IdPConfig
    from saml2.metadata import create_metadata_string
    from saml2.pack import http_form_post_message
    from saml2.server import Server

    d = saml_dir(sp_port)
    os.makedirs(d, exist_ok=True)
    key, cert = saml_key(d, "idp", "/CN=idp.corp-mail.io")
    base = "http://%s:%s" % (HOST4, port)
    idp = {"entityid": SAML_IDP, "xmlsec_binary": "/usr/bin/xmlsec1", "key_file": key, "cert_file": cert,
           "service": {"idp": {"endpoints": {"single_sign_on_service": [(base + "/sso", BINDING_HTTP_REDIRECT)],
                                             "single_logout_service": [(base + "/slo", BINDING_HTTP_REDIRECT)]},
                               "name_id_format": [saml.NAMEID_FORMAT_EMAILADDRESS],
                               "policy": {"default": {"lifetime": {"minutes": 5},
                                                      "name_form": saml.NAME_FORMAT_URI}}}}}
    with open(os.path.join(d, "idp.xml"), "wb") as f:
        f.write(create_metadata_string(None, config=IdPConfig().load(idp)))
    saml_prefixes()
    sp = "http://%s:%s/metadata" % (HOST4, sp_port)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            # The service provider's metadata: written when it started, read now.
            server = Server(config=IdPConfig().load(dict(idp, metadata={"local": [os.path.join(d, "sp.xml")]})))
            url = urllib.parse.urlsplit(self.path)
            try:
                if url.path == "/slo":
                    self.logout(server)
                elif url.path == "/sso":
                    query = saml_redirect_query(server, self.path, sp, "spsso")
                    request = server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT).message
                    args = server.response_args(request, [BINDING_HTTP_POST])
                    print("sso: AuthnRequest %s, signature verified" % request.id, flush=True)
                    self.sign_in(server, args["in_response_to"], args["destination"], query["RelayState"])
                else:
                    raise ValueError("no such path")
            except Exception as e:
                print("%s: refused: %r" % (url.path, e), flush=True)
                self.send_response(403)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def sign_in(self, server, in_response_to, destination, relay_state):
            response = server.create_authn_response(
                SAML_IDENTITY, in_response_to, destination, sp,
                name_id=saml.NameID(format=saml.NAMEID_FORMAT_EMAILADDRESS, text=CONTENT_EMAIL),
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
                sign_response=True, sign_assertion=True,
                sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)
            page = http_form_post_message(str(response), destination, relay_state, typ="SAMLResponse")["data"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def logout(self, server):
            query = saml_redirect_query(server, self.path, sp, "spsso")
            request = server.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT).message
            if request.name_id.text != CONTENT_EMAIL:
                raise ValueError("LogoutRequest for %r" % request.name_id.text)
            response = server.create_logout_response(request, [BINDING_HTTP_REDIRECT])
            info = server.apply_binding(BINDING_HTTP_REDIRECT, str(response), response.destination,
                                        query["RelayState"], response=True, sign=True, sigalg=xmldsig.SIG_RSA_SHA256)
            print("slo: LogoutRequest for %s, signature verified; LogoutResponse Success, signed"
                  % request.name_id.text, flush=True)
            self.send_response(302)
            self.send_header("Location", dict(info["headers"])["Location"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    http.server.HTTPServer((HOST4, int(port)), Handler).serve_forever()


def saml_browser(idp_port, sp_port):
    """The browser: curl signs in (asks the service provider's /login and
    follows its redirect to the identity provider's page) and posts the page's form
    (SAMLResponse, RelayState) to the form's action as its script would; then
    it asks the service provider's /logout and follows, one GET each, the
    single logout's redirects: the LogoutRequest to the identity provider's
    /slo, its LogoutResponse back to /sls, then /. A redirect is followed only
    to the address this exchange expects (no curl -L)."""
    import html.parser
    import subprocess
    import tempfile

    idp, sp = "http://%s:%s" % (HOST4, idp_port), "http://%s:%s" % (HOST4, sp_port)
    curl = ["curl", "-sS", "--fail", "--globoff", "--max-time", "10"]

    def redirect(url, to):
        """GET url; the Location of its 302, which must start with `to`."""
        out = subprocess.run(curl + ["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", url],
                             check=True, capture_output=True, text=True).stdout
        if not out.startswith("302 " + to):
            sys.exit("not the redirect as built: %r" % out[:300])
        return out[4:]

    sso = redirect(sp + "/login", idp + "/sso?SAMLRequest=")
    page = subprocess.run(curl + [sso], check=True, capture_output=True, text=True).stdout
    form = {}

    class Form(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form":
                form["action"] = a["action"]
            elif tag == "input" and a.get("type") == "hidden":
                form[a["name"]] = a["value"]

    Form().feed(page)
    if form.get("action") != sp + "/acs":
        sys.exit("not the page as built: %r" % page[:300])
    with tempfile.TemporaryDirectory() as t:
        with open(t + "/SAMLResponse", "w") as f:
            f.write(form["SAMLResponse"])
        out = subprocess.run(curl + ["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                                     "--data-urlencode", "SAMLResponse@" + t + "/SAMLResponse",
                                     "--data-urlencode", "RelayState=" + form["RelayState"], form["action"]],
                             check=True, capture_output=True, text=True).stdout
    if out != "302 %s/dashboard" % sp:
        sys.exit("not the answer as built: %r" % out)
    print("answered: the assertion as built")
    slo = redirect(sp + "/logout", idp + "/slo?SAMLRequest=")
    sls = redirect(slo, sp + "/sls?SAMLResponse=")
    if redirect(sls, sp + "/") != sp + "/":
        sys.exit("not the logout as built")
    print("logged out: LogoutRequest to /slo, LogoutResponse to /sls, 302 to /")


def h2c_content_server(port):
    """HTTP/2 in clear with the python h2 library (prior knowledge, or
    HTTP/1.1 Upgrade: h2c) serving the same fake data as content-server:
    POST /api/customers answers the customer record gzip-compressed
    (content-encoding: gzip) in DATA frames of at most 16 bytes; GET
    /deploy.env answers the plain-text file with the AWS key id."""
    import gzip
    import json

    def answer(conn, sid, headers):
        if headers.get(":path") == "/api/customers":
            record = {"id": 4821, "name": "Dana Whitfield", "email": CONTENT_EMAIL, "ssn": CONTENT_SSN}
            body = gzip.compress(json.dumps(record).encode(), mtime=0)
            conn.send_headers(sid, [(":status", "200"), ("content-type", "application/json"),
                                    ("content-encoding", "gzip")])
            for k in range(0, len(body), 16):  # many DATA frames: the body is cut inside the JSON
                conn.send_data(sid, body[k:k + 16])
            conn.end_stream(sid)
        else:
            body = ("AWS_ACCESS_KEY_ID=%s\nREGION=eu-west-1\n" % CONTENT_AWS_KEY).encode()
            conn.send_headers(sid, [(":status", "200"), ("content-type", "text/plain")])
            conn.send_data(sid, body, end_stream=True)

    serve_h2c(port, answer)


def h2c_content_client(port):
    """curl, one connection per request: prior knowledge, a JSON order with
    the card number and the GitHub token in a request header (HPACK
    Huffman-codes it); then the deployment file through Upgrade: h2c."""
    import subprocess
    u = "http://%s:%d" % (HOST4, int(port))
    order = '{"customer":4821,"card_number":"%s","amount":"19.99"}' % CONTENT_CARD
    steps = [
        ["--http2-prior-knowledge", "-X", "POST", "-H", "Content-Type: application/json",
         "-H", "X-Deploy-Token: " + CONTENT_GITHUB_TOKEN, "--data", order, "--compressed", u + "/api/customers"],
        ["--http2", u + "/deploy.env"],
    ]
    for step in steps:
        out = subprocess.run(["curl", "-sS", "--max-time", "10", "--noproxy", "*"] + step,
                             capture_output=True, text=True, check=True)
        print(out.stdout)


# ------------------------------------------------- mail content (PII, secrets)
# record.sh's "mailcontent" set (RECORD_ONLY=mailcontent): one MIME mail with the
# CONTENT_* values, sent with SMTP DATA, read back with POP3 RETR and IMAP FETCH
# BODY[], and stored again with IMAP APPEND. The mail is built the same way in
# every process (fixed Date, Message-ID and boundary), so each server and client
# can check it got exactly these bytes.
MAIL_CONTENT_TEXT = (
    "Hello Bob,\n"
    "\n"
    # 77 characters up to "dana": the quoted-printable encoder (policy SMTP:
    # lines of 78) soft-breaks the address as "dana=" CRLF ".whitfield@...", so
    # on the wire it is split, and SMTP and POP3 dot-stuff the continuation line.
    "The customer who phoned this morning was Dana Whitfield; write to her at %s "
    "(SSN %s) if the export looks wrong.\n"
    "The card on file and the deploy key are in the attachment.\n"
    "\n"
    "Viele Gr\u00fc\u00dfe,\n"
    "Alice\n" % (CONTENT_EMAIL, CONTENT_SSN))
MAIL_CONTENT_CSV = ("id,name,card_number,aws_access_key_id\r\n"
                    "4821,Dana Whitfield,%s,%s\r\n" % (CONTENT_CARD, CONTENT_AWS_KEY))
MAIL_FROM = "alice@plainsight.test"
MAIL_TO = "bob@plainsight.test"


def content_mail():
    """The mail as sent (CRLF lines, not dot-stuffed): a header
    X-Deploy-Token with the GitHub token; multipart/mixed with a text/plain
    quoted-printable part (e-mail address, SSN) and a base64 text/csv
    attachment customers.csv (card number, AWS key id)."""
    from email.message import EmailMessage
    from email.policy import SMTP
    msg = EmailMessage()
    msg["From"] = "Alice Example <%s>" % MAIL_FROM
    msg["To"] = "Bob Example <%s>" % MAIL_TO
    msg["Subject"] = "Customer export"
    msg["Date"] = "Mon, 07 Dec 2026 09:00:00 +0000"
    msg["Message-ID"] = "<mail-content-1@plainsight.test>"
    msg["X-Deploy-Token"] = CONTENT_GITHUB_TOKEN
    msg.set_content(MAIL_CONTENT_TEXT, charset="utf-8", cte="quoted-printable")
    msg.add_attachment(MAIL_CONTENT_CSV.encode(), maintype="text", subtype="csv",
                       cte="base64", filename="customers.csv")
    msg.set_boundary("=_plainsight-mail-content")
    return msg.as_bytes(policy=SMTP)


class MailSMTPHandler(LineHandler):
    """A scripted SMTP server: EHLO, MAIL, RCPT, DATA (read up to the dot
    line, dot-unstuffed, compared with content_mail()), QUIT."""

    def handle(self):
        self.send("220 mail.plainsight.test ESMTP PlainSight test server")
        lines = self.lines()
        for line in lines:
            cmd = line[:4].upper()
            if cmd in ("EHLO", "HELO"):
                self.send("250-mail.plainsight.test", "250-8BITMIME", "250-SIZE 1048576", "250 HELP")
            elif cmd == "MAIL":
                self.send("250 OK")
            elif cmd == "RCPT":
                self.send("250 OK")
            elif cmd == "DATA":
                self.send("354 End data with <CR><LF>.<CR><LF>")
                got = self.read_dot_stuffed()
                same = got == content_mail()
                print("DATA: %d bytes, %s" % (len(got), "the mail as built" if same else "DIFFERENT"), flush=True)
                self.send("250 OK queued as 1" if same else "554 mail differs")
            elif cmd == "RSET" or cmd == "NOOP":
                self.send("250 OK")
            elif cmd == "QUIT":
                self.send("221 Bye")
                return
            else:
                self.send("502 command not implemented")


def mail_smtp_client(port):
    import smtplib
    mail = content_mail()
    with smtplib.SMTP(HOST4, int(port), local_hostname="client.plainsight.test", timeout=TIMEOUT) as s:
        s.set_debuglevel(1)
        print(s.sendmail(MAIL_FROM, [MAIL_TO], mail))


class MailPOP3Handler(POP3Handler):
    """POP3Handler serving content_mail() as message 1."""
    MAIL = [l.decode("ascii") for l in content_mail()[:-2].split(b"\r\n")]


def mail_pop3_client(port):
    p = pop3_login(port)
    print(p.list())
    resp, lines, octets = p.retr(1)
    print(resp.decode(), len(lines), "lines", octets, "octets")
    if b"\r\n".join(lines) + b"\r\n" != content_mail():
        sys.exit("RETR 1 did not give the mail as built")
    print(p.quit().decode())


class MailIMAPHandler(IMAPHandler):
    """IMAPHandler with one message in INBOX: SELECT, FETCH 1 (BODY.PEEK[]) or
    (BODY[]) answered with the mail as a literal, APPEND (a synchronizing
    literal: "+ " first, then the mail is read and compared)."""

    def command(self, tag, cmd, arg):
        mail = content_mail()
        if cmd == "SELECT":
            self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)", "* 1 EXISTS", "* 0 RECENT",
                      "* OK [UIDVALIDITY 1733562000] UIDs valid", "* OK [UIDNEXT 2] Predicted next UID",
                      "%s OK [READ-WRITE] SELECT completed" % tag)
        elif cmd == "FETCH" and arg.upper() in ("1 (BODY.PEEK[])", "1 (BODY[])"):
            # one write: the untagged answer with its literal, and the tagged OK
            self.wfile.write(b"* 1 FETCH (BODY[] {%d}\r\n" % len(mail) + mail + b")\r\n"
                             + b"%s OK FETCH completed\r\n" % tag.encode())
            self.wfile.flush()
        elif cmd == "APPEND" and arg.endswith("}"):
            n = int(arg[arg.rindex("{") + 1:-1])
            self.send("+ Ready for literal data")
            literal = self.rfile.read(n)
            self.rfile.readline(4096)  # the CRLF that ends the command
            same = literal == mail
            print("APPEND: %d bytes, %s" % (n, "the mail as built" if same else "DIFFERENT"), flush=True)
            self.send("%s OK [APPENDUID 1733562000 2] APPEND completed" % tag if same
                      else "%s NO APPEND: mail differs" % tag)
        else:
            return False
        return True


def mail_imap_client(port):
    m = imap_login(port)
    print(m.select("INBOX"))
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    print(typ, data[0][0], len(data[0][1]), "bytes")
    if typ != "OK" or data[0][1] != content_mail():
        sys.exit("FETCH 1 (BODY.PEEK[]) did not give the mail as built")
    typ, data = m.append("INBOX", None, None, content_mail())
    print(typ, data)
    if typ != "OK":
        sys.exit("APPEND refused")
    print(m.logout())


# ------------------------------------------------ UTF-16 content (PII, secrets)
# record.sh's "utf16content" set (RECORD_ONLY=utf16content): fake PII and
# secrets in UTF-16LE, the text encoding of Windows programs, where every
# ASCII character is followed by a zero byte. Each value is valid for its
# validator (Luhn and issuer prefix, no published test card; AKIA + 16 of
# [A-Z2-7]; a domain that is not reserved) and none is one of the CONTENT_*
# values, so a finding shows which part of the capture it came from:
#
#   customers-export.txt (HTTP GET): UTF-16LE with the BOM FF FE,
#   tab-separated, CRLF; header row name, email, card_number, aws_access_key_id
#     row 1: Marta Kowalczyk  marta.kowalczyk@corp-mail.io  4556820855197399  AKIAB2QPARU2UT7JYRDB
#     row 2: Tomas Lindqvist  tomas.lindqvist@corp-mail.io  5312083725117590  AKIAUQNEK2RI2OL6WXJ2
#   TDS exchange (the SQL Server protocol):
#     SQL batch query: SELECT email, card_number FROM customers
#                      WHERE email = N'oskar.brennan@corp-mail.io'
#     result row:      email oskar.brennan@corp-mail.io, card_number 4556889949796516
#
# The TDS e-mail address is 26 characters, 52 bytes in UTF-16LE, so the ROW
# token's length prefix in front of it is 34 00: read as UTF-16LE that is the
# character "4", glued to the address ("4oskar.brennan@...").
UTF16_ROWS = [
    ("Marta Kowalczyk", "marta.kowalczyk@corp-mail.io", "4556820855197399", "AKIAB2QPARU2UT7JYRDB"),
    ("Tomas Lindqvist", "tomas.lindqvist@corp-mail.io", "5312083725117590", "AKIAUQNEK2RI2OL6WXJ2"),
]
UTF16_EXPORT_PATH = "/customers-export.txt"
TDS_EMAIL = "oskar.brennan@corp-mail.io"
TDS_CARD = "4556889949796516"
TDS_QUERY = "SELECT email, card_number FROM customers WHERE email = N'%s'" % TDS_EMAIL


def utf16_export():
    """customers-export.txt as Excel's "Unicode Text" export writes it."""
    lines = ["name\temail\tcard_number\taws_access_key_id"] + ["\t".join(row) for row in UTF16_ROWS]
    return b"\xff\xfe" + "".join(l + "\r\n" for l in lines).encode("utf-16-le")


def utf16_http_server(port):
    """HTTP/1.1 on 127.0.0.1: GET /customers-export.txt answers the export
    as text/plain (no charset, no compression); anything else is a 404."""
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if self.path != UTF16_EXPORT_PATH:
                self.send_error(404)
                return
            send_ok(self, utf16_export(), "text/plain")

        def log_message(self, *args):
            pass

    serve_http(port, Handler)


def utf16_http_client(port):
    """curl downloads the export once and checks it got exactly these bytes."""
    import subprocess
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "--noproxy", "*",
                          "http://%s:%s%s" % (HOST4, port, UTF16_EXPORT_PATH)], capture_output=True, check=True)
    if out.stdout != utf16_export():
        sys.exit("GET %s did not give the export as built" % UTF16_EXPORT_PATH)
    print("GET %s: %d bytes, the export as built" % (UTF16_EXPORT_PATH, len(out.stdout)))


# TDS (MS-TDS) by hand: there is no SQL Server here (Debian does not package one),
# so a scripted server and client exchange the two messages that carry the
# data, a SQL batch and its tabular result, in TDS 7.2+ form; the pre-login
# and LOGIN7 that a real client sends first are left out. MS-TDS 2.2.3.1: an
# 8-byte packet header (type, status 01 = end of message, big-endian length,
# SPID, packet id, window) in front of each message.
TDS_SQL_BATCH = 0x01
TDS_TABULAR_RESULT = 0x04
TDS_SPID = 52   # the server's packets carry the session's SPID; the client sends 0


def tds_packet(ptype, payload, spid=0):
    return struct.pack(">BBHHBB", ptype, 0x01, 8 + len(payload), spid, 1, 0) + payload


def tds_sql_batch():
    """ALL_HEADERS (total 22; one transaction descriptor header: length 18,
    type 2, descriptor 0, 1 outstanding request), then the query in UTF-16LE."""
    all_headers = struct.pack("<IIHQI", 22, 18, 2, 0, 1)
    return tds_packet(TDS_SQL_BATCH, all_headers + TDS_QUERY.encode("utf-16-le"))


def tds_result():
    """COLMETADATA (two NVARCHAR(100) columns, nullable, collation
    SQL_Latin1_General_CP1_CI_AS), one ROW (each value: byte length u16, then
    UTF-16LE), DONE (DONE_COUNT, SELECT, 1 row)."""
    cols = (("email", TDS_EMAIL), ("card_number", TDS_CARD))
    meta = b"\x81" + struct.pack("<H", len(cols))
    row = b"\xd1"
    for name, value in cols:
        meta += struct.pack("<IHBH", 0, 0x0009, 0xE7, 200) + bytes.fromhex("0904d00034")
        meta += bytes([len(name)]) + name.encode("utf-16-le")
        v = value.encode("utf-16-le")
        row += struct.pack("<H", len(v)) + v
    done = b"\xfd" + struct.pack("<HHQ", 0x0010, 0x00C1, 1)
    return tds_packet(TDS_TABULAR_RESULT, meta + row + done, TDS_SPID)


def read_tds_packet(rfile):
    """One packet as (type, whole packet), or None at EOF."""
    header = rfile.read(8)
    if len(header) < 8:
        return None
    length = struct.unpack(">H", header[2:4])[0]
    return header[0], header + rfile.read(length - 8)


class TDSHandler(socketserver.StreamRequestHandler):
    """Answers each SQL batch with tds_result(), after comparing it with
    tds_sql_batch(); runs until the client closes."""
    timeout = TIMEOUT

    def handle(self):
        while True:
            packet = read_tds_packet(self.rfile)
            if packet is None:
                return
            ptype, data = packet
            same = ptype == TDS_SQL_BATCH and data == tds_sql_batch()
            print("SQL batch: %d bytes, %s" % (len(data), "the query as built" if same else "DIFFERENT"),
                  flush=True)
            self.wfile.write(tds_result())
            self.wfile.flush()


def tds_client(port):
    with socket.create_connection((HOST4, int(port)), timeout=TIMEOUT) as s, s.makefile("rb") as rfile:
        s.sendall(tds_sql_batch())
        packet = read_tds_packet(rfile)
    if packet is None or packet[1] != tds_result():
        sys.exit("the SQL batch was not answered with the result as built")
    print("tabular result: %d bytes, the result as built" % len(packet[1]))


# --------------------------------------------------------------------- NNTP
class NNTPHandler(LineHandler):
    """A scripted news server (RFC 3977, RFC 4643): CAPABILITIES, MODE READER,
    AUTHINFO USER/PASS, GROUP, ARTICLE 1 (content_mail() as the article),
    POST (read up to the dot line, dot-unstuffed, compared with
    content_mail()), QUIT."""

    def handle(self):
        self.send("200 news.plainsight.test NNTP Service Ready, posting permitted")
        user, authed = None, False
        for line in self.lines():
            cmd, _, arg = line.partition(" ")
            cmd = cmd.upper()
            if cmd == "CAPABILITIES":
                self.send("101 Capability list:", "VERSION 2", "READER", "POST", "AUTHINFO USER", ".")
            elif cmd == "MODE":
                self.send("200 Posting allowed")
            elif cmd == "AUTHINFO":
                kind, _, value = arg.partition(" ")
                if kind.upper() == "USER":
                    user = value
                    self.send("381 Password required")
                elif kind.upper() == "PASS" and user is not None:
                    authed = user == FAKE_USER and value == FAKE_PASS
                    self.send("281 Authentication accepted" if authed else "481 Authentication failed")
                else:
                    self.send("482 Authentication commands issued out of sequence")
            elif not authed and cmd != "QUIT":
                self.send("480 Authentication required")
            elif cmd == "GROUP":
                self.send("211 1 1 1 plainsight.test")
            elif cmd == "ARTICLE" and arg == "1":
                lines = content_mail()[:-2].split(b"\r\n")
                self.wfile.write(b"220 1 <mail-content-1@plainsight.test>\r\n"
                                 + b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)
                                 + b".\r\n")
                self.wfile.flush()
            elif cmd == "POST":
                self.send("340 Input article; end with <CR-LF>.<CR-LF>")
                got = self.read_dot_stuffed()
                same = got == content_mail()
                print("POST: %d bytes, %s" % (len(got), "the mail as built" if same else "DIFFERENT"), flush=True)
                self.send("240 Article received OK" if same else "441 Posting failed")
            elif cmd == "QUIT":
                self.send("205 Connection closing")
                return
            else:
                self.send("500 Unknown command")


def nntp_client(port):
    """nntplib: a login with a wrong password (481), then one that is
    accepted (381, 281), GROUP, ARTICLE 1 compared with content_mail(), POST of
    content_mail(), QUIT."""
    import warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    import nntplib
    try:
        nntplib.NNTP(HOST4, int(port), user=FAKE_USER, password="wrong-password", usenetrc=False, timeout=TIMEOUT)
        sys.exit("the wrong password was accepted")
    except nntplib.NNTPError as e:
        print("refused:", e)
    s = nntplib.NNTP(HOST4, int(port), user=FAKE_USER, password=FAKE_PASS, usenetrc=False, timeout=TIMEOUT)
    print(s.getwelcome())
    print(s.group("plainsight.test")[0])
    resp, info = s.article("1")
    print(resp, len(info.lines), "lines")
    if b"\r\n".join(info.lines) + b"\r\n" != content_mail():
        sys.exit("ARTICLE 1 did not give the mail as built")
    print(s.post(content_mail()))
    print(s.quit())


# ------------------------------------------------------------------- RADIUS
# radtest -t mschap sends MS-CHAP (v1: MS-CHAP-Response) and radclient cannot
# compute MS-CHAPv2 itself, so the v2 request of radius.pcap is computed here
# (RFC 2759) and handed to radclient as attributes. Checked against RFC 2759's
# test vectors (section 9.2) and against FreeRADIUS's mschap module.

def md4(data):
    """MD4 (RFC 1320): Debian's OpenSSL 3 has it only in its legacy
    provider, so hashlib.new("md4") fails."""
    def rol(x, n):
        return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF
    msg = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack("<Q", len(data) * 8)
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
    rounds = (
        (lambda x, y, z: (x & y) | (~x & z), 0, list(range(16)), (3, 7, 11, 19)),
        (lambda x, y, z: (x & y) | (x & z) | (y & z), 0x5A827999,
         [(i % 4) * 4 + i // 4 for i in range(16)], (3, 5, 9, 13)),
        (lambda x, y, z: x ^ y ^ z, 0x6ED9EBA1,
         [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], (3, 9, 11, 15)),
    )
    for off in range(0, len(msg), 64):
        x = struct.unpack("<16I", msg[off:off + 64])
        a, b, c, d = h
        for f, k, order, shifts in rounds:
            for i in range(16):
                a, b, c, d = d, rol((a + f(b, c, d) + x[order[i]] + k) & 0xFFFFFFFF, shifts[i % 4]), b, c
        h = [(v + n) & 0xFFFFFFFF for v, n in zip(h, (a, b, c, d))]
    return struct.pack("<4I", *h)


def des_block(key7, block):
    """One DES block under a 7-byte key (parity bits added), as MS-CHAP uses
    DES: triple DES with K1 = K2 = K3 is single DES."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    bits = int.from_bytes(key7, "big")
    key8 = bytes(((bits >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))
    enc = Cipher(algorithms.TripleDES(key8 * 3), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def mschapv2(user, password, auth_challenge, peer_challenge):
    """RFC 2759: the 24-byte NT-Response and the AuthenticatorResponse
    ("S=" + 40 hex digits) the server must send back."""
    challenge_hash = hashlib.sha1(peer_challenge + auth_challenge + user.encode()).digest()[:8]
    pw_hash = md4(password.encode("utf-16-le"))
    z = pw_hash + b"\x00" * 5
    nt_response = b"".join(des_block(z[i:i + 7], challenge_hash) for i in (0, 7, 14))
    digest = hashlib.sha1(md4(pw_hash) + nt_response + b"Magic server to client signing constant").digest()
    auth_response = hashlib.sha1(digest + challenge_hash + b"Pad to make it do more than one iteration")
    return nt_response, "S=" + auth_response.hexdigest().upper()


def mschapv2_request(user, password, expect_file):
    """radclient's input for one MS-CHAPv2 Access-Request (RFC 2548: a
    16-byte MS-CHAP-Challenge, a 50-byte MS-CHAP2-Response: ident 1, flags 0,
    peer challenge, 8 reserved zero bytes, NT-Response), with random
    challenges; writes to EXPECT_FILE the MS-CHAP2-Success the server must
    answer (ident 1 + AuthenticatorResponse), as radclient prints it."""
    if mschapv2(*RFC2759_VECTOR[:4]) != RFC2759_VECTOR[4:]:
        sys.exit("MS-CHAPv2: RFC 2759's test vector does not come out")
    auth_challenge, peer_challenge = os.urandom(16), os.urandom(16)
    nt_response, auth_response = mschapv2(user, password, auth_challenge, peer_challenge)
    response = b"\x01\x00" + peer_challenge + b"\x00" * 8 + nt_response
    print('User-Name = "%s"' % user)
    print("MS-CHAP-Challenge = 0x%s" % auth_challenge.hex())
    print("MS-CHAP2-Response = 0x%s" % response.hex())
    print("NAS-IP-Address = 127.0.0.1")
    print("NAS-Port = 0")
    with open(expect_file, "w") as f:
        f.write("MS-CHAP2-Success = 0x01%s\n" % auth_response.encode().hex())


# RFC 2759 section 9.2: user, password, authenticator and peer challenges,
# NT-Response, AuthenticatorResponse
RFC2759_VECTOR = ("User", "clientPass", bytes.fromhex("5B5D7C7D7B3F2F3E3C2C602132262628"),
                  bytes.fromhex("21402324255E262A28295F2B3A337C7E"),
                  bytes.fromhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"),
                  "S=407A5589115FD0D6209F510FE9C04566932CDA56")


# ------------------------------------------------------------------ TACACS+
# tacacs.pcap: TACACS+ (RFC 8907) over TCP. Debian 12 packages no TACACS+
# server, so a small one is written here from the RFC; the client is the
# tacacs_plus library 2.6 (PyPI; Debian has no package of it), which record.sh
# installs under its work directory and gives to tacacs-client alone.

TACACS_USERS = {"netadmin": ("Tacacs-Admin-2026", 15), "jsmith": ("Summer2026!", 1)}
TACACS_WRONG_PASSWORD = "Summer2025!"     # last year's: what users type by mistake
TACACS_PORT_NAME, TACACS_REM_ADDR = "vty0", "10.20.30.40"   # the line and the admin's address
TACACS_COMMAND = [b"service=shell", b"cmd=show", b"cmd-arg=running-config"]
TAC_PLUS_UNENCRYPTED_FLAG = 0x01          # header flags (RFC 8907 4.1)
TAC_PLUS_AUTHEN, TAC_PLUS_AUTHOR, TAC_PLUS_ACCT = 1, 2, 3
TACACS_TYPES = {TAC_PLUS_AUTHEN: "authen", TAC_PLUS_AUTHOR: "author", TAC_PLUS_ACCT: "acct"}
AUTHEN_TYPES = {1: "ascii", 2: "pap", 3: "chap"}
# REPLY / RESPONSE status values (RFC 8907 5.2, 6.2, 7.2) and their names
AUTHEN_STATUS = {1: "PASS", 2: "FAIL", 5: "GETPASS", 7: "ERROR"}
AUTHOR_STATUS = {1: "PASS_ADD", 2: "PASS_REPL", 0x10: "FAIL", 0x11: "ERROR"}
ACCT_STATUS = {1: "SUCCESS", 2: "ERROR"}
ACCT_FLAGS = {2: "START", 4: "STOP", 8: "WATCHDOG"}


def tacacs_crypt(body, session_id, key, version, seq_no):
    """RFC 8907 4.5: the body XORed with the pseudo pad MD5(session_id, key,
    version, seq_no), MD5(the same, MD5_1), ... (obfuscation and its reverse)."""
    seed = struct.pack("!I", session_id) + key + bytes((version, seq_no))
    pad = h = b""
    while len(pad) < len(body):
        h = hashlib.md5(seed + h).digest()
        pad += h
    return bytes(a ^ b for a, b in zip(body, pad))


def tacacs_fields(body, offset, lengths):
    """The values of these lengths one after the other from offset; the body
    must end right after them (RFC 8907 4.5: the lengths add up to the
    header's length, else the packet is discarded with an ERROR)."""
    values = []
    for n in lengths:
        values.append(body[offset:offset + n])
        offset += n
    if offset != len(body):
        raise ValueError("field lengths add up to %d, body is %d bytes" % (offset, len(body)))
    return values


class TACACSHandler(socketserver.BaseRequestHandler):
    """A TACACS+ server, one session per connection (no single-connect):
    authentication START (ASCII: GETPASS, then the CONTINUE's password; PAP:
    the password in the START's data; CHAP: MD5(id, password, challenge)),
    authorization REQUEST (PASS_ADD up to the user's privilege level, else
    FAIL), accounting REQUEST (SUCCESS). With a key, it de-obfuscates
    requests and obfuscates replies; a request with TAC_PLUS_UNENCRYPTED_FLAG
    is taken in clear and answered in clear with the flag (RFC 8907 4.5 says
    such a request MUST be dropped; servers from the draft's days took it).
    Without a key (key None) every request is taken and answered in clear,
    with the flag only if the request had it. A body whose lengths do not add
    up (a wrong key) gets an ERROR."""
    key = None

    def handle(self):
        self.request.settimeout(TIMEOUT)
        rfile = self.request.makefile("rb")
        self.ascii_user = None      # an ASCII login's user, from START to CONTINUE
        while True:
            header = rfile.read(12)
            if len(header) < 12:
                return
            version, ptype, seq_no, flags, session_id, length = struct.unpack("!BBBBII", header)
            body = rfile.read(length)
            clear = bool(flags & TAC_PLUS_UNENCRYPTED_FLAG) or self.key is None
            if not clear:
                body = tacacs_crypt(body, session_id, self.key, version, seq_no)
            try:
                what, reply = self.answer(ptype, seq_no, body)
            except (ValueError, IndexError, KeyError) as e:
                what, reply = "malformed: %s -> ERROR" % e, self.error(ptype)
            if not clear:
                reply = tacacs_crypt(reply, session_id, self.key, version, seq_no + 1)
            self.request.sendall(struct.pack("!BBBBII", version, ptype, seq_no + 1,
                                             flags & TAC_PLUS_UNENCRYPTED_FLAG, session_id, len(reply)) + reply)
            print("%s seq %d version 0x%02x flags 0x%02x %s: %s" % (
                TACACS_TYPES.get(ptype, ptype), seq_no, version, flags,
                "in clear" if clear else "obfuscated", what), flush=True)

    @staticmethod
    def authen_reply(status, server_msg=b"", flags=0):
        # status, flags, server_msg_len, data_len, server_msg, data
        return struct.pack("!BBHH", status, flags, len(server_msg), 0) + server_msg

    @staticmethod
    def author_reply(status):
        # status, arg_cnt, server_msg_len, data_len, (no args, server_msg, data)
        return struct.pack("!BBHH", status, 0, 0, 0)

    @staticmethod
    def acct_reply(status):
        # server_msg_len, data_len, status
        return struct.pack("!HHB", 0, 0, status)

    def error(self, ptype):
        return {TAC_PLUS_AUTHEN: self.authen_reply(7), TAC_PLUS_AUTHOR: self.author_reply(0x11),
                TAC_PLUS_ACCT: self.acct_reply(2)}[ptype]

    def answer(self, ptype, seq_no, body):
        """(what happened, for the log; the reply's body in clear)"""
        if ptype == TAC_PLUS_AUTHEN and seq_no == 1:
            # START: action, priv_lvl, authen_type, authen_service, user_len,
            # port_len, rem_addr_len, data_len, user, port, rem_addr, data
            _, priv, atype, _, *lens = body[:8]
            user, port, rem, data = tacacs_fields(body, 8, lens)
            password = TACACS_USERS.get(user.decode(), ("", 0))[0].encode()
            what = "START %s user %s port %s rem_addr %s data %d bytes" % (
                AUTHEN_TYPES.get(atype, atype), user.decode(), port.decode(), rem.decode(), len(data))
            if atype == 1:            # ASCII: ask for the password (not echoed)
                self.ascii_user = user.decode()
                status, reply = 5, self.authen_reply(5, b"Password: ", flags=0x01)
            elif atype == 2:          # PAP: the password is the data
                status = 1 if password and data == password else 2
                reply = self.authen_reply(status)
            elif atype == 3:          # CHAP: PPP id, challenge, MD5(id + password + challenge)
                ok = password and len(data) > 17 and \
                    hashlib.md5(data[:1] + password + data[1:-16]).digest() == data[-16:]
                status = 1 if ok else 2
                reply = self.authen_reply(status)
            else:
                status, reply = 7, self.authen_reply(7)
            return "%s -> %s" % (what, AUTHEN_STATUS[status]), reply
        if ptype == TAC_PLUS_AUTHEN:
            # CONTINUE: user_msg_len, data_len, flags, user_msg, data
            msg_len, data_len, cflags = struct.unpack("!HHB", body[:5])
            user_msg, _ = tacacs_fields(body, 5, (msg_len, data_len))
            password = TACACS_USERS.get(self.ascii_user or "", ("", 0))[0].encode()
            status = 1 if password and user_msg == password and not cflags & 0x01 else 2
            return "CONTINUE user_msg %d bytes (the password of %s) -> %s" % (
                len(user_msg), self.ascii_user, AUTHEN_STATUS[status]), self.authen_reply(status)
        # authorization REQUEST: authen_method, priv_lvl, authen_type,
        # authen_service, user_len, port_len, rem_addr_len, arg_cnt; accounting
        # REQUEST: the same after a flags byte; then the arg lengths, user,
        # port, rem_addr, args
        start = 1 if ptype == TAC_PLUS_ACCT else 0
        _, priv, _, _, user_len, port_len, rem_len, arg_cnt = body[start:start + 8]
        arg_lens = list(body[start + 8:start + 8 + arg_cnt])
        user, port, rem, *args = tacacs_fields(body, start + 8 + arg_cnt, [user_len, port_len, rem_len] + arg_lens)
        what = "user %s priv_lvl %d port %s rem_addr %s args %s" % (
            user.decode(), priv, port.decode(), rem.decode(), " ".join(a.decode() for a in args))
        if ptype == TAC_PLUS_ACCT:
            return "%s %s -> SUCCESS" % (ACCT_FLAGS.get(body[0], body[0]), what), self.acct_reply(1)
        known = user.decode() in TACACS_USERS
        status = 0x01 if known and priv <= TACACS_USERS[user.decode()][1] else 0x10
        return "REQUEST %s -> %s" % (what, AUTHOR_STATUS[status]), self.author_reply(status)


def tacacs_server(port, key):
    """tacacs-server PORT KEY|-: the TACACS+ server on 127.0.0.1:PORT, with
    the key KEY, or with no key ('-')."""
    handler = type("Handler", (TACACSHandler,), {"key": None if key == "-" else key.encode()})
    LoopbackTCPServer((HOST4, int(port)), handler).serve_forever()


def tacacs_client(port, mode, key=None):
    """tacacs-client PORT key KEY | flag | none: the tacacs_plus library
    against tacacs-server, one TACACSClient (one connection, one random
    session_id) per exchange, as its callers use it (reusing one would reuse
    the session_id, and after a PAP login send every later packet as minor
    version 1). 'key': obfuscated with KEY; 'flag': secret=None with
    TAC_PLUS_UNENCRYPTED_FLAG set; 'none': secret=None as the library sends
    it (bodies in clear, no flag). Prints one line per exchange."""
    import time
    import tacacs_plus.client
    from tacacs_plus.client import TACACSClient
    from tacacs_plus.flags import (TAC_PLUS_ACCT_FLAG_START, TAC_PLUS_ACCT_FLAG_STOP,
                                   TAC_PLUS_AUTHEN_TYPE_ASCII, TAC_PLUS_AUTHEN_TYPE_PAP)
    from tacacs_plus.packet import TACACSHeader

    if mode == "flag":
        # With secret=None the library sends bodies in clear but never sets
        # the flag. Its TACACSClient.send builds each request's header as
        # TACACSHeader(version, type, session_id, length, seq_no=...), with no
        # flags; TACACSHeader.unpacked builds a reply's header with the flags
        # received. A subclass whose flags default to the flag, put where
        # send looks the name up, sets it in every request and nothing else.
        class UnencryptedHeader(TACACSHeader):
            def __init__(self, version, type, session_id, length, seq_no=1, flags=TAC_PLUS_UNENCRYPTED_FLAG):
                super().__init__(version, type, session_id, length, seq_no, flags)
        tacacs_plus.client.TACACSHeader = UnencryptedHeader
    secret = key if mode == "key" else None
    where = dict(port=TACACS_PORT_NAME, rem_addr=TACACS_REM_ADDR)

    def client():
        return TACACSClient(HOST4, int(port), secret, timeout=TIMEOUT)

    def login(user, password, authen_type, name):
        reply = client().authenticate(user, password, authen_type=authen_type, **where)
        print("authen %s %s: %s" % (name, user, AUTHEN_STATUS.get(reply.status, reply.status)))

    if mode == "none":
        login("jsmith", TACACS_USERS["jsmith"][0], TAC_PLUS_AUTHEN_TYPE_ASCII, "ascii")
        return
    login("netadmin", TACACS_USERS["netadmin"][0], TAC_PLUS_AUTHEN_TYPE_ASCII, "ascii")
    login("jsmith", TACACS_WRONG_PASSWORD, TAC_PLUS_AUTHEN_TYPE_PAP, "pap")
    # the device asks before running the command at privilege level 15, and
    # accounts for it (task_id ties START and STOP together)
    reply = client().authorize("netadmin", TACACS_COMMAND, priv_lvl=15, **where)
    print("author netadmin %s: %s" % (b" ".join(TACACS_COMMAND).decode(),
                                      AUTHOR_STATUS.get(reply.status, reply.status)))
    started = int(time.time())
    for flag, extra in ((TAC_PLUS_ACCT_FLAG_START, []),
                        (TAC_PLUS_ACCT_FLAG_STOP, [b"stop_time=%d" % (started + 1), b"elapsed_time=1"])):
        args = [b"task_id=1", b"start_time=%d" % started] + extra + [b"timezone=UTC"] + TACACS_COMMAND
        reply = client().account("netadmin", flag, args, priv_lvl=15, **where)
        print("acct %s netadmin: %s" % (ACCT_FLAGS[flag], ACCT_STATUS.get(reply.status, reply.status)))


# ------------------------------------------------------------------ WebSocket
WS_DECOY_ORDER = "4069006792188144"   # the card's digits with the last one changed: fails Luhn


def ws_checkout(note):
    """The checkout message a shop's page sends: the card number, then a
    note long enough that permessage-deflate has something to compress."""
    import json
    return json.dumps({"type": "checkout", "card_number": CONTENT_CARD, "order": WS_DECOY_ORDER,
                       "note": note, "items": ["desk lamp %d" % i for i in range(12)]})


# The shop page a browser loads from the WebSocket server's port: it opens the
# socket, sends a checkout (the card number, put together at run time so the
# page itself does not carry it), then a deploy request once the customer
# record came back, and shows the key id it got.
WS_PAGE = b"""<!DOCTYPE html>
<html><head><title>Checkout</title></head><body>loading
<script>
const card = ["4069", "0067", "9218", "8143"].join("");
const ws = new WebSocket("ws://" + location.host + "/orders");
ws.onopen = () => ws.send(JSON.stringify({type: "checkout", card_number: card, note: "from the browser"}));
ws.onmessage = (e) => {
  const reply = JSON.parse(e.data);
  if (reply.customer) { ws.send(JSON.stringify({type: "deploy", service: "billing"})); return; }
  document.body.textContent = "answered: " + reply.aws_access_key_id;
  ws.close(1000, "done");
};
</script></body></html>
"""


async def ws_page(path, headers):
    """The page at /, the handshake at /orders, 404 for anything else (a favicon)."""
    import http
    if path == "/orders":
        return None
    if path == "/":
        return http.HTTPStatus.OK, [("Content-Type", "text/html")], WS_PAGE
    return http.HTTPStatus.NOT_FOUND, [], b""


async def ws_serve(ws, path=None):
    """Answers each message: a checkout with the customer record (the SSN),
    the AWS key check with the key id, anything else with its length. Logs
    each message's type and who sent it (a browser says so in User-Agent)."""
    import json
    browser = "Chrome" in ws.request_headers.get("User-Agent", "")
    async for message in ws:
        if not isinstance(message, bytes) and message.startswith("{"):
            print("%s: %s" % ("browser" if browser else "client", json.loads(message).get("type")), flush=True)
        if isinstance(message, bytes):
            await ws.send("binary message of %d bytes" % len(message))
            continue
        kind = json.loads(message).get("type") if message.startswith("{") else None
        if kind == "checkout":
            await ws.send(json.dumps({"status": "ok", "customer": {"name": "Dana Whitfield", "ssn": CONTENT_SSN,
                                                                   "email": CONTENT_EMAIL}}))
        elif kind == "deploy":
            await ws.send(json.dumps({"status": "queued", "aws_access_key_id": CONTENT_AWS_KEY}))
        else:
            await ws.send("received %d characters" % len(message))


def websocket_server(port):
    """A WebSocket server on python3-websockets (permessage-deflate accepted
    when offered, as its default) that also serves the shop page."""
    import asyncio
    import websockets

    async def main():
        async with websockets.serve(ws_serve, HOST4, int(port), process_request=ws_page):
            await asyncio.Future()
    asyncio.run(main())


def websocket_client(port):
    """Three connections: permessage-deflate with context takeover (the
    library's default; the second checkout refers back into the first),
    without compression, and with no_context_takeover both ways. Each sends a
    checkout, a fragmented message whose GitHub token two fragments cut, a
    binary message holding the e-mail address, a ping, and a deploy request;
    the answers are checked."""
    import asyncio
    import json
    import websockets
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

    async def session(label, **options):
        async with websockets.connect("ws://%s:%s/orders" % (HOST4, port), **options) as ws:
            await ws.send(ws_checkout("first order of the day"))
            reply = json.loads(await ws.recv())
            assert reply["customer"]["ssn"] == CONTENT_SSN, reply
            await ws.send(ws_checkout("second order, same card"))
            await ws.recv()
            token = CONTENT_GITHUB_TOKEN
            await ws.send(["deploy log: token=" + token[:20], token[20:] + " used by the release job"])
            await ws.recv()
            await ws.send(b"\x00\x01\x02contact\x00" + CONTENT_EMAIL.encode() + b"\x00\xff")
            await ws.recv()
            await (await ws.ping(b"keepalive"))
            await ws.send(json.dumps({"type": "deploy", "service": "billing"}))
            reply = json.loads(await ws.recv())
            assert reply["aws_access_key_id"] == CONTENT_AWS_KEY, reply
            print("%s: answered as built (extensions: %s)" % (
                label, ", ".join(e.name for e in ws.extensions) or "none"))

    async def main():
        await session("deflate")
        await session("plain", compression=None)
        await session("no-takeover", compression=None, extensions=[ClientPerMessageDeflateFactory(
            client_no_context_takeover=True, server_no_context_takeover=True)])
    asyncio.run(main())


# MQTT over WebSocket (MQTT 3.1.1 §6, MQTT 5.0 §6): a dashboard's paho client
# and a broker that checks the password (Debian's mosquitto 2.0 is built
# without WebSocket listeners, so the broker side is written here: CONNECT,
# PUBLISH at QoS 1, PINGREQ and DISCONNECT are all it needs to answer).
MQTT_WS_USER = "dashboard"
MQTT_WS_PASSWORD = "Dashb0ard-Secret-2026"
MQTT_WS_WRONG = "dashboard-2025"


def mqtt_remaining_length(n):
    out = bytearray()
    while True:
        n, digit = n >> 7, n & 0x7F
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def mqtt_packets(buffer):
    """Complete packets at the front of `buffer` (a bytearray, consumed)."""
    while len(buffer) >= 2:
        length, k, shift = 0, 1, 0
        while k < len(buffer):
            length |= (buffer[k] & 0x7F) << shift
            shift += 7
            k += 1
            if not buffer[k - 1] & 0x80:
                break
        else:
            return
        if len(buffer) < k + length:
            return
        packet = bytes(buffer[:k + length])
        del buffer[:k + length]
        yield packet[0], packet[k:]


def mqtt_connect_login(body):
    """(level, user, password) of a 3.1/3.1.1 CONNECT body."""
    def field(k):
        n = struct.unpack(">H", body[k:k + 2])[0]
        return body[k + 2:k + 2 + n], k + 2 + n
    _, k = field(0)
    level, flags = body[k], body[k + 1]
    k += 4
    _, k = field(k)  # client id
    if flags & 0x04:
        _, k = field(k)  # will topic
        _, k = field(k)  # will message
    user, k = field(k) if flags & 0x80 else (b"", k)
    password, k = field(k) if flags & 0x40 else (b"", k)
    return level, user.decode(), password.decode()


async def mqtt_ws_serve(ws, path=None):
    import websockets
    try:
        await mqtt_ws_session(ws)
    except websockets.ConnectionClosed:
        pass  # paho drops a refused connection without a close frame


async def mqtt_ws_session(ws):
    buffer = bytearray()
    async for message in ws:
        buffer += message if isinstance(message, bytes) else message.encode()
        for kind, body in list(mqtt_packets(buffer)):
            if kind >> 4 == 1:
                level, user, password = mqtt_connect_login(body)
                ok = (user, password) == (MQTT_WS_USER, MQTT_WS_PASSWORD)
                print("CONNECT level %d %s: %s" % (level, user, "accepted" if ok else "refused"), flush=True)
                await ws.send(bytes([0x20, 0x02, 0x00, 0x00 if ok else 0x05]))
            elif kind >> 4 == 3 and kind & 0x06:  # PUBLISH at QoS 1: PUBACK its packet id
                topic_length = struct.unpack(">H", body[:2])[0]
                packet_id = body[2 + topic_length:4 + topic_length]
                print("PUBLISH %s" % body[2:2 + topic_length].decode(), flush=True)
                await ws.send(bytes([0x40, 0x02]) + packet_id)
            elif kind >> 4 == 12:
                await ws.send(bytes([0xD0, 0x00]))
            elif kind >> 4 == 14:
                return


def mqtt_ws_server(port):
    """The broker side of MQTT over WebSocket on python3-websockets (subprotocol `mqtt`)."""
    import asyncio
    import websockets

    async def main():
        async with websockets.serve(mqtt_ws_serve, HOST4, int(port), subprotocols=["mqtt"]):
            await asyncio.Future()
    asyncio.run(main())


def mqtt_ws_client(port):
    """paho-mqtt over WebSocket (`/mqtt`, subprotocol `mqtt`), MQTT 3.1.1:
    the wrong password (refused), then the right one, a reading published at
    QoS 1 (the badge holder's e-mail address in the payload), a disconnect."""
    import time
    import paho.mqtt.client as mqtt

    def session(password, publish):
        result = {}
        client = mqtt.Client(client_id="dashboard-7", transport="websockets", protocol=mqtt.MQTTv311)
        client.username_pw_set(MQTT_WS_USER, password)
        client.on_connect = lambda c, userdata, flags, rc: result.setdefault("rc", rc)
        client.connect(HOST4, int(port), keepalive=30)
        client.loop_start()
        deadline = time.time() + TIMEOUT
        while "rc" not in result and time.time() < deadline:
            time.sleep(0.05)
        if result.get("rc") == 0 and publish:
            payload = '{"line": 3, "badge_holder": "%s", "temperature": 21.5}' % CONTENT_EMAIL
            client.publish("plant/line-3/badge", payload, qos=1).wait_for_publish()
        client.disconnect()
        client.loop_stop()
        return result.get("rc")

    refused = session(MQTT_WS_WRONG, False)
    accepted = session(MQTT_WS_PASSWORD, True)
    print("wrong password: rc %s; right password: rc %s" % (refused, accepted))
    if (refused, accepted) != (5, 0):
        sys.exit("the broker did not answer as built")


# STOMP, to RabbitMQ's STOMP listener (stomp.py) and its Web STOMP one (a
# WebSocket client writing the frames itself, as stomp.js does in a browser).
STOMP_USER = "orders-app"
STOMP_PASSWORD = "St0mp-Orders-2026"
STOMP_WRONG = "stomp-orders-2025"


def stomp_client(port, ws_port):
    """stomp.py 8 over TCP: the wrong password (ERROR), then the right one
    and an order sent to a queue (the card number in its JSON body). Then
    over Web STOMP (subprotocol v12.stomp): the wrong password, then the right
    one and a customer record sent (the SSN). Each answer is checked."""
    import asyncio
    import json
    import stomp
    import websockets

    def over_tcp(password, body):
        connection = stomp.Connection([(HOST4, int(port))], heartbeats=(0, 0))
        try:
            connection.connect(STOMP_USER, password, wait=True)
        except stomp.exception.ConnectFailedException:
            return "refused"
        connection.send(destination="/queue/orders", body=body, content_type="application/json")
        connection.disconnect()
        return "accepted"

    async def over_websocket(password, body):
        async with websockets.connect("ws://%s:%s/ws" % (HOST4, ws_port), subprotocols=["v12.stomp"]) as ws:
            await ws.send("CONNECT\naccept-version:1.2\nhost:/\nlogin:%s\npasscode:%s\nheart-beat:0,0\n\n\0"
                          % (STOMP_USER, password))
            answer = await ws.recv()
            if not answer.startswith("CONNECTED"):
                return "refused"
            await ws.send("SEND\ndestination:/queue/customers\ncontent-type:application/json\nreceipt:sent\n\n%s\0" % body)
            assert (await ws.recv()).startswith("RECEIPT"), "the message was not received"
            await ws.send("DISCONNECT\n\n\0")  # RabbitMQ closes the socket at once
            return "accepted"

    order = json.dumps({"order": 5120, "card_number": CONTENT_CARD})
    customer = json.dumps({"customer": "Dana Whitfield", "ssn": CONTENT_SSN})
    answers = [over_tcp(STOMP_WRONG, order), over_tcp(STOMP_PASSWORD, order),
               asyncio.run(over_websocket(STOMP_WRONG, customer)), asyncio.run(over_websocket(STOMP_PASSWORD, customer))]
    print("answers: %s" % " ".join(answers))
    if answers != ["refused", "accepted", "refused", "accepted"]:
        sys.exit("the broker did not answer as built")


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
    elif cmd == "ftp-data-client":
        ftp_data_client(*args)
    elif cmd == "dns-server":
        dns_server(*args)
    elif cmd == "dns-client":
        dns_client(*args)
    elif cmd == "gnutls-server":
        gnutls_server(*args)
    elif cmd == "starttls-smtp-server":
        StartTLSServer(args[0], StartTLSSMTPHandler, *args[1:]).serve_forever()
    elif cmd == "starttls-smtp-client":
        starttls_smtp_client(*args)
    elif cmd == "starttls-imap-server":
        StartTLSServer(args[0], StartTLSIMAPHandler, *args[1:]).serve_forever()
    elif cmd == "starttls-imap-client":
        starttls_imap_client(*args)
    elif cmd == "starttls-pop3-server":
        StartTLSServer(args[0], StartTLSPOP3Handler, *args[1:]).serve_forever()
    elif cmd == "starttls-pop3-client":
        starttls_pop3_client(*args)
    elif cmd == "ftp-tls-server":
        StartTLSServer(args[0], FTPTLSHandler, *args[1:]).serve_forever()
    elif cmd == "ftp-tls-client":
        ftp_tls_client(*args)
    elif cmd == "http-auth-server":
        http_auth_server(*args)
    elif cmd == "http-auth-client":
        http_auth_client(*args)
    elif cmd == "smtp-auth-server":
        smtp_auth_server(*args)
    elif cmd == "smtp-auth-client":
        smtp_auth_client(*args)
    elif cmd == "ftp-rejected-client":
        ftp_rejected_client(*args)
    elif cmd == "ftp-feat-client":
        ftp_feat_client(*args)
    elif cmd == "pop3-sasl-server":
        LoopbackTCPServer((HOST4, int(args[0])), POP3SASLHandler).serve_forever()
    elif cmd == "pop3-sasl-client":
        pop3_sasl_client(*args)
    elif cmd == "imap-auth-server":
        LoopbackTCPServer((HOST4, int(args[0])), IMAPAuthHandler).serve_forever()
    elif cmd == "imap-auth-client":
        imap_auth_client(*args)
    elif cmd == "content-server":
        content_server(*args)
    elif cmd == "content-client":
        content_client(*args)
    elif cmd == "grpc-server":
        grpc_server(*args)
    elif cmd == "grpc-client":
        grpc_client(*args)
    elif cmd == "grpc-plain-server":
        grpc_plain_server(*args)
    elif cmd == "grpc-plain-client":
        grpc_plain_client(*args)
    elif cmd == "flask-server":
        flask_server(*args)
    elif cmd == "flask-client":
        flask_client(*args)
    elif cmd == "saml-sp-server":
        saml_sp_server(*args)
    elif cmd == "saml-idp-server":
        saml_idp_server(*args)
    elif cmd == "saml-browser":
        saml_browser(*args)
    elif cmd == "grpc-web-server":
        grpc_web_server(*args)
    elif cmd == "grpc-web-client":
        grpc_web_client(*args)
    elif cmd == "compressed-server":
        compressed_server(*args)
    elif cmd == "compressed-client":
        compressed_client(*args)
    elif cmd == "h2c-content-server":
        h2c_content_server(*args)
    elif cmd == "h2c-content-client":
        h2c_content_client(*args)
    elif cmd == "mail-smtp-server":
        LoopbackTCPServer((HOST4, int(args[0])), MailSMTPHandler).serve_forever()
    elif cmd == "mail-smtp-client":
        mail_smtp_client(*args)
    elif cmd == "mail-pop3-server":
        LoopbackTCPServer((HOST4, int(args[0])), MailPOP3Handler).serve_forever()
    elif cmd == "mail-pop3-client":
        mail_pop3_client(*args)
    elif cmd == "mail-imap-server":
        LoopbackTCPServer((HOST4, int(args[0])), MailIMAPHandler).serve_forever()
    elif cmd == "mail-imap-client":
        mail_imap_client(*args)
    elif cmd == "utf16-http-server":
        utf16_http_server(*args)
    elif cmd == "utf16-http-client":
        utf16_http_client(*args)
    elif cmd == "tds-server":
        LoopbackTCPServer((HOST4, int(args[0])), TDSHandler).serve_forever()
    elif cmd == "tds-client":
        tds_client(*args)
    elif cmd == "nntp-server":
        LoopbackTCPServer((HOST4, int(args[0])), NNTPHandler).serve_forever()
    elif cmd == "nntp-client":
        nntp_client(*args)
    elif cmd == "h2c-auth-server":
        h2c_auth_server(*args)
    elif cmd == "h2c-auth-client":
        h2c_auth_client(*args)
    elif cmd == "mschapv2-request":
        mschapv2_request(*args)
    elif cmd == "websocket-server":
        websocket_server(*args)
    elif cmd == "websocket-client":
        websocket_client(*args)
    elif cmd == "stomp-client":
        stomp_client(*args)
    elif cmd == "mqtt-ws-server":
        mqtt_ws_server(*args)
    elif cmd == "mqtt-ws-client":
        mqtt_ws_client(*args)
    elif cmd == "tacacs-server":
        tacacs_server(*args)
    elif cmd == "tacacs-client":
        tacacs_client(*args)
    else:
        sys.exit("unknown sub-command %r\n%s" % (cmd, __doc__))


if __name__ == "__main__":
    main(sys.argv)
