import Testing
@testable import Flows
import Decoding

@Suite("TCPStream reassembly")
struct TCPStreamTests {
    let isn: UInt32 = 1_000_000

    // MARK: in-order delivery

    @Test func synFixesBaseSoFirstDataByteIsSynPlusOneAtOffsetZero() {
        var r = Reassembly(isn: isn)
        #expect(r.stream.isStarted)
        #expect(!r.stream.startedMidstream)
        let out = r.feed(isn &+ 1, patternBytes(0..<10))
        #expect(out.offset == 0)
        #expect(out.bytes == patternBytes(0..<10))
        #expect(r.stream.nextOffset == 10)
    }

    @Test func inOrderDeliveryReturnsAViewIntoThePayloadWithRunningOffsets() {
        var stream = TCPStream()
        var budget = ReassemblyBudget(maxBytes: 1 << 20)
        let limits = FlowLimits()
        stream.start(synSequence: isn)
        var expectedOffset: UInt64 = 0
        for (i, length) in [5, 1, 100, 1460, 7].enumerated() {
            let payload = patternBytes(Int(expectedOffset)..<Int(expectedOffset) + length, salt: i)
            payload.withUnsafeBytes { raw in
                let r = stream.accept(
                    sequence: seq(isn, Int(expectedOffset)), payload: raw, wireLength: length, fin: false,
                    limits: limits, budget: &budget)
                // A view, not a copy: same memory as the packet's payload.
                #expect(r.bytes.baseAddress == raw.baseAddress)
                #expect(r.bytes.count == length)
                #expect(r.offset == expectedOffset)
                #expect(Array(r.bytes) == payload)
            }
            expectedOffset += UInt64(length)
            do {
                let item = stream.nextItem(budget: &budget)
                #expect(item == nil)
            }
        }
        #expect(stream.nextOffset == expectedOffset)
        #expect(stream.heldBytes == 0)
        #expect(budget.bufferedBytes == 0)
        #expect(stream.outOfOrderSegments == 0)
    }

    @Test func partialOverlapViewStartsInsideThePayloadAtTheFirstNewByte() {
        var stream = TCPStream()
        var budget = ReassemblyBudget(maxBytes: 1 << 20)
        stream.start(synSequence: isn)
        let first = patternBytes(0..<10)
        first.withUnsafeBytes { raw in
            _ = stream.accept(
                sequence: seq(isn, 0), payload: raw, wireLength: 10, fin: false, limits: FlowLimits(),
                budget: &budget)
        }
        let second = patternBytes(4..<20)
        second.withUnsafeBytes { raw in
            let r = stream.accept(
                sequence: seq(isn, 4), payload: raw, wireLength: 16, fin: false, limits: FlowLimits(),
                budget: &budget)
            #expect(r.bytes.baseAddress == raw.baseAddress! + 6)
            #expect(r.offset == 10)
            #expect(Array(r.bytes) == patternBytes(10..<20))
        }
    }

