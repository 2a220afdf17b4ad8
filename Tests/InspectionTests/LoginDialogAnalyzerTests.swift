import Testing
@testable import Flows
@testable import Inspection

// LoginDialogAnalyzer on byte-exact login dialogues (RFC 959, 1939, 2195,
// 3207, 3501, 4616, 4954, 5034 and their examples), fed whole, split at
// every byte of the client stream, and byte by byte.

/// Runs one dialogue through a fresh analyzer.
struct LoginRun {
    let analyzer: LoginDialogAnalyzer
    var context: InspectionContext
    var offsets: (toServer: UInt64, toClient: UInt64) = (0, 0)
    var verdicts: [AnalyzerVerdict] = []

    init(_ dialect: LoginDialogAnalyzer.Dialect, maxDepth: UInt64 = 1 << 20, context: InspectionContext = InspectionContext()) {
        analyzer = LoginDialogAnalyzer(dialect: dialect, maxDepth: maxDepth)
        self.context = context
    }

    mutating func send(_ bytes: [UInt8], _ d: Direction) {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        verdicts.append(bytes.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: offset, context: &context) })
        if d == .toServer { offsets.toServer += UInt64(bytes.count) } else { offsets.toClient += UInt64(bytes.count) }
    }

    /// Feeds the steps in order. `clientSplit`: the client stream (all client
    /// steps concatenated) is cut at this byte; `byteByByte`: every step goes
    /// one byte at a time.
    mutating func play(_ steps: [Step], clientSplit: Int? = nil, byteByByte: Bool = false) {
        var clientPosition = 0
        for step in steps {
            switch step {
            case .server(let bytes):
                if byteByByte { for b in bytes { send([b], .toClient) } } else { send(bytes, .toClient) }
            case .client(let bytes):
                if byteByByte {
                    for b in bytes { send([b], .toServer) }
                } else if let k = clientSplit, k > clientPosition, k < clientPosition + bytes.count {
                    send(Array(bytes[..<(k - clientPosition)]), .toServer)
                    send(Array(bytes[(k - clientPosition)...]), .toServer)
                } else {
                    send(bytes, .toServer)
                }
                clientPosition += bytes.count
            }
        }
    }

    mutating func endBoth() {
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
    }

    var sightings: [Sighting] { analyzer.sightings }
}

/// The sightings of a dialogue played whole, then both directions ended.
func loginSightings(
    _ dialect: LoginDialogAnalyzer.Dialect, _ steps: [Step], clientSplit: Int? = nil, byteByByte: Bool = false
) -> [Sighting] {
    var run = LoginRun(dialect)
    run.play(steps, clientSplit: clientSplit, byteByByte: byteByByte)
    run.endBoth()
    #expect(run.context.bufferedBytes == 0, "every held byte goes back to the budget")
    return run.sightings
}

func loginCredential(
    _ mechanism: CredentialMechanism, _ username: String?, _ secret: String, _ outcome: LoginOutcome
) -> Sighting {
    .credential(
        CredentialSighting(mechanism: mechanism, username: username.map(ascii), secret: ascii(secret), outcome: outcome))
}

func clientStreamLength(_ steps: [Step]) -> Int {
    steps.reduce(0) { total, step in
        if case .client(let bytes) = step { return total + bytes.count }
        return total
    }
}

enum LoginSamples {
    // FTP (RFC 959 §5.4 sequence USER → 331 → PASS → 230).
    static let ftpAccepted: [Step] = [
        .s("220 ProFTPD Server (Debian) [10.0.0.1]\r\n"),
        .c("USER alice\r\n"),
        .s("331 Password required for alice\r\n"),
        .c("PASS open sesame\r\n"),
        .s("230 User alice logged in\r\n"),
        .c("QUIT\r\n"),
        .s("221 Goodbye.\r\n"),
    ]

