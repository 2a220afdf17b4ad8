extension Probes {
    static let ftpPorts: [UInt16] = [21]
    static let ftpAuthCommands: [StaticString] = ["AUTH TLS", "AUTH SSL"]

    /// FTP control: a 220 greeting that names FTP (or comes from port 21, the
    /// port hint), or a client opening with AUTH TLS/SSL, which only FTP uses.
    static let ftp = AnalyzerDescriptor(
        name: "ftp", app: .ftp, portHints: ftpPorts,
        probeToServer: { bytes, _ in hasAnyPrefix(bytes, ftpAuthCommands) },
        probeToClient: { bytes, port in
            let reply = isReplyLine(bytes, code: "220")
            guard case .match = reply else { return reply }
            return ftpPorts.contains(port) ? .match : firstLineContains(bytes, "FTP")
        },
        transport: .tcp, serverGreetsFirst: true)
}
