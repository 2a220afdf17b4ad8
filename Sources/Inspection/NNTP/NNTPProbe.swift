extension Probes {
    static let nntpPorts: [UInt16] = [119, 433]
    static let nntpCommands: [StaticString] = ["MODE READER", "AUTHINFO ", "mode reader", "authinfo "]
    static let nntpGreetingWords: [StaticString] = ["NNTP", "NNRP", "news"]

    /// NNTP: a `200`/`201` greeting (RFC 3977 §5.1.1) from a news port (the
    /// port hint) or one that names NNTP, NNRP (INN) or news; or a client
    /// opening with `MODE READER` or `AUTHINFO`, which only NNTP uses.
    static let nntp = AnalyzerDescriptor(
        name: "nntp", app: .nntp, portHints: nntpPorts,
        probeToServer: { bytes, _ in hasAnyPrefix(bytes, nntpCommands) },
        probeToClient: { bytes, port in
            var reply = isReplyLine(bytes, code: "200")
            if case .noMatch = reply { reply = isReplyLine(bytes, code: "201") }
            guard case .match = reply else { return reply }
            return nntpPorts.contains(port) ? .match : firstLineContainsAny(bytes, nntpGreetingWords)
        },
        transport: .tcp, serverGreetsFirst: true)
}
