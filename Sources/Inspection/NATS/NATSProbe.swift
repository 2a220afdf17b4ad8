extension Probes {
    /// NATS: the server greets with `INFO {` (a JSON object follows); the
    /// client's first line is `CONNECT {`. Listed before HTTP, whose probe
    /// takes any `CONNECT ` as a proxy request.
    static let nats = AnalyzerDescriptor(
        name: "nats", app: .nats, portHints: [4222],
        probeToServer: { bytes, _ in hasPrefix(bytes, "CONNECT {") },
        probeToClient: { bytes, _ in hasPrefix(bytes, "INFO {") },
        transport: .tcp, serverGreetsFirst: true)
}
