import Flows

/// Reads the start of a STOMP session (STOMP 1.0, 1.1 and 1.2; the brokers'
/// text protocol: ActiveMQ, Artemis, RabbitMQ's STOMP and Web STOMP plugins,
/// Spring's STOMP over WebSocket) and reports the password a client sent in
/// its first frame, with the broker's verdict.
///
/// A frame is a command line, header lines `name:value`, an empty line, a
/// body and a NUL (1.2 §"STOMP Frames"); line breaks may be CR LF, and
/// bare line breaks may come between frames (heart-beats). The client's first
/// frame is `CONNECT` (or `STOMP`, 1.1 and 1.2): its `login` and `passcode`
/// headers are the user and password (`.stompPassword`); a CONNECT frame's
/// header values are as sent, a STOMP frame's have their escapes (`\\`,
/// `\c`, `\n`, `\r`) undone (1.2 §"Value Encoding" exempts only CONNECT and
/// CONNECTED; stomp.py and stomp.js escape STOMP frames), and of a repeated
/// header the first counts. The broker answers `CONNECTED` (accepted) or
/// `ERROR`, which rejects when its `message` header or body speaks of the
/// login (RabbitMQ's "Access refused", ActiveMQ's "User name or password is
/// invalid"; `maxErrorLines` lines read) and says nothing of the password
/// otherwise (a version negotiation, 1.2 §"Protocol Negotiation").
///
/// Only the first frame of each direction is read: the analyzer is `.done`
/// once the verdict is in, or after a first frame that is not a CONNECT or
/// carries no passcode. Lines come from `LineDialogue` (in place; one cut by
/// a chunk boundary copied, the client's up to `maxLine` bytes — a passcode
/// may be an OAuth access token of a few KiB — and the broker's up to
/// `LoginLineReader.maxLine`, charged to the context's budget; a truncated
/// line is not read). Bytes lost before a frame's end (a gap, a direction
/// picked up past its start) end that frame: a passcode read whole still
/// counts, and a later broker frame is no verdict (the outcome is unknown).
public final class STOMPLoginAnalyzer: StreamAnalyzer, SightingSource, LineDialogue, TwoWayDialogue {
    public let maxDepth: UInt64
    public internal(set) var sightings: [Sighting] = []
    /// Longest client line kept (RabbitMQ's OAuth 2.0 backend takes a JWT as the passcode).
    public static let maxLine = 16384
    /// Lines of the broker's ERROR frame read for why it refused.
    static let maxErrorLines = 16

    @exclusivity(unchecked) var toServer = LoginLineReader()
    @exclusivity(unchecked) var toClient = LoginLineReader()
    var rawRequest: (length: UInt64, capture: Bool)?
    var lineNotContent: Range<Int>?
    public private(set) var isDone = false

    /// Where the client is in its first frame.
    var client = FramePart.command
    /// The first frame is `STOMP`: its header values are escaped.
    var escaped = false
    /// The broker's first frame, once it was judged.
    var verdict: LoginOutcome?
    /// Lines of the broker's ERROR frame read so far (nil: not in one).
    var errorLines: Int?
    var login: [UInt8]?
    var passcode: [UInt8]?

