import Flows

/// Reads the login of a Telnet session (RFC 854, 855) and reports the
/// username and password the client typed in clear, with whether the server
/// let it in.
///
/// Both directions are stripped of Telnet commands as they arrive: `IAC IAC`
/// is a literal 255, `IAC SB … IAC SE` (option subnegotiation),
/// `IAC WILL/WONT/DO/DONT <option>` and every other `IAC <command>` are
/// dropped (from the client, `IAC EC`, `IAC EL` and `IAC IP` edit or abort
/// the line being typed).
///
/// A login is typed keystroke by keystroke (often one byte per segment) and
/// echoed by the server, except the password. So the analyzer keeps the last
/// `tailLength` bytes of the server's text and, when the client starts a line,
/// looks at how that text ends: a login prompt (`login:`, `username:`,
/// `user name:`, `user:`) makes the line a username, a password prompt
/// (`password:`, `passcode:`) makes it a secret; any other line is not kept.
/// Keystrokes are collected up to CR (CR NUL, CR LF) or LF, applying
/// backspace and DEL (`^U` and `IAC EL` clear the line; `^C` and `IAC IP`
/// abandon it), up to `maxLine` bytes (the rest of a longer line is dropped).
/// The server's text is forgotten at each end of line, so a prompt only
/// counts when it came after the previous line. An empty password line is
/// not reported.
///
/// After a password line, the server's answer decides the outcome:
/// `incorrect`, `denied`, `fail`, `invalid` or `bad password` in its text, or
/// a new login/password prompt when the client types again, reject it;
/// `last login`, the client typing again after any other text (a shell), or
/// `outcomeWindow` bytes of text with none of those, accept it. If the
/// server's stream ends first, a text ending like a shell prompt (`$`, `#`,
/// `>`, `%`) accepts it; otherwise, or on a gap or at `maxDepth`, it is
/// reported with outcome `.unknown` (a credential is never lost). Several
/// attempts make several sightings, in order.
///
/// A direction first seen past its start (a session picked up mid-stream) is
/// read from there; lost bytes (a gap) cost what they fall in, not the
/// direction: on the server's side the text kept for prompts, and the
/// answer a password waits for (it goes out as `.unknown`); on the client's
/// side the line being typed, and the next one up to its end (its first
/// keystrokes may be what was lost). Option negotiation starts over.
///
/// It is `.done` once a login was accepted (what follows is the session
/// itself: its text is never read for prompts); once the client's stream
/// stopped (ended or passed `maxDepth`) with no credential waiting
/// for an answer; or once the server's stream stopped and the client is not
/// typing (or about to type) a line after the server's last prompt — a
/// password typed then is reported as `.unknown` right away.
///
/// rlogin (RFC 1282) is read the same way with `rlogin: true`: the client's
/// opening `NUL client-user NUL server-user NUL terminal/speed NUL` names
/// the account (the server user is the username; no login prompt follows),
/// the server's NUL that acknowledges it is passed over, there are no
/// Telnet commands to strip (every byte is data), and a typed password is
/// `.rloginPassword`.
///
/// Memory: the server text, the typed line and the username are fixed-size
/// buffers allocated once per flow on its first byte, charged to the
/// context's buffer budget (`heldBytes`) and returned when the analyzer is
/// done; if the budget refuses them, the flow is not read (`bufferCapHits`
/// counts it). Per chunk nothing is allocated unless a credential is kept.
public final class TelnetLoginAnalyzer: StreamAnalyzer, SightingSource {
    /// Bytes read per direction before giving up on it.
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []

    /// Bytes of a typed line (username or password) kept.
    public static let maxLine = 256
    /// Bytes of the server's latest text kept for matching prompts.
    public static let tailLength = 64
    /// Server text after a password with no failure in it that means the login was accepted.
    public static let outcomeWindow = 1024
    /// Bytes charged to the budget while the analyzer reads a flow.
    static let heldBytes = 2 * tailLength + 2 * maxLine

