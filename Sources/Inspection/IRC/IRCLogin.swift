import Flows

/// Reads an IRC session (RFC 1459, RFC 2812, IRCv3) and reports the
/// passwords a client sent in clear, with the server's verdict:
///
/// - `PASS password` — the connection password (RFC 2812 §3.1.1): accepted
///   by `001` RPL_WELCOME, rejected by `464` ERR_PASSWDMISMATCH;
/// - `OPER name password` (RFC 2812 §3.1.4): accepted by `381`
///   RPL_YOUREOPER, rejected by `464` or `491` ERR_NOOPERHOST;
/// - `PRIVMSG NickServ :IDENTIFY [account] password`, and the `NICKSERV` /
///   `NS` aliases: accepted by `900` RPL_LOGGEDIN or a NickServ notice saying
///   "identified"/"logged in", rejected by a NickServ notice saying
///   "invalid", "incorrect", "failed" or "denied";
/// - SASL PLAIN (IRCv3 `AUTHENTICATE PLAIN`, then the base64 message in
///   400-byte pieces, `+` for an empty one): accepted by `903`/`900`, rejected
///   by `902`/`904`/`905`; reported as `.saslPlain`.
///
/// The first three are `.ircPassword`, with the OPER name, the NickServ
/// account, or else the nick the client registered as the user name. A line
/// to any other target (a channel message that says IDENTIFY) is not read.
///
/// Lines come from `LineDialogue` (up to `LoginLineReader.maxLine` bytes;
/// a truncated line is not read for credentials). One credential of each
/// kind waits for its verdict; a new one of the same kind sends the older
/// out as `.unknown`, and so does the end of the server's stream. Lost bytes
/// (a session picked up mid-stream, a gap) cost the line they fall in, and a
/// SASL message in progress; the verdicts, matched by kind, still apply. IRC
/// sessions are long and a login can come late (OPER, IDENTIFY), so the
/// analyzer reads each direction to `maxDepth` and is `.done` once both
/// stopped. The base64 pieces of a SASL message are copied, up to
/// `maxSASL` bytes, charged to the context's budget.
public final class IRCLoginAnalyzer: StreamAnalyzer, SightingSource, LineDialogue, TwoWayDialogue {
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Bytes of base64 SASL message kept (four 400-byte pieces).
    public static let maxSASL = 1600
    /// A SASL piece this long says more pieces follow (IRCv3 SASL 3.1).
    static let saslPiece = 400
    /// Bytes of the nick kept (to name whose PASS or IDENTIFY it was).
    static let maxNick = 64

    enum Kind: Int { case connection = 0, oper, services, sasl }

    @exclusivity(unchecked) var toServer = LoginLineReader()
    @exclusivity(unchecked) var toClient = LoginLineReader()
    var rawRequest: (length: UInt64, capture: Bool)?
    var lineNotContent: Range<Int>?
    var isDone = false
    /// One credential per kind waiting for its verdict.
    var pending: [CredentialSighting?] = [nil, nil, nil, nil]
    /// The nick the client chose last.
    var nick: [UInt8] = []
    /// `AUTHENTICATE PLAIN` was sent: the next AUTHENTICATE lines are the message.
    var saslPlain = false
    @exclusivity(unchecked) var sasl: [UInt8] = []
    var saslCharged = 0

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: StreamAnalyzer (TwoWayDialogue's ingest, gap and end, lines read by LineDialogue)

    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        if toClient.finished { flushPending() }
        if toServer.finished { endSASL(&context) }
        if toServer.finished && toClient.finished { isDone = true }
        guard isDone else { return .needMore }
        flushPending()
        endSASL(&context)
        toServer.stop(&context)
        toClient.stop(&context)
        return .done
    }

    func deliver(_ bytes: UnsafeRawBufferPointer, truncated: Bool, direction: Direction, context: inout InspectionContext) {
        guard !truncated, let message = IRCMessage(bytes) else { return }
        if direction == .toServer { clientMessage(message, context: &context) } else { serverMessage(message) }
    }

