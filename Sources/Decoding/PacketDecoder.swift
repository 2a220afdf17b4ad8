/// Limits for the decoding stage. Every buffer that grows with input is capped.
public struct DecodingLimits: Sendable {
    /// Datagrams being reassembled from IP fragments at once.
    public var maxFragmentedDatagrams = 1024
    /// Bytes held for incomplete datagrams, in total.
    public var maxFragmentBytes = 16 << 20
    /// An incomplete datagram is dropped when no fragment arrived for this long.
    public var fragmentTimeout: Microseconds = 30_000_000
    /// Nested tunnels (VXLAN in GRE in ...) followed before giving up.
    public var maxTunnelDepth = 4
    public init() {}
}

/// The result of decoding one frame.
public enum DecodeOutcome: Equatable {
    /// `packet` now describes a TCP or UDP packet.
    case decoded
    /// An IP fragment was stored; the datagram is not complete yet.
    case fragmentHeld
    /// Skipped, with the reason (also counted in `counters`).
    case skipped(DecodeIssue)
}

/// Decodes link layer, tunnels, IPv4/IPv6 (with fragment reassembly) and
/// TCP/UDP headers, in place. Reads only the captured bytes it is given;
/// every length from the wire is checked before use.
///
/// VLAN ids are not part of the flow context: a SPAN session that mirrors
/// both sides of a router sees each packet twice on two VLANs, and keeping
/// one flow lets reassembly treat the second copy as a retransmission.
public struct PacketDecoder {
    public private(set) var counters = DecodeCounters()
    public private(set) var fragments: FragmentReassembler
    let limits: DecodingLimits

    // Where the current top-level frame was cut by the snap length, if it was.
    @usableFromInline var snaplenCut = false
    @usableFromInline var tunnelDepth = 0
    /// Context (VNI, GRE key, ERSPAN session) of the tunnel being decoded, so
    /// the same inner datagram arriving through two mirror sessions is
    /// reassembled twice, not rejected as a conflicting overlap.
    var tunnelKey: UInt32 = 0

    public init(limits: DecodingLimits = DecodingLimits()) {
        self.limits = limits
        self.fragments = FragmentReassembler(limits: limits)
    }

    /// Decodes one captured frame.
    /// - Parameters:
    ///   - frame: the captured bytes (`caplen` of them).
    ///   - wireLength: the frame's length on the wire (`len`).
    ///   - packet: filled in when the outcome is `.decoded`; its payload
    ///     points into `frame` or into the fragment reassembler's buffer and
    ///     is valid until the next call.
    public mutating func decode(
        _ frame: UnsafeRawBufferPointer, wireLength: Int, linkType: LinkType,
        timestamp: Microseconds, into packet: inout DecodedPacket
    ) -> DecodeOutcome {
        snaplenCut = frame.count < wireLength
        tunnelDepth = 0
        tunnelKey = 0
        packet.timestamp = timestamp
        packet.tunnelContext = 0
        packet.vlan = 0
        let outcome = decodeLink(ByteReader(frame), linkType: linkType, into: &packet)
        switch outcome {
        case .skipped(let issue): counters.count(issue)
        case .decoded:
            if snaplenCut { counters.truncatedBySnaplen &+= 1 }
            if tunnelDepth > 0 { counters.tunnelled &+= 1 }
        case .fragmentHeld: break
        }
        return outcome
    }

    /// Drops incomplete datagrams whose last fragment is older than the timeout.
    public mutating func expireFragments(now: Microseconds) {
        fragments.expire(now: now)
    }

    // MARK: link layers