    // One flow's state, used on the packet thread only.
    @exclusivity(unchecked) var toServer = TelnetStream()
    @exclusivity(unchecked) var toClient = TelnetStream()
    /// The server's latest text (lower-cased, NULs dropped) since the client's last end of line.
    @exclusivity(unchecked) var tail: [UInt8] = []
    /// The line the client is typing (username or password lines only).
    @exclusivity(unchecked) var line: [UInt8] = []
    /// The last username typed after a login prompt.
    @exclusivity(unchecked) var username: [UInt8] = []
    var hasUsername = false
    var lineKind = TypedLine.idle
    /// The client sent CR: a NUL or LF right after it is part of the line end.
    var afterCR = false
    /// A password line waiting for the server's answer.
    var pending: CredentialSighting?
    /// Server text bytes since the pending password, and whether any was not white space.
    var outputSincePassword = 0
    var visibleOutputSincePassword = false
    /// Bytes charged to the context (0 or `heldBytes`).
    var charged = 0
    var isDone = false

    /// rlogin instead of Telnet.
    public let rlogin: Bool
    /// rlogin: NULs of the client's opening handshake read so far (it ends at the fourth).
    var handshakeNULs = 0
    static let rloginHandshakeNULs = 4

    public init(maxDepth: UInt64, rlogin: Bool = false) {
        self.maxDepth = maxDepth
        self.rlogin = rlogin
    }

