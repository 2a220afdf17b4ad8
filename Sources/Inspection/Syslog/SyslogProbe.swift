extension Probes {
    /// syslog over UDP (RFC 5426): one message per datagram, `<PRI>` and a
    /// header `syslogMessage` recognises. syslog has no credential: the
    /// exposure is the log stream itself (`cleartext.syslog`).
    static let syslog = AnalyzerDescriptor(
        name: "syslog", app: .syslog, portHints: [514],
        probeToServer: { bytes, port in
            // A datagram is whole: what would wait for more bytes is no message.
            let result = syslogMessage(bytes, serverPort: port)
            return result == .needMore ? .noMatch : result
        },
        probeToClient: nil,
        transport: .udp)

    /// syslog over TCP (RFC 6587), as a sender's stream starts: a message
    /// framed by octet counting (`MSG-LEN SP <PRI>...`, §3.4.1) or by its
    /// trailing LF (`<PRI>...`, §3.4.2); or RELP, rsyslog's acknowledged
    /// transport, whose client opens with `1 open DATALEN relp_version=`
    /// and then sends each message as `TXNR syslog DATALEN <PRI>...`. Port
    /// 514 is the one rsyslog and syslog-ng use in practice, 601 the one
    /// RFC 3195 registered; RELP has none.
    static let syslogTCP = AnalyzerDescriptor(
        name: "syslog", app: .syslog, portHints: [514, 601],
        probeToServer: { bytes, port in syslogStream(bytes, serverPort: port) },
        probeToClient: nil,
        transport: .tcp)

    static let syslogMonths: [StaticString] = [
        "Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ", "Sep ", "Oct ", "Nov ", "Dec ",
    ]

    /// The start of a TCP syslog stream, judged byte by byte so that a stream
    /// of another protocol is let go at its first byte that cannot be syslog.
    static func syslogStream(_ bytes: UnsafeRawBufferPointer, serverPort: UInt16) -> ProbeResult {
        guard let first = bytes.first else { return .needMore }
        if first == UInt8(ascii: "<") { return syslogMessage(bytes, serverPort: serverPort) }
        // MSG-LEN or RELP's transaction number: NONZERO-DIGIT *DIGIT. Eight
        // digits (100 MB) are more than any syslog server takes in one message.
        guard first >= 0x31 && first <= 0x39 else { return .noMatch }
        var k = 1
        while k < bytes.count && k < 8 && isDigit(bytes[k]) { k += 1 }
        if k == 8 { return .noMatch }
        guard k < bytes.count else { return .needMore }
        guard bytes[k] == UInt8(ascii: " ") else { return .noMatch }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[(k + 1)...])
        guard let next = rest.first else { return .needMore }
        if next == UInt8(ascii: "<") { return syslogMessage(rest, serverPort: serverPort) }
        // RELP's session starts with transaction 1, an `open` offering its version.
        guard k == 1 && first == UInt8(ascii: "1") else { return .noMatch }
        return relpOpen(rest)
    }

    /// `open DATALEN relp_version=` (librelp sends that offer first).
    private static func relpOpen(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        switch hasPrefix(bytes, "open ") {
        case .match: break
        case let other: return other
        }
        // An offer list is short: six digits are plenty.
        var k = 5
        while k < bytes.count && k < 12 && isDigit(bytes[k]) { k += 1 }
        if k == 12 { return .noMatch }
        guard k < bytes.count else { return .needMore }
        guard k > 5, bytes[k] == UInt8(ascii: " ") else { return .noMatch }
        return hasPrefix(UnsafeRawBufferPointer(rebasing: bytes[(k + 1)...]), "relp_version=")
    }

    /// A message's start (RFC 5424 §6; RFC 3164 §4.1): `<PRI>` with PRI 0–191
    /// in one to three digits without a leading zero, then RFC 5424's
    /// version `1 `, RFC 3164's timestamp (`Mmm dd hh:mm:ss`) or an RFC 3339
    /// date without the version (`2026-`: rsyslog's `RSYSLOG_ForwardFormat`,
    /// its RELP default). On a syslog port any printable text after `<PRI>`
    /// is accepted (RFC 3164 §4.3.3 lets relays pass whatever they get).
    static func syslogMessage(_ bytes: UnsafeRawBufferPointer, serverPort: UInt16) -> ProbeResult {
        guard bytes.first == UInt8(ascii: "<") else { return bytes.isEmpty ? .needMore : .noMatch }
        var k = 1
        var pri = 0
        while k < bytes.count && k <= 4 && isDigit(bytes[k]) {
            pri = pri * 10 + Int(bytes[k] - 0x30)
            k += 1
        }
        let digits = k - 1
        guard digits <= 3, pri <= 191, digits <= 1 || bytes[1] != 0x30 else { return .noMatch }
        guard k < bytes.count else { return .needMore }
        guard digits >= 1, bytes[k] == UInt8(ascii: ">") else { return .noMatch }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[(k + 1)...])
        guard let first = rest.first else { return .needMore }
        if serverPort == 514 || serverPort == 601 { return first >= 0x20 && first < 0x7f ? .match : .noMatch }
        return hasPrefix(rest, "1 ").or(hasAnyPrefix(rest, syslogMonths)).or(rfc3339Year(rest))
    }

    /// Four digits and `-`.
    private static func rfc3339Year(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        for k in 0..<5 {
            guard k < bytes.count else { return .needMore }
            guard k == 4 ? bytes[k] == UInt8(ascii: "-") : isDigit(bytes[k]) else { return .noMatch }
        }
        return .match
    }

    @inline(__always) private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
}
