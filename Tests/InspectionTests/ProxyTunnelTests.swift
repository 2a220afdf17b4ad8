import TestSupport
import Testing
@testable import Flows
@testable import Inspection

/// Proxy tunnels through FlowInspection — HTTP CONNECT (RFC 9110 §9.3.6) and
/// SOCKS5 CONNECT (RFC 1928): the proxy's success opens a tunnel whose first
/// bytes are identified anew; TLS inside it is read from where the tunnel
/// starts in each direction.
@Suite("Proxy tunnels")
struct ProxyTunnelTests {
    typealias S = StartTLSSamples

    // RFC 9110 §9.3.6's example, with a proxy login (RFC 9110 §11.7.2), as curl sends it.
    static let connect = ascii(
        "CONNECT server.example.com:80 HTTP/1.1\r\nHost: server.example.com:80\r\n"
            + "Proxy-Authorization: Basic cHJveHl1c2VyOnMzY3JldC1wYXNz\r\nProxy-Connection: Keep-Alive\r\n\r\n")
    static let established = ascii("HTTP/1.1 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n")
    static let refused = ascii(
        "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n")

    static func tunnelledTLS(_ c: Conversation, _ what: String, through kind: TunnelKind = .httpConnect) {
        #expect(c.inspection.app == (kind == .httpConnect ? .http : .socks), "\(what)")
        guard let h = c.handshake else {
            Issue.record("\(what): no TLS analyzer in the tunnel")
            return
        }
        #expect(h.tunnel == kind, "\(what)")
        #expect(h.upgradedFrom == nil, "\(what)")
        #expect(h.clientHello?.serverName == "mail.example.com", "\(what)")
        #expect(h.serverHello?.cipherSuite == 0xc030, "\(what)")
        #expect(h.certificates.count == 1, "\(what)")
        #expect(h.problem == nil, "\(what): \(h.problem ?? "")")
        #expect(c.inspection.tlsReady, "\(what)")
        #expect(c.inspection.payloadProtected, "\(what)")
        #expect(c.context.counters.tunnels(kind) == 1 && c.context.counters.tunnelledTLS == 1, "\(what)")
        #expect(c.context.bufferedBytes == 0, "\(what)")
    }

    @Test func tlsInsideATunnelIsRead() {
        var c = Conversation(port: 3128)
        c.client(Self.connect)
        c.server(Self.established)
        #expect(c.inspection.tls == nil && !c.inspection.isDone, "nothing in the tunnel yet")
        c.client(S.clientHello)
        c.server(S.serverFlight)
        Self.tunnelledTLS(c, "whole chunks")
        // The proxy login crossed in clear before the tunnel, and was accepted.
        let credentials = c.inspection.takeSightings().compactMap { s -> CredentialSighting? in
            if case .credential(let credential) = s { credential } else { nil }
        }
        #expect(credentials.map(\.mechanism) == [.httpBasic] && credentials.first?.outcome == .accepted)
    }

    @Test func everySegmentationGivesTheSameHandshake() {
        var c = Conversation(port: 8080)
        for b in Self.connect { c.client([b]) }
        for b in Self.established { c.server([b]) }
        for b in S.clientHello { c.client([b]) }
        for b in S.serverFlight { c.server([b]) }
        Self.tunnelledTLS(c, "1-byte chunks")
        for cut in 1..<40 {
            var d = Conversation(port: 8080)
            d.client(Self.connect)
            d.server(Self.established)
            d.client(Array(S.clientHello.prefix(cut)))
            d.client(Array(S.clientHello.dropFirst(cut)))
            d.server(S.serverFlight)
            Self.tunnelledTLS(d, "client hello cut at \(cut)")
        }
    }

    /// The proxy's answer and the first bytes from the other end in one chunk
    /// (an SSH server speaks first; the proxy writes both as soon as it has them).
    @Test func serverBytesGluedToTheAnswer() {
        var c = Conversation(port: 3128)
        c.client(Self.connect)
        c.server(Self.established + Sample.sshBanner)
        #expect(c.inspection.payloadProtected)
        #expect(c.inspection.tls == nil)
    }

