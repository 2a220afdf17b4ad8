import Testing
@testable import Decoding

/// An Ethernet/IPv4 frame carrying `datagram[range]` as one fragment.
private func v4Fragment(
    _ datagram: [UInt8], _ range: Range<Int>, id: UInt16 = 0x0bad, proto: UInt8 = IPProto.udp,
    last: Bool? = nil, src: [UInt8] = ip4A
) -> [UInt8] {
    precondition(range.lowerBound % 8 == 0)
    let more = !(last ?? (range.upperBound == datagram.count))
    return ethernet(
        type: EtherType.ipv4,
        ipv4(src: src, proto: proto, Array(datagram[range]), id: id, dontFragment: false, moreFragments: more,
            fragmentOffset8: UInt16(range.lowerBound / 8)))
}

/// An Ethernet/IPv6 frame carrying `datagram[range]` behind a fragment header.
private func v6Fragment(
    _ datagram: [UInt8], _ range: Range<Int>, id: UInt32 = 0xfeed_f00d, proto: UInt8 = IPProto.udp,
    before: [UInt8] = [], firstNext: UInt8 = IPProto.fragment
) -> [UInt8] {
    let more = range.upperBound != datagram.count
    let body = before + ipv6FragmentHeader(next: proto, offset: range.lowerBound, more: more, id: id)
        + Array(datagram[range])
    return ethernet(type: EtherType.ipv6, ipv6(nextHeader: firstNext, body))
}

@Suite("Fragments")
struct FragmentTests {
    let udpPayload = pattern(200, seed: 3)
    var udpDatagram: [UInt8] { udp(sport: 4000, dport: 5000, udpPayload) }
    let tcpPayload = pattern(1000, seed: 9)
    var tcpDatagram: [UInt8] { tcp(sport: 1111, dport: 2222, seq: 77, tcpPayload) }

    // MARK: IPv4

    @Test func ipv4TwoFragmentsInOrderReassembleUDP() {
        var decoder = PacketDecoder()
        let d = udpDatagram
        #expect(decode(v4Fragment(d, 0..<104), with: &decoder).outcome == .fragmentHeld)
        #expect(decoder.fragments.datagramsInProgress == 1)
        let r = decode(v4Fragment(d, 104..<d.count), with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.packet.transport == .udp)
        #expect(r.packet.sourcePort == 4000)
        #expect(r.packet.destinationPort == 5000)
        #expect(r.packet.source == ipv4Address(ip4A))
        #expect(r.payload == udpPayload)
        #expect(r.packet.payloadWireLength == udpPayload.count)
        #expect(decoder.fragments.datagramsReassembled == 1)
        #expect(decoder.fragments.datagramsInProgress == 0)
        #expect(decoder.fragments.heldBytes == 0)
        #expect(decoder.counters.malformed == 0)
    }

    @Test func ipv4TwoFragmentsOutOfOrderReassembleUDP() {
        var decoder = PacketDecoder()
        let d = udpDatagram
        #expect(decode(v4Fragment(d, 104..<d.count), with: &decoder).outcome == .fragmentHeld)
        let r = decode(v4Fragment(d, 0..<104), with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.payload == udpPayload)
    }

