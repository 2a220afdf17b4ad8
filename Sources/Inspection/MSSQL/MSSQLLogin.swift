import Flows

/// Reads the login of a Microsoft SQL Server session (TDS 7.x, MS-TDS) and
/// reports the password a LOGIN7 carries — obfuscated, not encrypted — or the
/// NTLM response of an integrated (SSPI) login, with the user name and the
/// server's verdict.
///
/// Every message travels in TDS packets (MS-TDS §2.2.3.1): type, status
/// (bit 0x01 end of message), a big-endian length that counts the 8-byte
/// header, SPID, packet id, window. Client: PRELOGIN (`0x12`), LOGIN7
/// (`0x10`), SSPI (`0x11`: the NTLM AUTHENTICATE of an integrated login);
/// anything else (SQL batch, RPC) means the login is over or was not seen.
/// Server: tabular results (`0x04`) — the PRELOGIN answer, then the login's
/// token stream, where LOGINACK (`0xAD`) accepts and ERROR (`0xAA`) rejects.
///
/// Encryption is decided by the server's PRELOGIN answer, option ENCRYPTION
/// (§2.2.6.5): ENCRYPT_NOT_SUP (2) leaves the whole session in clear, the
/// LOGIN7 included; ENCRYPT_OFF (0) encrypts the LOGIN7 only (a TLS handshake
/// inside PRELOGIN packets, then TLS records) and the queries after it go in
/// clear; ENCRYPT_ON/REQ (1, 3) encrypt everything. In the last two cases no
/// password is visible and the analyzer is `.done` at once; the flow still
/// counts as MS SQL in clear for the exposure when it was identified from
/// clear packets. TDS 8.0 (strict) starts with TLS and is identified as TLS.
///
/// A LOGIN7 is read when it fits in one packet (its usual size is a few
/// hundred bytes; the default packet size is 4 KiB). Packets inside one chunk
/// are read in place; one that spans chunks is copied up to `maxMessage`
/// bytes (charged to the context's budget); longer ones are skipped and
/// counted. A credential whose verdict was not seen is emitted as `.unknown`.
public final class MSSQLLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Packets longer than `maxMessage`: skipped unread.
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest packet copied when it spans chunks (TDS packets are at most 32 KiB).
    public static let maxMessage = 32_768

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    /// The client sent PRELOGIN and the server has not answered it yet.
    var preloginAsked = false
    var pending: CredentialSighting?

    // Packet types (MS-TDS §2.2.3.1.1).
    static let tabularResult: UInt8 = 0x04
    static let login7: UInt8 = 0x10
    static let sspi: UInt8 = 0x11
    static let prelogin: UInt8 = 0x12
    static let endOfMessage: UInt8 = 0x01

    // ENCRYPTION values of PRELOGIN (§2.2.6.5).
    static let encryptNotSupported: UInt8 = 2

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int { 8 }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        let length = Int(header >> 32 & 0xffff)  // includes the header
        return length >= 8 ? length - 8 : nil
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        let type = UInt8(truncatingIfNeeded: header >> 56)
        let status = UInt8(truncatingIfNeeded: header >> 48)
        if direction == .toServer {
            switch type {
            case MSSQLLoginAnalyzer.prelogin:
                preloginAsked = true
            case MSSQLLoginAnalyzer.login7:
                // A LOGIN7 over several packets is not read (see the type's comment).
                if !skipped && status & MSSQLLoginAnalyzer.endOfMessage != 0 { login(body) }
            case MSSQLLoginAnalyzer.sspi:
                if !skipped, let c = NTLMMessage.authenticate(Array(body)) {
                    pending = CredentialSighting(mechanism: .ntlm, username: c.username, secret: c.secret)
                }
            default:
                // Queries: the login is over (or happened before the capture).
                guard pending != nil else {
                    isDone = true
                    return false
                }
            }
            return true
        }
        guard type == MSSQLLoginAnalyzer.tabularResult else { return false }
        if preloginAsked {
            preloginAsked = false
            guard !skipped, MSSQLLoginAnalyzer.encryption(body) == MSSQLLoginAnalyzer.encryptNotSupported else {
                isDone = true  // the LOGIN7 goes inside TLS: nothing to read
                return false
            }
            return true
        }
        guard !skipped, let accepted = MSSQLLoginAnalyzer.loginVerdict(body) else { return true }
        finish(accepted ? .accepted : .rejected)
        isDone = true
        return false
    }

    /// LOGIN7 (§2.2.6.4): a fixed part with offset/length pairs (offsets from
    /// the start of the record, lengths in UCS-2 characters): user name at
    /// 40/42, password at 44/46, SSPI at 78/80 (bytes). The password is
    /// obfuscated — each byte's nibbles swapped, then XOR 0xA5 — which undoes
    /// trivially. An integrated login carries an SSPI blob instead (NTLM
    /// NEGOTIATE or Kerberos); its NTLM AUTHENTICATE comes in an SSPI packet.
    func login(_ body: UnsafeRawBufferPointer) {
        guard body.count >= 48 else { return }
        func u16(_ k: Int) -> Int { Int(body[k]) | Int(body[k + 1]) << 8 }
        func field(_ at: Int) -> UnsafeRawBufferPointer? {
            let offset = u16(at)
            let length = u16(at + 2) * 2
            guard offset + length <= body.count else { return nil }
            return UnsafeRawBufferPointer(rebasing: body[offset..<(offset + length)])
        }
        guard let user = field(40), let password = field(44), !password.isEmpty else { return }
        var clear = [UInt8](repeating: 0, count: password.count)
        for k in 0..<password.count {
            let b = password[k] ^ 0xa5
            clear[k] = b << 4 | b >> 4
        }
        pending = CredentialSighting(
            mechanism: .mssqlPassword, username: user.utf8FromUTF16LE(),
            secret: clear.withUnsafeBytes { $0.utf8FromUTF16LE() })
    }

    /// The ENCRYPTION value of a PRELOGIN message (§2.2.6.5): option tokens
    /// (token, big-endian offset and length) up to `0xFF`, then their data.
    static func encryption(_ body: UnsafeRawBufferPointer) -> UInt8? {
        var k = 0
        while k < body.count && body[k] != 0xff {
            guard k + 5 <= body.count else { return nil }
            let offset = Int(body[k + 1]) << 8 | Int(body[k + 2])
            let length = Int(body[k + 3]) << 8 | Int(body[k + 4])
            if body[k] == 0x01 {
                guard length >= 1, offset < body.count else { return nil }
                return body[offset]
            }
            k += 5
        }
        return nil
    }

    /// Token stream of a login response (§2.2.7): true at LOGINACK, false at
    /// ERROR, nil when neither shows before a token this reader does not
    /// measure (the tokens of a login response before those two all carry a
    /// 16-bit length: ENVCHANGE, INFO, SSPI).
    static func loginVerdict(_ body: UnsafeRawBufferPointer) -> Bool? {
        var k = 0
        while k + 3 <= body.count {
            switch body[k] {
            case 0xad: return true  // LOGINACK
            case 0xaa: return false  // ERROR
            case 0xe3, 0xab, 0xed:  // ENVCHANGE, INFO, SSPI
                k += 3 + (Int(body[k + 1]) | Int(body[k + 2]) << 8)
            default:
                return nil
            }
        }
        return nil
    }
}
