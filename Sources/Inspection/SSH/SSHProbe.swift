extension Probes {
    /// SSH: both sides open with an identification string `SSH-` (RFC 4253 §4.2).
    static let ssh = AnalyzerDescriptor(
        name: "ssh", app: .ssh, portHints: [22],
        probeToServer: { bytes, _ in hasPrefix(bytes, "SSH-") },
        probeToClient: { bytes, _ in hasPrefix(bytes, "SSH-") },
        transport: .tcp)
}