    mutating func decodeLink(_ r: ByteReader, linkType: LinkType, into p: inout DecodedPacket) -> DecodeOutcome {
        switch linkType {
        case .ethernet:
            return decodeEthernet(r, into: &p)
        case .raw, .rawAlternate:
            return decodeIPByVersion(r, into: &p)
        case .ipv4:
            return decodeIPv4(r, into: &p)
        case .ipv6:
            return decodeIPv6(r, into: &p)
        case .null, .loop:
            // 4-byte address family: host byte order of the writer for NULL,
            // network order for LOOP. Small values identify the order.
            guard let raw = r.getUInt32LittleEndian(at: 0), let body = r.getBytes(at: 4, length: r.bytes.count - 4)
            else { return .skipped(.truncatedLinkHeader) }
            let family = raw > 0xffff ? raw.byteSwapped : raw
            switch family {
            case 2: return decodeIPv4(ByteReader(body), into: &p)
            case 10, 24, 28, 30: return decodeIPv6(ByteReader(body), into: &p)
            default: return .skipped(.nonIP)
            }
        case .linuxCooked:
            guard let proto = r.getUInt16(at: 14), let body = r.getBytes(at: 16, length: r.bytes.count - 16)
            else { return .skipped(.truncatedLinkHeader) }
            return decodeEtherType(proto, ByteReader(body), into: &p)
        case .linuxCooked2:
            guard let proto = r.getUInt16(at: 0), let body = r.getBytes(at: 20, length: r.bytes.count - 20)
            else { return .skipped(.truncatedLinkHeader) }
            return decodeEtherType(proto, ByteReader(body), into: &p)
        case .ieee80211Radiotap:
            // Radiotap header: version, pad, little-endian length of the whole header.
            guard let length = r.getUInt16LittleEndian(at: 2), Int(length) >= 8,
                let body = r.getBytes(at: Int(length), length: r.bytes.count - Int(length))
            else { return .skipped(.truncatedLinkHeader) }
            return decode80211(ByteReader(body), into: &p)
        case .ieee80211:
            return decode80211(r, into: &p)
        default:
            return .skipped(.nonIP)
        }
    }

    mutating func decodeEthernet(_ r: ByteReader, into p: inout DecodedPacket) -> DecodeOutcome {
        guard let type = r.getUInt16(at: 12), let body = r.getBytes(at: 14, length: r.bytes.count - 14)
        else { return .skipped(.truncatedLinkHeader) }
        return decodeEtherType(type, ByteReader(body), into: &p)
    }

    /// Dispatches on an EtherType, peeling 802.1Q/QinQ tags, 802.3 LLC/SNAP,
    /// MPLS label stacks and PPPoE sessions on the way to IP.
    mutating func decodeEtherType(_ etherType: UInt16, _ body: ByteReader, into p: inout DecodedPacket) -> DecodeOutcome {
        var type = etherType
        var r = body
        var tags = 0
        while true {
            // Each layer below reads from the start of its own view.
            let rest = ByteReader(r.readableView)
            switch type {
            case 0x0800:
                return decodeIPv4(rest, into: &p)
            case 0x86dd:
                return decodeIPv6(rest, into: &p)
            case 0x8100, 0x88a8, 0x9100:
                tags += 1
                guard tags <= 8 else { return .skipped(.tooManyVLANTags) }
                guard let tci = r.readUInt16(), let next = r.readUInt16() else { return .skipped(.truncatedVLANTag) }
                p.vlan = tci & 0x0fff
                type = next
            case 0x8847, 0x8848:
                // MPLS: skip labels to the bottom of stack, then guess IP by version nibble.
                var labels = 0
                while true {
                    guard let entry = r.readUInt32() else { return .skipped(.truncatedLinkHeader) }
                    labels += 1
                    if entry & 0x100 != 0 { break }
                    guard labels < 16 else { return .skipped(.truncatedLinkHeader) }
                }
                return decodeIPByVersion(ByteReader(r.readableView), into: &p)
            case 0x8864:
                // PPPoE session: 6-byte header, then the PPP protocol field.
                guard r.moveReaderIndex(forwardBy: 6), let ppp = r.readUInt16() else {
                    return .skipped(.truncatedLinkHeader)
                }
                if ppp == 0x0021 { return decodeIPv4(ByteReader(r.readableView), into: &p) }
                if ppp == 0x0057 { return decodeIPv6(ByteReader(r.readableView), into: &p) }
                return .skipped(.nonIP)
            default:
                if type <= 1500 {
                    // 802.3 length field: only LLC/SNAP carries an EtherType.
                    guard rest.getUInt8(at: 0) == 0xaa, rest.getUInt8(at: 1) == 0xaa, rest.getUInt8(at: 2) == 0x03,
                        let next = rest.getUInt16(at: 6), r.moveReaderIndex(forwardBy: 8)
                    else { return .skipped(.nonIP) }
                    type = next
                    continue
                }
                return .skipped(.nonIP)
            }
        }
    }

