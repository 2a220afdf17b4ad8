import Testing
@testable import Decoding

/// Outer Ethernet / IPv4 between two tunnel endpoints.
private let vtepA: [UInt8] = [10, 255, 0, 1]
private let vtepB: [UInt8] = [10, 255, 0, 2]

private func outerIPv4(proto: UInt8, _ payload: [UInt8]) -> [UInt8] {
    ethernet(type: EtherType.ipv4, ipv4(src: vtepA, dst: vtepB, proto: proto, payload))
}

/// A VXLAN frame carrying `inner` (an Ethernet frame) with the given VNI.
func vxlanFrame(vni: UInt32, flags: UInt8 = 0x08, inner: [UInt8] = Sample.ethernetIPv4TCP) -> [UInt8] {
    outerIPv4(proto: IPProto.udp, udp(sport: 61_000, dport: 4789, vxlan(vni: vni, flags: flags, inner)))
}

@Suite("Tunnels")
struct TunnelTests {
    // MARK: VXLAN

    @Test func vxlanInnerEthernetIPv4TCPIsDecodedWithVNIAsContext() {
        var decoder = PacketDecoder()
        let r = decode(vxlanFrame(vni: 0x12_3456), with: &decoder)
        expectSampleIPv4TCPTunnelled(r, context: 0x12_3456)
        #expect(decoder.counters.tunnelled == 1)
    }

    @Test func vxlanInnerIPv6IsDecoded() {
        let r = decode(vxlanFrame(vni: 77, inner: Sample.ethernetIPv6UDP))
        expectSampleIPv6UDP(r)
        #expect(r.packet.tunnelContext == 77)
    }

    @Test func vxlanMaximumVNI() {
        expectSampleIPv4TCPTunnelled(decode(vxlanFrame(vni: 0xff_ffff)), context: 0xff_ffff)
    }

    @Test func vxlanWithoutIFlagIsPlainUDP() {
        var decoder = PacketDecoder()
        let vx = vxlan(vni: 5, flags: 0x00, Sample.ethernetIPv4TCP)
        let r = decode(vxlanFrame(vni: 5, flags: 0x00), with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.packet.transport == .udp)
        #expect(r.packet.destinationPort == 4789)
        #expect(r.packet.source == ipv4Address(vtepA))
        #expect(r.payload == vx)
        #expect(r.packet.tunnelContext == 0)
        #expect(decoder.counters.tunnelled == 0)
    }

    @Test func vxlanWithTooShortInnerFrameIsPlainUDP() {
        let r = decode(vxlanFrame(vni: 5, inner: pattern(13)))
        #expect(r.outcome == .decoded)
        #expect(r.packet.transport == .udp)
        #expect(r.packet.destinationPort == 4789)
    }

    @Test func vxlanOnOtherPortIsPlainUDP() {
        let frame = outerIPv4(proto: IPProto.udp, udp(sport: 4789, dport: 8472, vxlan(vni: 9, Sample.ethernetIPv4TCP)))
        let r = decode(frame)
        #expect(r.outcome == .decoded)
        #expect(r.packet.destinationPort == 8472)
        #expect(r.packet.tunnelContext == 0)
    }

    @Test func vxlanInnerARPIsNonIP() {
        let arp = ethernet(type: EtherType.arp, pattern(28))
        #expect(decode(vxlanFrame(vni: 5, inner: arp)).outcome == .skipped(.nonIP))
    }

    @Test func vxlanInnerMalformedIsReported() {
        var inner = Sample.ethernetIPv4TCP
        inner[14] = 0x44  // IHL 4
        #expect(decode(vxlanFrame(vni: 5, inner: inner)).outcome == .skipped(.badIPv4Header))
    }

    @Test func vxlanOverIPv6IsDecoded() {
        let frame = ethernet(
            type: EtherType.ipv6,
            ipv6(nextHeader: IPProto.udp, udp(sport: 1234, dport: 4789, vxlan(vni: 4242, Sample.ethernetIPv4TCP))))
        expectSampleIPv4TCPTunnelled(decode(frame), context: 4242)
    }

    @Test
    func vxlanInsideVXLANKeepsInnermostVNI() {
        let inner = vxlanFrame(vni: 2)
        expectSampleIPv4TCPTunnelled(decode(vxlanFrame(vni: 1, inner: inner)), context: 2)
    }

    // MARK: GRE

