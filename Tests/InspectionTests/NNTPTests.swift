import Testing
@testable import Flows
@testable import Inspection
import Scanning

// NNTP (RFC 3977, RFC 4643 AUTHINFO, RFC 4642 STARTTLS) on byte-exact
// dialogues: the login and its verdict, which replies carry a body (so an
// article's lines are never replies), the articles read and posted as content,
// and the lines naming an article by message-id kept from the raw scan.

@Suite struct NNTPTests {
    // RFC 4643 §2.3.3's example, with a CAPABILITIES listing first.
    static let userPass: [Step] = [
        .s("200 news.example.com InterNetNews NNRP server INN 2.6.4 ready (posting ok)\r\n"),
        .c("CAPABILITIES\r\n"),
        .s("101 Capability list:\r\nVERSION 2\r\nREADER\r\nAUTHINFO USER\r\nPOST\r\n.\r\n"),
        .c("AUTHINFO USER wilma\r\n"),
        .s("381 Enter passphrase\r\n"),
        .c("AUTHINFO PASS flintstone rocks\r\n"),
        .s("281 Authentication accepted\r\n"),
        .c("QUIT\r\n"),
        .s("205 closing connection\r\n"),
    ]

    @Test func userPassAcceptedAtEveryCut() {
        let expected = [loginCredential(.nntp, "wilma", "flintstone rocks", .accepted)]
        #expect(loginSightings(.nntp, Self.userPass) == expected)
        #expect(loginSightings(.nntp, Self.userPass, byteByByte: true) == expected)
        for cut in 1..<clientStreamLength(Self.userPass) {
            #expect(loginSightings(.nntp, Self.userPass, clientSplit: cut) == expected, "cut \(cut)")
        }
    }

