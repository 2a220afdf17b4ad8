import Testing
@testable import Decoding

/// Checks that `r` is the canonical `Sample.ipv4TCP` packet.
func expectSampleIPv4TCP(_ r: DecodeResult, vlan: UInt16 = 0, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.outcome == .decoded, sourceLocation: sourceLocation)
    guard r.outcome == .decoded else { return }
    #expect(r.packet.transport == .tcp, sourceLocation: sourceLocation)
    #expect(!r.packet.isIPv6, sourceLocation: sourceLocation)
    #expect(r.packet.source == ipv4Address(ip4A), sourceLocation: sourceLocation)
    #expect(r.packet.destination == ipv4Address(ip4B), sourceLocation: sourceLocation)
    #expect(r.packet.sourcePort == 49_152, sourceLocation: sourceLocation)
    #expect(r.packet.destinationPort == 80, sourceLocation: sourceLocation)
    #expect(r.packet.sequenceNumber == 0x0102_0304, sourceLocation: sourceLocation)
    #expect(r.packet.acknowledgmentNumber == 0xa0b0_c0d0, sourceLocation: sourceLocation)
    #expect(r.packet.tcpFlags == [.ack, .psh], sourceLocation: sourceLocation)
    #expect(r.payload == Sample.httpPayload, sourceLocation: sourceLocation)
    #expect(r.packet.payloadWireLength == Sample.httpPayload.count, sourceLocation: sourceLocation)
    #expect(r.packet.vlan == vlan, sourceLocation: sourceLocation)
    #expect(r.packet.tunnelContext == 0, sourceLocation: sourceLocation)
}

/// Checks that `r` is the canonical `Sample.ipv6UDP` packet.
func expectSampleIPv6UDP(_ r: DecodeResult, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.outcome == .decoded, sourceLocation: sourceLocation)
    guard r.outcome == .decoded else { return }
    #expect(r.packet.transport == .udp, sourceLocation: sourceLocation)
    #expect(r.packet.isIPv6, sourceLocation: sourceLocation)
    #expect(r.packet.source == ipv6Address(ip6A), sourceLocation: sourceLocation)
    #expect(r.packet.destination == ipv6Address(ip6B), sourceLocation: sourceLocation)
    #expect(r.packet.sourcePort == 53_000, sourceLocation: sourceLocation)
    #expect(r.packet.destinationPort == 53, sourceLocation: sourceLocation)
    #expect(r.packet.tcpFlags == [], sourceLocation: sourceLocation)
    #expect(r.payload == Sample.dnsPayload, sourceLocation: sourceLocation)
    #expect(r.packet.payloadWireLength == Sample.dnsPayload.count, sourceLocation: sourceLocation)
}

@Suite("Link layers")
struct LinkLayerTests {
    let arp: [UInt8] = be16(1) + be16(0x0800) + [6, 4] + be16(1) + macA + ip4A + [0, 0, 0, 0, 0, 0] + ip4B

    // MARK: Ethernet and tags

    @Test func ethernetIPv4TCPDecodesAllFields() {
        let r = decode(Sample.ethernetIPv4TCP, timestamp: 1_700_000_000_123_456)
        expectSampleIPv4TCP(r)
        #expect(r.packet.timestamp == 1_700_000_000_123_456)
    }

    @Test func ethernetIPv6UDPDecodesAllFields() {
        expectSampleIPv6UDP(decode(Sample.ethernetIPv6UDP))
    }

    @Test func ethernetShorterThanHeaderIsTruncatedLinkHeader() {
        for n in 0..<14 {
            #expect(decode(Array(Sample.ethernetIPv4TCP.prefix(n))).outcome == .skipped(.truncatedLinkHeader))
        }
    }

    @Test func arpIsSkippedAsNonIP() {
        var decoder = PacketDecoder()
        let r = decode(ethernet(type: EtherType.arp, arp), with: &decoder)
        #expect(r.outcome == .skipped(.nonIP))
        #expect(decoder.counters[.nonIP] == 1)
        #expect(decoder.counters.malformed == 0)
    }

