import Testing
@testable import Flows
@testable import Inspection

// Mail read back or chunked as content: a POP3 RETR/TOP reply (RFC 1939 §3,
// byte-stuffed like SMTP DATA), an IMAP literal holding a message (RFC 9051
// §7.5.2 FETCH BODY[], §6.3.12 APPEND), SMTP BDAT chunks (RFC 3030) — each
// decoded like a mail sent with DATA, fed whole and cut at every byte.

@Suite struct MailRetrievalContentTests {
    /// A mail with a base64 part (what the raw scan cannot read) and a line
    /// starting with a dot (stuffed on the POP3 wire, as it is in IMAP).
    static let attachment = Array("card 4556 7375 8689 9855\r\n".utf8)
    static let mail = Array(
        ("Subject: statement\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
            + "--zz\r\nContent-Type: text/plain\r\n\r\nhello\r\n.dot line\r\n"
            + "--zz\r\nContent-Transfer-Encoding: base64\r\n\r\n\(base64(attachment))\r\n--zz--\r\n").utf8)

    /// The parts and header blocks a reader must deliver for `mail`.
    static func expectParts(_ run: ContentRun, _ kind: ContentKind, _ note: String) {
        #expect(run.parts.map(\.kind) == [kind, kind], "\(note)")
        #expect(run.parts.map(\.bytes) == [Array("hello\r\n.dot line".utf8), attachment], "\(note)")
        #expect(run.streams.filter { $0.kind == .mimeHeaders }.count == 3, "\(note)")
        #expect(run.streams.first?.bytes == Array("Subject: statement\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n".utf8))
        #expect(run.streams.allSatisfy { $0.complete == true }, "\(note)")
    }

    /// What the dialogue reports for the same bytes with content off (the
    /// login, the cleartext note): reading mail must not change it.
    static func sightingsWithoutContent(_ app: AppProtocol, _ client: [UInt8], _ server: [UInt8]) -> [String] {
        var run = ContentRun(app)
        run.context.content = .off
        run.send(client, .toServer)
        run.send(server, .toClient)
        run.endBoth()
        #expect(!run.sightings.isEmpty)
        return run.sightings
    }

    /// POP3's wire form of `mail`: a `.` starting a line is doubled.
    static var stuffed: [UInt8] { Array(String(decoding: mail, as: UTF8.self).replacingOccurrences(of: "\n.", with: "\n..").utf8) }

    @Test func pop3RetrAfterTheLoginIsDecoded() {
        let client = Array("USER bob\r\nPASS hunter2\r\nLIST\r\nRETR 1\r\nQUIT\r\n".utf8)
        let server =
            Array("+OK ready\r\n+OK\r\n+OK in\r\n+OK 1 message\r\n1 120\r\n.\r\n+OK 120 octets\r\n".utf8) + Self.stuffed
            + Array(".\r\n+OK bye\r\n".utf8)
        for cut in 0...server.count {
            var run = ContentRun(.pop3)
            run.send(client, .toServer)
            run.send(server, .toClient, cutAt: cut)
            Self.expectParts(run, .pop3MessagePart, "cut \(cut)")
            #expect(run.streams.allSatisfy { $0.direction == .toClient })
            run.endBoth()
            #expect(run.sightings == Self.sightingsWithoutContent(.pop3, client, server), "cut \(cut)")
            run.checkClean()
        }
    }

    @Test func pop3ListingsAndRefusalsAreNotMail() {
        var run = ContentRun(.pop3)
        run.send(Array("USER bob\r\nPASS x\r\nUIDL\r\nRETR 9\r\nRETR 1\r\n".utf8), .toServer)
        run.send(Array("+OK\r\n+OK\r\n+OK\r\n+OK\r\n1 Subject: abc\r\n.\r\n-ERR no such message\r\n+OK\r\n".utf8), .toClient)
        run.send(Array("Subject: second\r\n\r\nbody\r\n.\r\n".utf8), .toClient)
        run.endBoth()
        #expect(run.parts.map(\.bytes) == [Array("body\r\n".utf8)], "only RETR 1's mail; the UIDL listing and -ERR are lines")
        run.checkClean()
    }

