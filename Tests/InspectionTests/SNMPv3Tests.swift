import Testing
@testable import Flows
@testable import Inspection

// SNMPv3 (RFC 3412 §6, RFC 3414 §2.4) on byte-exact messages: identified at
// every security level, a flow that carried a message with privacy is
// protected (its discovery exchange, always in clear, does not make it
// cleartext), and the USM's HMACs are crackable credentials.

@Suite struct SNMPv3Tests {
    /// A message with `flags` (bit 0 auth, bit 1 priv) from user `user`, with
    /// `hmac` as its authentication parameters (12 bytes of AB by default when
    /// authenticated); the data part a scoped `pdu` (get-request) whose first
    /// variable is named `oid`, or (privacy) an encrypted OCTET STRING.
    static func message(
        flags: UInt8, user: String = "monitor", msgID: Int = 0x4d2, hmac: [UInt8]? = nil, pdu: UInt8 = 0xa0,
        oid: [UInt8]? = nil, maxSize: Int = 65507, encryptedData: Bool? = nil
    ) -> [UInt8] {
        let usm = ber(
            0x30,
            ber(0x04, [0x80, 0x00, 0x1f, 0x88, 0x80, 0x12]) + berInteger(5) + berInteger(1234) + ber(0x04, ascii(user))
                + ber(0x04, hmac ?? (flags & 1 != 0 ? [UInt8](repeating: 0xab, count: 12) : []))
                + ber(0x04, flags & 2 != 0 ? [UInt8](repeating: 0xcd, count: 8) : []))
        let bindings = oid.map { ber(0x30, ber(0x06, $0) + ber(0x41, [1])) } ?? []
        let scoped = ber(0x30, ber(0x04, []) + ber(0x04, []) + ber(pdu, berInteger(7) + berInteger(0) + berInteger(0) + ber(0x30, bindings)))
        let data = (encryptedData ?? (flags & 2 != 0)) ? ber(0x04, [UInt8](repeating: 0x5a, count: 40)) : scoped
        return ber(
            0x30,
            berInteger(3) + ber(0x30, berInteger(msgID) + berInteger(maxSize) + ber(0x04, [flags]) + berInteger(3))
                + ber(0x04, usm) + data)
    }

    @Test func everySecurityLevelIsSNMPv3() {
        for (flags, auth, priv) in [(UInt8(0x04), false, false), (0x05, true, false), (0x07, true, true), (0x00, false, false)] {
            let m = Self.message(flags: flags)
            let parsed = m.withUnsafeBytes { SNMPv3Message.parse($0) }
            #expect(parsed?.authenticated == auth && parsed?.encrypted == priv && parsed?.namedUser == true, "flags \(flags)")
            #expect(run(Probes.snmpv3.probeToServer, m, port: 1161) == .match, "flags \(flags)")
            #expect(run(Probes.snmp.probeToServer, m, port: 161) == .noMatch, "not v1/v2c")
        }
        #expect(SNMPBytes.v3.withUnsafeBytes { SNMPv3Message.parse($0) }?.namedUser == false, "the v1/v2c tests' v3 message: a discovery")
        #expect(identify([Self.message(flags: 0x04)], .toServer, port: 50161, transport: .udp).app == .snmpv3)
    }

    @Test func malformedOrOtherMessagesAreNot() {
        var inputs: [[UInt8]] = [
            SNMPBytes.message(version: 1, community: "public", pdu: 0xa0),
            Self.message(flags: 0x06),  // privacy without authentication
            Self.message(flags: 0x04, encryptedData: true),  // an encrypted PDU without the privacy flag
            Self.message(flags: 0x07, encryptedData: false),  // privacy flag, data in clear
            Self.message(flags: 0x0c),  // a reserved flag bit
            Self.message(flags: 0x04, maxSize: 100),  // below RFC 3412's 484
            Self.message(flags: 0x04) + [0x00],  // trailing bytes
            [],
        ]
        let good = Self.message(flags: 0x04)
        for cut in 1..<good.count { inputs.append(Array(good[..<cut])) }
        for m in inputs {
            #expect(m.withUnsafeBytes { SNMPv3Message.parse($0) } == nil, "\(m.prefix(24))")
        }
    }

    /// The flow's payload is protected once a message with privacy went by.
    static func protected(_ datagrams: [([UInt8], Direction)]) -> (app: AppProtocol, protected: Bool) {
        var inspection = FlowInspection(serverPort: 161, transport: .udp, selection: .all)
        var context = InspectionContext()
        for (d, direction) in datagrams {
            d.withUnsafeBytes { inspection.ingest($0, direction: direction, offset: 0, context: &context) }
        }
        return (inspection.app, inspection.payloadProtected)
    }

