extension Probes {
    /// AMQP: the client opens with the protocol header, `AMQP` then four
    /// version bytes (0-9-1 `0 0 9 1`, 0-9 `1 1 0 9`, 0-8 `1 1 8 0`, 1.0
    /// `0 1 0 0` and its SASL layer `3 1 0 0`); the reader reads 0-8 to
    /// 0-9-1. AMQP 1.0's TLS header (`2 1 0 0`, §5.2.1) is answered by a TLS
    /// handshake: not matched, so an encrypted connection is not called AMQP in clear.
    static let amqp = AnalyzerDescriptor(
        name: "amqp", app: .amqp, portHints: [5672],
        probeToServer: { bytes, _ in
            switch hasPrefix(bytes, "AMQP") {
            case .match:
                guard bytes.count >= 8 else { return .needMore }
                let version = (bytes[4], bytes[5], bytes[6], bytes[7])
                switch version {
                case (0, 0, 9, 1), (1, 1, 0, 9), (1, 1, 8, 0), (0, 1, 0, 0), (3, 1, 0, 0): return .match
                default: return .noMatch
                }
            case let other: return other
            }
        },
        probeToClient: nil, transport: .tcp)
}
