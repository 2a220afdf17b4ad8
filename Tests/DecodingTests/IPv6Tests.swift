import Testing
@testable import Decoding

@Suite("IPv6")
struct IPv6Tests {
    let segment = Sample.tcpSegment

    func expectTCP(_ r: DecodeResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.outcome == .decoded, sourceLocation: sourceLocation)
        guard r.outcome == .decoded else { return }
        #expect(r.packet.isIPv6, sourceLocation: sourceLocation)
        #expect(r.packet.transport == .tcp, sourceLocation: sourceLocation)
        #expect(r.packet.source == ipv6Address(ip6A), sourceLocation: sourceLocation)
        #expect(r.packet.destination == ipv6Address(ip6B), sourceLocation: sourceLocation)
        #expect(r.packet.sourcePort == 49_152, sourceLocation: sourceLocation)
        #expect(r.packet.destinationPort == 80, sourceLocation: sourceLocation)
        #expect(r.packet.sequenceNumber == 0x0102_0304, sourceLocation: sourceLocation)
        #expect(r.payload == Sample.httpPayload, sourceLocation: sourceLocation)
        #expect(r.packet.payloadWireLength == Sample.httpPayload.count, sourceLocation: sourceLocation)
    }

    @Test func ipv6TCPDecodes() {
        let r = decode(ethernet(type: EtherType.ipv6, ipv6(nextHeader: IPProto.tcp, segment)))
        expectTCP(r)
        #expect(r.packet.source.description == "2001:db8::1")
    }

    @Test func ipv6HopByHopThenTCP() {
        let body = ipv6Extension(next: IPProto.tcp) + segment
        expectTCP(decode(ethernet(type: EtherType.ipv6, ipv6(nextHeader: IPProto.hopByHop, body))))
    }

    @Test func ipv6LongDestinationOptionsThenTCP() {
        let body = ipv6Extension(next: IPProto.tcp, units: 3) + segment
        expectTCP(decode(ipv6(nextHeader: IPProto.destinationOptions, body), linkType: .ipv6))
    }

    @Test func ipv6RoutingThenUDP() {
        let body = ipv6Routing(next: IPProto.udp) + Sample.udpDatagram
        let r = decode(ipv6(nextHeader: IPProto.routing, body), linkType: .ipv6)
        #expect(r.outcome == .decoded)
        #expect(r.payload == Sample.dnsPayload)
    }

    @Test func ipv6AuthenticationHeaderThenTCP() {
        let body = ipv6AH(next: IPProto.tcp) + segment
        expectTCP(decode(ipv6(nextHeader: IPProto.ah, body), linkType: .ipv6))
    }

    @Test func ipv6ExtensionHeaderChainIsWalkedToTCP() {
        // Hop-by-hop -> routing -> destination options -> AH -> TCP.
        let body = ipv6Extension(next: IPProto.routing) + ipv6Routing(next: IPProto.destinationOptions)
            + ipv6Extension(next: IPProto.ah, units: 1) + ipv6AH(next: IPProto.tcp) + segment
        expectTCP(decode(ethernet(type: EtherType.ipv6, ipv6(nextHeader: IPProto.hopByHop, body))))
    }

    @Test func ipv6TwoExtensionHeadersThenUDP() {
        let body = ipv6Extension(next: IPProto.destinationOptions) + ipv6Extension(next: IPProto.udp, units: 1)
            + Sample.udpDatagram
        let r = decode(ipv6(nextHeader: IPProto.hopByHop, body), linkType: .ipv6)
        #expect(r.outcome == .decoded)
        #expect(r.payload == Sample.dnsPayload)
    }

    /// `count` destination-options headers, the last pointing at TCP.
    func chain(_ count: Int) -> [UInt8] {
        var body: [UInt8] = []
        for i in 0..<count {
            body += ipv6Extension(next: i == count - 1 ? IPProto.tcp : IPProto.destinationOptions)
        }
        return ipv6(nextHeader: IPProto.destinationOptions, body + segment)
    }

    @Test func ipv6FifteenExtensionHeadersAreWalked() {
        expectTCP(decode(chain(15), linkType: .ipv6))
    }

    @Test
    func ipv6SixteenExtensionHeadersAreWalked() {
        expectTCP(decode(chain(16), linkType: .ipv6))
    }

    @Test func ipv6SeventeenExtensionHeadersAreTooMany() {
        var decoder = PacketDecoder()
        #expect(decode(chain(17), linkType: .ipv6, with: &decoder).outcome == .skipped(.tooManyIPv6ExtensionHeaders))
        #expect(decoder.counters[.tooManyIPv6ExtensionHeaders] == 1)
    }

    @Test func ipv6TruncatedExtensionHeaderIsBadExtensionHeader() {
        // Hop-by-hop claims 16 bytes but only 8 follow (payload length agrees with the capture).
        var ext = ipv6Extension(next: IPProto.tcp)
        ext[1] = 1
        #expect(decode(ipv6(nextHeader: IPProto.hopByHop, ext), linkType: .ipv6).outcome
            == .skipped(.badIPv6ExtensionHeader))
        // Only one byte of extension header.
        #expect(decode(ipv6(nextHeader: IPProto.hopByHop, [IPProto.tcp]), linkType: .ipv6).outcome
            == .skipped(.badIPv6ExtensionHeader))
        // Empty body.
        #expect(decode(ipv6(nextHeader: IPProto.routing, []), linkType: .ipv6).outcome
            == .skipped(.badIPv6ExtensionHeader))
        // AH too long.
        var ah = ipv6AH(next: IPProto.tcp)
        ah[1] = 20
        #expect(decode(ipv6(nextHeader: IPProto.ah, ah), linkType: .ipv6).outcome == .skipped(.badIPv6ExtensionHeader))
    }

    @Test func ipv6ShorterThanFortyBytesIsTruncatedIPv6Header() {
        let packet = ipv6(nextHeader: IPProto.tcp, segment)
        for n in 0..<40 {
            #expect(decode(Array(packet.prefix(n)), linkType: .ipv6).outcome == .skipped(.truncatedIPv6Header))
        }
    }

    @Test func ipv6PayloadLengthBeyondCapturedIsMalformed() {
        let packet = ipv6(nextHeader: IPProto.tcp, segment, payloadLength: UInt16(segment.count + 1))
        #expect(decode(packet, linkType: .ipv6).outcome == .skipped(.truncatedIPv6Header))
    }

    @Test func ipv6WrongVersionIsRejected() {
        let packet = ipv6(nextHeader: IPProto.tcp, segment, version: 4)
        let outcome = decode(packet, linkType: .ipv6).outcome
        #expect(outcome == .skipped(.badIPv6Header))
    }

    @Test func ipv6SnaplenCutKeepsWireLength() {
        let payload = pattern(1200)
        let full = ethernet(type: EtherType.ipv6, ipv6(nextHeader: IPProto.tcp, tcp(payload)))
        var decoder = PacketDecoder()
        let r = decode(Array(full.prefix(128)), wireLength: full.count, with: &decoder)
        #expect(r.outcome == .decoded)
        #expect(r.payload == Array(payload.prefix(128 - 14 - 40 - 20)))
        #expect(r.packet.payloadWireLength == 1200)
        #expect(decoder.counters.truncatedBySnaplen == 1)
    }

    @Test func ipv6SnaplenCutAfterExtensionHeaderKeepsWireLength() {
        let payload = pattern(600)
        let full = ipv6(nextHeader: IPProto.hopByHop, ipv6Extension(next: IPProto.udp) + udp(payload))
        let r = decode(Array(full.prefix(100)), linkType: .ipv6, wireLength: full.count)
        #expect(r.outcome == .decoded)
        #expect(r.payload == Array(payload.prefix(100 - 40 - 8 - 8)))
        #expect(r.packet.payloadWireLength == 600)
    }

    @Test func ipv6PayloadLengthZeroUsesCapturedLength() {
        let r = decode(ipv6(nextHeader: IPProto.tcp, segment, payloadLength: 0), linkType: .ipv6)
        expectTCP(r)
    }

    @Test func ipv6PaddingAfterPayloadIsTrimmed() {
        let r = decode(ipv6(nextHeader: IPProto.tcp, segment) + [0, 0, 0, 0], linkType: .ipv6)
        expectTCP(r)
    }

    @Test func ipv6ICMPv6AndNoNextHeaderAreOtherTransport() {
        let icmp: [UInt8] = [128, 0, 0, 0, 0, 1, 0, 1]
        #expect(decode(ipv6(nextHeader: IPProto.icmpv6, icmp), linkType: .ipv6).outcome == .skipped(.otherTransport))
        #expect(decode(ipv6(nextHeader: IPProto.noNext, []), linkType: .ipv6).outcome == .skipped(.otherTransport))
        let afterHBH = ipv6(nextHeader: IPProto.hopByHop, ipv6Extension(next: IPProto.icmpv6) + icmp)
        #expect(decode(afterHBH, linkType: .ipv6).outcome == .skipped(.otherTransport))
    }
}
