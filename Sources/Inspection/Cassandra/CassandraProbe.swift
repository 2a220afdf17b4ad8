extension Probes {
    /// Cassandra (CQL native protocol v3-v5): a 9-byte envelope header —
    /// version (3-5; bit 0x80 on responses), flags (only bits 0x01-0x10
    /// defined), stream id, opcode, 32-bit length. A client opens with
    /// OPTIONS (empty body) or STARTUP (a string map whose first key is an
    /// upper-case option name such as `CQL_VERSION`); a server answers with
    /// ERROR, READY, AUTHENTICATE or SUPPORTED.
    static let cassandra = AnalyzerDescriptor(
        name: "cassandra", app: .cassandra, portHints: [9042],
        probeToServer: { bytes, _ in cqlEnvelope(bytes, request: true) },
        probeToClient: { bytes, _ in cqlEnvelope(bytes, request: false) },
        transport: .tcp)

    static func cqlEnvelope(_ bytes: UnsafeRawBufferPointer, request: Bool) -> ProbeResult {
        guard bytes.count >= 9 else {
            guard bytes.count >= 1 else { return .needMore }
            return (3...5).contains(bytes[0] & 0x7f) && (bytes[0] & 0x80 == 0) == request ? .needMore : .noMatch
        }
        guard (3...5).contains(bytes[0] & 0x7f), (bytes[0] & 0x80 == 0) == request, bytes[1] & 0xe0 == 0,
            let length = bytes.uint32BE(at: 5), length <= 65_536
        else { return .noMatch }
        let opcode = bytes[4]
        guard request else {
            // ERROR, READY, AUTHENTICATE, SUPPORTED; a server's stream ids are the client's (not negative) here.
            return [0x00, 0x02, 0x03, 0x06].contains(opcode) && bytes[2] & 0x80 == 0 ? .match : .noMatch
        }
        switch opcode {
        case 0x05:  // OPTIONS
            return length == 0 ? .match : .noMatch
        case 0x01:  // STARTUP: [string map] n ≥ 1, then a key of upper-case letters and underscores
            guard bytes.count >= 13 else { return .needMore }
            let pairs = Int(bytes[9]) << 8 | Int(bytes[10])
            let keyLength = Int(bytes[11]) << 8 | Int(bytes[12])
            guard pairs >= 1, pairs <= 32, keyLength >= 2, keyLength <= 32, Int(length) >= 4 + keyLength else { return .noMatch }
            var k = 13
            while k < min(bytes.count, 13 + keyLength) {
                let c = bytes[k]
                guard c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") || c == UInt8(ascii: "_") else { return .noMatch }
                k += 1
            }
            return k == 13 + keyLength || bytes.count >= AppIdentifier.maxProbeBytes ? .match : .needMore
        default:
            return .noMatch
        }
    }
}
