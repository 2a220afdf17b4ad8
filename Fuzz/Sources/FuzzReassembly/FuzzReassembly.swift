// FuzzReassembly: operations on the two TCPStreams of one connection (client
// to server and back) sharing one small ReassemblyBudget, used the way the
// Auditor uses them, with invariants checked after every operation.
//
// Input format (make_corpus.py writes it):
//   byte 0      limits: bits 0-1 maxHeldBytesPerDirection (2048, 1024, 512, 4096),
//               bits 2-3 budget maxBytes (4096, 2048, 1024, 8192)
//   bytes 1-4   ISN of the client->server stream (u32 LE); bytes 5-8: server->client
//   then operations, each starting with a byte `op`; s = op >> 3 & 1 picks the
//   stream (0 = to server, 1 = to client); op & 7 is:
//     0, 1, 2   segment on s: u8 flags (bit 0 FIN, bit 1 ACK, bit 2 no drain,
//               bits 3-4 sequence mode, bit 5 long payload, bit 6 SYN),
//               sequence (mode 0: i8 from the next expected byte; 1: u16 from
//               the ISN; 2: i16 from the next expected byte; 3: any u32),
//               length (u8, or u16 & 0x1fff with bit 5), u8 wire extra (0: none,
//               255: wire length 65535, else that many bytes lost after the
//               capture), i16 ack (with bit 1; relative to the other stream's next
//               expected byte), then the payload bytes.
//               Like the Auditor: SYN -> start(synSequence:), accept, ACK ->
//               other stream acknowledge, then drain s (unless bit 2), and the
//               other stream when ACK.
//     3         acknowledge on s: i16 relative to the next expected byte
//     4         finish() on s, then drain it
//     5         one nextItem() on s
//     6         drain s (nextItem until nil)
//     7         bit 4 set: bypass (discardHeld on both, as the Auditor does when
//               inspection is done; later operations only re-check); else a SYN
//               without data on s: start(synSequence: ISN - 1)
//
// Checked (precondition): each delivered item starts where the previous one
// ended (data non-empty, gaps non-empty) and nextOffset follows; every delivered
// byte is the one the first segment to arrive at that offset carried ("data":
// no segment carried it; "first-wins": a later overlapping segment's byte won);
// budget.bufferedBytes >= 0 and equals the sum of both streams' heldBytes, which
// equal the held segments (sorted, disjoint); after a full drain, no flush is
// pending and heldBytes <= maxHeldBytesPerDirection + 65535 (and, both streams
// drained, bufferedBytes <= maxBytes + 65535); after finish() and a drain,
// nothing is held and the stream is complete up to its FIN.
//
// FUZZ_IGNORE (environment, comma-separated) switches off named checks whose
// failure is already known: held-cap, budget-cap, data, first-wins, order,
// flush, finish.

@testable import Decoding
@testable import Flows

import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif





/// What the harness knows about one direction, to check what the stream does.
struct Side {
    var stream = TCPStream()
    let isn: UInt32
    /// Sequence number of stream offset 0, once the stream started.
    var base: UInt32 = 0
    /// Where the next delivered item must start.
    var expected: UInt64 = 0
    /// Drained (nextItem returned nil) since the last segment was accepted.
    var settled = true
    /// Segments accepted (stream offset of their first byte, captured bytes), in
    /// arrival order, for the content check.
    var segments: [(offset: Int64, payload: UnsafeRawBufferPointer)] = []

    init(isn: UInt32) { self.isn = isn }

    /// Sequence number of the next byte the harness expects.
    var anchor: UInt32 { stream.isStarted ? base &+ UInt32(truncatingIfNeeded: expected) : isn }

    /// The stream offset of `sequence`: the nearest one to the next expected
    /// byte (sequence numbers wrap, offsets do not).
    func offset(of sequence: UInt32) -> Int64 {
        Int64(expected) + Int64(Int32(bitPattern: sequence &- anchor))
    }

