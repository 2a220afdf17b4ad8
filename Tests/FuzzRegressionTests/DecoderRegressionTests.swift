// Regression tests for what FuzzDecoder found (Fuzz/README.md, "Findings").
import Testing
@testable import Decoding

/// Replays a FuzzDecoder input (format: Fuzz/Sources/FuzzDecoder/FuzzDecoder.swift)
/// through one PacketDecoder as the fuzz target does, and returns the limits
/// used and the most fragment bytes held after any frame.
func replayDecoder(_ input: [UInt8]) -> (limits: DecodingLimits, maxHeld: Int) {
    var i = 0
    func u8() -> UInt8 {
        guard i < input.count else { return 0 }
        defer { i += 1 }
        return input[i]
    }
    func u16() -> UInt16 { UInt16(u8()) | UInt16(u8()) << 8 }
    let linkType = LinkType.supported[Int(u8()) % LinkType.supported.count]
    let config = u8()
    var limits = DecodingLimits()
    limits.maxFragmentedDatagrams = 1 + Int(config & 3)
    limits.maxTunnelDepth = 1 + Int(config >> 2 & 3)
    limits.maxFragmentBytes = [512, 2048, 8192, 65_536][Int(config >> 4 & 3)]
    limits.fragmentTimeout = config & 0x40 == 0 ? 500_000 : 2_000_000
    var decoder = PacketDecoder(limits: limits)
    var packet = DecodedPacket()
    var timestamp: Microseconds = 1_700_000_000_000_000
    var nextSweep = timestamp
    var maxHeld = 0
    while input.count - i >= 4 {
        let declared = Int(u16())
        let step = u8()
        let wireCode = u8()
        let frame = Array(input[i..<min(i + declared, input.count)])
        i += frame.count
        switch step {
        case 0xff: timestamp -= 5_000_000
        case 0x80...: timestamp += Microseconds(step & 0x7f) * 250_000
        default: timestamp += Microseconds(step) * 1000
        }
        let wireLength: Int
        switch wireCode {
        case 0: wireLength = frame.count
        case 254: wireLength = frame.count / 2
        case 255: wireLength = frame.count + 60_000
        default: wireLength = frame.count + Int(wireCode)
        }
        if timestamp >= nextSweep {
            nextSweep = timestamp + 1_000_000
            decoder.expireFragments(now: timestamp)
        }
        _ = frame.withUnsafeBytes {
            decoder.decode($0, wireLength: wireLength, linkType: linkType, timestamp: timestamp, into: &packet)
        }
        maxHeld = max(maxHeld, decoder.fragments.heldBytes)
    }
    return (limits, maxHeld)
}

/// An Ethernet frame with one IPv4 fragment of UDP (no checksum: the decoder does not verify it).
func ipv4FragmentFrame(identification: UInt16, offset: Int, moreFragments: Bool, payload: [UInt8]) -> [UInt8] {
    let flags = UInt16(moreFragments ? 0x2000 : 0) | UInt16(offset / 8)
    let total = UInt16(20 + payload.count)
    var frame: [UInt8] = [0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a, 0x08, 0x00]
    frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), UInt8(identification >> 8), UInt8(identification & 0xff),
              UInt8(flags >> 8), UInt8(flags & 0xff), 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7]
    return frame + payload
}

@Suite("Fuzz regressions: decoding")
struct DecoderRegressionTests {
    /// Fuzz/Regressions/FuzzDecoder-fragment-cap-bypass.bin: three IPv4
    /// fragments (Ethernet, maxFragmentBytes 2048); one is the last fragment of
    /// a new datagram at offset 59408, another extends a datagram to 16416 bytes.
    static let fragmentCapBypass: [UInt8] = [
        0x01, 0x17, 0x32, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00,
        0x00, 0x0a, 0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x12, 0x34, 0x20, 0x00, 0x40, 0x11, 0x5c, 0x59,
        0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x07, 0x9c, 0x40, 0x00, 0x35, 0x00, 0x41, 0x00, 0x00,
        0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x32, 0x00, 0x81, 0x00, 0x02, 0x00, 0x00, 0x00,
        0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x43, 0x21,
        0x1d, 0x02, 0x40, 0x11, 0x2b, 0x6a, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x07, 0x00, 0x00,
        0x00, 0x00, 0x0a, 0x70, 0x6c, 0x61, 0x69, 0x6e, 0x73, 0x69, 0x67, 0x68, 0x74, 0x04, 0x32, 0x00,
        0x81, 0x00, 0x6e, 0x73, 0x69, 0x67, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x00,
        0x45, 0x00, 0x00, 0x24, 0x12, 0x34, 0x28, 0x02, 0x40, 0x11, 0x5c, 0x57, 0xc0, 0x00, 0x02, 0x01,
        0xc6, 0x33, 0x64, 0x07, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x70, 0x6c, 0x61, 0x69, 0x6e, 0x73, 0x69,
        0x67, 0x68, 0x00, 0x00,
    ]

    @Test("fuzz crasher: fragments never hold more than maxFragmentBytes")
    func fragmentCapCrasher() {
        let result = replayDecoder(Self.fragmentCapBypass)
        #expect(result.maxHeld <= result.limits.maxFragmentBytes,
                "held \(result.maxHeld) bytes, cap \(result.limits.maxFragmentBytes)")
    }

    /// The cap is checked against the fragment's own length and only for a
    /// datagram's first fragment, while the reassembly buffer grows to the
    /// fragment's end offset: a 16-byte fragment at offset 64000 holds 64016
    /// bytes. With the default limits (1024 datagrams, 16 MiB) that is 64 MiB.
    @Test("a small fragment at a large offset counts what it makes the reassembler hold")
    func farFragments() {
        var limits = DecodingLimits()
        limits.maxFragmentedDatagrams = 8
        limits.maxFragmentBytes = 4096
        var decoder = PacketDecoder(limits: limits)
        var packet = DecodedPacket()
        for id in UInt16(1)...4 {
            let frame = ipv4FragmentFrame(
                identification: id, offset: 64_000, moreFragments: false, payload: [UInt8](repeating: 0x41, count: 16))
            _ = frame.withUnsafeBytes {
                decoder.decode($0, wireLength: $0.count, linkType: .ethernet, timestamp: 1_000_000, into: &packet)
            }
            #expect(decoder.fragments.heldBytes <= limits.maxFragmentBytes,
                    "after datagram \(id): \(decoder.fragments.heldBytes) bytes held")
        }
    }
}