    @Test func unknownEtherTypeIsNonIP() {
        #expect(decode(ethernet(type: 0x88cc, pattern(40))).outcome == .skipped(.nonIP))  // LLDP
    }

    @Test func dot1QTaggedIPv4IsDecodedAndVLANRecorded() {
        let frame = ethernetVLAN(tpids: [EtherType.vlan], vids: [100], innerType: EtherType.ipv4, Sample.ipv4TCP)
        #expect(frame.count == Sample.ethernetIPv4TCP.count + 4)
        expectSampleIPv4TCP(decode(frame), vlan: 100)
    }

    @Test func dot1QTaggedIPv6IsDecoded() {
        let frame = ethernetVLAN(tpids: [EtherType.vlan], vids: [7], innerType: EtherType.ipv6, Sample.ipv6UDP)
        let r = decode(frame)
        expectSampleIPv6UDP(r)
        #expect(r.packet.vlan == 7)
    }

    @Test func vlanIDIgnoresPriorityBits() {
        let frame = macB + macA + be16(EtherType.vlan) + be16(0xe000 | 0x0abc) + be16(EtherType.ipv4) + Sample.ipv4TCP
        expectSampleIPv4TCP(decode(frame), vlan: 0x0abc)
    }

    @Test func qinqRecordsInnermostVLANID() {
        let frame = ethernetVLAN(
            tpids: [EtherType.qinq, EtherType.vlan], vids: [300, 42], innerType: EtherType.ipv4, Sample.ipv4TCP)
        expectSampleIPv4TCP(decode(frame), vlan: 42)
    }

    @Test func legacyQinQ9100IsPeeled() {
        let frame = ethernetVLAN(tpids: [0x9100, EtherType.vlan], vids: [5, 6], innerType: EtherType.ipv4, Sample.ipv4TCP)
        expectSampleIPv4TCP(decode(frame), vlan: 6)
    }

    @Test func eightVLANTagsAreAccepted() {
        let tpids = [UInt16](repeating: EtherType.vlan, count: 8)
        let frame = ethernetVLAN(tpids: tpids, vids: Array(1...8), innerType: EtherType.ipv4, Sample.ipv4TCP)
        expectSampleIPv4TCP(decode(frame), vlan: 8)
    }

    @Test func nineVLANTagsAreTooManyVLANTags() {
        let tpids = [UInt16](repeating: EtherType.vlan, count: 9)
        let frame = ethernetVLAN(tpids: tpids, vids: Array(1...9), innerType: EtherType.ipv4, Sample.ipv4TCP)
        var decoder = PacketDecoder()
        #expect(decode(frame, with: &decoder).outcome == .skipped(.tooManyVLANTags))
        #expect(decoder.counters[.tooManyVLANTags] == 1)
    }

    @Test func vlanTagCutShortIsTruncatedVLANTag() {
        let full = ethernetVLAN(tpids: [EtherType.vlan], vids: [100], innerType: EtherType.ipv4, [])
        for n in 14..<18 {
            #expect(decode(Array(full.prefix(n))).outcome == .skipped(.truncatedVLANTag))
        }
    }

    @Test func vlanTaggedARPIsNonIP() {
        let frame = ethernetVLAN(tpids: [EtherType.vlan], vids: [100], innerType: EtherType.arp, arp)
        #expect(decode(frame).outcome == .skipped(.nonIP))
    }

    // MARK: 802.3

    @Test func ieee8023LLCSNAPCarryingIPv4IsDecoded() {
        expectSampleIPv4TCP(decode(ieee8023(Sample.ipv4TCP, type: EtherType.ipv4)))
    }

    @Test func ieee8023WithoutSNAPIsNonIP() {
        // Spanning tree: LLC 42 42 03.
        let bpdu: [UInt8] = [0x42, 0x42, 0x03] + [UInt8](repeating: 0, count: 35)
        let frame = macB + macA + be16(UInt16(bpdu.count)) + bpdu
        #expect(decode(frame).outcome == .skipped(.nonIP))
    }

