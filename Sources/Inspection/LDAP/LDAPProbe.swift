extension Probes {
    /// LDAP: the client's first LDAPMessage (RFC 4511 §4.2): a BER SEQUENCE
    /// holding a small INTEGER message id and then a protocolOp with an
    /// APPLICATION tag a client sends (bind, search, modify, add, delete,
    /// modDN, compare, abandon, extended — StartTLS is an extended request).
    static let ldap = AnalyzerDescriptor(
        name: "ldap", app: .ldap, portHints: [389, 3268],
        probeToServer: { bytes, _ in
            guard bytes.count >= 1 else { return .needMore }
            guard bytes[0] == 0x30 else { return .noMatch }
            guard bytes.count >= 2 else { return .needMore }
            var i = 2
            if bytes[1] & 0x80 != 0 {
                let n = Int(bytes[1] & 0x7f)
                guard n >= 1 && n <= 4 else { return .noMatch }
                i += n
            }
            guard bytes.count >= i + 2 else { return .needMore }
            guard bytes[i] == 0x02, (1...4).contains(bytes[i + 1]) else { return .noMatch }
            let op = i + 2 + Int(bytes[i + 1])
            guard bytes.count > op else { return .needMore }
            let clientOps: Set<UInt8> = [0x60, 0x63, 0x66, 0x68, 0x4a, 0x6c, 0x6e, 0x50, 0x77, 0x42]
            return clientOps.contains(bytes[op]) ? .match : .noMatch
        },
        probeToClient: nil, transport: .tcp)
}