    mutating func decode80211(_ r: ByteReader, into p: inout DecodedPacket) -> DecodeOutcome {
        guard let control = r.getUInt16LittleEndian(at: 0) else { return .skipped(.truncatedLinkHeader) }
        let frameType = (control >> 2) & 0x3
        let subtype = (control >> 4) & 0xf
        // Only unprotected data frames carry readable IP; protected ones are
        // WEP/WPA ciphertext.
        guard frameType == 2, control & 0x4000 == 0, subtype & 0x4 == 0 else { return .skipped(.nonIP) }
        var headerLength = 24
        if control & 0x0300 == 0x0300 { headerLength += 6 }  // ToDS and FromDS: fourth address
        if subtype & 0x8 != 0 {
            headerLength += 2  // QoS control
            if control & 0x8000 != 0 { headerLength += 4 }  // HT control
        }
        guard let body = r.getBytes(at: headerLength, length: r.bytes.count - headerLength) else {
            return .skipped(.truncatedLinkHeader)
        }
        let llc = ByteReader(body)
        guard llc.getUInt8(at: 0) == 0xaa, llc.getUInt8(at: 1) == 0xaa, let type = llc.getUInt16(at: 6),
            let payload = llc.getBytes(at: 8, length: body.count - 8)
        else { return .skipped(.nonIP) }
        return decodeEtherType(type, ByteReader(payload), into: &p)
    }

    // MARK: IP

    mutating func decodeIPByVersion(_ r: ByteReader, into p: inout DecodedPacket) -> DecodeOutcome {
        switch r.getUInt8(at: 0).map({ $0 >> 4 }) {
        case 4: return decodeIPv4(r, into: &p)
        case 6: return decodeIPv6(r, into: &p)
        case nil: return .skipped(.truncatedIPv4Header)
        default: return .skipped(.nonIP)
        }
    }

