import Testing
@testable import Decoding

@Suite("DecodeIssue and counters")
struct DecodeIssueTests {
    @Test func onlyNonIPAndOtherTransportAreNotMalformed() {
        for issue in DecodeIssue.allCases {
            #expect(issue.isMalformed == (issue != .nonIP && issue != .otherTransport), "\(issue)")
        }
    }

    @Test func issueNamesAreUniqueSnakeCase() {
        let names = DecodeIssue.allCases.map(\.name)
        #expect(Set(names).count == names.count)
        for name in names {
            #expect(!name.isEmpty)
            #expect(name.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }, "\(name)")
        }
        #expect(DecodeIssue.badIPv4TotalLength.name == "bad_ipv4_total_length")
        #expect(DecodeIssue.fragmentOverlapMismatch.name == "fragment_overlap_mismatch")
    }

    @Test func countersCountEachSkipAndSumMalformed() {
        var decoder = PacketDecoder()
        _ = decode([1, 2, 3], with: &decoder)  // truncatedLinkHeader
        _ = decode(ethernet(type: EtherType.arp, pattern(28)), with: &decoder)  // nonIP
        _ = decode(ethernet(type: EtherType.ipv4, ipv4(proto: IPProto.icmp, pattern(8))), with: &decoder)  // other
        _ = decode(ethernet(type: EtherType.ipv4, ipv4(proto: IPProto.tcp, Sample.tcpSegment, ihl: 4)), with: &decoder)
        _ = decode(Sample.ethernetIPv4TCP, with: &decoder)  // decoded, not counted
        #expect(decoder.counters[.truncatedLinkHeader] == 1)
        #expect(decoder.counters[.nonIP] == 1)
        #expect(decoder.counters[.otherTransport] == 1)
        #expect(decoder.counters[.badIPv4Header] == 1)
        #expect(decoder.counters.malformed == 2)
        #expect(decoder.counters.counts.reduce(0, +) == 4)
        #expect(decoder.counters.truncatedBySnaplen == 0)
    }

    @Test func fragmentHeldIsNotCounted() {
        var decoder = PacketDecoder()
        let frag = ethernet(
            type: EtherType.ipv4, ipv4(proto: IPProto.udp, pattern(16), dontFragment: false, moreFragments: true))
        #expect(decode(frag, with: &decoder).outcome == .fragmentHeld)
        #expect(decoder.counters.counts.reduce(0, +) == 0)
    }

    @Test func linkTypeNamesAndRawValues() {
        #expect(LinkType.null.rawValue == 0)
        #expect(LinkType.ethernet.rawValue == 1)
        #expect(LinkType.raw.rawValue == 12)
        #expect(LinkType.loop.rawValue == 108)
        #expect(LinkType.linuxCooked.rawValue == 113)
        #expect(LinkType.ieee80211Radiotap.rawValue == 127)
        #expect(LinkType.ipv4.rawValue == 228)
        #expect(LinkType.ipv6.rawValue == 229)
        #expect(LinkType.linuxCooked2.rawValue == 276)
        for t in LinkType.supported {
            #expect(t.isSupported)
            #expect(!t.name.hasPrefix("DLT "))
        }
    }

    @Test func transportProtocolNames() {
        #expect(TransportProtocol.tcp.name == "tcp")
        #expect(TransportProtocol.udp.name == "udp")
        #expect(TransportProtocol(rawValue: 132).name == "ip-132")
    }
}
