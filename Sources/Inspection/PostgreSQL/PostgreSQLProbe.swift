extension Probes {
    /// PostgreSQL: the client's first message has no type byte — a 32-bit
    /// length and then a code: protocol 3.0 (StartupMessage), SSLRequest,
    /// GSSENCRequest or CancelRequest (PostgreSQL docs, "Message Formats").
    static let postgresql = AnalyzerDescriptor(
        name: "postgresql", app: .postgresql, portHints: [5432],
        probeToServer: { bytes, _ in
            // The length is below 2^24 in practice: a first byte other than 0 is not PostgreSQL.
            guard bytes.count >= 1 else { return .needMore }
            guard bytes[0] == 0 else { return .noMatch }
            guard bytes.count >= 8 else { return .needMore }
            let length = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
            let code = UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7])
            switch code {
            case 80_877_103, 80_877_104: return length == 8 ? .match : .noMatch
            case 80_877_102: return length == 16 ? .match : .noMatch
            case 196_608: return length >= 8 && length <= 10_000 ? .match : .noMatch
            default: return .noMatch
            }
        },
        probeToClient: nil, transport: .tcp)
}
