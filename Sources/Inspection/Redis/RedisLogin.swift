#if canImport(Glibc)
import Glibc
#endif
import Flows

/// Reads the start of a Redis session (RESP2/RESP3, redis.io "Redis
/// serialization protocol specification") and reports the passwords a client
/// sent with `AUTH [username] password` or `HELLO protover AUTH username
/// password`, with the server's verdict.
///
/// Client: commands as arrays of bulk strings (`*2\r\n$4\r\nAUTH\r\n...`) or
/// inline lines (`AUTH password`); `*0`, `*-1` and blank lines are not
/// commands (the server does not answer them). Server: every RESP2/RESP3
/// type, nested aggregates included, is framed so that top-level replies can
/// be counted; push messages (`>`) and attributes (`|`) are not replies.
/// Replies answer commands in order (pipelining): a credential's verdict is
/// its reply — an error (`-`, `!`) rejects, anything else accepts.
///
/// Only the first `maxCommands` commands are read; SUBSCRIBE and MONITOR end
/// the reading too (the replies stop matching commands). Once the replies to
/// every read command are in (or both directions stopped), the analyzer is
/// `.done`. Lines and bulk strings inside one chunk are read in place; a line
/// cut by a chunk boundary, and a command name or AUTH/HELLO argument, are
/// copied up to `maxLine`/`maxArgument` bytes (charged to the context's
/// budget); other bulk strings are skipped by length. A credential whose
/// reply was not seen is emitted as `.unknown`.
public final class RedisLoginAnalyzer: StreamAnalyzer, TwoWayDialogue, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Commands read before the client direction stops.
    public static let maxCommands: UInt64 = 64
    /// Longest line kept (longer ones are read truncated).
    public static let maxLine = 4096
    /// Longest command name or credential argument kept.
    public static let maxArgument = 1024
    /// Credentials waiting for their reply; past it the oldest goes out as `.unknown`.
    static let maxPending = 4
    /// Deepest reply nesting framed; deeper replies stop the server direction.
    static let maxNesting = 32

    @exclusivity(unchecked) var toServer = RESPReader()
    @exclusivity(unchecked) var toClient = RESPReader()
    public private(set) var isDone = false

    // Client side.
    var commandCount: UInt64 = 0
    /// Elements of the current array command still to come.
    var elementsLeft = 0
    var argumentIndex = 0
    var command: Command = .other
    /// Arguments (after the name) of an AUTH/HELLO command.
    var arguments: [[UInt8]] = []

    // Server side.
    var replyCount: UInt64 = 0
    /// Open aggregates: elements still to come; attributes are not values of their parent.
    @exclusivity(unchecked) var nesting: [(remaining: Int, attribute: Bool)] = []
    var top: TopValue = .reply(rejected: false)

    var pending: [(sighting: CredentialSighting, reply: UInt64)] = []

    enum Command { case auth, hello, subscribe, other }
    enum TopValue { case reply(rejected: Bool), push, attribute }

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: StreamAnalyzer (TwoWayDialogue's ingest, gap and end)

    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        // Every command read has its reply: nothing more to learn.
        if toServer.stopped && replyCount >= commandCount { toClient.stop(&context) }
        if toClient.stopped { flushPending() }
        if toServer.stopped && toClient.stopped { isDone = true }
        guard isDone else { return .needMore }
        flushPending()
        arguments = []
        nesting = []
        toServer.stop(&context)
        toClient.stop(&context)
        return .done
    }

    func flushPending() {
        for p in pending { emit(p.sighting, .unknown) }
        pending.removeAll()
    }

    func emit(_ sighting: CredentialSighting, _ outcome: LoginOutcome) {
        var s = sighting
        s.outcome = outcome
        sightings.append(.credential(s))
    }

    // MARK: framing

    func read(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, into r: inout RESPReader, direction: Direction,
        context: inout InspectionContext
    ) {
        guard !r.stopped else { return }
        guard let unread = r.unread(bytes.count, at: offset, maxDepth: maxDepth, context: &context) else { return }
        var i = unread.lowerBound
        let n = unread.upperBound
        // Safe: `unread` is not empty, so neither is the chunk.
        let base = bytes.baseAddress!
        while i < n && !r.stopped && !isDone {
            if r.bulkRemaining > 0 {
                let whole = r.bulkLength + 2
                if r.keep && r.bulkRemaining == whole && !r.spanning && n - i >= whole {
                    // The whole bulk string is in this chunk: read in place.
                    let kept = min(r.bulkLength, RedisLoginAnalyzer.maxArgument)
                    let content = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + kept)])
                    i += whole
                    r.bulkRemaining = 0
                    bulkDone(content, direction: direction, reader: &r, context: &context)
                    continue
                }
                let take = min(n - i, r.bulkRemaining)
                if r.keep {
                    let position = whole - r.bulkRemaining
                    let contentEnd = min(position + take, r.bulkLength, RedisLoginAnalyzer.maxArgument)
                    if contentEnd > position {
                        r.hold(
                            UnsafeRawBufferPointer(rebasing: bytes[i..<(i + contentEnd - position)]),
                            max: RedisLoginAnalyzer.maxArgument, &context)
                    } else {
                        r.spanning = true
                    }
                }
                i += take
                r.bulkRemaining -= take
                if r.bulkRemaining == 0 {
                    if r.keep {
                        var held: [UInt8] = []
                        swap(&held, &r.held)
                        held.withUnsafeBytes { bulkDone($0, direction: direction, reader: &r, context: &context) }
                        swap(&held, &r.held)
                        r.endHeld(&context)
                    } else {
                        bulkDone(UnsafeRawBufferPointer(start: nil, count: 0), direction: direction, reader: &r, context: &context)
                    }
                }
                continue
            }
            guard let found = memchr(base + i, 0x0a, n - i) else {
                r.hold(UnsafeRawBufferPointer(rebasing: bytes[i..<n]), max: RedisLoginAnalyzer.maxLine, &context)
                break
            }
            let lf = UnsafeRawPointer(found) - base
            if r.spanning {
                r.hold(UnsafeRawBufferPointer(rebasing: bytes[i..<lf]), max: RedisLoginAnalyzer.maxLine, &context)
                var held: [UInt8] = []
                swap(&held, &r.held)
                held.withUnsafeBytes { line($0.droppingCR(), direction: direction, reader: &r, context: &context) }
                swap(&held, &r.held)
                r.endHeld(&context)
            } else {
                let end = min(lf, i + RedisLoginAnalyzer.maxLine)
                line(UnsafeRawBufferPointer(rebasing: bytes[i..<end]).droppingCR(), direction: direction, reader: &r, context: &context)
            }
            i = lf + 1
        }
        if r.expectedOffset >= maxDepth { r.stop(&context) }
    }

    func line(_ text: UnsafeRawBufferPointer, direction: Direction, reader r: inout RESPReader, context: inout InspectionContext) {
        if direction == .toServer { clientLine(text, reader: &r, context: &context) } else { serverLine(text, reader: &r) }
    }

    func bulkDone(_ content: UnsafeRawBufferPointer, direction: Direction, reader r: inout RESPReader, context: inout InspectionContext) {
        r.keep = false
        if direction == .toServer { argument(content, reader: &r, context: &context) } else { valueDone(reader: &r) }
    }

    // MARK: client

    func clientLine(_ text: UnsafeRawBufferPointer, reader r: inout RESPReader, context: inout InspectionContext) {
        if elementsLeft > 0 {
            guard text.count > 1, text[0] == UInt8(ascii: "$"), let length = RESPReader.integer(text, from: 1), length >= 0
            else { return r.stop(&context) }  // not RESP
            let keep = argumentIndex == 0 ? length <= 32 : command == .auth || command == .hello
            r.startBulk(Int(min(length, 1 << 40)), keep: keep && argumentIndex < 8)
            return
        }
        if text.count > 0 && text[0] == UInt8(ascii: "*") {
            guard let count = RESPReader.integer(text, from: 1) else { return r.stop(&context) }
            guard count > 0 else { return }  // an empty command: not answered
            elementsLeft = Int(min(count, 1 << 40))
            argumentIndex = 0
            command = .other
            arguments.removeAll()
            return
        }
        // An inline command: words split by spaces.
        var k = 0
        command = .other
        arguments.removeAll()
        argumentIndex = 0
        while k < text.count {
            while k < text.count && (text[k] == 0x20 || text[k] == 0x09) { k += 1 }
            guard k < text.count else { break }
            var end = k
            while end < text.count && text[end] != 0x20 && text[end] != 0x09 { end += 1 }
            if argumentIndex == 0 {
                command = RedisLoginAnalyzer.classify(UnsafeRawBufferPointer(rebasing: text[k..<end]))
            } else if (command == .auth || command == .hello) && argumentIndex < 8 {
                arguments.append(Array(text[k..<end]))
            }
            argumentIndex += 1
            k = end
        }
        guard argumentIndex > 0 else { return }  // a blank line: not answered
        commandDone(reader: &r, context: &context)
    }

    func argument(_ content: UnsafeRawBufferPointer, reader r: inout RESPReader, context: inout InspectionContext) {
        if argumentIndex == 0 {
            command = RedisLoginAnalyzer.classify(content)
        } else if (command == .auth || command == .hello) && argumentIndex < 8 {
            arguments.append(Array(content))
        }
        argumentIndex += 1
        elementsLeft -= 1
        if elementsLeft == 0 { commandDone(reader: &r, context: &context) }
    }

    func commandDone(reader r: inout RESPReader, context: inout InspectionContext) {
        let index = commandCount
        commandCount += 1
        switch command {
        case .auth:
            // AUTH password | AUTH username password
            if arguments.count == 1 {
                addCredential(username: nil, secret: arguments[0], reply: index)
            } else if arguments.count == 2 {
                addCredential(username: arguments[0], secret: arguments[1], reply: index)
            }
        case .hello:
            // HELLO [protover [AUTH username password] [SETNAME clientname]]
            var k = 1
            while k + 2 < arguments.count {
                if RedisLoginAnalyzer.isAuth(arguments[k]) {
                    addCredential(username: arguments[k + 1], secret: arguments[k + 2], reply: index)
                    break
                }
                k += 1
            }
        case .subscribe:
            r.stop(&context)  // replies no longer answer commands one for one
        case .other:
            break
        }
        arguments.removeAll()
        command = .other
        if commandCount >= RedisLoginAnalyzer.maxCommands { r.stop(&context) }
    }

    func addCredential(username: [UInt8]?, secret: [UInt8], reply: UInt64) {
        if pending.count >= RedisLoginAnalyzer.maxPending { emit(pending.removeFirst().sighting, .unknown) }
        pending.append((CredentialSighting(mechanism: .redisAuth, username: username, secret: secret), reply))
    }

    static func isAuth(_ word: [UInt8]) -> Bool {
        word.withUnsafeBytes { classify($0) == .auth }
    }

    /// A command name, ignoring ASCII case.
    static func classify(_ name: UnsafeRawBufferPointer) -> Command {
        func named(_ text: StaticString) -> Bool {
            let n = text.utf8CodeUnitCount
            guard name.count == n else { return false }
            let t = text.utf8Start
            for k in 0..<n where name[k] & 0xdf != t[k] { return false }
            return true
        }
        if named("AUTH") { return .auth }
        if named("HELLO") { return .hello }
        if named("SUBSCRIBE") || named("PSUBSCRIBE") || named("SSUBSCRIBE") || named("MONITOR") { return .subscribe }
        return .other
    }

    // MARK: server

    func serverLine(_ text: UnsafeRawBufferPointer, reader r: inout RESPReader) {
        guard text.count > 0 else { return }
        let type = text[0]
        let atTop = nesting.isEmpty
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: ","),
             UInt8(ascii: "#"), UInt8(ascii: "("):
            if atTop { top = .reply(rejected: type == UInt8(ascii: "-")) }
            valueDone(reader: &r)
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            guard let length = RESPReader.integer(text, from: 1) else { return r.stopQuietly() }
            if atTop { top = .reply(rejected: type == UInt8(ascii: "!")) }
            if length < 0 {
                valueDone(reader: &r)
            } else {
                r.startBulk(Int(min(length, 1 << 40)), keep: false)
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            guard let count = RESPReader.integer(text, from: 1) else { return r.stopQuietly() }
            let attribute = type == UInt8(ascii: "|")
            if atTop { top = type == UInt8(ascii: ">") ? .push : attribute ? .attribute : .reply(rejected: false) }
            guard count > 0 else {
                if !attribute { valueDone(reader: &r) }
                return
            }
            guard nesting.count < RedisLoginAnalyzer.maxNesting else { return r.stopQuietly() }
            let pairs = type == UInt8(ascii: "%") || attribute
            nesting.append((Int(min(count, 1 << 40)) * (pairs ? 2 : 1), attribute))
        default:
            r.stopQuietly()  // not RESP
        }
    }

    /// A value is complete: it counts toward its parent aggregate, or is a reply.
    func valueDone(reader r: inout RESPReader) {
        while let d = nesting.indices.last {
            nesting[d].remaining -= 1
            if nesting[d].remaining > 0 { return }
            let attribute = nesting[d].attribute
            nesting.removeLast()
            if attribute { return }  // an attribute precedes a value; it is not one
        }
        guard case .reply(let rejected) = top else { return }  // a push message
        let index = replyCount
        replyCount += 1
        var k = 0
        while k < pending.count {
            if pending[k].reply == index {
                emit(pending.remove(at: k).sighting, rejected ? .rejected : .accepted)
            } else if pending[k].reply < index {
                emit(pending.remove(at: k).sighting, .unknown)
            } else {
                k += 1
            }
        }
        if toServer.stopped && replyCount >= commandCount { r.stopQuietly() }
    }
}