    /// `chunk` was delivered at stream offset `offset`. Every byte must be the
    /// byte the first segment to arrive with that offset carried ("first data
    /// wins": later overlapping segments never replace bytes, held or not).
    /// "data": no segment carried the byte at all (misplaced bytes);
    /// "first-wins": a later segment's byte was delivered.
    func checkContent(_ chunk: UnsafeRawBufferPointer, at offset: UInt64) {
        let start = Int64(offset), end = start + Int64(chunk.count)
        var claimed = [Bool](repeating: false, count: chunk.count)
        var unclaimed = chunk.count
        for s in segments where unclaimed > 0 {
            let lo = max(start, s.offset), hi = min(end, s.offset + Int64(s.payload.count))
            guard lo < hi else { continue }
            for o in lo..<hi where !claimed[Int(o - start)] {
                claimed[Int(o - start)] = true
                unclaimed -= 1
                let delivered = chunk[Int(o - start)]
                guard delivered != s.payload[Int(o - s.offset)] else { continue }
                let carried = segments.contains { t in
                    o >= t.offset && o < t.offset + Int64(t.payload.count) && t.payload[Int(o - t.offset)] == delivered
                }
                check(carried ? "first-wins" : "data", false,
                      "offset \(o): delivered 0x\(String(delivered, radix: 16)), the first segment there carried "
                      + "0x\(String(s.payload[Int(o - s.offset)], radix: 16))"
                      + (carried ? " (a later segment carried the delivered byte)" : " (no segment carried it)"))
            }
        }
        check("data", unclaimed == 0, "delivered \(unclaimed) bytes in [\(start), \(end)) that no segment carried")
    }

    mutating func take(_ item: TCPStream.Item) {
        switch item {
        case .data(let bytes, let offset):
            check("order", offset == expected, "data at \(offset), expected \(expected)")
            check("order", !bytes.isEmpty, "empty data item at \(offset)")
            bytes.withUnsafeBytes { checkContent($0, at: offset) }
            expected += UInt64(bytes.count)
        case .gap(let offset, let length):
            check("order", offset == expected, "gap at \(offset), expected \(expected)")
            check("order", length > 0, "empty gap at \(offset)")
            expected += length
        }
    }

    /// One nextItem; returns false when the stream had nothing to deliver.
    mutating func step(_ budget: inout ReassemblyBudget) -> Bool {
        guard let item = stream.nextItem(budget: &budget) else {
            settled = true
            check("flush", !stream.flushPending, "nextItem returned nil with a flush pending")
            return false
        }
        take(item)
        return true
    }

    mutating func drain(_ budget: inout ReassemblyBudget) {
        var n = 0
        while step(&budget) {
            n += 1
            precondition(n < 1_000_000, "nextItem does not terminate")
        }
    }
}

