import Testing
@testable import Decoding
import TestSupport

@Suite("Robustness")
struct RobustnessTests {
    /// Decodes every strict prefix of `frame` (captured length == wire
    /// length, so never a snaplen cut) and checks each is skipped as malformed.
    func expectEveryPrefixMalformed(
        _ frame: [UInt8], linkType: LinkType = .ethernet, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var decoder = PacketDecoder()
        for n in 0..<frame.count {
            let prefix = Array(frame.prefix(n))
            let r = decode(prefix, linkType: linkType, with: &decoder)
            switch r.outcome {
            case .skipped(let issue):
                #expect(issue.isMalformed, "prefix \(n): \(issue)", sourceLocation: sourceLocation)
            case .decoded, .fragmentHeld:
                Issue.record("prefix \(n) of \(frame.count) gave \(r.outcome)", sourceLocation: sourceLocation)
            }
        }
        #expect(decoder.counters.malformed == UInt64(frame.count), sourceLocation: sourceLocation)
        #expect(decode(frame, linkType: linkType, with: &decoder).outcome == .decoded, sourceLocation: sourceLocation)
    }

    @Test func everyTruncationOfEthernetIPv4TCPIsMalformed() {
        expectEveryPrefixMalformed(Sample.ethernetIPv4TCP)
    }

    @Test func everyTruncationOfEthernetIPv4TCPWithOptionsIsMalformed() {
        let options: [UInt8] = [0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07]
        let frame = ethernet(
            type: EtherType.ipv4, ipv4(proto: IPProto.tcp, tcp(options: options, pattern(30)), options: [1, 1, 1, 0]))
        expectEveryPrefixMalformed(frame)
    }

    @Test func everyTruncationOfEthernetIPv6UDPIsMalformed() {
        expectEveryPrefixMalformed(Sample.ethernetIPv6UDP)
    }

    @Test func everyTruncationOfIPv6WithExtensionHeaderIsMalformed() {
        let packet = ipv6(nextHeader: IPProto.hopByHop, ipv6Extension(next: IPProto.tcp) + Sample.tcpSegment)
        expectEveryPrefixMalformed(ethernet(type: EtherType.ipv6, packet))
    }

    @Test func everyTruncationOfVXLANIsMalformed() {
        expectEveryPrefixMalformed(vxlanFrame(vni: 0xabcdef))
    }

    @Test func everyTruncationOfGREWithKeyIsMalformed() {
        let frame = ethernet(
            type: EtherType.ipv4, ipv4(proto: IPProto.gre, gre(proto: EtherType.ipv4, key: 1, sequence: 2, Sample.ipv4TCP)))
        expectEveryPrefixMalformed(frame)
    }

    @Test func everyTruncationOfRawIPv4IsMalformed() {
        expectEveryPrefixMalformed(Sample.ipv4TCP, linkType: .raw)
    }

    @Test func everyTruncationOfLinuxCookedV2IsMalformed() {
        expectEveryPrefixMalformed(linuxCookedV2(protocol: EtherType.ipv6, Sample.ipv6UDP), linkType: .linuxCooked2)
    }

    @Test func everyTruncationOfRadiotapIsMalformed() {
        let frame = radiotap() + ieee80211DataHeader() + llcSnap(type: EtherType.ipv4) + Sample.ipv4TCP
        // Up to the end of the LLC/SNAP header a cut frame may read as non-IP;
        // from there on it must be malformed.
        var decoder = PacketDecoder()
        let ipStart = frame.count - Sample.ipv4TCP.count
        for n in 0..<frame.count {
            let outcome = decode(Array(frame.prefix(n)), linkType: .ieee80211Radiotap, with: &decoder).outcome
            if n < ipStart {
                #expect(outcome != .decoded, "prefix \(n)")
            } else {
                #expect(outcome != .decoded && outcome != .skipped(.nonIP), "prefix \(n): \(outcome)")
            }
        }
    }

    @Test func everySnaplenCutOfEthernetIPv4TCPIsDecodedOnceTheTCPHeaderIsIn() {
        let payload = pattern(300)
        let frame = ethernet(type: EtherType.ipv4, ipv4(proto: IPProto.tcp, tcp(payload)))
        var decoder = PacketDecoder()
        for n in 0...frame.count {
            let r = decode(Array(frame.prefix(n)), wireLength: frame.count, with: &decoder)
            if n >= 14 + 20 + 20 {
                #expect(r.outcome == .decoded, "snaplen \(n)")
                #expect(r.payload == Array(payload.prefix(n - 54)))
                #expect(r.packet.payloadWireLength == 300)
            } else {
                #expect(r.outcome != .decoded, "snaplen \(n)")
            }
        }
    }