    @Test func greIPv4PayloadIsDecoded() {
        var decoder = PacketDecoder()
        let r = decode(outerIPv4(proto: IPProto.gre, gre(proto: EtherType.ipv4, Sample.ipv4TCP)), with: &decoder)
        expectSampleIPv4TCPTunnelled(r, context: 0)
        #expect(decoder.counters.tunnelled == 1)
    }

    @Test func greIPv6PayloadIsDecoded() {
        expectSampleIPv6UDP(decode(outerIPv4(proto: IPProto.gre, gre(proto: EtherType.ipv6, Sample.ipv6UDP))))
    }

    @Test func greKeyBecomesTunnelContext() {
        let r = decode(outerIPv4(proto: IPProto.gre, gre(proto: EtherType.ipv4, key: 0xdead_beef, Sample.ipv4TCP)))
        expectSampleIPv4TCPTunnelled(r, context: 0xdead_beef)
    }

    @Test func greChecksumKeyAndSequenceAreSkipped() {
        let payload = gre(proto: EtherType.ipv4, checksum: true, key: 7, sequence: 99, Sample.ipv4TCP)
        #expect(payload.count == 16 + Sample.ipv4TCP.count)
        expectSampleIPv4TCPTunnelled(decode(outerIPv4(proto: IPProto.gre, payload)), context: 7)
    }

    @Test func greChecksumOnlyIsSkipped() {
        let payload = gre(proto: EtherType.ipv4, checksum: true, Sample.ipv4TCP)
        expectSampleIPv4TCPTunnelled(decode(outerIPv4(proto: IPProto.gre, payload)), context: 0)
    }

    @Test func greTransparentEthernetIsDecoded() {
        let payload = gre(proto: EtherType.transparentEthernet, key: 3, Sample.ethernetIPv4TCP)
        expectSampleIPv4TCPTunnelled(decode(outerIPv4(proto: IPProto.gre, payload)), context: 3)
    }

    @Test func greVersionOneIsUnsupportedTunnelPayload() {
        let pptp = gre(proto: 0x880b, key: 0x0010_0001, version: 1, pattern(20))
        var decoder = PacketDecoder()
        #expect(decode(outerIPv4(proto: IPProto.gre, pptp), with: &decoder).outcome == .skipped(.unsupportedTunnelPayload))
        #expect(decoder.counters[.unsupportedTunnelPayload] == 1)
    }