    mutating func decodeIPv4(_ r: ByteReader, into p: inout DecodedPacket) -> DecodeOutcome {
        guard r.bytes.count >= 20, let versionIHL = r.getUInt8(at: 0) else { return .skipped(.truncatedIPv4Header) }
        let headerLength = Int(versionIHL & 0x0f) * 4
        guard versionIHL >> 4 == 4, headerLength >= 20 else { return .skipped(.badIPv4Header) }
        guard r.bytes.count >= headerLength else { return .skipped(.truncatedIPv4Header) }
        var totalLength = Int(r.getUInt16(at: 2)!)  // safe: 20 bytes checked above
        if totalLength == 0 && tunnelDepth == 0 {
            // TCP segmentation offload: the NIC fills the length in later, so
            // captures on the sending host show 0. Take what was captured.
            totalLength = r.bytes.count
        }
        guard totalLength >= headerLength else { return .skipped(.badIPv4TotalLength) }
        // A shorter capture is fine when the snap length cut it; otherwise the
        // header lies. Longer captures carry link padding, which is dropped.
        if totalLength > r.bytes.count && !snaplenCut { return .skipped(.badIPv4TotalLength) }
        let flagsOffset = r.getUInt16(at: 6)!
        let proto = r.getUInt8(at: 9)!
        let source = IPAddress(ipv4: r.getUInt32(at: 12)!)
        let destination = IPAddress(ipv4: r.getUInt32(at: 16)!)
        let capturedEnd = min(totalLength, r.bytes.count)
        let payload = r.getBytes(at: headerLength, length: capturedEnd - headerLength)!
        let payloadWireLength = totalLength - headerLength

        let fragmentOffset = Int(flagsOffset & 0x1fff) * 8
        let moreFragments = flagsOffset & 0x2000 != 0
        if moreFragments || fragmentOffset != 0 {
            guard payload.count == payloadWireLength else { return .skipped(.truncatedFragment) }
            let key = FragmentKey(
                source: source, destination: destination, identification: UInt32(r.getUInt16(at: 4)!),
                protocolNumber: proto, isIPv6: false, tunnel: tunnelKey)
            switch fragments.add(
                key: key, offset: fragmentOffset, bytes: payload, isLast: !moreFragments, now: p.timestamp)
            {
            case .held: return .fragmentHeld
            case .rejected(let issue): return .skipped(issue)
            case .complete(let datagram):
                return decodeTransport(
                    proto, ByteReader(datagram), wireLength: datagram.count, source: source,
                    destination: destination, isIPv6: false, into: &p)
            }
        }
        return decodeTransport(
            proto, ByteReader(payload), wireLength: payloadWireLength, source: source, destination: destination,
            isIPv6: false, into: &p)
    }

    mutating func decodeIPv6(_ r: ByteReader, into p: inout DecodedPacket) -> DecodeOutcome {
        guard r.bytes.count >= 40, let first = r.getUInt8(at: 0) else { return .skipped(.truncatedIPv6Header) }
        guard first >> 4 == 6 else { return .skipped(.badIPv6Header) }
        var payloadLength = Int(r.getUInt16(at: 4)!)  // safe: 40 bytes checked above
        if payloadLength == 0 {
            // Jumbogram or segmentation offload: use what was captured.
            payloadLength = r.bytes.count - 40
        }
        if 40 + payloadLength > r.bytes.count && !snaplenCut { return .skipped(.truncatedIPv6Header) }
        let source = IPAddress(high: r.getUInt64(at: 8)!, low: r.getUInt64(at: 16)!)
        let destination = IPAddress(high: r.getUInt64(at: 24)!, low: r.getUInt64(at: 32)!)
        let capturedEnd = min(40 + payloadLength, r.bytes.count)
        let body = ByteReader(r.getBytes(at: 40, length: capturedEnd - 40)!)
        return decodeIPv6Chain(
            r.getUInt8(at: 6)!, body, wireLength: payloadLength, source: source, destination: destination,
            into: &p)
    }

