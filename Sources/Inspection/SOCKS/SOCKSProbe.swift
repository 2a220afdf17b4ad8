extension Probes {
    /// SOCKS: the client speaks first. SOCKS5 (RFC 1928 §3) offers methods,
    /// `05 NMETHODS METHODS...`, each a known method (0x00-0x09) or a private
    /// one (0x80-0xFE), no duplicates, then waits for the proxy's choice (an
    /// optimistic client may go straight on with its RFC 1929 `01 ...`).
    /// SOCKS4/4a: `04 CMD(1|2) PORT IP USERID NUL [DOMAIN NUL]`. The decision
    /// rests on the request alone, never on where a segment ends (a request
    /// cut into segments, or followed by more bytes, must be judged the same:
    /// AppIdentifier's contract), so the fields are checked instead: a known
    /// method list, a port and address a CONNECT/BIND can name, a printable
    /// user id.
    static let socks = AnalyzerDescriptor(
        name: "socks", app: .socks, portHints: [1080],
        probeToServer: { bytes, _ in
            guard bytes.count >= 1 else { return .needMore }
            switch bytes[0] {
            case 5: return socks5Offer(bytes)
            case 4: return socks4Request(bytes)
            default: return .noMatch
            }
        },
        probeToClient: nil, transport: .tcp)

    static func socks5Offer(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        guard bytes.count >= 2 else { return .needMore }
        let n = Int(bytes[1])
        guard n >= 1 else { return .noMatch }
        for k in 2..<min(bytes.count, 2 + n) {
            let method = bytes[k]
            guard method <= 0x09 || (method >= 0x80 && method != 0xff) else { return .noMatch }
            for earlier in 2..<k where bytes[earlier] == method { return .noMatch }
        }
        // What follows the offer (usually nothing until the proxy chooses) is not
        // looked at: a segment boundary must not change the answer.
        return bytes.count >= 2 + n ? .match : .needMore
    }

    static func socks4Request(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        guard bytes.count >= 2 else { return .needMore }
        guard bytes[1] == 1 || bytes[1] == 2 else { return .noMatch }
        guard bytes.count >= 9 else { return .needMore }
        guard bytes[2] != 0 || bytes[3] != 0 else { return .noMatch }  // port 0
        // SOCKS4a: IP 0.0.0.x (x != 0) says a domain name follows the user id;
        // any other address in 0.0.0.0/8 is not one a client connects to.
        let socks4a = bytes[4] == 0 && bytes[5] == 0 && bytes[6] == 0 && bytes[7] != 0
        guard socks4a || bytes[4] != 0 else { return .noMatch }
        var k = 8
        for field in 0..<(socks4a ? 2 : 1) {
            let start = k
            while k < bytes.count && bytes[k] != 0 {
                guard bytes[k] >= 0x20 && bytes[k] < 0x7f else { return .noMatch }
                k += 1
            }
            // Names run past the probe budget (a host name may have 253 bytes):
            // printable up to there is enough, however the request was cut.
            guard k < bytes.count else { return bytes.count < AppIdentifier.maxProbeBytes ? .needMore : .match }
            if field == 1 && k == start { return .noMatch }  // SOCKS4a: the domain name is not empty
            k += 1
        }
        return .match
    }
}
