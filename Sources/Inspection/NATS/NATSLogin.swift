#if canImport(Glibc)
import Glibc
#endif
import Flows

/// Reads the start of a NATS client connection (NATS docs, "Client
/// Protocol") and reports the credentials of the client's CONNECT, with the
/// server's verdict.
///
/// The server greets with `INFO {json}`; the client answers `CONNECT {json}`
/// (usually followed by `PING`). CONNECT's `user` and `pass` are a password
/// login (`.natsPassword`); `auth_token` is a shared token and `jwt` a user
/// JWT, both replayable (`.natsToken`). `nkey` is a public key and `sig` its
/// signature over the nonce of this server's INFO, so neither is reported.
///
/// The verdict is the server's first line after its greeting that answers
/// the client: `+OK` (verbose mode), `PONG`, `MSG`/`HMSG` accept;
/// `-ERR 'Authorization Violation'` (and the other authentication errors)
/// reject; another `-ERR` says nothing about the credentials. Server `PING`s
/// and later `INFO`s are not answers. Operations are matched ignoring case
/// (the protocol is case-insensitive).
///
/// Lines inside one chunk are read in place; a line cut by a chunk boundary
/// is copied up to `maxLine` bytes (charged to the context's budget) and read
/// truncated past it (counted). The client direction stops after its first
/// line; the analyzer is `.done` once the verdict is in, or when the
/// CONNECT carried no credential.
public final class NATSLoginAnalyzer: StreamAnalyzer, TwoWayDialogue, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    public internal(set) var sightings: [Sighting] = []
    /// Longest line kept (a CONNECT with a JWT is a few KiB; servers refuse
    /// control lines over 4 KiB by default).
    public static let maxLine = 16384
    /// Server lines read while waiting for the verdict.
    public static let maxServerLines = 16

    @exclusivity(unchecked) var toServer = NATSLineReader()
    @exclusivity(unchecked) var toClient = NATSLineReader()
    public private(set) var isDone = false

    var connectRead = false
    var pending: [CredentialSighting] = []
    var greeted = false
    var serverLines = 0
    /// The server's answer, once seen (it may be read before the CONNECT it answers).
    var verdict: LoginOutcome?

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: StreamAnalyzer (TwoWayDialogue's ingest, gap and end)

    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        if connectRead, let verdict {
            emit(verdict)
            isDone = true
        }
        if connectRead && pending.isEmpty { isDone = true }  // nothing to decide
        if toClient.stopped { emit(.unknown) }
        if toServer.stopped && toClient.stopped { isDone = true }
        guard isDone else { return .needMore }
        emit(.unknown)
        toServer.stop(&context)
        toClient.stop(&context)
        return .done
    }

    func emit(_ outcome: LoginOutcome) {
        for var credential in pending {
            credential.outcome = outcome
            sightings.append(.credential(credential))
        }
        pending.removeAll()
    }

    // MARK: lines

    func read(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, into r: inout NATSLineReader, direction: Direction,
        context: inout InspectionContext
    ) {
        guard !r.stopped else { return }
        guard let unread = r.unread(bytes.count, at: offset, maxDepth: maxDepth, context: &context) else { return }
        var i = unread.lowerBound
        let n = unread.upperBound
        // Safe: `unread` is not empty, so neither is the chunk.
        let base = bytes.baseAddress!
        while i < n && !r.stopped {
            guard let found = memchr(base + i, 0x0a, n - i) else {
                r.hold(UnsafeRawBufferPointer(rebasing: bytes[i..<n]), &context)
                break
            }
            let lf = UnsafeRawPointer(found) - base
            if r.spanning {
                r.hold(UnsafeRawBufferPointer(rebasing: bytes[i..<lf]), &context)
                var held: [UInt8] = []
                swap(&held, &r.held)
                held.withUnsafeBytes { line($0.droppingCR(), direction: direction, reader: &r, context: &context) }
                swap(&held, &r.held)
                r.endHeld(&context)
            } else {
                if lf - i > NATSLoginAnalyzer.maxLine { context.counters.cleartextOversizedMessages &+= 1 }
                let end = min(lf, i + NATSLoginAnalyzer.maxLine)
                line(UnsafeRawBufferPointer(rebasing: bytes[i..<end]).droppingCR(), direction: direction, reader: &r, context: &context)
            }
            i = lf + 1
        }
        if r.expectedOffset >= maxDepth { r.stop(&context) }
    }

    func line(_ text: UnsafeRawBufferPointer, direction: Direction, reader r: inout NATSLineReader, context: inout InspectionContext) {
        if direction == .toServer {
            // The first client line is CONNECT (the protocol requires it first); nothing after it matters.
            if NATSLoginAnalyzer.operation(text, is: "CONNECT") { pending = NATSLoginAnalyzer.credentials(text) }
            connectRead = true
            r.stopQuietly()
            return
        }
        serverLines += 1
        if serverLines > NATSLoginAnalyzer.maxServerLines { return r.stopQuietly() }
        if NATSLoginAnalyzer.operation(text, is: "INFO") {
            greeted = true
            return
        }
        guard greeted else { return r.stopQuietly() }  // not a NATS server
        if NATSLoginAnalyzer.operation(text, is: "PING") { return }
        if NATSLoginAnalyzer.operation(text, is: "+OK") || NATSLoginAnalyzer.operation(text, is: "PONG")
            || NATSLoginAnalyzer.operation(text, is: "MSG") || NATSLoginAnalyzer.operation(text, is: "HMSG")
        {
            verdict = .accepted
        } else if NATSLoginAnalyzer.operation(text, is: "-ERR") {
            let line = LoginLine(bytes: text)
            let authentication = line.contains("authorization") || line.contains("authentication")
            verdict = authentication ? .rejected : .unknown
        } else {
            verdict = .unknown
        }
        r.stopQuietly()
    }

    /// The line's first word is `name` (ignoring ASCII case).
    static func operation(_ text: UnsafeRawBufferPointer, is name: StaticString) -> Bool {
        let n = name.utf8CodeUnitCount
        guard text.count >= n else { return false }
        let t = name.utf8Start
        for k in 0..<n where LoginLine.lower(text[k]) != LoginLine.lower(t[k]) { return false }
        return text.count == n || text[n] == 0x20 || text[n] == 0x09
    }

    /// The credentials in `CONNECT {json}`.
    static func credentials(_ line: UnsafeRawBufferPointer) -> [CredentialSighting] {
        var k = 7
        while k < line.count && (line[k] == 0x20 || line[k] == 0x09) { k += 1 }
        let json = UnsafeRawBufferPointer(rebasing: line[k...])
        var found: [CredentialSighting] = []
        if let pass = JSONFields.string("pass", in: json) {
            let user = JSONFields.string("user", in: json)
            found.append(CredentialSighting(mechanism: .natsPassword, username: user, secret: pass))
        }
        for key: StaticString in ["auth_token", "jwt"] {
            if let token = JSONFields.string(key, in: json), !token.isEmpty {
                found.append(CredentialSighting(mechanism: .natsToken, username: nil, secret: token))
            }
        }
        return found
    }
}