    @Test func greUnknownProtocolIsUnsupportedTunnelPayload() {
        #expect(decode(outerIPv4(proto: IPProto.gre, gre(proto: 0x1234, pattern(30)))).outcome
            == .skipped(.unsupportedTunnelPayload))
    }

    @Test func greTruncatedHeaderIsTruncatedTunnelHeader() {
        for n in 0..<4 {
            #expect(decode(outerIPv4(proto: IPProto.gre, Array(gre(proto: EtherType.ipv4, []).prefix(n)))).outcome
                == .skipped(.truncatedTunnelHeader))
        }
        // Key bit set but the key cut.
        let cut = Array(gre(proto: EtherType.ipv4, key: 1, []).prefix(6))
        #expect(decode(outerIPv4(proto: IPProto.gre, cut)).outcome == .skipped(.truncatedTunnelHeader))
        // Checksum + sequence announced, nothing after the base header.
        let bare = Array(gre(proto: EtherType.ipv4, checksum: true, sequence: 1, []).prefix(4))
        #expect(decode(outerIPv4(proto: IPProto.gre, bare)).outcome == .skipped(.truncatedTunnelHeader))
    }

    @Test func greOverIPv6IsDecoded() {
        let frame = ethernet(type: EtherType.ipv6, ipv6(nextHeader: IPProto.gre, gre(proto: EtherType.ipv4, key: 11, Sample.ipv4TCP)))
        expectSampleIPv4TCPTunnelled(decode(frame), context: 11)
    }

    // MARK: ERSPAN

    @Test func erspanTypeIIUsesSessionIDAsContext() {
        let payload = gre(proto: EtherType.erspan2, sequence: 1, erspan2(session: 0x2a5, vlan: 12, Sample.ethernetIPv4TCP))
        #expect(payload.count == 8 + 8 + Sample.ethernetIPv4TCP.count)
        var decoder = PacketDecoder()
        let r = decode(outerIPv4(proto: IPProto.gre, payload), with: &decoder)
        expectSampleIPv4TCPTunnelled(r, context: 0x2a5)
        #expect(decoder.counters.tunnelled == 1)
    }

    @Test func erspanTypeIIWithUpperBitsInSessionFieldMasksThem() {
        // COS 7, En 3, T 1 set above the 10-bit session id.
        var header = erspan2(session: 5, Sample.ethernetIPv4TCP)
        header[2] |= 0xfc
        let payload = gre(proto: EtherType.erspan2, sequence: 1, header)
        expectSampleIPv4TCPTunnelled(decode(outerIPv4(proto: IPProto.gre, payload)), context: 5)
    }

    @Test func erspanTypeIIShortHeaderIsTruncatedTunnelHeader() {
        let payload = gre(proto: EtherType.erspan2, sequence: 1, [0x10, 0x00, 0x00, 0x05, 0, 0])
        #expect(decode(outerIPv4(proto: IPProto.gre, payload)).outcome == .skipped(.truncatedTunnelHeader))
    }

    @Test func erspanTypeIHasNoHeader() {
        // GRE 0x88BE without the sequence bit: Ethernet directly after GRE.
        let payload = gre(proto: EtherType.erspan2, Sample.ethernetIPv4TCP)
        #expect(payload.count == 4 + Sample.ethernetIPv4TCP.count)
        expectSampleIPv4TCPTunnelled(decode(outerIPv4(proto: IPProto.gre, payload)), context: 0)
    }

    @Test func erspanTypeIIIHasTwelveByteHeader() {
        let header = erspan3(session: 0x3ff, Sample.ethernetIPv4TCP)
        #expect(header.count == 12 + Sample.ethernetIPv4TCP.count)
        let payload = gre(proto: EtherType.erspan3, sequence: 8, header)
        expectSampleIPv4TCPTunnelled(decode(outerIPv4(proto: IPProto.gre, payload)), context: 0x3ff)
    }

    @Test func erspanTypeIIIWithOFlagHasTwentyByteHeader() {
        let header = erspan3(session: 17, oFlag: true, Sample.ethernetIPv4TCP)
        #expect(header.count == 20 + Sample.ethernetIPv4TCP.count)
        let payload = gre(proto: EtherType.erspan3, sequence: 8, header)
        expectSampleIPv4TCPTunnelled(decode(outerIPv4(proto: IPProto.gre, payload)), context: 17)
    }

    @Test func erspanTypeIIINonEthernetFrameTypeIsUnsupported() {
        let payload = gre(proto: EtherType.erspan3, sequence: 8, erspan3(session: 1, frameType: 2, Sample.ipv4TCP))
        #expect(decode(outerIPv4(proto: IPProto.gre, payload)).outcome == .skipped(.unsupportedTunnelPayload))
    }

    @Test func erspanTypeIIITruncatedHeaderIsTruncatedTunnelHeader() {
        let short = gre(proto: EtherType.erspan3, sequence: 8, Array(erspan3(session: 1, []).prefix(11)))
        #expect(decode(outerIPv4(proto: IPProto.gre, short)).outcome == .skipped(.truncatedTunnelHeader))
        let noPlatform = gre(proto: EtherType.erspan3, sequence: 8, Array(erspan3(session: 1, oFlag: true, []).prefix(16)))
        #expect(decode(outerIPv4(proto: IPProto.gre, noPlatform)).outcome == .skipped(.truncatedTunnelHeader))
    }

    // MARK: IP in IP

    @Test func ipInIPIsDecoded() {
        var decoder = PacketDecoder()
        let r = decode(outerIPv4(proto: IPProto.ipip, Sample.ipv4TCP), with: &decoder)
        expectSampleIPv4TCPTunnelled(r, context: 0)
        #expect(decoder.counters.tunnelled == 1)
    }

    @Test func ipv6InIPv4IsDecoded() {
        var decoder = PacketDecoder()
        let r = decode(outerIPv4(proto: IPProto.ipv6, Sample.ipv6UDP), with: &decoder)
        expectSampleIPv6UDP(r)
        #expect(decoder.counters.tunnelled == 1)
    }

    @Test func ipv4InIPv6IsDecoded() {
        let frame = ethernet(type: EtherType.ipv6, ipv6(nextHeader: IPProto.ipip, Sample.ipv4TCP))
        expectSampleIPv4TCPTunnelled(decode(frame), context: 0)
    }

    @Test func innerIPv4TotalLengthZeroIsNotTreatedAsTSO() {
        let inner = ipv4(proto: IPProto.tcp, Sample.tcpSegment, totalLength: 0)
        #expect(decode(outerIPv4(proto: IPProto.ipip, inner)).outcome == .skipped(.badIPv4TotalLength))
    }

    /// `depth` nested IPv4-in-IPv4 encapsulations around the sample.
    func ipip(depth: Int) -> [UInt8] {
        var packet = Sample.ipv4TCP
        for _ in 0..<depth { packet = ipv4(src: vtepA, dst: vtepB, proto: IPProto.ipip, packet) }
        return ethernet(type: EtherType.ipv4, packet)
    }

    @Test func tunnelNestingUpToMaxTunnelDepthIsDecoded() {
        var decoder = PacketDecoder()
        expectSampleIPv4TCPTunnelled(decode(ipip(depth: DecodingLimits().maxTunnelDepth), with: &decoder), context: 0)
    }

    @Test func ipInIPNestingBeyondMaxTunnelDepthIsTunnelTooDeep() {
        var decoder = PacketDecoder()
        let r = decode(ipip(depth: DecodingLimits().maxTunnelDepth + 1), with: &decoder)
        #expect(r.outcome == .skipped(.tunnelTooDeep))
        #expect(decoder.counters[.tunnelTooDeep] == 1)
    }

    @Test func greNestingBeyondMaxTunnelDepthIsTunnelTooDeep() {
        var limits = DecodingLimits()
        limits.maxTunnelDepth = 2
        var packet = Sample.ipv4TCP
        for _ in 0..<3 { packet = ipv4(src: vtepA, dst: vtepB, proto: IPProto.gre, gre(proto: EtherType.ipv4, packet)) }
        #expect(decode(ethernet(type: EtherType.ipv4, packet), limits: limits).outcome == .skipped(.tunnelTooDeep))
        var ok = Sample.ipv4TCP
        for _ in 0..<2 { ok = ipv4(src: vtepA, dst: vtepB, proto: IPProto.gre, gre(proto: EtherType.ipv4, ok)) }
        expectSampleIPv4TCPTunnelled(decode(ethernet(type: EtherType.ipv4, ok), limits: limits), context: 0)
    }

    @Test func maxTunnelDepthZeroRefusesEveryTunnel() {
        var limits = DecodingLimits()
        limits.maxTunnelDepth = 0
        #expect(decode(outerIPv4(proto: IPProto.ipip, Sample.ipv4TCP), limits: limits).outcome == .skipped(.tunnelTooDeep))
        #expect(decode(outerIPv4(proto: IPProto.gre, gre(proto: EtherType.ipv4, Sample.ipv4TCP)), limits: limits).outcome
            == .skipped(.tunnelTooDeep))
    }

    @Test
    func vxlanNestingBeyondMaxTunnelDepthIsTunnelTooDeep() {
        var limits = DecodingLimits()
        limits.maxTunnelDepth = 1
        let r = decode(vxlanFrame(vni: 1, inner: vxlanFrame(vni: 2)), limits: limits)
        #expect(r.outcome == .skipped(.tunnelTooDeep))
    }

    @Test
    func mixedTunnelsGREInsideVXLANKeepInnermostContext() {
        let greInner = ethernet(
            type: EtherType.ipv4, ipv4(src: vtepA, dst: vtepB, proto: IPProto.gre, gre(proto: EtherType.ipv4, key: 55, Sample.ipv4TCP)))
        let r = decode(vxlanFrame(vni: 66, inner: greInner))
        expectSampleIPv4TCPTunnelled(r, context: 55)
    }

    @Test func mixedTunnelsVXLANInsideGREKeepInnermostContext() {
        let vx = ipv4(src: vtepA, dst: vtepB, proto: IPProto.udp, udp(dport: 4789, vxlan(vni: 66, Sample.ethernetIPv4TCP)))
        let r = decode(outerIPv4(proto: IPProto.gre, gre(proto: EtherType.ipv4, key: 55, vx)))
        expectSampleIPv4TCPTunnelled(r, context: 66)
    }

    @Test func tunnelledCounterCountsDecodedTunnelledPackets() {
        var decoder = PacketDecoder()
        _ = decode(vxlanFrame(vni: 1), with: &decoder)
        _ = decode(outerIPv4(proto: IPProto.gre, gre(proto: EtherType.ipv4, Sample.ipv4TCP)), with: &decoder)
        _ = decode(outerIPv4(proto: IPProto.ipip, Sample.ipv4TCP), with: &decoder)
        _ = decode(Sample.ethernetIPv4TCP, with: &decoder)
        #expect(decoder.counters.tunnelled == 3)
    }

    @Test
    func tunnelledCounterCountsNestedPacketOnce() {
        // "TCP/UDP packets that came out of a tunnel": one packet, two tunnels.
        var decoder = PacketDecoder()
        _ = decode(outerIPv4(proto: IPProto.ipip, ipv4(proto: IPProto.ipip, Sample.ipv4TCP)), with: &decoder)
        #expect(decoder.counters.tunnelled == 1)
    }

    @Test
    func tunnelledCounterIgnoresTunnelsCarryingNonIP() {
        var decoder = PacketDecoder()
        _ = decode(vxlanFrame(vni: 1, inner: ethernet(type: EtherType.arp, pattern(28))), with: &decoder)
        #expect(decoder.counters.tunnelled == 0)
    }
}

