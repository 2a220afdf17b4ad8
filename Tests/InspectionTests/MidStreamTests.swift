import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

// The line readers after lost bytes: a direction first seen past its start
// (the sensor started, or the capture file begins, while the connection was
// open; or its first bytes went to identification only) and gaps. The exchanges are
// byte-exact dialogues (RFC 959, 1939, 3501, 4954, 4616, 854, 2812, 3261,
// 2326), picked up at every byte of the lines in progress, then fed whole,
// cut at every byte of each direction, and byte by byte. The readers go on
// after the next line feed; credentials read where the client may be inside
// a mail body or a literal count only when the server answers them.

/// A reader made as the pipeline makes it, that first sees each direction at
/// a stream offset past 0 (`from`): the bytes before were never seen.
func pickupSightings(
    _ app: AppProtocol, _ steps: [Step], from: (toServer: UInt64, toClient: UInt64) = (4711, 1234),
    clientSplit: Int? = nil, serverSplit: Int? = nil, byteByByte: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) -> [Sighting] {
    var run = PipelineRun(app)
    run.offsets = from
    run.play(steps, clientSplit: clientSplit, serverSplit: serverSplit, byteByByte: byteByByte)
    run.endBoth()
    #expect(run.context.bufferedBytes == 0, "every held byte goes back to the budget", sourceLocation: sourceLocation)
    return run.sightings
}

/// Picked up at every byte of the lines in progress when the sensor started
/// (`clientLeadIn`, `serverLeadIn`: whole lines, the client's sent first),
/// then `rest`; and, picked up mid-line, `rest` cut at every byte of each
/// direction and byte by byte: always `expected`.
func expectAfterEveryPickup(
    _ app: AppProtocol, clientLeadIn: String, serverLeadIn: String, _ rest: [Step], _ expected: [Sighting],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let client = ascii(clientLeadIn), server = ascii(serverLeadIn)
    func steps(_ k: Int, _ m: Int) -> [Step] {
        ([.client(Array(client[k...])), .server(Array(server[m...]))] + rest).filter {
            switch $0 {
            case .client(let b), .server(let b): !b.isEmpty
            }
        }
    }
    for k in 0..<client.count {
        let got = pickupSightings(app, steps(k, server.count / 2), sourceLocation: sourceLocation)
        #expect(got == expected, "client picked up at byte \(k)", sourceLocation: sourceLocation)
        if got != expected { return }
    }
    for m in 0..<server.count {
        let got = pickupSightings(app, steps(client.count / 2, m), sourceLocation: sourceLocation)
        #expect(got == expected, "server picked up at byte \(m)", sourceLocation: sourceLocation)
        if got != expected { return }
    }
    let middle = steps(client.count / 2, server.count / 2)
    #expect(pickupSightings(app, middle, byteByByte: true) == expected, "byte by byte", sourceLocation: sourceLocation)
    var lengths = (client: 0, server: 0)
    for step in middle {
        switch step {
        case .client(let b): lengths.client += b.count
        case .server(let b): lengths.server += b.count
        }
    }
    for k in 1..<lengths.client {
        let got = pickupSightings(app, middle, clientSplit: k, sourceLocation: sourceLocation)
        #expect(got == expected, "client cut at \(k)", sourceLocation: sourceLocation)
        if got != expected { return }
    }
    for k in 1..<lengths.server {
        let got = pickupSightings(app, middle, serverSplit: k, sourceLocation: sourceLocation)
        #expect(got == expected, "server cut at \(k)", sourceLocation: sourceLocation)
        if got != expected { return }
    }
}

@Suite("MidStream")
struct MidStreamTests {
    // MARK: picked up mid-line, then a login

    @Test func ftpLoginAfterPickup() {
        // RFC 959 §5.4: USER → 331 → PASS → 230, after a NOOP whose lines were half seen.
        expectAfterEveryPickup(
            .ftp, clientLeadIn: "NOOP\r\n", serverLeadIn: "200 NOOP command successful.\r\n",
            [
                .c("USER alice\r\n"), .s("331 Password required for alice\r\n"), .c("PASS open sesame\r\n"),
                .s("230 User alice logged in\r\n"), .c("QUIT\r\n"), .s("221 Goodbye.\r\n"),
            ],
            [loginCredential(.ftp, "alice", "open sesame", .accepted)])
    }

