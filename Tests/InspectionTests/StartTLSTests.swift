import TestSupport
import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

// STARTTLS and its equivalents through FlowInspection with every analyzer
// selected: byte-exact cleartext dialogues (from the RFCs and protocol
// documents cited at each), the upgrade, then a TLS handshake after it.

/// One flow as the pipeline sees it: chunks per direction at consecutive offsets.
struct Conversation {
    var inspection: FlowInspection
    var context = InspectionContext()
    var offsets: (toServer: UInt64, toClient: UInt64) = (0, 0)

    init(port: UInt16, selection: AnalyzerSelection = .all) {
        inspection = FlowInspection(serverPort: port, transport: .tcp, selection: selection)
    }

    mutating func send(_ bytes: [UInt8], _ d: Direction) {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        bytes.withUnsafeBytes { inspection.ingest($0, direction: d, offset: offset, context: &context) }
        if d == .toServer { offsets.toServer += UInt64(bytes.count) } else { offsets.toClient += UInt64(bytes.count) }
    }

    mutating func client(_ text: String) { send(Array(text.utf8), .toServer) }
    mutating func server(_ text: String) { send(Array(text.utf8), .toClient) }
    mutating func client(_ bytes: [UInt8]) { send(bytes, .toServer) }
    mutating func server(_ bytes: [UInt8]) { send(bytes, .toClient) }

    var handshake: TLSHandshake? { inspection.tls?.handshake }
}

/// A step of a dialogue: who sends what.
enum Step {
    case client([UInt8])
    case server([UInt8])

    static func c(_ text: String) -> Step { .client(Array(text.utf8)) }
    static func s(_ text: String) -> Step { .server(Array(text.utf8)) }
}

enum StartTLSSamples {
    /// The TLS that follows an upgrade: a TLS 1.2 hello naming the server and a full first flight.
    static let clientHello: [UInt8] = {
        var s = TLSBytes.ClientHelloSpec()
        s.cipherSuites = [0xc02f, 0xc030, 0x009c, 0x00ff]
        s.extensions = [TLSBytes.sni("mail.example.com"), TLSBytes.supportedGroups([0x001d, 0x0017]),
                        TLSBytes.ecPointFormats([0])]
        return TLSBytes.clientHelloRecord(s)
    }()

    static let serverFlight: [UInt8] = {
        var s = TLSBytes.ServerHelloSpec()
        s.cipherSuite = 0xc030
        return TLSBytes.record(
            22, TLSBytes.serverHello(s) + TLSBytes.certificate([TLSBytes.counting(600, from: 0x30)])
                + TLSBytes.serverHelloDone())
    }()

    // SMTP (RFC 5321 §4.2, RFC 3207 §4 and §5).
    static let smtp: [Step] = [
        .s("220 mail.example.com ESMTP Postfix\r\n"),
        .c("EHLO client.example.org\r\n"),
        .s("250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n"),
        .c("STARTTLS\r\n"),
        .s("220 2.0.0 Ready to start TLS\r\n"),
    ]

    // IMAP (RFC 3501 §6.2.1 and §7.1, RFC 2595 §3.1).
    static let imap: [Step] = [
        .s("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n"),
        .c("a1 CAPABILITY\r\n"),
        .s("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na1 OK Pre-login capabilities listed, post-login capabilities have more.\r\n"),
        .c("a2 STARTTLS\r\n"),
        .s("a2 OK Begin TLS negotiation now.\r\n"),
    ]

