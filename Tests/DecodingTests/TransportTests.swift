import Testing
@testable import Decoding

private func overIPv4(_ segment: [UInt8], proto: UInt8 = IPProto.tcp) -> [UInt8] {
    ethernet(type: EtherType.ipv4, ipv4(proto: proto, segment))
}

@Suite("TCP")
struct TCPTests {
    let synOptions: [UInt8] =
        [0x02, 0x04, 0x05, 0xb4]  // MSS 1460
        + [0x04, 0x02]  // SACK permitted
        + [0x08, 0x0a, 0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00]  // timestamps
        + [0x01]  // NOP
        + [0x03, 0x03, 0x07]  // window scale 7

    @Test func tcpPortsSequenceAckFlagsAndPayloadAreExact() {
        let payload = pattern(333)
        let segment = tcp(
            sport: 0xfedc, dport: 0x0102, seq: 0xffff_fffe, ack: 0x8000_0001, flags: TCPFlagBits.fin | TCPFlagBits.ack,
            payload)
        let r = decode(overIPv4(segment))
        #expect(r.outcome == .decoded)
        #expect(r.packet.transport == .tcp)
        #expect(r.packet.sourcePort == 0xfedc)
        #expect(r.packet.destinationPort == 0x0102)
        #expect(r.packet.sequenceNumber == 0xffff_fffe)
        #expect(r.packet.acknowledgmentNumber == 0x8000_0001)
        #expect(r.packet.tcpFlags == [.fin, .ack])
        #expect(r.payload == payload)
        #expect(r.packet.payloadWireLength == 333)
    }

    @Test(arguments: [UInt8(0x01), 0x02, 0x04, 0x08, 0x10, 0x12, 0x14, 0x11, 0x18, 0xff, 0x00, 0xc2])
    func tcpFlagsByteIsReportedVerbatim(flags: UInt8) {
        let r = decode(overIPv4(tcp(flags: flags)))
        #expect(r.outcome == .decoded)
        #expect(r.packet.tcpFlags.rawValue == flags)
        #expect(r.packet.tcpFlags.contains(.syn) == (flags & 0x02 != 0))
        #expect(r.packet.tcpFlags.contains(.rst) == (flags & 0x04 != 0))
    }

    @Test func tcpSynWithCommonOptionsIsAccepted() {
        #expect(synOptions.count == 20)
        let r = decode(overIPv4(tcp(flags: TCPFlagBits.syn, options: synOptions)))
        #expect(r.outcome == .decoded)
        #expect(r.packet.tcpFlags == .syn)
        #expect(r.payload.isEmpty)
        #expect(r.packet.payloadWireLength == 0)
    }

    @Test func tcpOptionsAreSkippedBeforeThePayload() {
        let options: [UInt8] = [0x01, 0x01, 0x08, 0x0a] + be32(12345) + be32(54321)  // NOP NOP TS
        let r = decode(overIPv4(tcp(options: options, Sample.httpPayload)))
        #expect(r.outcome == .decoded)
        #expect(r.payload == Sample.httpPayload)
        #expect(r.packet.payloadWireLength == Sample.httpPayload.count)
    }

    @Test func tcpSACKBlocksAreAccepted() {
        let options: [UInt8] = [0x01, 0x01, 0x05, 0x12] + be32(1000) + be32(2000) + be32(3000) + be32(4000)
        #expect(options.count == 20)
        #expect(decode(overIPv4(tcp(options: options, [0x61]))).payload == [0x61])
    }

    @Test func tcpEndOfOptionListStopsParsing() {
        // EOL then bytes that would be malformed as options.
        let options: [UInt8] = [0x02, 0x04, 0x05, 0xb4, 0x00, 0x07, 0x00, 0xff]
        #expect(decode(overIPv4(tcp(options: options))).outcome == .decoded)
    }

    @Test func tcpAllNOPOptionsAreAccepted() {
        #expect(decode(overIPv4(tcp(options: [UInt8](repeating: 1, count: 40)))).outcome == .decoded)
    }

    @Test(arguments: [
        [UInt8(0x02), 0x00, 0x05, 0xb4],  // length 0
        [0x02, 0x01, 0x05, 0xb4],  // length 1
        [0x08, 0x0a, 0x00, 0x00],  // timestamps overrun the 4 option bytes
        [0x01, 0x01, 0x01, 0x02],  // kind with no room for its length
        [0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x03, 0x04],  // window scale overruns by one
        [0xfe, 0x05, 0x00, 0x00],  // unknown kind overruns
    ])
    func tcpMalformedOptionIsBadTCPOptions(options: [UInt8]) {
        var decoder = PacketDecoder()
        #expect(decode(overIPv4(tcp(options: options, [0x61, 0x62])), with: &decoder).outcome == .skipped(.badTCPOptions))
        #expect(decoder.counters[.badTCPOptions] == 1)
    }