/// The sample IPv4/TCP packet, seen through a tunnel with `context`.
func expectSampleIPv4TCPTunnelled(
    _ r: DecodeResult, context: UInt32, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(r.outcome == .decoded, sourceLocation: sourceLocation)
    guard r.outcome == .decoded else { return }
    #expect(r.packet.transport == .tcp, sourceLocation: sourceLocation)
    #expect(r.packet.source == ipv4Address(ip4A), sourceLocation: sourceLocation)
    #expect(r.packet.destination == ipv4Address(ip4B), sourceLocation: sourceLocation)
    #expect(r.packet.sourcePort == 49_152, sourceLocation: sourceLocation)
    #expect(r.packet.destinationPort == 80, sourceLocation: sourceLocation)
    #expect(r.packet.sequenceNumber == 0x0102_0304, sourceLocation: sourceLocation)
    #expect(r.packet.tcpFlags == [.ack, .psh], sourceLocation: sourceLocation)
    #expect(r.payload == Sample.httpPayload, sourceLocation: sourceLocation)
    #expect(r.packet.payloadWireLength == Sample.httpPayload.count, sourceLocation: sourceLocation)
    #expect(r.packet.tunnelContext == context, sourceLocation: sourceLocation)
}

@Suite("GTP-U")
struct GTPUTests {
    func gtpFrame(sport: UInt16 = 2152, dport: UInt16 = 2152, _ gtp: [UInt8]) -> [UInt8] {
        ethernet(type: EtherType.ipv4, ipv4(src: vtepA, dst: vtepB, proto: IPProto.udp, udp(sport: sport, dport: dport, gtp)))
    }

