// Byte-exact packet builders for the decoding tests. Everything here is
// assembled by hand from header fields; nothing calls the code under test.
@testable import Decoding
import TestSupport

// MARK: integers

func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }

/// RFC 1071 Internet checksum (only so the headers look like real ones; the
/// decoder does not verify checksums).
func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var i = 0
    while i + 1 < bytes.count {
        sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
        i += 2
    }
    if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
    return ~UInt16(sum)
}

// MARK: addresses

let macA: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0a]
let macB: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0b]
let ip4A: [UInt8] = [192, 0, 2, 1]
let ip4B: [UInt8] = [198, 51, 100, 7]
/// 2001:db8::1 and 2001:db8::2
let ip6A: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]
let ip6B: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02]

func ipv4Address(_ b: [UInt8]) -> IPAddress {
    IPAddress(ipv4: UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]))
}

func ipv6Address(_ b: [UInt8]) -> IPAddress {
    var high: UInt64 = 0, low: UInt64 = 0
    for i in 0..<8 { high = high << 8 | UInt64(b[i]) }
    for i in 8..<16 { low = low << 8 | UInt64(b[i]) }
    return IPAddress(high: high, low: low)
}

// MARK: link layers

enum EtherType {
    static let ipv4: UInt16 = 0x0800
    static let arp: UInt16 = 0x0806
    static let ipv6: UInt16 = 0x86dd
    static let vlan: UInt16 = 0x8100
    static let qinq: UInt16 = 0x88a8
    static let mpls: UInt16 = 0x8847
    static let pppoeSession: UInt16 = 0x8864
    static let transparentEthernet: UInt16 = 0x6558
    static let erspan2: UInt16 = 0x88be
    static let erspan3: UInt16 = 0x22eb
}

/// Ethernet II: destination, source, EtherType, payload.
func ethernet(dst: [UInt8] = macB, src: [UInt8] = macA, type: UInt16, _ payload: [UInt8]) -> [UInt8] {
    dst + src + be16(type) + payload
}

/// One 802.1Q/802.1ad tag as it follows the TPID: TCI then the next type.
func vlanTag(pcp: UInt8 = 0, vid: UInt16, next: UInt16) -> [UInt8] {
    be16(UInt16(pcp) << 13 | (vid & 0x0fff)) + be16(next)
}

/// Ethernet with a stack of VLAN tags (outermost first). `tpids[i]` is the
/// TPID in front of tag i.
func ethernetVLAN(tpids: [UInt16], vids: [UInt16], innerType: UInt16, _ payload: [UInt8]) -> [UInt8] {
    var frame = macB + macA + be16(tpids[0])
    for i in 0..<vids.count {
        let next = i + 1 < tpids.count ? tpids[i + 1] : innerType
        frame += vlanTag(vid: vids[i], next: next)
    }
    return frame + payload
}

/// LLC (AA AA 03) + SNAP (OUI 00 00 00, EtherType).
func llcSnap(type: UInt16) -> [UInt8] { [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00] + be16(type) }

/// 802.3 frame: length field instead of EtherType, then LLC/SNAP.
func ieee8023(_ payloadAfterSNAP: [UInt8], type: UInt16) -> [UInt8] {
    let body = llcSnap(type: type) + payloadAfterSNAP
    return macB + macA + be16(UInt16(body.count)) + body
}

/// Linux cooked v1 (DLT 113): packet type, ARPHRD, address length,
/// 8-byte address, protocol (offset 14), then the payload at 16.
func linuxCookedV1(protocol proto: UInt16, _ payload: [UInt8]) -> [UInt8] {
    be16(0) + be16(1) + be16(6) + macA + [0, 0] + be16(proto) + payload
}

/// Linux cooked v2 (DLT 276): protocol (offset 0), reserved, interface
/// index, ARPHRD, packet type, address length, 8-byte address; payload at 20.
func linuxCookedV2(protocol proto: UInt16, _ payload: [UInt8]) -> [UInt8] {
    be16(proto) + be16(0) + be32(3) + be16(1) + [0x04, 6] + macA + [0, 0] + payload
}

/// Minimal radiotap header: version 0, pad, little-endian length, present
/// word (flags field present), then the flags field, padded to `length`.
func radiotap(length: UInt16 = 12) -> [UInt8] {
    var h: [UInt8] = [0, 0] + le16(length) + le32(0x0000_0002) + [0x00]
    while h.count < Int(length) { h.append(0) }
    return h
}