func checkSide(_ side: Side, cap: Int) {
    let s = side.stream
    precondition(s.nextOffset == side.expected, "nextOffset \(s.nextOffset), delivered up to \(side.expected)")
    let sum = s.held.reduce(0) { $0 + $1.bytes.count }
    precondition(s.heldBytes >= 0 && s.heldBytes == sum, "heldBytes \(s.heldBytes), held segments \(sum)")
    precondition(s.hasHeldData == (s.heldBytes > 0), "hasHeldData \(s.hasHeldData) with \(s.heldBytes) bytes")
    for i in s.held.indices.dropFirst() {
        precondition(s.held[i - 1].end <= s.held[i].offset, "held segments overlap or are out of order")
    }
    for h in s.held { precondition(!h.bytes.isEmpty, "empty held segment") }
    if side.settled {
        check("held-cap", s.heldBytes <= cap + 65_535, "heldBytes \(s.heldBytes) after draining, cap \(cap)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 9 else { return -1 }
    var input = FuzzInput(data, size)
    let config = input.u8()
    var limits = FlowLimits()
    limits.maxHeldBytesPerDirection = [2048, 1024, 512, 4096][Int(config & 3)]
    var budget = ReassemblyBudget(maxBytes: [4096, 2048, 1024, 8192][Int(config >> 2 & 3)])
    limits.maxHeldBytesTotal = budget.maxBytes
    var sides = [Side(isn: input.u32()), Side(isn: input.u32())]
    var bypassed = false

    func checkAll() {
        for side in sides { checkSide(side, cap: limits.maxHeldBytesPerDirection) }
        let held = sides[0].stream.heldBytes + sides[1].stream.heldBytes
        precondition(budget.bufferedBytes >= 0 && budget.bufferedBytes == held,
                     "budget.bufferedBytes \(budget.bufferedBytes), streams hold \(held)")
        precondition(budget.peakBufferedBytes >= budget.bufferedBytes, "peak below current")
        if sides[0].settled && sides[1].settled {
            check("budget-cap", budget.bufferedBytes <= budget.maxBytes + 65_535,
                  "bufferedBytes \(budget.bufferedBytes) after draining, cap \(budget.maxBytes)")
        }
    }

    var ops = 0
    while input.remaining > 0 && ops < 4096 {
        ops += 1
        let op = input.u8()
        let s = Int(op >> 3 & 1)
        let o = 1 - s
        if bypassed { continue }
        switch op & 7 {
        case 0, 1, 2:
            let flags = input.u8()
            let sequence: UInt32
            switch flags >> 3 & 3 {
            case 0: sequence = sides[s].anchor &+ UInt32(bitPattern: Int32(Int8(bitPattern: input.u8())))
            case 1: sequence = sides[s].isn &+ UInt32(input.u16())
            case 2: sequence = sides[s].anchor &+ UInt32(bitPattern: Int32(Int16(bitPattern: input.u16())))
            default: sequence = input.u32()
            }
            let length = flags & 0x20 != 0 ? Int(input.u16() & 0x1fff) : Int(input.u8())
            let extra = input.u8()
            let ack = flags & 2 != 0
                ? sides[o].anchor &+ UInt32(bitPattern: Int32(Int16(bitPattern: input.u16()))) : nil
            let payload = input.bytes(length)
            let wireLength = extra == 255 ? 65_535 : payload.count + Int(extra)
            let fin = flags & 1 != 0

            if flags & 0x40 != 0 && !sides[s].stream.isStarted {
                sides[s].stream.start(synSequence: sides[s].isn &- 1)
                sides[s].base = sides[s].isn
            }
            // A stream picked up mid-way starts at its first segment (offset 0).
            let segmentOffset = sides[s].stream.isStarted ? sides[s].offset(of: sequence) : 0
            if !sides[s].stream.isStarted { sides[s].base = sequence }
            let before = sides[s].expected
            let implausible = sides[s].stream.implausibleSegments
            let (bytes, offset) = sides[s].stream.accept(
                sequence: sequence, payload: payload, wireLength: wireLength, fin: fin, limits: limits,
                budget: &budget)
            // Implausible segments (too far from the expected sequence) are dropped.
            if sides[s].stream.implausibleSegments == implausible { sides[s].segments.append((segmentOffset, payload)) }
            check("order", offset == before, "accept returned offset \(offset), expected \(before)")
            if !bytes.isEmpty {
                precondition(bytes.baseAddress! >= payload.baseAddress!
                             && bytes.baseAddress! + bytes.count <= payload.baseAddress! + payload.count,
                             "in-order bytes do not point into the payload")
                sides[s].checkContent(bytes, at: offset)
                sides[s].expected += UInt64(bytes.count)
            }
            sides[s].settled = false
            if let ack { sides[o].stream.acknowledge(ack) }
            if flags & 4 == 0 { sides[s].drain(&budget) }
            if ack != nil { sides[o].drain(&budget) }
        case 3:
            sides[s].stream.acknowledge(sides[s].anchor &+ UInt32(bitPattern: Int32(Int16(bitPattern: input.u16()))))
        case 4:
            sides[s].stream.finish()
            sides[s].drain(&budget)
            check("finish", !sides[s].stream.hasHeldData && sides[s].stream.heldBytes == 0,
                  "\(sides[s].stream.heldBytes) bytes still held after finish()")
            if let fin = sides[s].stream.finOffset {
                check("finish", sides[s].stream.isComplete, "finish() stopped at \(sides[s].expected), FIN at \(fin)")
            }
        case 5:
            _ = sides[s].step(&budget)
        case 6:
            sides[s].drain(&budget)
        default:
            if op & 0x10 != 0 {
                sides[0].stream.discardHeld(budget: &budget)
                sides[1].stream.discardHeld(budget: &budget)
                precondition(budget.bufferedBytes == 0, "bypass left \(budget.bufferedBytes) bytes in the budget")
                bypassed = true
            } else if !sides[s].stream.isStarted {
                sides[s].stream.start(synSequence: sides[s].isn &- 1)
                sides[s].base = sides[s].isn
            }
        }
        if !bypassed { checkAll() }
    }

    if verbose {
        for (i, side) in sides.enumerated() {
            let st = side.stream
            print("FuzzReassembly: \(i == 0 ? "to server" : "to client"): \(side.segments.count) segments, "
                  + "offset \(st.nextOffset), gaps \(st.gaps) (\(st.gapBytes) bytes), held \(st.heldBytes), "
                  + "out of order \(st.outOfOrderSegments), retransmitted \(st.retransmittedSegments), "
                  + "overlapping \(st.overlappingSegments), cap hits \(st.capHits), implausible \(st.implausibleSegments), "
                  + "fin \(st.finOffset.map(String.init) ?? "-")")
        }
    }
    // End of the connection, as Auditor.finishFlow does it.
    if !bypassed {
        for s in 0..<2 {
            sides[s].stream.finish()
            sides[s].drain(&budget)
            check("finish", sides[s].stream.heldBytes == 0, "\(sides[s].stream.heldBytes) bytes held after finish()")
        }
        checkAll()
        precondition(budget.bufferedBytes == 0, "\(budget.bufferedBytes) bytes left in the budget")
    }
    return 0
}