    /// Walks IPv6 extension headers from `nextHeader` to the transport.
    mutating func decodeIPv6Chain(
        _ nextHeader: UInt8, _ body: ByteReader, wireLength: Int, source: IPAddress, destination: IPAddress,
        into p: inout DecodedPacket
    ) -> DecodeOutcome {
        var next = nextHeader
        var r = body
        var wire = wireLength
        var headers = 0
        while true {
            switch next {
            case 0, 43, 60, 135, 139, 140, 51, 44:
                headers += 1
                guard headers <= PacketDecoder.maxIPv6ExtensionHeaders else {
                    return .skipped(.tooManyIPv6ExtensionHeaders)
                }
            default:
                break
            }
            switch next {
            case 0, 43, 60, 135, 139, 140:
                // Hop-by-hop, routing, destination options, mobility, HIP, shim6:
                // next header, length in 8-octet units not counting the first.
                guard let n = r.getUInt8(at: r.readerIndex), let units = r.getUInt8(at: r.readerIndex + 1) else {
                    return .skipped(.badIPv6ExtensionHeader)
                }
                let length = (Int(units) + 1) * 8
                guard r.moveReaderIndex(forwardBy: length) else { return .skipped(.badIPv6ExtensionHeader) }
                next = n
                wire -= length
            case 51:
                // Authentication header: length in 4-octet units minus 2.
                guard let n = r.getUInt8(at: r.readerIndex), let units = r.getUInt8(at: r.readerIndex + 1) else {
                    return .skipped(.badIPv6ExtensionHeader)
                }
                let length = (Int(units) + 2) * 4
                guard r.moveReaderIndex(forwardBy: length) else { return .skipped(.badIPv6ExtensionHeader) }
                next = n
                wire -= length
            case 44:
                guard let n = r.getUInt8(at: r.readerIndex), let offsetFlags = r.getUInt16(at: r.readerIndex + 2),
                    let identification = r.getUInt32(at: r.readerIndex + 4), r.moveReaderIndex(forwardBy: 8)
                else { return .skipped(.badIPv6ExtensionHeader) }
                wire -= 8
                let fragment = r.readableView
                guard fragment.count == wire else { return .skipped(.truncatedFragment) }
                let offset = Int(offsetFlags & 0xfff8)
                let moreFragments = offsetFlags & 1 != 0
                if offset == 0 && !moreFragments {
                    // An atomic fragment: nothing to reassemble.
                    next = n
                    continue
                }
                let key = FragmentKey(
                    source: source, destination: destination, identification: identification,
                    protocolNumber: n, isIPv6: true, tunnel: tunnelKey)
                switch fragments.add(key: key, offset: offset, bytes: fragment, isLast: !moreFragments, now: p.timestamp) {
                case .held: return .fragmentHeld
                case .rejected(let issue): return .skipped(issue)
                case .complete(let datagram):
                    r = ByteReader(datagram)
                    wire = datagram.count
                    next = n
                }
            default:
                guard wire >= r.readableBytes else { return .skipped(.badIPv6ExtensionHeader) }
                return decodeTransport(
                    next, ByteReader(r.readableView), wireLength: wire, source: source,
                    destination: destination, isIPv6: true, into: &p)
            }
        }
    }

    /// Extension headers followed before a packet is called malformed.
    static let maxIPv6ExtensionHeaders = 16

    // MARK: transport and tunnels

    mutating func decodeTransport(
        _ proto: UInt8, _ r: ByteReader, wireLength: Int, source: IPAddress, destination: IPAddress, isIPv6: Bool,
        into p: inout DecodedPacket
    ) -> DecodeOutcome {
        switch proto {
        case 6:
            guard r.bytes.count >= 20 else { return .skipped(.truncatedTCPHeader) }
            let headerLength = Int(r.getUInt8(at: 12)! >> 4) * 4  // safe: 20 bytes checked
            guard headerLength >= 20, headerLength <= wireLength else { return .skipped(.badTCPDataOffset) }
            guard r.bytes.count >= headerLength else { return .skipped(.truncatedTCPHeader) }
            guard TCPOptions.areWellFormed(r.getBytes(at: 20, length: headerLength - 20)!) else {
                return .skipped(.badTCPOptions)
            }
            p.transport = .tcp
            p.sourcePort = r.getUInt16(at: 0)!
            p.destinationPort = r.getUInt16(at: 2)!
            p.sequenceNumber = r.getUInt32(at: 4)!
            p.acknowledgmentNumber = r.getUInt32(at: 8)!
            p.tcpFlags = TCPFlags(rawValue: r.getUInt8(at: 13)!)
            p.payload = r.getBytes(at: headerLength, length: r.bytes.count - headerLength)!
            p.payloadWireLength = wireLength - headerLength
        case 17:
            guard r.bytes.count >= 8 else { return .skipped(.truncatedUDPHeader) }
            let length = Int(r.getUInt16(at: 4)!)
            guard length >= 8, length <= wireLength else { return .skipped(.badUDPLength) }
            p.transport = .udp
            p.sourcePort = r.getUInt16(at: 0)!
            p.destinationPort = r.getUInt16(at: 2)!
            p.tcpFlags = []
            p.sequenceNumber = 0
            p.acknowledgmentNumber = 0
            p.payload = r.getBytes(at: 8, length: min(length, r.bytes.count) - 8)!
            p.payloadWireLength = length - 8
            if p.destinationPort == 4789, let outcome = decodeVXLAN(ByteReader(p.payload), into: &p)
            {
                return outcome
            }
            if p.destinationPort == 2152 || p.sourcePort == 2152, let outcome = decodeGTPU(ByteReader(p.payload), into: &p)
            {
                return outcome
            }
        case 47:
            return decodeGRE(r, into: &p)
        case 4, 41:
            // IP in IP (4) and IPv6 in IP (41).
            guard tunnelDepth < limits.maxTunnelDepth else { return .skipped(.tunnelTooDeep) }
            tunnelDepth += 1
            return proto == 4 ? decodeIPv4(r, into: &p) : decodeIPv6(r, into: &p)
        default:
            return .skipped(.otherTransport)
        }
        p.source = source
        p.destination = destination
        p.isIPv6 = isIPv6
        return .decoded
    }

