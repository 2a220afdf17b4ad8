extension Probes {
    /// SMB over TCP: the 4-byte session service header (RFC 1002 §4.3.1;
    /// MS-SMB2 §2.1 for direct TCP on 445: type 0 and a 24-bit length) and
    /// then an SMB1 (`FF 'SMB'`, MS-CIFS §2.2.3.1) or SMB2/3 (`FE 'SMB'`,
    /// MS-SMB2 §2.2.1) header. On NetBIOS (139) the client first sends a
    /// SESSION REQUEST (type 0x81) with two encoded names (RFC 1001 §14.1:
    /// length byte 32, then 32 letters 'A'–'P'), which the server answers
    /// with a POSITIVE SESSION RESPONSE (`82 00 00 00`) — only trusted on 139.
    static let smb = AnalyzerDescriptor(
        name: "smb", app: .smb, portHints: [445, 139],
        probeToServer: { bytes, _ in
            guard bytes.count >= 1 else { return .needMore }
            switch bytes[0] {
            case SMBLoginAnalyzer.sessionMessage: return smbMessageStart(bytes)
            case SMBLoginAnalyzer.sessionRequest:
                guard bytes.count >= 5 else { return .needMore }
                guard bytes[1] & 0xfe == 0, bytes[4] == 32 else { return .noMatch }
                var i = 5
                while i < min(bytes.count, 37) {
                    guard bytes[i] >= UInt8(ascii: "A") && bytes[i] <= UInt8(ascii: "P") else { return .noMatch }
                    i += 1
                }
                return i == 37 ? .match : .needMore
            default: return .noMatch
            }
        },
        probeToClient: { bytes, serverPort in
            guard bytes.count >= 1 else { return .needMore }
            switch bytes[0] {
            case SMBLoginAnalyzer.sessionMessage: return smbMessageStart(bytes)
            case SMBLoginAnalyzer.positiveSessionResponse where serverPort == 139:
                guard bytes.count >= 4 else { return .needMore }
                return bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 0 ? .match : .noMatch
            default: return .noMatch
            }
        },
        transport: .tcp)

    /// A session message (type 0) long enough for an SMB1 header, holding `FF 'SMB'` or `FE 'SMB'`.
    static func smbMessageStart(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        guard bytes.count >= 8 else { return .needMore }
        let length = Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        guard length >= SMBLoginAnalyzer.smb1HeaderSize, bytes[4] == 0xff || bytes[4] == 0xfe,
            bytes[5] == UInt8(ascii: "S"), bytes[6] == UInt8(ascii: "M"), bytes[7] == UInt8(ascii: "B")
        else { return .noMatch }
        return .match
    }
}