    // MARK: StreamAnalyzer

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        guard charged > 0 || allocate(&context) else {
            isDone = true  // refused by the budget (counted by the context)
            return .done
        }
        var s = TelnetStream()
        if direction == .toServer { swap(&s, &toServer) } else { swap(&s, &toClient) }
        read(bytes, offset: offset, into: &s, direction: direction)
        if direction == .toServer { swap(&s, &toServer) } else { swap(&s, &toClient) }
        return settle(&context)
    }

    /// Lost bytes lose keystrokes or prompts, not the direction.
    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        var s = TelnetStream()
        if direction == .toServer { swap(&s, &toServer) } else { swap(&s, &toClient) }
        if !s.stopped && offset + length > s.expectedOffset {
            s.begun = true
            bytesLost(&s, direction: direction)
            s.expectedOffset = offset + length
            if s.expectedOffset >= maxDepth && !s.stopped {
                s.stopped = true
                if direction == .toClient { serverStopped(ended: false) }
            }
        }
        if direction == .toServer { swap(&s, &toServer) } else { swap(&s, &toClient) }
        return settle(&context)
    }

    public func end(direction: Direction, context: inout InspectionContext) {
        guard !isDone else { return }
        stop(direction, ended: true)
        _ = settle(&context)
    }

    // MARK: flow state

    func allocate(_ context: inout InspectionContext) -> Bool {
        guard context.reserve(TelnetLoginAnalyzer.heldBytes) else { return false }
        charged = TelnetLoginAnalyzer.heldBytes
        tail.reserveCapacity(2 * TelnetLoginAnalyzer.tailLength)
        line.reserveCapacity(TelnetLoginAnalyzer.maxLine)
        username.reserveCapacity(TelnetLoginAnalyzer.maxLine)
        return true
    }

    /// A direction stops. `ended`: its stream closed (not lost bytes or the depth).
    func stop(_ direction: Direction, ended: Bool) {
        if direction == .toServer {
            toServer.stopped = true
        } else {
            toClient.stopped = true
            serverStopped(ended: ended)
        }
    }

    /// No answer can come any more: a credential waiting for one is let go. A
    /// shell prompt as the last thing the server said means the login went through.
    func serverStopped(ended: Bool) {
        guard pending != nil else { return }
        decide(ended && visibleOutputSincePassword && tailEndsLikeShellPrompt() ? .accepted : .unknown)
    }

    /// After any input: decides whether anything is left to learn, and lets everything go once not.
    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        if toServer.stopped && pending == nil { isDone = true }
        if toClient.stopped {
            // The server said its last: only a line typed after its last prompt can still matter.
            let lineToCome = lineKind == .idle ? promptAtEnd() != nil : lineKind != .other
            if toServer.stopped || !lineToCome { isDone = true }
        }
        guard isDone else { return .needMore }
        if pending != nil { decide(.unknown) }
        toServer.stopped = true
        toClient.stopped = true
        tail = []
        line = []
        username = []
        context.release(charged)
        charged = 0
        return .done
    }

    // MARK: bytes

    func read(_ bytes: UnsafeRawBufferPointer, offset: UInt64, into s: inout TelnetStream, direction: Direction) {
        guard !s.stopped else { return }
        // A direction whose first bytes were not handed over starts where it is picked up.
        if !s.begun {
            s.begun = true
            s.expectedOffset = max(s.expectedOffset, offset)
        }
        let chunkEnd = offset + UInt64(bytes.count)
        guard chunkEnd > s.expectedOffset else { return }  // seen already
        if offset > s.expectedOffset {
            bytesLost(&s, direction: direction)  // a hole the pipeline did not report
            s.expectedOffset = offset
        }
        guard !s.stopped, s.expectedOffset < maxDepth else {
            s.stopped = true  // the depth is reached (or the hole cut rlogin's handshake)
            if direction == .toClient { serverStopped(ended: false) }
            return
        }
        var i = Int(s.expectedOffset - offset)
        let n = Int(min(chunkEnd, maxDepth) - offset)
        s.expectedOffset = offset + UInt64(n)
        if rlogin {
            // No Telnet commands: every byte is data, after the client's handshake.
            while i < n && !isDone {
                if direction == .toClient {
                    serverText(bytes[i])
                } else if handshakeNULs < TelnetLoginAnalyzer.rloginHandshakeNULs {
                    rloginHandshake(bytes[i])
                } else {
                    clientData(bytes[i])
                }
                i += 1
            }
        } else if direction == .toServer {
            while i < n && !isDone {
                switch s.decoder.next(bytes[i]) {
                case .none: break
                case .data(let b): clientData(b)
                case .command(let c): clientCommand(c)
                }
                i += 1
            }
        } else {
            while i < n && !isDone {
                if case .data(let b) = s.decoder.next(bytes[i]) { serverText(b) }
                i += 1
            }
        }
        if s.expectedOffset >= maxDepth && !isDone {
            s.stopped = true
            if direction == .toClient { serverStopped(ended: false) }
        }
    }

    /// Bytes of `direction` were lost: what they cut is dropped (see the type's comment).
    func bytesLost(_ s: inout TelnetStream, direction: Direction) {
        s.decoder = TelnetDecoder()
        if direction == .toClient {
            tail.removeAll(keepingCapacity: true)
            if pending != nil { decide(.unknown) }  // its answer may be what was lost
        } else if rlogin && handshakeNULs < TelnetLoginAnalyzer.rloginHandshakeNULs {
            s.stopped = true  // the account named in the handshake is not all there
        } else {
            line.removeAll(keepingCapacity: true)
            lineKind = .other  // read again from the next line
            afterCR = false
        }
    }

    /// rlogin's opening fields; the third (the server user) names the account.
    func rloginHandshake(_ b: UInt8) {
        if b == 0 {
            handshakeNULs += 1
            if handshakeNULs == 3 { hasUsername = !username.isEmpty }
        } else if handshakeNULs == 2 && username.count < TelnetLoginAnalyzer.maxLine {
            username.append(b)
        }
    }

    // MARK: server text

    func serverText(_ b: UInt8) {
        guard b != 0 else { return }  // NUL: padding after CR
        let lower = TelnetLoginAnalyzer.lower(b)
        if tail.count == 2 * TelnetLoginAnalyzer.tailLength {
            tail.removeFirst(TelnetLoginAnalyzer.tailLength)  // in place: keeps the capacity
        }
        tail.append(lower)
        guard pending != nil else { return }
        outputSincePassword += 1
        if b != 0x20 && b != 0x0d && b != 0x0a && b != 0x09 { visibleOutputSincePassword = true }
        if let outcome = answerWord(endingWith: lower) {
            decide(outcome)
        } else if outputSincePassword >= TelnetLoginAnalyzer.outcomeWindow {
            decide(.accepted)
        }
    }

    /// The outcome a word the server just finished writing tells, if any.
    func answerWord(endingWith b: UInt8) -> LoginOutcome? {
        switch b {
        case UInt8(ascii: "t"): return tailEnds(with: "incorrect") ? .rejected : nil
        case UInt8(ascii: "d"):
            return tailEnds(with: "denied") || tailEnds(with: "invalid") || tailEnds(with: "bad password")
                ? .rejected : nil
        case UInt8(ascii: "l"): return tailEnds(with: "fail") ? .rejected : nil
        case UInt8(ascii: "n"): return tailEnds(with: "last login") ? .accepted : nil
        default: return nil
        }
    }

    // MARK: client keystrokes

    func clientData(_ b: UInt8) {
        if afterCR {
            afterCR = false
            if b == 0x00 || b == 0x0a { return }
        }
        switch b {
        case 0x0d, 0x0a:
            if lineKind == .idle { startLine() }
            endLine()
            afterCR = b == 0x0d
        case 0x00:
            break  // padding
        default:
            if lineKind == .idle { startLine() }
            edit(b)
        }
    }

    /// Telnet's own editing commands (RFC 854): erase character, erase line, interrupt.
    func clientCommand(_ c: UInt8) {
        guard lineKind != .idle else { return }
        switch c {
        case TelnetDecoder.eraseCharacter: edit(0x08)
        case TelnetDecoder.eraseLine: edit(0x15)
        case TelnetDecoder.interruptProcess: edit(0x03)
        default: break
        }
    }

    func edit(_ b: UInt8) {
        switch b {
        case 0x08, 0x7f:
            if !line.isEmpty { line.removeLast() }
        case 0x15:  // ^U: kill the line
            line.removeAll(keepingCapacity: true)
        case 0x03:  // ^C: the line is abandoned
            line.removeAll(keepingCapacity: true)
            if lineKind != .idle { lineKind = .other }
        default:
            if lineKind != .other && line.count < TelnetLoginAnalyzer.maxLine { line.append(b) }
        }
    }

    /// The client begins a line: what the server said last tells what it is.
    func startLine() {
        if pending != nil {
            if promptAtEnd() != nil {
                decide(.rejected)  // asked again
            } else if visibleOutputSincePassword {
                decide(.accepted)  // the client types at whatever came after the login
                return
            }
        }
        line.removeAll(keepingCapacity: true)
        switch promptAtEnd() {
        case .username?: lineKind = .username
        case .password?: lineKind = .password
        case .other?, .idle?, nil: lineKind = .other
        }
    }

    func endLine() {
        switch lineKind {
        case .username:
            if !line.isEmpty {
                username.removeAll(keepingCapacity: true)
                username.append(contentsOf: line)
                hasUsername = true
            }
        case .password:
            if !line.isEmpty {
                if pending != nil { decide(.unknown) }
                pending = CredentialSighting(
                    mechanism: rlogin ? .rloginPassword : .telnet, username: hasUsername ? username : nil, secret: line)
                outputSincePassword = 0
                visibleOutputSincePassword = false
                if toClient.stopped { decide(.unknown) }  // the server's stream is over: no answer
            }
        case .idle, .other:
            break
        }
        line.removeAll(keepingCapacity: true)
        lineKind = .idle
        tail.removeAll(keepingCapacity: true)  // a prompt must come after this line to count
    }

    func decide(_ outcome: LoginOutcome) {
        guard var c = pending else { return }
        pending = nil
        c.outcome = outcome
        sightings.append(.credential(c))
        if outcome == .accepted { isDone = true }  // the session itself follows: nothing more to learn
    }

    // MARK: matching the server's text

    /// Which prompt the server's text ends with (after spaces and tabs).
    func promptAtEnd() -> TypedLine? {
        let end = trimmedTailEnd()
        if tailEnds(with: "password:", at: end) || tailEnds(with: "passcode:", at: end) { return .password }
        if tailEnds(with: "login:", at: end) || tailEnds(with: "username:", at: end)
            || tailEnds(with: "user name:", at: end) || tailEnds(with: "user:", at: end)
        {
            return .username
        }
        return nil
    }

    func tailEndsLikeShellPrompt() -> Bool {
        let end = trimmedTailEnd()
        guard end > 0 else { return false }
        switch tail[end - 1] {
        case UInt8(ascii: "$"), UInt8(ascii: "#"), UInt8(ascii: ">"), UInt8(ascii: "%"): return true
        default: return false
        }
    }

    func trimmedTailEnd() -> Int {
        var end = tail.count
        while end > 0 && (tail[end - 1] == 0x20 || tail[end - 1] == 0x09) { end -= 1 }
        return end
    }

    /// `tail[..<end]` ends with `text` (lower-case ASCII), which starts a word there.
    func tailEnds(with text: StaticString, at end: Int? = nil) -> Bool {
        let end = end ?? tail.count
        let n = text.utf8CodeUnitCount
        guard end >= n else { return false }
        let start = end - n
        let t = text.utf8Start
        for k in 0..<n where tail[start + k] != t[k] { return false }
        return start == 0 || !TelnetLoginAnalyzer.isLetter(tail[start - 1])
    }

    static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5a ? b | 0x20 : b }

    static func isLetter(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) }
}