    @Test func pop3RejectedThenAcceptedAfterPickup() {
        // RFC 1939 §7: a user name the server refused, half seen; then USER/PASS, a wrong and a right password.
        expectAfterEveryPickup(
            .pop3, clientLeadIn: "USER nobody\r\n", serverLeadIn: "-ERR sorry, no mailbox for nobody here\r\n",
            [
                .c("USER mrose\r\n"), .s("+OK mrose is a real hoopy frood\r\n"), .c("PASS wrong\r\n"),
                .s("-ERR invalid password\r\n"), .c("PASS secret\r\n"),
                .s("+OK mrose's maildrop has 2 messages (320 octets)\r\n"),
            ],
            [loginCredential(.pop3, "mrose", "wrong", .rejected), loginCredential(.pop3, "mrose", "secret", .accepted)])
    }

    @Test func imapLoginAfterPickup() {
        // RFC 3501 §6.2.3, with a quoted password; the verdict by tag.
        expectAfterEveryPickup(
            .imap, clientLeadIn: "a001 CAPABILITY\r\n", serverLeadIn: "a001 OK CAPABILITY completed\r\n",
            [.c("a002 LOGIN alice \"open sesame\"\r\n"), .s("a002 OK LOGIN completed\r\n")],
            [loginCredential(.imapLogin, "alice", "open sesame", .accepted)])
    }

    @Test func smtpAuthPlainAfterPickup() {
        // RFC 4954 §4 example: PLAIN with an initial response, base64("\0test\01234").
        expectAfterEveryPickup(
            .smtp, clientLeadIn: "RSET\r\n", serverLeadIn: "250 2.0.0 Ok\r\n",
            [.c("AUTH PLAIN AHRlc3QAMTIzNA==\r\n"), .s("235 2.7.0 Authentication successful\r\n")],
            [loginCredential(.saslPlain, "test", "1234", .accepted)])
    }

    @Test func smtpAuthLoginContinuationsAfterPickup() {
        // RFC 4954 §4: 334 prompts (base64 "Username:", "Password:"), then 535.
        expectAfterEveryPickup(
            .smtp, clientLeadIn: "NOOP\r\n", serverLeadIn: "250 2.0.0 Ok\r\n",
            [
                .c("AUTH LOGIN\r\n"), .s("334 VXNlcm5hbWU6\r\n"), .c("dGVzdA==\r\n"), .s("334 UGFzc3dvcmQ6\r\n"),
                .c("MTIzNA==\r\n"), .s("535 5.7.8 Authentication credentials invalid\r\n"),
            ],
            [loginCredential(.saslLogin, "test", "1234", .rejected)])
    }

    @Test func ircOperAfterPickup() {
        // RFC 2812 §3.1.4 OPER, answered by 381 RPL_YOUREOPER.
        expectAfterEveryPickup(
            .irc, clientLeadIn: "PRIVMSG #ops :back in a minute\r\n",
            serverLeadIn: ":carol!c@host.example PRIVMSG #ops :see you\r\n",
            [.c("OPER admin s3cret\r\n"), .s(":irc.example.net 381 bob :You are now an IRC operator\r\n")],
            [credential(.ircPassword, ascii("admin"), ascii("s3cret"), .accepted)])
    }

    @Test func sipRegisterAfterPickupInsideABody() {
        // A SIP/TCP connection picked up inside an INVITE's SDP and its 200's
        // SDP (RFC 3261 §4): nothing is read until the next start line; then a
        // REGISTER with Digest (§22.4) and its 200 by Call-ID and CSeq.
        let invite = String(decoding: SIPBytes.invite(cseq: 1), as: UTF8.self)
        let answer = String(decoding: SIPBytes.inviteResponse(200, "OK", cseq: 1), as: UTF8.self)
        expectAfterEveryPickup(
            .sip, clientLeadIn: invite, serverLeadIn: answer,
            [.client(SIPBytes.register(cseq: 2)), .server(SIPBytes.response(200, "OK", cseq: 2))],
            [credential(.sipDigest, ascii("bob"), ascii("245f23415f11432b3434341c022"), .accepted)])
    }