    func rawData(_ bytes: UnsafeRawBufferPointer, context: inout InspectionContext) {}
    func rawDataEnded() {}

    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        skipGap(direction, offset: offset, length: length, context: &context)
    }

    func linesLost(_ direction: Direction, context: inout InspectionContext) {
        if direction == .toServer { endSASL(&context) }  // its pieces are not all there
    }

    // MARK: client

    func clientMessage(_ m: IRCMessage, context: inout InspectionContext) {
        if m.command(is: "AUTHENTICATE") {
            authenticate(m, context: &context)
            return
        }
        if saslPlain { endSASL(&context) }  // anything else ends a SASL exchange
        if m.command(is: "NICK") {
            if let p = m.parameter(0) { keepNick(p) }
        } else if m.command(is: "PASS") {
            if let password = m.parameter(0), !password.isEmpty { add(.connection, username: nil, secret: Array(password)) }
        } else if m.command(is: "OPER") {
            if let name = m.parameter(0), let password = m.parameter(1) {
                add(.oper, username: Array(name), secret: Array(password))
            }
        } else if m.command(is: "PRIVMSG") {
            guard let target = m.parameter(0), IRCMessage.isNickServ(target), let text = m.parameter(1) else { return }
            identify(IRCWords(text))
        } else if m.command(is: "NICKSERV") || m.command(is: "NS") {
            identify(IRCWords(m.parameters(from: 0)))
        }
    }

    /// `IDENTIFY [account] password` said to NickServ.
    func identify(_ words: IRCWords) {
        guard let verb = words.word(0), IRCMessage.equalsIgnoringCase(verb, "IDENTIFY") else { return }
        if let account = words.word(1), let password = words.word(2) {
            add(.services, username: Array(account), secret: Array(password))
        } else if let password = words.word(1) {
            add(.services, username: nil, secret: Array(password))
        }
    }

    /// `AUTHENTICATE PLAIN`, then `AUTHENTICATE <base64 piece>` (IRCv3 SASL 3.1).
    func authenticate(_ m: IRCMessage, context: inout InspectionContext) {
        guard let argument = m.parameter(0) else { return }
        if !saslPlain {
            // The mechanism; `*` aborts (and anything but PLAIN carries no password).
            if IRCMessage.equalsIgnoringCase(argument, "PLAIN") { saslPlain = true }
            return
        }
        if argument.count == 1 && argument[0] == UInt8(ascii: "*") {
            endSASL(&context)
            return
        }
        let isPlus = argument.count == 1 && argument[0] == UInt8(ascii: "+")
        if !isPlus {
            let take = min(argument.count, IRCLoginAnalyzer.maxSASL - sasl.count)
            guard take == argument.count else {
                context.counters.cleartextOversizedMessages &+= 1  // longer than maxSASL: not read
                endSASL(&context)
                return
            }
            guard context.reserve(take) else {
                endSASL(&context)  // refused by the budget (counted by the context)
                return
            }
            saslCharged += take
            sasl.append(contentsOf: UnsafeRawBufferPointer(rebasing: argument[..<take]))
        }
        // A piece shorter than 400 bytes (or `+`) ends the message.
        guard isPlus || argument.count < IRCLoginAnalyzer.saslPiece else { return }
        if let decoded = CleartextBase64.decode(sasl), let (username, password) = decoded.withUnsafeBytes({ SASLPlain.parse($0) }) {
            put(.sasl, CredentialSighting(mechanism: .saslPlain, username: username, secret: password))
        }
        endSASL(&context)
    }

    func endSASL(_ context: inout InspectionContext) {
        saslPlain = false
        sasl.removeAll(keepingCapacity: false)
        context.release(saslCharged)
        saslCharged = 0
    }

    func keepNick(_ p: UnsafeRawBufferPointer) {
        nick.removeAll(keepingCapacity: true)
        nick.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[..<min(p.count, IRCLoginAnalyzer.maxNick)]))
    }

    func add(_ kind: Kind, username: [UInt8]?, secret: [UInt8]) {
        put(kind, CredentialSighting(mechanism: .ircPassword, username: username, secret: secret))
    }

    func put(_ kind: Kind, _ credential: CredentialSighting) {
        if pending[kind.rawValue] != nil { decide(kind, .unknown) }
        pending[kind.rawValue] = credential
        if toClient.finished { decide(kind, .unknown) }  // no answer can come
    }

    // MARK: server

    func serverMessage(_ m: IRCMessage) {
        switch m.numeric {
        case 1: decide(.connection, .accepted)
        case 464:
            // ERR_PASSWDMISMATCH answers OPER, or else the connection password.
            decide(pending[Kind.oper.rawValue] != nil ? .oper : .connection, .rejected)
        case 381: decide(.oper, .accepted)
        case 491: decide(.oper, .rejected)
        case 900:
            decide(.sasl, .accepted)
            decide(.services, .accepted)
        case 903: decide(.sasl, .accepted)
        case 902, 904, 905: decide(.sasl, .rejected)
        default:
            guard pending[Kind.services.rawValue] != nil, m.command(is: "NOTICE"), m.prefixIsNickServ,
                let text = m.parameter(1)
            else { return }
            let words = IRCWords(text)
            if words.contains("invalid") || words.contains("incorrect") || words.contains("failed")
                || words.contains("denied")
            {
                decide(.services, .rejected)
            } else if words.contains("identified") || words.contains("logged") {
                decide(.services, .accepted)
            }
        }
    }

    func decide(_ kind: Kind, _ outcome: LoginOutcome) {
        guard var c = pending[kind.rawValue] else { return }
        pending[kind.rawValue] = nil
        if c.username == nil && !nick.isEmpty { c.username = nick }
        c.outcome = outcome
        sightings.append(.credential(c))
    }

    func flushPending() {
        for kind in [Kind.connection, .oper, .services, .sasl] { decide(kind, .unknown) }
    }
}

/// One IRC message read in place (RFC 2812 §2.3.1, IRCv3 message tags):
/// `[@tags SP] [:prefix SP] command [params] [SP :trailing]`.
struct IRCMessage {
    let line: UnsafeRawBufferPointer
    let prefix: UnsafeRawBufferPointer
    let commandStart: Int
    let commandEnd: Int

