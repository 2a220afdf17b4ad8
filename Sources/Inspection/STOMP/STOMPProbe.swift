extension Probes {
    /// STOMP (1.0, 1.1, 1.2): the client's first frame is `CONNECT` (or, from
    /// 1.1, `STOMP`) alone on its line, then header lines `name:value`; the
    /// server answers `CONNECTED` (or `ERROR`). Before HTTP, whose probe
    /// takes a `CONNECT ` (with a space) for a proxy request.
    static let stomp = AnalyzerDescriptor(
        name: "stomp", app: .stomp, portHints: [61613],
        probeToServer: { bytes, _ in stompConnect(bytes) },
        probeToClient: { bytes, _ in hasAnyPrefix(bytes, ["CONNECTED\n", "CONNECTED\r\n"]) },
        transport: .tcp)

    /// A frame command `CONNECT` or `STOMP` and its line break, then a header
    /// line (a colon before the next line feed) or the frame's end (an empty
    /// line and its NUL: a 1.0 CONNECT without headers).
    static func stompConnect(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        var start = 0
        switch hasAnyPrefix(bytes, ["CONNECT\n", "CONNECT\r\n", "STOMP\n", "STOMP\r\n"]) {
        case .noMatch: return .noMatch
        case .needMore: return .needMore
        case .match: start = bytes[1] == UInt8(ascii: "O") ? 7 : 5
        }
        if bytes[start] == 0x0d { start += 1 }
        start += 1
        switch hasAnyPrefix(UnsafeRawBufferPointer(rebasing: bytes[start...]), ["\n\0", "\r\n\0"]) {
        case .match: return .match
        case .needMore: return .needMore
        case .noMatch: break
        }
        // A header line: a name of at least one byte, then a colon, on this line.
        for i in start..<min(bytes.count, start + 64) {
            switch bytes[i] {
            case UInt8(ascii: ":"): return i > start ? .match : .noMatch
            case 0x0a, 0x0d, 0x00: return .noMatch
            default: continue
            }
        }
        return bytes.count < start + 64 ? .needMore : .noMatch
    }
}