    @Test func rtspDescribeAfterPickup() {
        // RFC 2326 §10.1 OPTIONS half seen, then DESCRIBE with Basic (RFC 7617 §2) and its 200 by CSeq.
        expectAfterEveryPickup(
            .rtsp, clientLeadIn: "OPTIONS rtsp://cam/ RTSP/1.0\r\nCSeq: 1\r\n\r\n",
            serverLeadIn: String(decoding: RTSPBytes.response(200, "OK", cseq: 1, body: "v=0\r\ns=-\r\n"), as: UTF8.self),
            [
                .client(RTSPBytes.describe(cseq: 2, authorization: "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")),
                .server(RTSPBytes.response(200, "OK", cseq: 2)),
            ],
            [credential(.rtspBasic, ascii("Aladdin"), ascii("open sesame"), .accepted)])
    }

    @Test func lineOfThePickupIsNotRead() {
        // The first bytes seen start a line here, but nothing says so: the
        // line is passed over (its start may be missing), the next is read.
        let got = pickupSightings(
            .ftp,
            [.c("USER alice\r\n"), .s("331 Password required\r\n"), .c("PASS one\r\n"), .s("530 Login incorrect.\r\n"),
             .c("PASS two\r\n"), .s("230 Logged in.\r\n")])
        #expect(got == [loginCredential(.ftp, nil, "one", .rejected), loginCredential(.ftp, nil, "two", .accepted)])
    }

    // MARK: STARTTLS offers only where they are seen

    @Test func smtpStartTLSOfferSeenAfterPickupCounts() {
        // Picked up inside the EHLO reply (RFC 3207 §4): the STARTTLS line is read, so AUTH in clear is a lapse.
        expectAfterEveryPickup(
            .smtp, clientLeadIn: "EHLO client.example.org\r\n", serverLeadIn: "250-mail.example.com\r\n",
            [
                .s("250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"), .c("AUTH PLAIN AHRlc3QAMTIzNA==\r\n"),
                .s("235 2.7.0 Authentication successful\r\n"),
            ],
            [.startTLSNotUsed(command: "AUTH"), loginCredential(.saslPlain, "test", "1234", .accepted)])
    }

    @Test func pop3PickupInsideTheCapabilityListIsNoOffer() {
        // CAPA's listing (RFC 2449 §5) seen from its middle: its STLS line is
        // not taken for an offer (the list's start is not there to say it is one).
        expectAfterEveryPickup(
            .pop3, clientLeadIn: "CAPA\r\n", serverLeadIn: "+OK Capability list follows\r\n",
            [
                .s("TOP\r\nSTLS\r\nUSER\r\n.\r\n"), .c("USER mrose\r\n"), .s("+OK\r\n"), .c("PASS secret\r\n"),
                .s("+OK maildrop has 2 messages\r\n"),
            ],
            [loginCredential(.pop3, "mrose", "secret", .accepted)])
    }

    @Test func ftpPickupInsideFEATIsNoOffer() {
        // RFC 2389 §3.2 FEAT reply picked up mid-list; seen whole, the same
        // session says AUTH TLS was offered and USER went out in clear.
        let login: [Step] = [
            .c("USER alice\r\n"), .s("331 Password required\r\n"), .c("PASS open sesame\r\n"), .s("230 Logged in\r\n"),
        ]
        expectAfterEveryPickup(
            .ftp, clientLeadIn: "FEAT\r\n", serverLeadIn: "211-Features:\r\n",
            [.s(" AUTH TLS\r\n PBSZ\r\n211 End\r\n")] + login,
            [loginCredential(.ftp, "alice", "open sesame", .accepted)])
        let whole = PipelineRun.sightings(
            { CleartextAnalyzer.make(for: .ftp, depth: 1 << 20)! },
            [.s("220 ready\r\n"), .c("FEAT\r\n"), .s("211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n")] + login)
        #expect(whole == [.startTLSNotUsed(command: "USER"), loginCredential(.ftp, "alice", "open sesame", .accepted)])
    }

