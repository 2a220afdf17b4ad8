import Testing
@testable import Flows
import Decoding
import TestSupport

@Suite("TCPStream randomized properties")
struct TCPStreamPropertyTests {
    /// Cuts `length` bytes into segments of 1...maxSegment bytes.
    static func cut(_ length: Int, maxSegment: Int, using g: inout SplitMix64) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var o = 0
        while o < length {
            let n = Int.random(in: 1...maxSegment, using: &g)
            ranges.append(o..<min(length, o + n))
            o += n
        }
        return ranges
    }

    /// Moderate shuffle: each element moves at most about `distance` places.
    static func jitter<T>(_ items: [T], distance: Int, using g: inout SplitMix64) -> [T] {
        items.enumerated()
            .map { (key: $0.offset * 4 + Int.random(in: 0...(distance * 4), using: &g), value: $0.element) }
            .sorted { $0.key < $1.key }
            .map(\.value)
    }

    static func isn(for iteration: Int, length: Int, using g: inout SplitMix64) -> UInt32 {
        switch iteration % 4 {
        case 0: return UInt32.max &- UInt32.random(in: 0..<UInt32(length), using: &g)  // the stream crosses 2^32
        case 1: return UInt32.max  // first data byte has sequence 0
        default: return UInt32.random(in: .min ... .max, using: &g)
        }
    }

    @Test func shuffledDuplicatedSegmentsReassembleExactlyWithoutGaps() {
        var g = SplitMix64(seed: 0x5EED_0001)
        var sawOutOfOrder = false, sawRetransmission = false, sawOverlap = false
        for iteration in 0..<200 {
            let length = 20 * 1024
            let original = randomBytes(length, using: &g)
            let isn = Self.isn(for: iteration, length: length, using: &g)
            let maxSegment = [64, 536, 1460, 4000][iteration % 4]
            var sends = Self.cut(length, maxSegment: maxSegment, using: &g)
            // Retransmissions: exact copies and re-cut ranges, sent later.
            for _ in 0..<Int.random(in: 0...12, using: &g) {
                let at = Int.random(in: 0..<sends.count, using: &g)
                let copy: Range<Int>
                if Bool.random(using: &g) {
                    copy = sends[at]
                } else {
                    let a = Int.random(in: 0..<length, using: &g)
                    copy = a..<min(length, a + Int.random(in: 1...(2 * maxSegment), using: &g))
                }
                sends.insert(copy, at: min(sends.count, at + Int.random(in: 1...10, using: &g)))
            }
            sends = Self.jitter(sends, distance: Int.random(in: 0...6, using: &g), using: &g)

            var r = Reassembly(isn: isn)
            for range in sends {
                r.feed(isn: isn, original, range, fin: range.upperBound == length)
            }
            let s = r.stream
            #expect(firstDifference(r.data, original) == nil, "iteration \(iteration)")
            #expect(r.gapItems.isEmpty, "iteration \(iteration)")
            #expect(r.continuityErrors.isEmpty, "iteration \(iteration)")
            #expect(s.gaps == 0 && s.gapBytes == 0, "iteration \(iteration)")
            #expect(s.nextOffset == UInt64(length), "iteration \(iteration)")
            #expect(s.finOffset == UInt64(length), "iteration \(iteration)")
            #expect(s.isComplete, "iteration \(iteration)")
            #expect(s.heldBytes == 0 && !s.hasHeldData, "iteration \(iteration)")
            #expect(r.budget.bufferedBytes == 0, "iteration \(iteration)")
            #expect(s.capHits == 0 && s.implausibleSegments == 0, "iteration \(iteration)")
            // finish() on a complete stream adds nothing.
            r.finish()
            #expect(r.data.count == length, "iteration \(iteration)")
            sawOutOfOrder = sawOutOfOrder || s.outOfOrderSegments > 0
            sawRetransmission = sawRetransmission || s.retransmittedSegments > 0
            sawOverlap = sawOverlap || s.overlappingSegments > 0
            if r.data != original { break }
        }
        // The generator did exercise the interesting paths.
        #expect(sawOutOfOrder && sawRetransmission && sawOverlap)
    }

    @Test func midstreamPickupOfShuffledSegmentsReassemblesFromTheFirstSegmentSeen() {
        var g = SplitMix64(seed: 0x5EED_0002)
        for iteration in 0..<50 {
            let length = 8 * 1024
            let original = randomBytes(length, using: &g)
            let isn = UInt32.random(in: .min ... .max, using: &g)
            var sends = Self.cut(length, maxSegment: 700, using: &g)
            sends = Self.jitter(sends, distance: 4, using: &g)
            let first = sends[0]
            var r = Reassembly()
            for range in sends { r.feed(isn: isn, original, range) }
            // Offset 0 is the first segment seen; anything before it is old.
            #expect(r.stream.startedMidstream)
            #expect(firstDifference(r.data, Array(original[first.lowerBound...])) == nil, "iteration \(iteration)")
            #expect(r.gapItems.isEmpty, "iteration \(iteration)")
            #expect(r.stream.heldBytes == 0, "iteration \(iteration)")
        }
    }

    /// With loss, small caps, acknowledgments and snap-length cuts: every byte
    /// delivered is the original byte at its offset, every offset up to the
    /// FIN is covered exactly once (data or gap), the caps hold and the budget
    /// drains back to zero.
    @Test func lossyStreamsUnderCapsDeliverOnlyTrueBytesAndCoverEveryOffset() {
        var g = SplitMix64(seed: 0x5EED_0003)
        for iteration in 0..<200 {
            let length = Int.random(in: 1000...12_000, using: &g)
            let original = randomBytes(length, using: &g)
            let isn = Self.isn(for: iteration, length: length, using: &g)
            let maxSegment = Int.random(in: 20...600, using: &g)
            let cap = Int.random(in: 50...4000, using: &g)
            let useBudget = iteration % 2 == 0
            var r = Reassembly(isn: isn, maxHeld: useBudget ? nil : cap, budgetBytes: useBudget ? cap : 1 << 40)
            var sends = Self.cut(length, maxSegment: maxSegment, using: &g)
            let lossRate = Int.random(in: 0...20, using: &g)
            sends.removeAll { $0.upperBound != length && Int.random(in: 0..<100, using: &g) < lossRate }
            for _ in 0..<Int.random(in: 0...5, using: &g) where !sends.isEmpty {
                sends.insert(sends.randomElement(using: &g)!, at: Int.random(in: 0...sends.count, using: &g))
            }
            sends = Self.jitter(sends, distance: Int.random(in: 0...8, using: &g), using: &g)
            var largest = 0
            for range in sends {
                largest = max(largest, range.count)
                let snap = Int.random(in: 0..<30, using: &g) == 0
                let captured = snap ? range.lowerBound..<(range.lowerBound + range.count / 2) : range
                r.feed(
                    seq(isn, range.lowerBound), Array(original[captured]), wireLength: range.count,
                    fin: range.upperBound == length)
                if Int.random(in: 0..<10, using: &g) == 0 {
                    // The receiver acknowledges up to somewhere it has received.
                    r.acknowledge(seq(isn, Int.random(in: 0...range.upperBound, using: &g)))
                }
                if useBudget {
                    #expect(r.budget.bufferedBytes <= cap + range.count, "iteration \(iteration)")
                } else {
                    #expect(r.stream.heldBytes <= cap + range.count, "iteration \(iteration)")
                }
            }
            r.finish()
            let rebuilt = r.reconstructed
            #expect(rebuilt.count == length, "iteration \(iteration)")
            var wrong = 0
            for (i, byte) in rebuilt.prefix(length).enumerated() where byte != nil && byte != original[i] { wrong += 1 }
            #expect(wrong == 0, "iteration \(iteration)")
            #expect(r.continuityErrors.isEmpty, "iteration \(iteration)")
            #expect(UInt64(rebuilt.filter { $0 == nil }.count) == r.stream.gapBytes, "iteration \(iteration)")
            #expect(r.stream.isComplete, "iteration \(iteration)")
            #expect(r.stream.heldBytes == 0 && r.budget.bufferedBytes == 0, "iteration \(iteration)")
            if useBudget {
                #expect(r.maxBudgetAfterAccept <= cap + largest, "iteration \(iteration)")
            } else {
                #expect(r.maxHeldAfterAccept <= cap + largest, "iteration \(iteration)")
                #expect(r.maxHeldAfterDrain <= cap, "iteration \(iteration)")
            }
            if wrong > 0 || rebuilt.count != length { break }
        }
    }
}