    @Test(arguments: [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
    func ipv4ThreeFragmentsInAnyOrderReassembleTCP(order: [Int]) {
        let d = tcpDatagram
        let ranges = [0..<400, 400..<800, 800..<d.count]
        var decoder = PacketDecoder()
        for (i, index) in order.enumerated() {
            let r = decode(v4Fragment(d, ranges[index], proto: IPProto.tcp), timestamp: Int64(i), with: &decoder)
            if i < 2 {
                #expect(r.outcome == .fragmentHeld)
            } else {
                #expect(r.outcome == .decoded)
                #expect(r.packet.transport == .tcp)
                #expect(r.packet.sourcePort == 1111)
                #expect(r.packet.destinationPort == 2222)
                #expect(r.packet.sequenceNumber == 77)
                #expect(r.payload == tcpPayload)
                #expect(r.packet.payloadWireLength == tcpPayload.count)
            }
        }
        #expect(decoder.fragments.datagramsInProgress == 0)
    }

    @Test func ipv4ManySmallFragmentsReassemble() {
        let d = tcpDatagram
        var decoder = PacketDecoder()
        var starts = Array(stride(from: 0, to: d.count, by: 8))
        starts.reverse()
        var last: DecodeResult?
        for s in starts {
            last = decode(v4Fragment(d, s..<min(s + 8, d.count), proto: IPProto.tcp), with: &decoder)
        }
        #expect(last?.outcome == .decoded)
        #expect(last?.payload == tcpPayload)
    }

    @Test func ipv4OverlappingFragmentsWithIdenticalBytesReassemble() {
        let d = udpDatagram
        var decoder = PacketDecoder()
        #expect(decode(v4Fragment(d, 0..<120), with: &decoder).outcome == .fragmentHeld)
        #expect(decode(v4Fragment(d, 64..<160, last: false), with: &decoder).outcome == .fragmentHeld)
        #expect(decode(v4Fragment(d, 0..<120), with: &decoder).outcome == .fragmentHeld)  // exact duplicate
        let r = decode(v4Fragment(d, 152..<d.count), with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.payload == udpPayload)
        #expect(decoder.counters[.fragmentOverlapMismatch] == 0)
    }

    @Test func ipv4FragmentCoveringAGapBetweenTwoOthersReassembles() {
        let d = udpDatagram
        var decoder = PacketDecoder()
        #expect(decode(v4Fragment(d, 0..<48), with: &decoder).outcome == .fragmentHeld)
        #expect(decode(v4Fragment(d, 96..<144, last: false), with: &decoder).outcome == .fragmentHeld)
        #expect(decode(v4Fragment(d, 192..<d.count), with: &decoder).outcome == .fragmentHeld)
        // One fragment spanning everything, overlapping all three.
        let r = decode(v4Fragment(d, 0..<d.count, last: true), with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.payload == udpPayload)
    }

    @Test func ipv4OverlapWithDifferentBytesIsFragmentOverlapMismatch() {
        let d = udpDatagram
        var evil = d
        for i in 100..<110 { evil[i] ^= 0xff }
        var decoder = PacketDecoder()
        #expect(decode(v4Fragment(d, 0..<104), with: &decoder).outcome == .fragmentHeld)
        let r = decode(v4Fragment(evil, 96..<evil.count), with: &decoder)
        #expect(r.outcome == .skipped(.fragmentOverlapMismatch))
        #expect(decoder.counters[.fragmentOverlapMismatch] == 1)
        #expect(decoder.fragments.datagramsInProgress == 0)
        #expect(decoder.fragments.heldBytes == 0)
    }

    @Test func ipv4OverlapMismatchInTheLaterFragmentIsDetectedWhateverTheOrder() {
        let d = udpDatagram
        var evil = d
        evil[50] ^= 0x01
        var decoder = PacketDecoder()
        #expect(decode(v4Fragment(d, 48..<d.count), with: &decoder).outcome == .fragmentHeld)
        #expect(decode(v4Fragment(evil, 0..<56), with: &decoder).outcome == .skipped(.fragmentOverlapMismatch))
    }

    @Test func ipv4TwoLastFragmentsWithDifferentEndsAreRejected() {
        let d = udpDatagram
        var decoder2 = PacketDecoder()
        #expect(decode(v4Fragment(d, 104..<d.count), with: &decoder2).outcome == .fragmentHeld)
        #expect(decode(v4Fragment(d, 96..<104, last: true), with: &decoder2).outcome
            == .skipped(.fragmentOverlapMismatch))
        #expect(decoder2.fragments.datagramsInProgress == 0)
        #expect(decoder2.fragments.heldBytes == 0)
    }

    @Test
    func ipv4FragmentPastTheEndSetByTheLastFragmentIsRejected() {
        // The last fragment fixes the datagram at 208 bytes; a later non-last
        // fragment reaching to 216 contradicts it (RFC 8200 §4.5 / Linux
        // ip_frag_queue drop the datagram). It must not stay held forever.
        let d = udpDatagram
        var decoder = PacketDecoder()
        #expect(decode(v4Fragment(d, 104..<d.count), with: &decoder).outcome == .fragmentHeld)
        let past = ethernet(
            type: EtherType.ipv4,
            ipv4(proto: IPProto.udp, Array(d[200..<208]) + pattern(8), id: 0x0bad, dontFragment: false,
                moreFragments: true, fragmentOffset8: 25))
        let outcome = decode(past, with: &decoder).outcome
        #expect(outcome == .skipped(.fragmentOverlapMismatch))
        #expect(decoder.fragments.datagramsInProgress == 0)
    }

    @Test func ipv4FragmentBeyond65535IsFragmentTooLarge() {
        var decoder = PacketDecoder()
        // Offset 8189 * 8 = 65512, 32 bytes => ends at 65544.
        let frame = ethernet(
            type: EtherType.ipv4,
            ipv4(proto: IPProto.udp, pattern(32), id: 5, dontFragment: false, moreFragments: false, fragmentOffset8: 8189))
        #expect(decode(frame, with: &decoder).outcome == .skipped(.fragmentTooLarge))
        #expect(decoder.counters[.fragmentTooLarge] == 1)
        #expect(decoder.fragments.datagramsInProgress == 0)
    }

    @Test func ipv4FragmentEndingExactlyAt65535IsAccepted() {
        var decoder = PacketDecoder()
        // Offset 65528, 7 bytes => ends at 65535.
        let frame = ethernet(
            type: EtherType.ipv4,
            ipv4(proto: IPProto.udp, pattern(7), id: 5, dontFragment: false, moreFragments: false, fragmentOffset8: 8191))
        #expect(decode(frame, with: &decoder).outcome == .fragmentHeld)
    }

    @Test func ipv4FragmentTooLargeDropsTheWholeDatagram() {
        var decoder = PacketDecoder()
        let d = udpDatagram
        #expect(decode(v4Fragment(d, 0..<104), with: &decoder).outcome == .fragmentHeld)
        let huge = ethernet(
            type: EtherType.ipv4,
            ipv4(proto: IPProto.udp, pattern(32), id: 0x0bad, dontFragment: false, moreFragments: true,
                fragmentOffset8: 8190))
        #expect(decode(huge, with: &decoder).outcome == .skipped(.fragmentTooLarge))
        #expect(decoder.fragments.datagramsInProgress == 0)
        #expect(decoder.fragments.heldBytes == 0)
    }

    @Test func ipv4SnaplenCutFragmentIsTruncatedFragment() {
        let d = udpDatagram
        let frame = v4Fragment(d, 0..<104)
        var decoder = PacketDecoder()
        #expect(decode(Array(frame.prefix(60)), wireLength: frame.count, with: &decoder).outcome
            == .skipped(.truncatedFragment))
        #expect(decoder.counters[.truncatedFragment] == 1)
    }