    // MARK: what must not become a credential

    @Test func smtpPickupInsideDataReportsNoMailLine() {
        // Picked up inside a mail (RFC 5321 §4.1.1.4): its lines are read as
        // commands, since nothing tells them apart, but the server answers
        // none of them — so the AUTH lines in the text are no logins. After
        // the mail the session is followed again: RSET's reply shows the client
        // sends commands, and the AUTH after it counts.
        let mail =
            "ne of the mail\r\nTo log in, type:\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\nor\r\nAUTH LOGIN\r\nYm9i\r\nc2VjcmV0\r\n"
            + "PASS hunter2\r\nAUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n.\r\n"
        let afterwards: [Step] = [
            .s("250 2.0.0 Ok: queued as 4BDK51x\r\n"), .c("RSET\r\n"), .s("250 2.0.0 Ok\r\n"),
            .c("AUTH PLAIN AHRlc3QAMTIzNA==\r\n"), .s("235 2.7.0 Authentication successful\r\n"),
        ]
        let expected = [loginCredential(.saslPlain, "test", "1234", .accepted)]
        expectAfterEveryPickup(.smtp, clientLeadIn: "This is the first li", serverLeadIn: "", [.c(mail)] + afterwards, expected)
        // Cut short: the mail's last line is a credential-looking one and nothing follows.
        #expect(pickupSightings(.smtp, [.c("xt\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\n")]).isEmpty)
        // Or the end line was lost as well: the mail's reply is no AUTH reply.
        for reply in ["250 2.0.0 Ok: queued", "554 5.7.1 Message rejected"] {
            #expect(pickupSightings(.smtp, [.c("xt\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\n"), .s("x\r\n\(reply)\r\n")]).isEmpty)
        }
    }

    @Test func imapPickupInsideAnAppendLiteralReportsNoMailLine() {
        // APPEND's literal (RFC 3501 §6.3.11) picked up mid-way: a LOGIN line
        // in the message is answered by no tagged reply of its own.
        let got = pickupSightings(
            .imap,
            [
                .s(" Ready for literal data\r\n"), .c("essage text\r\na9 LOGIN mallory hunter2\r\nmore text\r\n"),
                .c("a9 LOGIN mallory hunter3\r\n\r\n"), .s("a5 OK APPEND completed\r\n"), .c("a6 LOGOUT\r\n"),
                .s("* BYE logging out\r\na6 OK LOGOUT completed\r\n"),
            ])
        #expect(got.isEmpty)
        #expect(pickupSightings(.imap, [.c("xt\r\na9 LOGIN mallory hunter2\r\n")]).isEmpty)
    }

    @Test func gapInsideDataKeepsPassingTheMailOver() {
        // The client's stream loses bytes inside DATA: the rest of the mail is
        // still skipped to its end line (not read for commands, not decoded).
        let recorder = ContentRecorder()
        var context = InspectionContext()
        context.content = .recording(recorder)
        var run = PipelineRun(.smtp, context: context)
        run.play([
            .s("220 mail.example.com ESMTP\r\n"), .c("EHLO c\r\n"), .s("250 mail.example.com\r\n"),
            .c("MAIL FROM:<a@example.com>\r\n"), .s("250 Ok\r\n"), .c("RCPT TO:<b@example.com>\r\n"), .s("250 Ok\r\n"),
            .c("DATA\r\n"), .s("354 End data with <CR><LF>.<CR><LF>\r\n"), .c("Subject: hi\r\n\r\nfirst part of the te"),
        ])
        run.gap(.toServer, length: 100)
        run.play([
            .c("ost text\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\nmore\r\n.\r\n"), .s("250 Ok: queued\r\n"), .c("QUIT\r\n"),
            .s("221 Bye\r\n"),
        ])
        #expect(run.done, "QUIT answered")
        run.endBoth()
        #expect(run.sightings.isEmpty)
        #expect(recorder.streams.map(\.kind) == [.mimeHeaders, .smtpMessagePart])
        #expect(recorder.streams.last?.complete == false, "the gap cut the mail")
        #expect(recorder.violations.isEmpty)
        #expect(run.context.bufferedBytes == 0)
    }