    @Test func imapFetchOfAWholeMessageIsDecoded() {
        let client = Array("a1 LOGIN bob hunter2\r\na2 SELECT INBOX\r\na3 FETCH 1 (FLAGS BODY.PEEK[])\r\n".utf8)
        let server =
            Array("* OK ready\r\na1 OK\r\na2 OK\r\n* 1 FETCH (FLAGS (\\Seen) BODY[] {\(Self.mail.count)}\r\n".utf8) + Self.mail
            + Array(")\r\na3 OK done\r\n".utf8)
        for cut in 0...server.count {
            var run = ContentRun(.imap)
            run.send(client, .toServer)
            run.send(server, .toClient, cutAt: cut)
            Self.expectParts(run, .imapMessagePart, "cut \(cut)")
            run.endBoth()
            #expect(run.sightings == Self.sightingsWithoutContent(.imap, client, server), "cut \(cut)")
            run.checkClean()
        }
    }

    @Test func imapAppendIsDecoded() {
        let client =
            Array("a1 LOGIN bob x\r\na2 APPEND Sent (\\Seen) {\(Self.mail.count)}\r\n".utf8) + Self.mail
            + Array("\r\na3 LOGOUT\r\n".utf8)
        for cut in 0...client.count {
            var run = ContentRun(.imap)
            run.send(Array("* OK ready\r\na1 OK\r\n+ go ahead\r\n".utf8), .toClient)
            run.send(client, .toServer, cutAt: cut)
            Self.expectParts(run, .imapMessagePart, "cut \(cut)")
            #expect(run.streams.allSatisfy { $0.direction == .toServer })
            run.send(Array("a2 OK appended\r\n* BYE\r\na3 OK\r\n".utf8), .toClient)
            #expect(run.dialogue?.isDone == true, "LOGOUT answered: the literal was not read as commands")
            run.endBoth()
            run.checkClean()
        }
    }

    @Test func imapAppendToAMailboxNamedByALiteralIsDecoded() {
        // RFC 9051 §6.3.12: the mailbox is an astring, so it may be a literal
        // itself (a name with a space or a non-ASCII one); the message is the next literal.
        let client =
            Array("a1 LOGIN bob x\r\na2 APPEND {10}\r\nSent Items (\\Seen) {\(Self.mail.count)}\r\n".utf8) + Self.mail
            + Array("\r\na3 APPEND {4}\r\nSent {12+}\r\nSubject: x\r\n\r\na4 LOGOUT\r\n".utf8)
        for cut in 0...client.count {
            var run = ContentRun(.imap)
            run.send(Array("* OK ready\r\na1 OK\r\n+ go ahead\r\n+ go ahead\r\n+ go ahead\r\n".utf8), .toClient)
            run.send(client, .toServer, cutAt: cut)
            #expect(run.parts.map(\.bytes) == [Array("hello\r\n.dot line".utf8), Self.attachment], "cut \(cut)")
            #expect(run.streams.filter { $0.kind == .mimeHeaders }.count == 4, "the mail's three blocks and a3's, cut \(cut)")
            run.send(Array("a2 OK appended\r\na3 OK appended\r\n* BYE\r\na4 OK\r\n".utf8), .toClient)
            #expect(run.dialogue?.isDone == true, "LOGOUT answered: no literal was read as commands, cut \(cut)")
            run.endBoth()
            run.checkClean()
        }
    }