    // POP3 (RFC 1939 §4, RFC 2449 §5, RFC 2595 §4).
    static let pop3: [Step] = [
        .s("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
        .c("CAPA\r\n"),
        .s("+OK Capability list follows\r\nTOP\r\nUSER\r\nSTLS\r\n.\r\n"),
        .c("STLS\r\n"),
        .s("+OK Begin TLS negotiation\r\n"),
    ]

    // NNTP (RFC 3977 §5.2, RFC 4642 §2.2's example).
    static let nntp: [Step] = [
        .s("200 news.example.com NNTP Service Ready, posting permitted\r\n"),
        .c("CAPABILITIES\r\n"),
        .s("101 Capability list:\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\nAUTHINFO SASL\r\n.\r\n"),
        .c("STARTTLS\r\n"),
        .s("382 Continue with TLS negotiation\r\n"),
    ]

    // FTP (RFC 959, RFC 4217 §4 and §13).
    static let ftp: [Step] = [
        .s("220 ProFTPD Server (Debian) [10.0.0.1]\r\n"),
        .c("AUTH TLS\r\n"),
        .s("234 AUTH TLS successful\r\n"),
    ]

    // XMPP (RFC 6120 §5.4.2 and the example of §9.1).
    static let xmppClientHeader = Array(
        "<?xml version='1.0'?><stream:stream to='im.example.com' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>".utf8)
    static let xmpp: [Step] = [
        .client(xmppClientHeader),
        .s("<?xml version='1.0'?><stream:stream from='im.example.com' id='t7AMCin9zjMNwQKDnplntZPIDEI=' to='juliet@im.example.com' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"),
        .s("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"),
        .c("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        .s("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    ]

    // LDAP (RFC 4511 §4.14.1, §4.12; BER per X.690). The StartTLS OID as an LDAPOID (OCTET STRING).
    static let startTLSOID = Array("1.3.6.1.4.1.1466.20037".utf8)
    /// LDAPMessage { messageID 1, ExtendedRequest [APPLICATION 23] { requestName [0] OID } }.
    static let ldapStartTLSRequest: [UInt8] =
        [0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16] + startTLSOID
    /// LDAPMessage { 1, ExtendedResponse [APPLICATION 24] { success, "", "", responseName [10] OID } }.
    static func ldapExtendedResponse(resultCode: UInt8) -> [UInt8] {
        [0x30, 0x24, 0x02, 0x01, 0x01, 0x78, 0x1f, 0x0a, 0x01, resultCode, 0x04, 0x00, 0x04, 0x00, 0x8a, 0x16]
            + startTLSOID
    }
    static let ldap: [Step] = [.client(ldapStartTLSRequest), .server(ldapExtendedResponse(resultCode: 0))]

    // PostgreSQL (protocol docs, "Message Flow: SSL Session Encryption" and "SSLRequest").
    static let sslRequest: [UInt8] = [0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f]  // 8, 80877103
    static let postgresql: [Step] = [.client(sslRequest), .s("S")]

    // MySQL (client/server protocol: Protocol::HandshakeV10, Protocol::SSLRequest).
    static func mysqlPacket(sequence: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [UInt8(payload.count & 0xff), UInt8(payload.count >> 8 & 0xff), UInt8(payload.count >> 16), sequence] + payload
    }
    static let mysqlGreeting: [UInt8] = {
        var p: [UInt8] = [10] + Array("8.0.36".utf8) + [0]  // protocol 10, server version
        p += [0x2b, 0x00, 0x00, 0x00]  // connection id 43
        p += TLSBytes.counting(8, from: 0x41) + [0]  // auth-plugin-data part 1, filler
        p += [0xff, 0xff]  // capability flags (lower): CLIENT_SSL (0x0800) among them
        p += [0xff]  // character set utf8mb4_0900_ai_ci
        p += [0x02, 0x00]  // status: SERVER_STATUS_AUTOCOMMIT
        p += [0xff, 0xdf]  // capability flags (upper)
        p += [21] + [UInt8](repeating: 0, count: 10)  // auth-plugin-data length, reserved
        p += TLSBytes.counting(12, from: 0x61) + [0]  // auth-plugin-data part 2 (13 bytes)
        p += Array("caching_sha2_password".utf8) + [0]
        return mysqlPacket(sequence: 0, p)
    }()
    /// CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH, little-endian.
    static let mysqlCapabilitiesSSL: [UInt8] = [0x01, 0x8a, 0x08, 0x00]
    static let mysqlCapabilitiesNoSSL: [UInt8] = [0x01, 0x82, 0x08, 0x00]
    static let mysqlSSLRequest: [UInt8] = mysqlPacket(
        sequence: 1, mysqlCapabilitiesSSL + [0x00, 0x00, 0x00, 0x01] + [0xff] + [UInt8](repeating: 0, count: 23))
    static let mysqlLogin: [UInt8] = mysqlPacket(
        sequence: 1,
        mysqlCapabilitiesNoSSL + [0x00, 0x00, 0x00, 0x01] + [0xff] + [UInt8](repeating: 0, count: 23)
            + Array("root".utf8) + [0] + [20] + TLSBytes.counting(20, from: 0x11) + Array("mysql_native_password".utf8) + [0])
    static let mysql: [Step] = [.server(mysqlGreeting), .client(mysqlSSLRequest)]
}

typealias S = StartTLSSamples

@Suite("STARTTLS")
struct StartTLSTests {
    struct Dialect: Sendable, CustomStringConvertible {
        var name: String
        var port: UInt16
        var app: AppProtocol
        var steps: [Step]
        var description: String { name }
    }

    static let dialects: [Dialect] = [
        Dialect(name: "smtp", port: 25, app: .smtp, steps: S.smtp),
        Dialect(name: "smtp-submission", port: 587, app: .smtp, steps: S.smtp),
        Dialect(name: "imap", port: 143, app: .imap, steps: S.imap),
        Dialect(name: "pop3", port: 110, app: .pop3, steps: S.pop3),
        Dialect(name: "ftp", port: 21, app: .ftp, steps: S.ftp),
        Dialect(name: "xmpp", port: 5222, app: .xmpp, steps: S.xmpp),
        Dialect(name: "ldap", port: 389, app: .ldap, steps: S.ldap),
        Dialect(name: "postgresql", port: 5432, app: .postgresql, steps: S.postgresql),
        Dialect(name: "mysql", port: 3306, app: .mysql, steps: S.mysql),
        Dialect(name: "nntp", port: 119, app: .nntp, steps: S.nntp),
    ]

    static func play(_ steps: [Step], into c: inout Conversation, oneByteAtATime: Bool = false) {
        for step in steps {
            let (bytes, d): ([UInt8], Direction) = {
                switch step {
                case .client(let b): return (b, .toServer)
                case .server(let b): return (b, .toClient)
                }
            }()
            if oneByteAtATime { for b in bytes { c.send([b], d) } } else { c.send(bytes, d) }
        }
    }

    static func expectUpgraded(_ c: Conversation, _ dialect: Dialect, _ what: String) {
        #expect(c.inspection.app == dialect.app, "\(what)")
        #expect(c.context.counters.startTLSUpgrades == 1, "\(what)")
        guard let h = c.handshake else {
            Issue.record("\(what): no TLS analyzer after the upgrade")
            return
        }
        #expect(h.upgradedFrom == dialect.app, "\(what)")
        #expect(h.clientHello?.serverName == "mail.example.com", "\(what)")
        #expect(h.clientHello?.cipherSuites == [0xc02f, 0xc030, 0x009c, 0x00ff], "\(what)")
        #expect(h.serverHello?.cipherSuite == 0xc030, "\(what)")
        #expect(h.certificates.count == 1, "\(what)")
        #expect(h.problem == nil, "\(what): \(h.problem ?? "")")
        #expect(c.inspection.isDone, "\(what)")
        #expect(c.inspection.tlsReady, "\(what)")
        #expect(c.context.bufferedBytes == 0, "\(what)")
    }

    @Test(arguments: dialects)
    func upgradeThenHandshake(_ dialect: Dialect) {
        var c = Conversation(port: dialect.port)
        Self.play(dialect.steps, into: &c)
        #expect(c.inspection.tls != nil, "\(dialect): upgrade seen before any TLS byte")
        #expect(!c.inspection.isDone)
        c.client(S.clientHello)
        c.server(S.serverFlight)
        Self.expectUpgraded(c, dialect, "\(dialect)")
    }

    @Test(arguments: dialects)
    func upgradeOneByteAtATime(_ dialect: Dialect) {
        var c = Conversation(port: dialect.port)
        Self.play(dialect.steps, into: &c, oneByteAtATime: true)
        for b in S.clientHello { c.client([b]) }
        for b in S.serverFlight { c.server([b]) }
        Self.expectUpgraded(c, dialect, "\(dialect) in 1-byte chunks")
    }

    @Test(arguments: dialects)
    func tlsInTheSameChunkAsTheLastCleartext(_ dialect: Dialect) {
        // The client's hello glued to its last cleartext bytes (MySQL clients
        // write both without waiting), or the server's flight to its reply.
        var c = Conversation(port: dialect.port)
        var steps = dialect.steps
        let last = steps.removeLast()
        Self.play(steps, into: &c)
        switch last {
        case .client(let b):
            c.client(b + S.clientHello)
            c.server(S.serverFlight)
        case .server(let b):
            c.server(b)
            c.client(S.clientHello)
            c.server(S.serverFlight)
        }
        Self.expectUpgraded(c, dialect, "\(dialect) glued")
    }

    @Test func commandAndReplySplitAcrossChunks() {
        var c = Conversation(port: 25)
        Self.play(Array(S.smtp.prefix(3)), into: &c)
        c.client("STAR")
        c.client("TTLS\r")
        #expect(c.inspection.tls == nil)
        c.client("\n")
        c.server("22")
        c.server("0 2.0.0 Ready")
        #expect(c.inspection.tls == nil)
        c.server(" to start TLS\r\n")
        #expect(c.inspection.tls != nil)
        c.client(Array(S.clientHello[..<7]))
        c.client(Array(S.clientHello[7...]))
        c.server(S.serverFlight)
        Self.expectUpgraded(c, Self.dialects[0], "smtp split")
    }

    @Test func lowerCaseCommands() {
        var c = Conversation(port: 25)
        Self.play(Array(S.smtp.prefix(3)) + [.c("starttls\r\n"), .s("220 go ahead\r\n")], into: &c)
        c.client(S.clientHello)
        c.server(S.serverFlight)
        Self.expectUpgraded(c, Self.dialects[0], "smtp lower case")
    }

    @Test func imapUntaggedLinesBeforeTheTaggedOK() {
        var c = Conversation(port: 143)
        Self.play(Array(S.imap.prefix(4)), into: &c)
        c.server("* OK [ALERT] System shutdown in 10 minutes\r\n* BYE not really\r\n")
        #expect(c.inspection.tls == nil)
        c.server("a2 OK Begin TLS negotiation now\r\n")
        c.client(S.clientHello)
        c.server(S.serverFlight)
        Self.expectUpgraded(c, Self.dialects[2], "imap untagged first")
    }

    @Test func imapTaggedReplyToAnEarlierPipelinedCommandIsNotTheAnswer() {
        // RFC 3501 §5.5: a client may send CAPABILITY and STARTTLS without
        // waiting; `a1 OK` answers CAPABILITY, `a2 OK` answers STARTTLS.
        var c = Conversation(port: 143)
        c.server("* OK IMAP4rev1 Service Ready\r\n")
        c.client("a1 CAPABILITY\r\na2 STARTTLS\r\n")
        c.server("* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK CAPABILITY completed\r\na2 OK Begin TLS negotiation now\r\n")
        c.client(S.clientHello)
        c.server(S.serverFlight)
        Self.expectUpgraded(c, Self.dialects[2], "imap pipelined")
    }

    @Test func ldapWithFourByteBERLengths() {
        // Microsoft's LDAP client and Active Directory encode every length in
        // the long form with 4 bytes (X.690 §8.1.3.5 allows it): 0x84 00 00 00 LL.
        let oid = S.startTLSOID
        let request: [UInt8] = [0x30, 0x84, 0x00, 0x00, 0x00, 0x21, 0x02, 0x01, 0x01,
                                0x77, 0x84, 0x00, 0x00, 0x00, 0x18, 0x80, 0x16] + oid
        #expect(request.count == 6 + 0x21)
        let response: [UInt8] = [0x30, 0x84, 0x00, 0x00, 0x00, 0x28, 0x02, 0x01, 0x01,
                                 0x78, 0x84, 0x00, 0x00, 0x00, 0x1f, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
                                 0x8a, 0x16] + oid
        #expect(response.count == 6 + 0x28)
        var c = Conversation(port: 389)
        c.client(request)
        c.server(response)
        c.client(S.clientHello)
        c.server(S.serverFlight)
        Self.expectUpgraded(c, Self.dialects[6], "ldap 4-byte lengths")
    }

    @Test func ldapWatcherFindsTheOffsetsWithFourByteBERLengths() {
        // The same exchange straight into the watcher: TLS starts after the
        // 39-byte request and after the 46-byte response.
        let oid = S.startTLSOID
        let request: [UInt8] = [0x30, 0x84, 0x00, 0x00, 0x00, 0x21, 0x02, 0x01, 0x01,
                                0x77, 0x84, 0x00, 0x00, 0x00, 0x18, 0x80, 0x16] + oid
        let response: [UInt8] = [0x30, 0x84, 0x00, 0x00, 0x00, 0x28, 0x02, 0x01, 0x01,
                                 0x78, 0x84, 0x00, 0x00, 0x00, 0x1f, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
                                 0x8a, 0x16] + oid
        let w = StartTLSWatcher(dialect: .ldap)
        #expect(request.withUnsafeBytes { w.ingest($0, direction: .toServer, offset: 0) } == StartTLSWatcher.Event.none)
        let event = response.withUnsafeBytes { w.ingest($0, direction: .toClient, offset: 0) }
        #expect(event == .upgrade(toServer: 39, toClient: 46))
    }

    /// The server's lines are not kept while no upgrade is pending; a line
    /// that began before the client's STARTTLS and ends after it is not the
    /// answer (here an EHLO reply cut by a segment boundary): the answer is
    /// the next line, and TLS starts after it.
    @Test func aServerLineThatBeganBeforeTheRequestIsNotItsAnswer() {
        let smtp = StartTLSWatcher(dialect: .smtp)
        var serverOffset: UInt64 = 0
        func server(_ text: String) -> StartTLSWatcher.Event {
            let bytes = Array(text.utf8)
            defer { serverOffset += UInt64(bytes.count) }
            return bytes.withUnsafeBytes { smtp.ingest($0, direction: .toClient, offset: serverOffset) }
        }
        #expect(server("220 mx ESMTP\r\n250-mx greets you\r\n250-PIPEL") == .none)
        let command = Array("STARTTLS\r\n".utf8)
        #expect(command.withUnsafeBytes { smtp.ingest($0, direction: .toServer, offset: 0) } == .none)
        #expect(server("INING\r\n") == .none)
        let before = serverOffset
        #expect(server("220 2.0.0 Ready to start TLS\r\n") == .upgrade(toServer: 10, toClient: before + 30))
    }

    /// Before the client asks, server lines are passed over in bulk (only
    /// where the last one ends is kept): wherever the server's chunks are
    /// cut, the answer and the offsets must come out the same.
    @Test func serverLinesBeforeTheRequestSplitAnywhere() {
        let before = Array("220 mx ESMTP\r\n250-mx greets you\r\n250-SIZE 1000\r\n250 STARTTLS\r\n250 AND A LONG".utf8)
        let after = Array(" TAIL\r\n220 2.0.0 Ready\r\n".utf8)
        for cut in 0...before.count {
            let smtp = StartTLSWatcher(dialect: .smtp)
            var offset: UInt64 = 0
            func server(_ bytes: ArraySlice<UInt8>) -> StartTLSWatcher.Event {
                defer { offset += UInt64(bytes.count) }
                return Array(bytes).withUnsafeBytes { $0.isEmpty ? .none : smtp.ingest($0, direction: .toClient, offset: offset) }
            }
            #expect(server(before[..<cut]) == .none)
            #expect(server(before[cut...]) == .none)
            let command = Array("STARTTLS\r\n".utf8)
            #expect(command.withUnsafeBytes { smtp.ingest($0, direction: .toServer, offset: 0) } == .none)
            // The rest of the line that began before the request is not the answer; the next line is.
            #expect(server(after[...]) == .upgrade(toServer: 10, toClient: UInt64(before.count + after.count)), "cut at \(cut)")
        }
    }

    @Test func watcherOffsetsForTheShortForm() {
        let w = StartTLSWatcher(dialect: .ldap)
        let request = S.ldapStartTLSRequest
        let response = S.ldapExtendedResponse(resultCode: 0)
        #expect(request.count == 31 && response.count == 38)
        #expect(request.withUnsafeBytes { w.ingest($0, direction: .toServer, offset: 0) } == StartTLSWatcher.Event.none)
        #expect(response.withUnsafeBytes { w.ingest($0, direction: .toClient, offset: 0) } == .upgrade(toServer: 31, toClient: 38))

        let smtp = StartTLSWatcher(dialect: .smtp)
        let greeting = Array("220 mx ESMTP\r\n".utf8)
        _ = greeting.withUnsafeBytes { smtp.ingest($0, direction: .toClient, offset: 0) }
        let command = Array("STARTTLS\r\n".utf8)
        _ = command.withUnsafeBytes { smtp.ingest($0, direction: .toServer, offset: 0) }
        let reply = Array("220 go\r\n".utf8)
        let event = reply.withUnsafeBytes { smtp.ingest($0, direction: .toClient, offset: UInt64(greeting.count)) }
        #expect(event == .upgrade(toServer: 10, toClient: UInt64(greeting.count + reply.count)))
    }

    // MARK: refusals

    static func expectNoTLS(_ c: Conversation, _ what: String) {
        #expect(c.inspection.tls == nil, "\(what)")
        #expect(c.context.counters.startTLSUpgrades == 0, "\(what)")
    }

    @Test func smtpRefusalThenRetry() {
        var c = Conversation(port: 25)
        Self.play(Array(S.smtp.prefix(4)), into: &c)
        c.server("454 4.7.0 TLS not available due to temporary reason\r\n")
        c.client("MAIL FROM:<alice@example.org>\r\n")
        c.server("250 2.1.0 Ok\r\n")
        Self.expectNoTLS(c, "smtp 454")
        #expect(!c.inspection.isDone)
        // The text protocols may ask again.
        c.client("RSET\r\n")
        c.server("250 2.0.0 Ok\r\n")
        c.client("STARTTLS\r\n")
        c.server("220 2.0.0 Ready to start TLS\r\n")
        c.client(S.clientHello)
        c.server(S.serverFlight)
        Self.expectUpgraded(c, Self.dialects[0], "smtp retry")
    }

    @Test func pop3Refusal() {
        var c = Conversation(port: 110)
        Self.play(Array(S.pop3.prefix(4)), into: &c)
        c.server("-ERR Command not permitted\r\n")
        c.client("USER alice\r\n")
        c.server("+OK\r\n")
        Self.expectNoTLS(c, "pop3 -ERR")
    }

    @Test func nntpRefusal() {
        var c = Conversation(port: 119)
        Self.play(Array(S.nntp.prefix(4)), into: &c)
        c.server("580 Can not initiate TLS negotiation\r\n")
        c.client("AUTHINFO USER alice\r\n")
        c.server("381 Password required\r\n")
        Self.expectNoTLS(c, "nntp 580")
    }

    @Test func imapRefusals() {
        for reply in ["a2 NO STARTTLS unavailable\r\n", "a2 BAD unknown command\r\n"] {
            var c = Conversation(port: 143)
            Self.play(Array(S.imap.prefix(4)), into: &c)
            c.server(reply)
            c.client("a3 LOGIN alice secret\r\n")
            c.server("a3 OK\r\n")
            Self.expectNoTLS(c, reply)
        }
    }

    @Test func ftpRefusal() {
        var c = Conversation(port: 21)
        Self.play(Array(S.ftp.prefix(2)), into: &c)
        c.server("504 Security mechanism not understood\r\n")
        c.client("USER anonymous\r\n")
        c.server("331 Password required\r\n")
        Self.expectNoTLS(c, "ftp 504")
    }

    @Test func xmppFailure() {
        var c = Conversation(port: 5222)
        Self.play(Array(S.xmpp.prefix(4)), into: &c)
        c.server("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>")
        Self.expectNoTLS(c, "xmpp failure")
    }

    @Test func ldapFailure() {
        var c = Conversation(port: 389)
        c.client(S.ldapStartTLSRequest)
        c.server(S.ldapExtendedResponse(resultCode: 2))  // protocolError
        Self.expectNoTLS(c, "ldap protocolError")
    }

    @Test func postgresqlRefusal() {
        var c = Conversation(port: 5432, selection: Self.tlsOnly)
        c.client(S.sslRequest)
        c.server("N")
        Self.expectNoTLS(c, "postgresql N")
        #expect(c.inspection.isDone)
        // The client goes on in clear with its StartupMessage: still nothing.
        let startup: [UInt8] = [0, 0, 0, 0x17, 0x00, 0x03, 0x00, 0x00] + Array("user\0alice\0\0".utf8) + [0, 0, 0]
        c.client(startup)
        Self.expectNoTLS(c, "postgresql startup")
    }

    @Test func mysqlLoginWithoutSSL() {
        var c = Conversation(port: 3306, selection: Self.tlsOnly)
        c.server(S.mysqlGreeting)
        c.client(S.mysqlLogin)
        Self.expectNoTLS(c, "mysql plain login")
        #expect(c.inspection.isDone)
        #expect(c.inspection.app == .mysql)
    }

    // The watch alone (`--analyzers tls`): with `cleartext` the login
    // analyzer goes on reading the session, so the flow is not done.
    static let tlsOnly = AnalyzerSelection(parsing: "tls")!

    @Test func watchGivesUpAfterItsBudget() {
        var c = Conversation(port: 25, selection: Self.tlsOnly)
        Self.play(Array(S.smtp.prefix(3)), into: &c)
        c.client("DATA\r\n")
        c.server("354 End data with <CR><LF>.<CR><LF>\r\n")
        let line = String(repeating: "x", count: 78) + "\r\n"
        for _ in 0..<(Int(StartTLSWatcher.maxWatchedBytes) / line.utf8.count + 2) { c.client(line) }
        c.client("STARTTLS\r\n")
        c.server("220 Ready\r\n")
        Self.expectNoTLS(c, "after 16 KiB")
        #expect(c.inspection.isDone)
    }

    @Test func gapEndsTheWatch() {
        var c = Conversation(port: 25, selection: Self.tlsOnly)
        Self.play(Array(S.smtp.prefix(3)), into: &c)
        c.inspection.gap(direction: .toServer, offset: c.offsets.toServer, length: 10, context: &c.context)
        #expect(c.inspection.isDone)
        c.offsets.toServer += 10
        c.client("STARTTLS\r\n")
        c.server("220 Ready\r\n")
        Self.expectNoTLS(c, "after a gap")
    }

    @Test func withoutTheTLSAnalyzerNothingIsWatched() {
        var c = Conversation(port: 25, selection: AnalyzerSelection(parsing: "flows")!)
        Self.play(S.smtp, into: &c)
        c.client(S.clientHello)
        Self.expectNoTLS(c, "flows only")
        #expect(c.inspection.app == .smtp)
        #expect(c.inspection.isDone)
    }

    @Test func dialectsForApps() {
        #expect(StartTLSWatcher.dialect(for: .smtp) == .smtp)
        #expect(StartTLSWatcher.dialect(for: .mysql) == .mysql)
        #expect(StartTLSWatcher.dialect(for: .http) == nil)
        #expect(StartTLSWatcher.dialect(for: .ssh) == nil)
        #expect(StartTLSWatcher.dialect(for: .tls) == nil)
    }

    /// Once its handshake is taken to be judged, a finished flow lets its
    /// analyzer go and gives back the facts budget (TLS flows live long
    /// after their handshake); an unfinished one keeps both until it ends.
    @Test func takingAFinishedHandshakeReleasesTheAnalyzer() {
        var c = Conversation(port: 443)
        c.client(S.clientHello)
        c.server(S.serverFlight)
        #expect(c.inspection.tlsReady && c.context.keptBytes > 0)
        let handshake = c.inspection.takeTLSHandshake(&c.context)
        #expect(handshake?.certificates.count == 1)
        #expect(c.inspection.tls == nil && c.inspection.tlsAssessed && c.inspection.isDone)
        #expect(c.context.keptBytes == 0 && c.context.bufferedBytes == 0)
        c.client(Array(repeating: 0x17, count: 40))  // application data: nothing reads it
        #expect(c.context.keptBytes == 0)

        var unfinished = Conversation(port: 443)
        unfinished.client(S.clientHello)
        let kept = unfinished.context.keptBytes
        #expect(kept > 0)
        var taken = unfinished.inspection.takeTLSHandshake(&unfinished.context)
        #expect(taken?.readClientHello() == true && taken?.clientHello?.serverName == "mail.example.com")
        #expect(unfinished.inspection.tls != nil && unfinished.context.keptBytes == kept)
        unfinished.inspection.release(&unfinished.context)
        #expect(unfinished.context.keptBytes == 0)
    }

    @Test func directTLSFlowIsReadFromTheFirstByte() {
        var c = Conversation(port: 443)
        c.client(Array(S.clientHello[..<3]))  // identification holds these bytes
        c.client(Array(S.clientHello[3...]))
        c.server(S.serverFlight)
        #expect(c.inspection.app == .tls)
        #expect(c.handshake?.clientHello?.serverName == "mail.example.com")
        #expect(c.handshake?.upgradedFrom == nil)
        #expect(c.context.counters.startTLSUpgrades == 0)
        #expect(c.inspection.isDone)
    }
}

@Suite("Probes: XMPP, LDAP, PostgreSQL, MySQL")
struct NewProbeTests {
    static let notThem: [(String, [UInt8])] = [
        ("HTTP GET", Sample.httpGet), ("HTTP response", Sample.httpResponse), ("SMTP greeting", Sample.smtpGreeting),
        ("EHLO", Sample.ehlo), ("TLS ClientHello", Sample.clientHello), ("SSH", Sample.sshClientBanner),
        ("POP3", Sample.pop3Greeting), ("IMAP", Sample.imapGreeting),
    ]

    @Test func xmpp() {
        let header = S.xmppClientHeader
        #expect(run(Probes.xmpp.probeToServer, header, port: 5222) == .match)
        #expect(run(Probes.xmpp.probeToServer, header, port: 80) == .match)
        let bare = Array("<stream:stream xmlns='jabber:client' to='example.com' version='1.0'>".utf8)
        #expect(run(Probes.xmpp.probeToServer, bare, port: 5222) == .match)
        // Server-to-server streams open the same way.
        #expect(run(Probes.xmpp.probeToServer, Array("<?xml version='1.0'?><stream:stream xmlns='jabber:server'".utf8), port: 5269) == .match)
        // Other XML is not XMPP.
        let soap = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">".utf8)
        #expect(run(Probes.xmpp.probeToServer, soap, port: 5222) == .noMatch)
        for (name, bytes) in Self.notThem {
            #expect(run(Probes.xmpp.probeToServer, bytes, port: 5222) == .noMatch, "\(name)")
        }
    }

    @Test func ldap() {
        #expect(run(Probes.ldap.probeToServer, S.ldapStartTLSRequest, port: 389) == .match)
        // BindRequest { version 3, name "", simple "" } (RFC 4511 §4.2).
        let bind: [UInt8] = [0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00]
        #expect(run(Probes.ldap.probeToServer, bind, port: 389) == .match)
        #expect(run(Probes.ldap.probeToServer, bind, port: 10389) == .match)
        // A search with a long-form length.
        let search: [UInt8] = [0x30, 0x81, 0x25, 0x02, 0x01, 0x02, 0x63, 0x20] + [UInt8](repeating: 0, count: 32)
        #expect(run(Probes.ldap.probeToServer, search, port: 389) == .match)
        // A BindResponse is what a server sends, not a client's first message.
        let bindResponse: [UInt8] = [0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]
        #expect(run(Probes.ldap.probeToServer, bindResponse, port: 389) == .noMatch)
        for (name, bytes) in Self.notThem {
            #expect(run(Probes.ldap.probeToServer, bytes, port: 389) == .noMatch, "\(name)")
        }
    }

    @Test func postgresql() {
        #expect(run(Probes.postgresql.probeToServer, S.sslRequest, port: 5432) == .match)
        #expect(run(Probes.postgresql.probeToServer, [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30], port: 5432) == .match)  // GSSENCRequest
        let startup: [UInt8] = [0, 0, 0, 0x29, 0x00, 0x03, 0x00, 0x00] + Array("user\0postgres\0database\0postgres\0\0".utf8)
        #expect(run(Probes.postgresql.probeToServer, startup, port: 5432) == .match)
        let cancel: [UInt8] = [0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0x30, 0x39, 0x12, 0x34, 0x56, 0x78]
        #expect(run(Probes.postgresql.probeToServer, cancel, port: 5432) == .match)
        #expect(run(Probes.postgresql.probeToServer, [0, 0, 0, 9, 0x04, 0xd2, 0x16, 0x2f], port: 5432) == .noMatch)
        #expect(run(Probes.postgresql.probeToServer, [0, 0, 0, 8, 0, 0, 0, 0], port: 5432) == .noMatch)
        #expect(run(Probes.postgresql.probeToServer, [0, 0, 0, 8], port: 5432) == .needMore)
        for (name, bytes) in Self.notThem {
            #expect(run(Probes.postgresql.probeToServer, bytes, port: 5432) == .noMatch, "\(name)")
        }
    }

    @Test func mysql() {
        #expect(run(Probes.mysql.probeToClient, S.mysqlGreeting, port: 3306) == .match)
        #expect(run(Probes.mysql.probeToClient, S.mysqlGreeting, port: 13306) == .match)
        var protocol9 = S.mysqlGreeting
        protocol9[4] = 9
        #expect(run(Probes.mysql.probeToClient, protocol9, port: 3306) == .noMatch)
        var controlInVersion = S.mysqlGreeting
        controlInVersion[6] = 0x07
        #expect(run(Probes.mysql.probeToClient, controlInVersion, port: 3306) == .noMatch)
        for (name, bytes) in Self.notThem {
            #expect(run(Probes.mysql.probeToClient, bytes, port: 3306) == .noMatch, "\(name)")
        }
    }

    @Test func identifiedThroughTheIdentifier() {
        let cases: [(String, [UInt8], Direction, UInt16, AppProtocol)] = [
            ("xmpp", S.xmppClientHeader, .toServer, 5222, .xmpp),
            ("ldap", S.ldapStartTLSRequest, .toServer, 389, .ldap),
            ("postgresql", S.sslRequest, .toServer, 5432, .postgresql),
            ("mysql", S.mysqlGreeting, .toClient, 3306, .mysql),
        ]
        for (name, bytes, direction, port, app) in cases {
            #expect(identify([bytes], direction, port: port).app == app, "\(name)")
            // And on an unusual port.
            #expect(identify([bytes], direction, port: 40000).app == app, "\(name) on 40000")
        }
    }
}

/// NATS (NATS docs, "Client Protocol", TLS): a server that requires TLS says
/// so in its INFO line, and the client answers with a TLS ClientHello where
/// CONNECT would be; the server's TLS begins after its INFO line.
@Suite("NATS TLS upgrade")
struct NATSTLSUpgradeTests {
    static let info = Array(#"INFO {"server_id":"NDKQ3V","version":"2.10.7","tls_required":true,"max_payload":1048576}"#.utf8) + [0x0d, 0x0a]
    static let dialect = StartTLSTests.Dialect(name: "nats", port: 4222, app: .nats, steps: [.server(info)])

    @Test(arguments: [false, true])
    func clientHelloAfterInfoIsTheUpgrade(oneByteAtATime: Bool) {
        for port: UInt16 in [4222, 40000] {
            var c = Conversation(port: port)
            StartTLSTests.play([.server(Self.info), .client(S.clientHello), .server(S.serverFlight)], into: &c, oneByteAtATime: oneByteAtATime)
            StartTLSTests.expectUpgraded(c, Self.dialect, "nats on \(port), 1-byte chunks \(oneByteAtATime)")
            #expect(c.inspection.takeSightings().isEmpty)
        }
    }

    @Test func connectInClearIsNoUpgrade() {
        var c = Conversation(port: 4222)
        StartTLSTests.play(
            [.server(Self.info), .c("CONNECT {\"user\":\"u\",\"pass\":\"p\"}\r\nPING\r\n"), .s("PONG\r\n")], into: &c)
        #expect(c.inspection.tls == nil)
        #expect(c.context.counters.startTLSUpgrades == 0)
        #expect(c.inspection.takeSightings() == [
            .credential(CredentialSighting(mechanism: .natsPassword, username: Array("u".utf8), secret: Array("p".utf8), outcome: .accepted))
        ])
        #expect(c.inspection.isDone)
    }
}
