extension Probes {
    /// Kerberos over UDP (RFC 4120 §7.2.1): a datagram that is exactly one
    /// AS-REQ or TGS-REQ (from the client) or AS-REP, TGS-REP or KRB-ERROR
    /// (from the KDC), pvno 5 and the msg-type matching its APPLICATION tag
    /// (`KerberosMessage.probe`).
    static let kerberos = AnalyzerDescriptor(
        name: "kerberos", app: .kerberos, portHints: [88],
        probeToServer: { bytes, _ in KerberosMessage.probe(bytes, requests: true, length: bytes.count) },
        probeToClient: { bytes, _ in KerberosMessage.probe(bytes, requests: false, length: bytes.count) },
        transport: .udp)

    /// Kerberos over TCP (RFC 4120 §7.2.2): a 4-byte big-endian length (high
    /// bit clear) announcing exactly the message that follows.
    static let kerberosTCP = AnalyzerDescriptor(
        name: "kerberos", app: .kerberos, portHints: [88],
        probeToServer: { bytes, _ in kerberosRecord(bytes, requests: true) },
        probeToClient: { bytes, _ in kerberosRecord(bytes, requests: false) },
        transport: .tcp)

    static func kerberosRecord(_ bytes: UnsafeRawBufferPointer, requests: Bool) -> ProbeResult {
        guard bytes.count >= 4 else { return bytes.first.map { $0 & 0x80 != 0 } == true ? .noMatch : .needMore }
        guard let length = bytes.uint32BE(at: 0), length & 0x8000_0000 == 0 else { return .noMatch }
        let message = UnsafeRawBufferPointer(rebasing: bytes[4...])
        return KerberosMessage.probe(message, requests: requests, length: Int(length))
    }
}