    @Test func gtpuTPDUCarryingIPv4IsDecoded() {
        var decoder = PacketDecoder()
        let r = decode(gtpFrame(gtpu(Sample.ipv4TCP)), with: &decoder)
        // The TEID is deliberately not flow context.
        expectSampleIPv4TCPTunnelled(r, context: 0)
        #expect(decoder.counters.tunnelled == 1)
    }

    @Test func gtpuTPDUCarryingIPv6IsDecoded() {
        expectSampleIPv6UDP(decode(gtpFrame(gtpu(Sample.ipv6UDP))))
    }

    @Test func gtpuIsRecognisedOnEitherPort() {
        expectSampleIPv4TCPTunnelled(decode(gtpFrame(sport: 40_000, dport: 2152, gtpu(Sample.ipv4TCP))), context: 0)
        expectSampleIPv4TCPTunnelled(decode(gtpFrame(sport: 2152, dport: 40_000, gtpu(Sample.ipv4TCP))), context: 0)
    }

    @Test func gtpuSequenceNumberAddsFourBytes() {
        let header = gtpu(sequence: 0x0102, Sample.ipv4TCP)
        #expect(header.count == 12 + Sample.ipv4TCP.count)
        expectSampleIPv4TCPTunnelled(decode(gtpFrame(header)), context: 0)
    }

