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
        tunnelContext = packet.tunnelContext
        sentByLow = sourceIsLow
    }

    @inlinable
    public static func == (a: FlowKey, b: FlowKey) -> Bool {
        a.lowAddress.low == b.lowAddress.low && a.highAddress.low == b.highAddress.low
            && a.lowPort == b.lowPort && a.highPort == b.highPort
            && a.lowAddress.high == b.lowAddress.high && a.highAddress.high == b.highAddress.high
            && a.transport == b.transport && a.tunnelContext == b.tunnelContext
    }
}

/// Which way a packet or byte travelled, relative to the client.
public enum Direction: Int, Sendable {
    case toServer = 0
    case toClient = 1

    @inlinable public var reversed: Direction { self == .toServer ? .toClient : .toServer }
}

/// A keyed hash for flow keys. The attacker on the wire picks the 5-tuples,
/// so the seed is drawn at random per process; the mixing step is the
/// 128-bit multiply-fold used by wyhash, much cheaper than SipHash.
public struct FlowHasher: Sendable {
    @usableFromInline let seed0: UInt64
    @usableFromInline let seed1: UInt64
    @usableFromInline let seed2: UInt64

    public init() {
        var g = SystemRandomNumberGenerator()
        self.init(seed: (g.next(), g.next(), g.next()))
    }

    public init(seed: (UInt64, UInt64, UInt64)) {
        seed0 = seed.0 | 1
        seed1 = seed.1
        seed2 = seed.2
    }

    @inlinable
    static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let m = a.multipliedFullWidth(by: b)
        return m.high ^ m.low
    }

    @inlinable
    public func hash(_ key: FlowKey) -> UInt64 {
        let ports = UInt64(key.lowPort) << 48 | UInt64(key.highPort) << 32 | UInt64(key.transport.rawValue) << 24
        let a = FlowHasher.fold(key.lowAddress.high ^ seed0, key.lowAddress.low ^ 0xa076_1d64_78bd_642f)
        let b = FlowHasher.fold(key.highAddress.high ^ 0xe703_7ed1_a0b4_28db, key.highAddress.low ^ seed1)
        let c = FlowHasher.fold(ports ^ seed2, UInt64(key.tunnelContext) ^ 0x8ebc_6af0_9c88_c6e3)
        return FlowHasher.fold(a ^ b ^ c ^ seed0, 0x5899_65cc_7537_4cc3)
    }
}
