import Flows

/// A community-based SNMP message (SNMPv1, RFC 1157 §4; SNMPv2c, RFC 1901
/// §3, RFC 3416 §3), read in place from one UDP datagram:
///
///     Message ::= SEQUENCE { version INTEGER { version-1(0), version-2c(1) },
///                            community OCTET STRING, data PDUs }
///
/// with the PDU's context tag: get A0, get-next A1, response A2, set A3,
/// v1 trap A4, get-bulk A5, inform A6, v2 trap A7, report A8.
public enum SNMPMessage {
    /// The parts of a message, as views into the datagram.
    struct View {
        var version: Int
        var community: UnsafeRawBufferPointer
        var pduType: UInt8
    }

    // PDU tags (RFC 3416 §3), shared with SNMPv3's scoped PDUs.
    static let response: UInt8 = 0xa2
    static let v1Trap: UInt8 = 0xa4
    static let v2Trap: UInt8 = 0xa7
    static let report: UInt8 = 0xa8

    /// Version, community and PDU type of a v1/v2c message, copied out; nil
    /// for SNMPv3 (version 3), other versions and anything malformed.
    public static func community(_ datagram: UnsafeRawBufferPointer) -> (
        version: Int, community: [UInt8], pduType: UInt8
    )? {
        guard let m = parse(datagram) else { return nil }
        return (m.version, Array(m.community), m.pduType)
    }

    /// The message filling `datagram` exactly (trailing bytes make it not
    /// SNMP): nil unless the version is 0 or 1, the community an OCTET STRING,
    /// and the PDU a context tag A0–A8 whose content starts like a PDU
    /// (request-id INTEGER; a v1 trap: enterprise OID) and ends the message.
    static func parse(_ datagram: UnsafeRawBufferPointer) -> View? {
        var outer = BERCursor(datagram)
        guard let body = outer.readElement(BERCursor.sequenceTag), outer.isAtEnd else { return nil }
        var c = BERCursor(body)
        guard let version = c.readInteger(), version == 0 || version == 1,
            let community = c.readElement(BERCursor.octetStringTag),
            let pdu = c.readElement(), c.isAtEnd,
            pdu.tag >= 0xa0 && pdu.tag <= 0xa8
        else { return nil }
        guard let first = pdu.content.first, first == (pdu.tag == v1Trap ? 0x06 : BERCursor.integerTag) else {
            return nil
        }
        return View(version: Int(version), community: community, pduType: pdu.tag)
    }
}

/// Reports the community strings an SNMP v1/v2c flow carries in clear
/// (`.snmpCommunity`: no user name, the community as the secret), once per
/// distinct community per flow.
///
/// Each `ingest` is one datagram (the offset is not used). A community the
/// client sent in a request waits for a response (PDU A2) from the server
/// with the same community, which accepts it; one never answered (a wrong
/// community is dropped silently by agents) is emitted as unknown when the
/// flow ends. Traps and v2 traps (no answer comes) are emitted at once, as
/// unknown. A community first seen from the server is emitted then, accepted
/// if the datagram is a response.
///
/// A datagram whose community was already seen is compared in place and
/// allocates nothing; at most `maxCommunities` distinct communities are
/// tracked per flow (more are counted in `droppedCommunities`, not reported).
/// Datagrams that are not v1/v2c messages are passed over. It never answers
/// `.done`: a later datagram may carry another community.
public final class SNMPCommunityAnalyzer: StreamAnalyzer, SightingSource {
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Distinct communities past `maxCommunities`: not reported.
    public private(set) var droppedCommunities: UInt64 = 0
    /// Distinct communities tracked per flow.
    public static let maxCommunities = 8

    struct Seen {
        var community: [UInt8]
        /// Emitted already (otherwise it waits for a response or the flow's end).
        var emitted: Bool
    }

    @exclusivity(unchecked) var seen: [Seen] = []

    public init() {}

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard let m = SNMPMessage.parse(bytes), !m.community.isEmpty else { return .needMore }
        let isResponse = m.pduType == SNMPMessage.response
        if let k = index(of: m.community) {
            if !seen[k].emitted && direction == .toClient && isResponse {
                seen[k].emitted = true
                emit(seen[k].community, .accepted, .toServer)
            }
            return .needMore
        }
        guard seen.count < SNMPCommunityAnalyzer.maxCommunities else {
            droppedCommunities &+= 1
            context.counters.snmpCommunitiesDropped &+= 1
            return .needMore
        }
        let community = Array(m.community)
        if direction == .toClient {
            seen.append(Seen(community: community, emitted: true))
            emit(community, isResponse ? .accepted : .unknown, .toClient)
        } else if m.pduType == SNMPMessage.v1Trap || m.pduType == SNMPMessage.v2Trap || isResponse {
            seen.append(Seen(community: community, emitted: true))
            emit(community, .unknown, .toServer)
        } else {
            seen.append(Seen(community: community, emitted: false))
        }
        return .needMore
    }

    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict { .needMore }

    /// The flow is over: communities still waiting for a response go out as unknown.
    public func end(direction: Direction, context: inout InspectionContext) {
        for k in seen.indices where !seen[k].emitted {
            seen[k].emitted = true
            emit(seen[k].community, .unknown, .toServer)
        }
    }

    func index(of community: UnsafeRawBufferPointer) -> Int? {
        for k in seen.indices {
            let equal = seen[k].community.withUnsafeBytes { stored in
                stored.count == community.count && stored.elementsEqual(community)
            }
            if equal { return k }
        }
        return nil
    }

    func emit(_ community: [UInt8], _ outcome: LoginOutcome, _ direction: Direction) {
        sightings.append(
            .credential(
                CredentialSighting(
                    mechanism: .snmpCommunity, username: nil, secret: community, outcome: outcome, direction: direction)))
    }
}
