extension Probes {
    /// VNC (RFB, RFC 6143 §7.1.1): both sides open with the 12-byte
    /// ProtocolVersion `RFB xxx.yyy\n` (three digits, a dot, three digits).
    static let vnc = AnalyzerDescriptor(
        name: "vnc", app: .vnc, portHints: [5900, 5901, 5902, 5800],
        probeToServer: { bytes, _ in rfbVersion(bytes) },
        probeToClient: { bytes, _ in rfbVersion(bytes) },
        transport: .tcp)

    static func rfbVersion(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        switch hasPrefix(bytes, "RFB ") {
        case .match: break
        case let other: return other
        }
        for k in 4..<12 {
            guard k < bytes.count else { return .needMore }
            let b = bytes[k]
            let ok =
                switch k {
                case 7: b == UInt8(ascii: ".")
                case 11: b == 0x0a
                default: b >= 0x30 && b <= 0x39
                }
            guard ok else { return .noMatch }
        }
        return .match
    }
}
