import Flows

/// Reads the start of an SMB session over TCP — direct on 445, or over the
/// NetBIOS session service on 139 — up to its session setup, and reports the
/// credentials the client sent with the server's verdict.
///
/// Framing (RFC 1002 §4.3.1, MS-SMB2 §2.1): a 4-byte header, type and
/// length; type 0 carries one SMB message (24-bit length on direct TCP), the
/// others (0x81 SESSION REQUEST, 0x82/0x83 responses, 0x85 keep-alive) are
/// passed over. Each message is one of:
///
/// - SMB1 (`FF 'SMB'`, MS-CIFS §2.2.3.1): the NEGOTIATE response gives the
///   server's security mode (§2.2.4.52.2: `NEGOTIATE_ENCRYPT_PASSWORDS`).
///   SESSION_SETUP_ANDX without extended security (§2.2.4.53.1, 13 words;
///   the LAN Manager form has 10) carries an OEM and a Unicode password
///   field: when the server did not ask for encrypted passwords they hold the
///   password itself (`.smbPlaintextPassword`), otherwise the 24-byte
///   LM/NTLM (or longer NTLMv2) challenge responses (`.ntlm`, crackable), with
///   the account name from the same request. With extended security (12
///   words, MS-SMB §2.2.4.6.1) the security blob is SPNEGO or raw NTLMSSP.
/// - SMB2/3 (`FE 'SMB'`, MS-SMB2 §2.2.1.2): SESSION_SETUP's security buffer
///   (§2.2.5) is SPNEGO; an NTLM AUTHENTICATE in it is `.ntlm`. Kerberos
///   tickets in the blob are not reported (nothing crackable in them here).
/// - An SMB3 TRANSFORM_HEADER (`FD 'SMB'`, §2.2.41), or a session setup
///   response with `SMB2_SESSION_FLAG_ENCRYPT_DATA` (§2.2.6): the session is
///   encrypted. `isEncrypted` is set (the flow record says `encrypted`, no
///   `cleartext.smb`) and the analyzer is done.
///
/// The verdict is the session setup response's status: `STATUS_SUCCESS`
/// accepts, `STATUS_MORE_PROCESSING_REQUIRED` (an NTLM CHALLENGE) leaves
/// the exchange going, any other error rejects (`STATUS_LOGON_FAILURE`
/// mostly). After a successful session setup up to `messagesAfterSessionSetup`
/// more messages are looked at for a transform header (a share that
/// requires encryption turns it on at TREE_CONNECT), then the analyzer is
/// done: file traffic is not read.
///
/// Messages inside one chunk are read in place; one that spans chunks is
/// copied up to `maxMessage` bytes (charged to the context's budget), longer
/// ones are skipped and counted (`FramedDialogue`).
public final class SMBLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Messages longer than `maxMessage`: skipped unread.
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest message copied when it spans chunks: session setups with
    /// Kerberos tickets in SPNEGO reach tens of KiB.
    public static let maxMessage = 65_536
    /// Messages looked at after a successful session setup, for a transform header.
    static let messagesAfterSessionSetup = 8

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false
    /// SMB3 encryption was seen: the payload is protected.
    public internal(set) var isEncrypted = false

    /// The SMB1 server's NEGOTIATE security mode, once seen.
    var securityMode: UInt8?
    /// A credential waiting for its session setup response.
    var pending: CredentialSighting?
    /// A session setup succeeded: only transform headers are looked for now.
    var sessionEstablished = false
    var messagesSinceSessionSetup = 0

    // Session service message types (RFC 1002 §4.3.1).
    static let sessionMessage: UInt8 = 0x00
    static let sessionRequest: UInt8 = 0x81
    static let positiveSessionResponse: UInt8 = 0x82

    static let smb1HeaderSize = 32
    static let smb2HeaderSize = 64

    // SMB1 (MS-CIFS §2.2.2.1, §2.2.3.1, §2.2.4.52.2).
    static let smb1Negotiate: UInt8 = 0x72
    static let smb1SessionSetupAndX: UInt8 = 0x73
    static let flags2Unicode: UInt16 = 0x8000
    static let flags2NTStatus: UInt16 = 0x4000
    static let negotiateEncryptPasswords: UInt8 = 0x02

    // SMB2 (MS-SMB2 §2.2.1.2, §2.2.6).
    static let smb2SessionSetup: UInt16 = 0x0001
    static let smb2FlagsServerToRedir: UInt32 = 0x0000_0001
    static let sessionFlagEncryptData: UInt16 = 0x0004

    // NTSTATUS values (MS-ERREF §2.3.1).
    static let statusSuccess: UInt32 = 0
    static let statusMoreProcessingRequired: UInt32 = 0xC000_0016

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int { 4 }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        switch UInt8(header >> 24) {
        case SMBLoginAnalyzer.sessionMessage: Int(header & 0xff_ffff)
        case 0x81...0x85: Int(header & 0x1_ffff)  // a 17-bit length: the flags' low bit extends it
        default: nil  // not the session service
        }
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        guard UInt8(header >> 24) == SMBLoginAnalyzer.sessionMessage else { return true }
        if sessionEstablished {
            messagesSinceSessionSetup += 1
            if messagesSinceSessionSetup >= SMBLoginAnalyzer.messagesAfterSessionSetup { isDone = true }
        }
        guard !skipped else { return true }
        guard body.count >= 4, body[1] == UInt8(ascii: "S"), body[2] == UInt8(ascii: "M"),
            body[3] == UInt8(ascii: "B")
        else { return false }  // not SMB: the direction stops
        switch body[0] {
        case 0xff: return sessionEstablished || smb1(body, direction: direction)
        case 0xfe: return sessionEstablished || smb2(body, direction: direction)
        case 0xfd:
            isEncrypted = true
            isDone = true
            return false
        case 0xfc: return true  // SMB 3.1.1 compression transform: its payload is not read
        default: return false
        }
    }

    // MARK: SMB1

    /// One SMB1 message: header, then WordCount, 2×WordCount bytes of
    /// parameters, ByteCount and the data bytes (MS-CIFS §2.2.3.2).
    func smb1(_ m: UnsafeRawBufferPointer, direction: Direction) -> Bool {
        let h = SMBLoginAnalyzer.smb1HeaderSize
        guard m.count >= h + 3 else { return false }
        let command = m[4]
        let flags2 = m.uint16LE(at: 10)
        let wordCount = Int(m[h])
        let words = h + 1
        let bytesStart = words + 2 * wordCount + 2
        guard bytesStart <= m.count else { return false }
        let data = UnsafeRawBufferPointer(rebasing: m[bytesStart..<m.count])
        switch (direction, command) {
        case (.toClient, SMBLoginAnalyzer.smb1Negotiate):
            // NT LM 0.12 (17 words) and LAN Manager (13 words): SecurityMode follows the
            // 2-byte DialectIndex. The core dialect (1 word) has none: passwords in clear.
            if wordCount == 17 || wordCount == 13 {
                securityMode = m[words + 2]
            } else if wordCount == 1 {
                securityMode = 0
            }
        case (.toServer, SMBLoginAnalyzer.smb1SessionSetupAndX):
            if wordCount == 12 {
                // Extended security: SecurityBlobLength at word offset 14 (MS-SMB §2.2.4.6.1).
                let blobLength = Int(m.uint16LE(at: words + 14))
                guard blobLength <= data.count else { return true }
                securityBlob(UnsafeRawBufferPointer(rebasing: data[0..<blobLength]))
            } else if wordCount == 13 || wordCount == 10 {
                sessionSetupPasswords(m, words: words, wordCount: wordCount, bytesStart: bytesStart, flags2: flags2)
            }
        case (.toClient, SMBLoginAnalyzer.smb1SessionSetupAndX):
            // With NT status codes the 4 bytes are an NTSTATUS; otherwise class, reserved, code (all 0: success).
            let status = m.uint32LE(at: 5) ?? 1
            sessionSetupResponse(status: status, ntStatus: flags2 & SMBLoginAnalyzer.flags2NTStatus != 0)
        default:
            break
        }
        return true
    }

    /// SESSION_SETUP_ANDX without extended security (MS-CIFS §2.2.4.53.1):
    /// OEMPasswordLen at word offset 14, UnicodePasswordLen at 16 (13 words;
    /// the 10-word LAN Manager form has one password), then in the data the
    /// passwords, a pad to 2-byte alignment when Unicode, and AccountName.
    func sessionSetupPasswords(
        _ m: UnsafeRawBufferPointer, words: Int, wordCount: Int, bytesStart: Int, flags2: UInt16
    ) {
        let oemLength = Int(m.uint16LE(at: words + 14))
        let unicodeLength = wordCount == 13 ? Int(m.uint16LE(at: words + 16)) : 0
        guard bytesStart + oemLength + unicodeLength <= m.count else { return }
        let oem = UnsafeRawBufferPointer(rebasing: m[bytesStart..<(bytesStart + oemLength)])
        let unicode = UnsafeRawBufferPointer(rebasing: m[(bytesStart + oemLength)..<(bytesStart + oemLength + unicodeLength)])
        var nameStart = bytesStart + oemLength + unicodeLength
        let wide = flags2 & SMBLoginAnalyzer.flags2Unicode != 0 && wordCount == 13
        if wide && nameStart % 2 == 1 { nameStart += 1 }  // aligned from the start of the SMB header
        let account = SMBLoginAnalyzer.string(m, from: nameStart, wide: wide)
        // A null session: no account, an empty (or single NUL) password.
        let noPassword = oem.allSatisfy { $0 == 0 } && unicode.allSatisfy { $0 == 0 }
        if account.isEmpty && noPassword { return }
        guard !(oem.isEmpty && unicode.isEmpty) else { return }
        // Without the NEGOTIATE response, 24-byte fields are taken for challenge responses.
        let encrypted =
            securityMode.map { $0 & SMBLoginAnalyzer.negotiateEncryptPasswords != 0 }
            ?? (oemLength == 24 || unicodeLength >= 24)
        let credential: CredentialSighting
        if encrypted {
            credential = CredentialSighting(
                mechanism: .ntlm, username: account, secret: Array(unicode.isEmpty ? oem : unicode))
        } else {
            var password = Array(oem.isEmpty ? unicode : oem)
            if password.last == 0 && oem.count > 0 { password.removeLast() }  // the OEM form may end in NUL
            credential = CredentialSighting(mechanism: .smbPlaintextPassword, username: account, secret: password)
        }
        setPending(credential)
    }

    /// A NUL-terminated string at `start`: 8-bit, or UTF-16LE converted to UTF-8.
    static func string(_ m: UnsafeRawBufferPointer, from start: Int, wide: Bool) -> [UInt8] {
        guard start < m.count else { return [] }
        if !wide {
            let end = m.nul(from: start) ?? m.count
            return Array(m[start..<end])
        }
        var end = start
        while end + 1 < m.count && (m[end] != 0 || m[end + 1] != 0) { end += 2 }
        return UnsafeRawBufferPointer(rebasing: m[start..<end]).utf8FromUTF16LE()
    }

    // MARK: SMB2

    /// One SMB2 message: the 64-byte sync header (MS-SMB2 §2.2.1.2), then
    /// SESSION_SETUP's request (§2.2.5) or response (§2.2.6).
    func smb2(_ m: UnsafeRawBufferPointer, direction: Direction) -> Bool {
        let h = SMBLoginAnalyzer.smb2HeaderSize
        guard m.count >= h + 8, let status = m.uint32LE(at: 8) else { return false }
        guard m.uint16LE(at: 12) == SMBLoginAnalyzer.smb2SessionSetup else { return true }
        let isResponse = (m.uint32LE(at: 16) ?? 0) & SMBLoginAnalyzer.smb2FlagsServerToRedir != 0
        switch (direction, isResponse) {
        case (.toServer, false):
            // SecurityBufferOffset (from the header's start) and Length at 12 and 14.
            guard m.count >= h + 16 else { return true }
            let offset = Int(m.uint16LE(at: h + 12)), length = Int(m.uint16LE(at: h + 14))
            guard offset >= h, offset + length <= m.count else { return true }
            securityBlob(UnsafeRawBufferPointer(rebasing: m[offset..<(offset + length)]))
        case (.toClient, true):
            let sessionFlags = m.uint16LE(at: h + 2)
            sessionSetupResponse(status: status, ntStatus: true)
            if status == SMBLoginAnalyzer.statusSuccess && sessionFlags & SMBLoginAnalyzer.sessionFlagEncryptData != 0 {
                isEncrypted = true
                isDone = true
            }
        default:
            break
        }
        return true
    }

    // MARK: both

    /// A session setup's security blob: an NTLM AUTHENTICATE in it is a credential.
    func securityBlob(_ blob: UnsafeRawBufferPointer) {
        guard blob.count >= 52, BERCursor.contains(blob, "NTLMSSP\0") else { return }
        if let c = NTLMMessage.authenticate(Array(blob)) { setPending(c) }
    }

    func setPending(_ credential: CredentialSighting) {
        finish(.unknown)  // an earlier one never answered
        pending = credential
    }

    func sessionSetupResponse(status: UInt32, ntStatus: Bool) {
        if ntStatus && status == SMBLoginAnalyzer.statusMoreProcessingRequired { return }
        if status == SMBLoginAnalyzer.statusSuccess {
            finish(.accepted)
            sessionEstablished = true
        } else {
            finish(.rejected)  // STATUS_LOGON_FAILURE and the other refusals; the client may try again
        }
    }
}

fileprivate extension UnsafeRawBufferPointer {
    /// A little-endian 16-bit value at `k`, 0 past the end.
    func uint16LE(at k: Int) -> UInt16 {
        guard k >= 0, k + 2 <= count else { return 0 }
        return UInt16(self[k]) | UInt16(self[k + 1]) << 8
    }
}