    // POP3 (RFC 1939 §7 and §4's greeting).
    static let pop3UserPass: [Step] = [
        .s("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
        .c("CAPA\r\n"),
        .s("+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\n.\r\n"),
        .c("USER mrose\r\n"),
        .s("+OK mrose is a real hoopy frood\r\n"),
        .c("PASS secret\r\n"),
        .s("+OK mrose's maildrop has 2 messages (320 octets)\r\n"),
    ]

    // IMAP LOGIN with a literal user name and password (RFC 3501 §4.3, §7.5).
    static let imapLiteral: [Step] = [
        .s("* OK IMAP4rev1 Service Ready\r\n"),
        .c("a001 LOGIN {5}\r\n"),
        .s("+ Ready for additional command text\r\n"),
        .c("alice {7}\r\n"),
        .s("+ Ready for additional command text\r\n"),
        .c("se\"cr t\r\n"),
        .s("a001 OK LOGIN completed\r\n"),
    ]

    // SMTP AUTH LOGIN (RFC 4954 §4 continuations; the prompts are base64 "Username:", "Password:").
    static let smtpLogin: [Step] = [
        .s("220 mail.example.com ESMTP Postfix\r\n"),
        .c("EHLO client.example.org\r\n"),
        .s("250-mail.example.com\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN CRAM-MD5\r\n250 8BITMIME\r\n"),
        .c("AUTH LOGIN\r\n"),
        .s("334 VXNlcm5hbWU6\r\n"),
        .c("YWxpY2U=\r\n"),
        .s("334 UGFzc3dvcmQ6\r\n"),
        .c("d29uZGVybGFuZA==\r\n"),
        .s("235 2.7.0 Authentication successful\r\n"),
        .c("QUIT\r\n"),
        .s("221 2.0.0 Bye\r\n"),
    ]
}

@Suite("LoginDialog")
struct LoginDialogAnalyzerTests {
    // MARK: FTP

    @Test func ftpLoginAcceptedAfter230() {
        var run = LoginRun(.ftp)
        run.play(LoginSamples.ftpAccepted)
        #expect(run.sightings == [loginCredential(.ftp, "alice", "open sesame", .accepted)])
        // The 230 (step 5) accepts the login; the session is read on for the
        // data connections it announces, until the reply to QUIT.
        #expect(run.verdicts.prefix(6).allSatisfy { $0 == .needMore })
        #expect(run.verdicts.last == .done)
    }

    @Test func ftpLoginRejectedWith530() {
        let sightings = loginSightings(.ftp, [
            .s("220 ready\r\n"), .c("USER bob\r\n"), .s("331 Password required\r\n"), .c("PASS wrong\r\n"),
            .s("530 Login incorrect.\r\n"),
        ])
        #expect(sightings == [loginCredential(.ftp, "bob", "wrong", .rejected)])
    }

    @Test func ftpAnonymousAndPassWithoutUserStillCount() {
        let anonymous = loginSightings(.ftp, [
            .s("220 ready\r\n"), .c("USER anonymous\r\n"), .s("331 Guest login ok, send your email as password\r\n"),
            .c("PASS guest@example.org\r\n"), .s("230 Guest login ok\r\n"),
        ])
        #expect(anonymous == [loginCredential(.ftp, "anonymous", "guest@example.org", .accepted)])
        let bare = loginSightings(.ftp, [.s("220 ready\r\n"), .c("PASS hunter2\r\n"), .s("503 Login with USER first.\r\n")])
        #expect(bare == [loginCredential(.ftp, nil, "hunter2", .rejected)])
    }

    @Test func ftpPreliminaryAndMultiLineRepliesAreCountedOnce() {
        // A multi-line greeting (RFC 959 §4.2) and a 1xx before the final reply must not shift the count.
        let sightings = loginSightings(.ftp, [
            .s("220-Welcome\r\n  230 this is not a reply\r\n220 ready\r\n"), .c("USER carol\r\n"),
            .s("331 ok\r\n"), .c("PASS pw\r\n"), .s("120 wait a moment\r\n"), .s("230 in\r\n"),
        ])
        #expect(sightings == [loginCredential(.ftp, "carol", "pw", .accepted)])
    }

    @Test func serverReplyMentioningPassIsNotACredential() {
        let sightings = loginSightings(.ftp, [
            .s("220 ready\r\n"), .c("USER dave\r\n"), .s("331 Send PASS hunter2 now\r\n"),
            .c("QUIT\r\n"), .s("221 bye\r\n"),
        ])
        #expect(sightings.isEmpty)
    }

    // MARK: POP3

    @Test func pop3UserPassAccepted() {
        #expect(loginSightings(.pop3, LoginSamples.pop3UserPass) == [loginCredential(.pop3, "mrose", "secret", .accepted)])
    }

