extension Probes {
    /// XMPP: the client opens an XML stream (`<?xml …?><stream:stream …>` or
    /// `<stream:stream` directly) within its first bytes.
    static let xmpp = AnalyzerDescriptor(
        name: "xmpp", app: .xmpp, portHints: [5222, 5269],
        probeToServer: { bytes, _ in
            switch hasAnyPrefix(bytes, ["<?xml", "<stream:stream"]) {
            case .match: return contains(bytes, "<stream:stream")
            case let other: return other
            }
        },
        probeToClient: nil, transport: .tcp)
}
