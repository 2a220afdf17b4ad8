extension Probes {
    /// Microsoft SQL Server (TDS): every message travels in packets with an
    /// 8-byte header (MS-TDS §2.2.3.1) — type, status, big-endian length
    /// (header included, at most 32 KiB), SPID, packet id, window (always 0).
    /// The header alone is too plain to trust, so the start of the body is
    /// checked too: client PRELOGIN (option VERSION first, 6 bytes long),
    /// LOGIN7 (its own length, then a TDS 7.x version), SQL batch / RPC /
    /// transaction manager request (ALL_HEADERS with a known header type, or
    /// for older clients UCS-2 text / an RPC procedure name or id); server
    /// tabular result starting with a token a login or query response starts
    /// with. Sessions picked up mid-stream are found from their next batch;
    /// since the flow table then guesses the roles (without a SYN, the higher
    /// port is the client), both directions accept both sides' packets.
    static let mssql = AnalyzerDescriptor(
        name: "mssql", app: .mssql, portHints: [1433],
        probeToServer: { bytes, _ in tdsPacket(bytes) },
        probeToClient: { bytes, _ in tdsPacket(bytes) },
        transport: .tcp)

    static func tdsPacket(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        guard bytes.count >= 8 else { return bytes.count > 0 && !tdsType(bytes[0]) ? .noMatch : .needMore }
        let type = bytes[0]
        let status = bytes[1]
        let length = Int(bytes[2]) << 8 | Int(bytes[3])
        guard tdsType(type), status & 0xe0 == 0, length > 8, length <= 32_768, bytes[7] == 0 else {
            return .noMatch
        }
        let body = UnsafeRawBufferPointer(rebasing: bytes[8..<min(bytes.count, length)])
        let complete = bytes.count >= length
        guard !body.isEmpty else { return .needMore }
        switch type {
        case 0x12 where body[0] == 0x00, 0x04 where body[0] == 0x00:
            // PRELOGIN (request, or the server's answer): VERSION token, offset, length 6.
            guard body.count >= 5 else { return complete ? .noMatch : .needMore }
            return body[3] == 0 && body[4] == 6 ? .match : .noMatch
        case 0x12:
            return .noMatch  // a PRELOGIN starts with its VERSION option
        case 0x10:
            // LOGIN7: its length (little-endian) and a TDS 7.x version (0x70..0x74 in the top byte).
            guard body.count >= 8 else { return complete ? .noMatch : .needMore }
            let recordLength = Int(body[0]) | Int(body[1]) << 8 | Int(body[2]) << 16 | Int(body[3]) << 24
            return recordLength >= 36 && body[7] >= 0x70 && body[7] <= 0x74 ? .match : .noMatch
        case 0x04:
            // Tabular result: DONE, DONEPROC, DONEINPROC, LOGINACK, ERROR, INFO, ENVCHANGE, COLMETADATA,
            // RETURNSTATUS, SSPI, FEATUREEXTACK.
            let tokens: [UInt8] = [0xfd, 0xfe, 0xff, 0xad, 0xaa, 0xab, 0xe3, 0x81, 0x79, 0xed, 0xae]
            return tokens.contains(body[0]) ? .match : .noMatch
        case 0x11:
            // SSPI: an NTLM or SPNEGO token.
            guard body.count >= 2 else { return complete ? .noMatch : .needMore }
            return body[0] == UInt8(ascii: "N") && body[1] == UInt8(ascii: "T") || body[0] == 0x60 || body[0] == 0xa1
                ? .match : .noMatch
        default:
            return tdsRequestBody(body, rpc: type == 0x03, complete: complete)
        }
    }

    /// SQL batch, RPC, tabular result, attention, bulk load, transaction manager, LOGIN7, SSPI, PRELOGIN.
    static func tdsType(_ type: UInt8) -> Bool { [0x01, 0x03, 0x04, 0x06, 0x07, 0x0e, 0x10, 0x11, 0x12].contains(type) }

    /// The body of a SQL batch, RPC or transaction manager request.
    static func tdsRequestBody(_ body: UnsafeRawBufferPointer, rpc: Bool, complete: Bool) -> ProbeResult {
        guard body.count >= 10 else { return complete && body.count >= 2 ? tdsText(body) : .needMore }
        // ALL_HEADERS (§2.2.5.3): total length, then headers of length ≥ 6 and type 1...3.
        let total = Int(body[0]) | Int(body[1]) << 8 | Int(body[2]) << 16 | Int(body[3]) << 24
        let first = Int(body[4]) | Int(body[5]) << 8 | Int(body[6]) << 16 | Int(body[7]) << 24
        let kind = Int(body[8]) | Int(body[9]) << 8
        if total >= 10 && total <= 4096 && first >= 6 && first <= total - 4 && (1...3).contains(kind) { return .match }
        if rpc {
            // Without ALL_HEADERS: the procedure name (length, UCS-2) or 0xFFFF and a procedure id.
            if body[0] == 0xff && body[1] == 0xff { return body[2] >= 1 && body[2] <= 15 && body[3] == 0 ? .match : .noMatch }
            let nameLength = Int(body[0]) | Int(body[1]) << 8
            guard nameLength >= 1 && nameLength <= 128 else { return .noMatch }
            return tdsText(UnsafeRawBufferPointer(rebasing: body[2...]))
        }
        return tdsText(body)
    }

    /// UCS-2 text: printable ASCII characters (high byte 0), at least four of them.
    static func tdsText(_ text: UnsafeRawBufferPointer) -> ProbeResult {
        var k = 0
        while k + 1 < text.count && k < 16 {
            let c = text[k]
            guard text[k + 1] == 0, c >= 0x20 && c < 0x7f || c == 0x09 || c == 0x0a || c == 0x0d else { return .noMatch }
            k += 2
        }
        return k >= 8 ? .match : .noMatch
    }
}