    enum FramePart { case command, headers, read }

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
        toServer.lineLimit = STOMPLoginAnalyzer.maxLine
    }

    // MARK: StreamAnalyzer (TwoWayDialogue's ingest, gap and end, lines read by LineDialogue)

    /// Bytes lost (a direction picked up past its start, a hole the pipeline
    /// did not report) end the frame being read there.
    func linesLost(_ direction: Direction, context: inout InspectionContext) {
        if direction == .toServer {
            client = .read
        } else if verdict == nil {
            verdict = .unknown
        }
    }
    func rawData(_ bytes: UnsafeRawBufferPointer, context: inout InspectionContext) {}
    func rawDataEnded() {}

    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        // A direction that stopped (a gap, its end) ends its frame: what was read counts.
        if toServer.finished && client != .read { client = .read }
        if toClient.finished && verdict == nil, errorLines != nil { verdict = .unknown }
        if client == .read {
            if passcode == nil {
                isDone = true  // nothing to decide
            } else if let verdict {
                emit(verdict)
            } else if toClient.finished {
                emit(.unknown)
            }
        }
        guard isDone else { return .needMore }
        toServer.stop(&context)
        toClient.stop(&context)
        return .done
    }

    func emit(_ outcome: LoginOutcome) {
        guard let passcode else { return }
        sightings.append(.credential(CredentialSighting(mechanism: .stompPassword, username: login, secret: passcode, outcome: outcome)))
        self.passcode = nil
        isDone = true
    }

    func deliver(_ line: UnsafeRawBufferPointer, truncated: Bool, direction: Direction, context: inout InspectionContext) {
        guard !truncated else { return }
        if direction == .toServer { clientLine(line) } else { serverLine(line) }
    }

    // MARK: the two first frames

    func clientLine(_ line: UnsafeRawBufferPointer) {
        switch client {
        case .command:
            // Heart-beats (bare line breaks) may come first.
            guard !line.isEmpty else { return }
            escaped = STOMPLoginAnalyzer.equals(line, "STOMP")
            if escaped || STOMPLoginAnalyzer.equals(line, "CONNECT") {
                client = .headers
            } else {
                client = .read  // not a login
            }
        case .headers:
            guard !line.isEmpty else {
                client = .read  // the headers ended
                return
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
            let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
            let value = UnsafeRawBufferPointer(rebasing: line[(colon + 1)...])
            if login == nil && STOMPLoginAnalyzer.equals(name, "login") { login = headerValue(value) }
            if passcode == nil && STOMPLoginAnalyzer.equals(name, "passcode") { passcode = headerValue(value) }
        case .read:
            break
        }
    }

    /// A header value as sent (CONNECT) or with its escapes undone (STOMP);
    /// an undefined escape (a fatal error to the broker) leaves it as sent.
    func headerValue(_ value: UnsafeRawBufferPointer) -> [UInt8] {
        guard escaped, value.contains(UInt8(ascii: "\\")) else { return Array(value) }
        var out: [UInt8] = []
        var i = 0
        while i < value.count {
            guard value[i] == UInt8(ascii: "\\") else {
                out.append(value[i])
                i += 1
                continue
            }
            guard i + 1 < value.count else { return Array(value) }
            switch value[i + 1] {
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "c"): out.append(UInt8(ascii: ":"))
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            default: return Array(value)
            }
            i += 2
        }
        return out
    }

    func serverLine(_ line: UnsafeRawBufferPointer) {
        guard verdict == nil else { return }
        if let read = errorLines { return errorLine(line, read) }
        // Bare line breaks (heart-beats), and a NUL ending a frame, come before the command.
        var command = line
        while let first = command.first, first == 0 { command = UnsafeRawBufferPointer(rebasing: command[1...]) }
        guard !command.isEmpty else { return }
        if STOMPLoginAnalyzer.equals(command, "CONNECTED") {
            verdict = .accepted
        } else if STOMPLoginAnalyzer.equals(command, "ERROR") {
            errorLines = 0  // why: its headers and body follow
        } else {
            verdict = .unknown
        }
    }

    /// A line of the broker's ERROR frame (a header, or the body up to its
    /// NUL): a refusal of the login rejects the password; the frame's end,
    /// or `maxErrorLines` lines, without one says nothing of it.
    func errorLine(_ line: UnsafeRawBufferPointer, _ read: Int) {
        if STOMPLoginAnalyzer.speaksOfTheLogin(line) {
            verdict = .rejected
        } else if line.contains(0) || read + 1 >= STOMPLoginAnalyzer.maxErrorLines {
            verdict = .unknown
        } else {
            errorLines = read + 1
        }
    }

    /// Words brokers use when they refuse credentials (ASCII, any case).
    static let refusals: [StaticString] = [
        "access refused", "password", "credential", "authenticat", "login", "unauthori", "not authorized", "denied",
    ]

    static func speaksOfTheLogin(_ line: UnsafeRawBufferPointer) -> Bool {
        let text = LoginLine(bytes: line)
        return refusals.contains { text.contains($0) }
    }

    /// Commands and header names are case-sensitive (1.2 §"STOMP Frames").
    static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && bytes.elementsEqual(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