    @Test func aRefusedTunnelLeavesHTTPReadingOn() {
        var c = Conversation(port: 3128)
        c.client(Self.connect)
        c.server(Self.refused)
        #expect(c.context.counters.connectTunnels == 0)
        // The client tries again on the same connection; the second answer opens the tunnel.
        c.client(Self.connect)
        c.server(Self.established)
        c.client(S.clientHello)
        c.server(S.serverFlight)
        Self.tunnelledTLS(c, "after a 407")
        let outcomes = c.inspection.takeSightings().compactMap { s -> LoginOutcome? in
            if case .credential(let credential) = s { credential.outcome } else { nil }
        }
        #expect(outcomes == [.rejected, .accepted])
    }

    @Test func sshInsideIsProtectedAndNotReadAsTLS() {
        var c = Conversation(port: 3128)
        c.client(Self.connect)
        c.server(Self.established)
        c.server(Sample.sshBanner)
        c.client(Sample.sshClientBanner)
        #expect(c.inspection.tls == nil)
        #expect(c.inspection.payloadProtected)
        #expect(c.inspection.isDone)
        #expect(c.context.counters.connectTunnels == 1 && c.context.counters.tunnelledTLS == 0)
    }

    @Test func cleartextInsideStaysCleartext() {
        var c = Conversation(port: 3128)
        c.client(Self.connect)
        c.server(Self.established)
        c.client(ascii("GET /account.json HTTP/1.1\r\nHost: server.example.com\r\n\r\n"))
        c.server(ascii("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}"))
        #expect(c.inspection.tls == nil)
        #expect(!c.inspection.payloadProtected)
        #expect(c.inspection.isDone)
    }

    @Test func withoutTheTLSAnalyzerTheTunnelIsStillProtected() {
        var c = Conversation(port: 3128, selection: AnalyzerSelection(parsing: "cleartext")!)
        c.client(Self.connect)
        c.server(Self.established)
        c.client(S.clientHello)
        #expect(c.inspection.tls == nil)
        #expect(c.inspection.payloadProtected)
        #expect(c.context.counters.tunnelledTLS == 0)
    }

    /// A gap hides one direction's first bytes: the other still names what
    /// the tunnel carries (here the server's hello); with both hidden the
    /// tunnel stays what it was, cleartext.
    @Test func gapsAtTheTunnelsStart() {
        var c = Conversation(port: 3128)
        c.client(Self.connect)
        c.server(Self.established)
        c.inspection.gap(direction: .toServer, offset: c.offsets.toServer, length: 100, context: &c.context)
        c.offsets.toServer += 100
        c.client(S.clientHello)
        c.server(S.serverFlight)
        #expect(c.handshake?.serverHello?.cipherSuite == 0xc030)
        #expect(c.handshake?.clientHello == nil)
        #expect(c.inspection.payloadProtected)

        var both = Conversation(port: 3128)
        both.client(Self.connect)
        both.server(Self.established)
        both.inspection.gap(direction: .toServer, offset: both.offsets.toServer, length: 100, context: &both.context)
        both.inspection.gap(direction: .toClient, offset: both.offsets.toClient, length: 100, context: &both.context)
        both.offsets.toServer += 100
        both.offsets.toClient += 100
        both.client(S.clientHello)
        both.server(S.serverFlight)
        #expect(both.inspection.tls == nil)
        #expect(!both.inspection.payloadProtected)
        #expect(both.inspection.tunnel == nil, "identification of the tunnel ended")
    }

    // MARK: SOCKS5 (RFC 1928 §3, §4, §6; RFC 1929 §2)

    /// CONNECT by name: ATYP 3, the name's length, the name, the port.
    static let connectByName: [UInt8] = [5, 1, 0, 3, 16] + ascii("mail.example.com") + [0x01, 0xbb]
    /// A reply bound to an IPv6 address (ATYP 4).
    static let replyIPv6: [UInt8] = [5, 0, 0, 4] + [UInt8](repeating: 0, count: 15) + [1] + [0x9c, 0x40]

    static let socksDialogues: [(String, [Step])] = [
        ("no authentication, IPv4", [
            .client(SOCKSBytes.offer([0])), .server(SOCKSBytes.choice(0)),
            .client(SOCKSBytes.connect), .server(SOCKSBytes.connectReply),
        ]),
        ("password, a name, an IPv6 reply", [
            .client(SOCKSBytes.offer([0, 2])), .server(SOCKSBytes.choice(2)),
            .client(SOCKSBytes.login("bob", "alice")), .server(SOCKSBytes.status(0)),
            .client(connectByName), .server(replyIPv6),
        ]),
        ("an optimistic client: offer, login and request at once", [
            .client(SOCKSBytes.offer([2]) + SOCKSBytes.login("svc", "pw") + connectByName),
            .server(SOCKSBytes.choice(2) + SOCKSBytes.status(0) + SOCKSBytes.connectReply),
        ]),
    ]

