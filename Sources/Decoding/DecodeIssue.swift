/// Why a packet was not turned into a `DecodedPacket`. Malformed reasons are
/// anomalies (counted, packet skipped); `nonIP` and `otherTransport` are
/// ordinary traffic PlainSight does not analyse (ARP, ICMP, ESP, ...).
public enum DecodeIssue: Int, CaseIterable, Sendable {
    case nonIP
    case otherTransport
    case truncatedLinkHeader
    case truncatedVLANTag
    case tooManyVLANTags
    case truncatedIPv4Header
    case badIPv4Header
    case badIPv4TotalLength
    case truncatedIPv6Header
    case badIPv6Header
    case badIPv6ExtensionHeader
    case tooManyIPv6ExtensionHeaders
    case truncatedTCPHeader
    case badTCPDataOffset
    case badTCPOptions
    case truncatedUDPHeader
    case badUDPLength
    case truncatedTunnelHeader
    case tunnelTooDeep
    case unsupportedTunnelPayload
    case truncatedFragment
    case fragmentTooLarge
    case fragmentOverlapMismatch

    /// Ordinary traffic that is skipped, as opposed to a malformed packet.
    public var isMalformed: Bool { self != .nonIP && self != .otherTransport }

    /// Stable snake_case name used in the stats record.
    public var name: String {
        switch self {
        case .nonIP: return "non_ip"
        case .otherTransport: return "other_transport"
        case .truncatedLinkHeader: return "truncated_link_header"
        case .truncatedVLANTag: return "truncated_vlan_tag"
        case .tooManyVLANTags: return "too_many_vlan_tags"
        case .truncatedIPv4Header: return "truncated_ipv4_header"
        case .badIPv4Header: return "bad_ipv4_header"
        case .badIPv4TotalLength: return "bad_ipv4_total_length"
        case .truncatedIPv6Header: return "truncated_ipv6_header"
        case .badIPv6Header: return "bad_ipv6_header"
        case .badIPv6ExtensionHeader: return "bad_ipv6_extension_header"
        case .tooManyIPv6ExtensionHeaders: return "too_many_ipv6_extension_headers"
        case .truncatedTCPHeader: return "truncated_tcp_header"
        case .badTCPDataOffset: return "bad_tcp_data_offset"
        case .badTCPOptions: return "bad_tcp_options"
        case .truncatedUDPHeader: return "truncated_udp_header"
        case .badUDPLength: return "bad_udp_length"
        case .truncatedTunnelHeader: return "truncated_tunnel_header"
        case .tunnelTooDeep: return "tunnel_too_deep"
        case .unsupportedTunnelPayload: return "unsupported_tunnel_payload"
        case .truncatedFragment: return "truncated_fragment"
        case .fragmentTooLarge: return "fragment_too_large"
        case .fragmentOverlapMismatch: return "fragment_overlap_mismatch"
        }
    }
}

/// Per-reason counters, one slot per `DecodeIssue`, allocated once.
public struct DecodeCounters: Sendable {
    public private(set) var counts = [UInt64](repeating: 0, count: DecodeIssue.allCases.count)
    /// Packets whose captured length was shorter than their wire length
    /// (snap length): decoded from what was captured, the rest reported as a gap.
    public internal(set) var truncatedBySnaplen: UInt64 = 0
    /// TCP/UDP packets decoded from inside a tunnel (VXLAN, GRE, ERSPAN, IP-in-IP, GTP-U).
    public internal(set) var tunnelled: UInt64 = 0

    public init() {}

    @inlinable
    public subscript(issue: DecodeIssue) -> UInt64 { counts[issue.rawValue] }

    @usableFromInline
    mutating func count(_ issue: DecodeIssue) { counts[issue.rawValue] &+= 1 }

    public var malformed: UInt64 {
        DecodeIssue.allCases.reduce(0) { $1.isMalformed ? $0 + counts[$1.rawValue] : $0 }
    }
}