    @Test func ieee8023SNAPCarryingARPIsNonIP() {
        #expect(decode(ieee8023(arp, type: EtherType.arp)).outcome == .skipped(.nonIP))
    }

    // MARK: Linux cooked

    @Test func linuxCookedV1ReadsProtocolAtOffset14() {
        let frame = linuxCookedV1(protocol: EtherType.ipv4, Sample.ipv4TCP)
        #expect(frame.count == 16 + Sample.ipv4TCP.count)
        expectSampleIPv4TCP(decode(frame, linkType: .linuxCooked))
        expectSampleIPv6UDP(decode(linuxCookedV1(protocol: EtherType.ipv6, Sample.ipv6UDP), linkType: .linuxCooked))
    }

    @Test func linuxCookedV1ShortHeaderIsTruncatedLinkHeader() {
        let frame = linuxCookedV1(protocol: EtherType.ipv4, [])
        for n in 0..<16 {
            #expect(decode(Array(frame.prefix(n)), linkType: .linuxCooked).outcome == .skipped(.truncatedLinkHeader))
        }
    }

    @Test func linuxCookedV1ARPIsNonIP() {
        #expect(decode(linuxCookedV1(protocol: EtherType.arp, arp), linkType: .linuxCooked).outcome == .skipped(.nonIP))
    }

    @Test func linuxCookedV2ReadsProtocolAtOffset0() {
        let frame = linuxCookedV2(protocol: EtherType.ipv4, Sample.ipv4TCP)
        #expect(frame.count == 20 + Sample.ipv4TCP.count)
        expectSampleIPv4TCP(decode(frame, linkType: .linuxCooked2))
        expectSampleIPv6UDP(decode(linuxCookedV2(protocol: EtherType.ipv6, Sample.ipv6UDP), linkType: .linuxCooked2))
    }

    @Test func linuxCookedV2ShortHeaderIsTruncatedLinkHeader() {
        let frame = linuxCookedV2(protocol: EtherType.ipv4, [])
        for n in 0..<20 {
            #expect(decode(Array(frame.prefix(n)), linkType: .linuxCooked2).outcome == .skipped(.truncatedLinkHeader))
        }
    }

    @Test func linuxCookedV2ARPIsNonIP() {
        #expect(decode(linuxCookedV2(protocol: EtherType.arp, arp), linkType: .linuxCooked2).outcome == .skipped(.nonIP))
    }

    // MARK: raw IP

    @Test func rawDLT12DispatchesOnVersionNibble() {
        expectSampleIPv4TCP(decode(Sample.ipv4TCP, linkType: .raw))
        expectSampleIPv6UDP(decode(Sample.ipv6UDP, linkType: .raw))
    }

    @Test func rawDLT14DispatchesOnVersionNibble() {
        expectSampleIPv4TCP(decode(Sample.ipv4TCP, linkType: .rawAlternate))
        expectSampleIPv6UDP(decode(Sample.ipv6UDP, linkType: .rawAlternate))
    }

    @Test func rawWithUnknownVersionIsNonIP() {
        var bytes = Sample.ipv4TCP
        bytes[0] = 0x55
        #expect(decode(bytes, linkType: .raw).outcome == .skipped(.nonIP))
    }

    @Test func rawEmptyFrameIsMalformed() {
        let outcome = decode([], linkType: .raw).outcome
        #expect(outcome == .skipped(.truncatedIPv4Header))
    }

    @Test func dlt228IsIPv4AndDLT229IsIPv6() {
        expectSampleIPv4TCP(decode(Sample.ipv4TCP, linkType: .ipv4))
        expectSampleIPv6UDP(decode(Sample.ipv6UDP, linkType: .ipv6))
        #expect(decode(Sample.ipv6UDP, linkType: .ipv4).outcome == .skipped(.badIPv4Header))
        let wrong = decode(Sample.ipv4TCP + [UInt8](repeating: 0, count: 40), linkType: .ipv6).outcome
        #expect(wrong != .decoded)
    }

    // MARK: loopback

