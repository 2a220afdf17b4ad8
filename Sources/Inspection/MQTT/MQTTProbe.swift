extension Probes {
    /// MQTT: the client speaks first with CONNECT (type 1, flags 0: byte
    /// 0x10), a Remaining Length of 1-4 bytes, then the protocol name as a
    /// length-prefixed string — `MQTT` at level 4 (3.1.1) or 5 (5.0), or
    /// `MQIsdp` at level 3 (3.1).
    static let mqtt = AnalyzerDescriptor(
        name: "mqtt", app: .mqtt, portHints: [1883],
        probeToServer: { bytes, _ in mqttConnect(bytes) },
        probeToClient: nil, transport: .tcp)

    static func mqttConnect(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        guard bytes.count >= 1 else { return .needMore }
        guard bytes[0] == 0x10 else { return .noMatch }
        var k = 1
        while true {
            guard k < bytes.count else { return .needMore }
            guard k <= 4 else { return .noMatch }
            let more = bytes[k] & 0x80 != 0
            k += 1
            if !more { break }
        }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[k...])
        switch hasPrefix(rest, "\0\u{4}MQTT") {
        case .match:
            guard rest.count > 6 else { return .needMore }
            return rest[6] == 4 || rest[6] == 5 ? .match : .noMatch
        case .needMore:
            return .needMore
        case .noMatch:
            switch hasPrefix(rest, "\0\u{6}MQIsdp") {
            case .match:
                guard rest.count > 8 else { return .needMore }
                return rest[8] == 3 ? .match : .noMatch
            case let other: return other
            }
        }
    }
}