    @Test func tcpOptionExactlyFillingTheHeaderIsAccepted() {
        let options: [UInt8] = [0x01, 0x03, 0x03, 0x07]
        #expect(decode(overIPv4(tcp(options: options))).outcome == .decoded)
        let unknown: [UInt8] = [0xfe, 0x04, 0xaa, 0xbb]
        #expect(decode(overIPv4(tcp(options: unknown))).outcome == .decoded)
    }

    @Test(arguments: [UInt8(0), 1, 2, 3, 4])
    func tcpDataOffsetBelowFiveIsBadTCPDataOffset(offset: UInt8) {
        #expect(decode(overIPv4(tcp(dataOffset: offset, pattern(40)))).outcome == .skipped(.badTCPDataOffset))
    }

    @Test func tcpDataOffsetBeyondThePacketIsBadTCPDataOffset() {
        // Data offset 15 (60 bytes) in a 30-byte segment.
        var decoder = PacketDecoder()
        #expect(decode(overIPv4(tcp(dataOffset: 15, pattern(10))), with: &decoder).outcome == .skipped(.badTCPDataOffset))
        #expect(decoder.counters[.badTCPDataOffset] == 1)
        // Data offset 6 in a bare 20-byte header.
        #expect(decode(overIPv4(tcp(dataOffset: 6))).outcome == .skipped(.badTCPDataOffset))
    }

    @Test func tcpDataOffsetCoveringTheWholeSegmentLeavesEmptyPayload() {
        let r = decode(overIPv4(tcp(dataOffset: 6, [0x01, 0x01, 0x01, 0x01])))
        #expect(r.outcome == .decoded)
        #expect(r.payload.isEmpty)
    }

    @Test func tcpShorterThanTwentyBytesIsTruncatedTCPHeader() {
        for n in 0..<20 {
            #expect(decode(overIPv4(Array(tcp().prefix(n)))).outcome == .skipped(.truncatedTCPHeader))
        }
    }

    @Test func tcpDataOffsetBeyondSnaplenCutIsTruncatedTCPHeader() {
        // Header with 20 bytes of options, capture cut after 30 TCP bytes.
        let full = overIPv4(tcp(options: synOptions, pattern(100)))
        let cut = Array(full.prefix(14 + 20 + 30))
        #expect(decode(cut, wireLength: full.count).outcome == .skipped(.truncatedTCPHeader))
    }
}

@Suite("UDP")
struct UDPTests {
    @Test func udpPortsAndPayloadAreExact() {
        let payload = pattern(77)
        let r = decode(overIPv4(udp(sport: 5353, dport: 0xabcd, payload), proto: IPProto.udp))
        #expect(r.outcome == .decoded)
        #expect(r.packet.transport == .udp)
        #expect(r.packet.sourcePort == 5353)
        #expect(r.packet.destinationPort == 0xabcd)
        #expect(r.packet.sequenceNumber == 0)
        #expect(r.packet.acknowledgmentNumber == 0)
        #expect(r.packet.tcpFlags == [])
        #expect(r.payload == payload)
        #expect(r.packet.payloadWireLength == 77)
    }

    @Test func udpEmptyPayloadIsDecoded() {
        let r = decode(overIPv4(udp([]), proto: IPProto.udp))
        #expect(r.outcome == .decoded)
        #expect(r.payload.isEmpty)
        #expect(r.packet.payloadWireLength == 0)
    }

    @Test(arguments: [UInt16(0), 1, 7])
    func udpLengthBelowEightIsBadUDPLength(length: UInt16) {
        var decoder = PacketDecoder()
        let frame = overIPv4(udp(length: length, pattern(12)), proto: IPProto.udp)
        #expect(decode(frame, with: &decoder).outcome == .skipped(.badUDPLength))
        #expect(decoder.counters[.badUDPLength] == 1)
    }

    @Test func udpLengthBeyondAvailableIsBadUDPLength() {
        let frame = overIPv4(udp(length: 8 + 13, pattern(12)), proto: IPProto.udp)
        #expect(decode(frame).outcome == .skipped(.badUDPLength))
        let v6 = ipv6(nextHeader: IPProto.udp, udp(length: 0xffff, pattern(12)))
        #expect(decode(v6, linkType: .ipv6).outcome == .skipped(.badUDPLength))
    }

    @Test func udpLengthShorterThanIPPayloadTrimsPayload() {
        let frame = overIPv4(udp(length: 8 + 4, pattern(12)), proto: IPProto.udp)
        let r = decode(frame)
        #expect(r.outcome == .decoded)
        #expect(r.payload == Array(pattern(12).prefix(4)))
        #expect(r.packet.payloadWireLength == 4)
    }

    @Test func udpShorterThanEightBytesIsTruncatedUDPHeader() {
        for n in 0..<8 {
            #expect(decode(overIPv4(Array(udp([]).prefix(n)), proto: IPProto.udp)).outcome == .skipped(.truncatedUDPHeader))
        }
    }

    @Test func udpOverIPv6Decodes() {
        expectSampleIPv6UDP(decode(Sample.ethernetIPv6UDP))
    }
}
