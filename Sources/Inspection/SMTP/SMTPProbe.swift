extension Probes {
    /// SMTP: the client's EHLO/HELO, or a 220 greeting that names SMTP (or
    /// comes from a mail port: many greetings name only the host).
    static let smtp = AnalyzerDescriptor(
        name: "smtp", app: .smtp, portHints: [25, 465, 587, 2525],
        probeToServer: { bytes, _ in hasAnyPrefix(bytes, ["EHLO ", "HELO ", "ehlo ", "helo "]) },
        probeToClient: { bytes, port in
            let reply = isReplyLine(bytes, code: "220")
            guard case .match = reply else { return reply }
            if [25, 465, 587, 2525].contains(port) { return .match }
            return firstLineContains(bytes, "SMTP")
        },
        transport: .tcp, serverGreetsFirst: true)
}
