/// NTLM messages (MS-NLMP) as HTTP (`Authorization: NTLM`/`Negotiate`),
/// LDAP (SASL GSS-SPNEGO, sicily) and SMB (session setup security blobs)
/// carry them: the one place their credentials are read.
enum NTLMMessage {
    /// An NTLM AUTHENTICATE (type 3) message, bare or inside a SPNEGO token
    /// (MS-NLMP §2.2.1.3): the user name and the NT challenge response.
    static func authenticate(_ message: [UInt8]) -> CredentialSighting? {
        let signature: [UInt8] = Array("NTLMSSP".utf8) + [0]
        guard message.count >= 44 + signature.count else { return nil }
        var start: Int?
        for s in 0...(message.count - 44) where message[s] == 0x4e && Array(message[s..<(s + 8)]) == signature {
            start = s
            break
        }
        guard let s = start else { return nil }
        let m = message[s...]
        func u16(_ at: Int) -> Int { Int(m[s + at]) | Int(m[s + at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard u32(8) == 3 else { return nil }  // 1: negotiate, 2: challenge
        func field(_ at: Int) -> [UInt8] {
            let length = u16(at)
            let offset = u32(at + 4)
            guard offset + length <= m.count else { return [] }
            return Array(m[(s + offset)..<(s + offset + length)])
        }
        let lm = field(12), nt = field(20), user = field(36)
        let flags = m.count >= 64 ? u32(60) : 1
        guard !nt.isEmpty || !lm.isEmpty || !user.isEmpty else { return nil }  // anonymous
        var username = user
        if flags & 1 != 0 && user.count % 2 == 0 {  // NTLMSSP_NEGOTIATE_UNICODE: UTF-16LE
            username = user.withUnsafeBytes { $0.utf8FromUTF16LE() }
        }
        return CredentialSighting(mechanism: .ntlm, username: username, secret: nt.isEmpty ? lm : nt)
    }
}
