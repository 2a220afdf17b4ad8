import Testing
@testable import Flows
@testable import Inspection

/// STOMP frames (STOMP 1.2, "STOMP Frames", "CONNECT or STOMP Frame",
/// "CONNECTED Frame", "ERROR"), byte for byte as stomp.py and RabbitMQ write them.
enum STOMPBytes {
    static func connect(_ headers: [String], command: String = "STOMP", eol: String = "\n") -> [UInt8] {
        ascii(([command] + headers + [""]).joined(separator: eol) + eol + "\u{0}")
    }
    static let login = connect(["accept-version:1.1", "login:orders-app", "passcode:St0mp-Orders-2026"])
    static let connected = ascii("CONNECTED\nserver:RabbitMQ/3.10.8\nsession:session-Ng7TbQ\nheart-beat:0,0\nversion:1.1\n\n\u{0}\n")
    static let error = ascii(
        "ERROR\nmessage:Bad CONNECT\ncontent-type:text/plain\nversion:1.0,1.1,1.2\ncontent-length:37\n\n"
            + "Access refused for user 'orders-app'\n\u{0}\n")
}

@Suite("STOMP login")
struct STOMPLoginTests {
    static let password = credential(.stompPassword, ascii("orders-app"), ascii("St0mp-Orders-2026"), .accepted)

    static func with(_ outcome: LoginOutcome) -> Sighting {
        credential(.stompPassword, ascii("orders-app"), ascii("St0mp-Orders-2026"), outcome)
    }

    @Test func connectedAccepts() {
        expectBrokerEverySplit(.stomp, [.client(STOMPBytes.login), .server(STOMPBytes.connected)], [Self.password])
    }

    @Test func errorRejects() {
        expectBrokerEverySplit(.stomp, [.client(STOMPBytes.login), .server(STOMPBytes.error)], [Self.with(.rejected)])
    }

    /// STOMP 1.0's CONNECT, CR LF line breaks, heart-beats (bare line breaks)
    /// before the broker's frame; a repeated header: the first one counts (1.2).
    @Test func connectCRLFHeartbeatsAndRepeatedHeaders() {
        let frame = STOMPBytes.connect(
            ["login:orders-app", "passcode:St0mp-Orders-2026", "passcode:second", "host:/"], command: "CONNECT", eol: "\r\n")
        expectBrokerEverySplit(.stomp, [.client(frame), .server(ascii("\n\r\n") + STOMPBytes.connected)], [Self.password])
    }

    /// A CONNECT without a passcode is no login; a first frame that is not a
    /// CONNECT is no session start; the broker's end leaves a login unknown.
    @Test func whatIsNotALogin() {
        #expect(brokerSightings(.stomp, [.client(STOMPBytes.connect(["accept-version:1.2", "host:/"])), .server(STOMPBytes.connected)]).isEmpty)
        #expect(brokerSightings(.stomp, [.client(ascii("SEND\ndestination:/queue/a\npasscode:x\n\nbody\u{0}")), .server(STOMPBytes.connected)]).isEmpty)
        #expect(brokerSightings(.stomp, [.client(STOMPBytes.login)]) == [Self.with(.unknown)])
    }

    /// Header names are case-sensitive: `Passcode` is not the passcode.
    @Test func headerNamesAreCaseSensitive() {
        let frame = STOMPBytes.connect(["login:orders-app", "Passcode:St0mp-Orders-2026"])
        #expect(brokerSightings(.stomp, [.client(frame), .server(STOMPBytes.connected)]).isEmpty)
    }

    @Test func probe() {
        func probe(_ text: String) -> ProbeResult { ascii(text).withUnsafeBytes { Probes.stompConnect($0) } }
        for text in ["CONNECT\nlogin:a\n", "STOMP\r\naccept-version:1.2\r\n", "CONNECT\n\n\u{0}", "CONNECT\r\n\r\n\u{0}"] {
            #expect(probe(text) == .match, "\(text.debugDescription)")
        }
        for text in ["CONNECT host:443 HTTP/1.1\r\n", "CONNECT {\"user\":\"a\"}\r\n", "CONNECTED\nversion:1.2\n", "STOMP\n:value\n", "STOMP\nno colon here\n"] {
            #expect(probe(text) == .noMatch, "\(text.debugDescription)")
        }
        for text in ["CONN", "STOMP\n", "CONNECT\naccept-ver"] {
            #expect(probe(text) == .needMore, "\(text.debugDescription)")
        }
    }

    /// Identified on any port from the client's first bytes (not HTTP's CONNECT).
    @Test func identifiedAndReadThroughTheFlow() {
        var c = Conversation(port: 18195, selection: AnalyzerSelection(parsing: "cleartext")!)
        c.client(STOMPBytes.login)
        c.server(STOMPBytes.connected)
        #expect(c.inspection.app == .stomp)
        #expect(c.inspection.takeSightings() == [Self.password])
    }
}

/// STOMP over WebSocket (RabbitMQ's Web STOMP, Spring, stomp.js): the 101
/// chose `v12.stomp`; frames come in text messages, a NUL ending each.
@Suite("STOMP over WebSocket")
struct STOMPOverWebSocketTests {
    static func handshake(_ subprotocol: String) -> (client: [UInt8], server: [UInt8]) {
        (
            ascii(
                "GET /ws HTTP/1.1\r\nHost: broker.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Protocol: v10.stomp, v11.stomp, v12.stomp\r\n\r\n"),
            ascii(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: \(subprotocol)\r\n\r\n"))
    }

    /// The CONNECT in a text message (cut in two messages too), the broker's
    /// CONNECTED in another; with the cleartext readers alone and with all.
    @Test(arguments: ["cleartext", "all"])
    func theLoginInsideIsRead(analyzers: String) {
        let (request, answer) = Self.handshake("v12.stomp")
        let login = STOMPBytes.login
        for split in [login.count, 20] {
            var c = Conversation(port: 15674, selection: AnalyzerSelection(parsing: analyzers)!)
            if analyzers == "all" { c.context.content = .recording(ContentRecorder()) }
            c.client(request)
            c.server(answer)
            c.client(WS.frame(1, Array(login[..<split]), mask: WS.key))
            if split < login.count { c.client(WS.frame(1, Array(login[split...]), mask: [9, 8, 7, 6])) }
            c.server(WS.frame(1, STOMPBytes.error))
            let found = c.inspection.takeSightings().compactMap { s -> CredentialSighting? in
                if case .credential(let x) = s { x } else { nil }
            }
            #expect(found.map(\.outcome) == [.rejected], "split \(split)")
            #expect(found.first.map { text($0.secret) } == "St0mp-Orders-2026")
        }
    }

    @Test func subprotocolNames() {
        for (name, expected) in [
            ("v12.stomp", AppProtocol.stomp), ("v10.stomp", .stomp), ("V11.STOMP", .stomp), ("mqtt", .mqtt),
            ("mqttv3.1", .mqtt), ("graphql-ws", nil), ("stomp", nil),
        ] as [(String, AppProtocol?)] {
            #expect(ascii(name).withUnsafeBytes { HTTPAnalyzer.webSocketSubprotocol($0) } == expected, "\(name)")
        }
    }
}