    @Test func anAuthPrivSessionIsProtectedAfterItsDiscovery() {
        // RFC 3414 §4: the discovery request and report are noAuthNoPriv, an empty user.
        let discovery = Self.message(flags: 0x04, user: "")
        let report = Self.message(flags: 0x00, user: "")
        let session = Self.protected([
            (discovery, .toServer), (report, .toClient), (Self.message(flags: 0x07), .toServer), (Self.message(flags: 0x03), .toClient),
        ])
        #expect(session.app == .snmpv3 && session.protected)
        let clear = Self.protected([
            (discovery, .toServer), (report, .toClient), (Self.message(flags: 0x05), .toServer), (Self.message(flags: 0x01), .toClient),
        ])
        #expect(clear.app == .snmpv3 && !clear.protected, "authNoPriv: the PDUs are in clear")
        // An agent sending traps at three levels (nDPI's snmp.pcap does): some crossed in clear.
        let mixed = Self.protected([
            (Self.message(flags: 0x01), .toServer), (Self.message(flags: 0x03), .toServer), (Self.message(flags: 0x00), .toServer),
        ])
        #expect(mixed.app == .snmpv3 && !mixed.protected)
    }

    /// The HMACs an SNMPv3 analyzer reports for `datagrams`: user, outcome, direction, secret.
    static func credentials(_ datagrams: [([UInt8], Direction)]) -> (found: [CredentialSighting], dropped: UInt64) {
        let analyzer = SNMPv3Analyzer()
        var context = InspectionContext()
        for (d, direction) in datagrams {
            _ = d.withUnsafeBytes { analyzer.ingest($0, direction: direction, offset: 0, context: &context) }
        }
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
        let found = analyzer.sightings.compactMap { s -> CredentialSighting? in
            if case .credential(let c) = s { return c }
            return nil
        }
        return (found, context.counters.snmpv3UsersDropped)
    }

    // usmStats counters (RFC 3414 §5): unknownUserNames .3, wrongDigests .5, notInTimeWindows .2.
    static let unknownUser: [UInt8] = [0x2b, 6, 1, 6, 3, 15, 1, 1, 3, 0]
    static let wrongDigest: [UInt8] = [0x2b, 6, 1, 6, 3, 15, 1, 1, 5, 0]
    static let notInTime: [UInt8] = [0x2b, 6, 1, 6, 3, 15, 1, 1, 2, 0]

    @Test func usmHMACsAreCrackableOncePerUserWithTheAgentsVerdict() {
        let sha256 = [UInt8](repeating: 0x11, count: 24)  // usmHMAC192SHA256AuthProtocol (RFC 7860)
        let (found, dropped) = Self.credentials([
            (Self.message(flags: 0x04, user: ""), .toServer), (Self.message(flags: 0x00, user: ""), .toClient),  // discovery
            (Self.message(flags: 0x05, msgID: 10), .toServer), (Self.message(flags: 0x01, msgID: 10, pdu: 0xa2), .toClient),
            (Self.message(flags: 0x05, msgID: 11), .toServer), (Self.message(flags: 0x01, msgID: 11, pdu: 0xa2), .toClient),
            (Self.message(flags: 0x07, user: "ops", msgID: 12, hmac: sha256), .toServer),
            (Self.message(flags: 0x03, user: "ops", msgID: 12, hmac: sha256), .toClient),
        ])
        #expect(dropped == 0)
        #expect(found.map(\.mechanism) == [.snmpv3USM, .snmpv3USM])
        #expect(found.map { String(decoding: $0.username ?? [], as: UTF8.self) } == ["monitor", "ops"])
        #expect(found.map(\.outcome) == [.accepted, .accepted])
        #expect(found.map(\.secret) == [[UInt8](repeating: 0xab, count: 12), sha256])
        #expect(CredentialMechanism.snmpv3USM.grade == .crackable)
    }

