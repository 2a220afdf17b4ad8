extension Probes {
    /// IRC (RFC 1459, RFC 2812 §3.1): a client opens with `CAP LS`/`CAP REQ`
    /// (IRCv3 capability negotiation), `NICK name`, `USER name mode unused
    /// :real name` (told from FTP/POP3's `USER name` by its four
    /// parameters), or — on IRC ports only, since FTP and POP3 share the verb
    /// — `PASS`. A server opens with a notice (`:irc.example NOTICE * :***
    /// Looking up your hostname`, `NOTICE AUTH :...`) or a numeric reply.
    static let irc = AnalyzerDescriptor(
        name: "irc", app: .irc, portHints: ircPorts,
        probeToServer: { bytes, port in ircClientStart(bytes, serverPort: port) },
        probeToClient: { bytes, _ in ircServerStart(bytes) },
        transport: .tcp, serverGreetsFirst: true)

    static let ircPorts: [UInt16] = [6667, 6660, 6661, 6662, 6663, 6664, 6665, 6666, 6668, 6669, 7000]

    /// What an IRC client's first line starts with (any case).
    static let ircClientVerbs: [StaticString] = ["cap ", "nick ", "user ", "pass "]

    static func ircClientStart(_ bytes: UnsafeRawBufferPointer, serverPort: UInt16) -> ProbeResult {
        // Decided on the first bytes that cannot start a registration command.
        var possible = false
        for verb in ircClientVerbs where hasCaseInsensitivePrefix(bytes, verb) != .noMatch { possible = true }
        guard possible else { return .noMatch }
        guard let line = firstLine(bytes) else { return .needMore }
        guard let m = IRCMessage(line), m.prefix.isEmpty else { return .noMatch }
        if m.command(is: "CAP") {
            guard let sub = m.parameter(0) else { return .noMatch }
            return IRCMessage.equalsIgnoringCase(sub, "LS") || IRCMessage.equalsIgnoringCase(sub, "REQ") ? .match : .noMatch
        }
        if m.command(is: "NICK") { return m.parameter(0).map { !$0.isEmpty } == true && m.parameter(1) == nil ? .match : .noMatch }
        if m.command(is: "USER") { return m.parameter(3) != nil ? .match : .noMatch }
        if m.command(is: "PASS") { return ircPorts.contains(serverPort) && m.parameter(0) != nil ? .match : .noMatch }
        return .noMatch
    }

    static func ircServerStart(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        guard let first = bytes.first else { return .needMore }
        guard first == UInt8(ascii: ":") || hasCaseInsensitivePrefix(bytes, "notice ") != .noMatch else { return .noMatch }
        guard let line = firstLine(bytes) else { return .needMore }
        guard let m = IRCMessage(line) else { return .noMatch }
        if m.command(is: "NOTICE") {
            // `NOTICE AUTH :...` (older servers) or `:server NOTICE <target> :...`.
            guard let target = m.parameter(0), m.parameter(1) != nil else { return .noMatch }
            return !m.prefix.isEmpty || IRCMessage.equalsIgnoringCase(target, "AUTH") ? .match : .noMatch
        }
        // `:server 001 nick :Welcome` (a client that skipped to registration).
        if let code = m.numeric, !m.prefix.isEmpty, code >= 1 && code <= 5 || code == 433 || code == 464 { return .match }
        return .noMatch
    }

    /// The first line (without CR LF), or nil while it may still be coming
    /// (no LF within the bytes and under the probe budget).
    static func firstLine(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let lf = bytes.firstIndex(of: 0x0a) else {
            // A long first line (a capability list) decides on what fits.
            return bytes.count >= AppIdentifier.maxProbeBytes ? bytes : nil
        }
        let end = lf > 0 && bytes[lf - 1] == 0x0d ? lf - 1 : lf
        return UnsafeRawBufferPointer(rebasing: bytes[..<end])
    }
}
