extension Probes {
    /// Kafka: the client speaks first with a request — int32 size (a first
    /// request is small: 10 bytes to 64 KiB), api_key (0-99), api_version
    /// (0-29), correlation_id, then client_id, an int16-length string (-1:
    /// null) of printable characters that fits in the size. Usually
    /// ApiVersions (18), Metadata (3) or SaslHandshake (17).
    static let kafka = AnalyzerDescriptor(
        name: "kafka", app: .kafka, portHints: [9092],
        probeToServer: { bytes, _ in kafkaRequest(bytes) },
        probeToClient: nil, transport: .tcp)

    static let kafkaMaxFirstRequest: UInt32 = 1 << 16

    static func kafkaRequest(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        guard bytes.count >= 14 else {
            // Decide early when the fixed fields already rule Kafka out.
            if bytes.count >= 1 && bytes[0] != 0 { return .noMatch }
            return .needMore
        }
        guard let size = bytes.uint32BE(at: 0), size >= 10, size <= kafkaMaxFirstRequest,
            let apiKey = bytes.uint16BE(at: 4), apiKey < 100, let version = bytes.uint16BE(at: 6), version < 30,
            let clientIDLength = bytes.uint16BE(at: 12)
        else { return .noMatch }
        if clientIDLength == 0xffff { return .match }  // null client id
        guard clientIDLength < 0x8000, 10 + UInt32(clientIDLength) <= size else { return .noMatch }
        let end = min(bytes.count, 14 + Int(clientIDLength))
        for k in 14..<end where bytes[k] < 0x20 || bytes[k] >= 0x7f { return .noMatch }
        if clientIDLength == 0 || end > 14 && (end == 14 + Int(clientIDLength) || bytes.count >= AppIdentifier.maxProbeBytes) {
            return .match
        }
        return .needMore
    }
}
