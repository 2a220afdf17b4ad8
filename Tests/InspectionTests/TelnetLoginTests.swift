import TestSupport
import Testing
@testable import Flows
@testable import Inspection

// TelnetLoginAnalyzer on byte-exact Telnet sessions (RFC 854 commands,
// RFC 855 subnegotiation, RFC 857 ECHO, RFC 1091 TERMINAL-TYPE), typed one
// keystroke per segment as interactive clients do, fed whole, split at every
// byte of the transcript, and byte by byte.

/// Runs one Telnet session through a fresh analyzer.
struct TelnetRun {
    let analyzer: TelnetLoginAnalyzer
    var context: InspectionContext
    var offsets: (toServer: UInt64, toClient: UInt64) = (0, 0)
    var verdicts: [AnalyzerVerdict] = []

    init(maxDepth: UInt64 = 1 << 20, context: InspectionContext = InspectionContext()) {
        analyzer = TelnetLoginAnalyzer(maxDepth: maxDepth)
        self.context = context
    }

    mutating func send(_ bytes: [UInt8], _ d: Direction) {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        verdicts.append(bytes.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: offset, context: &context) })
        if d == .toServer { offsets.toServer += UInt64(bytes.count) } else { offsets.toClient += UInt64(bytes.count) }
    }

    /// Feeds the steps in order. `split`: the step holding byte `split` of the
    /// transcript (all steps concatenated) is cut there; `byteByByte`: every
    /// step goes one byte at a time.
    mutating func play(_ steps: [Step], split: Int? = nil, byteByByte: Bool = false) {
        var position = 0
        for step in steps {
            let (bytes, d): ([UInt8], Direction) =
                switch step {
                case .client(let b): (b, .toServer)
                case .server(let b): (b, .toClient)
                }
            if byteByByte {
                for b in bytes { send([b], d) }
            } else if let k = split, k > position, k < position + bytes.count {
                send(Array(bytes[..<(k - position)]), d)
                send(Array(bytes[(k - position)...]), d)
            } else {
                send(bytes, d)
            }
            position += bytes.count
        }
    }

    mutating func endBoth() {
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
    }

    var sightings: [Sighting] { analyzer.sightings }
}

/// The sightings of a session played whole (or cut), then both directions ended.
func telnetSightings(_ steps: [Step], split: Int? = nil, byteByByte: Bool = false) -> [Sighting] {
    var run = TelnetRun()
    run.play(steps, split: split, byteByByte: byteByByte)
    run.endBoth()
    #expect(run.context.bufferedBytes == 0, "the flow's buffers go back to the budget")
    return run.sightings
}

func telnetCredential(_ username: [UInt8]?, _ secret: [UInt8], _ outcome: LoginOutcome) -> Sighting {
    .credential(CredentialSighting(mechanism: .telnet, username: username, secret: secret, outcome: outcome))
}

func telnetCredential(_ username: String?, _ secret: String, _ outcome: LoginOutcome) -> Sighting {
    telnetCredential(username.map(ascii), ascii(secret), outcome)
}

enum TelnetSamples {
    /// Server: IAC DO TERMINAL-TYPE, IAC DO TERMINAL-SPEED, IAC WILL SUPPRESS-GO-AHEAD, IAC WILL ECHO.
    static let serverNegotiation: [UInt8] = [0xff, 0xfd, 0x18, 0xff, 0xfd, 0x20, 0xff, 0xfb, 0x03, 0xff, 0xfb, 0x01]
    /// Client: IAC WILL TERMINAL-TYPE, IAC WONT TERMINAL-SPEED, IAC DO SUPPRESS-GO-AHEAD, IAC DO ECHO.
    static let clientNegotiation: [UInt8] = [0xff, 0xfb, 0x18, 0xff, 0xfc, 0x20, 0xff, 0xfd, 0x03, 0xff, 0xfd, 0x01]
    /// Server: IAC SB TERMINAL-TYPE SEND IAC SE.
    static let terminalTypeSend: [UInt8] = [0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0]
    /// Client: IAC SB TERMINAL-TYPE IS "XTERM" IAC SE.
    static let terminalTypeIs: [UInt8] = [0xff, 0xfa, 0x18, 0x00] + ascii("XTERM") + [0xff, 0xf0]

