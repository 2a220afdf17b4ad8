extension Probes {
    /// RTSP 1.0/2.0 (RFC 2326 §6.1, RFC 7826 §8): a request line whose URI is
    /// `rtsp://`, `rtsps://`, `rtspu://` (or `*` for OPTIONS, told from
    /// HTTP's `OPTIONS *` by the version after it), or a status line starting
    /// with `RTSP/1.0 ` or `RTSP/2.0 `. An HTTP request on port 554 is HTTP.
    /// Registered before HTTP, which shares `OPTIONS `.
    static let rtsp = AnalyzerDescriptor(
        name: "rtsp", app: .rtsp, portHints: [554, 8554],
        probeToServer: { bytes, _ in rtspClientStart(bytes) },
        probeToClient: { bytes, _ in
            switch hasPrefix(bytes, "RTSP/1.0 ") {
            case .noMatch: hasPrefix(bytes, "RTSP/2.0 ")
            case let other: other
            }
        },
        transport: .tcp)

    /// RFC 2326 §6.1 and RFC 7826 §13 methods.
    static let rtspMethods: [StaticString] = [
        "OPTIONS ", "DESCRIBE ", "ANNOUNCE ", "SETUP ", "PLAY ", "PAUSE ", "TEARDOWN ", "GET_PARAMETER ",
        "SET_PARAMETER ", "REDIRECT ", "RECORD ", "PLAY_NOTIFY ",
    ]

    static func rtspClientStart(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        let byURI = requestOrStatus(bytes, methods: rtspMethods, schemes: ["rtsp://", "rtsps://", "rtspu://"], version: "RTSP/1.0 ")
        guard byURI == .noMatch else { return byURI }
        // `OPTIONS * RTSP/1.0`: the version after the asterisk decides.
        switch hasPrefix(bytes, "OPTIONS * ") {
        case .match:
            let rest = UnsafeRawBufferPointer(rebasing: bytes[10...])
            switch hasPrefix(rest, "RTSP/") {
            case .match: return .match
            case let other: return other
            }
        case let other: return other
        }
    }
}
