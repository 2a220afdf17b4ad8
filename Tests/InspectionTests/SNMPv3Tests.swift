import Testing
@testable import Flows
@testable import Inspection

// SNMPv3 (RFC 3412 §6, RFC 3414 §2.4) on byte-exact messages: identified at
// every security level, and a flow that carried a message with privacy is
// protected (its discovery exchange, always in clear, does not make it cleartext).

@Suite struct SNMPv3Tests {
    /// A message with `flags` (bit 0 auth, bit 1 priv) from user `user`; the data part
    /// a scoped get-request, or (privacy) an encrypted OCTET STRING.
    static func message(flags: UInt8, user: String = "monitor", maxSize: Int = 65507, encryptedData: Bool? = nil) -> [UInt8] {
        let usm = ber(
            0x30,
            ber(0x04, [0x80, 0x00, 0x1f, 0x88, 0x80, 0x12]) + berInteger(5) + berInteger(1234) + ber(0x04, ascii(user))
                + ber(0x04, flags & 1 != 0 ? [UInt8](repeating: 0xab, count: 12) : [])
                + ber(0x04, flags & 2 != 0 ? [UInt8](repeating: 0xcd, count: 8) : []))
        let scoped = ber(0x30, ber(0x04, []) + ber(0x04, []) + ber(0xa0, berInteger(7) + berInteger(0) + berInteger(0) + ber(0x30, [])))
        let data = (encryptedData ?? (flags & 2 != 0)) ? ber(0x04, [UInt8](repeating: 0x5a, count: 40)) : scoped
        return ber(
            0x30,
            berInteger(3) + ber(0x30, berInteger(0x4d2) + berInteger(maxSize) + ber(0x04, [flags]) + berInteger(3))
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
}
