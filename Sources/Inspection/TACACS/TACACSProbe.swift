extension Probes {
    /// TACACS+ (RFC 8907 §4.1), on any port: a valid 12-byte header
    /// (`TACACSPacket.Header`) from the side its sequence number says — odd
    /// from the client, even from the server — with a body length under 64 KiB.
    /// Flag bits are not judged: those RFC 8907 does not define are ignored.
    static let tacacs = AnalyzerDescriptor(
        name: "tacacs", app: .tacacs, portHints: [49],
        probeToServer: { bytes, _ in tacacsHeader(bytes, fromClient: true) },
        probeToClient: { bytes, _ in tacacsHeader(bytes, fromClient: false) },
        transport: .tcp)

    static func tacacsHeader(_ bytes: UnsafeRawBufferPointer, fromClient: Bool) -> ProbeResult {
        // Each byte is judged as it comes: other protocols' probes must not
        // wait for twelve bytes because this one could still match.
        if bytes.count >= 1 && bytes[0] & 0xfe != TACACSPacket.majorVersion { return .noMatch }
        if bytes.count >= 2 && !(TACACSPacket.authentication...TACACSPacket.accounting).contains(bytes[1]) { return .noMatch }
        if bytes.count >= 3 && (bytes[2] == 0 || (bytes[2] & 1 == 1) != fromClient) { return .noMatch }
        guard bytes.count >= TACACSPacket.headerSize else { return .needMore }
        guard let first = bytes.uint32BE(at: 0), let session = bytes.uint32BE(at: 4), let length = bytes.uint32BE(at: 8) else {
            return .noMatch
        }
        let header = TACACSPacket.Header(UInt64(first) << 32 | UInt64(session))
        return header.isValid && header.fromClient == fromClient && length <= TACACSPacket.maxBody ? .match : .noMatch
    }
}
