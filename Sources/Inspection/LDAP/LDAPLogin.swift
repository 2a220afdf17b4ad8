import Flows

/// Reads the binds of an LDAPv3 session over TCP (RFC 4511) and reports the
/// credentials a client sent in clear, with the server's verdict on them.
///
/// Each direction is a sequence of BER LDAPMessages (RFC 4511 §4.1.1):
///
///     LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp CHOICE {...}, controls [0] OPTIONAL }
///
/// framed by the outer SEQUENCE's length (short form, or long form with up to
/// 4 length bytes as Active Directory sends). Only the start of a message is
/// looked at to learn its operation; what is not of interest (searches and
/// their results, modifications...) is skipped by length without reading it.
///
/// - `BindRequest` [APPLICATION 0] `{ version, name, authentication }`:
///   `simple` [0] with a non-empty password → `.ldapSimpleBind` (user = DN);
///   an empty one is an anonymous or unauthenticated bind, not reported.
///   `sasl` [3] `{ mechanism, credentials }`: `PLAIN` (RFC 4616,
///   authzid NUL authcid NUL passwd) → `.saslPlain`; credentials holding an
///   NTLM AUTHENTICATE message (GSS-SPNEGO, or Microsoft's sicily [11]) →
///   `.ntlm`. Other mechanisms are not reported.
/// - `BindResponse` [APPLICATION 1] with the bind's messageID: resultCode 0
///   accepts it, saslBindInProgress (14) leaves it unknown, any other code
///   rejects it. A credential whose response is not seen before the server's
///   direction stops is emitted as unknown; at most `maxPendingBinds` wait.
/// - `ExtendedRequest` [APPLICATION 23] named StartTLS
///   (1.3.6.1.4.1.1466.20037): TLS follows, the analyzer is done (the
///   STARTTLS watcher takes the stream over).
///
/// A message that lies inside one chunk is read in place. One of interest
/// that spans chunks is copied whole (at most `maxMessage` bytes, charged to
/// the context's budget; a bigger one is skipped and counted in
/// `oversizedMessages`, one refused by the budget is skipped and counted by
/// the context). A message start cut by a chunk end before its operation is
/// known is kept in a 16-byte inline buffer. Per chunk nothing is allocated
/// unless such a copy is made or a credential is kept.
///
/// A direction stops at its end, a gap, `maxDepth` bytes, or framing that is
/// not an LDAPMessage (e.g. SASL-wrapped traffic after a bind with a
/// security layer); the analyzer is `.done` once both stopped.
public final class LDAPLoginAnalyzer: StreamAnalyzer, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Messages of interest longer than `maxMessage` that spanned chunks: skipped.
    public private(set) var oversizedMessages: UInt64 = 0
    /// Largest message copied when it spans chunks.
    public static let maxMessage = 65_536
    /// Binds waiting for their response; past it the oldest is emitted as unknown.
    static let maxPendingBinds = 4

    // Owned by one flow slot on the packet thread.
    @exclusivity(unchecked) var toServer = LDAPMessageReader()
    @exclusivity(unchecked) var toClient = LDAPMessageReader()
    @exclusivity(unchecked) var pending: [PendingBind] = []
    var upgraded = false

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    public var isDone: Bool { toServer.stopped && toClient.stopped }

    // MARK: StreamAnalyzer

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        var reader = LDAPMessageReader()
        if direction == .toServer { swap(&reader, &toServer) } else { swap(&reader, &toClient) }
        read(bytes, offset: offset, into: &reader, direction: direction, context: &context)
        if direction == .toServer { swap(&reader, &toServer) } else { swap(&reader, &toClient) }
        return settle(&context)
    }

    /// Message boundaries are lost with the bytes: the direction stops.
    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        stop(direction, context: &context)
        return settle(&context)
    }

    public func end(direction: Direction, context: inout InspectionContext) {
        stop(direction, context: &context)
        _ = settle(&context)
    }

    func stop(_ direction: Direction, context: inout InspectionContext) {
        if direction == .toServer { toServer.stop(&context) } else { toClient.stop(&context) }
    }

    /// With the server's direction stopped no response can decide a waiting bind.
    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        if upgraded {
            toServer.stop(&context)
            toClient.stop(&context)
        }
        if toClient.stopped { flushPending() }
        return isDone ? .done : .needMore
    }

    // MARK: framing

    func read(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, into r: inout LDAPMessageReader, direction: Direction,
        context: inout InspectionContext
    ) {
        guard !r.stopped else { return }
        // A direction first seen past its start (identification held none of
        // it, or the flow was picked up late) is read from here.
        if !r.begun {
            r.begun = true
            r.expectedOffset = max(r.expectedOffset, offset)
        }
        let end = offset + UInt64(bytes.count)
        guard end > r.expectedOffset else { return }  // already read
        guard offset <= r.expectedOffset else {
            r.stop(&context)  // bytes in between never arrived
            return
        }
        var i = Int(r.expectedOffset - offset)
        let allowed = maxDepth > offset ? maxDepth - offset : 0
        let limit = Int(min(UInt64(bytes.count), allowed))
        r.expectedOffset = offset + UInt64(max(limit, i))
        while i < limit && !r.stopped && !upgraded {
            if r.remaining > 0 {
                // The rest of a message that began in an earlier chunk.
                let take = Int(min(r.remaining, UInt64(limit - i)))
                if r.copying { r.held.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)])) }
                r.remaining -= UInt64(take)
                i += take
                if r.remaining == 0 && r.copying {
                    var held: [UInt8] = []
                    swap(&held, &r.held)
                    held.withUnsafeBytes { message($0, direction: direction) }
                    r.dropHeld(&context)
                }
            } else if r.headCount == 0 {
                // A message starts in this chunk: read in place when it all is here.
                let rest = UnsafeRawBufferPointer(rebasing: bytes[i..<limit])
                switch LDAPLoginAnalyzer.peekMessage(rest) {
                case .malformed:
                    r.stop(&context)
                case .needMore:
                    r.keepHead(rest)
                    i = limit
                case .message(let total, let op):
                    if total <= UInt64(rest.count) {
                        // Safe: total <= rest.count.
                        message(UnsafeRawBufferPointer(rebasing: rest[..<Int(total)]), direction: direction)
                        i += Int(total)
                    } else {
                        begin(total: total, op: op, start: rest, into: &r, direction: direction, context: &context)
                        i = limit
                    }
                }
            } else {
                // A message start cut by an earlier chunk: a byte at a time until its operation shows.
                r.appendHead(bytes[i])
                i += 1
                var head = r.head
                let headCount = r.headCount
                let verdict = withUnsafeBytes(of: &head) {
                    LDAPLoginAnalyzer.peekMessage(UnsafeRawBufferPointer(rebasing: $0[..<headCount]))
                }
                switch verdict {
                case .malformed:
                    r.stop(&context)
                case .needMore:
                    if headCount == LDAPMessageReader.headCapacity { r.stop(&context) }  // cannot happen: 13 bytes suffice
                case .message(let total, let op):
                    r.headCount = 0
                    withUnsafeBytes(of: &head) { bytes in
                        let start = UnsafeRawBufferPointer(rebasing: bytes[..<headCount])
                        begin(total: total, op: op, start: start, into: &r, direction: direction, context: &context)
                    }
                }
            }
        }
        if end >= maxDepth && !r.stopped { r.stop(&context) }
    }

    /// A message of `total` bytes whose first bytes are `start` goes on past
    /// this chunk: one of interest is copied, the others are skipped.
    func begin(
        total: UInt64, op: UInt8, start: UnsafeRawBufferPointer, into r: inout LDAPMessageReader, direction: Direction,
        context: inout InspectionContext
    ) {
        r.remaining = total - UInt64(start.count)
        guard LDAPLoginAnalyzer.isOfInterest(op, direction) else { return }
        guard total <= UInt64(LDAPLoginAnalyzer.maxMessage) else {
            oversizedMessages &+= 1
            context.counters.cleartextOversizedMessages &+= 1
            return
        }
        // Safe: total <= maxMessage.
        guard context.reserve(Int(total)) else { return }  // counted by the context
        r.reserved = Int(total)
        r.copying = true
        r.held.reserveCapacity(Int(total))
        r.held.append(contentsOf: start)
    }

    static func isOfInterest(_ op: UInt8, _ direction: Direction) -> Bool {
        direction == .toServer ? op == Op.bindRequest || op == Op.extendedRequest : op == Op.bindResponse
    }

    enum Peek: Equatable {
        /// The message's length with its header, and its protocolOp tag.
        case message(total: UInt64, op: UInt8)
        case needMore
        case malformed
    }

    /// The framing of the LDAPMessage starting `b`: its outer SEQUENCE, a
    /// messageID INTEGER of 1 to 4 bytes, and the protocolOp's tag.
    static func peekMessage(_ b: UnsafeRawBufferPointer) -> Peek {
        let length: UInt64
        let headerLength: Int
        switch BERCursor.header(b, at: 0) {
        case .malformed: return .malformed
        case .needMore: return .needMore
        case .element(let tag, let l, let h):
            guard tag == BERCursor.sequenceTag else { return .malformed }
            length = l
            headerLength = h
        }
        guard b.count > headerLength else { return .needMore }
        guard b[headerLength] == BERCursor.integerTag else { return .malformed }
        guard b.count > headerLength + 1 else { return .needMore }
        let idLength = Int(b[headerLength + 1])
        guard idLength >= 1 && idLength <= 4 else { return .malformed }
        let op = headerLength + 2 + idLength
        guard b.count > op else { return .needMore }
        // The protocolOp's tag and length byte lie inside the message.
        guard length >= UInt64(op - headerLength + 2) else { return .malformed }
        return .message(total: UInt64(headerLength) + length, op: b[op])
    }

    // MARK: messages

    /// LDAP protocolOp tags (RFC 4511 §4.2, §4.12).
    enum Op {
        static let bindRequest: UInt8 = 0x60
        static let bindResponse: UInt8 = 0x61
        static let extendedRequest: UInt8 = 0x77
    }

    /// Authentication choice tags (RFC 4511 §4.2; [9]–[11] are Microsoft's sicily, MS-ADTS §5.1.1.1.3).
    enum Auth {
        static let simple: UInt8 = 0x80
        static let sasl: UInt8 = 0xa3
        static let sicilyNegotiate: UInt8 = 0x8a
        static let sicilyResponse: UInt8 = 0x8b
    }

    static let invalidCredentials: Int64 = 49
    static let saslBindInProgress: Int64 = 14

    /// One whole LDAPMessage; one that does not parse is passed over.
    func message(_ m: UnsafeRawBufferPointer, direction: Direction) {
        var outer = BERCursor(m)
        guard let body = outer.readElement(BERCursor.sequenceTag) else { return }
        var c = BERCursor(body)
        guard let id = c.readInteger(), let op = c.readElement() else { return }
        switch (direction, op.tag) {
        case (.toServer, Op.bindRequest): bindRequest(op.content, id: id)
        case (.toServer, Op.extendedRequest): extendedRequest(op.content)
        case (.toClient, Op.bindResponse): bindResponse(op.content, id: id)
        default: break
        }
    }

    ///     BindRequest ::= [APPLICATION 0] SEQUENCE {
    ///         version INTEGER (1 .. 127), name LDAPDN, authentication AuthenticationChoice }
    ///     AuthenticationChoice ::= CHOICE { simple [0] OCTET STRING, sasl [3] SaslCredentials, ... }
    ///     SaslCredentials ::= SEQUENCE { mechanism LDAPString, credentials OCTET STRING OPTIONAL }
    func bindRequest(_ content: UnsafeRawBufferPointer, id: Int64) {
        var c = BERCursor(content)
        guard c.readInteger() != nil, let name = c.readElement(BERCursor.octetStringTag),
            let authentication = c.readElement()
        else { return }
        let auth = authentication.content
        switch authentication.tag {
        case Auth.simple:
            guard !auth.isEmpty else { return }  // anonymous / unauthenticated bind
            addPending(CredentialSighting(mechanism: .ldapSimpleBind, username: Array(name), secret: Array(auth)), id: id)
        case Auth.sasl:
            var s = BERCursor(auth)
            guard let mechanism = s.readElement(BERCursor.octetStringTag) else { return }
            let credentials = s.readElement(BERCursor.octetStringTag) ?? UnsafeRawBufferPointer(start: nil, count: 0)
            if BERCursor.equal(mechanism, "PLAIN") {
                guard let first = credentials.firstIndex(of: 0),
                    let second = credentials[(first + 1)...].firstIndex(of: 0)
                else { return }
                addPending(
                    CredentialSighting(
                        mechanism: .saslPlain, username: Array(credentials[(first + 1)..<second]),
                        secret: Array(credentials[(second + 1)...])),
                    id: id)
            } else {
                ntlm(credentials, id: id)
            }
        case Auth.sicilyResponse, Auth.sicilyNegotiate:
            ntlm(auth, id: id)
        default:
            break
        }
    }

    /// An NTLM AUTHENTICATE message anywhere in `token` (bare, or in SPNEGO).
    func ntlm(_ token: UnsafeRawBufferPointer, id: Int64) {
        guard token.count >= 52, BERCursor.contains(token, "NTLMSSP\0") else { return }
        if let c = NTLM.authenticate(Array(token)) { addPending(c, id: id) }
    }

    ///     BindResponse ::= [APPLICATION 1] SEQUENCE {
    ///         COMPONENTS OF LDAPResult, serverSaslCreds [7] OCTET STRING OPTIONAL }
    ///     LDAPResult ::= SEQUENCE { resultCode ENUMERATED, matchedDN, diagnosticMessage, referral [3] OPTIONAL }
    func bindResponse(_ content: UnsafeRawBufferPointer, id: Int64) {
        var c = BERCursor(content)
        guard let code = c.readInteger(BERCursor.enumeratedTag),
            let k = pending.firstIndex(where: { $0.id == id })
        else { return }
        let outcome: LoginOutcome =
            code == 0 ? .accepted : code == LDAPLoginAnalyzer.saslBindInProgress ? .unknown : .rejected
        emit(pending.remove(at: k).sighting, outcome)
    }

    ///     ExtendedRequest ::= [APPLICATION 23] SEQUENCE {
    ///         requestName [0] LDAPOID, requestValue [1] OCTET STRING OPTIONAL }
    func extendedRequest(_ content: UnsafeRawBufferPointer) {
        var c = BERCursor(content)
        guard let name = c.readElement(0x80), BERCursor.equal(name, "1.3.6.1.4.1.1466.20037") else { return }
        upgraded = true
    }

    // MARK: credentials

    func addPending(_ sighting: CredentialSighting, id: Int64) {
        if pending.count >= LDAPLoginAnalyzer.maxPendingBinds { emit(pending.removeFirst().sighting, .unknown) }
        pending.append(PendingBind(sighting: sighting, id: id))
    }

    func emit(_ c: CredentialSighting, _ outcome: LoginOutcome) {
        var c = c
        c.outcome = outcome
        sightings.append(.credential(c))
    }

    func flushPending() {
        guard !pending.isEmpty else { return }
        for p in pending { emit(p.sighting, .unknown) }
        pending = []
    }
}