    /// VXLAN (RFC 7348): 8-byte header with the I flag and a 24-bit VNI, then
    /// Ethernet. Returns nil when the header is not VXLAN, so the datagram is
    /// kept as plain UDP.
    mutating func decodeVXLAN(_ r: ByteReader, into p: inout DecodedPacket) -> DecodeOutcome? {
        guard let flags = r.getUInt8(at: 0), flags & 0x08 != 0, let vni = r.getUInt32(at: 4),
            let inner = r.getBytes(at: 8, length: r.bytes.count - 8), inner.count >= 14
        else { return nil }
        guard tunnelDepth < limits.maxTunnelDepth else { return .skipped(.tunnelTooDeep) }
        tunnelDepth += 1
        let context = vni >> 8
        tunnelKey = context
        p.vlan = 0  // the inner frame's tag (if any) is the innermost one
        let outcome = decodeEthernet(ByteReader(inner), into: &p)
        if outcome == .decoded && p.tunnelContext == 0 { p.tunnelContext = context }
        return outcome
    }

    /// GTP-U (3GPP TS 29.281), the user-plane tunnel of mobile networks: an
    /// 8-byte header (version 1, protocol type GTP, message type 255 = T-PDU
    /// carrying an IP packet), 4 more bytes when any of the E/S/PN flags is
    /// set, then extension headers chained by their last byte. The TEID is
    /// not used as flow context: uplink and downlink use different TEIDs.
    /// Returns nil when the header is not a T-PDU, keeping the datagram as UDP.
    mutating func decodeGTPU(_ r: ByteReader, into p: inout DecodedPacket) -> DecodeOutcome? {
        guard let flags = r.getUInt8(at: 0), flags >> 5 == 1, flags & 0x10 != 0, r.getUInt8(at: 1) == 0xff else {
            return nil
        }
        guard tunnelDepth < limits.maxTunnelDepth else { return .skipped(.tunnelTooDeep) }
        var offset = 8
        if flags & 0x07 != 0 {
            guard var next = r.getUInt8(at: 11) else { return .skipped(.truncatedTunnelHeader) }
            offset = 12
            if flags & 0x04 != 0 {
                // Extension headers: length in 4-octet units, next type in the last byte.
                var count = 0
                while next != 0 {
                    guard count < 16, let units = r.getUInt8(at: offset), units > 0 else {
                        return .skipped(.truncatedTunnelHeader)
                    }
                    let length = Int(units) * 4
                    guard let n = r.getUInt8(at: offset + length - 1) else { return .skipped(.truncatedTunnelHeader) }
                    next = n
                    offset += length
                    count += 1
                }
            }
        }
        guard let inner = r.getBytes(at: offset, length: r.bytes.count - offset), !inner.isEmpty else {
            return .skipped(.truncatedTunnelHeader)
        }
        tunnelDepth += 1
        return decodeIPByVersion(ByteReader(inner), into: &p)
    }

