import Scanning
import TestSupport
import Testing
@testable import Flows
@testable import Inspection

/// Message-id headers blanked, other headers kept, at every cut (review).
struct MailIDHeaderTests {
    static func headerStreams(_ message: String, cut: Int? = nil) -> [String] {
        let (client, server) = SMTPContentTests.session(ascii(message))
        var run = ContentRun(.smtp)
        run.send(server, .toClient)
        if let cut { run.send(client, .toServer, cutAt: cut) } else { run.send(client, .toServer) }
        run.endBoth()
        run.checkClean()
        return run.streams.filter { $0.kind == .mimeHeaders }.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    @Test func nonIDHeadersKeptAndIDsBlankedAtEveryCut() {
        let headers = "X-Message-ID-Note: <keep@a.example>\r\nReferences-Extra: <keep2@a.example>\r\nNoColonLine <keep3@a.example>\r\n"
            + "Subject: a\r\n Message-ID: <keep4@a.example>\r\nMESSAGE-ID\r\n : <gone1@a.example>\r\n"
            + "Message-ID : <gone2@a.example>\r\n\tmore <gone3@a.example>\r\n\r\nbody\r\n.\r\n"
        let (client, _) = SMTPContentTests.session(ascii(headers))
        for cut in 0...client.count {
            let h = MailIDHeaderTests.headerStreams(headers, cut: cut).joined()
            #expect(["keep@", "keep2@", "keep3@", "keep4@"].allSatisfy { h.contains($0) }, "cut \(cut)")
            #expect(!h.contains("gone"), "cut \(cut): \(h)")
        }
    }

    /// A part's header block whose first line is folded: `header()` reads it
    /// as a Content-ID (held is " Content-ID: <...>"), and a mail whose own
    /// block starts so is blanked; after another block it is not.
    @Test func aFoldedFirstLineOfAPartsHeadersIsBlankedToo() {
        let alone = MailIDHeaderTests.headerStreams(" Content-ID: <id1@parts.example>\r\n\r\nhi\r\n.\r\n")
        #expect(!alone.joined().contains("id1@"))
        let mail = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n Content-ID: <id1@parts.example>\r\n"
            + "Content-Type: text/plain\r\n\r\nhi\r\n--b--\r\n.\r\n"
        let streams = MailIDHeaderTests.headerStreams(mail)
        #expect(streams.count == 2)
        #expect(!streams.joined().contains("id1@"), "\(streams)")
    }
}

struct MailIDHeaderScanTests {
    /// Through the scanner, an SMTP mail cut at every byte: only From's address is found.
    @Test func idsNeverReachTheScannerAtAnyCut() throws {
        let mail = "From: Ann <ann.lee@corp-mail.io>\r\nMessage-ID: <k7q2v9@news.northwind.com>\r\n"
            + "References: <a1@x.example.org>\r\n <b2@y.example.org>\r\nSubject: hi\r\n\r\nbody\r\n.\r\n"
        let steps: [(String, Bool)] = [
            ("220 mx ESMTP\r\n", false), ("EHLO c\r\n", true), ("250 mx\r\n", false), ("MAIL FROM:<>\r\n", true), ("250 ok\r\n", false),
            ("RCPT TO:<>\r\n", true), ("250 ok\r\n", false), ("DATA\r\n", true), ("354 go\r\n", false),
        ]
        for cut in 0...mail.utf8.count {
            var c = Conversation(port: 25)
            c.context.content = .scanning(try ContentScanner(ContentRuleSet(rules: ContentRuleSet.parse(NNTPTests.emailRule, source: "t.yaml"))))
            for (text, client) in steps { if client { c.client(text) } else { c.server(text) } }
            let m = Array(mail.utf8)
            c.client(Array(m[..<cut]))
            c.client(Array(m[cut...]))
            c.server("250 queued\r\n")
            c.client("QUIT\r\n")
            c.server("221 bye\r\n")
            c.inspection.end(direction: .toServer, context: &c.context)
            c.inspection.end(direction: .toClient, context: &c.context)
            let found = c.context.takeContentSightings().contents.map { String(decoding: $0.match.value, as: UTF8.self) }
            #expect(found == ["ann.lee@corp-mail.io"], "cut \(cut)")
        }
    }
}

