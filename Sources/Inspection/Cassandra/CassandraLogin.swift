import Flows

/// Reads the start of a Cassandra session (CQL native protocol v3, v4 and
/// v5, Apache Cassandra `doc/native_protocol_v*.spec`) and reports the
/// password of a PLAIN token (`authzid NUL user NUL password`, what
/// PasswordAuthenticator and DSE's PLAIN expect) with the server's verdict.
///
/// A message is an envelope: version byte (bit 0x80 set on responses),
/// flags (0x01: body compressed), stream id (16 bits), opcode, 32-bit
/// big-endian body length. Client: STARTUP (`0x01`: a string map; a
/// `COMPRESSION` entry is noted), OPTIONS, AUTH_RESPONSE (`0x0F`: a [bytes]
/// token). Server: AUTHENTICATE (`0x03`: the authenticator's class name),
/// READY (`0x02`: no login), AUTH_CHALLENGE, AUTH_SUCCESS (`0x10`: accepted),
/// ERROR (`0x00` with code 0x0100 "bad credentials": rejected).
///
/// Version 5 wraps envelopes in frames once the server has answered STARTUP
/// (spec §2, "Frame format"): a 6-byte header (3 bytes little-endian: 17
/// bits of payload length and a self-contained flag; then a CRC24), the
/// payload, a CRC32; the checksums are not verified. Compressed v5 frames and
/// compressed v3/v4 bodies are not read (a credential in them goes
/// unreported). The envelope header is read in two steps — the version byte,
/// then the eight bytes after it — so `FramedDialogue` can cut it.
///
/// After a verdict, READY, or a query with nothing pending, the analyzer is
/// `.done`. Messages inside one chunk are read in place; one that spans
/// chunks is copied up to `maxMessage` bytes; longer ones are skipped and
/// counted. A credential whose verdict was not seen is emitted as `.unknown`.
public final class CassandraLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Messages longer than `maxMessage`: skipped unread.
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest message copied when it spans chunks (a login's messages are far smaller).
    public static let maxMessage = 8192

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    /// What each direction reads next.
    var stage: (toServer: Stage, toClient: Stage) = (.version, .version)
    /// STARTUP asked for compression.
    var compression = false
    /// Protocol version of the server's last envelope.
    var serverVersion: UInt8 = 0
    var pending: CredentialSighting?

    enum Stage {
        /// The version byte of an envelope.
        case version
        /// The rest of the envelope header: flags, stream, opcode, length.
        case envelope
        /// A v5 frame header.
        case frame
    }

    // Opcodes (spec §2.4).
    static let error: UInt8 = 0x00
    static let startup: UInt8 = 0x01
    static let ready: UInt8 = 0x02
    static let authenticate: UInt8 = 0x03
    static let options: UInt8 = 0x05
    static let supported: UInt8 = 0x06
    static let authChallenge: UInt8 = 0x0e
    static let authResponse: UInt8 = 0x0f
    static let authSuccess: UInt8 = 0x10
    /// ERROR code "Bad credentials" (spec §9).
    static let badCredentials: UInt32 = 0x0100

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func stage(_ d: Direction) -> Stage { d == .toServer ? stage.toServer : stage.toClient }

    func setStage(_ s: Stage, _ d: Direction) {
        if d == .toServer { stage.toServer = s } else { stage.toClient = s }
    }

    func headerSize(_ direction: Direction) -> Int {
        switch stage(direction) {
        case .version: 1
        case .envelope: 8
        case .frame: 6
        }
    }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        switch stage(direction) {
        case .version:
            return 0
        case .envelope:
            let length = Int(header & 0xffff_ffff)
            return length <= 256 << 20 ? length : nil
        case .frame:
            return CassandraLoginAnalyzer.frameWord(header) & 0x1_ffff + 4  // payload, CRC32
        }
    }

    /// The first three bytes of a v5 frame header, little-endian.
    static func frameWord(_ header: UInt64) -> Int {
        Int(header >> 40 & 0xff) | Int(header >> 32 & 0xff) << 8 | Int(header >> 24 & 0xff) << 16
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        switch stage(direction) {
        case .version:
            let version = UInt8(truncatingIfNeeded: header)
            guard CassandraLoginAnalyzer.isVersion(version, direction) else { return false }
            if direction == .toClient { serverVersion = version & 0x7f }
            setStage(.envelope, direction)
            return true
        case .envelope:
            setStage(.version, direction)
            return envelope(
                flags: UInt8(truncatingIfNeeded: header >> 56), opcode: UInt8(truncatingIfNeeded: header >> 32),
                body: body, skipped: skipped, direction: direction)
        case .frame:
            // Only self-contained frames hold whole envelopes; a login's messages are never split.
            guard !skipped, CassandraLoginAnalyzer.frameWord(header) & 0x2_0000 != 0, body.count >= 4 else { return true }
            let payload = UnsafeRawBufferPointer(rebasing: body[0..<(body.count - 4)])
            var k = 0
            while k < payload.count {
                guard k + 9 <= payload.count, CassandraLoginAnalyzer.isVersion(payload[k], direction),
                    let length = payload.uint32BE(at: k + 5), Int(length) <= payload.count - k - 9
                else { return false }
                let inner = UnsafeRawBufferPointer(rebasing: payload[(k + 9)..<(k + 9 + Int(length))])
                guard envelope(flags: payload[k + 1], opcode: payload[k + 4], body: inner, skipped: false, direction: direction)
                else { return false }
                k += 9 + Int(length)
            }
            return true
        }
    }

    /// Versions 3 to 5, with the direction bit of `direction`.
    static func isVersion(_ byte: UInt8, _ direction: Direction) -> Bool {
        (byte & 0x80 != 0) == (direction == .toClient) && (3...5).contains(byte & 0x7f)
    }

    /// One envelope; false to stop the direction.
    func envelope(flags: UInt8, opcode: UInt8, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction) -> Bool {
        let readable = !skipped && flags & 0x01 == 0
        if direction == .toServer {
            switch opcode {
            case CassandraLoginAnalyzer.startup:
                if readable { compression = CassandraLoginAnalyzer.asksCompression(body) }
            case CassandraLoginAnalyzer.options:
                break
            case CassandraLoginAnalyzer.authResponse:
                // [bytes]: a 32-bit length, then the token.
                guard readable, let n = body.uint32BE(at: 0), Int32(bitPattern: n) >= 0, Int(n) <= body.count - 4,
                    let (user, password) = SASLPlain.parse(UnsafeRawBufferPointer(rebasing: body[4..<(4 + Int(n))]))
                else { return true }
                finish(.unknown)
                pending = CredentialSighting(mechanism: .cassandraPassword, username: user, secret: password)
            default:
                // Queries: the login is over (or was not seen).
                guard pending != nil else {
                    isDone = true
                    return false
                }
            }
            return true
        }
        switch opcode {
        case CassandraLoginAnalyzer.authenticate:
            switchToFrames()
        case CassandraLoginAnalyzer.ready:
            isDone = true  // no authentication
            return false
        case CassandraLoginAnalyzer.authSuccess:
            finish(.accepted)
            isDone = true
            return false
        case CassandraLoginAnalyzer.error:
            guard readable, body.uint32BE(at: 0) == CassandraLoginAnalyzer.badCredentials else { return true }
            finish(.rejected)
            isDone = true
            return false
        default:
            break  // SUPPORTED, AUTH_CHALLENGE
        }
        return true
    }

    /// AUTHENTICATE answered a v5 STARTUP: both directions go on in v5 frames
    /// (compressed ones are not read: the analyzer is done).
    func switchToFrames() {
        guard serverVersion == 5 else { return }
        if compression {
            isDone = true
            return
        }
        stage = (.frame, .frame)
    }

    /// A STARTUP string map (a 16-bit count, then [string] pairs) with a `COMPRESSION` key.
    static func asksCompression(_ body: UnsafeRawBufferPointer) -> Bool {
        guard body.count >= 2 else { return false }
        var pairs = Int(body[0]) << 8 | Int(body[1])
        var k = 2
        while pairs > 0 && k + 2 <= body.count {
            let keyLength = Int(body[k]) << 8 | Int(body[k + 1])
            let key = k + 2
            guard key + keyLength + 2 <= body.count else { return false }
            if body.bytesEqual(key, key + keyLength, "COMPRESSION") { return true }
            let value = key + keyLength
            k = value + 2 + (Int(body[value]) << 8 | Int(body[value + 1]))
            pairs -= 1
        }
        return false
    }
}
