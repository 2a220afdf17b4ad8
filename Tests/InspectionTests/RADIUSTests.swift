import Testing
@testable import Flows
@testable import Inspection

// RADIUS (RFC 2865) on byte-exact packets: RFC 2865 §7.1's own example (user
// nemo, password "arctangent", shared secret "xyzzy5461": its User-Password
// decodes to the password and its Access-Accept's authenticator checks, both
// verified when the test was written), and packets built here for CHAP,
// MS-CHAPv2, Message-Authenticator and the malformed cases.

@Suite struct RADIUSTests {
    /// RFC 2865 §7.1: the Access-Request from NAS 192.168.1.16 (identifier 0).
    static let rfcRequest: [UInt8] = hex(
        "01000038 0f403f9473978057bd83d5cb98f4227a 01066e656d6f 02120dbe708d93d413ce3196e43f782a0aee 0406c0a80110 050600000003")
    /// RFC 2865 §7.1: its Access-Accept (Service-Type, Login-Service, Login-IP-Host; no Message-Authenticator).
    static let rfcAccept: [UInt8] = hex("02000026 86fe220e7624ba2a1005f6bf9b55e0b2 060600000001 0f0600000000 0e06c0a80103")

    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.filter { !$0.isWhitespace }.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
    }

    static func attribute(_ type: UInt8, _ value: [UInt8]) -> [UInt8] { [type, UInt8(value.count + 2)] + value }

    /// A packet of `code` and `identifier` with `attributes` (their bytes, joined); its Length right.
    static func packet(_ code: UInt8, id: UInt8, _ attributes: [[UInt8]], authenticator: [UInt8] = counting(16, from: 0x30)) -> [UInt8] {
        let body = attributes.flatMap { $0 }
        return [code, id] + be16(20 + body.count) + authenticator + body
    }

    static let nasIP = attribute(4, [10, 0, 0, 1])
    static func user(_ name: String) -> [UInt8] { attribute(1, ascii(name)) }
    static let messageAuthenticator = attribute(80, [UInt8](repeating: 0x5e, count: 16))

    /// A Microsoft vendor-specific attribute (Vendor-Id 311) holding one sub-attribute.
    static func microsoft(_ type: UInt8, _ value: [UInt8]) -> [UInt8] {
        attribute(26, [0, 0, 0x01, 0x37] + [type, UInt8(value.count + 2)] + value)
    }

    /// Runs the datagrams through one analyzer, each in its direction, then ends the flow.
    static func sightings(_ datagrams: [([UInt8], Direction)]) -> [Sighting] {
        let analyzer = RADIUSAnalyzer()
        var context = InspectionContext()
        for (d, direction) in datagrams {
            let verdict = d.withUnsafeBytes { analyzer.ingest($0, direction: direction, offset: 0, context: &context) }
            #expect(verdict == .needMore)
        }
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
        return analyzer.sightings
    }

    static func credentials(_ sightings: [Sighting]) -> [CredentialSighting] {
        sightings.compactMap { if case .credential(let c) = $0 { c } else { nil } }
    }

    @Test func theRFCExampleIsAPAPLoginAcceptedByABareReply() throws {
        let request = try #require(Self.rfcRequest.withUnsafeBytes { RADIUSPacket.parse($0) })
        #expect(request.code == 1 && request.identifier == 0 && request.length == 56)
        #expect(request.attribute(1).map(Array.init) == ascii("nemo"))
        #expect(request.attribute(2)?.count == 16)
        #expect(request.attribute(80) == nil)
        #expect(run(Probes.radius.probeToServer, Self.rfcRequest, port: 1812) == .match)
        #expect(run(Probes.radius.probeToClient, Self.rfcAccept, port: 1812) == .match)
        #expect(identify([Self.rfcRequest], .toServer, port: 51812, transport: .udp).app == .radius)

        let seen = Self.sightings([(Self.rfcRequest, .toServer), (Self.rfcAccept, .toClient)])
        #expect(
            seen == [
                .credential(
                    CredentialSighting(
                        mechanism: .radiusPAP, username: ascii("nemo"), secret: Array(Self.rfcRequest[28..<44]) + Self.rfcRequest[4..<20],
                        outcome: .accepted, direction: .toServer)),
                .radiusForgeableReply(reply: "Access-Accept", messageAuthenticatorLater: false),
            ])
    }

    @Test func outcomesFollowTheReplyWithTheSameIdentifier() {
        let pap = { (id: UInt8, name: String) in
            Self.packet(1, id: id, [Self.user(name), Self.attribute(2, counting(16)), Self.nasIP, Self.messageAuthenticator])
        }
        let reply = { (code: UInt8, id: UInt8) in Self.packet(code, id: id, [Self.messageAuthenticator]) }
        let seen = Self.sightings([
            (pap(7, "alice"), .toServer), (pap(8, "bob"), .toServer), (pap(9, "carol"), .toServer), (pap(10, "dave"), .toServer),
            (reply(3, 8), .toClient), (reply(11, 9), .toClient), (reply(2, 7), .toClient),
            (reply(2, 99), .toClient),  // answers nothing seen
        ])
        #expect(Self.credentials(seen).map { String(decoding: $0.username ?? [], as: UTF8.self) } == ["bob", "carol", "alice", "dave"])
        #expect(Self.credentials(seen).map(\.outcome) == [.rejected, .unknown, .accepted, .unknown])
        #expect(seen.count == 4, "every reply carried a Message-Authenticator")
    }

    @Test func aRetransmissionIsOneLogin() {
        let request = Self.packet(1, id: 3, [Self.user("alice"), Self.attribute(2, counting(16)), Self.nasIP])
        let seen = Self.sightings([(request, .toServer), (request, .toServer), (Self.packet(3, id: 3, []), .toClient)])
        #expect(Self.credentials(seen).map(\.outcome) == [.rejected])
        #expect(seen.contains(.radiusForgeableReply(reply: "Access-Reject", messageAuthenticatorLater: false)))
    }

    @Test func aBareReplyIsReportedOncePerFlow() {
        let seen = Self.sightings([
            (Self.packet(11, id: 1, []), .toClient), (Self.packet(2, id: 2, []), .toClient),
            (Self.packet(5, id: 3, []), .toClient),  // an Accounting-Response: no Message-Authenticator is asked of it
        ])
        #expect(seen == [.radiusForgeableReply(reply: "Access-Challenge", messageAuthenticatorLater: false)])
        #expect(Self.sightings([(Self.packet(5, id: 3, []), .toClient)]).isEmpty)
    }

    @Test func chapCarriesItsChallenge() {
        let chap = Self.attribute(3, [0x2a] + counting(16, from: 0x80))
        let challenge = counting(16, from: 0xc0)
        let withChallenge = Self.packet(1, id: 1, [Self.user("jsmith"), chap, Self.attribute(60, challenge), Self.nasIP])
        let withoutOne = Self.packet(1, id: 2, [Self.user("jsmith"), chap, Self.nasIP], authenticator: counting(16, from: 0x10))
        let found = Self.credentials(Self.sightings([(withChallenge, .toServer), (withoutOne, .toServer)]))
        #expect(found.map(\.mechanism) == [.radiusCHAP, .radiusCHAP])
        #expect(found.map(\.secret) == [[0x2a] + counting(16, from: 0x80) + challenge, [0x2a] + counting(16, from: 0x80) + counting(16, from: 0x10)])
        #expect(found.allSatisfy { $0.outcome == .unknown && $0.username == ascii("jsmith") })
        // A CHAP-Password of another size is no CHAP response.
        let short = Self.packet(1, id: 3, [Self.user("jsmith"), Self.attribute(3, counting(16)), Self.nasIP])
        #expect(Self.sightings([(short, .toServer)]).isEmpty)
    }

    @Test func msCHAPv2ResponseAndChallengeFromTheMicrosoftAttributes() {
        let response = counting(50, from: 0x40)
        let challenge = counting(16, from: 0xa0)
        let request = Self.packet(1, id: 4, [
            Self.user("jsmith"), Self.nasIP,
            Self.attribute(26, [0, 0, 0x00, 0x09, 1, 6, 0, 0, 0, 0]),  // another vendor (Cisco) first
            Self.microsoft(11, challenge), Self.microsoft(25, response),
        ])
        let found = Self.credentials(Self.sightings([(request, .toServer), (Self.packet(2, id: 4, [Self.messageAuthenticator]), .toClient)]))
        #expect(found == [CredentialSighting(mechanism: .radiusMSCHAPv2, username: ascii("jsmith"), secret: response + challenge, outcome: .accepted)])
        // MS-CHAP v1's response (type 1) with its 8-byte challenge; a response of another size is not read.
        let v1 = Self.packet(1, id: 5, [Self.user("jsmith"), Self.nasIP, Self.microsoft(1, response), Self.microsoft(11, counting(8))])
        #expect(Self.credentials(Self.sightings([(v1, .toServer)])).map(\.secret) == [response + counting(8)])
        #expect(Self.credentials(Self.sightings([(v1, .toServer)])).map(\.mechanism) == [.radiusMSCHAP])
        let odd = Self.packet(1, id: 6, [Self.user("jsmith"), Self.nasIP, Self.microsoft(25, counting(49))])
        #expect(Self.sightings([(odd, .toServer)]).isEmpty)
    }

    @Test func anEAPIdentityAndAccountingCarryNoPassword() {
        let eap = Self.packet(1, id: 1, [Self.user("alice"), Self.nasIP, Self.attribute(79, [2, 1, 0, 10, 1] + ascii("alice")), Self.messageAuthenticator])
        let accounting = Self.packet(4, id: 2, [Self.user("alice"), Self.nasIP, Self.attribute(40, [0, 0, 0, 1])])
        #expect(Self.sightings([(eap, .toServer), (accounting, .toServer), (Self.packet(5, id: 2, []), .toClient)]).isEmpty)
        #expect(run(Probes.radius.probeToServer, accounting, port: 1813) == .match)
    }

    @Test func moreThanMaxPendingRequestsReportTheOldestUnanswered() {
        let requests = (0..<(RADIUSAnalyzer.maxPending + 2)).map { k in
            (Self.packet(1, id: UInt8(k), [Self.user("user\(k)"), Self.attribute(2, counting(16)), Self.nasIP]), Direction.toServer)
        }
        let analyzer = RADIUSAnalyzer()
        var context = InspectionContext()
        for (d, direction) in requests { _ = d.withUnsafeBytes { analyzer.ingest($0, direction: direction, offset: 0, context: &context) } }
        #expect(Self.credentials(analyzer.sightings).map { String(decoding: $0.username ?? [], as: UTF8.self) } == ["user0", "user1"])
        #expect(analyzer.pending.count == RADIUSAnalyzer.maxPending)
        // The last one still waits for its answer.
        let accept = Self.packet(2, id: UInt8(RADIUSAnalyzer.maxPending + 1), [Self.messageAuthenticator])
        _ = accept.withUnsafeBytes { analyzer.ingest($0, direction: .toClient, offset: 0, context: &context) }
        #expect(Self.credentials(analyzer.sightings).last?.outcome == .accepted)
    }

    @Test func malformedPacketsAreNotRADIUS() {
        var inputs: [[UInt8]] = [
            [],
            Self.packet(6, id: 0, []),  // an unassigned code
            Self.packet(0, id: 0, []),
            Self.packet(1, id: 0, [Self.user("nemo")]),  // an Access-Request that names no NAS
            Self.packet(4, id: 0, [Self.user("nemo")]),  // so is an Accounting-Request
            Self.packet(2, id: 0, [[0, 2]]),  // attribute type 0
            Self.packet(2, id: 0, [[1, 1]]),  // an attribute shorter than its header
            Self.packet(2, id: 0, [[1, 9, 0x41]]),  // one longer than the packet
        ]
        var long = Self.packet(2, id: 0, [Self.attribute(18, [UInt8](repeating: 0x41, count: 253))])
        while long.count <= RADIUSPacket.maxLength { long += Self.attribute(18, [UInt8](repeating: 0x41, count: 253)) }
        long[2] = UInt8(long.count >> 8)
        long[3] = UInt8(long.count & 0xff)
        inputs.append(long)  // over RFC 2865's 4096 bytes
        var lying = Self.rfcAccept
        lying[3] = 0x25  // Length one short: the last attribute runs past it
        inputs.append(lying)
        for cut in 1..<Self.rfcRequest.count { inputs.append(Array(Self.rfcRequest[..<cut])) }
        for m in inputs {
            #expect(m.withUnsafeBytes { RADIUSPacket.parse($0) } == nil, "\(m.prefix(24))")
            #expect(run(Probes.radius.probeToServer, m, port: 1812) == .noMatch, "\(m.prefix(24))")
        }
        // Padding past Length is read (RFC 2865 §3), but a datagram with any is not taken for RADIUS.
        let padded = Self.rfcAccept + [0, 0, 0, 0]
        #expect(padded.withUnsafeBytes { RADIUSPacket.parse($0) }?.length == 38)
        #expect(run(Probes.radius.probeToClient, padded, port: 1812) == .noMatch)
    }

    @Test func otherUDPProtocolsAreNotRADIUS() {
        for datagram in [SNMPBytes.message(version: 1, community: "public", pdu: 0xa0), Sample.ntpRequest, ascii("<34>Oct 11 22:14:15 host su: 'su root' failed")] {
            #expect(run(Probes.radius.probeToServer, datagram, port: 1812) == .noMatch)
        }
    }
}