    @Test(arguments: [(UInt32(2), true), (24, false), (28, false), (30, false), (10, false)])
    func nullFamilyLittleEndian(family: UInt32, isIPv4: Bool) {
        let body = isIPv4 ? Sample.ipv4TCP : Sample.ipv6UDP
        let r = decode(nullHeader(family: family, littleEndian: true) + body, linkType: .null)
        if isIPv4 { expectSampleIPv4TCP(r) } else { expectSampleIPv6UDP(r) }
    }

    @Test func nullFamilyWrittenBigEndianIsAlsoRecognised() {
        // A capture written on a big-endian host.
        expectSampleIPv4TCP(decode(nullHeader(family: 2, littleEndian: false) + Sample.ipv4TCP, linkType: .null))
        expectSampleIPv6UDP(decode(nullHeader(family: 30, littleEndian: false) + Sample.ipv6UDP, linkType: .null))
    }

    @Test(arguments: [(UInt32(2), true), (24, false), (28, false), (30, false)])
    func loopFamilyNetworkOrder(family: UInt32, isIPv4: Bool) {
        let body = isIPv4 ? Sample.ipv4TCP : Sample.ipv6UDP
        let frame = nullHeader(family: family, littleEndian: false) + body
        #expect(frame[3] == UInt8(family))
        let r = decode(frame, linkType: .loop)
        if isIPv4 { expectSampleIPv4TCP(r) } else { expectSampleIPv6UDP(r) }
    }

