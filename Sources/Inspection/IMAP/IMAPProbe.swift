extension Probes {
    static let imapGreetings: [StaticString] = ["* OK", "* PREAUTH"]

    /// IMAP: the server greets with an untagged OK or PREAUTH (RFC 9051 §7.1).
    static let imap = AnalyzerDescriptor(
        name: "imap", app: .imap, portHints: [143],
        probeToServer: nil,
        probeToClient: { bytes, _ in hasAnyPrefix(bytes, imapGreetings) },
        transport: .tcp, serverGreetsFirst: true)
}