    @Test func gtpuExtensionHeadersAreWalked() {
        let one = gtpu(extensions: [gtpuPDUSessionContainer()], Sample.ipv4TCP)
        #expect(one.count == 16 + Sample.ipv4TCP.count)
        expectSampleIPv4TCPTunnelled(decode(gtpFrame(one)), context: 0)
        let two = gtpu(
            extensions: [gtpuPDUSessionContainer(next: 0xc0), [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00]],
            Sample.ipv4TCP)
        expectSampleIPv4TCPTunnelled(decode(gtpFrame(two)), context: 0)
    }

    @Test func gtpuExtensionWithZeroLengthIsTruncatedTunnelHeader() {
        let bad = gtpu(extensions: [[0x00, 0, 0, 0]], Sample.ipv4TCP)
        #expect(decode(gtpFrame(bad)).outcome == .skipped(.truncatedTunnelHeader))
    }

    @Test func gtpuExtensionOverrunningIsTruncatedTunnelHeader() {
        // Extension claims 255 units.
        let bad = gtpu(extensions: [[0xff, 0, 0, 0]], Sample.ipv4TCP)
        #expect(decode(gtpFrame(bad)).outcome == .skipped(.truncatedTunnelHeader))
    }

    @Test func gtpuOptionalFieldsCutIsTruncatedTunnelHeader() {
        let cut = Array(gtpu(sequence: 1, []).prefix(10))
        #expect(decode(gtpFrame(cut)).outcome == .skipped(.truncatedTunnelHeader))
    }

    @Test func gtpuWithoutInnerPacketIsTruncatedTunnelHeader() {
        #expect(decode(gtpFrame(gtpu([]))).outcome == .skipped(.truncatedTunnelHeader))
    }

    @Test func gtpuEchoRequestIsPlainUDP() {
        let echo = gtpu(messageType: 1, sequence: 7, [])
        let r = decode(gtpFrame(echo))
        #expect(r.outcome == .decoded)
        #expect(r.packet.transport == .udp)
        #expect(r.packet.destinationPort == 2152)
        #expect(r.payload == echo)
    }

    @Test func gtpVersion2IsPlainUDP() {
        let r = decode(gtpFrame(gtpu(version: 2, Sample.ipv4TCP)))
        #expect(r.outcome == .decoded)
        #expect(r.packet.destinationPort == 2152)
        #expect(r.packet.source == ipv4Address(vtepA))
    }

    @Test func gtpuInnerNonIPIsNonIP() {
        #expect(decode(gtpFrame(gtpu(pattern(40, seed: 0)))).outcome == .skipped(.nonIP))
    }

    @Test func gtpuInsideVXLANKeepsVNIAsContext() {
        let inner = gtpFrame(gtpu(Sample.ipv4TCP))
        expectSampleIPv4TCPTunnelled(decode(vxlanFrame(vni: 31, inner: inner)), context: 31)
    }

    @Test func everyTruncationOfGTPUIsMalformed() {
        let frame = gtpFrame(gtpu(extensions: [gtpuPDUSessionContainer()], Sample.ipv4TCP))
        var decoder = PacketDecoder()
        for n in 0..<frame.count {
            let outcome = decode(Array(frame.prefix(n)), with: &decoder).outcome
            if case .skipped(let issue) = outcome {
                #expect(issue.isMalformed, "prefix \(n)")
            } else {
                Issue.record("prefix \(n) gave \(outcome)")
            }
        }
    }
}

/// `vlan` is the innermost tag: a tunnel's inner frame replaces the outer one.
@Suite struct TunnelledVLANTests {
    func taggedVXLAN(outerVID: UInt16, inner: [UInt8]) -> [UInt8] {
        ethernetVLAN(
            tpids: [EtherType.vlan], vids: [outerVID], innerType: EtherType.ipv4,
            ipv4(src: vtepA, dst: vtepB, proto: IPProto.udp, udp(sport: 61_000, dport: 4789, vxlan(vni: 5, inner))))
    }

    @Test func untaggedInnerFrameHasNoVLAN() {
        let r = decode(taggedVXLAN(outerVID: 100, inner: Sample.ethernetIPv4TCP))
        #expect(r.outcome == .decoded)
        #expect(r.packet.vlan == 0)
    }

    @Test func taggedInnerFrameReportsItsOwnVLAN() {
        let inner = ethernetVLAN(tpids: [EtherType.vlan], vids: [200], innerType: EtherType.ipv4, Sample.ipv4TCP)
        let r = decode(taggedVXLAN(outerVID: 100, inner: inner))
        #expect(r.outcome == .decoded)
        #expect(r.packet.vlan == 200)
    }
}
