extension Probes {
    /// MongoDB: a 16-byte little-endian message header (length, requestID,
    /// responseTo, opCode). The client's first message is a request
    /// (responseTo 0) with OP_MSG (2013: flag bits with only the defined bits
    /// 0, 1 and 16, then a section of kind 0 or 1) or OP_QUERY (2004: flag
    /// bits, then a printable collection name); the server's is a reply
    /// (responseTo not 0) with OP_MSG or OP_REPLY (1). The length must be
    /// below `maxFirstMongoMessage`, so four bytes tell most other protocols
    /// apart (a TLS record read as a little-endian length is far larger).
    static let mongodb = AnalyzerDescriptor(
        name: "mongodb", app: .mongodb, portHints: [27017],
        probeToServer: { bytes, _ in mongoMessage(bytes, request: true) },
        probeToClient: { bytes, _ in mongoMessage(bytes, request: false) },
        transport: .tcp)

    /// Largest first message of a direction the probe accepts: a handshake,
    /// a command or its reply. (MongoDB allows 48 MB; a flow picked up in the
    /// middle of a bulk insert or a large result goes unidentified.)
    static let maxFirstMongoMessage: UInt32 = 65_535

    static func mongoMessage(_ bytes: UnsafeRawBufferPointer, request: Bool) -> ProbeResult {
        guard bytes.count >= 4 else { return .needMore }
        guard let length = bytes.uint32LE(at: 0), length >= 21, length <= maxFirstMongoMessage else { return .noMatch }
        guard bytes.count >= 21 else { return .needMore }
        guard let responseTo = bytes.uint32LE(at: 8), let opCode = bytes.uint32LE(at: 12), let flags = bytes.uint32LE(at: 16),
            (responseTo == 0) == request
        else { return .noMatch }
        switch opCode {
        case 2013:
            return flags & ~0x1_0003 == 0 && bytes[20] <= 1 ? .match : .noMatch
        case 2004 where request:
            // Collection names: `db.$cmd`, `admin.$cmd`, ... printable, with a dot.
            guard flags & ~0xfe == 0 else { return .noMatch }
            var k = 20
            var dot = false
            while k < bytes.count && bytes[k] != 0 {
                guard bytes[k] > 0x20 && bytes[k] < 0x7f else { return .noMatch }
                dot = dot || bytes[k] == UInt8(ascii: ".")
                k += 1
            }
            if k < bytes.count { return dot ? .match : .noMatch }
            return bytes.count < AppIdentifier.maxProbeBytes ? .needMore : .noMatch
        case 1 where !request:
            // OP_REPLY: response flags (bits 0-3), cursor id, starting from, number returned.
            return flags & ~0xf == 0 ? .match : .noMatch
        default:
            return .noMatch
        }
    }
}
