extension Probes {
    /// TLS: a handshake record (type 22, version 3.x, x <= 4) whose first
    /// message is a ClientHello (client) or ServerHello (server); an
    /// SSLv2-format ClientHello / ServerHello (2-byte length with the high
    /// bit set, message type 1 or 4); or — for flows picked up mid-stream — a
    /// ChangeCipherSpec, alert or application-data record header (types
    /// 20, 21, 23) with a version of 3.x and a length a record can have.
    static let tls = AnalyzerDescriptor(
        name: "tls", app: .tls, portHints: [443, 465, 636, 853, 993, 995, 8443],
        probeToServer: { bytes, _ in tlsRecord(bytes, handshakeType: 1) ?? sslv2(bytes, messageType: 1) },
        probeToClient: { bytes, _ in tlsRecord(bytes, handshakeType: 2) ?? sslv2(bytes, messageType: 4) },
        transport: .tcp)

    /// Largest record length: 2^14 plaintext plus the 2048 bytes of expansion
    /// TLS 1.2 allows (RFC 5246 §6.2.3).
    static let maxTLSRecordLength = 16_384 + 2048

    private static func tlsRecord(_ b: UnsafeRawBufferPointer, handshakeType: UInt8) -> ProbeResult? {
        guard b.count >= 1, (20...23).contains(b[0]) else { return nil }
        guard b.count >= 6 else { return .needMore }
        guard b[1] == 3, b[2] <= 4 else { return nil }
        let length = Int(b[3]) << 8 | Int(b[4])
        guard length > 0, length <= maxTLSRecordLength else { return nil }
        if b[0] == 22 { return b[5] == handshakeType ? .match : nil }
        return .match
    }

    private static func sslv2(_ b: UnsafeRawBufferPointer, messageType: UInt8) -> ProbeResult {
        guard b.count >= 1 else { return .needMore }
        guard b[0] & 0x80 != 0 else { return .noMatch }
        guard b.count >= 5 else { return .needMore }
        let length = Int(b[0] & 0x7f) << 8 | Int(b[1])
        guard b[2] == messageType, length >= 9 else { return .noMatch }
        // ClientHello carries the highest version offered (2.0 or 3.x);
        // ServerHello carries a certificate type byte first.
        if messageType == 1 { return b[3] == 0 && b[4] == 2 || b[3] == 3 && b[4] <= 4 ? .match : .noMatch }
        return .match
    }
}