    @Test func nullUnknownFamilyIsNonIP() {
        #expect(decode(nullHeader(family: 7, littleEndian: true) + Sample.ipv4TCP, linkType: .null).outcome
            == .skipped(.nonIP))
        #expect(decode(nullHeader(family: 17, littleEndian: false) + Sample.ipv4TCP, linkType: .loop).outcome
            == .skipped(.nonIP))
    }

    @Test func nullShortHeaderIsTruncatedLinkHeader() {
        for n in 0..<4 {
            #expect(decode([UInt8](repeating: 2, count: n), linkType: .null).outcome == .skipped(.truncatedLinkHeader))
            #expect(decode([UInt8](repeating: 2, count: n), linkType: .loop).outcome == .skipped(.truncatedLinkHeader))
        }
    }

    // MARK: 802.11

    @Test func radiotapDataFrameWithLLCSNAPIsDecoded() {
        let frame = radiotap() + ieee80211DataHeader() + llcSnap(type: EtherType.ipv4) + Sample.ipv4TCP
        expectSampleIPv4TCP(decode(frame, linkType: .ieee80211Radiotap))
    }

    @Test func radiotapLengthIsHonoured() {
        let frame = radiotap(length: 36) + ieee80211DataHeader() + llcSnap(type: EtherType.ipv6) + Sample.ipv6UDP
        expectSampleIPv6UDP(decode(frame, linkType: .ieee80211Radiotap))
    }

    @Test func radiotapQoSDataFrameWithFourAddressesIsDecoded() {
        // QoS data (subtype 8), ToDS+FromDS (WDS), so 24 + 6 + 2 bytes.
        let header = ieee80211DataHeader(subtype: 8, flags: 0x03, qosControl: true)
        #expect(header.count == 32)
        let frame = radiotap() + header + llcSnap(type: EtherType.ipv4) + Sample.ipv4TCP
        expectSampleIPv4TCP(decode(frame, linkType: .ieee80211Radiotap))
    }

    @Test func ieee80211QoSDataWithHTControlIsDecoded() {
        let header = ieee80211DataHeader(subtype: 8, flags: 0x81, qosControl: true)
        #expect(header.count == 30)
        let frame = header + llcSnap(type: EtherType.ipv4) + Sample.ipv4TCP
        expectSampleIPv4TCP(decode(frame, linkType: .ieee80211))
    }

    @Test func ieee80211ProtectedFrameIsNonIP() {
        let frame = radiotap() + ieee80211DataHeader(flags: 0x41) + llcSnap(type: EtherType.ipv4) + Sample.ipv4TCP
        #expect(decode(frame, linkType: .ieee80211Radiotap).outcome == .skipped(.nonIP))
    }

    @Test func ieee80211NullDataAndManagementFramesAreNonIP() {
        let nullData = radiotap() + ieee80211DataHeader(subtype: 4) + pattern(40)
        #expect(decode(nullData, linkType: .ieee80211Radiotap).outcome == .skipped(.nonIP))
        var beacon = ieee80211DataHeader() + pattern(40)
        beacon[0] = 0x80  // management, subtype 8
        #expect(decode(radiotap() + beacon, linkType: .ieee80211Radiotap).outcome == .skipped(.nonIP))
    }

    @Test func radiotapShortOrBadLengthIsTruncatedLinkHeader() {
        #expect(decode([0, 0, 8], linkType: .ieee80211Radiotap).outcome == .skipped(.truncatedLinkHeader))
        #expect(decode([0, 0, 4, 0, 0, 0, 0, 0], linkType: .ieee80211Radiotap).outcome == .skipped(.truncatedLinkHeader))
        #expect(decode([0, 0, 64, 0] + pattern(20), linkType: .ieee80211Radiotap).outcome == .skipped(.truncatedLinkHeader))
        // Radiotap fine but the 802.11 header cut.
        #expect(decode(radiotap() + [0x08, 0x01, 0, 0], linkType: .ieee80211Radiotap).outcome
            == .skipped(.truncatedLinkHeader))
        #expect(decode(radiotap(), linkType: .ieee80211Radiotap).outcome == .skipped(.truncatedLinkHeader))
    }

    // MARK: MPLS, PPPoE

    @Test func mplsSingleLabelCarryingIPv4IsDecoded() {
        let frame = ethernet(type: EtherType.mpls, mplsEntry(label: 16, bottom: true) + Sample.ipv4TCP)
        expectSampleIPv4TCP(decode(frame))
    }

    @Test func mplsLabelStackCarryingIPv6IsDecoded() {
        let stack = mplsEntry(label: 100, bottom: false) + mplsEntry(label: 200, bottom: false)
            + mplsEntry(label: 300, bottom: true)
        expectSampleIPv6UDP(decode(ethernet(type: EtherType.mpls, stack + Sample.ipv6UDP)))
    }

    @Test func mplsWithoutBottomOfStackIsMalformed() {
        let frame = ethernet(type: EtherType.mpls, mplsEntry(label: 16, bottom: false) + mplsEntry(label: 17, bottom: false))
        #expect(decode(frame).outcome == .skipped(.truncatedLinkHeader))
    }

    @Test func pppoeSessionCarryingIPv4IsDecoded() {
        let frame = ethernet(type: EtherType.pppoeSession, pppoeSession(pppProtocol: 0x0021, Sample.ipv4TCP))
        expectSampleIPv4TCP(decode(frame))
    }

    @Test func pppoeSessionCarryingIPv6IsDecoded() {
        let frame = ethernet(type: EtherType.pppoeSession, pppoeSession(pppProtocol: 0x0057, Sample.ipv6UDP))
        expectSampleIPv6UDP(decode(frame))
    }

    @Test func pppoeLCPIsNonIP() {
        let frame = ethernet(type: EtherType.pppoeSession, pppoeSession(pppProtocol: 0xc021, pattern(20)))
        #expect(decode(frame).outcome == .skipped(.nonIP))
    }

    @Test func pppoeShortHeaderIsTruncatedLinkHeader() {
        let frame = ethernet(type: EtherType.pppoeSession, [0x11, 0, 0, 0x42, 0, 2, 0x00])
        #expect(decode(frame).outcome == .skipped(.truncatedLinkHeader))
    }

    // MARK: unsupported

    @Test func unsupportedLinkTypeIsNonIP() {
        #expect(decode(Sample.ethernetIPv4TCP, linkType: LinkType(rawValue: 147)).outcome == .skipped(.nonIP))
        #expect(!LinkType(rawValue: 147).isSupported)
        #expect(LinkType(rawValue: 147).name == "DLT 147")
        #expect(LinkType.ethernet.isSupported)
        #expect(LinkType.supported.count == 11)
    }
}
