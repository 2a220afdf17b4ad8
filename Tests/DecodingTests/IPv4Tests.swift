import Testing
@testable import Decoding

@Suite("IPv4")
struct IPv4Tests {
    @Test func ipv4OptionsAreSkippedUsingIHL() {
        // Record route (7), length 11, pointer 4, two empty slots... padded to 12 with EOL.
        let options: [UInt8] = [0x07, 0x0b, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]
        let packet = ipv4(proto: IPProto.tcp, Sample.tcpSegment, options: options)
        #expect(packet[0] == 0x48)
        expectSampleIPv4TCP(decode(ethernet(type: EtherType.ipv4, packet)))
    }

    @Test func ipv4MaximumIHLIsAccepted() {
        let options = [UInt8](repeating: 0x01, count: 40)  // 40 bytes of NOP
        let packet = ipv4(proto: IPProto.tcp, Sample.tcpSegment, options: options)
        #expect(packet[0] == 0x4f)
        expectSampleIPv4TCP(decode(packet, linkType: .ipv4))
    }

    @Test(arguments: [UInt8(0), 1, 5, 6, 7, 15])
    func ipv4WrongVersionIsBadIPv4Header(version: UInt8) {
        let packet = ipv4(proto: IPProto.tcp, Sample.tcpSegment, version: version)
        var decoder = PacketDecoder()
        #expect(decode(ethernet(type: EtherType.ipv4, packet), with: &decoder).outcome == .skipped(.badIPv4Header))
        #expect(decoder.counters[.badIPv4Header] == 1)
        #expect(decoder.counters.malformed == 1)
    }

    @Test(arguments: [UInt8(0), 1, 2, 3, 4])
    func ipv4IHLBelowFiveIsBadIPv4Header(ihl: UInt8) {
        let packet = ipv4(proto: IPProto.tcp, Sample.tcpSegment, ihl: ihl)
        #expect(decode(ethernet(type: EtherType.ipv4, packet)).outcome == .skipped(.badIPv4Header))
    }

    @Test func ipv4ShorterThanTwentyBytesIsTruncatedIPv4Header() {
        for n in 0..<20 {
            let packet = Array(Sample.ipv4TCP.prefix(n))
            #expect(decode(packet, linkType: .ipv4).outcome == .skipped(.truncatedIPv4Header))
        }
    }

    @Test func ipv4IHLBeyondCapturedIsTruncatedIPv4Header() {
        // IHL 15 (60 bytes) but only 24 bytes there.
        var header = ipv4(proto: IPProto.tcp, [], options: [1, 1, 1, 1])
        header[0] = 0x4f
        #expect(header.count == 24)
        #expect(decode(header, linkType: .ipv4).outcome == .skipped(.truncatedIPv4Header))
    }

    @Test func ipv4TotalLengthLongerThanCapturedIsMalformed() {
        let packet = ipv4(proto: IPProto.tcp, Sample.tcpSegment, totalLength: UInt16(Sample.ipv4TCP.count + 1))
        var decoder = PacketDecoder()
        let r = decode(ethernet(type: EtherType.ipv4, packet), with: &decoder)
        #expect(r.outcome == .skipped(.badIPv4TotalLength))
        #expect(decoder.counters[.badIPv4TotalLength] == 1)
        #expect(decoder.counters.truncatedBySnaplen == 0)
    }

    @Test func ipv4TotalLengthShorterThanHeaderIsMalformed() {
        for total in [UInt16(1), 19] {
            let packet = ipv4(proto: IPProto.tcp, Sample.tcpSegment, totalLength: total)
            #expect(decode(packet, linkType: .ipv4).outcome == .skipped(.badIPv4TotalLength))
        }
        let withOptions = ipv4(proto: IPProto.tcp, Sample.tcpSegment, options: [1, 1, 1, 1], totalLength: 20)
        #expect(decode(withOptions, linkType: .ipv4).outcome == .skipped(.badIPv4TotalLength))
    }

    @Test func ipv4SnaplenCutDecodesCapturedPayloadAndKeepsWireLength() {
        let payload = pattern(1400)
        let full = ethernet(type: EtherType.ipv4, ipv4(proto: IPProto.tcp, tcp(payload)))
        let snaplen = 96
        var decoder = PacketDecoder()
        let r = decode(Array(full.prefix(snaplen)), wireLength: full.count, with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.payload == Array(payload.prefix(snaplen - 14 - 20 - 20)))
        #expect(r.packet.payloadWireLength == 1400)
        #expect(r.packet.sourcePort == 49_152)
        #expect(decoder.counters.truncatedBySnaplen == 1)
        #expect(decoder.counters.malformed == 0)
    }

    @Test func ipv4SnaplenCutInsideTCPHeaderIsTruncatedTCPHeader() {
        let full = ethernet(type: EtherType.ipv4, ipv4(proto: IPProto.tcp, tcp(pattern(100))))
        let r = decode(Array(full.prefix(14 + 20 + 10)), wireLength: full.count)
        #expect(r.outcome == .skipped(.truncatedTCPHeader))
    }

