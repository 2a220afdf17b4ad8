extension Probes {
    /// Telnet: option negotiation, IAC (255) followed by WILL, WONT, DO or
    /// DONT (251–254), which either side sends first (RFC 854).
    static let telnet = AnalyzerDescriptor(
        name: "telnet", app: .telnet, portHints: [23],
        probeToServer: { bytes, _ in negotiation(bytes) },
        probeToClient: { bytes, _ in negotiation(bytes) },
        transport: .tcp)

    private static func negotiation(_ b: UnsafeRawBufferPointer) -> ProbeResult {
        guard b.count >= 1 else { return .needMore }
        guard b[0] == 255 else { return .noMatch }
        guard b.count >= 3 else { return .needMore }
        return (251...254).contains(b[1]) ? .match : .noMatch
    }
}