    // MARK: random input

    static let linkTypes = LinkType.supported

    @Test(arguments: linkTypes)
    func randomFramesNeverCrash(linkType: LinkType) {
        var rng = SplitMix64(seed: 0x5eed_0000 &+ UInt64(linkType.rawValue))
        var decoder = PacketDecoder()
        var packet = DecodedPacket()
        var frame = [UInt8](repeating: 0, count: 2048)
        var decoded = 0
        for i in 0..<20_000 {
            let length = i % 4 == 0 ? Int(rng.next() % 2048) : Int(rng.next() % 128)
            for j in 0..<length { frame[j] = UInt8(truncatingIfNeeded: rng.next()) }
            let wire = rng.next() % 3 == 0 ? length + Int(rng.next() % 1500) : length
            let outcome = frame.withUnsafeBytes { all in
                let slice = UnsafeRawBufferPointer(rebasing: all[0..<length])
                let outcome = decoder.decode(
                    slice, wireLength: wire, linkType: linkType, timestamp: Int64(i), into: &packet)
                if outcome == .decoded {
                    // The payload must lie within the frame (or the reassembly buffer).
                    _ = packet.payload.reduce(0 as UInt8, &+)
                }
                return outcome
            }
            if outcome == .decoded { decoded += 1 }
            if i % 1000 == 0 { decoder.expireFragments(now: Int64(i)) }
        }
        #expect(decoded <= 20_000)
    }

    @Test(arguments: linkTypes)
    func mutatedValidFramesNeverCrash(linkType: LinkType) {
        // Start from a valid frame for the link type and flip random bytes,
        // so the decoder gets far past the link header.
        let inner = [Sample.ipv4TCP, Sample.ipv6UDP,
                     ipv4(proto: IPProto.gre, gre(proto: EtherType.erspan2, sequence: 1, erspan2(session: 1, Sample.ethernetIPv4TCP))),
                     ipv4(proto: IPProto.udp, udp(dport: 4789, vxlan(vni: 1, Sample.ethernetIPv6UDP))),
                     ipv6(nextHeader: IPProto.hopByHop, ipv6Extension(next: IPProto.fragment)
                          + ipv6FragmentHeader(next: IPProto.udp, offset: 8, more: true, id: 1) + pattern(64)),
                     ipv4(proto: IPProto.udp, pattern(64), id: 7, dontFragment: false, moreFragments: true)]
        func frame(for ip: [UInt8]) -> [UInt8] {
            let isV6 = ip[0] >> 4 == 6
            let type = isV6 ? EtherType.ipv6 : EtherType.ipv4
            switch linkType {
            case .ethernet: return ethernet(type: type, ip)
            case .null: return nullHeader(family: isV6 ? 30 : 2, littleEndian: true) + ip
            case .loop: return nullHeader(family: isV6 ? 24 : 2, littleEndian: false) + ip
            case .linuxCooked: return linuxCookedV1(protocol: type, ip)
            case .linuxCooked2: return linuxCookedV2(protocol: type, ip)
            case .ieee80211Radiotap: return radiotap() + ieee80211DataHeader() + llcSnap(type: type) + ip
            case .ieee80211: return ieee80211DataHeader() + llcSnap(type: type) + ip
            default: return ip
            }
        }
        let seeds = inner.map(frame(for:))
        var rng = SplitMix64(seed: 0xfeed_0000 &+ UInt64(linkType.rawValue))
        var decoder = PacketDecoder()
        for i in 0..<20_000 {
            var bytes = seeds[i % seeds.count]
            let flips = 1 + Int(rng.next() % 4)
            for _ in 0..<flips {
                let at = Int(rng.next() % UInt64(bytes.count))
                bytes[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 4 == 0 { bytes.removeLast(Int(rng.next() % UInt64(bytes.count))) }
            let wire = rng.next() % 4 == 0 ? bytes.count + 100 : bytes.count
            _ = decode(bytes, linkType: linkType, wireLength: wire, timestamp: Int64(i), with: &decoder)
        }
        #expect(decoder.fragments.datagramsInProgress <= DecodingLimits().maxFragmentedDatagrams)
    }
}