    static let opening: [Step] = [
        .server(serverNegotiation), .client(clientNegotiation), .server(terminalTypeSend), .client(terminalTypeIs),
        .s("\r\nDebian GNU/Linux 12\r\n"), .s("host login: "),
    ]

    /// One segment per keystroke; echoed by the server (a CR as CR LF) when `echo`.
    static func typed(_ bytes: [UInt8], echo: Bool) -> [Step] {
        var steps: [Step] = []
        for b in bytes {
            steps.append(.client([b]))
            if echo && b != 0x0a && b != 0x00 { steps.append(.server(b == 0x0d ? [0x0d, 0x0a] : [b])) }
        }
        return steps
    }

    static func typed(_ text: String, echo: Bool) -> [Step] { typed(ascii(text), echo: echo) }

    static let welcome: [Step] = [
        .s("\r\nLast login: Mon Mar  2 08:12:44 2026 from 10.20.4.17\r\n"), .s("demo@host:~$ "),
    ]

    /// Negotiation, a login prompt, "demo" echoed, "demo-password" not echoed, a shell.
    static let accepted: [Step] =
        opening + typed("demo\r\n", echo: true) + [.s("Password: ")] + typed("demo-password\r\n", echo: false) + welcome

    /// A wrong password, `Login incorrect`, then a second attempt that works.
    static let rejectedThenAccepted: [Step] =
        opening + typed("demo\r\n", echo: true) + [.s("Password: ")] + typed("wrong\r\n", echo: false)
        + [.s("\r\n"), .s("Login incorrect\r\nhost login: ")]
        + typed("admin\r\n", echo: true) + [.s("Password: ")] + typed("right-one\r\n", echo: false) + welcome

    /// The ndpi `telnet.pcap` session (OpenBSD 2.6, a linemode client): the
    /// username goes in one segment, the prompt is `Password:` without a
    /// space, WILL ECHO and WONT ECHO around the password.
    static let openBSDLinemode: [Step] = [
        .server([0xff, 0xfd, 0x03, 0xff, 0xfb, 0x18, 0xff, 0xfb, 0x1f]),
        .client([0xff, 0xfd, 0x18, 0xff, 0xfa, 0x22, 0x01, 0x0b, 0xff, 0xf0]),
        .server([0xff, 0xfa, 0x1f, 0x00, 0x50, 0x00, 0x20, 0xff, 0xf0]),
        .s("\r\nOpenBSD/i386 (oof) (ttyp2)\r\n\r\n"), .s("login: "),
        .c("fake\r\n"), .server([0xff, 0xfb, 0x01]), .client([0xff, 0xfd, 0x01]), .s("Password:"),
        .c("user\r\n"), .s("\r\n"), .server([0xff, 0xfc, 0x01]), .client([0xff, 0xfe, 0x01]),
        .s("Last login: Sat Nov 27 20:11:43 on ttyp2 from bam.zing.org\r\n"),
        .s("Warning: no Kerberos tickets issued.\r\n"), .s("$ "), .c("/sbin/ping www.yahoo.com\r\n"),
    ]
}

@Suite("TelnetLogin")
struct TelnetLoginTests {
    // MARK: logins

    @Test func echoedUsernameAndSilentPasswordAreAccepted() {
        var run = TelnetRun()
        run.play(TelnetSamples.accepted)
        #expect(run.sightings == [telnetCredential("demo", "demo-password", .accepted)])
        // Decided by "Last login": that chunk and the shell prompt after it are answered `.done`.
        #expect(run.verdicts.suffix(2) == [.done, .done], "nothing more to learn once the login went through")
        #expect(run.verdicts.dropLast(2).allSatisfy { $0 == .needMore })
        #expect(run.context.bufferedBytes == 0, "done returns the buffers to the budget")
    }