    // MARK: gaps

    @Test func clientGapThenLogin() {
        // Before, a gap stopped the direction: no credential after it.
        var run = PipelineRun(.pop3)
        run.play([.s("+OK POP3 ready\r\n"), .c("CAPA\r\n"), .s("+OK\r\nUSER\r\n.\r\n"), .c("USER mro")])
        run.gap(.toServer, length: 30)
        run.play([
            .c("ther line\r\n"), .s("-ERR unknown command\r\n"), .c("USER mrose\r\n"), .s("+OK\r\n"), .c("PASS secret\r\n"),
            .s("+OK logged in\r\n"),
        ])
        run.endBoth()
        #expect(run.sightings == [loginCredential(.pop3, "mrose", "secret", .accepted)])
    }

    @Test func serverGapKeepsTheCredentialWaiting() {
        // The reply to PASS comes after the lost bytes (and the line they cut).
        var run = PipelineRun(.pop3)
        run.play([.s("+OK\r\n"), .c("USER a\r\nPASS b\r\n"), .s("+OK\r\n")])
        #expect(run.gap(.toClient, length: 100) == .needMore)
        #expect(run.sightings.isEmpty, "still waiting for PASS's reply")
        run.play([.s("lost line\r\n-ERR invalid password\r\n")])
        #expect(run.sightings == [loginCredential(.pop3, "a", "b", .rejected)])
        #expect(run.gap(.toServer, length: 10) == .needMore, "a gap in each direction no longer ends the reading")
        run.endBoth()
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func serverGapLosingTheReplyGivesUnknown() {
        // The reply to PASS was in the lost bytes: the next reply answers the next command.
        var run = PipelineRun(.ftp)
        run.play([.s("220 ready\r\n"), .c("USER a\r\n"), .s("331 ok\r\n"), .c("PASS b\r\n")])
        run.gap(.toClient, length: 40)
        run.play([.s("ged in\r\n"), .c("SYST\r\n"), .s("215 UNIX Type: L8\r\n")])
        #expect(run.sightings == [loginCredential(.ftp, "a", "b", .unknown)])
        run.endBoth()
    }

    @Test func gapInsideAnIMAPLiteralLoginDropsIt() {
        // A LOGIN literal cut by lost bytes is not a password.
        var run = PipelineRun(.imap)
        run.play([.s("* OK ready\r\n"), .c("a1 LOGIN alice {11}\r\n"), .s("+ go on\r\n"), .c("open ")])
        run.gap(.toServer, length: 6)
        run.play([.s("a1 OK LOGIN completed\r\n"), .c("\r\na2 LOGOUT\r\n"), .s("a2 OK bye\r\n")])
        run.endBoth()
        #expect(run.sightings.isEmpty)
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func sipGapInsideAMessageResumesAtTheNextOne() {
        var run = PipelineRun(.sip)
        let first = SIPBytes.register(cseq: 1, response: "aaaa")
        run.send(Array(first[..<60]), .toServer)
        run.gap(.toServer, length: 20)
        run.send(Array(first[80...]) + SIPBytes.register(cseq: 2, response: "bbbb"), .toServer)
        run.play([.server(SIPBytes.response(401, "Unauthorized", cseq: 1)), .server(SIPBytes.response(200, "OK", cseq: 2))])
        run.endBoth()
        #expect(run.sightings == [credential(.sipDigest, ascii("bob"), ascii("bbbb"), .accepted)])
    }

    @Test func ircGapEndsTheSASLMessageInProgress() {
        // IRCv3 SASL PLAIN in 400-byte pieces: a piece lost, the message is not decoded.
        var run = PipelineRun(.irc)
        run.play([.c("CAP REQ :sasl\r\nAUTHENTICATE PLAIN\r\n"), .s(":srv AUTHENTICATE +\r\n")])
        run.send(ascii("AUTHENTICATE " + String(repeating: "A", count: 400) + "\r\n"), .toServer)
        run.gap(.toServer, length: 50)
        run.play([.c("xx\r\nAUTHENTICATE AHRlc3QAMTIzNA==\r\n"), .s(":srv 903 nick :SASL authentication successful\r\n")])
        run.endBoth()
        #expect(run.sightings.isEmpty)
    }

    // MARK: Telnet

    @Test func telnetPickedUpBeforeTheLoginPrompt() {
        // A session first seen inside the banner (RFC 854 NVT text), the client's first keystroke past offset 0.
        let login = [.s("host login: ")] + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")]
            + TelnetSamples.typed("demo-password\r\n", echo: false) + TelnetSamples.welcome
        let banner = ascii("\r\nDebian GNU/Linux 12\r\n")
        for k in 0..<banner.count {
            let got = pickupSightings(.telnet, [.server(Array(banner[k...]))] + login)
            #expect(got == [telnetCredential("demo", "demo-password", .accepted)], "picked up at byte \(k)")
        }
    }

    @Test func telnetPickedUpWhileTheUserNameIsTyped() {
        // Only the end of the user name is seen: it is not taken for one; the password is.
        let got = pickupSightings(
            .telnet,
            TelnetSamples.typed("mo\r\n", echo: true) + [.s("Password: ")] + TelnetSamples.typed("pw\r\n", echo: false)
                + TelnetSamples.welcome)
        #expect(got == [telnetCredential(nil, "pw", .accepted)])
    }

    @Test func telnetClientGapInsideThePasswordSkipsThatLine() {
        var run = PipelineRun(.telnet)
        run.play(TelnetSamples.opening + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")])
        run.play(TelnetSamples.typed("wr", echo: false))
        run.gap(.toServer, length: 3)
        run.play(
            TelnetSamples.typed("ng\r\n", echo: false) + [.s("\r\nLogin incorrect\r\nhost login: ")]
                + TelnetSamples.typed("demo\r\n", echo: true) + [.s("Password: ")]
                + TelnetSamples.typed("demo-password\r\n", echo: false) + TelnetSamples.welcome)
        run.endBoth()
        #expect(run.sightings == [telnetCredential("demo", "demo-password", .accepted)])
        #expect(run.context.bufferedBytes == 0)
    }

    // MARK: readers that do not resume

    @Test func redisPickedUpInsideAValueReadsNothing() {
        // RESP bulk strings hold any bytes (a stored value may read "AUTH ..."),
        // and AUTH comes when a connection opens: a Redis direction first seen
        // past its start is not read.
        let got = pickupSightings(
            .redis,
            [.c("lue\r\nAUTH hunter2\r\n*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"), .s("+OK\r\n+OK\r\n")])
        #expect(got.isEmpty)
    }

    @Test func kerberosOverTCPIsFramedByTheTransport() {
        // A TCP flow whose first bytes (picked up inside a reply) look like a
        // datagram's APPLICATION tag: before, that made the reader take every
        // chunk for a datagram and miss the client's next record (RFC 4120 §7.2.2).
        var run = PipelineRun(.kerberos, transport: .tcp)
        run.send([0x6b, 0x82, 0x01, 0x00, 0x30, 0x82], .toClient)
        run.send(KerberosBytes.tcp(KerberosBytes.asReq(preauthEtype: 23)), .toServer)
        run.endBoth()
        #expect(run.sightings == [
            kerberosCredential(.kerberosRC4PreAuth, "alice@EXAMPLE.COM", KerberosBytes.timestampCipher, .unknown)
        ])
        var udp = PipelineRun(.kerberos, transport: .udp)
        udp.play([.client(KerberosBytes.asReq(preauthEtype: 23)), .server(KerberosBytes.error(24))])
        udp.endBoth()
        #expect(udp.sightings == [
            kerberosCredential(.kerberosRC4PreAuth, "alice@EXAMPLE.COM", KerberosBytes.timestampCipher, .rejected)
        ])
    }
}