    @Test func ipv4SnaplenCutInsideIPHeaderIsTruncatedIPv4Header() {
        let full = ethernet(type: EtherType.ipv4, ipv4(proto: IPProto.tcp, tcp(pattern(100))))
        #expect(decode(Array(full.prefix(14 + 12)), wireLength: full.count).outcome == .skipped(.truncatedIPv4Header))
    }

    @Test func ipv4SnaplenCutUDPKeepsUDPLengthAsWireLength() {
        let full = ethernet(type: EtherType.ipv4, ipv4(proto: IPProto.udp, udp(pattern(500))))
        let r = decode(Array(full.prefix(64)), wireLength: full.count)
        #expect(r.outcome == .decoded)
        #expect(r.packet.transport == .udp)
        #expect(r.payload == Array(pattern(500).prefix(64 - 14 - 20 - 8)))
        #expect(r.packet.payloadWireLength == 500)
    }

    @Test func ethernetPaddingIsTrimmedUsingTotalLength() {
        // A bare ACK: 40 bytes of IP, padded to the 60-byte Ethernet minimum.
        let ip = ipv4(proto: IPProto.tcp, tcp(flags: TCPFlagBits.ack))
        let frame = ethernet(type: EtherType.ipv4, ip) + [0xde, 0xad, 0xbe, 0xef, 0xde, 0xad]
        #expect(frame.count == 60)
        let r = decode(frame)
        #expect(r.outcome == .decoded)
        #expect(r.payload.isEmpty)
        #expect(r.packet.payloadWireLength == 0)
        #expect(r.packet.tcpFlags == .ack)
    }

    @Test func ethernetPaddingIsTrimmedFromUDPPayload() {
        let ip = ipv4(proto: IPProto.udp, udp([0x01, 0x02]))
        let frame = ethernet(type: EtherType.ipv4, ip) + [UInt8](repeating: 0xee, count: 16)
        let r = decode(frame)
        #expect(r.outcome == .decoded)
        #expect(r.payload == [0x01, 0x02])
        #expect(r.packet.payloadWireLength == 2)
    }

    @Test func ipv4TotalLengthZeroUsesCapturedLength() {
        // TSO on the capturing host: the length field is still 0.
        let payload = pattern(3000)
        let ip = ipv4(proto: IPProto.tcp, tcp(payload), totalLength: 0)
        let r = decode(ethernet(type: EtherType.ipv4, ip))
        #expect(r.outcome == .decoded)
        #expect(r.payload == payload)
        #expect(r.packet.payloadWireLength == 3000)
    }

    @Test func ipv4ICMPIsOtherTransport() {
        let icmp: [UInt8] = [8, 0, 0xf7, 0xff, 0, 1, 0, 1]
        var decoder = PacketDecoder()
        #expect(decode(ethernet(type: EtherType.ipv4, ipv4(proto: IPProto.icmp, icmp)), with: &decoder).outcome
            == .skipped(.otherTransport))
        #expect(decoder.counters[.otherTransport] == 1)
        #expect(decoder.counters.malformed == 0)
    }

    @Test func ipv4ESPIsOtherTransport() {
        let esp = be32(0x1000) + be32(1) + pattern(32)
        #expect(decode(ipv4(proto: IPProto.esp, esp), linkType: .ipv4).outcome == .skipped(.otherTransport))
    }

    @Test func ipv4DontFragmentIsNotAFragment() {
        let ip = ipv4(proto: IPProto.tcp, Sample.tcpSegment, dontFragment: true)
        var decoder = PacketDecoder()
        expectSampleIPv4TCP(decode(ethernet(type: EtherType.ipv4, ip), with: &decoder))
        #expect(decoder.fragments.datagramsInProgress == 0)
    }

    @Test func ipv4AddressesAreReadFromTheHeader() {
        let ip = ipv4(src: [10, 1, 2, 3], dst: [172, 16, 254, 1], proto: IPProto.udp, udp([]))
        let r = decode(ip, linkType: .ipv4)
        #expect(r.outcome == .decoded)
        #expect(r.packet.source.description == "10.1.2.3")
        #expect(r.packet.destination.description == "172.16.254.1")
        #expect(r.packet.source.isIPv4)
    }

    @Test func decoderResetsVLANAndTunnelContextBetweenPackets() {
        var decoder = PacketDecoder()
        var packet = DecodedPacket()
        func run(_ frame: [UInt8]) -> DecodeOutcome {
            frame.withUnsafeBytes {
                decoder.decode($0, wireLength: frame.count, linkType: .ethernet, timestamp: 5, into: &packet)
            }
        }
        let tagged = ethernetVLAN(tpids: [EtherType.vlan], vids: [100], innerType: EtherType.ipv4, Sample.ipv4TCP)
        let tunnelled = ethernet(
            type: EtherType.ipv4, ipv4(proto: IPProto.gre, gre(proto: EtherType.ipv4, key: 9, Sample.ipv4TCP)))
        #expect(run(tunnelled) == .decoded)
        #expect(packet.tunnelContext == 9)
        #expect(run(Sample.ethernetIPv4TCP) == .decoded)
        #expect(packet.tunnelContext == 0)
        #expect(packet.vlan == 0)
        _ = run(tagged)
        #expect(run(Sample.ethernetIPv4TCP) == .decoded)
        #expect(packet.vlan == 0)
        #expect(packet.timestamp == 5)
    }
}