    @Test func ipv4FragmentsOfDifferentDatagramsDoNotMix() {
        let d = udpDatagram
        var decoder = PacketDecoder()
        #expect(decode(v4Fragment(d, 0..<104, id: 1), with: &decoder).outcome == .fragmentHeld)
        #expect(decode(v4Fragment(d, 104..<d.count, id: 2), with: &decoder).outcome == .fragmentHeld)
        #expect(decode(v4Fragment(d, 104..<d.count, id: 1, src: [192, 0, 2, 99]), with: &decoder).outcome
            == .fragmentHeld)
        #expect(decode(v4Fragment(d, 0..<104, id: 1, proto: IPProto.tcp), with: &decoder).outcome == .fragmentHeld)
        #expect(decoder.fragments.datagramsInProgress == 4)
        let r = decode(v4Fragment(d, 104..<d.count, id: 1), with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.payload == udpPayload)
        #expect(decoder.fragments.datagramsInProgress == 3)
    }

    @Test func ipv4ReassembledDatagramWithBadTransportReportsTheTransportIssue() {
        // UDP length 8 + 300 but the datagram is 208 bytes.
        let d = udp(length: 308, udpPayload)
        var decoder = PacketDecoder()
        _ = decode(v4Fragment(d, 0..<104), with: &decoder)
        #expect(decode(v4Fragment(d, 104..<d.count), with: &decoder).outcome == .skipped(.badUDPLength))
    }

    // MARK: caps and time

    @Test func fragmentedDatagramCapEvictsTheOldest() {
        var limits = DecodingLimits()
        limits.maxFragmentedDatagrams = 2
        var decoder = PacketDecoder(limits: limits)
        let d = udpDatagram
        #expect(decode(v4Fragment(d, 0..<104, id: 1), timestamp: 100, with: &decoder).outcome == .fragmentHeld)
        #expect(decode(v4Fragment(d, 0..<104, id: 2), timestamp: 200, with: &decoder).outcome == .fragmentHeld)
        #expect(decoder.fragments.capHits == 0)
        #expect(decode(v4Fragment(d, 0..<104, id: 3), timestamp: 300, with: &decoder).outcome == .fragmentHeld)
        #expect(decoder.fragments.capHits == 1)
        #expect(decoder.fragments.datagramsInProgress == 2)
        // Datagram 1 was evicted: its second half starts a new datagram (and evicts 2).
        #expect(decode(v4Fragment(d, 104..<d.count, id: 1), timestamp: 400, with: &decoder).outcome == .fragmentHeld)
        #expect(decoder.fragments.capHits == 2)
        // Datagram 3 is still there and completes.
        let r = decode(v4Fragment(d, 104..<d.count, id: 3), timestamp: 500, with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.payload == udpPayload)
        #expect(decoder.fragments.datagramsInProgress == 1)
    }

    @Test func fragmentCapEvictsLeastRecentlySeenNotFirstCreated() {
        var limits = DecodingLimits()
        limits.maxFragmentedDatagrams = 2
        var decoder = PacketDecoder(limits: limits)
        let d = tcpDatagram
        _ = decode(v4Fragment(d, 0..<400, id: 1, proto: IPProto.tcp), timestamp: 100, with: &decoder)
        _ = decode(v4Fragment(d, 0..<400, id: 2, proto: IPProto.tcp), timestamp: 200, with: &decoder)
        _ = decode(v4Fragment(d, 400..<800, id: 1, proto: IPProto.tcp), timestamp: 300, with: &decoder)  // refresh 1
        _ = decode(v4Fragment(d, 0..<400, id: 3, proto: IPProto.tcp), timestamp: 400, with: &decoder)  // evicts 2
        let r = decode(v4Fragment(d, 800..<d.count, id: 1, proto: IPProto.tcp), timestamp: 500, with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.payload == tcpPayload)
    }

    @Test func fragmentByteCapRejectsAFirstFragmentThatDoesNotFit() {
        var limits = DecodingLimits()
        limits.maxFragmentBytes = 100
        var decoder = PacketDecoder(limits: limits)
        let d = udpDatagram
        #expect(decode(v4Fragment(d, 0..<104), with: &decoder).outcome == .skipped(.fragmentTooLarge))
        #expect(decoder.fragments.capHits == 1)
        #expect(decoder.fragments.datagramsInProgress == 0)
    }

    @Test
    func fragmentByteCapHoldsForFragmentsAtLargeOffsets() {
        var limits = DecodingLimits()
        limits.maxFragmentBytes = 1000
        var decoder = PacketDecoder(limits: limits)
        // 8 bytes at offset 40000: the reassembly buffer would need 40008 bytes.
        let frame = ethernet(
            type: EtherType.ipv4,
            ipv4(proto: IPProto.udp, pattern(8), id: 9, dontFragment: false, moreFragments: true, fragmentOffset8: 5000))
        _ = decode(frame, with: &decoder)
        #expect(decoder.fragments.heldBytes <= limits.maxFragmentBytes)
    }

    @Test
    func fragmentByteCapHoldsWhenALaterFragmentGrowsADatagram() {
        var limits = DecodingLimits()
        limits.maxFragmentBytes = 1000
        var decoder = PacketDecoder(limits: limits)
        let first = ethernet(
            type: EtherType.ipv4,
            ipv4(proto: IPProto.udp, pattern(8), id: 9, dontFragment: false, moreFragments: true, fragmentOffset8: 0))
        #expect(decode(first, with: &decoder).outcome == .fragmentHeld)
        let far = ethernet(
            type: EtherType.ipv4,
            ipv4(proto: IPProto.udp, pattern(8), id: 9, dontFragment: false, moreFragments: true, fragmentOffset8: 5000))
        _ = decode(far, with: &decoder)
        #expect(decoder.fragments.heldBytes <= limits.maxFragmentBytes)
    }

    @Test func expireFragmentsDropsOldDatagrams() {
        var limits = DecodingLimits()
        limits.fragmentTimeout = 1_000
        var decoder = PacketDecoder(limits: limits)
        let d = udpDatagram
        _ = decode(v4Fragment(d, 0..<104, id: 1), timestamp: 10_000, with: &decoder)
        _ = decode(v4Fragment(d, 0..<104, id: 2), timestamp: 10_500, with: &decoder)
        decoder.expireFragments(now: 11_000)  // exactly the timeout for 1: kept
        #expect(decoder.fragments.datagramsTimedOut == 0)
        #expect(decoder.fragments.datagramsInProgress == 2)
        decoder.expireFragments(now: 11_001)
        #expect(decoder.fragments.datagramsTimedOut == 1)
        #expect(decoder.fragments.datagramsInProgress == 1)
        // Datagram 1's tail now starts afresh and is held, datagram 2 completes.
        #expect(decode(v4Fragment(d, 104..<d.count, id: 1), timestamp: 11_002, with: &decoder).outcome == .fragmentHeld)
        #expect(decode(v4Fragment(d, 104..<d.count, id: 2), timestamp: 11_003, with: &decoder).outcome == .decoded)
        decoder.expireFragments(now: 1_000_000)
        #expect(decoder.fragments.datagramsTimedOut == 2)
        #expect(decoder.fragments.datagramsInProgress == 0)
        #expect(decoder.fragments.heldBytes == 0)
    }

    @Test func expireFragmentsUsesTheLastFragmentTime() {
        var limits = DecodingLimits()
        limits.fragmentTimeout = 1_000
        var decoder = PacketDecoder(limits: limits)
        let d = tcpDatagram
        _ = decode(v4Fragment(d, 0..<400, proto: IPProto.tcp), timestamp: 0, with: &decoder)
        _ = decode(v4Fragment(d, 400..<800, proto: IPProto.tcp), timestamp: 900, with: &decoder)
        decoder.expireFragments(now: 1_500)
        #expect(decoder.fragments.datagramsTimedOut == 0)
        #expect(decode(v4Fragment(d, 800..<d.count, proto: IPProto.tcp), timestamp: 1_600, with: &decoder).outcome
            == .decoded)
    }

    // MARK: IPv6

    @Test func ipv6FragmentHeaderReassemblyTwoFragments() {
        let d = udpDatagram
        var decoder = PacketDecoder()
        #expect(decode(v6Fragment(d, 0..<104), with: &decoder).outcome == .fragmentHeld)
        let r = decode(v6Fragment(d, 104..<d.count), with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.packet.isIPv6)
        #expect(r.packet.transport == .udp)
        #expect(r.packet.source == ipv6Address(ip6A))
        #expect(r.packet.destinationPort == 5000)
        #expect(r.payload == udpPayload)
        #expect(r.packet.payloadWireLength == udpPayload.count)
        #expect(decoder.fragments.datagramsReassembled == 1)
    }

    @Test(arguments: [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
    func ipv6ThreeFragmentsReassembleTCP(order: [Int]) {
        let d = tcpDatagram
        let ranges = [0..<400, 400..<800, 800..<d.count]
        var decoder = PacketDecoder()
        var outcomes: [DecodeOutcome] = []
        var final: DecodeResult?
        for index in order {
            let r = decode(v6Fragment(d, ranges[index], proto: IPProto.tcp), with: &decoder)
            outcomes.append(r.outcome)
            final = r
        }
        #expect(outcomes == [.fragmentHeld, .fragmentHeld, .decoded])
        #expect(final?.payload == tcpPayload)
        #expect(final?.packet.sequenceNumber == 77)
    }

    @Test func ipv6FragmentsWithDifferentIdentificationDoNotMix() {
        let d = udpDatagram
        var decoder = PacketDecoder()
        #expect(decode(v6Fragment(d, 0..<104, id: 1), with: &decoder).outcome == .fragmentHeld)
        #expect(decode(v6Fragment(d, 104..<d.count, id: 2), with: &decoder).outcome == .fragmentHeld)
        #expect(decoder.fragments.datagramsInProgress == 2)
    }

    @Test func ipv6OverlapWithDifferentBytesIsFragmentOverlapMismatch() {
        let d = udpDatagram
        var evil = d
        evil[100] ^= 0x80
        var decoder = PacketDecoder()
        _ = decode(v6Fragment(d, 0..<104), with: &decoder)
        #expect(decode(v6Fragment(evil, 96..<evil.count), with: &decoder).outcome == .skipped(.fragmentOverlapMismatch))
    }

    @Test func ipv6AtomicFragmentIsDecodedDirectly() {
        var decoder = PacketDecoder()
        let body = ipv6FragmentHeader(next: IPProto.udp, offset: 0, more: false, id: 42) + udpDatagram
        let r = decode(ethernet(type: EtherType.ipv6, ipv6(nextHeader: IPProto.fragment, body)), with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.payload == udpPayload)
        #expect(r.packet.payloadWireLength == udpPayload.count)
        #expect(decoder.fragments.datagramsInProgress == 0)
        #expect(decoder.fragments.datagramsReassembled == 0)
    }

    @Test func ipv6FragmentAfterHopByHopIsReassembled() {
        let d = udpDatagram
        var decoder = PacketDecoder()
        let hbh = ipv6Extension(next: IPProto.fragment)
        #expect(decode(v6Fragment(d, 0..<104, before: hbh, firstNext: IPProto.hopByHop), with: &decoder).outcome
            == .fragmentHeld)
        let r = decode(v6Fragment(d, 104..<d.count, before: hbh, firstNext: IPProto.hopByHop), with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.payload == udpPayload)
    }

    @Test func ipv6AtomicFragmentAfterDestinationOptionsIsDecoded() {
        let body = ipv6Extension(next: IPProto.fragment)
            + ipv6FragmentHeader(next: IPProto.udp, offset: 0, more: false, id: 42) + udpDatagram
        let r = decode(ipv6(nextHeader: IPProto.destinationOptions, body), linkType: .ipv6)
        #expect(r.outcome == .decoded)
        #expect(r.payload == udpPayload)
    }

    @Test func ipv6TruncatedFragmentHeaderIsBadExtensionHeader() {
        let body: [UInt8] = [IPProto.udp, 0, 0x00, 0x01, 0, 0]
        #expect(decode(ipv6(nextHeader: IPProto.fragment, body), linkType: .ipv6).outcome
            == .skipped(.badIPv6ExtensionHeader))
    }

    @Test func ipv6SnaplenCutFragmentIsTruncatedFragment() {
        let frame = v6Fragment(udpDatagram, 0..<104)
        #expect(decode(Array(frame.prefix(90)), wireLength: frame.count).outcome == .skipped(.truncatedFragment))
    }

    @Test func ipv6FragmentBeyond65535IsFragmentTooLarge() {
        let body = ipv6FragmentHeader(next: IPProto.udp, offset: 65_528, more: false, id: 3) + pattern(16)
        #expect(decode(ipv6(nextHeader: IPProto.fragment, body), linkType: .ipv6).outcome == .skipped(.fragmentTooLarge))
    }
}

