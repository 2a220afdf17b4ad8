import Testing
@testable import Flows
@testable import Inspection

// TACACS+ (RFC 8907) on byte-exact packets: identified from either side's
// header; a password read from a body in clear — PAP in the START, ASCII in
// the CONTINUE that answers GETPASS — settled by the server's PASS or FAIL;
// obfuscated bodies (here: bytes that do not read as a body) left alone.

@Suite struct TACACSTests {
    /// A packet: version 12.0, `type`, `seq`, `flags`, session 0x1234_5678, then `body`.
    static func packet(type: UInt8 = 1, seq: UInt8, flags: UInt8 = 0x01, session: UInt32 = 0x1234_5678, _ body: [UInt8]) -> [UInt8] {
        [0xc0, type, seq, flags] + be32(Int(session)) + be32(body.count) + body
    }

    static func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    /// An authentication START (§5.1): LOGIN, privilege 15, `authenType`, service LOGIN.
    static func start(authenType: UInt8, user: String, port: String = "tty0", remote: String = "10.1.1.5", data: String = "") -> [UInt8] {
        [1, 15, authenType, 1, UInt8(user.utf8.count), UInt8(port.utf8.count), UInt8(remote.utf8.count), UInt8(data.utf8.count)]
            + ascii(user) + ascii(port) + ascii(remote) + ascii(data)
    }

    /// An authentication REPLY (§5.2).
    static func reply(_ status: UInt8, flags: UInt8 = 0, message: String = "") -> [UInt8] {
        [status, flags] + be16(message.utf8.count) + be16(0) + ascii(message)
    }

    /// An authentication CONTINUE (§5.3) with `text` as the user message.
    static func answer(_ text: String) -> [UInt8] { be16(text.utf8.count) + be16(0) + [0] + ascii(text) }

    /// Feeds the packets, each its own chunk (or cut every `split` bytes), and
    /// ends the flow; the connection's `.tacacsBodiesInClear` is dropped unless `keepInClear`.
    static func sightings(_ packets: [([UInt8], Direction)], split: Int? = nil, keepInClear: Bool = false) -> [Sighting] {
        let analyzer = TACACSLoginAnalyzer(maxDepth: 1 << 20)
        var context = InspectionContext()
        var offsets: [Direction: UInt64] = [.toServer: 0, .toClient: 0]
        for (bytes, direction) in packets {
            let chunks = split.map { n in stride(from: 0, to: bytes.count, by: n).map { Array(bytes[$0..<min($0 + n, bytes.count)]) } } ?? [bytes]
            for chunk in chunks {
                _ = chunk.withUnsafeBytes { analyzer.ingest($0, direction: direction, offset: offsets[direction]!, context: &context) }
                offsets[direction]! += UInt64(chunk.count)
            }
        }
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
        #expect(context.bufferedBytes == 0)
        return analyzer.sightings.filter { keepInClear || $0 != .tacacsBodiesInClear }
    }

    static func password(_ user: String?, _ secret: String, _ outcome: LoginOutcome) -> Sighting {
        .credential(CredentialSighting(mechanism: .tacacsPassword, username: user.map(ascii), secret: ascii(secret), outcome: outcome))
    }

