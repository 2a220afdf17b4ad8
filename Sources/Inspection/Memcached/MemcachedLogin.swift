import Flows

/// Reads the SASL login of a memcached binary-protocol session (memcached
/// `protocol-binary.txt` and "SASL Auth Protocol") and reports a PLAIN
/// password (`authzid NUL user NUL password`) with the server's verdict.
///
/// A binary packet has a 24-byte header: magic (0x80 request, 0x81
/// response), opcode, key length, extras length, data type, vbucket id
/// (requests) or status (responses), total body length (extras, key and
/// value), opaque, CAS. The header is read in two steps — the first eight
/// bytes, then the body length — so `FramedDialogue` can cut it. Client:
/// SASL Auth (`0x21`: key = mechanism, value = the initial response); List
/// Mechanisms, SASL Step, Version, No-op go by; any other command with
/// nothing pending means there is no login to see. Server: the answer to
/// SASL Auth/Step — status 0 accepts, 0x20 (authentication error) rejects,
/// 0x21 (continue) waits.
///
/// The text protocol (`get`, `set`, `VALUE`, ...) has no login: the first
/// bytes of each direction are not a binary magic, both directions stop and
/// the analyzer is `.done` — the flow's exposure (`cleartext.memcached`)
/// comes from its identification alone.
///
/// Packets inside one chunk are read in place; one that spans chunks is
/// copied up to `maxMessage` bytes; longer ones (large values) are skipped
/// by length and counted. A credential whose verdict was not seen is emitted
/// as `.unknown`.
public final class MemcachedLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Packets longer than `maxMessage`: skipped unread.
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest packet body copied when it spans chunks.
    public static let maxMessage = 8192

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    /// The first eight header bytes of each direction's current packet, once read.
    var headers = SplitHeaders()
    var pending: CredentialSighting?

    // Opcodes and statuses.
    static let noop: UInt8 = 0x0a
    static let version: UInt8 = 0x0b
    static let listMechanisms: UInt8 = 0x20
    static let saslAuth: UInt8 = 0x21
    static let saslStep: UInt8 = 0x22
    static let authError: UInt16 = 0x20
    static let authContinue: UInt16 = 0x21

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int { headers.size(direction, rest: 4) }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        guard let first = headers[direction] else {
            // Magic of this direction, raw data type.
            let magic: UInt8 = direction == .toServer ? 0x80 : 0x81
            return UInt8(truncatingIfNeeded: header >> 56) == magic && header >> 16 & 0xff == 0 ? 0 : nil
        }
        let total = Int(header & 0xffff_ffff)
        let keyAndExtras = Int(first >> 32 & 0xffff) + Int(first >> 24 & 0xff)
        return keyAndExtras <= total ? 12 + total : nil  // opaque and CAS, then the body
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        guard let first = headers.take(header, direction) else { return true }
        let opcode = UInt8(truncatingIfNeeded: first >> 48)
        if direction == .toServer {
            switch opcode {
            case MemcachedLoginAnalyzer.saslAuth:
                guard !skipped else { return true }
                let extras = Int(first >> 24 & 0xff)
                let key = 12 + extras
                let value = key + Int(first >> 32 & 0xffff)
                guard body.bytesEqual(key, value, "PLAIN"),
                    let (user, password) = SASLPlain.parse(UnsafeRawBufferPointer(rebasing: body[value...]))
                else { return true }
                finish(.unknown)
                pending = CredentialSighting(mechanism: .memcachedSASLPlain, username: user, secret: password)
            case MemcachedLoginAnalyzer.listMechanisms, MemcachedLoginAnalyzer.saslStep, MemcachedLoginAnalyzer.version,
                 MemcachedLoginAnalyzer.noop:
                break
            default:
                guard pending != nil else {
                    isDone = true  // commands: no login to see
                    return false
                }
            }
            return true
        }
        guard pending != nil, opcode == MemcachedLoginAnalyzer.saslAuth || opcode == MemcachedLoginAnalyzer.saslStep else {
            return true
        }
        switch UInt16(truncatingIfNeeded: first) {
        case 0: finish(.accepted)
        case MemcachedLoginAnalyzer.authError: finish(.rejected)
        default: return true  // continue: a step follows
        }
        isDone = true
        return false
    }
}