/// What the line the client is typing is.
enum TypedLine: Equatable {
    /// Between lines.
    case idle
    /// Typed after a login prompt.
    case username
    /// Typed after a password prompt.
    case password
    /// Anything else: not kept.
    case other
}

/// One direction of a Telnet connection.
struct TelnetStream {
    var expectedOffset: UInt64 = 0
    var begun = false
    /// Ended, gapped or past the depth: nothing more is read.
    var stopped = false
    var decoder = TelnetDecoder()
}

/// Splits a Telnet byte stream (RFC 854, 855) into data bytes and commands,
/// one byte at a time, so any chunking gives the same result.
struct TelnetDecoder {
    static let iac: UInt8 = 255
    static let subnegotiationEnd: UInt8 = 240
    static let subnegotiationBegin: UInt8 = 250
    static let interruptProcess: UInt8 = 244
    static let eraseCharacter: UInt8 = 247
    static let eraseLine: UInt8 = 248

    enum State: UInt8 {
        case data
        /// After IAC.
        case command
        /// After IAC WILL/WONT/DO/DONT: the option byte.
        case option
        /// Inside IAC SB … IAC SE.
        case subnegotiation
        /// IAC inside a subnegotiation.
        case subnegotiationCommand
    }

    enum Event: Equatable {
        case none
        case data(UInt8)
        /// `IAC <command>` other than SB, SE and option negotiation.
        case command(UInt8)
    }

    var state = State.data

    mutating func next(_ b: UInt8) -> Event {
        switch state {
        case .data:
            if b == TelnetDecoder.iac {
                state = .command
                return .none
            }
            return .data(b)
        case .command:
            return command(b)
        case .option:
            state = .data
            return .none
        case .subnegotiation:
            if b == TelnetDecoder.iac { state = .subnegotiationCommand }
            return .none
        case .subnegotiationCommand:
            switch b {
            case TelnetDecoder.iac:
                state = .subnegotiation  // a literal 255 in the parameters
                return .none
            case TelnetDecoder.subnegotiationEnd:
                state = .data
                return .none
            default:
                return command(b)  // an unterminated subnegotiation: read the command as such
            }
        }
    }

    mutating func command(_ b: UInt8) -> Event {
        switch b {
        case TelnetDecoder.iac:
            state = .data
            return .data(b)
        case 251...254:
            state = .option
            return .none
        case TelnetDecoder.subnegotiationBegin:
            state = .subnegotiation
            return .none
        default:
            state = .data
            return b == TelnetDecoder.subnegotiationEnd ? .none : .command(b)
        }
    }
}
