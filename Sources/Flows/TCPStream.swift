import Decoding

/// Bytes held for out-of-order TCP data across all flows, with its cap.
/// Held segments are counted as well as bytes: each costs a small heap
/// object whatever its size, so a flood of 1-byte segments must hit a cap too.
public struct ReassemblyBudget: Sendable {
    public let maxBytes: Int
    public let maxSegments: Int
    public internal(set) var bufferedBytes = 0
    public internal(set) var peakBufferedBytes = 0
    public internal(set) var heldSegments = 0

    public init(maxBytes: Int, maxSegments: Int = FlowLimits().maxHeldSegmentsTotal) {
        self.maxBytes = maxBytes
        self.maxSegments = maxSegments
    }
}

/// Per-direction TCP reassembly (one half of a connection).
///
/// Data that continues the stream is handed back as a view into the packet
/// (no copy). Segments that arrive early are copied and held, within the
/// per-direction and global caps, until the hole before them fills, the
/// receiver acknowledges past the hole (the data was lost before the capture
/// point), a cap forces progress, or the stream ends; a hole that is given
/// up becomes a gap. Overlaps keep the bytes that arrived first
/// ("first data wins"): a retransmission never rewrites what inspectors saw.
///
/// Offsets are positions in the byte stream (0 = first payload byte after
/// the SYN, or the first byte seen when the stream was picked up mid-way);
/// sequence numbers wrap, offsets do not.
public struct TCPStream: Sendable {
    struct HeldSegment: Sendable {
        var offset: UInt64
        var bytes: [UInt8]
        /// Bytes right after this segment that the snap length cut off: they
        /// become a gap once this segment is delivered.
        var lostAfter = 0
        var end: UInt64 { offset + UInt64(bytes.count) }
    }

    /// Something to hand to the inspectors, in stream order.
    public enum Item {
        case data(ArraySlice<UInt8>, offset: UInt64)
        case gap(offset: UInt64, length: UInt64)
    }

    public private(set) var isStarted = false
    /// True when no SYN was seen: the stream was picked up mid-connection.
    public private(set) var startedMidstream = false
    var baseSequence: UInt32 = 0
    /// Bytes delivered or skipped as gaps so far.
    public private(set) var nextOffset: UInt64 = 0
    var held: [HeldSegment] = []
    public private(set) var heldBytes = 0
    /// Everything below this offset must be delivered now, as a gap if missing.
    var flushLimit: UInt64 = 0
    public private(set) var finOffset: UInt64?

    public private(set) var gaps: UInt32 = 0
    public private(set) var gapBytes: UInt64 = 0
    public private(set) var retransmittedSegments: UInt32 = 0
    public private(set) var overlappingSegments: UInt32 = 0
    public private(set) var outOfOrderSegments: UInt32 = 0
    public private(set) var capHits: UInt32 = 0
    /// Segments too far from the expected sequence number to be this stream's.
    public private(set) var implausibleSegments: UInt32 = 0

    /// Segments further than this from the expected sequence are ignored.
    static let maxSequenceDistance: Int64 = 1 << 30

    public init() {}

    public var hasHeldData: Bool { !held.isEmpty }

    /// A gap must be reported before the stream can go on.
    public var flushPending: Bool { flushLimit > nextOffset }

    /// The stream reached its FIN and everything before it was delivered.
    public var isComplete: Bool { finOffset.map { nextOffset >= $0 } ?? false }

    /// A SYN fixes the sequence base: the first data byte is SYN + 1.
    public mutating func start(synSequence: UInt32) {
        guard !isStarted else { return }
        isStarted = true
        baseSequence = synSequence &+ 1
    }

    func offset(of sequence: UInt32) -> Int64 {
        let expected = baseSequence &+ UInt32(truncatingIfNeeded: nextOffset)
        return Int64(nextOffset) + Int64(Int32(bitPattern: sequence &- expected))
    }

