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
/// headers are the user and password (`.stompPassword`); CONNECT frames do
/// not escape their header values (1.2 §"Value Encoding"), and of a repeated
/// header the first counts. The broker answers `CONNECTED` (accepted) or
/// `ERROR` (rejected: RabbitMQ's "Access refused", ActiveMQ's "User name or
/// password is invalid"); anything else leaves the outcome unknown.
///
/// Only the first frame of each direction is read: the analyzer is `.done`
/// once the verdict is in, or after a first frame that is not a CONNECT or
/// carries no passcode. Lines come from `LineDialogue` (in place; one cut by
/// a chunk boundary copied up to `LoginLineReader.maxLine` bytes, charged to
/// the context's budget; a truncated line is not read for credentials).
public final class STOMPLoginAnalyzer: StreamAnalyzer, SightingSource, LineDialogue, TwoWayDialogue {
    public let maxDepth: UInt64
    public internal(set) var sightings: [Sighting] = []

    @exclusivity(unchecked) var toServer = LoginLineReader()
    @exclusivity(unchecked) var toClient = LoginLineReader()
    var rawRequest: (length: UInt64, capture: Bool)?
    var lineNotContent: Range<Int>?
    public private(set) var isDone = false

    /// Where the client is in its first frame.
    var client = FramePart.command
    /// The broker's first frame, once its command was read.
    var verdict: LoginOutcome?
    var login: [UInt8]?
    var passcode: [UInt8]?

    enum FramePart { case command, headers, read }

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: StreamAnalyzer (TwoWayDialogue's ingest, gap and end, lines read by LineDialogue)

    /// Lost bytes at the start lose the frame: the direction stops (TwoWayDialogue's gap).
    func linesLost(_ direction: Direction, context: inout InspectionContext) {}
    func rawData(_ bytes: UnsafeRawBufferPointer, context: inout InspectionContext) {}
    func rawDataEnded() {}

    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        if client != .read && toServer.finished { isDone = true }  // the CONNECT never came whole
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
            if STOMPLoginAnalyzer.equals(line, "CONNECT") || STOMPLoginAnalyzer.equals(line, "STOMP") {
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
            if login == nil && STOMPLoginAnalyzer.equals(name, "login") { login = Array(line[(colon + 1)...]) }
            if passcode == nil && STOMPLoginAnalyzer.equals(name, "passcode") { passcode = Array(line[(colon + 1)...]) }
        case .read:
            break
        }
    }

    func serverLine(_ line: UnsafeRawBufferPointer) {
        guard verdict == nil else { return }
        // Bare line breaks (heart-beats), and a NUL ending a frame, come before the command.
        var command = line
        while let first = command.first, first == 0 { command = UnsafeRawBufferPointer(rebasing: command[1...]) }
        guard !command.isEmpty else { return }
        if STOMPLoginAnalyzer.equals(command, "CONNECTED") {
            verdict = .accepted
        } else if STOMPLoginAnalyzer.equals(command, "ERROR") {
            verdict = .rejected
        } else {
            verdict = .unknown
        }
    }

    /// Commands and header names are case-sensitive (1.2 §"STOMP Frames").
    static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && bytes.elementsEqual(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