/// One direction of RESP: lines, and bulk strings read by length.
struct RESPReader: DirectionReader {
    var expectedOffset: UInt64 = 0
    var stopped = false
    /// Bytes of the bulk string (with its CR LF) still to come.
    var bulkRemaining = 0
    var bulkLength = 0
    /// The bulk string's content is wanted.
    var keep = false
    /// First bytes of a line (or of a kept bulk string) that began in an earlier chunk.
    var held: [UInt8] = []
    var charged = 0
    var spanning = false

    mutating func startBulk(_ length: Int, keep: Bool) {
        bulkLength = length
        bulkRemaining = length + 2
        self.keep = keep
    }

    mutating func hold(_ bytes: UnsafeRawBufferPointer, max: Int, _ context: inout InspectionContext) {
        spanning = true
        let take = min(bytes.count, max - held.count)
        guard take > 0, context.reserve(take) else { return }  // a refusal is counted by the context
        held.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<take]))
        charged += take
    }

    mutating func endHeld(_ context: inout InspectionContext) {
        held.removeAll(keepingCapacity: true)
        context.release(charged)
        charged = 0
        spanning = false
    }

    mutating func stop(_ context: inout InspectionContext) {
        endHeld(&context)
        held = []
        bulkRemaining = 0
        stopped = true
    }

    /// Stops reading; what is held goes back to the budget when the line
    /// being delivered is done (`endHeld`) or at the latest in `stop`.
    mutating func stopQuietly() { stopped = true }

    /// A decimal integer (optionally negative) from `start` to the end.
    static func integer(_ text: UnsafeRawBufferPointer, from start: Int) -> Int64? {
        var k = start
        var negative = false
        if k < text.count && text[k] == UInt8(ascii: "-") {
            negative = true
            k += 1
        }
        guard k < text.count, text.count - k <= 18 else { return nil }
        var value: Int64 = 0
        while k < text.count {
            let d = text[k]
            guard d >= 0x30 && d <= 0x39 else { return nil }
            value = value * 10 + Int64(d - 0x30)
            k += 1
        }
        return negative ? -value : value
    }
}
