extension Probes {
    /// IMAP: the server greets with an untagged OK or PREAUTH (RFC 9051 §7.1).
    static let imap = AnalyzerDescriptor(
        name: "imap", app: .imap, portHints: [143],
        probeToServer: nil,
        probeToClient: { bytes, _ in hasAnyPrefix(bytes, ["* OK", "* PREAUTH"]) },
        transport: .tcp, serverGreetsFirst: true)
}
