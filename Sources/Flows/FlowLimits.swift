import Decoding

/// Caps and timeouts of the flow stage. Every limit has a counter in
/// `FlowCounters` that says when it was hit.
public struct FlowLimits: Sendable {
    /// Flows tracked at once; at the cap the idlest flow is evicted (and its
    /// record written) to make room.
    public var maxFlows = 262_144
    /// Out-of-order bytes held per direction of one TCP connection.
    public var maxHeldBytesPerDirection = 1 << 20
    /// Out-of-order bytes held across all flows.
    public var maxHeldBytesTotal = 128 << 20
    /// Out-of-order segments held per direction (bounds the per-segment
    /// overhead and the cost of keeping them sorted).
    public var maxHeldSegmentsPerDirection = 1024
    /// Out-of-order segments held across all flows.
    public var maxHeldSegmentsTotal = 262_144
    /// Idle timeout of a TCP connection before it is established (a lone SYN,
    /// a scan probe). Short, so a SYN flood does not fill the table.
    public var openingTimeout: Microseconds = 30_000_000
    /// Idle timeout of an established TCP connection or one picked up mid-stream.
    public var establishedTimeout: Microseconds = 600_000_000
    /// How long a TCP connection is kept after FIN/FIN or RST, for stray ACKs.
    public var closedTimeout: Microseconds = 10_000_000
    /// Idle timeout of a UDP conversation.
    public var udpTimeout: Microseconds = 60_000_000
    /// How stale a flow's place in its stage's age list may get. A busy link
    /// interleaves thousands of flows, so moving a flow to the newest end on
    /// every packet would cost two list relinks per packet; moving it at most
    /// once per this interval makes idle timeouts and eviction late by at
    /// most this much.
    public var activityResolution: Microseconds = 1_000_000

    public init() {}

    public func timeout(_ stage: FlowStage) -> Microseconds {
        switch stage {
        case .opening: return openingTimeout
        case .established: return establishedTimeout
        case .closed: return closedTimeout
        case .udp: return udpTimeout
        }
    }
}

/// Where a flow is in its life; each stage has its own idle timeout and its
/// own age-ordered list in the table.
public enum FlowStage: Int, CaseIterable, Sendable {
    case opening = 0
    case established
    case closed
    case udp
}

/// Why a flow's record was written.
public enum FlowEndReason: String, Sendable {
    case closed  // FIN in both directions or RST (also when a new SYN then reuses the 5-tuple)
    case idle  // idle timeout
    case evicted  // table full
    case endOfInput = "end_of_input"  // capture ended with the flow still open
}

/// Flow-stage counters for the stats record.
public struct FlowCounters: Sendable {
    public var flowsCreated: UInt64 = 0
    public var flowsEvicted: UInt64 = 0
    public var flowsTimedOut: UInt64 = 0
    public var peakFlows = 0
    public var tcpGaps: UInt64 = 0
    public var tcpGapBytes: UInt64 = 0
    public var tcpRetransmittedSegments: UInt64 = 0
    public var tcpOverlappingSegments: UInt64 = 0
    public var tcpOutOfOrderSegments: UInt64 = 0
    public var tcpHeldBytesCapHits: UInt64 = 0
    public var tcpImplausibleSegments: UInt64 = 0
    public var bypassedPackets: UInt64 = 0
    public init() {}

    /// Adds one finished flow's stream counters.
    public mutating func add(_ s: TCPStream) {
        tcpGaps += UInt64(s.gaps)
        tcpGapBytes += s.gapBytes
        tcpRetransmittedSegments += UInt64(s.retransmittedSegments)
        tcpOverlappingSegments += UInt64(s.overlappingSegments)
        tcpOutOfOrderSegments += UInt64(s.outOfOrderSegments)
        tcpHeldBytesCapHits += UInt64(s.capHits)
        tcpImplausibleSegments += UInt64(s.implausibleSegments)
    }
}
