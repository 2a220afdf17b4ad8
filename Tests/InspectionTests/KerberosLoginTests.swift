import Foundation
import Testing
@testable import Flows
@testable import Inspection

// KerberosAnalyzer, KerberosMessage and Probes.kerberos / kerberosTCP on
// byte-exact DER messages built here from the ASN.1 of RFC 4120 §5 (AS-REQ,
// AS-REP, TGS-REP, KRB-ERROR, PA-ENC-TIMESTAMP, EncryptedData) with etypes
// from RFC 4757 (rc4-hmac 23) and RFC 3962 (aes256-cts-hmac-sha1-96 18):
// one message per UDP datagram (§7.2.1) and 4-byte length records over TCP
// (§7.2.2), split at every byte; plus the real captures through tshark.

enum KerberosBytes {
    static func int(_ v: Int) -> [UInt8] { berInteger(v) }
    static func string(_ s: String) -> [UInt8] { ber(0x1b, ascii(s)) }
    static func field(_ n: UInt8, _ content: [UInt8]) -> [UInt8] { ber(0xa0 | n, content) }

    /// PrincipalName: name-type (1 principal, 2 service instance) and its components.
    static func principal(_ type: Int, _ names: [String]) -> [UInt8] {
        ber(0x30, field(0, int(type)) + field(1, ber(0x30, names.flatMap(string))))
    }

    static func encryptedData(etype: Int, kvno: Int? = nil, cipher: [UInt8]) -> [UInt8] {
        ber(0x30, field(0, int(etype)) + (kvno.map { field(1, int($0)) } ?? []) + field(2, ber(0x04, cipher)))
    }

    static let realm = "EXAMPLE.COM"
    static let timestampCipher = counting(52, from: 0x20)
    static let repCipher = counting(200, from: 0x40)
    static let ticketCipher = counting(300, from: 0x90)

    /// AS-REQ (APPLICATION 10), with a PA-ENC-TIMESTAMP of `preauthEtype` (none when nil) and PA-PAC-REQUEST.
    static func asReq(user: String = "alice", preauthEtype: Int?) -> [UInt8] {
        var padata: [UInt8] = []
        if let etype = preauthEtype {
            let value = encryptedData(etype: etype, cipher: timestampCipher)
            padata += ber(0x30, field(1, int(2)) + field(2, ber(0x04, value)))
        }
        padata += ber(0x30, field(1, int(128)) + field(2, ber(0x04, ber(0x30, field(0, [0x01, 0x01, 0xff])))))
        let body = ber(
            0x30,
            field(0, [0x03, 0x05, 0x00, 0x40, 0x81, 0x00, 0x10]) + field(1, principal(1, [user])) + field(2, string(realm))
                + field(3, principal(2, ["krbtgt", realm])) + field(5, ber(0x18, ascii("20370913024805Z")))
                + field(7, int(0x1234_5678)) + field(8, ber(0x30, int(18) + int(17) + int(23))))
        return ber(0x6a, ber(0x30, field(1, int(5)) + field(2, int(10)) + field(3, ber(0x30, padata)) + field(4, body)))
    }

    static func ticket(service: [String], etype: Int) -> [UInt8] {
        ber(0x61, ber(0x30, field(0, int(5)) + field(1, string(realm)) + field(2, principal(2, service))
            + field(3, encryptedData(etype: etype, kvno: 2, cipher: ticketCipher))))
    }

    /// AS-REP (APPLICATION 11) or TGS-REP (13): a ticket for `service`, enc-part of `etype`.
    static func rep(tgs: Bool = false, user: String = "alice", etype: Int, service: [String] = ["krbtgt", realm], ticketEtype: Int = 18) -> [UInt8] {
        ber(tgs ? 0x6d : 0x6b, ber(
            0x30,
            field(0, int(5)) + field(1, int(tgs ? 13 : 11)) + field(3, string(realm)) + field(4, principal(1, [user]))
                + field(5, ticket(service: service, etype: ticketEtype))
                + field(6, encryptedData(etype: etype, kvno: 3, cipher: repCipher))))
    }

    /// KRB-ERROR (APPLICATION 30) with `code`.
    static func error(_ code: Int) -> [UInt8] {
        ber(0x7e, ber(
            0x30,
            field(0, int(5)) + field(1, int(30)) + field(4, ber(0x18, ascii("20240101000000Z"))) + field(5, int(0))
                + field(6, int(code)) + field(9, string(realm)) + field(10, principal(2, ["krbtgt", realm]))))
    }

