extension Probes {
    /// DNS over UDP, on any port: a 12-byte header (RFC 1035 §4.1.1) with a
    /// standard opcode and exactly one question whose name is well-formed
    /// labels (or a compression pointer, in responses) followed by a class of
    /// IN, ANY or mDNS's unicast-response IN.
    static let dns = AnalyzerDescriptor(
        name: "dns", app: .dns, portHints: [53, 5353, 5355],
        probeToServer: { bytes, _ in message(bytes) },
        probeToClient: { bytes, _ in message(bytes) },
        transport: .udp)

    private static func message(_ b: UnsafeRawBufferPointer) -> ProbeResult {
        guard b.count >= 17 else { return .noMatch }
        let opcode = (b[2] >> 3) & 0x0f
        let questions = Int(b[4]) << 8 | Int(b[5])
        guard opcode <= 6, questions == 1 else { return .noMatch }
        var i = 12
        while true {
            guard i < b.count else { return .noMatch }
            let length = Int(b[i])
            if length == 0 { i += 1; break }
            if length & 0xc0 == 0xc0 { i += 2; break }
            guard length <= 63 else { return .noMatch }
            i += 1 + length
        }
        guard i + 4 <= b.count else { return .noMatch }
        let qclass = Int(b[i + 2]) << 8 | Int(b[i + 3])
        return qclass == 1 || qclass == 255 || qclass == 0x8001 ? .match : .noMatch
    }
}