    init?(_ line: UnsafeRawBufferPointer) {
        self.line = line
        var k = 0
        if k < line.count && line[k] == UInt8(ascii: "@") { k = IRCMessage.skipWord(line, from: k) }
        var prefix = UnsafeRawBufferPointer(rebasing: line[0..<0])
        if k < line.count && line[k] == UInt8(ascii: ":") {
            let end = IRCMessage.wordEnd(line, from: k)
            prefix = UnsafeRawBufferPointer(rebasing: line[(k + 1)..<end])
            k = IRCMessage.skipSpaces(line, from: end)
        }
        guard k < line.count else { return nil }
        self.prefix = prefix
        commandStart = k
        commandEnd = IRCMessage.wordEnd(line, from: k)
    }

    func command(is name: StaticString) -> Bool {
        IRCMessage.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: line[commandStart..<commandEnd]), name)
    }

    /// The three-digit reply code, or nil for a command.
    var numeric: Int? {
        guard commandEnd - commandStart == 3 else { return nil }
        var code = 0
        for k in commandStart..<commandEnd {
            let d = line[k]
            guard d >= 0x30 && d <= 0x39 else { return nil }
            code = code * 10 + Int(d - 0x30)
        }
        return code
    }

    /// Parameter `index` (0-based); the trailing one (after ` :`) is the rest of the line.
    func parameter(_ index: Int) -> UnsafeRawBufferPointer? {
        var k = IRCMessage.skipSpaces(line, from: commandEnd)
        var i = 0
        while k < line.count {
            if line[k] == UInt8(ascii: ":") {
                return i == index ? UnsafeRawBufferPointer(rebasing: line[(k + 1)...]) : nil
            }
            let end = IRCMessage.wordEnd(line, from: k)
            if i == index { return UnsafeRawBufferPointer(rebasing: line[k..<end]) }
            i += 1
            k = IRCMessage.skipSpaces(line, from: end)
        }
        return nil
    }

    /// Everything from parameter `index` on, with the trailing marker removed
    /// (`NS IDENTIFY pw` and `NS :IDENTIFY pw` are both sent).
    func parameters(from index: Int) -> UnsafeRawBufferPointer {
        var k = IRCMessage.skipSpaces(line, from: commandEnd)
        if k < line.count && line[k] == UInt8(ascii: ":") { k += 1 }
        return UnsafeRawBufferPointer(rebasing: line[k...])
    }

    /// The sender is NickServ (`NickServ!service@host`).
    var prefixIsNickServ: Bool {
        var end = 0
        while end < prefix.count && prefix[end] != UInt8(ascii: "!") && prefix[end] != UInt8(ascii: "@") { end += 1 }
        return IRCMessage.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: prefix[..<end]), "NickServ")
    }

    /// `NickServ`, or `NickServ@services.example` (RFC 2812 §3.3.1 target forms).
    static func isNickServ(_ target: UnsafeRawBufferPointer) -> Bool {
        var end = 0
        while end < target.count && target[end] != UInt8(ascii: "@") { end += 1 }
        return equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: target[..<end]), "NickServ")
    }

    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard bytes.count == n else { return false }
        let t = text.utf8Start
        for k in 0..<n where lower(bytes[k]) != lower(t[k]) { return false }
        return true
    }

    static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5a ? b | 0x20 : b }

    static func wordEnd(_ line: UnsafeRawBufferPointer, from start: Int) -> Int {
        var k = start
        while k < line.count && line[k] != 0x20 { k += 1 }
        return k
    }

    static func skipSpaces(_ line: UnsafeRawBufferPointer, from start: Int) -> Int {
        var k = start
        while k < line.count && line[k] == 0x20 { k += 1 }
        return k
    }

    static func skipWord(_ line: UnsafeRawBufferPointer, from start: Int) -> Int {
        skipSpaces(line, from: wordEnd(line, from: start))
    }
}

/// The space-separated words of a text (a NickServ command or notice).
struct IRCWords {
    let text: UnsafeRawBufferPointer

    init(_ text: UnsafeRawBufferPointer) { self.text = text }

    func word(_ index: Int) -> UnsafeRawBufferPointer? {
        var k = IRCMessage.skipSpaces(text, from: 0)
        var i = 0
        while k < text.count {
            let end = IRCMessage.wordEnd(text, from: k)
            if i == index { return UnsafeRawBufferPointer(rebasing: text[k..<end]) }
            i += 1
            k = IRCMessage.skipSpaces(text, from: end)
        }
        return nil
    }

    /// `needle` (lower-case) starts a word of the text, ignoring case and
    /// IRC formatting bytes (bold 0x02 and the like are below 0x20).
    func contains(_ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard text.count >= n else { return false }
        let t = needle.utf8Start
        outer: for start in 0...(text.count - n) {
            if start > 0 && IRCWords.isLetter(text[start - 1]) { continue }
            for k in 0..<n where IRCMessage.lower(text[start + k]) != t[k] { continue outer }
            return true
        }
        return false
    }

    static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a }
}
