extension Probes {
    /// RADIUS over UDP, on any port: a datagram that is exactly one packet
    /// (`RADIUSPacket.parse`, and no padding past its Length: no
    /// implementation sends any, and a random datagram rarely states its
    /// own length in bytes 2–3 and chains attributes to its end). The old
    /// ports 1645 and 1646 are no hints: Cisco devices send from them to
    /// servers on 1812 and 1813, and a hint marks a flow's server side.
    static let radius = AnalyzerDescriptor(
        name: "radius", app: .radius, portHints: [1812, 1813, 3799],
        probeToServer: radiusDatagram, probeToClient: radiusDatagram, transport: .udp)

    @Sendable static func radiusDatagram(_ bytes: UnsafeRawBufferPointer, _ serverPort: UInt16) -> ProbeResult {
        RADIUSPacket.parse(bytes)?.length == bytes.count ? .match : .noMatch
    }
}
