/// Transport protocols the flow table tracks (IP protocol numbers).
public struct TransportProtocol: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    // Computed and inlinable, not stored: another module reading a stored
    // static goes through an accessor call (and a once-check) every time,
    // several times per packet.
    @inlinable public static var tcp: TransportProtocol { TransportProtocol(rawValue: 6) }
    @inlinable public static var udp: TransportProtocol { TransportProtocol(rawValue: 17) }

    public var name: String { self == .tcp ? "tcp" : self == .udp ? "udp" : "ip-\(rawValue)" }
}

/// TCP header flags (the low byte of the flags field).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    // Computed and inlinable, as `TransportProtocol.tcp`.
    @inlinable public static var fin: TCPFlags { TCPFlags(rawValue: 0x01) }
    @inlinable public static var syn: TCPFlags { TCPFlags(rawValue: 0x02) }
    @inlinable public static var rst: TCPFlags { TCPFlags(rawValue: 0x04) }
    @inlinable public static var psh: TCPFlags { TCPFlags(rawValue: 0x08) }
    @inlinable public static var ack: TCPFlags { TCPFlags(rawValue: 0x10) }
}

/// Capture time in microseconds since the Unix epoch.
public typealias Microseconds = Int64

/// One decoded TCP or UDP packet: addresses, ports, TCP fields and the
/// payload, which still points into the capture buffer (or the fragment
/// reassembly buffer) and is valid only until the next packet is decoded.
public struct DecodedPacket {
    public var timestamp: Microseconds = 0
    public var source = IPAddress(high: 0, low: 0)
    public var destination = IPAddress(high: 0, low: 0)
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var transport = TransportProtocol.tcp
    public var isIPv6 = false
    public var tcpFlags = TCPFlags()
    public var sequenceNumber: UInt32 = 0
    public var acknowledgmentNumber: UInt32 = 0
    /// The payload bytes that were captured.
    public var payload = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The payload length the IP header announces. Larger than
    /// `payload.count` when the snap length cut the packet short; TCP
    /// reassembly uses it to keep sequence space right and report the gap.
    public var payloadWireLength = 0
    /// Tunnel context that separates otherwise identical 5-tuples: the VXLAN
    /// VNI or GRE key of the innermost tunnel (0 when none). VLAN ids are
    /// deliberately not part of it (see `PacketDecoder`).
    public var tunnelContext: UInt32 = 0
    /// Innermost 802.1Q VLAN id (0 when untagged); reported, not keyed.
    public var vlan: UInt16 = 0

    @inlinable public init() {}
}