    @Test func identifiedFromEitherSide() {
        let first = Self.packet(seq: 1, Self.start(authenType: 2, user: "netadmin", data: "pw"))
        #expect(run(Probes.tacacs.probeToServer, first, port: 49) == .match)
        #expect(run(Probes.tacacs.probeToServer, Array(first[..<11]), port: 49) == .needMore)
        #expect(run(Probes.tacacs.probeToClient, Self.packet(seq: 2, Self.reply(1)), port: 49) == .match)
        #expect(run(Probes.tacacs.probeToClient, first, port: 49) == .noMatch, "an odd sequence number is the client's")
        #expect(identify([first], .toServer, port: 4949).app == .tacacs)
        var bad: [[UInt8]] = [
            Self.packet(type: 4, seq: 1, []),  // an undefined type
            Self.packet(seq: 0, []),  // sequence numbers start at 1
            [0xc2, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0],  // minor version 2
            [0xd0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0],  // major version 13
            [0xc0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1],  // a body over 64 KiB
        ]
        bad.append(ascii("GET / HTTP/1.1\r\n"))
        for b in bad { #expect(run(Probes.tacacs.probeToServer, b, port: 49) == .noMatch, "\(b)") }
    }

    @Test func papPasswordInClearSettledByTheReply() {
        let seen = Self.sightings([
            (Self.packet(seq: 1, Self.start(authenType: 2, user: "jsmith", data: "wrong-password")), .toServer),
            (Self.packet(seq: 2, Self.reply(2, message: "Authentication failed")), .toClient),
            (Self.packet(seq: 1, session: 7, Self.start(authenType: 2, user: "jsmith", data: "Summer2026!")), .toServer),
            (Self.packet(seq: 2, session: 7, Self.reply(1)), .toClient),
        ])
        #expect(seen == [Self.password("jsmith", "wrong-password", .rejected), Self.password("jsmith", "Summer2026!", .accepted)])
    }

    @Test func asciiLoginAnswersGetUserAndGetPass() {
        let exchange: [([UInt8], Direction)] = [
            (Self.packet(seq: 1, Self.start(authenType: 1, user: "")), .toServer),
            (Self.packet(seq: 2, Self.reply(4, message: "Username: ")), .toClient),
            (Self.packet(seq: 3, Self.answer("netadmin")), .toServer),
            (Self.packet(seq: 4, Self.reply(5, flags: 1, message: "Password: ")), .toClient),
            (Self.packet(seq: 5, Self.answer("Tacacs-Admin-2026")), .toServer),
            (Self.packet(seq: 6, Self.reply(1)), .toClient),
        ]
        let expected = [Self.password("netadmin", "Tacacs-Admin-2026", .accepted)]
        #expect(Self.sightings(exchange) == expected)
        #expect(Self.sightings(exchange, split: 5) == expected, "packets cut across chunks")
        // A user named in the START is asked only for the password; GETDATA without echo asks for a secret too.
        #expect(
            Self.sightings([
                (Self.packet(seq: 1, Self.start(authenType: 1, user: "jsmith")), .toServer),
                (Self.packet(seq: 2, Self.reply(3, flags: 1, message: "New password: ")), .toClient),
                (Self.packet(seq: 3, Self.answer("N3w-Secret!")), .toServer),
            ]) == [Self.password("jsmith", "N3w-Secret!", .unknown)])
        // GETDATA with echo asks for something else than a password.
        #expect(
            Self.sightings([
                (Self.packet(seq: 1, Self.start(authenType: 1, user: "jsmith")), .toServer),
                (Self.packet(seq: 2, Self.reply(3, message: "Reason: ")), .toClient),
                (Self.packet(seq: 3, Self.answer("maintenance")), .toServer),
            ]).isEmpty)
    }

    @Test func bodiesInClearWithoutTheFlagAreRead() {
        // The Python tacacs_plus library with secret=None: bodies as they are, the flag unset.
        let seen = Self.sightings([
            (Self.packet(seq: 1, flags: 0, Self.start(authenType: 1, user: "jsmith")), .toServer),
            (Self.packet(seq: 2, flags: 0, Self.reply(5, flags: 1)), .toClient),
            (Self.packet(seq: 3, flags: 0, Self.answer("Summer2026!")), .toServer),
            (Self.packet(seq: 4, flags: 0, Self.reply(1)), .toClient),
        ])
        #expect(seen == [Self.password("jsmith", "Summer2026!", .accepted)])
    }

    @Test func obfuscatedBodiesAreNotRead() {
        // Obfuscated bodies read as noise: none adds up as a START, REPLY or CONTINUE.
        let noise = counting(40, from: 0x9d)
        let script: [([UInt8], Direction)] = [
            (Self.packet(seq: 1, flags: 0, noise), .toServer), (Self.packet(seq: 2, flags: 0, Array(noise[..<20])), .toClient),
            (Self.packet(seq: 3, flags: 0, Array(noise[3...])), .toServer), (Self.packet(seq: 4, flags: 0, Array(noise[..<6])), .toClient),
        ]
        #expect(Self.sightings(script, keepInClear: true).isEmpty, "nothing read, nothing in clear")
        // Authorization and accounting bodies are not read for logins; sent with the unencrypted flag, they are in clear.
        let args = [UInt8](ascii("cmd=show"))
        let author = [6, 15, 2, 1, 8, 4, 8, 1, UInt8(args.count)] + ascii("netadmin") + ascii("tty0") + ascii("10.1.1.5") + args
        #expect(Self.sightings([(Self.packet(type: 2, seq: 1, author), .toServer)], keepInClear: true) == [.tacacsBodiesInClear])
    }

    @Test func aPasswordLeftWaitingIsUnknownAtTheEnd() {
        let seen = Self.sightings([(Self.packet(seq: 1, Self.start(authenType: 2, user: "netadmin", data: "Tacacs-Admin-2026")), .toServer)])
        #expect(seen == [Self.password("netadmin", "Tacacs-Admin-2026", .unknown)])
    }

    @Test func malformedStreamsStopWithoutSightings() {
        // A header that is not TACACS+ stops the direction; a body longer than maxMessage is skipped whole.
        var long = Self.start(authenType: 2, user: "u", data: "p")
        long += [UInt8](repeating: 0x41, count: TACACSLoginAnalyzer.maxMessage + 1)
        let seen = Self.sightings([
            (ascii("SSH-2.0-OpenSSH_9.2\r\n"), .toServer),
            (Self.packet(seq: 2, long), .toClient),
        ], split: 1000)
        #expect(seen.isEmpty)
    }
}
