extension Probes {
    /// POP3: the server greets with `+OK` (RFC 1939 §4).
    static let pop3 = AnalyzerDescriptor(
        name: "pop3", app: .pop3, portHints: [110],
        probeToServer: nil,
        probeToClient: { bytes, _ in hasPrefix(bytes, "+OK") },
        transport: .tcp, serverGreetsFirst: true)
}