    @Test func aRefusedPasswordAndTheRetry() {
        let steps: [Step] = [
            .s("200 news ready\r\n"),
            .c("AUTHINFO USER wilma\r\n"), .s("381 Enter passphrase\r\n"),
            .c("AUTHINFO PASS wrong\r\n"), .s("481 Authentication failed\r\n"),
            .c("AUTHINFO USER wilma\r\n"), .s("381 Enter passphrase\r\n"),
            .c("AUTHINFO PASS right\r\n"), .s("281 Authentication accepted\r\n"),
        ]
        #expect(
            loginSightings(.nntp, steps) == [
                loginCredential(.nntp, "wilma", "wrong", .rejected), loginCredential(.nntp, "wilma", "right", .accepted),
            ])
    }

    @Test func saslPlainWithAndWithoutAnInitialResponse() {
        // RFC 4643 §2.4.4: PLAIN with an initial response; then one given after a 383.
        let plain = base64(Array("\0tim\0tanstaaftanstaaf".utf8))
        let initial: [Step] = [
            .s("200 news ready\r\n"),
            .c("AUTHINFO SASL PLAIN \(plain)\r\n"), .s("281 Authentication accepted\r\n"),
        ]
        let continued: [Step] = [
            .s("200 news ready\r\n"),
            .c("AUTHINFO SASL PLAIN\r\n"), .s("383 \r\n"),
            .c("\(plain)\r\n"), .s("481 Authentication failed\r\n"),
        ]
        #expect(loginSightings(.nntp, initial) == [loginCredential(.saslPlain, "tim", "tanstaaftanstaaf", .accepted)])
        #expect(loginSightings(.nntp, continued) == [loginCredential(.saslPlain, "tim", "tanstaaftanstaaf", .rejected)])
    }

    @Test func anArticlesLinesAreNotReplies() {
        // A 281 and a 481 inside an article body, and a LISTGROUP listing:
        // neither answers the AUTHINFO PASS sent after them.
        let steps: [Step] = [
            .s("201 news ready, no posting\r\n"),
            .c("GROUP misc.test\r\nLISTGROUP misc.test\r\nBODY 3000234\r\n"),
            .s("211 3 1 3 misc.test\r\n211 3 1 3 misc.test list follows\r\n1\r\n2\r\n3\r\n.\r\n"),
            .s("222 3000234 <45223423@example.com>\r\n481 not a reply\r\n..281 neither\r\n.\r\n"),
            .c("AUTHINFO USER fred\r\nAUTHINFO PASS pebbles\r\n"),
            .s("381 more\r\n281 ok\r\n"),
        ]
        #expect(loginSightings(.nntp, steps) == [loginCredential(.nntp, "fred", "pebbles", .accepted)])
    }

    @Test func dateIsAOneLineReply() {
        // RFC 3977 §7.1: `111 yyyymmddhhmmss` has no body (only HELP's 100 and
        // CAPABILITIES' 101 do, known by their commands).
        let steps: [Step] = [
            .s("200 news ready\r\n"), .c("DATE\r\n"), .s("111 20260729110400\r\n"),
            .c("AUTHINFO USER fred\r\n"), .s("381 more\r\n"), .c("AUTHINFO PASS pebbles\r\n"), .s("281 ok\r\n"),
        ]
        #expect(loginSightings(.nntp, steps) == [loginCredential(.nntp, "fred", "pebbles", .accepted)])
    }

    @Test func aTakeThisArticleIsDataNotCommands() {
        // RFC 4644 §2.5: TAKETHIS sends the article at once; one reply answers both.
        let client = Array(
            ("MODE STREAM\r\nTAKETHIS <a1@x.org>\r\nFrom: a@b.c\r\nSubject: howto\r\n\r\n"
                + "Try this:\r\nAUTHINFO USER bob\r\nAUTHINFO PASS hunter2\r\n.\r\nAUTHINFO USER fred\r\nAUTHINFO PASS pebbles\r\n").utf8)
        let server = Array("200 news ready\r\n203 streaming permitted\r\n239 <a1@x.org>\r\n381 more\r\n281 ok\r\n".utf8)
        let expected = [loginCredential(.nntp, "fred", "pebbles", .accepted)]
        for cut in 0...client.count {
            #expect(loginSightings(.nntp, [.client(Array(client[..<cut])), .client(Array(client[cut...])), .server(server)]) == expected, "cut \(cut)")
            var run = ContentRun(.nntp)
            run.send(client, .toServer, cutAt: cut)
            run.send(server, .toClient)
            #expect(run.parts.map(\.kind) == [.nntpArticlePart], "cut \(cut)")
            #expect(run.parts.first?.bytes == Array("Try this:\r\nAUTHINFO USER bob\r\nAUTHINFO PASS hunter2\r\n".utf8))
            run.endBoth()
            run.checkClean()
        }
    }

    @Test func manyPipelinedBodiesKeepTheCount() {
        // A news reader pipelines BODY commands; each 222 body ends at its `.`
        // line, so a body line that reads like a reply (`500 ways`) is none.
        let n = 40
        let body = "222 1 <a1@x.org>\r\n500 ways to cook\r\n281 not a reply\r\n.\r\n"
        let steps: [Step] = [
            .s("200 news ready\r\n"),
            .client(Array(String(repeating: "BODY 1\r\n", count: n).utf8)),
            .server(Array(String(repeating: body, count: n).utf8)),
            .c("AUTHINFO USER fred\r\n"), .s("381 more\r\n"), .c("AUTHINFO PASS pebbles\r\n"), .s("481 no\r\n"),
        ]
        #expect(loginSightings(.nntp, steps) == [loginCredential(.nntp, "fred", "pebbles", .rejected)])
    }

    @Test func anAcceptedStartTLSEndsTheDialogue() {
        var run = LoginRun(.nntp)
        run.play([
            .s("200 news ready\r\n"), .c("STARTTLS\r\n"), .s("382 Continue with TLS negotiation\r\n"),
            .client([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00]),
        ])
        #expect(run.analyzer.isDone, "what follows 382 is TLS, read by the TLS analyzer")
        #expect(run.sightings.isEmpty)
    }

    @Test func aStartTLSOfferLeftUnused() {
        let steps: [Step] = [
            .s("200 news ready\r\n"),
            .c("CAPABILITIES\r\n"), .s("101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\nAUTHINFO USER\r\n.\r\n"),
            .c("AUTHINFO USER fred\r\n"), .s("381 more\r\n"),
            .c("AUTHINFO PASS pebbles\r\n"), .s("281 ok\r\n"),
        ]
        #expect(
            loginSightings(.nntp, steps) == [
                .startTLSNotUsed(command: "AUTHINFO"), loginCredential(.nntp, "fred", "pebbles", .accepted),
            ])
    }

    @Test func probes() {
        let inn = ascii("200 news.example.com InterNetNews NNRP server INN 2.6.4 ready (posting ok)\r\n")
        #expect(run(Probes.nntp.probeToClient, inn, port: 119) == .match)
        #expect(run(Probes.nntp.probeToClient, inn, port: 8119) == .match, "names NNRP")
        #expect(run(Probes.nntp.probeToClient, ascii("201 Leafnode NNTP Daemon\r\n"), port: 2000) == .match)
        #expect(run(Probes.nntp.probeToClient, ascii("200 ready\r\n"), port: 119) == .match, "the news port")
        #expect(run(Probes.nntp.probeToClient, ascii("200 ready\r\n"), port: 2000) == .noMatch)
        #expect(run(Probes.nntp.probeToClient, ascii("220 mail ESMTP\r\n"), port: 119) == .noMatch)
        #expect(run(Probes.nntp.probeToServer, ascii("MODE READER\r\n"), port: 2000) == .match)
        #expect(run(Probes.nntp.probeToServer, ascii("AUTHINFO USER x\r\n"), port: 2000) == .match)
        let id = identify([ascii("201 Leafnode NNTP Daemon, version 1.11\r\n")], .toClient, port: 5119)
        #expect(id.app == .nntp)
    }

    // MARK: articles as content

    static let article = Array(
        ("From: Dana Whitfield <dana.whitfield@northwind-logistics.com>\r\nNewsgroups: misc.test\r\n"
            + "Subject: export\r\nMessage-ID: <k7q2v9@news.northwind-logistics.com>\r\n"
            + "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64(Array("card 4556 7375 8689 9855\r\n".utf8)) + "\r\n").utf8)

    @Test func anArticleReadIsDecodedAtEveryCut() {
        let client = Array("MODE READER\r\nARTICLE <k7q2v9@news.northwind-logistics.com>\r\nHEAD 1\r\nQUIT\r\n".utf8)
        let server =
            Array("200 news ready\r\n200 reader\r\n220 1 <k7q2v9@news.northwind-logistics.com>\r\n".utf8) + Self.article
            + Array(".\r\n221 1 <k7q2v9@news.northwind-logistics.com>\r\nSubject: export\r\n.\r\n205 bye\r\n".utf8)
        for cut in 0...server.count {
            var run = ContentRun(.nntp)
            run.send(client, .toServer)
            run.send(server, .toClient, cutAt: cut)
            #expect(run.parts.map(\.kind) == [.nntpArticlePart], "cut \(cut)")
            #expect(run.parts.map(\.bytes) == [Array("card 4556 7375 8689 9855\r\n".utf8)], "cut \(cut)")
            #expect(run.streams.filter { $0.kind == .mimeHeaders }.count == 2, "the article's headers and HEAD's, cut \(cut)")
            #expect(run.dialogue?.isDone == true, "QUIT answered: the article was not read as replies, cut \(cut)")
            run.endBoth()
            run.checkClean()
        }
    }

    @Test func aPostedArticleIsDecoded() {
        let posted = Self.article + Array(".\r\n".utf8)
        for cut in 0...posted.count {
            var run = ContentRun(.nntp)
            run.send(Array("200 news ready\r\n".utf8), .toClient)
            run.send(Array("POST\r\n".utf8), .toServer)
            run.send(Array("340 send article\r\n".utf8), .toClient)
            run.send(posted, .toServer, cutAt: cut)
            run.send(Array("240 article received\r\n".utf8), .toClient)
            run.send(Array("POST\r\n".utf8), .toServer)
            run.send(Array("440 posting not permitted\r\n".utf8), .toClient)
            run.send(Array("QUIT\r\n".utf8), .toServer)
            run.send(Array("205 bye\r\n".utf8), .toClient)
            #expect(run.parts.map(\.bytes) == [Array("card 4556 7375 8689 9855\r\n".utf8)], "cut \(cut)")
            #expect(run.parts.allSatisfy { $0.kind == .nntpArticlePart && $0.direction == .toServer })
            #expect(run.dialogue?.isDone == true, "the refused POST sent no article; QUIT was read as a command, cut \(cut)")
            run.endBoth()
            run.checkClean()
        }
    }

    static let emailRule = """
        rules:
          - id: pii.test-email
            severity: low
            description: test address
            regex: '[a-z0-9.]+@[a-z0-9.-]+\\.[a-z]{2,}'
            keywords: ['@']
            window: [40, 60]
            remediation: none
        """

    @Test func linesNamingAnArticleAreNotScannedButTheArticleIs() throws {
        var c = Conversation(port: 119)
        c.context.content = .scanning(try ContentScanner(ContentRuleSet(rules: ContentRuleSet.parse(Self.emailRule, source: "t.yaml"))))
        c.server("200 news ready\r\n")
        c.client("ARTICLE <k7q2v9@news.northwind-logistics.com>\r\n")
        c.server(Array("220 1 <k7q2v9@news.northwind-logistics.com> article\r\n".utf8) + Self.article + Array(".\r\n".utf8))
        c.client("STAT <z0p3@news.northwind-logistics.com>\r\n")
        c.server("223 2 <z0p3@news.northwind-logistics.com>\r\n")
        c.client("QUIT\r\n")
        c.server("205 bye\r\n")
        #expect(c.inspection.app == .nntp)
        let found = c.context.takeContentSightings().contents
        // The article's own headers: From (its Message-ID's value reaches the
        // scanner blanked); the status lines and commands: nothing.
        #expect(found.map(\.source) == [.mimeHeaders], "\(found)")
        #expect(found.allSatisfy { $0.direction == .toClient })
    }

    /// A news session scanned with `emailRule`, past the server's greeting.
    static func scannedSession() throws -> Conversation {
        var c = Conversation(port: 119)
        c.context.content = .scanning(try ContentScanner(ContentRuleSet(rules: ContentRuleSet.parse(emailRule, source: "t.yaml"))))
        c.server("200 news ready\r\n")
        return c
    }

    /// Ends `c` with QUIT; the values found.
    static func quit(_ c: inout Conversation) -> [String] {
        c.client("QUIT\r\n")
        c.server("205 bye\r\n")
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        return c.context.takeContentSightings().contents.map { String(decoding: $0.match.value, as: UTF8.self) }
    }

    @Test func idListingsAreNotScannedButOtherHeaderListingsAre() throws {
        var c = try Self.scannedSession()
        c.client("NEWNEWS misc.test 20260101 000000\r\n")
        c.server("230 list of new articles follows\r\n<k7q2v9@news.northwind-logistics.com>\r\n.\r\n")
        c.client("HDR References 1-2\r\n")
        c.server("225 headers follow\r\n1 <z0p3@news.northwind-logistics.com>\r\n2 \r\n.\r\n")
        c.client("XHDR From 1-2\r\n")
        c.server("221 headers follow\r\n1 Dana <dana.whitfield@northwind-logistics.com>\r\n.\r\n")
        #expect(Self.quit(&c) == ["dana.whitfield@northwind-logistics.com"])
    }

    /// OVER/XOVER lines: the Message-ID and References fields are skipped,
    /// the From field (a real address) is scanned; a line cut by a chunk
    /// boundary is scanned whole (its cut value judged with the rest).
    @Test(arguments: ["OVER 1-3", "XOVER 1-3"])
    func overviewIDFieldsAreNotAddresses(command: String) throws {
        for cutInLine in [false, true] {
            var c = try Self.scannedSession()
            c.client("GROUP misc.test\r\n")
            c.server("211 3 1 3 misc.test\r\n")
            c.client(command + "\r\n")
            let lines = [
                "1\tHello\tDana <dana.whitfield@northwind-logistics.com>\t7 Dec 2026 10:00:00 +0000\t<k7q2v9@news.northwind-logistics.com>\t\t1200\t20",
                "2\tRe: Hello\tbob@example.net (Bob)\t7 Dec 2026 11:00:00 +0000\t<caf3xqzz0w@mail.gmail.com>\t<k7q2v9@news.northwind-logistics.com>\t900\t12\tXref: news misc.test:2",
                "3\tShort\tno address",
            ]
            let reply = "224 overview follows\r\n" + lines.joined(separator: "\r\n") + "\r\n.\r\n"
            if cutInLine {
                // Cut inside the second line's References field.
                let cut = reply.utf8.count - lines[2].utf8.count - 70
                c.server(Array(Array(reply.utf8)[..<cut]))
                c.server(Array(Array(reply.utf8)[cut...]))
            } else {
                c.server(reply)
            }
            var expected = ["bob@example.net", "dana.whitfield@northwind-logistics.com"]
            if cutInLine { expected += ["caf3xqzz0w@mail.gmail.com", "k7q2v9@news.northwind-logistics.com"] }
            #expect(Set(Self.quit(&c)) == Set(expected), "cut: \(cutInLine)")
        }
    }

    /// An overview line longer than a line is read (a long thread's
    /// References): the fields are skipped to the line's end (found by review).
    @Test func longReferencesInAnOverviewLineAreSkipped() throws {
        var c = try Self.scannedSession()
        c.client("GROUP misc.test\r\n")
        c.server("211 3 1 3 misc.test\r\n")
        c.client("XOVER 1\r\n")
        let refs = (0..<80).map { "<m\($0)qq@news.example.com>" }.joined(separator: " ")
        let line = "1\tRe: thread\tdana@northwind.example\t7 Dec 2026 10:00:00 +0000\t<k7q2v9@news.example.com>\t\(refs)\t1200\t20"
        c.server("224 overview follows\r\n" + line + "\r\n.\r\n")
        #expect(Self.quit(&c) == ["dana@northwind.example"])
    }
}
