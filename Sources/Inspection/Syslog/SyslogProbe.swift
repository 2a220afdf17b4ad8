extension Probes {
    /// syslog over UDP (RFC 5426; messages per RFC 5424 §6 and the BSD
    /// format of RFC 3164 §4.1): `<PRI>` with PRI 0–191 in one to three
    /// digits without a leading zero, then RFC 5424's version `1 ` or RFC
    /// 3164's timestamp (`Mmm dd hh:mm:ss`). On port 514 any printable text
    /// after `<PRI>` is accepted (RFC 3164 §4.3.3 lets relays pass whatever
    /// they get). syslog has no credential: the exposure is the log stream
    /// itself (`cleartext.syslog`).
    static let syslog = AnalyzerDescriptor(
        name: "syslog", app: .syslog, portHints: [514],
        probeToServer: { bytes, port in syslogMessage(bytes, serverPort: port) },
        probeToClient: nil,
        transport: .udp)

    static let syslogMonths: [StaticString] = [
        "Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ", "Sep ", "Oct ", "Nov ", "Dec ",
    ]

    static func syslogMessage(_ bytes: UnsafeRawBufferPointer, serverPort: UInt16) -> ProbeResult {
        guard bytes.count >= 4, bytes[0] == UInt8(ascii: "<") else { return .noMatch }
        var k = 1
        var pri = 0
        while k < bytes.count && k <= 4 && bytes[k] >= 0x30 && bytes[k] <= 0x39 {
            pri = pri * 10 + Int(bytes[k] - 0x30)
            k += 1
        }
        let digits = k - 1
        guard digits >= 1 && digits <= 3, pri <= 191, digits == 1 || bytes[1] != 0x30 else { return .noMatch }
        guard k < bytes.count, bytes[k] == UInt8(ascii: ">"), k + 1 < bytes.count else { return .noMatch }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[(k + 1)...])
        if hasPrefix(rest, "1 ") == .match || hasAnyPrefix(rest, syslogMonths) == .match { return .match }
        guard serverPort == 514 else { return .noMatch }
        return rest[0] >= 0x20 && rest[0] < 0x7f ? .match : .noMatch
    }
}
