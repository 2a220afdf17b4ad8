import Flows

/// Reads the start of an Apache Kafka connection (Kafka protocol guide,
/// "The Protocol"; KIP-43, KIP-152) and reports the SASL credentials a client
/// sent — PLAIN's password (`.saslPlain`) or SCRAM-SHA-256/512's final
/// message with its proof (`.scram`) — with the broker's verdict.
///
/// Every request and response is an int32 size then that many bytes.
/// Request header: api_key, api_version (int16), correlation_id (int32),
/// client_id (int16-length string, -1 for null), and in flexible versions
/// (header v2) tagged fields. A response starts with its correlation_id
/// (then tagged fields in flexible versions); the reader matches responses
/// to the SASL requests it saw by that id.
///
/// SaslHandshake (api 17) names the mechanism. After version 1, tokens
/// travel in SaslAuthenticate (api 36: auth_bytes; int32-length bytes, or
/// compact bytes from version 2) and its response carries error_code: 0
/// accepts, 58 (SASL_AUTHENTICATION_FAILED) rejects. After a version 0
/// handshake, raw tokens follow, each an int32 length then the token, in both
/// directions: the broker answers a good PLAIN token with a (empty) token and
/// a SCRAM client-final message with server-final (`v=` accepts, `e=`
/// rejects); a failed login just closes the connection, which a capture
/// cannot tell from its own end, so it stays `.unknown`.
///
/// A client that sends `maxRequestsBeforeSASL` requests without a
/// SaslHandshake authenticates some other way (or not at all): the analyzer
/// is `.done`. OAUTHBEARER and GSSAPI tokens are not reported. Messages
/// inside one chunk are read in place; one that spans chunks is copied up to
/// `maxMessage` bytes (charged to the context's budget); longer ones
/// (produce batches) are skipped and counted.
public final class KafkaLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    public internal(set) var sightings: [Sighting] = []
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest message copied when it spans chunks.
    public static let maxMessage = 16384
    /// Requests read before a client that has not started SASL is given up.
    public static let maxRequestsBeforeSASL = 8

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    enum Mechanism { case unnamed, plain, scram, other }
    var mechanism: Mechanism = .unnamed
    var requests = 0
    /// The client sent a SaslHandshake.
    var saslStarted = false
    /// The SaslHandshake request awaiting its response: correlation id and version.
    var handshake: (correlation: UInt32, version: UInt16)?
    /// A version 0 handshake: raw tokens follow from the client, and from the
    /// broker once it has answered the handshake.
    var clientRaw = false
    var serverRaw = false
    /// Raw tokens the broker sent.
    var serverTokens = 0
    /// SCRAM: the user name of the client-first message.
    var scramUser: [UInt8]?
    var pending: CredentialSighting?
    /// The SaslAuthenticate request that carried `pending` (nil: a raw token).
    var pendingRequest: (correlation: UInt32, version: UInt16)?

    static let saslHandshake: UInt16 = 17
    static let saslAuthenticate: UInt16 = 36
    static let saslAuthenticationFailed: UInt16 = 58

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int { 4 }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        header & 0x8000_0000 == 0 ? Int(header & 0xffff_ffff) : nil  // a negative size: not Kafka
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        if direction == .toServer {
            if clientRaw {
                guard !skipped else { return false }
                clientToken(body, request: nil)
                return pending == nil
            }
            return request(body, skipped: skipped)
        }
        if serverRaw {
            serverTokens += 1
            let verdictToken = mechanism == .scram ? 2 : 1
            guard serverTokens >= verdictToken else { return true }
            if mechanism == .scram {
                // server-final-message (RFC 5802 §7): `v=` verifier, or `e=` error.
                finish(body.bytesEqual(0, 2, "v=") ? .accepted : body.bytesEqual(0, 2, "e=") ? .rejected : .unknown)
            } else {
                finish(.accepted)
            }
            isDone = true
            return false
        }
        return response(body)
    }

    /// A request: only SaslHandshake and SaslAuthenticate are read.
    func request(_ body: UnsafeRawBufferPointer, skipped: Bool) -> Bool {
        requests += 1
        guard let apiKey = body.uint16BE(at: 0), let version = body.uint16BE(at: 2), let correlation = body.uint32BE(at: 4),
            let clientIDLength = body.uint16BE(at: 8)
        else { return false }
        var k = 10 + (clientIDLength == 0xffff ? 0 : Int(clientIDLength))
        switch apiKey {
        case KafkaLoginAnalyzer.saslHandshake where !skipped:
            // mechanism: string (int16 length). Never a flexible version.
            guard let length = body.uint16BE(at: k), k + 2 + Int(length) <= body.count else { return false }
            let name = UnsafeRawBufferPointer(rebasing: body[(k + 2)..<(k + 2 + Int(length))])
            mechanism =
                name.bytesEqual(0, name.count, "PLAIN") ? .plain
                : name.count > 6 && name.bytesEqual(0, 6, "SCRAM-") ? .scram : .other
            handshake = (correlation, version)
            saslStarted = true
            clientRaw = version == 0
            if mechanism == .other && pending == nil { isDone = true }  // OAUTHBEARER, GSSAPI: not read
            return !isDone
        case KafkaLoginAnalyzer.saslAuthenticate where !skipped:
            let authBytes: UnsafeRawBufferPointer
            if version >= 2 {
                // Request header v2: tagged fields after client_id; auth_bytes is compact bytes (length + 1).
                guard KafkaLoginAnalyzer.skipTaggedFields(body, at: &k), let (n, next) = body.base128(at: k, maxBytes: 5),
                    n >= 1, n - 1 <= body.count - next
                else { return false }
                authBytes = UnsafeRawBufferPointer(rebasing: body[next..<(next + n - 1)])
            } else {
                guard let length = body.uint32BE(at: k), Int(length) <= body.count - k - 4 else { return false }
                authBytes = UnsafeRawBufferPointer(rebasing: body[(k + 4)..<(k + 4 + Int(length))])
            }
            clientToken(authBytes, request: (correlation, version))
            return pending == nil
        default:
            if !saslStarted && requests >= KafkaLoginAnalyzer.maxRequestsBeforeSASL { isDone = true }
            return true
        }
    }

    /// A client SASL token. Without a handshake seen (a capture started
    /// late) the mechanism is told from the token itself.
    func clientToken(_ token: UnsafeRawBufferPointer, request: (correlation: UInt32, version: UInt16)?) {
        var kind = mechanism
        if kind == .unnamed {
            let gs2 = token.count > 3 && (token.bytesEqual(0, 2, "n,") || token.bytesEqual(0, 2, "y,"))
            kind = gs2 || KafkaLoginAnalyzer.scramAttribute(UInt8(ascii: "p"), in: token) != nil ? .scram : .plain
        }
        switch kind {
        case .plain:
            guard let (user, password) = SASLPlain.parse(token) else { return }
            pending = CredentialSighting(mechanism: .saslPlain, username: user, secret: password)
            pendingRequest = request
        case .scram:
            if KafkaLoginAnalyzer.scramAttribute(UInt8(ascii: "p"), in: token) != nil {
                // client-final-message (RFC 5802 §7): channel binding, nonce, proof.
                pending = CredentialSighting(mechanism: .scram, username: scramUser, secret: Array(token))
                pendingRequest = request
            } else if let user = KafkaLoginAnalyzer.scramAttribute(UInt8(ascii: "n"), in: token) {
                scramUser = Array(user)  // client-first-message: gs2 header, then n=user,r=nonce
            }
        case .unnamed, .other:
            break
        }
    }

    /// A response: the SaslHandshake's error code, or the verdict on the
    /// SaslAuthenticate that carried the credential.
    func response(_ body: UnsafeRawBufferPointer) -> Bool {
        guard let correlation = body.uint32BE(at: 0) else { return false }
        if let h = handshake, h.correlation == correlation {
            handshake = nil
            guard body.uint16BE(at: 4) == 0 else {
                isDone = pending == nil  // the mechanism is not enabled: no token follows
                return !isDone
            }
            serverRaw = h.version == 0
            return true
        }
        guard let r = pendingRequest, r.correlation == correlation else { return true }
        var k = 4
        // Response header v1 (flexible versions): tagged fields after the correlation id.
        if r.version >= 2 { guard KafkaLoginAnalyzer.skipTaggedFields(body, at: &k) else { return false } }
        switch body.uint16BE(at: k) {
        case 0: finish(.accepted)
        case KafkaLoginAnalyzer.saslAuthenticationFailed: finish(.rejected)
        default: finish(.unknown)
        }
        isDone = true
        return false
    }

    /// A tagged-field section (KIP-482): a count, then per field a tag, a size and the data.
    static func skipTaggedFields(_ body: UnsafeRawBufferPointer, at k: inout Int) -> Bool {
        guard let (count, next) = body.base128(at: k, maxBytes: 5) else { return false }
        k = next
        for _ in 0..<min(count, body.count) {
            guard let (_, afterTag) = body.base128(at: k, maxBytes: 5),
                let (size, afterSize) = body.base128(at: afterTag, maxBytes: 5), size <= body.count - afterSize
            else { return false }
            k = afterSize + size
        }
        return true
    }

    /// The value of SCRAM attribute `name` (RFC 5802 §5.1: `name=value`
    /// separated by commas), nil when absent.
    static func scramAttribute(_ name: UInt8, in message: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var start = 0
        while start < message.count {
            var end = start
            while end < message.count && message[end] != UInt8(ascii: ",") { end += 1 }
            if end - start >= 2 && message[start] == name && message[start + 1] == UInt8(ascii: "=") {
                return UnsafeRawBufferPointer(rebasing: message[(start + 2)..<end])
            }
            start = end + 1
        }
        return nil
    }
}