/// 802.11 data frame header (frame control little-endian).
/// Frame control byte 0: subtype << 4 | type << 2; byte 1: flags.
func ieee80211DataHeader(subtype: UInt8 = 0, flags: UInt8 = 0x01, qosControl: Bool = false) -> [UInt8] {
    var h: [UInt8] = [subtype << 4 | 2 << 2, flags]
    h += [0x2c, 0x00]  // duration
    h += macB + macA + [0x02, 0, 0, 0, 0, 0x0c]  // addr1..3
    h += [0x10, 0x00]  // sequence control
    if flags & 0x03 == 0x03 { h += [0x02, 0, 0, 0, 0, 0x0d] }  // addr4
    if qosControl { h += [0x00, 0x00] }
    if flags & 0x80 != 0 && qosControl { h += [0, 0, 0, 0] }  // HT control
    return h
}

/// BSD NULL / OpenBSD LOOP 4-byte family.
func nullHeader(family: UInt32, littleEndian: Bool) -> [UInt8] {
    littleEndian ? le32(family) : be32(family)
}

/// MPLS label stack entry: label(20) TC(3) S(1) TTL(8).
func mplsEntry(label: UInt32, bottom: Bool, ttl: UInt8 = 64) -> [UInt8] {
    be32(label << 12 | (bottom ? 0x100 : 0) | UInt32(ttl))
}

/// PPPoE session header (ver/type 0x11, code 0, session id, length) + PPP protocol.
func pppoeSession(session: UInt16 = 0x0042, pppProtocol: UInt16, _ payload: [UInt8]) -> [UInt8] {
    [0x11, 0x00] + be16(session) + be16(UInt16(payload.count + 2)) + be16(pppProtocol) + payload
}

// MARK: IP

enum IPProto {
    static let hopByHop: UInt8 = 0
    static let ipip: UInt8 = 4
    static let tcp: UInt8 = 6
    static let udp: UInt8 = 17
    static let ipv6: UInt8 = 41
    static let routing: UInt8 = 43
    static let fragment: UInt8 = 44
    static let gre: UInt8 = 47
    static let esp: UInt8 = 50
    static let ah: UInt8 = 51
    static let icmpv6: UInt8 = 58
    static let noNext: UInt8 = 59
    static let destinationOptions: UInt8 = 60
    static let icmp: UInt8 = 1
}

/// IPv4 header + payload. `totalLength`/`ihl`/`version` override the
/// computed fields to build broken headers.
func ipv4(
    src: [UInt8] = ip4A, dst: [UInt8] = ip4B, proto: UInt8, _ payload: [UInt8],
    id: UInt16 = 0x1c46, dontFragment: Bool = true, moreFragments: Bool = false, fragmentOffset8: UInt16 = 0,
    ttl: UInt8 = 64, options: [UInt8] = [], totalLength: UInt16? = nil, ihl: UInt8? = nil, version: UInt8 = 4
) -> [UInt8] {
    precondition(options.count % 4 == 0)
    let headerLength = 20 + options.count
    let flags: UInt16 = (dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0)
    var h: [UInt8] = [version << 4 | (ihl ?? UInt8(headerLength / 4)), 0x00]
    h += be16(totalLength ?? UInt16(headerLength + payload.count))
    h += be16(id) + be16(flags | fragmentOffset8) + [ttl, proto] + [0, 0] + src + dst + options
    let sum = internetChecksum(h)
    h[10] = UInt8(sum >> 8)
    h[11] = UInt8(sum & 0xff)
    return h + payload
}

/// IPv6 header + payload.
func ipv6(
    src: [UInt8] = ip6A, dst: [UInt8] = ip6B, nextHeader: UInt8, _ payload: [UInt8],
    payloadLength: UInt16? = nil, hopLimit: UInt8 = 64, version: UInt8 = 6
) -> [UInt8] {
    [version << 4, 0x00, 0x00, 0x00] + be16(payloadLength ?? UInt16(payload.count)) + [nextHeader, hopLimit]
        + src + dst + payload
}

