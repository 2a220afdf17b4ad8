import Flows

/// Reads the start of a PostgreSQL session (protocol 3.0, PostgreSQL docs
/// "Message Flow" and "Message Formats") and reports the password the client
/// sent in clear: a cleartext password, an MD5 hash (`md5` + 32 hex digits)
/// or a SCRAM exchange (the client-final message with its proof), with the
/// user name of the StartupMessage and the server's verdict.
///
/// Client: untyped messages (32-bit length, then a code) until the
/// StartupMessage — SSLRequest and GSSENCRequest are answered by a single
/// byte: `S`/`G` (TLS or GSS encryption follows: the analyzer is done) or `N`
/// (the startup follows in clear); a CancelRequest ends it. Then typed
/// messages (type byte, 32-bit length); only `p` is read. Server: `R`
/// AuthenticationRequest (0 OK, 3 cleartext, 5 MD5, 10 SASL, 11
/// SASLContinue, 12 SASLFinal) and `E` ErrorResponse; `R` 0 accepts, `E`
/// rejects, and either ends the login: the analyzer is `.done` (queries are
/// not its business). A `p` is read as what the last `R` asked for.
///
/// Messages inside one chunk are read in place; one that spans chunks is
/// copied up to `maxMessage` bytes (charged to the context's budget);
/// longer ones are skipped by length and counted in `oversizedMessages`.
/// A credential whose verdict was not seen (the server's stream ended,
/// gapped or passed `maxDepth`) is emitted as `.unknown`.
public final class PostgreSQLLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Messages longer than `maxMessage`: skipped unread.
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest message copied when it spans chunks.
    public static let maxMessage = 8192

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    /// The StartupMessage went by: client messages are typed from now on.
    var started = false
    /// SSLRequest/GSSENCRequest sent and not yet answered (one byte each).
    var encryptionRequests = 0
    /// User name from the StartupMessage.
    var user: [UInt8]?
    /// What the next PasswordMessage (`p`) carries, per the last `R`.
    var expected: Expected = .unknown
    /// A credential waiting for `R` 0 or `E`.
    var pending: CredentialSighting?

    enum Expected { case unknown, cleartext, md5, saslInitial, saslResponse, other }

    static let protocol3: UInt32 = 196_608
    static let sslRequest: UInt32 = 80_877_103
    static let gssEncRequest: UInt32 = 80_877_104
    static let cancelRequest: UInt32 = 80_877_102

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int {
        if direction == .toServer { return started ? 5 : 4 }
        return encryptionRequests > 0 ? 1 : 5
    }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        if direction == .toClient && encryptionRequests > 0 { return 0 }  // the one-byte answer
        let length = Int(header & 0xffff_ffff)  // includes itself
        return length >= 4 ? length - 4 : nil
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        if direction == .toServer {
            if !started { return untypedMessage(body, skipped: skipped) }
            if UInt8(truncatingIfNeeded: header >> 32) == UInt8(ascii: "p") && !skipped { passwordMessage(body) }
            return true
        }
        if encryptionRequests > 0 {
            encryptionRequests -= 1
            switch UInt8(truncatingIfNeeded: header) {
            case UInt8(ascii: "N"): return true  // refused: the startup follows in clear
            case UInt8(ascii: "S"), UInt8(ascii: "G"):
                isDone = true  // encrypted from here on
                return false
            default: return false
            }
        }
        switch UInt8(truncatingIfNeeded: header >> 32) {
        case UInt8(ascii: "R"):
            guard let code = body.uint32BE(at: 0) else { return false }
            switch code {
            case 0:
                finish(.accepted)
                isDone = true
                return false
            case 3: expected = .cleartext
            case 5: expected = .md5
            case 10: expected = .saslInitial
            case 11: expected = .saslResponse
            case 12: expected = .other  // SASLFinal: the verdict (R 0 or E) follows
            default: expected = .other  // Kerberos, GSS, SSPI: no password on the wire
            }
        case UInt8(ascii: "E"):
            finish(.rejected)
            isDone = true
            return false
        default:
            break
        }
        return true
    }

    /// StartupMessage, SSLRequest, GSSENCRequest or CancelRequest.
    func untypedMessage(_ body: UnsafeRawBufferPointer, skipped: Bool) -> Bool {
        guard !skipped, let code = body.uint32BE(at: 0) else { return false }
        switch code {
        case PostgreSQLLoginAnalyzer.sslRequest, PostgreSQLLoginAnalyzer.gssEncRequest:
            encryptionRequests += 1
            return true
        case PostgreSQLLoginAnalyzer.cancelRequest:
            isDone = true
            return false
        case _ where code >> 16 == 3:
            started = true
            // key NUL value NUL ... NUL
            var k = 4
            while k < body.count, body[k] != 0, let keyEnd = body.nul(from: k), let valueEnd = body.nul(from: keyEnd + 1) {
                if body.bytesEqual(k, keyEnd, "user") { user = Array(body[(keyEnd + 1)..<valueEnd]) }
                k = valueEnd + 1
            }
            return true
        default:
            return false  // not PostgreSQL (or a TLS hello after `S`)
        }
    }

    /// PasswordMessage, SASLInitialResponse or SASLResponse, as the last `R` asked.
    func passwordMessage(_ body: UnsafeRawBufferPointer) {
        var kind = expected
        if kind == .unknown {
            // No request seen (it was lost): guess from the content.
            if body.count == 36 && body.bytesEqual(0, 3, "md5") {
                kind = .md5
            } else if body.count > 5 && body.bytesEqual(0, 5, "SCRAM") {
                kind = .saslInitial
            } else {
                kind = .cleartext
            }
        }
        // A NUL-terminated string: the terminator is not part of the secret.
        var end = body.count
        if end > 0 && body[end - 1] == 0 { end -= 1 }
        switch kind {
        case .cleartext:
            finish(.unknown)
            pending = CredentialSighting(
                mechanism: .postgresqlPassword, username: user, secret: Array(body[0..<end]))
        case .md5:
            finish(.unknown)
            pending = CredentialSighting(mechanism: .postgresqlMD5, username: user, secret: Array(body[0..<end]))
        case .saslInitial:
            break  // mechanism name and client-first message: no proof yet
        case .saslResponse:
            finish(.unknown)
            pending = CredentialSighting(mechanism: .scram, username: user, secret: Array(body))
        case .unknown, .other:
            break
        }
        expected = .other
    }
}