    @Test func imapSectionsThatAreNotAMessageArePassedOver() {
        // TEXT and a part's content come without the headers that say how to
        // decode them: passed over by length (the raw scan reads them).
        let text = Array("Content-Type: text/plain\r\n\r\nnot headers".utf8)
        var run = ContentRun(.imap)
        run.send(Array("a1 LOGIN bob x\r\na2 FETCH 1 BODY[TEXT]\r\na3 FETCH 1 BODY[1]\r\na4 LOGOUT\r\n".utf8), .toServer)
        run.send(
            Array("* OK\r\na1 OK\r\n* 1 FETCH (BODY[TEXT] {\(text.count)}\r\n".utf8) + text
                + Array(")\r\na2 OK\r\n* 1 FETCH (BODY[1] {\(text.count)}\r\n".utf8) + text + Array(")\r\na3 OK\r\n* BYE\r\na4 OK\r\n".utf8),
            .toClient)
        #expect(run.streams.isEmpty)
        #expect(run.dialogue?.isDone == true)
        run.endBoth()
        run.checkClean()
    }

    @Test(arguments: [
        ("* 1 FETCH (BODY[] {10}", true), ("* 1 FETCH (UID 4 RFC822 {10}", true), ("* 1 FETCH (BODY[]<0> {10}", true),
        ("* 1 FETCH (BINARY[] {10}", true), ("* 1 FETCH (BODY[HEADER] {10}", true), ("* 1 FETCH (RFC822.HEADER {10}", true),
        ("* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {10}", true), ("* 1 FETCH (BODY[2.MIME] {10}", true),
        ("* 1 FETCH (BODY[1.2.HEADER] {10}", true), ("* 1 FETCH (BODY[TEXT] {10}", false), ("* 1 FETCH (BODY[1] {10}", false),
        ("* 1 FETCH (RFC822.TEXT {10}", false), ("* 1 FETCH (BODY[1.2] {10+}", false), ("a1 LIST \"\" {10}", false),
        ("* 1 FETCH (BODY[HEADER {10}", false), ("* 1 FETCH (BINARY[] ~{10}", true),
    ])
    func whichLiteralsHoldAMessage(line: String, holds: Bool) {
        let bytes = Array(line.utf8)
        bytes.withUnsafeBytes { #expect(LoginLine(bytes: $0, truncated: false).literalHoldsMessage() == holds) }
    }

    @Test func smtpBdatChunksAreOneMessage() {
        let mail = Self.mail
        let first = 50
        let client =
            Array("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT \(first)\r\n".utf8) + mail[..<first]
            + Array("BDAT \(mail.count - first) LAST\r\n".utf8) + mail[first...] + Array("QUIT\r\n".utf8)
        for cut in 0...client.count {
            var run = ContentRun(.smtp)
            run.send(Array("220 mx\r\n250-mx\r\n250 CHUNKING\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n221 bye\r\n".utf8), .toClient)
            run.send(client, .toServer, cutAt: cut)
            Self.expectParts(run, .smtpMessagePart, "cut \(cut)")
            run.endBoth()
            run.checkClean()
        }
    }

    /// A FETCH literal announced while a synchronizing APPEND waits for its
    /// `+`: one message is read at a time, the FETCH's is passed over (and
    /// scanned raw), the APPEND's is still decoded and never read as commands.
    @Test func imapLiteralsAnnouncedBothWays() {
        let part = Array("Subject: hi\r\nContent-Transfer-Encoding: base64\r\n\r\n\(base64(Self.attachment))\r\n".utf8)
        let appended = Array("Subject: note\r\n\r\nx1 LOGIN eve s3cret\r\n".utf8) + part
        var run = ContentRun(.imap)
        run.send(Array("* OK ready\r\n".utf8), .toClient)
        run.send(Array("a1 LOGIN bob hunter2\r\n".utf8), .toServer)
        run.send(Array("a1 OK\r\n".utf8), .toClient)
        run.send(Array("a3 FETCH 1 BODY[]\r\na4 APPEND Sent {\(appended.count)}\r\n".utf8), .toServer)
        run.send(Array("* 1 FETCH (BODY[] {\(part.count)}\r\n".utf8) + part + Array(")\r\na3 OK\r\n+ go ahead\r\n".utf8), .toClient)
        run.send(appended + Array("\r\na5 LOGOUT\r\n".utf8), .toServer)
        run.send(Array("a4 OK\r\n* BYE\r\na5 OK\r\n".utf8), .toClient)
        run.endBoth()
        // Not MIME (no Content-Type): the body is one part, read as the mail it is.
        #expect(run.parts.filter { $0.direction == .toServer }.map(\.bytes) == [Array("x1 LOGIN eve s3cret\r\n".utf8) + part])
        #expect(!run.sightings.contains { $0.contains("eve") }, "a line of the appended mail is no LOGIN")
        run.checkClean()
    }

    /// A chunk without LAST, refused; RSET and a DATA transaction: the chunked
    /// message is given up, and the mail text after DATA is mail, not
    /// commands — with content on and off.
    @Test(arguments: [true, false]) func dataAfterAnAbortedBdat(content: Bool) {
        var run = ContentRun(.smtp)
        if !content { run.context.content = .off }
        run.send(Array("220 mx\r\n250-mx\r\n250 CHUNKING\r\n250 ok\r\n250 ok\r\n552 too big\r\n250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n".utf8), .toClient)
        run.send(
            Array(("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 5\r\nhello"
                + "RSET\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n"
                + "Subject: hi\r\n\r\nAUTH PLAIN AGJvYgBodW50ZXIy\r\n.\r\nQUIT\r\n").utf8), .toServer)
        run.endBoth()
        #expect(!run.sightings.contains { $0.contains("saslPlain") }, "mail text is no AUTH")
        if content {
            #expect(run.parts.map(\.bytes) == [Array("AUTH PLAIN AGJvYgBodW50ZXIy\r\n".utf8)])
            #expect(run.streams.first?.complete == false, "the chunked message, cut short")
        }
        run.checkClean()
    }

    /// Text pipelined after a DATA the server refused, then a BDAT: the
    /// chunk is a message of its own, read by its count, not by a `.` line.
    @Test func bdatAfterARefusedData() {
        var run = ContentRun(.smtp)
        run.send(Array("HELO c\r\nDATA\r\nSubject: refused\r\n".utf8), .toServer)
        run.send(Array("220 mx\r\n250 ok\r\n554 no\r\n".utf8), .toClient)
        let chunk = "Subject: chunk\r\n\r\nhi"
        run.send(Array("BDAT \(chunk.utf8.count) LAST\r\n\(chunk)".utf8), .toServer)
        run.send(Array("250 ok\r\n".utf8), .toClient)
        run.endBoth()
        #expect(run.streams.map { String(decoding: $0.bytes, as: UTF8.self) } == ["Subject: refused\r\n", "Subject: chunk\r\n\r\n", "hi"])
        #expect(run.streams.map(\.complete) == [false, true, true])
        run.checkClean()
    }

    /// Pipelined RETRs: each reply's mail is decoded (one expectation per RETR).
    @Test func pipelinedRetrs() {
        var run = ContentRun(.pop3)
        run.send(Array(("USER bob\r\nPASS x\r\n" + (1...6).map { "RETR \($0)\r\n" }.joined()).utf8), .toServer)
        run.send(Array("+OK\r\n+OK\r\n+OK in\r\n".utf8) + (1...6).flatMap { Array("+OK\r\nSubject: \($0)\r\n\r\nbody \($0)\r\n.\r\n".utf8) }, .toClient)
        run.endBoth()
        #expect(run.parts.map { String(decoding: $0.bytes, as: UTF8.self) } == (1...6).map { "body \($0)\r\n" })
        run.checkClean()
    }

    @Test func withoutContentNothingIsReadAfterTheLogin() {
        var run = ContentRun(.pop3)
        run.context.content = .off
        run.send(Array("USER bob\r\nPASS x\r\n".utf8), .toServer)
        run.send(Array("+OK\r\n+OK\r\n+OK in\r\n".utf8), .toClient)
        #expect(run.dialogue?.isDone == true)
    }
}

extension ContentRun {
    var dialogue: LoginDialogAnalyzer? {
        if case .login(let dialogue) = analyzer { return dialogue }
        return nil
    }

    /// The dialogue's sightings, described.
    var sightings: [String] { dialogue?.sightings.map { "\($0)" } ?? [] }
}
