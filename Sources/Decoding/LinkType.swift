/// A libpcap data-link type (DLT_* value as `pcap_datalink` returns it).
/// An open set: unknown values stay representable so errors can name them.
public struct LinkType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let null = LinkType(rawValue: 0)  // BSD loopback, host-order family
    public static let ethernet = LinkType(rawValue: 1)
    public static let raw = LinkType(rawValue: 12)  // DLT_RAW on Linux (LINKTYPE_RAW 101)
    public static let rawAlternate = LinkType(rawValue: 14)  // DLT_RAW on some BSDs
    public static let ieee80211 = LinkType(rawValue: 105)
    public static let loop = LinkType(rawValue: 108)  // OpenBSD loopback, network-order family
    public static let linuxCooked = LinkType(rawValue: 113)
    public static let ieee80211Radiotap = LinkType(rawValue: 127)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxCooked2 = LinkType(rawValue: 276)

    /// The link types PlainSight decodes.
    public static let supported: [LinkType] = [
        .null, .ethernet, .raw, .rawAlternate, .ieee80211, .loop, .linuxCooked,
        .ieee80211Radiotap, .ipv4, .ipv6, .linuxCooked2,
    ]

    public var isSupported: Bool { LinkType.supported.contains(self) }

    public var name: String {
        switch self {
        case .null: return "NULL (BSD loopback)"
        case .ethernet: return "EN10MB (Ethernet)"
        case .raw, .rawAlternate: return "RAW (raw IP)"
        case .ieee80211: return "IEEE802_11"
        case .loop: return "LOOP (OpenBSD loopback)"
        case .linuxCooked: return "LINUX_SLL (Linux cooked v1)"
        case .ieee80211Radiotap: return "IEEE802_11_RADIO (radiotap)"
        case .ipv4: return "IPV4"
        case .ipv6: return "IPV6"
        case .linuxCooked2: return "LINUX_SLL2 (Linux cooked v2)"
        default: return "DLT \(rawValue)"
        }
    }
}
