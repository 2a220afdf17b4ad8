extension Probes {
    /// RDP: the client opens with an X.224 Connection Request inside a TPKT
    /// (RFC 1006: version 3, reserved 0, length), code 0xE0 ([MS-RDPBCGR] 2.2.1.1).
    static let rdp = AnalyzerDescriptor(
        name: "rdp", app: .rdp, portHints: [3389],
        probeToServer: { bytes, _ in
            guard bytes.count >= 6 else { return bytes.count >= 1 && bytes[0] != 3 ? .noMatch : .needMore }
            let length = Int(bytes[2]) << 8 | Int(bytes[3])
            return bytes[0] == 3 && bytes[1] == 0 && length >= 11 && bytes[5] == 0xe0 ? .match : .noMatch
        },
        probeToClient: nil, transport: .tcp)
}