/// A generic IPv6 extension header (hop-by-hop, routing, destination
/// options): next header, length in 8-octet units beyond the first, padded
/// with PadN. Total length is (units + 1) * 8.
func ipv6Extension(next: UInt8, units: UInt8 = 0) -> [UInt8] {
    let total = (Int(units) + 1) * 8
    // PadN option covering the rest: type 1, length total-4.
    return [next, units, 0x01, UInt8(total - 4)] + [UInt8](repeating: 0, count: total - 4)
}

/// Routing header type 0 style with segments left 0 (so it is simply skipped).
func ipv6Routing(next: UInt8) -> [UInt8] {
    [next, 2, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 16)  // one 16-byte address
}

/// Authentication header: next, payload length in 4-octet units minus 2,
/// reserved, SPI, sequence, ICV (12 bytes for HMAC-SHA1-96).
func ipv6AH(next: UInt8) -> [UInt8] {
    // Length 24 bytes => (24 / 4) - 2 = 4.
    [next, 4, 0, 0] + be32(0x0000_1001) + be32(1) + [UInt8](repeating: 0xab, count: 12)
}

/// IPv6 fragment header: offset in bytes (multiple of 8), M flag, id.
func ipv6FragmentHeader(next: UInt8, offset: Int, more: Bool, id: UInt32) -> [UInt8] {
    [next, 0] + be16(UInt16(offset) & 0xfff8 | (more ? 1 : 0)) + be32(id)
}

// MARK: transport

enum TCPFlagBits {
    static let fin: UInt8 = 0x01
    static let syn: UInt8 = 0x02
    static let rst: UInt8 = 0x04
    static let psh: UInt8 = 0x08
    static let ack: UInt8 = 0x10
}

/// TCP header + payload. `dataOffset` overrides the computed value.
func tcp(
    sport: UInt16 = 49_152, dport: UInt16 = 80, seq: UInt32 = 0x0102_0304, ack: UInt32 = 0xa0b0_c0d0,
    flags: UInt8 = TCPFlagBits.ack | TCPFlagBits.psh, window: UInt16 = 65_535, options: [UInt8] = [],
    dataOffset: UInt8? = nil, _ payload: [UInt8] = []
) -> [UInt8] {
    precondition(options.count % 4 == 0)
    let offset = dataOffset ?? UInt8((20 + options.count) / 4)
    return be16(sport) + be16(dport) + be32(seq) + be32(ack) + [offset << 4, flags] + be16(window)
        + [0, 0] + [0, 0] + options + payload
}

/// UDP header + payload. `length` overrides the computed length field.
func udp(sport: UInt16 = 53_000, dport: UInt16 = 53, length: UInt16? = nil, _ payload: [UInt8] = []) -> [UInt8] {
    be16(sport) + be16(dport) + be16(length ?? UInt16(8 + payload.count)) + [0, 0] + payload
}

// MARK: tunnels

/// VXLAN header: flags (I = 0x08), reserved, 24-bit VNI, reserved.
func vxlan(vni: UInt32, flags: UInt8 = 0x08, _ inner: [UInt8]) -> [UInt8] {
    [flags, 0, 0, 0] + be32(vni << 8) + inner
}

/// GRE header: C/K/S bits from the optional fields present.
func gre(
    proto: UInt16, checksum: Bool = false, key: UInt32? = nil, sequence: UInt32? = nil, version: UInt16 = 0,
    _ payload: [UInt8]
) -> [UInt8] {
    var flags: UInt16 = version
    if checksum { flags |= 0x8000 }
    if key != nil { flags |= 0x2000 }
    if sequence != nil { flags |= 0x1000 }
    var h = be16(flags) + be16(proto)
    if checksum { h += [0, 0, 0, 0] }
    if let key { h += be32(key) }
    if let sequence { h += be32(sequence) }
    return h + payload
}

/// ERSPAN type II header (8 bytes): Ver=1, VLAN, COS/En/T, session id, index.
func erspan2(session: UInt16, vlan: UInt16 = 0, _ inner: [UInt8]) -> [UInt8] {
    be16(1 << 12 | vlan & 0x0fff) + be16(session & 0x03ff) + be32(0x0000_0007) + inner
}