/// The same fragmented inner datagram arriving through two mirror sessions
/// (two VXLAN VNIs) is two datagrams, not one with conflicting overlaps.
@Suite struct TunnelledFragmentTests {
    @Test func sameInnerFragmentsInTwoTunnelsReassembleSeparately() {
        let payload = pattern(200, seed: 3)
        let datagram = udp(sport: 4000, dport: 5000, payload)
        func fragment(_ range: Range<Int>, vni: UInt32, corrupt: Bool = false) -> [UInt8] {
            var bytes = Array(datagram[range])
            if corrupt { bytes[bytes.count - 1] ^= 0xff }
            let inner = ethernet(
                type: EtherType.ipv4,
                ipv4(proto: IPProto.udp, bytes, id: 0x0bad, dontFragment: false,
                     moreFragments: range.upperBound < datagram.count, fragmentOffset8: UInt16(range.lowerBound / 8)))
            return ethernet(
                type: EtherType.ipv4,
                ipv4(src: [192, 0, 2, 1], dst: [192, 0, 2, 2], proto: IPProto.udp,
                     udp(sport: 61_000, dport: 4789, vxlan(vni: vni, inner))))
        }
        var decoder = PacketDecoder()
        // Session 7 carries a copy whose first fragment differs (a rewrite on
        // the way): keyed by tunnel, it cannot poison session 9's datagram.
        #expect(decode(fragment(0..<104, vni: 9), with: &decoder).outcome == .fragmentHeld)
        #expect(decode(fragment(0..<104, vni: 7, corrupt: true), with: &decoder).outcome == .fragmentHeld)
        #expect(decoder.fragments.datagramsInProgress == 2)
        let a = decode(fragment(104..<datagram.count, vni: 9), with: &decoder)
        #expect(a.outcome == .decoded)
        #expect(a.payload == payload)
        #expect(a.packet.tunnelContext == 9)
        let b = decode(fragment(104..<datagram.count, vni: 7), with: &decoder)
        #expect(b.outcome == .decoded)
        #expect(b.packet.tunnelContext == 7)
        #expect(decoder.counters[.fragmentOverlapMismatch] == 0)
    }
}
