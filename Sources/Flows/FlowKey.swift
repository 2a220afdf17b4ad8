import Decoding

/// The canonical, direction-free identity of a conversation: the two
/// endpoints in a fixed order (lower address, then lower port, first), the
/// transport and the tunnel context. Both directions of a flow produce the
/// same key; `Direction` says which endpoint sent a packet.
public struct FlowKey: Equatable, Sendable {
    public var lowAddress: IPAddress
    public var highAddress: IPAddress
    public var lowPort: UInt16
    public var highPort: UInt16
    public var transport: TransportProtocol
    /// IPv6 and IPv4 flows never share a key, even for IPv4-mapped addresses.
    public var isIPv6: Bool
    public var tunnelContext: UInt32

    /// Builds the key for `packet` and tells whether the packet was sent by
    /// the low endpoint.
    @inlinable
    public init(_ packet: DecodedPacket, sentByLow: inout Bool) {
        let s = packet.source, d = packet.destination
        let sourceIsLow: Bool
        if s.high != d.high {
            sourceIsLow = s.high < d.high
        } else if s.low != d.low {
            sourceIsLow = s.low < d.low
        } else {
            sourceIsLow = packet.sourcePort <= packet.destinationPort
        }
        if sourceIsLow {
            lowAddress = s; highAddress = d
            lowPort = packet.sourcePort; highPort = packet.destinationPort
        } else {
            lowAddress = d; highAddress = s
            lowPort = packet.destinationPort; highPort = packet.sourcePort
        }
        transport = packet.transport
        isIPv6 = packet.isIPv6
        tunnelContext = packet.tunnelContext
        sentByLow = sourceIsLow
    }

    @inlinable
    public static func == (a: FlowKey, b: FlowKey) -> Bool {
        a.lowAddress.low == b.lowAddress.low && a.highAddress.low == b.highAddress.low
            && a.lowPort == b.lowPort && a.highPort == b.highPort
            && a.lowAddress.high == b.lowAddress.high && a.highAddress.high == b.highAddress.high
            && a.transport == b.transport && a.isIPv6 == b.isIPv6 && a.tunnelContext == b.tunnelContext
    }
}

/// Which way a packet or byte travelled, relative to the client.
public enum Direction: Int, Sendable {
    case toServer = 0
    case toClient = 1

    @inlinable public var reversed: Direction { self == .toServer ? .toClient : .toServer }
}

/// A keyed hash for flow keys. The attacker on the wire picks the 5-tuples,
/// so the key is drawn at random per process and enters both operands of
/// every multiply (a product with one unkeyed operand could be forced to
/// zero). The mixing step is the 128-bit multiply-fold used by wyhash, much
/// cheaper than SipHash.
public struct FlowHasher: Sendable {
    @usableFromInline let seed: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    public init() {
        var g = SystemRandomNumberGenerator()
        self.init(seed: (g.next(), g.next(), g.next()))
    }

    /// A fixed key (tests, reproducible runs), expanded to six words with SplitMix64.
    public init(seed: (UInt64, UInt64, UInt64)) {
        var state = seed.0 ^ seed.1.rotated(by: 21) ^ seed.2.rotated(by: 42)
        func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        self.seed = (seed.0 ^ next(), seed.1 ^ next(), seed.2 ^ next(), next(), next(), next())
    }

    /// One multiply-fold step (128-bit product, high ^ low): also the mixing
    /// step of the other seeded digests (certificates, TLS hello profiles).
    @inlinable
    public static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let m = a.multipliedFullWidth(by: b)
        return m.high ^ m.low
    }

    @inlinable
    public func hash(_ key: FlowKey) -> UInt64 {
        let ports = UInt64(key.lowPort) << 48 | UInt64(key.highPort) << 32 | UInt64(key.transport.rawValue) << 24
            | (key.isIPv6 ? 1 << 16 : 0)
        var h = FlowHasher.fold(key.lowAddress.high ^ seed.0, key.lowAddress.low ^ seed.1)
        h = FlowHasher.fold(h ^ key.highAddress.high ^ seed.2, key.highAddress.low ^ seed.3)
        h = FlowHasher.fold(h ^ ports ^ seed.4, UInt64(key.tunnelContext) ^ seed.5)
        return FlowHasher.fold(h ^ seed.0, seed.5 | 1)
    }

    /// The same keyed hash over one endpoint (the pipeline's table of
    /// announced FTP data connections: the control channel's sender picks them).
    @inlinable
    public func hash(address: IPAddress, port: UInt16) -> UInt64 {
        let h = FlowHasher.fold(address.high ^ seed.3, address.low ^ seed.4)
        return FlowHasher.fold(h ^ UInt64(port) ^ seed.2, seed.1 | 1)
    }
}

extension UInt64 {
    @usableFromInline
    func rotated(by n: UInt64) -> UInt64 { self << n | self >> (64 - n) }
}
