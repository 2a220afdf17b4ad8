extension Probes {
    /// SNMP v1/v2c over UDP, on any port: a datagram that is exactly one
    /// community-based message (`SNMPMessage.parse`) — version 0 or 1, a
    /// community string, and a PDU with a context tag A0–A8. SNMPv3 carries no
    /// community: `snmpv3` below.
    static let snmp = AnalyzerDescriptor(
        name: "snmp", app: .snmp, portHints: [161, 162],
        probeToServer: { bytes, _ in SNMPMessage.parse(bytes) != nil ? .match : .noMatch },
        probeToClient: { bytes, _ in SNMPMessage.parse(bytes) != nil ? .match : .noMatch },
        transport: .udp)
}

extension Probes {
    /// SNMPv3 over UDP, on any port: a datagram that is exactly one SNMPv3
    /// message (`SNMPv3Message.parse`), at any security level — the analyzer
    /// tells an encrypted session from one in clear.
    static let snmpv3 = AnalyzerDescriptor(
        name: "snmpv3", app: .snmpv3, portHints: [161, 162],
        probeToServer: { bytes, _ in SNMPv3Message.parse(bytes) != nil ? .match : .noMatch },
        probeToClient: { bytes, _ in SNMPv3Message.parse(bytes) != nil ? .match : .noMatch },
        transport: .udp)
}
