extension Probes {
    /// rsh (514) and rexec (512), BSD remote execution: the client opens with
    /// `stderr-port NUL user NUL user-or-password NUL command NUL`, the port
    /// in decimal (empty for no error channel). On its own ports a port field
    /// suffices (rcmd sends it alone, then waits for the server to connect
    /// back); elsewhere the next field must follow. An empty port field is
    /// also how rlogin opens: when the third field reads like rlogin's
    /// `terminal/speed`, or on port 513, it is left to the rlogin probe.
    static let rsh = AnalyzerDescriptor(
        name: "rsh", app: .rsh, portHints: [514, RshLoginAnalyzer.rexecPort],
        probeToServer: { bytes, port in rshClientStart(bytes, serverPort: port) },
        probeToClient: nil, transport: .tcp)

    /// rlogin (RFC 1282 §2): `NUL client-user NUL server-user NUL
    /// terminal/speed NUL`. On port 513 the first two fields suffice;
    /// elsewhere the terminal field must read `name/digits`.
    static let rlogin = AnalyzerDescriptor(
        name: "rlogin", app: .rlogin, portHints: [513],
        probeToServer: { bytes, port in rloginClientStart(bytes, serverPort: port) },
        probeToClient: nil, transport: .tcp)

    static func rshClientStart(_ bytes: UnsafeRawBufferPointer, serverPort: UInt16) -> ProbeResult {
        // The port field: up to five digits before the first NUL, decided on its first wrong byte.
        for k in 0..<min(bytes.count, RshLoginAnalyzer.maxPortField + 1) {
            if bytes[k] == 0 { break }
            guard k < RshLoginAnalyzer.maxPortField, bytes[k] >= 0x30 && bytes[k] <= 0x39 else { return .noMatch }
        }
        var fields = NULFields(bytes)
        guard let port = fields.next() else { return fields.undecided }
        guard port.count <= 5, port.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return .noMatch }
        let ownPort = serverPort == 514 || serverPort == RshLoginAnalyzer.rexecPort
        if ownPort && !port.isEmpty { return .match }
        guard serverPort != 513 || !port.isEmpty else { return .noMatch }
        guard let user = fields.next() else { return fields.undecided }
        guard !user.isEmpty, user.allSatisfy(isPrintableWord) else { return .noMatch }
        guard port.isEmpty else { return .match }
        // An empty port field: rsh unless it is rlogin's handshake.
        guard fields.next() != nil else { return fields.undecided }
        guard let third = fields.next() else { return fields.undecided }
        return isTerminalSpeed(third) ? .noMatch : .match
    }

    static func rloginClientStart(_ bytes: UnsafeRawBufferPointer, serverPort: UInt16) -> ProbeResult {
        guard let first = bytes.first else { return .needMore }
        guard first == 0 else { return .noMatch }
        var fields = NULFields(bytes)
        guard let empty = fields.next() else { return fields.undecided }
        guard empty.isEmpty else { return .noMatch }
        guard let clientUser = fields.next() else { return fields.undecided }
        guard !clientUser.isEmpty, clientUser.allSatisfy(isPrintableWord) else { return .noMatch }
        guard let serverUser = fields.next() else { return fields.undecided }
        guard serverUser.allSatisfy(isPrintableWord) else { return .noMatch }
        if serverPort == 513 { return .match }
        guard let terminal = fields.next() else { return fields.undecided }
        return isTerminalSpeed(terminal) ? .match : .noMatch
    }

    static func isPrintableWord(_ b: UInt8) -> Bool { b > 0x20 && b < 0x7f }

    /// `xterm/38400`: a terminal name, a slash, a speed.
    static func isTerminalSpeed(_ field: UnsafeRawBufferPointer) -> Bool {
        guard let slash = field.firstIndex(of: UInt8(ascii: "/")), slash > 0, slash + 1 < field.count else { return false }
        return field[..<slash].allSatisfy(isPrintableWord)
            && field[(slash + 1)...].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

/// NUL-terminated fields read from the start of a probe's bytes.
struct NULFields {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The next complete field (without its NUL), or nil when the bytes end first.
    mutating func next() -> UnsafeRawBufferPointer? {
        guard let nul = bytes.nul(from: position) else { return nil }
        defer { position = nul + 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<nul])
    }

    /// What a probe answers when a field is still incomplete: wait while the budget allows.
    var undecided: ProbeResult { bytes.count < AppIdentifier.maxProbeBytes ? .needMore : .noMatch }
}