/// One direction of NATS split into lines.
struct NATSLineReader: DirectionReader {
    var expectedOffset: UInt64 = 0
    var stopped = false
    /// First bytes (up to `NATSLoginAnalyzer.maxLine`) of a line that began in an earlier chunk.
    var held: [UInt8] = []
    var charged = 0
    var spanning = false
    /// The held line passed `maxLine` (counted once).
    var truncated = false

    mutating func hold(_ bytes: UnsafeRawBufferPointer, _ context: inout InspectionContext) {
        spanning = true
        let room = NATSLoginAnalyzer.maxLine - held.count
        if bytes.count > room && !truncated {
            truncated = true
            context.counters.cleartextOversizedMessages &+= 1
        }
        let take = min(bytes.count, room)
        guard take > 0, context.reserve(take) else { return }  // a refusal is counted by the context
        held.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<take]))
        charged += take
    }

    mutating func endHeld(_ context: inout InspectionContext) {
        held.removeAll(keepingCapacity: true)
        context.release(charged)
        charged = 0
        spanning = false
        truncated = false
    }

    mutating func stop(_ context: inout InspectionContext) {
        endHeld(&context)
        held = []
        stopped = true
    }

    /// Stops reading; what is held goes back to the budget in `endHeld` or `stop`.
    mutating func stopQuietly() { stopped = true }
}