    /// Takes one segment. Returns the part of its payload that continues the
    /// stream (empty when none), still pointing into the packet, with its
    /// offset. Early data is copied and held; then call `nextItem` until it
    /// returns nil to drain whatever became deliverable.
    /// - Parameters:
    ///   - payload: the captured payload bytes.
    ///   - wireLength: the payload length on the wire (larger when the snap
    ///     length cut the packet; the missing part becomes a gap).
    public mutating func accept(
        sequence: UInt32, payload: UnsafeRawBufferPointer, wireLength: Int, fin: Bool,
        limits: FlowLimits, budget: inout ReassemblyBudget
    ) -> (bytes: UnsafeRawBufferPointer, offset: UInt64) {
        let none = (UnsafeRawBufferPointer(start: nil, count: 0), nextOffset)
        if !isStarted {
            isStarted = true
            startedMidstream = true
            baseSequence = sequence
        }
        let start = offset(of: sequence)
        let distance = start - Int64(nextOffset)
        guard distance > -TCPStream.maxSequenceDistance, distance < TCPStream.maxSequenceDistance else {
            implausibleSegments &+= 1
            return none
        }
        let end = start + Int64(wireLength)
        if fin && finOffset == nil && end >= 0 { finOffset = UInt64(end) }
        guard wireLength > 0 else { return none }
        if end <= Int64(nextOffset) {
            retransmittedSegments &+= 1
            return none
        }
        if start <= Int64(nextOffset) {
            let skip = Int(Int64(nextOffset) - start)
            if skip > 0 { overlappingSegments &+= 1 }
            var captured = max(0, payload.count - skip)
            let from = min(skip, payload.count)
            if let firstHeld = held.first, firstHeld.offset < nextOffset + UInt64(captured) {
                // Part of this segment is already held: deliver up to the held
                // data from the packet and hold the rest, so the held (earlier)
                // bytes win where the two overlap.
                let direct = firstHeld.offset > nextOffset ? Int(firstHeld.offset - nextOffset) : 0
                let rest = UnsafeRawBufferPointer(rebasing: payload[(from + direct)..<(from + captured)])
                hold(rest, at: firstHeld.offset, lostAfter: wireLength - skip - captured, budget: &budget)
                captured = direct
            } else if captured < wireLength - skip {
                // The snap length cut this segment: the rest is a gap.
                flushLimit = max(flushLimit, UInt64(end))
            }
            let bytes = UnsafeRawBufferPointer(rebasing: payload[from..<(from + captured)])
            let offset = nextOffset
            nextOffset += UInt64(captured)
            return (bytes, offset)
        }
        // Early data: hold a copy of the parts not already held.
        outOfOrderSegments &+= 1
        let offset = UInt64(start)
        if heldBytes + payload.count > limits.maxHeldBytesPerDirection
            || budget.bufferedBytes + payload.count > budget.maxBytes
            || held.count >= limits.maxHeldSegmentsPerDirection || budget.heldSegments >= budget.maxSegments
        {
            // Over a cap: give up on the hole(s) before this segment, so what
            // is held drains now, then hold this one (it is next in line).
            capHits &+= 1
            flushLimit = max(flushLimit, offset)
        }
        hold(payload, at: offset, lostAfter: wireLength - payload.count, budget: &budget)
        return none
    }

    /// Inserts `bytes` at `offset`, skipping ranges already held (first data
    /// wins). `lostAfter` bytes after them were cut off by the snap length.
    mutating func hold(
        _ bytes: UnsafeRawBufferPointer, at offset: UInt64, lostAfter: Int, budget: inout ReassemblyBudget
    ) {
        var cursor = offset
        let end = offset + UInt64(bytes.count)
        // Binary search: the first held segment ending after `offset`.
        var low = 0, high = held.count
        while low < high {
            let mid = (low + high) / 2
            if held[mid].end > offset { high = mid } else { low = mid + 1 }
        }
        var index = low
        while cursor < end {
            let nextStart = index < held.count ? held[index].offset : end
            if cursor < nextStart {
                let pieceEnd = min(nextStart, end)
                let piece = Array(bytes[Int(cursor - offset)..<Int(pieceEnd - offset)])
                let lost = pieceEnd == end ? lostAfter : 0
                held.insert(HeldSegment(offset: cursor, bytes: piece, lostAfter: lost), at: index)
                heldBytes += piece.count
                budget.bufferedBytes += piece.count
                budget.heldSegments += 1
                budget.peakBufferedBytes = max(budget.peakBufferedBytes, budget.bufferedBytes)
                index += 1
                cursor = pieceEnd
            } else {
                overlappingSegments &+= 1
                cursor = max(cursor, held[index].end)
                index += 1
            }
        }
    }

    /// The receiver acknowledged `sequence`. When data after a hole is held
    /// and the acknowledgment covers the hole, the hole's bytes passed the
    /// receiver but not the capture point: give up on it.
    public mutating func acknowledge(_ sequence: UInt32) {
        guard isStarted, !held.isEmpty else { return }
        let acked = offset(of: sequence)
        guard acked > Int64(nextOffset), acked - Int64(nextOffset) < TCPStream.maxSequenceDistance else { return }
        var limit = UInt64(acked)
        if let fin = finOffset { limit = min(limit, fin) }
        flushLimit = max(flushLimit, limit)
    }

    /// The connection is over: everything held is delivered, holes as gaps,
    /// up to the FIN (or the last byte held).
    public mutating func finish() {
        var limit = flushLimit
        if let last = held.last { limit = max(limit, last.end + UInt64(last.lostAfter)) }
        if let fin = finOffset { limit = max(limit, fin) }
        flushLimit = limit
    }

    /// The next deliverable item, or nil when the stream must wait.
    public mutating func nextItem(budget: inout ReassemblyBudget) -> Item? {
        while let first = held.first, first.offset <= nextOffset {
            held.removeFirst()
            heldBytes -= first.bytes.count
            budget.bufferedBytes -= first.bytes.count
            budget.heldSegments -= 1
            if first.lostAfter > 0 { flushLimit = max(flushLimit, first.end + UInt64(first.lostAfter)) }
            guard first.end > nextOffset else { continue }
            let skip = Int(nextOffset - first.offset)
            let offset = nextOffset
            nextOffset = first.end
            return .data(first.bytes[skip...], offset: offset)
        }
        let target = held.first.map { min($0.offset, flushLimit) } ?? flushLimit
        if target > nextOffset {
            let gap = Item.gap(offset: nextOffset, length: target - nextOffset)
            gaps &+= 1
            gapBytes += target - nextOffset
            nextOffset = target
            return gap
        }
        return nil
    }
}

extension TCPStream {
    /// Drops held data without delivering it (the flow is bypassed: nobody
    /// needs the bytes any more) and returns its share of the global budget.
    public mutating func discardHeld(budget: inout ReassemblyBudget) {
        budget.bufferedBytes -= heldBytes
        budget.heldSegments -= held.count
        heldBytes = 0
        held.removeAll()
    }
}
