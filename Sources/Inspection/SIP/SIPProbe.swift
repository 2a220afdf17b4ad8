extension Probes {
    /// SIP (RFC 3261 §7.1): a request line `METHOD sip:…`/`sips:…`/`tel:…`
    /// (the URI scheme tells it from HTTP, whose `OPTIONS ` it shares), or a
    /// status line starting with `SIP/2.0 `. Over UDP a datagram is one
    /// message; over TCP the stream starts with one. Registered before HTTP.
    static let sipUDP = AnalyzerDescriptor(
        name: "sip", app: .sip, portHints: [5060],
        probeToServer: { bytes, _ in sipStart(bytes, final: true) },
        probeToClient: { bytes, _ in sipStart(bytes, final: true) },
        transport: .udp)

    static let sipTCP = AnalyzerDescriptor(
        name: "sip", app: .sip, portHints: [5060],
        probeToServer: { bytes, _ in sipStart(bytes, final: false) },
        probeToClient: { bytes, _ in sipStart(bytes, final: false) },
        transport: .tcp)

    /// RFC 3261 methods and the common extensions (RFC 3262, 3265, 3311, 3428, 3515, 3903, 6086).
    static let sipMethods: [StaticString] = [
        "REGISTER ", "INVITE ", "ACK ", "BYE ", "CANCEL ", "OPTIONS ", "SUBSCRIBE ", "NOTIFY ", "MESSAGE ", "INFO ",
        "PRACK ", "UPDATE ", "REFER ", "PUBLISH ",
    ]

    /// `final`: the bytes are all there will be (a datagram), so an undecided prefix is no match.
    static func sipStart(_ bytes: UnsafeRawBufferPointer, final: Bool) -> ProbeResult {
        let decided = requestOrStatus(
            bytes, methods: sipMethods, schemes: ["sip:", "sips:", "tel:"], version: "SIP/2.0 ")
        return final && decided == .needMore ? .noMatch : decided
    }

    /// A request line whose URI starts with one of `schemes`, or a status
    /// line starting with `version` (which ends with a space).
    static func requestOrStatus(
        _ bytes: UnsafeRawBufferPointer, methods: [StaticString], schemes: [StaticString], version: StaticString
    ) -> ProbeResult {
        switch hasPrefix(bytes, version) {
        case .match: return .match
        case .needMore: return .needMore
        case .noMatch: break
        }
        for method in methods {
            switch hasPrefix(bytes, method) {
            case .noMatch: continue
            case .needMore: return .needMore
            case .match:
                let rest = UnsafeRawBufferPointer(rebasing: bytes[method.utf8CodeUnitCount...])
                var undecided = false
                for scheme in schemes {
                    switch hasCaseInsensitivePrefix(rest, scheme) {
                    case .match: return .match
                    case .needMore: undecided = true
                    case .noMatch: break
                    }
                }
                return undecided ? .needMore : .noMatch
            }
        }
        return .noMatch
    }

    /// `bytes` starts with `prefix` (lower-case ASCII), ignoring ASCII case.
    static func hasCaseInsensitivePrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString) -> ProbeResult {
        let n = prefix.utf8CodeUnitCount
        let p = prefix.utf8Start
        let m = min(n, bytes.count)
        for i in 0..<m {
            var b = bytes[i]
            if b >= 0x41 && b <= 0x5a { b |= 0x20 }
            if b != p[i] { return .noMatch }
        }
        return m == n ? .match : .needMore
    }
}