    /// GRE (RFC 2784/2890) carrying IP, Ethernet (0x6558) or ERSPAN type I/II
    /// (0x88BE) and type III (0x22EB).
    mutating func decodeGRE(_ r: ByteReader, into p: inout DecodedPacket) -> DecodeOutcome {
        guard tunnelDepth < limits.maxTunnelDepth else { return .skipped(.tunnelTooDeep) }
        guard let flags = r.getUInt16(at: 0), let proto = r.getUInt16(at: 2) else {
            return .skipped(.truncatedTunnelHeader)
        }
        // Version 1 is PPTP's enhanced GRE, which carries PPP, not IP directly.
        guard flags & 0x0007 == 0 else { return .skipped(.unsupportedTunnelPayload) }
        var offset = 4
        var key: UInt32 = 0
        let hasSequence = flags & 0x1000 != 0
        if flags & 0x8000 != 0 { offset += 4 }  // checksum + reserved
        if flags & 0x2000 != 0 {
            guard let k = r.getUInt32(at: offset) else { return .skipped(.truncatedTunnelHeader) }
            key = k
            offset += 4
        }
        if hasSequence { offset += 4 }
        guard var inner = r.getBytes(at: offset, length: r.bytes.count - offset) else {
            return .skipped(.truncatedTunnelHeader)
        }
        tunnelDepth += 1
        tunnelKey = key
        p.vlan = 0  // the inner frame's tag (if any) is the innermost one
        let outcome: DecodeOutcome
        switch proto {
        case 0x0800, 0x86dd:
            outcome = decodeEtherType(proto, ByteReader(inner), into: &p)
        case 0x6558:
            outcome = decodeEthernet(ByteReader(inner), into: &p)
        case 0x88be:
            // ERSPAN type II has an 8-byte header and sets the GRE sequence
            // bit; type I has neither.
            if hasSequence {
                let e = ByteReader(inner)
                guard let session = e.getUInt16(at: 2), let rest = e.getBytes(at: 8, length: inner.count - 8) else {
                    return .skipped(.truncatedTunnelHeader)
                }
                key = UInt32(session & 0x03ff)
                tunnelKey = key
                inner = rest
            }
            outcome = decodeEthernet(ByteReader(inner), into: &p)
        case 0x22eb:
            // ERSPAN type III: 12-byte header, an 8-byte platform subheader when
            // the O flag is set; frame type 0 is Ethernet.
            let e = ByteReader(inner)
            guard let session = e.getUInt16(at: 2), let last = e.getUInt16(at: 10) else {
                return .skipped(.truncatedTunnelHeader)
            }
            let frameType = (last >> 10) & 0x1f
            guard frameType == 0 else { return .skipped(.unsupportedTunnelPayload) }
            let headerLength = last & 0x1 != 0 ? 20 : 12
            guard let rest = e.getBytes(at: headerLength, length: inner.count - headerLength) else {
                return .skipped(.truncatedTunnelHeader)
            }
            key = UInt32(session & 0x03ff)
            tunnelKey = key
            outcome = decodeEthernet(ByteReader(rest), into: &p)
        default:
            return .skipped(.unsupportedTunnelPayload)
        }
        if outcome == .decoded && p.tunnelContext == 0 { p.tunnelContext = key }
        return outcome
    }
}

/// TCP options (RFC 9293 §3.1): kinds 0 (end) and 1 (no-op) are one byte;
/// every other kind carries a length of at least 2 that must fit.
enum TCPOptions {
    static func areWellFormed(_ options: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i < options.count {
            let kind = options[i]
            if kind == 0 { return true }
            if kind == 1 { i += 1; continue }
            guard i + 1 < options.count else { return false }
            let length = Int(options[i + 1])
            guard length >= 2, i + length <= options.count else { return false }
            i += length
        }
        return true
    }
}