    @Test func rejectedAttemptThenAcceptedOneGiveTwoSightingsInOrder() {
        var run = TelnetRun()
        run.play(TelnetSamples.rejectedThenAccepted)
        #expect(run.sightings == [
            telnetCredential("demo", "wrong", .rejected), telnetCredential("admin", "right-one", .accepted),
        ])
        #expect(run.verdicts.last == .done)
    }

    @Test func passwordPromptAgainWithoutAFailureWordRejects() {
        // Some servers just ask again; the username carries over.
        let sightings = telnetSightings(
            TelnetSamples.opening + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")]
                + TelnetSamples.typed("one\r\n", echo: false) + [.s("\r\nPassword: ")]
                + TelnetSamples.typed("two\r\n", echo: false) + TelnetSamples.welcome)
        #expect(sightings == [telnetCredential("demo", "one", .rejected), telnetCredential("demo", "two", .accepted)])
    }

    @Test func passwordOnlyPromptHasNoUsername() {
        // A router asking for a line password only ("User Access Verification").
        let sightings = telnetSightings([
            .server(TelnetSamples.serverNegotiation), .s("\r\n\r\nUser Access Verification\r\n\r\nPassword: "),
        ] + TelnetSamples.typed("cisco\r", echo: false) + [.s("\r\n% Access denied\r\n")])
        #expect(sightings == [telnetCredential(nil, "cisco", .rejected)])
    }

    @Test func usernamePromptsAreMatchedIgnoringCase() {
        for prompt in ["Username: ", "User Name:", "LOGIN:  ", "user:\t"] {
            let sightings = telnetSightings(
                [.s("\r\n" + prompt)] + TelnetSamples.typed("op\r\n", echo: true) + [.s("Passcode: ")]
                    + TelnetSamples.typed("123456\r\n", echo: false) + [.s("\r\nAuthentication failed\r\n")])
            #expect(sightings == [telnetCredential("op", "123456", .rejected)], "prompt \(prompt)")
        }
    }

    @Test func shellPromptAcceptsWhenTheClientTypesAgain() {
        // No "Last login": the client typing at what followed the password accepts it.
        var run = TelnetRun()
        run.play(
            TelnetSamples.opening + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")]
                + TelnetSamples.typed("pw\r\n", echo: false) + [.s("\r\nWelcome\r\n# ")])
        #expect(run.sightings.isEmpty, "the answer is not known until the client goes on")
        run.play(TelnetSamples.typed("ls\r\n", echo: true))
        #expect(run.sightings == [telnetCredential("demo", "pw", .accepted)])
    }

    @Test func longOutputWithoutFailureAccepts() {
        let motd = String(repeating: "Message of the day, all quiet here.\r\n", count: 30)  // > 1 KiB
        var run = TelnetRun()
        run.play(
            TelnetSamples.opening + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")]
                + TelnetSamples.typed("pw\r\n", echo: false) + [.s(motd)])
        #expect(run.sightings == [telnetCredential("demo", "pw", .accepted)])
        #expect(run.verdicts.last == .done)
    }

    @Test func realOpenBSDLinemodeSession() {
        var run = TelnetRun()
        run.play(TelnetSamples.openBSDLinemode)
        #expect(run.sightings == [telnetCredential("fake", "user", .accepted)])
        #expect(run.verdicts.last == .done)
    }

    // MARK: keystrokes and line ends

    @Test func backspaceDelAndKillLineEditTheTypedLine() {
        let sightings = telnetSightings(
            TelnetSamples.opening + TelnetSamples.typed(ascii("dx\u{8}emo\r\n"), echo: true) + [.s("Password: ")]
                + TelnetSamples.typed(ascii("oops\u{15}sec\u{7f}\u{7f}\u{7f}\u{7f}secrex\u{7f}t\r\n"), echo: false)
                + TelnetSamples.welcome)
        #expect(sightings == [telnetCredential("demo", "secret", .accepted)])
    }

    @Test func telnetEraseCommandsEditTheTypedLine() {
        // IAC EC erases a character, IAC EL the line (RFC 854).
        let password: [UInt8] = ascii("abc") + [0xff, 0xf8] + ascii("pwx") + [0xff, 0xf7] + ascii("d\r\n")
        let sightings = telnetSightings(
            TelnetSamples.opening + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")]
                + TelnetSamples.typed(password, echo: false) + TelnetSamples.welcome)
        #expect(sightings == [telnetCredential("demo", "pwd", .accepted)])
    }

    @Test func iacIACInTypedDataIsOneByte255AndCommandsAreDropped() {
        // p IAC IAC w, an IAC NOP, a NAWS subnegotiation (with an IAC IAC inside), then d.
        let password: [UInt8] =
            [0x70, 0xff, 0xff, 0x77, 0xff, 0xf1, 0xff, 0xfa, 0x1f, 0x00, 0xff, 0xff, 0x00, 0x18, 0xff, 0xf0, 0x64]
            + ascii("\r\n")
        let sightings = telnetSightings(
            TelnetSamples.opening + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")]
                + TelnetSamples.typed(password, echo: false) + TelnetSamples.welcome)
        #expect(sightings == [telnetCredential(ascii("demo"), [0x70, 0xff, 0x77, 0x64], .accepted)])
    }

    @Test func crNulBareCRAndBareLFEndLines() {
        // CR NUL (RFC 854's bare carriage return) after the username; the NUL is not the next line's first byte.
        let crNul = telnetSightings(
            TelnetSamples.opening + TelnetSamples.typed(ascii("demo\r\0"), echo: true) + [.s("Password: ")]
                + TelnetSamples.typed(ascii("pw\r\0"), echo: false) + TelnetSamples.welcome)
        #expect(crNul == [telnetCredential("demo", "pw", .accepted)])
        let bareCR = telnetSightings(
            TelnetSamples.opening + TelnetSamples.typed("demo\r", echo: true) + [.s("Password: ")]
                + TelnetSamples.typed("pw\r", echo: false) + TelnetSamples.welcome)
        #expect(bareCR == [telnetCredential("demo", "pw", .accepted)])
        let bareLF = telnetSightings(
            TelnetSamples.opening + TelnetSamples.typed("demo\n", echo: true) + [.s("Password: ")]
                + TelnetSamples.typed("pw\n", echo: false) + TelnetSamples.welcome)
        #expect(bareLF == [telnetCredential("demo", "pw", .accepted)])
    }

    @Test func overlongLineIsCutAtMaxLine() {
        let long = String(repeating: "x", count: TelnetLoginAnalyzer.maxLine + 40)
        let sightings = telnetSightings(
            TelnetSamples.opening + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: "), .c(long + "\r\n")]
                + TelnetSamples.welcome)
        #expect(sightings == [telnetCredential("demo", String(long.prefix(TelnetLoginAnalyzer.maxLine)), .accepted)])
    }

    // MARK: chunking

    @Test func everySplitAndByteByByteGiveTheSameSightings() {
        for session in [TelnetSamples.accepted, TelnetSamples.rejectedThenAccepted, TelnetSamples.openBSDLinemode] {
            let whole = telnetSightings(session)
            #expect(!whole.isEmpty)
            let length = session.reduce(0) { total, step in
                switch step {
                case .client(let b), .server(let b): total + b.count
                }
            }
            for k in 1..<length {
                #expect(telnetSightings(session, split: k) == whole, "split at \(k)")
            }
            #expect(telnetSightings(session, byteByByte: true) == whole)
        }
    }

    @Test func wholeSessionInTwoSegmentsPerDirection() {
        // A scripted client: everything it types in one segment after the prompt.
        let sightings = telnetSightings([
            .server(TelnetSamples.serverNegotiation + ascii("\r\nhost login: ")),
            .client(TelnetSamples.clientNegotiation + ascii("demo\r\n")),
            .s("demo\r\nPassword: "), .c("demo-password\r\n"), .s("\r\nLogin incorrect\r\n"),
        ])
        #expect(sightings == [telnetCredential("demo", "demo-password", .rejected)])
    }

    // MARK: outcome not seen

    @Test func endBeforeTheAnswerIsUnknown() {
        let upToPassword =
            TelnetSamples.opening + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")]
            + TelnetSamples.typed("pw\r\n", echo: false)
        var run = TelnetRun()
        run.play(upToPassword)
        run.analyzer.end(direction: .toServer, context: &run.context)
        #expect(run.sightings.isEmpty, "the client's end does not decide: the server may still answer")
        run.analyzer.end(direction: .toClient, context: &run.context)
        #expect(run.sightings == [telnetCredential("demo", "pw", .unknown)])
        #expect(run.context.bufferedBytes == 0)

        // The client gone, the server still answers.
        var late = TelnetRun()
        late.play(upToPassword)
        late.analyzer.end(direction: .toServer, context: &late.context)
        late.send(ascii("\r\nLogin incorrect\r\n"), .toClient)
        #expect(late.sightings == [telnetCredential("demo", "pw", .rejected)])
        #expect(late.verdicts.last == .done)
    }

    @Test func serverEndingOnAShellPromptAccepts() {
        let sightings = telnetSightings(
            TelnetSamples.opening + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")]
                + TelnetSamples.typed("pw\r\n", echo: false) + [.s("\r\nWelcome to the box\r\nbox> ")])
        #expect(sightings == [telnetCredential("demo", "pw", .accepted)])
    }

    @Test func serverGapBeforeTheAnswerIsUnknown() {
        var run = TelnetRun()
        run.play(
            TelnetSamples.opening + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")]
                + TelnetSamples.typed("pw\r\n", echo: false))
        let verdict = run.analyzer.gap(direction: .toClient, offset: run.offsets.toClient, length: 100, context: &run.context)
        #expect(verdict == .needMore, "the session goes on after the lost bytes")
        #expect(run.sightings == [telnetCredential("demo", "pw", .unknown)])
        run.endBoth()
        #expect(run.context.bufferedBytes == 0)
    }

    // MARK: what is not a login

    @Test func passwordPromptInTheShellAfterLoginIsNotRead() {
        var run = TelnetRun()
        run.play(TelnetSamples.accepted)
        run.play(
            TelnetSamples.typed("passwd\r\n", echo: true) + [.s("Changing password for demo.\r\nCurrent password: ")]
                + TelnetSamples.typed("hunter2\r\n", echo: false) + [.s("\r\nNew password: ")])
        #expect(run.sightings == [telnetCredential("demo", "demo-password", .accepted)])
        #expect(run.verdicts.suffix(4).allSatisfy { $0 == .done })
    }

    @Test func linesWithoutAPromptAreNotKept() {
        // Typing ahead of any prompt, or at a banner, makes no credential.
        let sightings = telnetSightings([
            .server(TelnetSamples.serverNegotiation), .s("Welcome. Type your password below\r\n"), .c("hello\r\n"),
            .s("password: is a word\r\n"), .c("again\r\n"),
        ])
        #expect(sightings.isEmpty)
    }

    @Test func promptInsideLongerWordDoesNotCount() {
        let sightings = telnetSightings(
            [.s("\r\nsuperuser:")] + TelnetSamples.typed("x\r\n", echo: true) + [.s("nopassword:")]
                + TelnetSamples.typed("y\r\n", echo: false) + [.s("$ ")])
        #expect(sightings.isEmpty)
    }

    // MARK: limits and robustness

    @Test func maxDepthStopsReading() {
        // The server's password prompt lies past the depth: nothing is read there and the flow is done.
        var run = TelnetRun(maxDepth: 40)
        run.play(TelnetSamples.accepted)
        #expect(run.sightings.isEmpty)
        #expect(run.verdicts.last == .done)
        #expect(run.context.bufferedBytes == 0)

        // The password is typed within the depth but the answer lies past it: unknown.
        let upToAnswer: [Step] =
            [.s("login: ")] + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")]
            + TelnetSamples.typed("pw\r\n", echo: false)
        let serverBytes = 7 + 6 + 10  // "login: ", the echo "demo\r\n", "Password: "
        var cut = TelnetRun(maxDepth: UInt64(serverBytes))
        cut.play(upToAnswer + [.s("\r\nLogin incorrect\r\n")])
        #expect(cut.sightings == [telnetCredential("demo", "pw", .unknown)])
        #expect(cut.verdicts.last == .done)
    }

    @Test func budgetRefusalReadsNothingAndCountsIt() {
        var run = TelnetRun(context: InspectionContext(maxBufferedBytes: TelnetLoginAnalyzer.heldBytes - 1))
        run.play(TelnetSamples.accepted)
        #expect(run.sightings.isEmpty)
        #expect(run.verdicts == [.done] + Array(repeating: .done, count: run.verdicts.count - 1))
        #expect(run.context.counters.bufferCapHits == 1)
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func garbageDoesNotCrashAndReturnsTheBudget() {
        var g = SplitMix64(seed: 0x7e1e_0023)
        for round in 0..<300 {
            var run = TelnetRun(maxDepth: UInt64.random(in: 1...4096, using: &g))
            for _ in 0..<Int.random(in: 1...40, using: &g) {
                let alphabet: [UInt8] = [0xff, 0xfa, 0xf0, 0xfb, 0x0d, 0x0a, 0x00, 0x08, 0x7f, 0x3a, 0x20]
                let bytes: [UInt8] = (0..<Int.random(in: 1...200, using: &g)).map { _ in
                    Bool.random(using: &g) ? alphabet.randomElement(using: &g)! : UInt8.random(in: 0...255, using: &g)
                }
                if UInt8.random(in: 0...20, using: &g) == 0 {
                    let d: Direction = Bool.random(using: &g) ? .toServer : .toClient
                    _ = run.analyzer.gap(direction: d, offset: 0, length: 10, context: &run.context)
                }
                let prompt = Bool.random(using: &g) ? ascii("login: ") : ascii("Password: ")
                run.send(Bool.random(using: &g) ? prompt + bytes : bytes, Bool.random(using: &g) ? .toServer : .toClient)
            }
            run.endBoth()
            #expect(run.context.bufferedBytes == 0, "round \(round)")
            #expect(run.analyzer.send(nothing: ()) == .done, "round \(round)")
        }
    }

    @Test func decoderStripsEveryKindOfCommand() {
        var decoder = TelnetDecoder()
        let stream: [UInt8] =
            [0x41, 0xff, 0xff, 0xff, 0xfd, 0x01, 0x42, 0xff, 0xfa, 0x18, 0xff, 0xff, 0x43, 0xff, 0xf0, 0xff, 0xf4, 0x44]
        var events: [TelnetDecoder.Event] = []
        for b in stream {
            let e = decoder.next(b)
            if e != .none { events.append(e) }
        }
        #expect(events == [.data(0x41), .data(0xff), .data(0x42), .command(0xf4), .data(0x44)])
    }
}

extension TelnetLoginAnalyzer {
    /// Asks an ended analyzer for more: an empty chunk at offset 0.
    fileprivate func send(nothing: ()) -> AnalyzerVerdict {
        var context = InspectionContext()
        return [UInt8]().withUnsafeBytes { ingest($0, direction: .toServer, offset: 0, context: &context) }
    }
}