/// ERSPAN type III header (12 bytes, 20 with the O flag's platform subheader).
func erspan3(session: UInt16, frameType: UInt16 = 0, oFlag: Bool = false, _ inner: [UInt8]) -> [UInt8] {
    var h = be16(2 << 12) + be16(session & 0x03ff) + be32(0x1234_5678) + be16(0xabcd)
    h += be16(frameType << 10 | (oFlag ? 1 : 0))
    if oFlag { h += [0x0c, 0, 0, 0, 0, 0, 0, 0x01] }
    return h + inner
}

// MARK: decoding helper

struct DecodeResult {
    var outcome: DecodeOutcome
    var packet: DecodedPacket
    /// The payload copied out while it was valid.
    var payload: [UInt8]
}

/// Decodes `frame` (a snaplen cut when `wireLength` is larger than it).
func decode(
    _ frame: [UInt8], linkType: LinkType = .ethernet, wireLength: Int? = nil, timestamp: Microseconds = 1_000_000,
    with decoder: inout PacketDecoder
) -> DecodeResult {
    var packet = DecodedPacket()
    return frame.withUnsafeBytes { buffer in
        let outcome = decoder.decode(
            buffer, wireLength: wireLength ?? frame.count, linkType: linkType, timestamp: timestamp, into: &packet)
        let payload = outcome == .decoded ? [UInt8](packet.payload) : []
        var copy = packet
        copy.payload = UnsafeRawBufferPointer(start: nil, count: 0)
        return DecodeResult(outcome: outcome, packet: copy, payload: payload)
    }
}

/// Decodes with a fresh decoder.
func decode(
    _ frame: [UInt8], linkType: LinkType = .ethernet, wireLength: Int? = nil, timestamp: Microseconds = 1_000_000,
    limits: DecodingLimits = DecodingLimits()
) -> DecodeResult {
    var decoder = PacketDecoder(limits: limits)
    return decode(frame, linkType: linkType, wireLength: wireLength, timestamp: timestamp, with: &decoder)
}

/// A small deterministic payload.
func pattern(_ count: Int, seed: UInt8 = 0x41) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: Int(seed) &+ $0 &* 7) }
}

/// Canonical test packets.
enum Sample {
    static let httpPayload = Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8)
    static let dnsPayload: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]

    static var tcpSegment: [UInt8] {
        tcp(sport: 49_152, dport: 80, seq: 0x0102_0304, ack: 0xa0b0_c0d0, flags: TCPFlagBits.ack | TCPFlagBits.psh,
            httpPayload)
    }
    static var ipv4TCP: [UInt8] { ipv4(proto: IPProto.tcp, tcpSegment) }
    static var ethernetIPv4TCP: [UInt8] { ethernet(type: EtherType.ipv4, ipv4TCP) }
    static var udpDatagram: [UInt8] { udp(sport: 53_000, dport: 53, dnsPayload) }
    static var ipv6UDP: [UInt8] { ipv6(nextHeader: IPProto.udp, udpDatagram) }
    static var ethernetIPv6UDP: [UInt8] { ethernet(type: EtherType.ipv6, ipv6UDP) }
}

// MARK: random numbers


/// GTP-U header (3GPP TS 29.281): flags (version 1, PT 1, E/S/PN), message
/// type, length of everything after the first 8 bytes, TEID; then sequence
/// number, N-PDU number and next extension type when any of E/S/PN is set,
/// then the extension headers (each already ending in its next-type byte).
func gtpu(
    teid: UInt32 = 0x1122_3344, messageType: UInt8 = 0xff, version: UInt8 = 1, sequence: UInt16? = nil,
    extensions: [[UInt8]] = [], firstExtensionType: UInt8 = 0x85, _ inner: [UInt8]
) -> [UInt8] {
    var flags: UInt8 = version << 5 | 0x10
    if sequence != nil { flags |= 0x02 }
    if !extensions.isEmpty { flags |= 0x04 }
    var optional: [UInt8] = []
    if flags & 0x07 != 0 {
        optional = be16(sequence ?? 0) + [0x00, extensions.isEmpty ? 0 : firstExtensionType]
        for e in extensions { optional += e }
    }
    return [flags, messageType] + be16(UInt16(optional.count + inner.count)) + be32(teid) + optional + inner
}

/// A PDU session container extension header (type 0x85), one 4-octet unit.
func gtpuPDUSessionContainer(next: UInt8 = 0) -> [UInt8] { [0x01, 0x10, 0x09, next] }