    @Test func emptySegmentsDeliverNothingAndDoNotMoveTheStream() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 0), [])
        r.feed(seq(isn, 0), patternBytes(0..<4))
        r.feed(seq(isn, 4), [])
        #expect(r.items == [.data(offset: 0, bytes: patternBytes(0..<4))])
        #expect(r.stream.nextOffset == 4)
        #expect(r.stream.retransmittedSegments == 0)
        #expect(r.stream.outOfOrderSegments == 0)
    }

    // MARK: out of order, retransmission, overlap

    @Test func outOfOrderSegmentsAreHeldAndDeliveredInOrderOnceTheHoleFills() {
        let data = patternBytes(0..<30)
        var r = Reassembly(isn: isn)
        r.feed(isn: isn, data, 20..<30)
        r.feed(isn: isn, data, 10..<20)
        #expect(r.items.isEmpty)
        #expect(r.stream.hasHeldData)
        #expect(r.stream.heldBytes == 20)
        #expect(r.budget.bufferedBytes == 20)
        #expect(r.stream.outOfOrderSegments == 2)
        r.feed(isn: isn, data, 0..<10)
        #expect(r.data == data)
        #expect(r.items.map(\.description) == ["data(0, 10 bytes)", "data(10, 10 bytes)", "data(20, 10 bytes)"])
        #expect(r.continuityErrors.isEmpty)
        #expect(r.gapItems.isEmpty)
        #expect(r.stream.outOfOrderSegments == 2)
        #expect(r.stream.heldBytes == 0)
        #expect(!r.stream.hasHeldData)
        #expect(r.budget.bufferedBytes == 0)
        #expect(r.budget.peakBufferedBytes == 20)
        #expect(r.stream.nextOffset == 30)
    }

    @Test func retransmissionOfDeliveredDataDeliversNothingAndIsCounted() {
        let data = patternBytes(0..<30)
        var r = Reassembly(isn: isn)
        r.feed(isn: isn, data, 0..<10)
        r.feed(isn: isn, data, 10..<30)
        let again = r.feed(seq(isn, 10), Array(data[10..<30]))
        #expect(again.bytes.isEmpty)
        r.feed(seq(isn, 0), Array(data[0..<10]))
        // A retransmission with different bytes changes nothing either.
        r.feed(seq(isn, 5), [UInt8](repeating: 0xEE, count: 25))
        #expect(r.data == data)
        #expect(r.stream.retransmittedSegments == 3)
        #expect(r.stream.overlappingSegments == 0)
        #expect(r.stream.nextOffset == 30)
    }

    @Test func partialOverlapWithDeliveredDataDeliversOnlyTheNewPart() {
        let data = patternBytes(0..<40)
        var r = Reassembly(isn: isn)
        r.feed(isn: isn, data, 0..<20)
        // Bytes 10..<20 again (with different content: delivered bytes stand), then 20..<40 new.
        var segment = [UInt8](repeating: 0xEE, count: 10)
        segment += data[20..<40]
        let out = r.feed(seq(isn, 10), segment)
        #expect(out.offset == 20)
        #expect(out.bytes == Array(data[20..<40]))
        #expect(r.data == data)
        #expect(r.stream.overlappingSegments == 1)
        #expect(r.stream.retransmittedSegments == 0)
        #expect(r.continuityErrors.isEmpty)
    }

    @Test func overlapBetweenHeldSegmentsKeepsTheBytesThatArrivedFirst() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 10), [UInt8](repeating: 0xAA, count: 20))  // 10..<30, first
        r.feed(seq(isn, 20), [UInt8](repeating: 0xBB, count: 20))  // 20..<40, overlaps 20..<30
        r.feed(seq(isn, 5), [UInt8](repeating: 0xCC, count: 40))  // 5..<45, covers both
        #expect(r.items.isEmpty)
        #expect(r.stream.overlappingSegments >= 2)
        #expect(r.stream.heldBytes == 40)  // 5..<45 held once
        r.feed(seq(isn, 0), [UInt8](repeating: 0xDD, count: 5))
        let expected =
            [UInt8](repeating: 0xDD, count: 5) + [UInt8](repeating: 0xCC, count: 5)
            + [UInt8](repeating: 0xAA, count: 20) + [UInt8](repeating: 0xBB, count: 10)
            + [UInt8](repeating: 0xCC, count: 5)
        #expect(r.data == expected)
        #expect(r.gapItems.isEmpty)
        #expect(r.continuityErrors.isEmpty)
        #expect(r.stream.heldBytes == 0)
        #expect(r.budget.bufferedBytes == 0)
    }

    @Test func duplicateOfAHeldSegmentIsNotHeldTwice() {
        let data = patternBytes(0..<30)
        var r = Reassembly(isn: isn)
        r.feed(isn: isn, data, 10..<30)
        r.feed(seq(isn, 10), [UInt8](repeating: 0xEE, count: 20))
        #expect(r.stream.heldBytes == 20)
        #expect(r.budget.bufferedBytes == 20)
        r.feed(isn: isn, data, 0..<10)
        #expect(r.data == data)
    }

    /// "First data wins" also against an in-order segment that overlaps data
    /// already held: the held bytes arrived first.
    @Test
    func inOrderSegmentOverlappingHeldDataKeepsTheHeldBytes() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 10), [UInt8](repeating: 0xAA, count: 10))  // held 10..<20, arrived first
        r.feed(seq(isn, 0), [UInt8](repeating: 0xBB, count: 15))  // in order 0..<15, overlaps 10..<15
        let expected = [UInt8](repeating: 0xBB, count: 10) + [UInt8](repeating: 0xAA, count: 10)
        #expect(r.data == expected)
        #expect(r.stream.overlappingSegments == 1)
    }

    // MARK: sequence numbers

    @Test func sequenceWraparoundKeepsOffsetsContinuous() {
        let base: UInt32 = 0xFFFF_FFF0
        let data = patternBytes(0..<96)
        var r = Reassembly(isn: base)
        // 8-byte segments; the 16th byte has sequence number 0. Send some of them out of order.
        let order = [0, 2, 1, 3, 5, 4, 6, 7, 11, 10, 9, 8]
        for i in order {
            let range = (i * 8)..<(i * 8 + 8)
            #expect(seq(base, range.lowerBound) == base &+ 1 &+ UInt32(range.lowerBound))
            r.feed(isn: base, data, range)
        }
        #expect(r.data == data)
        #expect(r.continuityErrors.isEmpty)
        #expect(r.gapItems.isEmpty)
        #expect(r.stream.nextOffset == 96)
        #expect(r.stream.implausibleSegments == 0)
        // Offsets in the items run 0, 8, 16... with no jump at the wrap.
        let offsets = r.items.compactMap { item -> UInt64? in
            if case .data(let o, _) = item { return o } else { return nil }
        }
        #expect(offsets == offsets.sorted())
        #expect(offsets.first == 0)
    }

    @Test func segmentStraddlingTheWrapIsDeliveredWhole() {
        let base: UInt32 = 0xFFFF_FFF0
        let data = patternBytes(0..<64)
        var r = Reassembly(isn: base)
        let out = r.feed(base &+ 1, data)  // sequence 0xFFFFFFF1 ..< 0x31 (wrapped)
        #expect(out.offset == 0)
        #expect(out.bytes == data)
        let next = r.feed(0x31, patternBytes(64..<70))
        #expect(next.offset == 64)
        #expect(r.data == patternBytes(0..<70))
    }

    @Test func acknowledgmentAcrossTheWrapGivesUpTheHole() {
        let base: UInt32 = 0xFFFF_FFF0
        let data = patternBytes(0..<40)
        var r = Reassembly(isn: base)
        r.feed(isn: base, data, 0..<10)
        r.feed(isn: base, data, 30..<40)  // hole 10..<30 spans sequence 0
        r.acknowledge(seq(base, 40))
        #expect(r.items == [
            .data(offset: 0, bytes: Array(data[0..<10])), .gap(offset: 10, length: 20),
            .data(offset: 30, bytes: Array(data[30..<40])),
        ])
    }

    @Test func offsetsKeepGrowingPastFourGibibytesWhileSequencesWrap() {
        var r = Reassembly(isn: isn)
        // Three snap-cut segments with nothing captured move the stream 3 × 0x7000_0000 bytes.
        let chunk = 0x7000_0000
        for i in 0..<3 {
            r.feed(seq(isn, i * chunk), [], wireLength: chunk)
        }
        let offset = 3 * chunk
        #expect(offset > 1 << 32)
        let out = r.feed(seq(isn, offset), patternBytes(0..<10))
        #expect(out.offset == UInt64(offset))
        #expect(out.bytes == patternBytes(0..<10))
        #expect(r.stream.gapBytes == UInt64(offset))
        #expect(r.stream.gaps == 3)
        #expect(r.continuityErrors.isEmpty)
        // Early data past the 4 GiB mark is placed right as well.
        r.feed(seq(isn, offset + 20), patternBytes(20..<30))
        r.feed(seq(isn, offset + 10), patternBytes(10..<20))
        #expect(r.data == patternBytes(0..<30))
        #expect(r.stream.nextOffset == UInt64(offset + 30))
    }

    @Test func midstreamPickupMakesTheFirstSegmentSeenOffsetZero() {
        var r = Reassembly()
        #expect(!r.stream.isStarted)
        let out = r.feed(123_456_789, patternBytes(0..<10))
        #expect(r.stream.isStarted)
        #expect(r.stream.startedMidstream)
        #expect(out.offset == 0)
        #expect(out.bytes == patternBytes(0..<10))
        r.feed(123_456_789 &+ 10, patternBytes(10..<20))
        #expect(r.data == patternBytes(0..<20))
        // Data from before the pickup point is old: counted, not delivered.
        r.feed(123_456_789 &- 5, patternBytes(100..<105))
        #expect(r.stream.retransmittedSegments == 1)
        // Data straddling the pickup point and the current end delivers only the new part.
        r.feed(123_456_789 &- 5, [UInt8](repeating: 0, count: 25) + patternBytes(20..<30))
        #expect(r.data == patternBytes(0..<30))
        #expect(r.stream.overlappingSegments == 1)
        #expect(r.continuityErrors.isEmpty)
    }

    @Test func synAfterMidstreamPickupDoesNotMoveTheBase() {
        var r = Reassembly()
        r.feed(5000, patternBytes(0..<10))
        r.stream.start(synSequence: 100)
        #expect(r.stream.startedMidstream)
        let out = r.feed(5010, patternBytes(10..<20))
        #expect(out.offset == 10)
    }

    @Test func secondSynDoesNotMoveTheBase() {
        var r = Reassembly(isn: isn)
        r.stream.start(synSequence: isn &+ 500)
        let out = r.feed(seq(isn, 0), patternBytes(0..<10))
        #expect(out.offset == 0)
        #expect(out.bytes.count == 10)
    }

    @Test func implausibleSegmentsAreIgnoredAndCounted() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 0), patternBytes(0..<10))
        let expected = seq(isn, 10)
        // 2^31 away (the same number in both directions), and the 2^30 boundary either way.
        for s in [expected &+ 0x8000_0000, expected &+ 0x4000_0000, expected &- 0x4000_0000] {
            let out = r.feed(s, patternBytes(0..<10), fin: true)
            #expect(out.bytes.isEmpty)
        }
        #expect(r.stream.implausibleSegments == 3)
        #expect(r.stream.finOffset == nil)
        #expect(r.stream.heldBytes == 0)
        #expect(!r.stream.hasHeldData)
        #expect(r.stream.nextOffset == 10)
        #expect(r.stream.retransmittedSegments == 0)
        #expect(r.stream.outOfOrderSegments == 0)
        // Just inside the window either way: plausible (held early / old retransmission).
        r.feed(expected &+ 0x3FFF_FFFF, [1], drain: false)
        r.feed(expected &- 0x3FFF_FFFF, [1])
        #expect(r.stream.implausibleSegments == 3)
        #expect(r.stream.outOfOrderSegments == 1)
        #expect(r.stream.retransmittedSegments == 1)
        // The stream goes on normally.
        let out = r.feed(expected, patternBytes(10..<20))
        #expect(out.offset == 10)
        #expect(r.data == patternBytes(0..<20))
    }

    // MARK: gaps, acknowledgments, FIN

    @Test func acknowledgmentBeyondAHoleTurnsItIntoAGapThenDeliversHeldData() {
        let data = patternBytes(0..<50)
        var r = Reassembly(isn: isn)
        r.feed(isn: isn, data, 0..<10)
        r.feed(isn: isn, data, 20..<30)
        r.feed(isn: isn, data, 40..<50)
        #expect(r.items.count == 1)
        #expect(!r.stream.flushPending)
        // An acknowledgment inside the first hole, or not past it, changes nothing
        // beyond the acknowledged point.
        r.acknowledge(seq(isn, 10))
        #expect(r.items.count == 1)
        r.acknowledge(seq(isn, 15))
        #expect(r.items.last == .gap(offset: 10, length: 5))
        #expect(r.stream.nextOffset == 15)
        // Beyond the first hole and into the held data: gap, then held data; the second hole waits.
        r.acknowledge(seq(isn, 25))
        #expect(r.items == [
            .data(offset: 0, bytes: Array(data[0..<10])), .gap(offset: 10, length: 5),
            .gap(offset: 15, length: 5), .data(offset: 20, bytes: Array(data[20..<30])),
        ])
        #expect(r.stream.nextOffset == 30)
        #expect(r.stream.hasHeldData)
        r.acknowledge(seq(isn, 50))
        #expect(r.items.suffix(2) == [.gap(offset: 30, length: 10), .data(offset: 40, bytes: Array(data[40..<50]))])
        #expect(r.stream.gaps == 3)
        #expect(r.stream.gapBytes == 20)
        #expect(r.continuityErrors.isEmpty)
        #expect(r.budget.bufferedBytes == 0)
        #expect(r.stream.heldBytes == 0)
    }

    @Test func acknowledgmentWithNothingHeldDoesNotCreateAGap() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 0), patternBytes(0..<10))
        r.acknowledge(seq(isn, 100))
        #expect(!r.stream.flushPending)
        #expect(r.items.count == 1)
        // The missing 10..<20 can still arrive.
        r.feed(seq(isn, 10), patternBytes(10..<20))
        #expect(r.data == patternBytes(0..<20))
        #expect(r.stream.gaps == 0)
    }

    @Test func acknowledgmentBeyondTheHeldDataGivesUpThatTooButStopsAtTheFin() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 0), patternBytes(0..<10))
        r.feed(seq(isn, 20), patternBytes(20..<30), fin: true)  // FIN at 30
        #expect(r.stream.finOffset == 30)
        r.acknowledge(seq(isn, 31))  // the FIN takes one sequence number
        #expect(r.items.map(\.description) == ["data(0, 10 bytes)", "gap(10, 10)", "data(20, 10 bytes)"])
        #expect(r.stream.nextOffset == 30)
        #expect(r.stream.isComplete)
        #expect(!r.stream.flushPending)
    }

    @Test func finSetsFinOffsetAndTheStreamCompletesWhenEverythingBeforeItArrived() {
        let data = patternBytes(0..<30)
        var r = Reassembly(isn: isn)
        r.feed(isn: isn, data, 0..<10)
        r.feed(isn: isn, data, 20..<30, fin: true)
        #expect(r.stream.finOffset == 30)
        #expect(!r.stream.isComplete)
        r.feed(isn: isn, data, 10..<20)
        #expect(r.stream.isComplete)
        #expect(r.data == data)
    }

    @Test func bareFinWithoutPayloadSetsFinOffset() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 0), patternBytes(0..<10))
        r.feed(seq(isn, 10), [], fin: true)
        #expect(r.stream.finOffset == 10)
        #expect(r.stream.isComplete)
        // A second FIN (retransmitted, or a bogus later one) does not move it.
        r.feed(seq(isn, 50), [], fin: true)
        #expect(r.stream.finOffset == 10)
    }

    @Test func finishTurnsRemainingHolesIntoGapsUpToTheFin() {
        let data = patternBytes(0..<50)
        var r = Reassembly(isn: isn)
        r.feed(isn: isn, data, 0..<10)
        r.feed(isn: isn, data, 20..<30)
        r.feed(isn: isn, data, 40..<45)
        r.feed(seq(isn, 50), [], fin: true)  // FIN at 50; 45..<50 never seen
        #expect(r.stream.finOffset == 50)
        #expect(!r.stream.isComplete)
        r.finish()
        #expect(r.items == [
            .data(offset: 0, bytes: Array(data[0..<10])), .gap(offset: 10, length: 10),
            .data(offset: 20, bytes: Array(data[20..<30])), .gap(offset: 30, length: 10),
            .data(offset: 40, bytes: Array(data[40..<45])), .gap(offset: 45, length: 5),
        ])
        #expect(r.stream.isComplete)
        #expect(r.stream.gaps == 3)
        #expect(r.stream.gapBytes == 25)
        #expect(r.stream.heldBytes == 0)
        #expect(r.budget.bufferedBytes == 0)
        do {
            let item = r.stream.nextItem(budget: &r.budget)
            #expect(item == nil)
        }
    }

    @Test func finishWithoutFinDeliversUpToTheLastHeldByte() {
        let data = patternBytes(0..<30)
        var r = Reassembly(isn: isn)
        r.feed(isn: isn, data, 0..<10)
        r.feed(isn: isn, data, 20..<30)
        r.finish()
        #expect(r.items.map(\.description) == ["data(0, 10 bytes)", "gap(10, 10)", "data(20, 10 bytes)"])
        #expect(r.stream.nextOffset == 30)
        #expect(!r.stream.isComplete)
    }

    @Test func finishOnACompleteStreamDeliversNothing() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 0), patternBytes(0..<10), fin: true)
        r.finish()
        #expect(r.items.count == 1)
        #expect(r.stream.gaps == 0)
        #expect(r.stream.isComplete)
    }

    // MARK: snap length

    @Test func snapLengthCutDeliversCapturedBytesAndReportsTheRestAsAGap() {
        var r = Reassembly(isn: isn)
        let out = r.feed(seq(isn, 0), patternBytes(0..<60), wireLength: 100)
        #expect(out.offset == 0)
        #expect(out.bytes == patternBytes(0..<60))
        #expect(r.items == [.data(offset: 0, bytes: patternBytes(0..<60)), .gap(offset: 60, length: 40)])
        #expect(r.stream.nextOffset == 100)
        #expect(r.stream.gaps == 1)
        #expect(r.stream.gapBytes == 40)
        // The next segment continues at the wire end, not the captured end.
        let next = r.feed(seq(isn, 100), patternBytes(100..<110))
        #expect(next.offset == 100)
        #expect(r.continuityErrors.isEmpty)
    }

    @Test func snapLengthCutOfAnOverlappingSegmentDeliversOnlyNewCapturedBytes() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 0), patternBytes(0..<20))
        // Segment 10..<110 on the wire, 30 bytes captured (10..<40): 20..<40 new, 40..<110 a gap.
        let out = r.feed(seq(isn, 10), patternBytes(10..<40), wireLength: 100)
        #expect(out.offset == 20)
        #expect(out.bytes == patternBytes(20..<40))
        #expect(r.items.last == .gap(offset: 40, length: 70))
        #expect(r.stream.nextOffset == 110)
        #expect(r.stream.overlappingSegments == 1)
    }

    @Test func snapLengthCutOfAnEarlySegmentHoldsCapturedBytesAndReportsTheCutAsAGap() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 0), patternBytes(0..<10))
        r.feed(seq(isn, 10), patternBytes(10..<40), wireLength: 50)  // in order, cut: gap 40..<60
        r.feed(seq(isn, 60), patternBytes(60..<70))
        #expect(r.reconstructed == patternBytes(0..<40).map { Optional($0) }
            + [UInt8?](repeating: nil, count: 20) + patternBytes(60..<70).map { Optional($0) })
        #expect(r.continuityErrors.isEmpty)
    }

    /// A snap-cut segment that arrives early should only give up its own cut
    /// tail; the hole before it may still be filled.
    @Test
    func snapCutEarlySegmentDoesNotGiveUpTheHoleBeforeIt() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 0), patternBytes(0..<10))
        r.feed(seq(isn, 100), patternBytes(100..<150), wireLength: 100)  // early, 50 of 100 captured
        r.feed(seq(isn, 10), patternBytes(10..<100))  // the hole fills
        #expect(r.items == [
            .data(offset: 0, bytes: patternBytes(0..<10)), .data(offset: 10, bytes: patternBytes(10..<100)),
            .data(offset: 100, bytes: patternBytes(100..<150)), .gap(offset: 150, length: 50),
        ])
        #expect(r.stream.gapBytes == 50)
        #expect(r.stream.retransmittedSegments == 0)
    }

    // MARK: caps

    @Test func perDirectionCapGivesUpHolesAsGapsAndBoundsHeldBytes() {
        let segment = 30
        let count = 40
        let data = patternBytes(0..<(segment * count))
        var r = Reassembly(isn: isn, maxHeld: 100)
        var dropped: [Range<Int>] = []
        for i in 0..<count {
            let range = (i * segment)..<((i + 1) * segment)
            if i % 5 == 0 {
                dropped.append(range)
                continue
            }
            r.feed(isn: isn, data, range)
            #expect(r.stream.heldBytes <= 100 + segment)
        }
        r.finish()
        #expect(r.stream.capHits > 0)
        #expect(r.maxHeldAfterAccept <= 100 + segment)
        #expect(r.maxHeldAfterDrain <= 100)
        #expect(r.continuityErrors.isEmpty)
        // Every dropped segment is exactly one gap; every other byte is delivered intact.
        #expect(r.gapItems == dropped.map { .gap(offset: UInt64($0.lowerBound), length: UInt64($0.count)) })
        let rebuilt = r.reconstructed
        #expect(rebuilt.count == data.count)
        for i in 0..<min(rebuilt.count, data.count) {
            let isDropped = dropped.contains { $0.contains(i) }
            if isDropped { #expect(rebuilt[i] == nil) } else { #expect(rebuilt[i] == data[i]) }
        }
        #expect(r.stream.heldBytes == 0)
        #expect(r.budget.bufferedBytes == 0)
        // The late retransmission of a given-up hole is old data now.
        r.feed(isn: isn, data, dropped[0])
        #expect(r.stream.retransmittedSegments == 1)
    }

    @Test func capHitCountsEverySegmentThatWouldExceedTheCap() {
        var r = Reassembly(isn: isn, maxHeld: 100)
        r.feed(seq(isn, 10), patternBytes(10..<60))  // held 50
        r.feed(seq(isn, 70), patternBytes(70..<120))  // held 100: at the cap, fine
        #expect(r.stream.capHits == 0)
        #expect(r.items.isEmpty)
        r.feed(seq(isn, 130), patternBytes(130..<131))  // 101 > 100
        #expect(r.stream.capHits == 1)
        #expect(r.items.map(\.description) == [
            "gap(0, 10)", "data(10, 50 bytes)", "gap(60, 10)", "data(70, 50 bytes)", "gap(120, 10)",
            "data(130, 1 bytes)",
        ])
        #expect(r.stream.heldBytes == 0)
    }

    @Test func capHitGivesUpOnlyTheHolesBeforeTheSegmentThatHitIt() {
        var r = Reassembly(isn: isn, maxHeld: 100)
        r.feed(seq(isn, 500), patternBytes(500..<590))  // held 90, far ahead
        r.feed(seq(isn, 100), patternBytes(100..<120))  // 110 > 100: give up 0..<100
        #expect(r.stream.capHits == 1)
        #expect(r.items.map(\.description) == ["gap(0, 100)", "data(100, 20 bytes)"])
        #expect(r.stream.heldBytes == 90)
        #expect(r.stream.nextOffset == 120)
        // The rest of the stream still reassembles.
        r.feed(seq(isn, 120), patternBytes(120..<500))
        #expect(r.stream.nextOffset == 590)
        #expect(r.stream.heldBytes == 0)
        #expect(Array(r.data.suffix(470)) == patternBytes(120..<590))
    }

    @Test func globalBudgetCapGivesUpHolesAndIsSharedAcrossStreams() {
        var budget = ReassemblyBudget(maxBytes: 100)
        let limits = FlowLimits()
        var a = TCPStream(), b = TCPStream()
        a.start(synSequence: 0)
        b.start(synSequence: 5000)
        func accept(_ s: inout TCPStream, _ sequence: UInt32, _ bytes: [UInt8]) {
            bytes.withUnsafeBytes { raw in
                _ = s.accept(
                    sequence: sequence, payload: raw, wireLength: bytes.count, fin: false, limits: limits,
                    budget: &budget)
            }
        }
        accept(&a, seq(0, 20), patternBytes(20..<100))  // a holds 80
        #expect(budget.bufferedBytes == 80)
        do {
            let item = a.nextItem(budget: &budget)
            #expect(item == nil)
        }
        accept(&b, seq(5000, 10), patternBytes(10..<40))  // 80 + 30 > 100: b gives up its hole
        #expect(b.capHits == 1)
        #expect(a.capHits == 0)
        #expect(budget.bufferedBytes == 110)
        #expect(budget.bufferedBytes <= budget.maxBytes + 30)
        do {
            let item = b.nextItem(budget: &budget)
            #expect(item == .gap(offset: 0, length: 10))
        }
        do {
            let item = b.nextItem(budget: &budget)
            #expect(item == .data(ArraySlice(patternBytes(10..<40)), offset: 10))
        }
        do {
            let item = b.nextItem(budget: &budget)
            #expect(item == nil)
        }
        #expect(budget.bufferedBytes == 80)
        #expect(budget.peakBufferedBytes == 110)
        // a was not forced: its hole still waits.
        #expect(!a.flushPending)
        a.discardHeld(budget: &budget)
        #expect(budget.bufferedBytes == 0)
    }

    @Test func globalBudgetCapBoundsBufferedBytesOverALongStream() {
        let segment = 40
        let data = patternBytes(0..<(segment * 60))
        var r = Reassembly(isn: isn, budgetBytes: 150)
        var dropped = 0
        for i in 0..<60 {
            if i % 7 == 3 { dropped += 1; continue }
            r.feed(isn: isn, data, (i * segment)..<((i + 1) * segment))
            #expect(r.budget.bufferedBytes <= 150 + segment)
        }
        r.feed(seq(isn, 60 * segment), [], fin: true)
        r.finish()
        #expect(r.stream.capHits > 0)
        #expect(r.maxBudgetAfterAccept <= 150 + segment)
        #expect(r.stream.gapBytes == UInt64(dropped * segment))
        #expect(r.budget.bufferedBytes == 0)
        #expect(r.continuityErrors.isEmpty)
        #expect(r.data.count == data.count - dropped * segment)
    }

    @Test func discardHeldReturnsTheBytesToTheBudget() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 10), patternBytes(10..<40))
        r.feed(seq(isn, 50), patternBytes(50..<55))
        #expect(r.budget.bufferedBytes == 35)
        #expect(r.stream.heldBytes == 35)
        r.stream.discardHeld(budget: &r.budget)
        #expect(r.budget.bufferedBytes == 0)
        #expect(r.stream.heldBytes == 0)
        #expect(!r.stream.hasHeldData)
        #expect(r.budget.peakBufferedBytes == 35)
        r.drain()
        #expect(r.items.isEmpty)
    }

    @Test func heldDataMadeObsoleteByAnInOrderSegmentReturnsItsBudget() {
        var r = Reassembly(isn: isn)
        r.feed(seq(isn, 10), patternBytes(10..<20))
        r.feed(seq(isn, 30), patternBytes(30..<40))
        #expect(r.budget.bufferedBytes == 20)
        r.feed(seq(isn, 0), patternBytes(0..<35))  // covers the first held piece and part of the second
        #expect(r.data == patternBytes(0..<40))
        #expect(r.budget.bufferedBytes == 0)
        #expect(r.stream.heldBytes == 0)
        #expect(!r.stream.hasHeldData)
    }
}