    /// A TCP record (RFC 4120 §7.2.2).
    static func tcp(_ message: [UInt8]) -> [UInt8] { bigEndian32(message.count) + message }
}

/// Sends each step as one datagram.
func kerberosDatagrams(_ steps: [Step]) -> [Sighting] {
    var run = StreamRun(KerberosAnalyzer(maxDepth: 1 << 20, datagrams: true))
    run.play(steps)
    #expect(run.verdicts.allSatisfy { $0 == .needMore }, "a UDP flow is never done")
    run.endBoth()
    return run.sightings
}

func kerberosCredential(
    _ mechanism: CredentialMechanism, _ user: String, _ secret: [UInt8], _ outcome: LoginOutcome,
    _ direction: Direction = .toServer
) -> Sighting {
    .credential(CredentialSighting(mechanism: mechanism, username: ascii(user), secret: secret, outcome: outcome, direction: direction))
}

struct KerberosLoginTests {
    static func make() -> KerberosAnalyzer { KerberosAnalyzer(maxDepth: 1 << 20, datagrams: false) }

    // MARK: UDP

    @Test func rc4PreauthAccepted() {
        let got = kerberosDatagrams([.client(KerberosBytes.asReq(preauthEtype: 23)), .server(KerberosBytes.rep(etype: 23))])
        #expect(got == [kerberosCredential(.kerberosRC4PreAuth, "alice@EXAMPLE.COM", KerberosBytes.timestampCipher, .accepted)])
    }

    @Test func rc4PreauthFailed() {
        let got = kerberosDatagrams([.client(KerberosBytes.asReq(preauthEtype: 23)), .server(KerberosBytes.error(24))])
        #expect(got == [kerberosCredential(.kerberosRC4PreAuth, "alice@EXAMPLE.COM", KerberosBytes.timestampCipher, .rejected)])
    }

    @Test func rc4ExportPreauthWithoutAnswerIsUnknown() {
        let got = kerberosDatagrams([.client(KerberosBytes.asReq(preauthEtype: 24))])
        #expect(got == [kerberosCredential(.kerberosRC4PreAuth, "alice@EXAMPLE.COM", KerberosBytes.timestampCipher, .unknown)])
    }

    @Test func otherErrorsSayNothingAboutThePassword() {
        // KDC_ERR_C_PRINCIPAL_UNKNOWN (6): the timestamp was never checked.
        let got = kerberosDatagrams([.client(KerberosBytes.asReq(preauthEtype: 23)), .server(KerberosBytes.error(6))])
        #expect(got == [kerberosCredential(.kerberosRC4PreAuth, "alice@EXAMPLE.COM", KerberosBytes.timestampCipher, .unknown)])
    }

    @Test func aesPreauthIsTheSafeDefault() {
        // The usual Windows login: PREAUTH_REQUIRED, then AES pre-authentication and an AES reply.
        let got = kerberosDatagrams([
            .client(KerberosBytes.asReq(preauthEtype: nil)), .server(KerberosBytes.error(25)),
            .client(KerberosBytes.asReq(preauthEtype: 18)), .server(KerberosBytes.rep(etype: 18)),
        ])
        #expect(got.isEmpty)
    }

    @Test func asRepRoasting() {
        // No pre-authentication at all and an RC4 reply: crackable for the user's password.
        let got = kerberosDatagrams([.client(KerberosBytes.asReq(user: "svc-backup", preauthEtype: nil)), .server(KerberosBytes.rep(user: "svc-backup", etype: 23))])
        #expect(got == [kerberosCredential(.kerberosASREPRC4, "svc-backup@EXAMPLE.COM", KerberosBytes.repCipher, .unknown, .toClient)])
    }

    @Test func kerberoasting() {
        let got = kerberosDatagrams([.server(KerberosBytes.rep(tgs: true, etype: 23, service: ["MSSQLSvc", "db.example.com:1433"], ticketEtype: 23))])
        #expect(got == [kerberosCredential(.kerberosTGSRC4, "MSSQLSvc/db.example.com:1433@EXAMPLE.COM", KerberosBytes.ticketCipher, .unknown, .toClient)])
    }

