extension Probes {
    static let smtpPorts: [UInt16] = [25, 465, 587, 2525]
    static let smtpCommands: [StaticString] = ["EHLO ", "HELO ", "ehlo ", "helo "]

    /// SMTP: the client's EHLO/HELO, or a 220 greeting that names SMTP (or
    /// comes from a mail port — the port hint: many greetings name only the host).
    static let smtp = AnalyzerDescriptor(
        name: "smtp", app: .smtp, portHints: smtpPorts,
        probeToServer: { bytes, _ in hasAnyPrefix(bytes, smtpCommands) },
        probeToClient: { bytes, port in
            let reply = isReplyLine(bytes, code: "220")
            guard case .match = reply else { return reply }
            if smtpPorts.contains(port) { return .match }
            return firstLineContains(bytes, "SMTP")
        },
        transport: .tcp, serverGreetsFirst: true)
}