    @Test func pop3PipelinedUserPassTakesTheSecondReply() {
        // RFC 2449 PIPELINING: both commands in one segment; USER is accepted, PASS refused.
        let sightings = loginSightings(.pop3, [
            .s("+OK ready\r\n"), .c("USER mrose\r\nPASS tanstaaf\r\n"), .s("+OK\r\n-ERR [AUTH] invalid password\r\n"),
        ])
        #expect(sightings == [loginCredential(.pop3, "mrose", "tanstaaf", .rejected)])
    }

    @Test func pop3APOP() {
        // RFC 1939 §7 example.
        let sightings = loginSightings(.pop3, [
            .s("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
            .c("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
            .s("+OK maildrop has 1 message (369 octets)\r\n"),
        ])
        #expect(sightings == [loginCredential(.apop, "mrose", "c4c9334bac560ecc979e58001b3e22fb", .accepted)])
    }

    @Test func pop3RetrievedMailIsNotReadAsReplies() {
        // A mail body holding "-ERR" must not answer the PASS that follows it
        // (a failed login, so the session is still read)... nor anything else.
        let sightings = loginSightings(.pop3, [
            .s("+OK ready\r\n"), .c("USER a\r\n"), .s("+OK\r\n"), .c("PASS b\r\n"), .s("-ERR no\r\n"),
            .c("LIST\r\n"), .s("+OK 1 message\r\n1 40\r\n-ERR not a reply\r\nPASS x\r\n.\r\n"),
            .c("USER c\r\nPASS d\r\n"), .s("+OK\r\n+OK logged in\r\n"),
        ])
        #expect(sightings == [loginCredential(.pop3, "a", "b", .rejected), loginCredential(.pop3, "c", "d", .accepted)])
    }

    @Test func anAcceptedLoginEndsTheReading() {
        // After +OK to PASS, the mailbox download is not read: a line in it
        // that looks like a login is never seen.
        var run = LoginRun(.pop3)
        run.play([
            .s("+OK ready\r\n"), .c("USER a\r\n"), .s("+OK\r\n"), .c("PASS b\r\n"), .s("+OK logged in\r\n"),
            .c("RETR 1\r\n"), .s("+OK 40 octets\r\nPASS x\r\n.\r\n"), .c("USER c\r\nPASS d\r\n"),
        ])
        #expect(run.sightings == [loginCredential(.pop3, "a", "b", .accepted)])
        #expect(run.verdicts.dropFirst(4).allSatisfy { $0 == .done })
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func pop3AuthPlainWithContinuation() {
        // RFC 5034 §6 shape: AUTH PLAIN, `+ `, the response.
        let sightings = loginSightings(.pop3, [
            .s("+OK ready\r\n"), .c("AUTH PLAIN\r\n"), .s("+ \r\n"), .c("YWRtaW4AYWxpY2UAb3BlbiBzZXNhbWU=\r\n"),
            .s("+OK Maildrop locked and ready\r\n"),
        ])
        #expect(sightings == [loginCredential(.saslPlain, "alice", "open sesame", .accepted)])
    }

    // MARK: IMAP

    @Test func imapLoginQuotedWithEscapes() {
        let sightings = loginSightings(.imap, [
            .s("* OK IMAP4rev1 Service Ready\r\n"),
            .c("a001 LOGIN \"fred \\\"the\\\" smith\" \"pa\\\\ss word\"\r\n"),
            .s("* CAPABILITY IMAP4rev1 IDLE\r\n"),
            .s("a001 OK LOGIN completed\r\n"),
        ])
        #expect(sightings == [loginCredential(.imapLogin, "fred \"the\" smith", "pa\\ss word", .accepted)])
    }

    @Test func imapLoginAtomsRejectedByTag() {
        let sightings = loginSightings(.imap, [
            .s("* OK IMAP4rev1 Service Ready\r\n"),
            .c("a1 NOOP\r\n"),
            .c("a2 LOGIN SMITH SESAME\r\n"),
            .s("a1 OK NOOP completed\r\n"),  // another command's verdict: not this login's
            .s("* NO untagged warnings answer nothing\r\n"),
            .s("a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
        ])
        #expect(sightings == [loginCredential(.imapLogin, "SMITH", "SESAME", .rejected)])
    }

    @Test func imapLoginWithLiterals() {
        #expect(loginSightings(.imap, LoginSamples.imapLiteral) == [loginCredential(.imapLogin, "alice", "se\"cr t", .accepted)])
    }

    @Test func imapAppendLiteralIsSkipped() {
        // The APPEND literal holds a line that looks like a LOGIN; it is message text.
        let message = "a9 LOGIN mallory evil\r\n"
        let sightings = loginSightings(.imap, [
            .s("* OK ready\r\n"), .c("a1 APPEND INBOX {\(message.utf8.count)+}\r\n"), .c(message), .c("\r\n"),
            .s("a1 OK APPEND completed\r\n"),
        ])
        #expect(sightings.isEmpty)
    }

    @Test func imapAuthenticatePlainWithContinuation() {
        let sightings = loginSightings(.imap, [
            .s("* OK IMAP4rev1 Service Ready\r\n"),
            .c("a1 AUTHENTICATE PLAIN\r\n"),
            .s("+ \r\n"),
            .c("AGFsaWNlAHdvbmRlcmxhbmQ=\r\n"),
            .s("a1 OK AUTHENTICATE completed\r\n"),
        ])
        #expect(sightings == [loginCredential(.saslPlain, "alice", "wonderland", .accepted)])
    }

    // MARK: SMTP

    @Test func smtpAuthPlainInitialResponse() {
        let sightings = loginSightings(.smtp, [
            .s("220 mail.example.com ESMTP\r\n"), .c("EHLO x\r\n"), .s("250-mail.example.com\r\n250 AUTH PLAIN\r\n"),
            .c("AUTH PLAIN YWRtaW4AYWxpY2UAb3BlbiBzZXNhbWU=\r\n"), .s("235 2.7.0 Authentication successful\r\n"),
        ])
        #expect(sightings == [loginCredential(.saslPlain, "alice", "open sesame", .accepted)])
    }

    @Test func smtpAuthLoginDance() {
        var run = LoginRun(.smtp)
        run.play(LoginSamples.smtpLogin)
        #expect(run.sightings == [loginCredential(.saslLogin, "alice", "wonderland", .accepted)])
        #expect(run.verdicts.last == .done)
    }

    @Test func smtpCramMD5KeepsTheChallengeOut() {
        // RFC 2195 §2 example.
        let sightings = loginSightings(.smtp, [
            .s("220 mail ESMTP\r\n"), .c("EHLO x\r\n"), .s("250 AUTH CRAM-MD5\r\n"), .c("AUTH CRAM-MD5\r\n"),
            .s("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"),
            .c("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"), .s("235 Authentication successful\r\n"),
        ])
        #expect(sightings == [loginCredential(.cramMD5, "tim", "b913a602c7eda7a495b4e6e7334d3890", .accepted)])
    }

    @Test func smtpIMAPAndPOP3NTLMReportTheAuthenticateMessage() {
        // MS-SMTPNTLM §3.1.5: AUTH NTLM with the NEGOTIATE as initial response, the
        // server's CHALLENGE in a 334, then the AUTHENTICATE (user and NT response).
        let challenge = "TlRMTVNTUAACAAAAAAAAACgAAAABggAAU3J2Tm9uY2UAAAAAAAAAAA=="
        let smtp = loginSightings(.smtp, [
            .s("220 mail ESMTP\r\n"), .c("EHLO x\r\n"), .s("250 AUTH NTLM\r\n"),
            .c("AUTH NTLM \(base64(NTLMSample.negotiate))\r\n"), .s("334 \(challenge)\r\n"),
            .c("\(base64(NTLMSample.authenticate))\r\n"), .s("235 2.7.0 Authentication successful\r\n"),
        ])
        let expected = CredentialSighting(mechanism: .ntlm, username: ascii("jsmith"), secret: NTLMSample.ntResponse, outcome: .accepted)
        #expect(smtp == [.credential(expected)])
        // IMAP: AUTHENTICATE NTLM, NEGOTIATE as a continuation, a tagged NO.
        let imap = loginSightings(.imap, [
            .s("* OK IMAP4rev1 ready\r\n"), .c("a1 AUTHENTICATE NTLM\r\n"), .s("+ \r\n"),
            .c("\(base64(NTLMSample.negotiate))\r\n"), .s("+ \(challenge)\r\n"),
            .c("\(base64(NTLMSample.authenticate))\r\n"), .s("a1 NO AUTHENTICATE failed\r\n"),
        ])
        var rejected = expected
        rejected.outcome = .rejected
        #expect(imap == [.credential(rejected)])
        // POP3: AUTH NTLM, -ERR.
        let pop3 = loginSightings(.pop3, [
            .s("+OK POP3 ready\r\n"), .c("AUTH NTLM\r\n"), .s("+ \r\n"),
            .c("\(base64(NTLMSample.negotiate))\r\n"), .s("+ \(challenge)\r\n"),
            .c("\(base64(NTLMSample.authenticate))\r\n"), .s("-ERR authentication failed\r\n"),
        ])
        #expect(pop3 == [.credential(rejected)])
        // A NEGOTIATE alone (the client gave up) is no credential.
        let negotiateOnly = loginSightings(.smtp, [
            .s("220 mail ESMTP\r\n"), .c("AUTH NTLM \(base64(NTLMSample.negotiate))\r\n"), .s("334 \(challenge)\r\n"),
            .c("*\r\n"), .s("501 5.7.0 Authentication aborted\r\n"),
        ])
        #expect(negotiateOnly.isEmpty)
    }

    @Test func smtpAuthRejectedWith535() {
        let sightings = loginSightings(.smtp, [
            .s("220 mail ESMTP\r\n"), .c("EHLO x\r\n"), .s("250 AUTH PLAIN\r\n"), .c("AUTH PLAIN\r\n"), .s("334 \r\n"),
            .c("AGJvYgBodW50ZXIy\r\n"), .s("535 5.7.8 Authentication credentials invalid\r\n"),
        ])
        #expect(sightings == [loginCredential(.saslPlain, "bob", "hunter2", .rejected)])
    }

    @Test func smtpCancelledExchangeIsNotACredential() {
        let sightings = loginSightings(.smtp, [
            .s("220 mail ESMTP\r\n"), .c("EHLO x\r\n"), .s("250 AUTH LOGIN\r\n"), .c("AUTH LOGIN\r\n"),
            .s("334 VXNlcm5hbWU6\r\n"), .c("YWxpY2U=\r\n"), .s("334 UGFzc3dvcmQ6\r\n"), .c("*\r\n"),
            .s("501 5.7.0 Authentication aborted\r\n"),
        ])
        #expect(sightings.isEmpty)
    }

    @Test func smtpMailBodyLookAlikesDoNotFire() {
        let sightings = loginSightings(.smtp, [
            .s("220 mail ESMTP\r\n"), .c("EHLO x\r\n"), .s("250-mail\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"),
        ] + [
            // Offered but not used: MAIL is the first thing that mattered.
            .c("MAIL FROM:<a@example.org>\r\n"), .s("250 OK\r\n"), .c("RCPT TO:<b@example.org>\r\n"), .s("250 OK\r\n"),
            .c("DATA\r\n"), .s("354 End data with <CR><LF>.<CR><LF>\r\n"),
            .c("Subject: how to\r\n\r\nAUTH PLAIN AGJvYgBodW50ZXIy\r\nPASS x\r\n..\r\nUSER y\r\n.\r\n"),
            .s("250 OK queued\r\n"),
        ])
        #expect(sightings == [.startTLSNotUsed(command: "MAIL")])
    }

    @Test func smtpBDATChunkIsSkipped() {
        let body = "AUTH PLAIN AGJvYgBodW50ZXIy\r\n"
        let sightings = loginSightings(.smtp, [
            .s("220 mail ESMTP\r\n"), .c("EHLO x\r\n"), .s("250 CHUNKING\r\n"), .c("MAIL FROM:<a@b>\r\n"),
            .s("250 OK\r\n"), .c("RCPT TO:<c@d>\r\n"), .s("250 OK\r\n"), .c("BDAT \(body.utf8.count) LAST\r\n" + body),
            .s("250 OK\r\n"),
        ])
        #expect(sightings.isEmpty)
    }

    // MARK: STARTTLS

    @Test func smtpStartTLSOfferedNotUsed() {
        let sightings = loginSightings(.smtp, [
            .s("220 mail ESMTP\r\n"), .c("EHLO x\r\n"),
            .s("250-mail.example.com\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"),
            .c("AUTH PLAIN AGJvYgBodW50ZXIy\r\n"), .s("235 ok\r\n"),
        ])
        #expect(sightings == [.startTLSNotUsed(command: "AUTH"), loginCredential(.saslPlain, "bob", "hunter2", .accepted)])
    }

    @Test func smtpStartTLSOfferedAndUsed() {
        var run = LoginRun(.smtp)
        run.play(StartTLSSamples.smtp)
        #expect(run.sightings.isEmpty)
        #expect(run.verdicts.last == .done, "after the upgrade the rest is TLS")
    }

    @Test func smtpStartTLSRefused() {
        let sightings = loginSightings(.smtp, [
            .s("220 mail ESMTP\r\n"), .c("EHLO x\r\n"), .s("250-mail\r\n250 STARTTLS\r\n"), .c("STARTTLS\r\n"),
            .s("454 4.7.0 TLS not available due to temporary reason\r\n"),
            .c("AUTH PLAIN AGJvYgBodW50ZXIy\r\n"), .s("235 ok\r\n"),
        ])
        // Refused, then a login in clear: the failure, not "not used" (the client did ask).
        #expect(sightings == [.startTLSFailed, loginCredential(.saslPlain, "bob", "hunter2", .accepted)])
    }

    @Test func pop3CapaSTLSNotUsed() {
        let sightings = loginSightings(.pop3, [
            .s("+OK ready\r\n"), .c("CAPA\r\n"), .s("+OK\r\nUSER\r\nSTLS\r\n.\r\n"), .c("USER a\r\n"), .s("+OK\r\n"),
            .c("PASS b\r\n"), .s("+OK\r\n"),
        ])
        #expect(sightings == [.startTLSNotUsed(command: "USER"), loginCredential(.pop3, "a", "b", .accepted)])
    }

    @Test func imapGreetingCapabilityNotUsed() {
        let sightings = loginSightings(.imap, [
            .s("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n"), .c("a1 LOGIN joe pw\r\n"), .s("a1 OK\r\n"),
        ])
        #expect(sightings == [.startTLSNotUsed(command: "LOGIN"), loginCredential(.imapLogin, "joe", "pw", .accepted)])
    }

    @Test func imapGreetingOfferHoldsWhenTheClientIsReplayedFirst() {
        // FlowInspection replays identification's held client bytes before the server's.
        let sightings = loginSightings(.imap, [
            .c("a1 LOGIN joe pw\r\n"), .s("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\na1 OK\r\n"),
        ])
        #expect(sightings == [.startTLSNotUsed(command: "LOGIN"), loginCredential(.imapLogin, "joe", "pw", .accepted)])
    }

    @Test func smtpCountingHoldsWhenTheClientIsReplayedFirst() {
        let sightings = loginSightings(.smtp, [
            .c("EHLO x\r\nAUTH PLAIN AGJvYgBodW50ZXIy\r\n"),
            .s("220 mail ESMTP\r\n250-mail\r\n250 STARTTLS\r\n535 5.7.8 no\r\n"),
        ])
        #expect(sightings == [.startTLSNotUsed(command: "AUTH"), loginCredential(.saslPlain, "bob", "hunter2", .rejected)])
    }

    @Test func imapStartTLSRefused() {
        let sightings = loginSightings(.imap, [
            .s("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"), .c("a1 STARTTLS\r\n"), .s("a1 BAD not now\r\n"),
        ])
        #expect(sightings == [.startTLSFailed])
    }

    @Test func ftpFeatAuthTLSNotUsed() {
        let sightings = loginSightings(.ftp, [
            .s("220 ready\r\n"), .c("FEAT\r\n"), .s("211-Features:\r\n MDTM\r\n AUTH TLS\r\n PASV\r\n211 End\r\n"),
            .c("USER u\r\n"), .s("331 ok\r\n"), .c("PASS p\r\n"), .s("230 ok\r\n"),
        ])
        #expect(sightings == [.startTLSNotUsed(command: "USER"), loginCredential(.ftp, "u", "p", .accepted)])
    }

    @Test func ftpAuthTLSRefused() {
        let sightings = loginSightings(.ftp, [.s("220 ready\r\n"), .c("AUTH TLS\r\n"), .s("504 Unknown AUTH type\r\n")])
        #expect(sightings == [.startTLSFailed])
    }

    // MARK: chunking

    struct SplitSample: Sendable, CustomStringConvertible {
        var description: String
        var dialect: LoginDialogAnalyzer.Dialect
        var steps: [Step]
    }

    static let splitSamples = [
        SplitSample(description: "smtp-login", dialect: .smtp, steps: LoginSamples.smtpLogin),
        SplitSample(description: "imap-literal", dialect: .imap, steps: LoginSamples.imapLiteral),
        SplitSample(description: "ftp", dialect: .ftp, steps: LoginSamples.ftpAccepted),
        SplitSample(description: "pop3", dialect: .pop3, steps: LoginSamples.pop3UserPass),
    ]

    @Test(arguments: splitSamples)
    func everySplitOfTheClientStreamGivesTheSameSightings(_ sample: SplitSample) {
        let whole = loginSightings(sample.dialect, sample.steps)
        #expect(!whole.isEmpty, "\(sample): the dialogue has a credential")
        for k in 1..<clientStreamLength(sample.steps) {
            #expect(loginSightings(sample.dialect, sample.steps, clientSplit: k) == whole, "\(sample): split at \(k)")
        }
        #expect(loginSightings(sample.dialect, sample.steps, byteByByte: true) == whole, "\(sample): byte by byte")
    }

    // MARK: ends, gaps, limits

    @Test func endBeforeTheReplyGivesUnknown() {
        var run = LoginRun(.ftp)
        run.play([.s("220 ready\r\n"), .c("USER alice\r\n"), .s("331 ok\r\n"), .c("PASS secret\r\n")])
        #expect(run.sightings.isEmpty, "still waiting for the reply")
        run.analyzer.end(direction: .toServer, context: &run.context)
        #expect(run.sightings.isEmpty, "the server may still answer")
        run.analyzer.end(direction: .toClient, context: &run.context)
        #expect(run.sightings == [loginCredential(.ftp, "alice", "secret", .unknown)])
        #expect(run.analyzer.takeSightings().count == 1)
        #expect(run.analyzer.sightings.isEmpty, "taken")
    }

    @Test func gapsResumeAndTheEndsGiveUnknown() {
        // Lost bytes cost a line, not the direction (MidStreamTests has the rest).
        var run = LoginRun(.pop3)
        run.play([.s("+OK\r\n"), .c("USER a\r\nPASS b\r\n"), .s("+OK\r\n")])
        let serverGap = run.analyzer.gap(direction: .toClient, offset: run.offsets.toClient, length: 100, context: &run.context)
        #expect(serverGap == .needMore)
        #expect(run.sightings.isEmpty, "PASS's reply may come after the lost bytes")
        let clientGap = run.analyzer.gap(direction: .toServer, offset: run.offsets.toServer, length: 10, context: &run.context)
        #expect(clientGap == .needMore)
        run.endBoth()
        #expect(run.sightings == [loginCredential(.pop3, "a", "b", .unknown)])
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func maxDepthStopsReading() {
        var run = LoginRun(.ftp, maxDepth: 16)
        run.play([.s("220 ready\r\n"), .c("USER alice\r\n"), .s("331 ok\r\n"), .c("PASS secret\r\n"), .s("230 ok\r\n")])
        // `PASS secret` starts at client byte 12: past the depth it is never read.
        #expect(run.sightings.isEmpty)
        #expect(run.verdicts.last == .done, "both directions past the depth")
    }

    @Test func overlongLinesAreCutAndSkipped() {
        let long = "NOOP " + String(repeating: "x", count: 5000) + "\r\n"
        for byteByByte in [false, true] {
            var run = LoginRun(.ftp)
            run.play([
                .s("220 ready\r\n"), .c(long), .s("200 ok\r\n"), .c("USER a\r\n"), .s("331 ok\r\n"), .c("PASS b\r\n"),
                .s("230 ok\r\n"),
            ], byteByByte: byteByByte)
            #expect(run.sightings == [loginCredential(.ftp, "a", "b", .accepted)])
            #expect(run.context.peakBufferedBytes <= LoginDialogAnalyzer.maxLine)
            #expect(run.context.bufferedBytes == 0)
        }
    }

    @Test func refusedBufferEmptiesOnlyTheSpanningLine() {
        var run = LoginRun(.ftp, context: InspectionContext(maxBufferedBytes: 4))
        run.play([.s("220 ready\r\n"), .c("USER a\r\n"), .s("331 ok\r\n")])
        run.send(ascii("PASS lo"), .toServer)  // spans chunks: 7 bytes to hold, over the budget
        run.send(ascii("ngsecret\r\n"), .toServer)
        run.send(ascii("PASS b\r\n"), .toServer)
        run.play([.s("230 ok\r\n"), .s("230 ok\r\n")])
        #expect(run.context.counters.bufferCapHits == 1)
        // The emptied line still counts as a command: the first 230 answers it, the second `PASS b`.
        #expect(run.sightings == [loginCredential(.ftp, "a", "b", .accepted)])
    }
}