    @Test func ticketsThatAreNotRoastable() {
        // An AES service ticket (with an RC4 session-key enc-part) and an RC4 krbtgt ticket (random key).
        let got = kerberosDatagrams([
            .server(KerberosBytes.rep(tgs: true, etype: 23, service: ["HTTP", "web.example.com"], ticketEtype: 18)),
            .server(KerberosBytes.rep(tgs: true, etype: 23, service: ["KRBTGT", KerberosBytes.realm], ticketEtype: 23)),
        ])
        #expect(got.isEmpty)
    }

    @Test func everyTruncationOfADatagramIsSafe() {
        // A cut request is no pre-authentication: the RC4 reply that follows is then AS-REP roasting.
        let request = KerberosBytes.asReq(preauthEtype: 23)
        let roasted = [kerberosCredential(.kerberosASREPRC4, "alice@EXAMPLE.COM", KerberosBytes.repCipher, .unknown, .toClient)]
        for n in 0..<request.count {
            #expect(kerberosDatagrams([.client(Array(request[..<n])), .server(KerberosBytes.rep(etype: 23))]) == roasted, "cut at \(n)")
        }
        let reply = KerberosBytes.rep(tgs: true, etype: 23, service: ["HTTP", "web"], ticketEtype: 23)
        for n in 0..<reply.count {
            #expect(kerberosDatagrams([.server(Array(reply[..<n]))]).isEmpty, "cut at \(n)")
        }
    }

    @Test func trailingBytesAreNotAMessage() {
        #expect(kerberosDatagrams([.client(KerberosBytes.asReq(preauthEtype: 23) + [0])]).isEmpty)
    }

    // MARK: TCP

    @Test func tcpEverySplit() {
        let steps: [Step] = [
            .client(KerberosBytes.tcp(KerberosBytes.asReq(preauthEtype: 23))),
            .server(KerberosBytes.tcp(KerberosBytes.rep(etype: 23))),
            .client(KerberosBytes.tcp(KerberosBytes.asReq(user: "bob", preauthEtype: 23))),
            .server(KerberosBytes.tcp(KerberosBytes.error(24))),
        ]
        StreamRun.expectEverySplit(KerberosLoginTests.make, steps, [
            kerberosCredential(.kerberosRC4PreAuth, "alice@EXAMPLE.COM", KerberosBytes.timestampCipher, .accepted),
            kerberosCredential(.kerberosRC4PreAuth, "bob@EXAMPLE.COM", KerberosBytes.timestampCipher, .rejected),
        ])
    }

    @Test func tcpKerberoastingSplit() {
        let steps: [Step] = [.server(KerberosBytes.tcp(KerberosBytes.rep(tgs: true, etype: 18, service: ["cifs", "fs1"], ticketEtype: 23)))]
        StreamRun.expectEverySplit(KerberosLoginTests.make, steps, [
            kerberosCredential(.kerberosTGSRC4, "cifs/fs1@EXAMPLE.COM", KerberosBytes.ticketCipher, .unknown, .toClient)
        ])
    }

    @Test func tcpDoneWhenBothDirectionsEnd() {
        var run = StreamRun(KerberosLoginTests.make())
        run.send(KerberosBytes.tcp(KerberosBytes.asReq(preauthEtype: 18)), .toServer)
        #expect(run.verdicts.last == .needMore)
        #expect(run.analyzer.gap(direction: .toServer, offset: 999, length: 1, context: &run.context) == .needMore)
        #expect(run.analyzer.gap(direction: .toClient, offset: 0, length: 1, context: &run.context) == .done)
    }

    @Test func tcpReservedLengthBitStops() {
        var run = StreamRun(KerberosLoginTests.make())
        let message = KerberosBytes.asReq(preauthEtype: 23)
        run.send([0x80, 0, 0, UInt8(message.count & 0xff)] + message, .toServer)
        run.endBoth()
        #expect(run.sightings.isEmpty)
    }

    // MARK: probes