extension TCPStream.Item: Equatable {
    public static func == (a: TCPStream.Item, b: TCPStream.Item) -> Bool {
        switch (a, b) {
        case (.data(let x, let o), .data(let y, let p)): return o == p && Array(x) == Array(y)
        case (.gap(let o, let l), .gap(let p, let m)): return o == p && l == m
        default: return false
        }
    }
}

/// Floods of tiny early segments: each costs a heap object whatever its
/// size, so segments are capped by count as well as by bytes.
@Suite struct HeldSegmentCapTests {
    @Test func tinySegmentsHitThePerDirectionSegmentCap() {
        var r = Reassembly(isn: 1000)
        r.limits.maxHeldSegmentsPerDirection = 8
        // One-byte segments at offsets 2, 4, 6, ...: the hole at 0 never fills.
        for i in 1...40 { r.feed(1001 &+ UInt32(2 * i), [UInt8(i)]) }
        #expect(r.stream.capHits > 0)
        #expect(r.stream.heldBytes <= 9, "held \(r.stream.heldBytes) one-byte segments, cap 8 (+1 admitted)")
        #expect(r.budget.heldSegments == r.stream.heldBytes)
        #expect(r.continuityErrors.isEmpty)
    }

    @Test func globalSegmentCapIsSharedAndReturned() {
        var budget = ReassemblyBudget(maxBytes: 1 << 20, maxSegments: 4)
        var a = TCPStream(), b = TCPStream()
        a.start(synSequence: 0)
        b.start(synSequence: 0)
        let limits = FlowLimits()
        let one: [UInt8] = [7]
        for i in 0..<6 {
            _ = one.withUnsafeBytes { a.accept(sequence: UInt32(10 + 2 * i), payload: $0, wireLength: 1, fin: false, limits: limits, budget: &budget) }
            _ = one.withUnsafeBytes { b.accept(sequence: UInt32(10 + 2 * i), payload: $0, wireLength: 1, fin: false, limits: limits, budget: &budget) }
        }
        #expect(a.capHits + b.capHits > 0)
        a.discardHeld(budget: &budget)
        b.discardHeld(budget: &budget)
        #expect(budget.heldSegments == 0)
        #expect(budget.bufferedBytes == 0)
    }
}
