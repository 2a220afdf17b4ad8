extension Probes {
    /// MySQL/MariaDB: the server greets first with a protocol-10 handshake
    /// packet (3-byte little-endian length, sequence 0, byte 10, then a
    /// NUL-terminated printable server version).
    static let mysql = AnalyzerDescriptor(
        name: "mysql", app: .mysql, portHints: [3306],
        probeToServer: nil,
        probeToClient: { bytes, _ in
            guard bytes.count >= 5 else { return .needMore }
            let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
            guard bytes[3] == 0, bytes[4] == 10, length >= 20, length <= 1024 else { return .noMatch }
            var i = 5
            while i < bytes.count {
                let b = bytes[i]
                if b == 0 { return i > 5 ? .match : .noMatch }
                guard b >= 0x20 && b < 0x7f else { return .noMatch }
                i += 1
            }
            return bytes.count < AppIdentifier.maxProbeBytes ? .needMore : .noMatch
        },
        transport: .tcp, serverGreetsFirst: true)
}