    @Test func probes() {
        let request = KerberosBytes.asReq(preauthEtype: 18)
        for port: UInt16 in [88, 750, 40000] {
            #expect(run(Probes.kerberos.probeToServer, request, port: port) == .match)
            #expect(run(Probes.kerberos.probeToClient, KerberosBytes.error(25), port: port) == .match)
            #expect(run(Probes.kerberos.probeToClient, KerberosBytes.rep(etype: 18), port: port) == .match)
            #expect(run(Probes.kerberosTCP.probeToServer, KerberosBytes.tcp(request), port: port) == .match)
        }
        // A request from the server's side, a reply from the client's, a wrong length, DNS, SNMP.
        #expect(run(Probes.kerberos.probeToClient, request, port: 88) == .noMatch)
        #expect(run(Probes.kerberos.probeToServer, KerberosBytes.error(25), port: 88) == .noMatch)
        #expect(run(Probes.kerberos.probeToServer, Array(request.dropLast()), port: 88) == .noMatch)
        #expect(run(Probes.kerberosTCP.probeToServer, bigEndian32(request.count + 1) + request, port: 88) == .noMatch)
        #expect(run(Probes.kerberosTCP.probeToServer, Array(KerberosBytes.tcp(request).prefix(9)), port: 88) == .needMore)
        #expect(run(Probes.kerberos.probeToServer, Sample.dnsQuery, port: 88) == .noMatch)
        // msg-type 12 inside an APPLICATION 10 element.
        var wrongType = request
        if let k = wrongType.firstIndex(of: 0xa2), wrongType[k + 4] == 10 { wrongType[k + 4] = 12 }
        #expect(run(Probes.kerberos.probeToServer, wrongType, port: 88) == .noMatch)
    }

    @Test func identifiedAsKerberos() {
        #expect(identify([KerberosBytes.asReq(preauthEtype: 18)], .toServer, port: 8888, transport: .udp).app == .kerberos)
        #expect(identify(split(KerberosBytes.tcp(KerberosBytes.asReq(preauthEtype: 18)), at: 3), .toServer, port: 88).app == .kerberos)
    }

    // MARK: real captures

    /// Every UDP datagram of a capture, grouped by client port, through one analyzer each.
    static func udpSightings(_ name: String) -> [Sighting] {
        var flows: [UInt16: KerberosAnalyzer] = [:]
        var order: [UInt16] = []
        var context = InspectionContext()
        for (s, d, payload) in RealCapture.udpPayloads(name) {
            let toServer = d == 88
            let client = toServer ? s : d
            if flows[client] == nil {
                flows[client] = KerberosAnalyzer(maxDepth: 1 << 20, datagrams: true)
                order.append(client)
            }
            _ = payload.withUnsafeBytes {
                flows[client]!.ingest($0, direction: toServer ? .toServer : .toClient, offset: 0, context: &context)
            }
        }
        return order.flatMap { key -> [Sighting] in
            flows[key]!.end(direction: .toServer, context: &context)
            return flows[key]!.sightings
        }
    }

    @Test(.enabled(if: RealCapture.available("ndpi__kerberos-login.pcap")))
    func kerberosLoginRC4ServiceTickets() {
        // 12 TGS exchanges with RC4 tickets (tshark: kerberos.etype 23); two are for krbtgt.
        let got = KerberosLoginTests.udpSightings("ndpi__kerberos-login.pcap")
        let users = got.compactMap { s -> String? in
            guard case .credential(let c) = s, c.mechanism == .kerberosTGSRC4 else { return nil }
            return String(decoding: c.username ?? [], as: UTF8.self)
        }
        #expect(got.count == 10 && users.count == 10)
        #expect(users.contains("host/xp1.denydc.com@DENYDC.COM"))
        #expect(users.contains("ldap/vpc-w2k3ent.denyDC.com/denyDC.com@DENYDC.COM"))
        #expect(!users.contains { $0.hasPrefix("krbtgt/") })
        let tcp = StreamRun.sightings(KerberosLoginTests.make, RealCapture.tcpStream("ndpi__kerberos-login.pcap"))
        #expect(tcp.count == 1)
        if case .credential(let c) = tcp.first { #expect(c.username == ascii("ldap/dc@TESTBED1.CA")) }
    }

    @Test(.enabled(if: RealCapture.available("zeek__krb__auth.pcap")))
    func aesOnly() {
        #expect(KerberosLoginTests.udpSightings("zeek__krb__auth.pcap").isEmpty)
        #expect(KerberosLoginTests.udpSightings("arkime__krb5-udp.pcap").isEmpty)
    }
}