/// A bind waiting for the response with its messageID.
struct PendingBind {
    var sighting: CredentialSighting
    var id: Int64
}

/// One direction of an LDAP stream, cut into messages.
struct LDAPMessageReader {
    /// Stream offset of the next byte to read.
    var expectedOffset: UInt64 = 0
    var begun = false
    /// Ended, gapped, past the depth or unframeable: nothing more is read.
    var stopped = false
    /// The first bytes of a message cut by a chunk end before its operation showed.
    var head = SIMD16<UInt8>()
    var headCount = 0
    /// Bytes of the current message still to come (copied or skipped).
    var remaining: UInt64 = 0
    /// The current message is copied into `held`.
    var copying = false
    var held: [UInt8] = []
    /// Bytes charged to the context for `held`.
    var reserved = 0

    mutating func keepHead(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes { appendHead(b) }
    }

    static let headCapacity = 16

    mutating func appendHead(_ b: UInt8) {
        guard headCount < LDAPMessageReader.headCapacity else { return }
        head[headCount] = b
        headCount += 1
    }

    mutating func dropHeld(_ context: inout InspectionContext) {
        held = []
        context.release(reserved)
        reserved = 0
        copying = false
    }

    mutating func stop(_ context: inout InspectionContext) {
        dropHeld(&context)
        remaining = 0
        headCount = 0
        stopped = true
    }
}

extension BERCursor {
    /// Whether `text` occurs anywhere in `bytes` (exact case).
    static func contains(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        let t = text.utf8Start
        outer: for start in 0...(bytes.count - n) {
            for k in 0..<n where bytes[start + k] != t[k] { continue outer }
            return true
        }
        return false
    }
}
