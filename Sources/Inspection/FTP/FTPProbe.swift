extension Probes {
    /// FTP control: a 220 greeting that names FTP (or comes from port 21),
    /// or a client opening with AUTH TLS/SSL, which only FTP uses.
    static let ftp = AnalyzerDescriptor(
        name: "ftp", app: .ftp, portHints: [21],
        probeToServer: { bytes, _ in hasAnyPrefix(bytes, ["AUTH TLS", "AUTH SSL"]) },
        probeToClient: { bytes, port in
            let reply = isReplyLine(bytes, code: "220")
            guard case .match = reply else { return reply }
            return port == 21 ? .match : firstLineContains(bytes, "FTP")
        },
        transport: .tcp, serverGreetsFirst: true)
}
