import Flows

/// Reads the authentication of a MongoDB session (MongoDB Wire Protocol,
/// "Authentication" in the drivers' specifications) and reports what the
/// client proved itself with: a SASL PLAIN password (LDAP-backed `$external`
/// users), the SCRAM-SHA-1/SCRAM-SHA-256 client-final message (its proof is
/// crackable offline; the user name comes from `n=` in the client-first), or
/// the legacy MONGODB-CR `authenticate` key (an MD5 over the nonce, user and
/// password hash), with the server's verdict.
///
/// Messages are a 16-byte little-endian header (length including itself,
/// requestID, responseTo, opCode) and a body. Commands come as OP_MSG
/// (2013: flag bits, sections; kind 0 is the command document) or, from
/// older drivers, OP_QUERY (2004) on `<db>.$cmd`; replies as OP_MSG or
/// OP_REPLY (1). BSON is read in place (`BSONCursor`). The commands read are
/// `saslStart` (mechanism, payload), `saslContinue` (payload), `authenticate`
/// (user, key) and `hello`/`isMaster` carrying `speculativeAuthenticate` (a
/// `saslStart` inside the handshake). A credential's verdict is the reply
/// whose responseTo is its command's requestID: `ok: 1` accepts (for SCRAM,
/// the server only goes on once the proof checked out), `ok: 0` rejects.
///
/// After a verdict, or once the client sends a command that is not part of
/// a login with nothing pending (the login is over or there was none), or
/// after `maxCommands`, the analyzer is `.done`. Compressed messages
/// (OP_COMPRESSED) are not read: the drivers' compression specification
/// forbids compressing the authentication commands.
public final class MongoDBLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Messages longer than `maxMessage`: skipped unread.
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest message copied when it spans chunks (login commands and replies are far smaller).
    public static let maxMessage = 16_384
    /// Client commands read before the analyzer gives up on seeing a login.
    public static let maxCommands = 16

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    var commands = 0
    /// The SCRAM user name (from the client-first message).
    var scramUser: [UInt8]?
    var pending: CredentialSighting?
    /// requestID of the command that carried `pending`.
    var pendingRequest: UInt32 = 0

    // opCodes.
    static let opReply: UInt32 = 1
    static let opQuery: UInt32 = 2004
    static let opMsg: UInt32 = 2013

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int { 4 }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        let length = Int(UInt32(truncatingIfNeeded: header).byteSwapped)  // little-endian, includes itself
        return length >= 16 && length <= 48_000_000 ? length - 4 : nil
    }

    /// `body` starts at requestID: requestID, responseTo, opCode, then the opCode's body.
    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        guard !skipped, let requestID = body.uint32LE(at: 0), let responseTo = body.uint32LE(at: 4),
            let opCode = body.uint32LE(at: 8)
        else { return true }
        let payload = UnsafeRawBufferPointer(rebasing: body[12...])
        if direction == .toServer {
            guard let command = MongoDBLoginAnalyzer.commandDocument(payload, opCode: opCode) else { return true }
            commands += 1
            if !self.command(command, requestID: requestID, nested: false) && pending == nil
                || commands >= MongoDBLoginAnalyzer.maxCommands
            {
                isDone = true
                return false
            }
            return true
        }
        guard pending != nil, responseTo == pendingRequest,
            var reply = MongoDBLoginAnalyzer.replyDocument(payload, opCode: opCode), let ok = reply.find("ok")?.isTrue
        else { return true }
        finish(ok ? .accepted : .rejected)
        isDone = true
        return false
    }

    /// The command document of an OP_MSG (its kind-0 section; kind-1
    /// document sequences are stepped over) or of an OP_QUERY on `*.$cmd`
    /// (flags, collection, skip, limit, query).
    static func commandDocument(_ p: UnsafeRawBufferPointer, opCode: UInt32) -> BSONCursor? {
        switch opCode {
        case opMsg:
            var k = 4  // flag bits
            while k < p.count {
                if p[k] == 0 { return BSONCursor(UnsafeRawBufferPointer(rebasing: p[(k + 1)...])) }
                guard p[k] == 1, let size = p.uint32LE(at: k + 1), size >= 4 else { return nil }
                k += 1 + Int(size)
            }
            return nil
        case opQuery:
            guard let end = p.nul(from: 4), end >= 9, p.bytesEqual(end - 5, end, ".$cmd"), end + 9 <= p.count else { return nil }
            return BSONCursor(UnsafeRawBufferPointer(rebasing: p[(end + 9)...]))
        default:
            return nil
        }
    }

    /// The reply document of an OP_MSG or an OP_REPLY (flags, cursor id,
    /// starting from, number returned, documents).
    static func replyDocument(_ p: UnsafeRawBufferPointer, opCode: UInt32) -> BSONCursor? {
        switch opCode {
        case opMsg: return commandDocument(p, opCode: opMsg)
        case opReply: return p.count > 20 ? BSONCursor(UnsafeRawBufferPointer(rebasing: p[20...])) : nil
        default: return nil
        }
    }

    /// Reads one command; false when it is not part of a login.
    func command(_ document: BSONCursor, requestID: UInt32, nested: Bool) -> Bool {
        var cursor = document
        guard let name = cursor.next() else { return false }
        if name.named("saslStart") {
            var mechanism: UnsafeRawBufferPointer?
            var payload: UnsafeRawBufferPointer?
            while let e = cursor.next() {
                if e.named("mechanism") { mechanism = e.bytes }
                if e.named("payload") { payload = e.bytes }
            }
            guard let mechanism, let payload else { return true }
            if mechanism.bytesEqual(0, mechanism.count, "PLAIN") {
                if let (user, password) = SASLPlain.parse(payload) {
                    expect(CredentialSighting(mechanism: .mongodbPlain, username: user, secret: password), requestID)
                }
            } else if mechanism.count > 6 && mechanism.bytesEqual(0, 6, "SCRAM-") {
                scramUser = MongoDBLoginAnalyzer.scramUser(payload)
            }
            return true
        }
        if name.named("saslContinue") {
            guard let payload = cursor.find("payload")?.bytes, MongoDBLoginAnalyzer.isClientFinal(payload) else { return true }
            expect(CredentialSighting(mechanism: .scram, username: scramUser, secret: Array(payload)), requestID)
            return true
        }
        if name.named("authenticate") {
            // MONGODB-CR: { authenticate: 1, user, nonce, key } (X.509 has no key: nothing to report).
            var user: UnsafeRawBufferPointer?
            var key: UnsafeRawBufferPointer?
            while let e = cursor.next() {
                if e.named("user") { user = e.bytes }
                if e.named("key") { key = e.bytes }
            }
            if let key, !key.isEmpty {
                expect(CredentialSighting(mechanism: .mongodbCR, username: user.map { Array($0) }, secret: Array(key)), requestID)
            }
            return true
        }
        guard !nested else { return false }
        if name.named("hello") || name.named("isMaster") || name.named("ismaster") {
            if let speculative = cursor.find("speculativeAuthenticate")?.document {
                _ = command(speculative, requestID: requestID, nested: true)
            }
            return true
        }
        if name.named("$query"), let inner = name.document { return command(inner, requestID: requestID, nested: true) }
        return name.named("getnonce") || name.named("buildInfo") || name.named("buildinfo") || name.named("ping")
    }

    func expect(_ credential: CredentialSighting, _ requestID: UInt32) {
        finish(.unknown)
        pending = credential
        pendingRequest = requestID
    }

    /// `n,,n=user,r=nonce` (RFC 5802 §7): the user name, with `=2C`/`=3D` left as sent.
    static func scramUser(_ clientFirst: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let firstComma = clientFirst.firstIndex(of: UInt8(ascii: ",")),
            let secondComma = clientFirst[(firstComma + 1)...].firstIndex(of: UInt8(ascii: ","))
        else { return nil }
        let start = secondComma + 1
        guard clientFirst.bytesEqual(start, min(start + 2, clientFirst.count), "n=") else { return nil }
        let end = clientFirst[(start + 2)...].firstIndex(of: UInt8(ascii: ",")) ?? clientFirst.count
        return Array(clientFirst[(start + 2)..<end])
    }

    /// The client-final message carries the proof: `c=...,r=...,p=...`.
    static func isClientFinal(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard payload.bytesEqual(0, min(2, payload.count), "c=") else { return false }
        var k = 0
        while k + 3 <= payload.count {
            if payload[k] == UInt8(ascii: ","), payload[k + 1] == UInt8(ascii: "p"), payload[k + 2] == UInt8(ascii: "=") {
                return true
            }
            k += 1
        }
        return false
    }
}