    static func play(_ steps: [Step], _ c: inout Conversation, oneByteAtATime: Bool) {
        for step in steps {
            let (bytes, d): ([UInt8], Direction) = switch step {
            case .client(let b): (b, .toServer)
            case .server(let b): (b, .toClient)
            }
            if oneByteAtATime { for b in bytes { c.send([b], d) } } else { c.send(bytes, d) }
        }
    }

    @Test func tlsInsideASOCKS5Tunnel() {
        for (name, steps) in Self.socksDialogues {
            for oneByteAtATime in [false, true] {
                var c = Conversation(port: 1080)
                Self.play(steps + [.client(S.clientHello), .server(S.serverFlight)], &c, oneByteAtATime: oneByteAtATime)
                Self.tunnelledTLS(c, "\(name), 1-byte chunks \(oneByteAtATime)", through: .socks5)
            }
        }
    }

    @Test func noSOCKS5TunnelWithoutASuccessfulConnect() {
        let refusals: [(String, [Step])] = [
            ("connection refused (REP 5)", [
                .client(SOCKSBytes.offer([0])), .server(SOCKSBytes.choice(0)),
                .client(SOCKSBytes.connect), .server([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]),
            ]),
            ("UDP ASSOCIATE (CMD 3): its datagrams go elsewhere", [
                .client(SOCKSBytes.offer([0])), .server(SOCKSBytes.choice(0)),
                .client([5, 3, 0, 1, 0, 0, 0, 0, 0, 0]), .server(SOCKSBytes.connectReply),
            ]),
            ("the password refused", [
                .client(SOCKSBytes.offer([2])), .server(SOCKSBytes.choice(2)),
                .client(SOCKSBytes.login("bob", "guess")), .server(SOCKSBytes.status(1)),
            ]),
        ]
        for (name, steps) in refusals {
            var c = Conversation(port: 1080)
            Self.play(steps + [.client(S.clientHello), .server(S.serverFlight)], &c, oneByteAtATime: false)
            #expect(c.inspection.tls == nil, "\(name)")
            #expect(!c.inspection.payloadProtected, "\(name)")
            #expect(c.context.counters.socksTunnels == 0, "\(name)")
        }
    }

    // MARK: SOCKS4 and 4a

    static let socks4Granted: [UInt8] = [0, 90, 0, 80, 192, 0, 2, 10]

    @Test func tlsInsideASOCKS4Tunnel() {
        for (name, request) in [("SOCKS4", SOCKSBytes.socks4), ("SOCKS4a", SOCKSBytes.socks4a)] {
            for oneByteAtATime in [false, true] {
                var c = Conversation(port: 1080)
                Self.play([.client(request), .server(Self.socks4Granted), .client(S.clientHello), .server(S.serverFlight)],
                          &c, oneByteAtATime: oneByteAtATime)
                Self.tunnelledTLS(c, "\(name), 1-byte chunks \(oneByteAtATime)", through: .socks4)
                #expect(c.inspection.takeSightings().isEmpty, "a user id is not a secret")
            }
        }
    }

    @Test func noSOCKS4TunnelWithoutAGrantedConnect() {
        let longID = [UInt8](repeating: 0x61, count: SOCKSLoginAnalyzer.maxSOCKS4Names + 1)
        for (name, request, reply) in [
            ("rejected (CD 91)", SOCKSBytes.socks4, [0, 91, 0, 0, 0, 0, 0, 0] as [UInt8]),
            ("BIND (CD 2)", [4, 2, 0, 80, 192, 0, 2, 10] + ascii("alice") + [0], Self.socks4Granted),
            ("a user id past the cap", [4, 1, 0, 80, 192, 0, 2, 10] + longID + [0], Self.socks4Granted),
        ] {
            var c = Conversation(port: 1080)
            Self.play([.client(request), .server(reply), .client(S.clientHello), .server(S.serverFlight)], &c, oneByteAtATime: false)
            #expect(c.inspection.tls == nil, "\(name)")
            #expect(c.context.counters.socksTunnels == 0, "\(name)")
            #expect(c.context.counters.cleartextOversizedMessages == (name == "a user id past the cap" ? 1 : 0), "\(name)")
        }
    }
}
