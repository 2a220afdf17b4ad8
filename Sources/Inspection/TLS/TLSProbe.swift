extension Probes {
    /// TLS: a handshake record (type 22, version 3.x, x <= 4) whose first
    /// message is a ClientHello (client) or ServerHello (server); an alert
    /// record from the server; or an SSLv2-format ClientHello / ServerHello
    /// (2-byte length with the high bit set, message type 1 or 4).
    static let tls = AnalyzerDescriptor(
        name: "tls", app: .tls, portHints: [443, 465, 636, 853, 993, 995, 8443],
        probeToServer: { bytes, _ in tlsRecord(bytes, handshakeType: 1) ?? sslv2(bytes, messageType: 1) },
        probeToClient: { bytes, _ in tlsRecord(bytes, handshakeType: 2) ?? sslv2(bytes, messageType: 4) },
        transport: .tcp)

    private static func tlsRecord(_ b: UnsafeRawBufferPointer, handshakeType: UInt8) -> ProbeResult? {
        guard b.count >= 1, b[0] == 22 || (b[0] == 21 && handshakeType == 2) else { return nil }
        guard b.count >= 6 else { return .needMore }
        guard b[1] == 3, b[2] <= 4 else { return nil }
        if b[0] == 21 { return .match }
        return b[5] == handshakeType ? .match : nil
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