    @Test func reportsOfAWrongDigestOrUnknownUserRefuseOthersWait() {
        let (found, _) = Self.credentials([
            (Self.message(flags: 0x05, user: "a", msgID: 1), .toServer),
            (Self.message(flags: 0x00, user: "", msgID: 1, pdu: 0xa8, oid: Self.wrongDigest), .toClient),
            (Self.message(flags: 0x05, user: "b", msgID: 2), .toServer),
            (Self.message(flags: 0x00, user: "", msgID: 2, pdu: 0xa8, oid: Self.unknownUser), .toClient),
            (Self.message(flags: 0x05, user: "c", msgID: 3), .toServer),
            (Self.message(flags: 0x00, user: "", msgID: 3, pdu: 0xa8, oid: Self.notInTime), .toClient),  // resynchronise, retry
            (Self.message(flags: 0x05, user: "d", msgID: 4), .toServer),
            (Self.message(flags: 0x01, user: "d", msgID: 99, pdu: 0xa2), .toClient),  // another request's answer
            (Self.message(flags: 0x05, user: "e", msgID: 5, pdu: 0xa7), .toServer),  // a trap: no answer comes
            (Self.message(flags: 0x05, user: "f", msgID: 6), .toServer),  // not answered
            (Self.message(flags: 0x05, user: "f", msgID: 7), .toServer),  // the retry is
            (Self.message(flags: 0x01, user: "f", msgID: 7, pdu: 0xa2), .toClient),
        ])
        let outcome = Dictionary(uniqueKeysWithValues: found.map { (String(decoding: $0.username ?? [], as: UTF8.self), $0.outcome) })
        #expect(outcome == ["a": .rejected, "b": .rejected, "c": .unknown, "d": .unknown, "e": .unknown, "f": .accepted])
        #expect(found.count == 6)
    }

    @Test func anAnswerSeenAloneAndTheCapOnUsers() {
        let (alone, _) = Self.credentials([(Self.message(flags: 0x01, pdu: 0xa2), .toClient)])
        #expect(alone.map(\.outcome) == [.accepted] && alone.first?.direction == .toClient)
        // Not an HMAC of any USM protocol, no authentication, no user: nothing.
        let (none, _) = Self.credentials([
            (Self.message(flags: 0x05, hmac: [UInt8](repeating: 1, count: 11)), .toServer),
            (Self.message(flags: 0x04, hmac: [UInt8](repeating: 1, count: 12)), .toServer),
            (Self.message(flags: 0x05, user: ""), .toServer),
        ])
        #expect(none.isEmpty)
        let users = (0...SNMPv3Analyzer.maxUsers).map { (Self.message(flags: 0x05, user: "user\($0)", pdu: 0xa7), Direction.toServer) }
        let (capped, dropped) = Self.credentials(users)
        #expect(capped.count == SNMPv3Analyzer.maxUsers && dropped == 1)
    }
}

/// An answer settles only its own user's request (found by review).
@Suite struct SNMPv3AnswerTests {
    /// Two users' requests share a msgID; the agent answers the second (authenticated, its user):
    /// the first user is not accepted by an answer to another user.
    @Test func anAnswerSettlesOnlyItsOwnUser() {
        let (found, _) = SNMPv3Tests.credentials([
            (SNMPv3Tests.message(flags: 0x05, user: "alice", msgID: 5), .toServer),
            (SNMPv3Tests.message(flags: 0x05, user: "bob", msgID: 5), .toServer),
            (SNMPv3Tests.message(flags: 0x01, user: "bob", msgID: 5, pdu: 0xa2), .toClient),
        ])
        let outcome = Dictionary(uniqueKeysWithValues: found.map { (String(decoding: $0.username ?? [], as: UTF8.self), $0.outcome) })
        #expect(outcome == ["alice": .unknown, "bob": .accepted])
    }

    /// msgID reuse: alice's answered request used msgID 1; a late duplicate of
    /// that answer arrives after bob's request reused msgID 1.
    @Test func aLateDuplicateAnswerDoesNotSettleAnotherUser() {
        let (found, _) = SNMPv3Tests.credentials([
            (SNMPv3Tests.message(flags: 0x05, user: "alice", msgID: 1), .toServer),
            (SNMPv3Tests.message(flags: 0x01, user: "alice", msgID: 1, pdu: 0xa2), .toClient),
            (SNMPv3Tests.message(flags: 0x05, user: "bob", msgID: 1), .toServer),
            (SNMPv3Tests.message(flags: 0x01, user: "alice", msgID: 1, pdu: 0xa2), .toClient),
        ])
        let outcome = Dictionary(uniqueKeysWithValues: found.map { (String(decoding: $0.username ?? [], as: UTF8.self), $0.outcome) })
        #expect(outcome == ["alice": .accepted, "bob": .unknown])
    }
}

