// FuzzDecoder: a sequence of frames of one link type through ONE PacketDecoder
// with small limits, so IP fragment reassembly state accumulates across frames
// and its caps and timeout are exercised.
//
// Input format (make_corpus.py writes it):
//   byte 0      link type: index into LinkType.supported (modulo its count)
//   byte 1      limits: bits 0-1 max datagrams in progress (1...4),
//               bits 2-3 max tunnel depth (1...4), bits 4-5 max fragment bytes
//               (512, 2048, 8192, 65536), bit 6 fragment timeout (0.5 s or 2 s)
//   then frames, each:
//     u16 LE    captured length (cut to what is left of the input)
//     u8        time step: 0x00-0x7f = that many ms; 0x80-0xfe = (b & 0x7f) * 250 ms;
//               0xff = 5 s backwards (merged captures are not always in order)
//     u8        wire length: 0 = captured length; 1-253 = captured + b (snap
//               length cut); 254 = captured / 2 (a header that claims less than
//               was captured); 255 = captured + 60000
//     bytes     the frame (copied into its own allocation so ASan sees overreads)
//
// Checked after every frame (precondition):
//   - a decoded packet is TCP or UDP, its payload lies inside the frame or the
//     reassembler's output buffer, payload.count <= payloadWireLength, and the
//     two are equal when the frame was not cut by the snap length;
//   - (at the end) the decoder's counters agree with the outcomes returned;
//   - fragment state: datagrams in progress <= the cap, heldBytes >= 0 and equal
//     to the bytes of the pending datagrams, heldBytes <= maxFragmentBytes + 65535
//     (check "fragment-cap", see FUZZ_IGNORE below);
// and at the end, after expiring everything: no datagram and no byte is held.
//
// FUZZ_IGNORE (environment, comma-separated) switches off checks whose failure
// is already known, so a run can go on finding other problems: fragment-cap.

@testable import Decoding

import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif





func pendingBytes(_ f: FragmentReassembler) -> Int { f.pending.values.reduce(0) { $0 + $1.bytes.count } }

func checkFragments(_ decoder: PacketDecoder, _ limits: DecodingLimits) {
    if decoder.fragments.datagramsInProgress == 0 && decoder.fragments.heldBytes == 0 { return }
    let f = decoder.fragments
    check("fragment-count", f.datagramsInProgress <= limits.maxFragmentedDatagrams,
          "\(f.datagramsInProgress) datagrams in progress, cap \(limits.maxFragmentedDatagrams)")
    check("fragment-accounting", f.heldBytes >= 0 && f.heldBytes == pendingBytes(f),
          "heldBytes \(f.heldBytes) but pending datagrams hold \(pendingBytes(f))")
    check("fragment-cap", f.heldBytes <= limits.maxFragmentBytes + 65_535,
          "heldBytes \(f.heldBytes) over maxFragmentBytes \(limits.maxFragmentBytes) + 65535")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    guard size >= 2 else { return -1 }
    let linkType = LinkType.supported[Int(input.u8()) % LinkType.supported.count]
    let config = input.u8()
    var limits = DecodingLimits()
    limits.maxFragmentedDatagrams = 1 + Int(config & 3)
    limits.maxTunnelDepth = 1 + Int(config >> 2 & 3)
    limits.maxFragmentBytes = [512, 2048, 8192, 65_536][Int(config >> 4 & 3)]
    limits.fragmentTimeout = config & 0x40 == 0 ? 500_000 : 2_000_000

    var decoder = PacketDecoder(limits: limits)
    var packet = DecodedPacket()
    var timestamp: Microseconds = 1_700_000_000_000_000
    var nextSweep = timestamp
    var latest = timestamp
    var skipped = [UInt64](repeating: 0, count: DecodeIssue.allCases.count)
    var cutAndDecoded: UInt64 = 0
    var decoded = 0, held = 0

    while let frame = input.nextFrame(after: timestamp) {
        defer { frame.deallocate() }
        timestamp = frame.timestamp
        latest = max(latest, timestamp)
        let wireLength = frame.wireLength
        // Like the auditor: sweep stale fragments once per second of capture time.
        if timestamp >= nextSweep {
            nextSweep = timestamp + 1_000_000
            decoder.expireFragments(now: timestamp)
        }

        let view = frame.bytes
        let outcome = decoder.decode(view, wireLength: wireLength, linkType: linkType, timestamp: timestamp, into: &packet)
        switch outcome {
        case .decoded:
            decoded += 1
            precondition(packet.transport == .tcp || packet.transport == .udp, "decoded transport \(packet.transport)")
            precondition(packet.timestamp == timestamp, "timestamp not carried")
            let p = packet.payload
            if p.count > 0 {
                let out = UnsafeRawBufferPointer(decoder.fragments.output.bytes)
                let inFrame = p.baseAddress! >= view.baseAddress! && p.baseAddress! + p.count <= view.baseAddress! + view.count
                let inOutput = p.baseAddress! >= out.baseAddress! && p.baseAddress! + p.count <= out.baseAddress! + out.count
                precondition(inFrame || inOutput, "payload points outside the frame and the reassembly buffer")
            }
            precondition(p.count <= packet.payloadWireLength,
                         "payload \(p.count) bytes longer than its wire length \(packet.payloadWireLength)")
            if wireLength <= frame.bytes.count {
                precondition(p.count == packet.payloadWireLength,
                             "frame not cut but payload \(p.count) != wire length \(packet.payloadWireLength)")
            } else {
                cutAndDecoded += 1
            }
            // Read every payload byte: ASan reports a payload outside live memory
            // (its memcmp interceptor checks the whole range).
            if p.count > 0 { _ = memcmp(p.baseAddress!, p.baseAddress!, p.count) }
        case .fragmentHeld:
            held += 1
        case .skipped(let issue):
            skipped[issue.rawValue] += 1
        }
        checkFragments(decoder, limits)
    }
    for issue in DecodeIssue.allCases {
        precondition(decoder.counters[issue] == skipped[issue.rawValue],
                     "counter \(issue.name) = \(decoder.counters[issue]), outcomes say \(skipped[issue.rawValue])")
    }
    precondition(decoder.counters.truncatedBySnaplen == cutAndDecoded, "truncatedBySnaplen miscounted")

    if verbose {
        let issues = DecodeIssue.allCases.filter { skipped[$0.rawValue] > 0 }.map { "\($0.name)=\(skipped[$0.rawValue])" }
        print("FuzzDecoder: \(linkType.name): \(decoded) decoded, \(held) fragments held, reassembled "
              + "\(decoder.fragments.datagramsReassembled), cut \(cutAndDecoded), skipped \(issues)")
    }
    // Long after the last fragment every datagram must have expired.
    decoder.expireFragments(now: latest + limits.fragmentTimeout + 1)
    check("fragment-expiry", decoder.fragments.datagramsInProgress == 0 && decoder.fragments.heldBytes == 0,
          "after expiry: \(decoder.fragments.datagramsInProgress) datagrams, \(decoder.fragments.heldBytes) bytes held")
    return 0
}
