import TestSupport
import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection
import Scanning

/// Which bytes of a flow the content scanner reads: the raw stream of every
/// flow not known to be encrypted (any port, UDP datagrams alone), decoded
/// bodies — and nothing once a flow is encrypted.
@Suite struct ContentScanFlowTests {
    static let rules = """
        rules:
          - id: secret.test-token
            severity: high
            description: test token
            regex: '\\btok_[a-z0-9]{20}\\b'
            keywords: [tok_]
            window: [0, 24]
            remediation: revoke it
        """
    static let token = "tok_abcdefghij0123456789"

    static func conversation(port: UInt16, depth: UInt64 = InspectionContext.defaultScanDepth) throws -> Conversation {
        var c = Conversation(port: port)
        c.context.content = .scanning(try ContentScanner(ContentRuleSet(rules: ContentRuleSet.parse(rules, source: "t.yaml"))))
        c.context.scanDepth = depth
        return c
    }

    @Test func aCustomProtocolOnAnOddPortIsScanned() throws {
        var c = try Self.conversation(port: 7777)
        c.client("HELLO v1\n")
        c.server("OK\n")
        c.client("{\"key\":\"\(Self.token)\"}\n")
        #expect(c.context.takeContentSightings().isEmpty, "identification still holds the client's first 64 bytes")
        c.client(String(repeating: "z", count: 30) + "\n")
        #expect(c.inspection.app == .unknown && !c.inspection.isDone, "still scanning")
        let found = c.context.takeContentSightings().contents
        #expect(found.count == 1)
        #expect(found.first?.direction == .toServer && found.first?.source == nil && found.first?.match.offset == 17)
    }

    @Test func theFirstBytesHeldByIdentificationAreScannedToo() throws {
        var c = try Self.conversation(port: 7777)
        c.client("X \(Self.token) y\n")
        c.server("OK\n")
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        #expect(c.context.takeContentSightings().contents.map(\.match.offset) == [2], "a short flow is scanned when it ends")
    }

    @Test func tlsIsNotScanned() throws {
        var c = try Self.conversation(port: 443)
        c.client(Sample.clientHello)
        // An application-data record whose bytes happen to spell a token.
        c.client([0x17, 0x03, 0x03, 0x00, 0x20] + Array("..\(Self.token)......".utf8))
        #expect(c.inspection.app == .tls)
        #expect(c.context.takeContentSightings().isEmpty)
    }

    @Test func sshIsNotScanned() throws {
        var c = try Self.conversation(port: 22)
        c.server("SSH-2.0-OpenSSH_9.2\r\n")
        c.client("SSH-2.0-OpenSSH_9.2\r\n\(Self.token)")
        #expect(c.context.takeContentSightings().isEmpty)
        #expect(c.inspection.isDone)
    }

    @Test func afterSTARTTLSNothingIsScanned() throws {
        var c = try Self.conversation(port: 25)
        c.server("220 mx.example ESMTP\r\n")
        c.client("EHLO a.example\r\n")
        c.server("250-mx.example\r\n250 STARTTLS\r\n")
        c.client("STARTTLS \(Self.token)\r\n")
        c.server("220 2.0.0 Ready to start TLS\r\n")
        #expect(c.context.takeContentSightings().count == 1, "the cleartext part is scanned")
        c.client(StartTLSSamples.clientHello)
        c.client([0x17, 0x03, 0x03, 0x00, 0x20] + Array("..\(Self.token)......".utf8))
        #expect(c.inspection.tls != nil)
        #expect(c.context.takeContentSightings().isEmpty)
    }

    @Test func aUDPDatagramIsScannedAlone() throws {
        var i = FlowInspection(serverPort: 514, transport: .udp, selection: .all)
        var context = InspectionContext()
        context.content = .scanning(try ContentScanner(ContentRuleSet(rules: ContentRuleSet.parse(Self.rules, source: "t.yaml"))))
        let first = Array("<13>Dec  5 00:00:00 app: key tok_abcdefghij".utf8)
        let second = Array("0123456789 more\n".utf8)
        first.withUnsafeBytes { i.ingest($0, direction: .toServer, offset: 0, context: &context) }
        second.withUnsafeBytes { i.ingest($0, direction: .toServer, offset: UInt64(first.count), context: &context) }
        #expect(context.takeContentSightings().isEmpty, "datagrams are not joined")
        let whole = Array("<13>app: key \(Self.token)\n".utf8)
        whole.withUnsafeBytes { i.ingest($0, direction: .toServer, offset: 100, context: &context) }
        #expect(context.takeContentSightings().count == 1)
    }

    @Test func aGzipBodyIsScannedDecoded() throws {
        // python3 -c 'import gzip; print(list(gzip.compress(b"secret=tok_abcdefghij0123456789\n", mtime=0)))'
        let gz: [UInt8] = [
            31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 43, 78, 77, 46, 74, 45, 177, 45, 201, 207, 142, 79, 76, 74, 78, 73, 77, 75,
            207, 200, 204, 50, 48, 52, 50, 54, 49, 53, 51, 183, 176, 228, 2, 0, 230, 233, 23, 169, 32, 0, 0, 0,
        ]
        var c = try Self.conversation(port: 8080)
        c.client("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: \(gz.count)\r\n\r\n")
        c.client(gz)
        c.server("HTTP/1.1 204 No Content\r\n\r\n")
        let found = c.context.takeContentSightings().contents
        #expect(found.map(\.source) == [.httpRequestBody])
        #expect(found.first?.match.offset == 7, "offset within the decoded body")
        #expect(found.first?.match.field == Array("secret".utf8), "named at the decoded body's start")
    }

    /// Bytes after a compressed stream's end are not decoded: the raw scan
    /// reads them, however the body was cut (found by review: a brotli or zstd
    /// decompressor held them for the rest of their slice, and they were
    /// taken for decoded).
    @Test(arguments: [TestCoding.gzip, .brotli(), .zstd()])
    func bytesAfterTheCompressedStreamAreScannedRaw(coding: TestCoding) throws {
        let stream = coding.compress(ascii("hello, nothing to see here\n"))
        let body = stream + ascii(" secret=\(Self.token) ") + [UInt8](repeating: 0x20, count: 1100)
        for cut in [body.count, stream.count, stream.count + 3, stream.count + 60] {
            var c = try Self.conversation(port: 8080)
            c.client("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Encoding: \(coding.name)\r\nContent-Length: \(body.count)\r\n\r\n")
            c.client(Array(body[..<cut]))
            if cut < body.count { c.client(Array(body[cut...])) }
            c.server("HTTP/1.1 204 No Content\r\n\r\n")
            c.inspection.end(direction: .toServer, context: &c.context)
            c.inspection.end(direction: .toClient, context: &c.context)
            #expect(c.context.takeContentSightings().contents.map(\.source) == [nil], "\(coding), cut at \(cut): the raw stream")
        }
    }

    /// A value's field is the name its text gives it, else its part's
    /// name; an uploaded file's name goes with it — for a token the part's
    /// end settles too (judged after the part's last piece).
    @Test func aPartNamesItsValuesAndItsFile() throws {
        let other = "tok_klmnopqrst9876543210"
        let body = "--b1\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"deploy.txt\"\r\n\r\n"
            + "deploy key:\n\(Self.token)\r\n--b1\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n"
            + "{\"api_token\": \"\(other)\"}\r\n--b1--\r\n"
        let request = Array(
            ("POST /up HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=b1\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
        for cut in stride(from: 1, to: request.count, by: 7) {
            var c = try Self.conversation(port: 8080)
            c.client(Array(request[..<cut]))
            c.client(Array(request[cut...]))
            c.server("HTTP/1.1 204 No Content\r\n\r\n")
            let found = c.context.takeContentSightings().contents.filter { $0.source == .httpMultipartPart }
            let named = found.map { (String(decoding: $0.match.value, as: UTF8.self), String(decoding: $0.match.field, as: UTF8.self), String(decoding: $0.file, as: UTF8.self)) }
            #expect(named.count == 2, "cut \(cut)")
            #expect(named.first { $0.0 == Self.token }.map { [$0.1, $0.2] } == ["upload", "deploy.txt"], "cut \(cut)")
            #expect(named.first { $0.0 == other }.map { [$0.1, $0.2] } == ["api_token", ""], "cut \(cut): the text's own name")
        }
    }

    /// A table's values are named by their column (the header row), wherever
    /// the body is cut; a value whose text names it keeps that name.
    @Test func aTableNamesItsValuesByColumn() throws {
        let other = "tok_klmnopqrst9876543210"
        let table = "id,owner,api_token,note\r\n1,\"Lee, Jo\",\(Self.token),\r\n2,Dana,\"x\",token=\(other)\r\n"
        let response = Array("HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: \(table.utf8.count)\r\n\r\n\(table)".utf8)
        for cut in stride(from: 1, to: response.count, by: 5) {
            var c = try Self.conversation(port: 8080)
            c.client("GET /export.csv HTTP/1.1\r\nHost: a\r\n\r\n")
            c.server(Array(response[..<cut]))
            c.server(Array(response[cut...]))
            let found = c.context.takeContentSightings().contents.map {
                [String(decoding: $0.match.value, as: UTF8.self), String(decoding: $0.match.field, as: UTF8.self)]
            }
            #expect(found.sorted { $0[0] < $1[0] } == [[Self.token, "api_token"], [other, "token"]], "cut \(cut)")
        }
    }

    /// Every byte of a mail but its delimiter lines reaches the scanner: a
    /// value in a header (of the message or of a part), in the preamble or
    /// the epilogue, in a quoted-printable or base64 part — each found once,
    /// named by its header, wherever the mail is cut.
    @Test func everyByteOfAMailIsScannedOnce() throws {
        let t = (1...6).map { "tok_mailtoken\($0)abcdefghij" }
        let b64 = Array("attached \(t[4])\r\n".utf8).base64Lines()
        let mail =
            "Subject: rotate \(t[0]) today\r\nX-Deploy-Token: \(t[1])\r\n"
            + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\nPreamble \(t[2])\r\n"
            + "--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\nX-Note: \(t[3])\r\n\r\n"
            + "see =\r\nabove\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n\(b64)\r\n--b--\r\nEpilogue \(t[5])\r\n"
        let client = Array("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n\(mail).\r\nQUIT\r\n".utf8)
        for cut in stride(from: 1, to: client.count, by: 3) {
            var c = try Self.conversation(port: 25)
            c.server("220 mx ESMTP\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n")
            c.client(Array(client[..<cut]))
            c.client(Array(client[cut...]))
            let found = c.context.takeContentSightings().contents.map {
                [String(decoding: $0.match.value, as: UTF8.self), $0.source?.name ?? "raw", String(decoding: $0.match.field, as: UTF8.self)]
            }
            #expect(
                found.sorted { $0[0] < $1[0] } == [
                    [t[0], "mime-headers", "Subject"], [t[1], "mime-headers", "X-Deploy-Token"],
                    [t[2], "smtp-message-part", ""], [t[3], "mime-headers", "X-Note"],
                    [t[4], "smtp-message-part", ""], [t[5], "smtp-message-part", ""],
                ], "cut \(cut)")
        }
    }

    /// Mail text the reader only passes over (the client's side resumed
    /// inside DATA after lost bytes) is scanned raw instead of hidden.
    @Test func mailTextAfterAGapIsScannedRaw() throws {
        var c = try Self.conversation(port: 25)
        c.server("220 mx ESMTP\r\n250 mx\r\n354 go\r\n")
        c.client("EHLO c\r\nDATA\r\nSubject: hi\r\n\r\nfirst\r\n")
        c.inspection.gap(direction: .toServer, offset: c.offsets.toServer, length: 40, context: &c.context)
        c.offsets.toServer += 40
        c.client("lost line's end\r\nthe key is \(Self.token) here\r\n.\r\nQUIT\r\n")
        let found = c.context.takeContentSightings().contents
        #expect(found.map { String(decoding: $0.match.value, as: UTF8.self) } == [Self.token])
        #expect(found.first?.source == nil, "the raw stream's")
    }

    /// A chunked message given up (a chunk without LAST refused, then RSET)
    /// and a new one: the new message is read from its start, not fed on into
    /// the old one's base64 part.
    @Test func aNewBdatMessageAfterRsetIsScanned() throws {
        let first = Array("Subject: a\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8g".utf8)
        let second = Array("Subject: b\r\n\r\nkey \(Self.token) here\r\n".utf8)
        var c = try Self.conversation(port: 25)
        c.server("220 mx ESMTP\r\n250-mx\r\n250 CHUNKING\r\n250 ok\r\n250 ok\r\n552 too big\r\n")
        c.client(Array("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT \(first.count)\r\n".utf8) + first)
        c.client(Array("RSET\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT \(second.count) LAST\r\n".utf8) + second)
        c.server("250 reset\r\n250 ok\r\n250 ok\r\n250 queued\r\n")
        c.client("QUIT\r\n")
        c.server("221 bye\r\n")
        let found = c.context.takeContentSightings().contents
        #expect(found.map { String(decoding: $0.match.value, as: UTF8.self) } == [Self.token])
        #expect(found.first?.source == .smtpMessagePart)
    }

    /// A mail part past its stream's cap (1 MiB, reachable with a deeper
    /// `--cleartext-depth-kb`): the rest is not decoded, so it is scanned raw.
    @Test func aMailPartPastItsCapIsScannedRaw() throws {
        var c = try Self.conversation(port: 110, depth: 8 << 20)
        c.context.cleartextDepth = 8 << 20
        let filler = String(repeating: String(repeating: "x", count: 70) + "\r\n", count: (1 << 20) / 72 + 200)
        let mail = "Subject: log\r\nContent-Type: text/plain\r\n\r\n" + filler + "key \(Self.token) here\r\n"
        c.server("+OK ready\r\n")
        c.client("USER bob\r\nPASS x\r\nRETR 1\r\n")
        c.server("+OK\r\n+OK in\r\n+OK \(mail.utf8.count) octets\r\n")
        for k in stride(from: 0, to: mail.utf8.count, by: 65_536) { c.server(Array(Array(mail.utf8)[k..<min(k + 65_536, mail.utf8.count)])) }
        c.server(".\r\n+OK bye\r\n")
        #expect(c.context.counters.content.decodedCapHits == 1)
        let found = c.context.takeContentSightings().contents
        #expect(found.map { String(decoding: $0.match.value, as: UTF8.self) } == [Self.token])
        #expect(found.first?.source == nil, "found by the raw scan")
    }

    /// An image whose bytes happen to hold a token after its header.
    static func imageResponse() -> (head: String, body: [UInt8]) {
        let body = Array("RIFF".utf8) + [0x10, 0, 0, 0] + Array("WEBPVP8 ".utf8) + [0x02, 0x01, 0, 0]
            + Array(" \(Self.token) ".utf8) + [UInt8](repeating: 0x7f, count: 600)
        return ("HTTP/1.1 200 OK\r\nContent-Type: image/webp\r\nContent-Length: \(body.count)\r\n\r\n", body)
    }

    @Test func aBinaryBodyIsSkippedAndCounted() throws {
        var c = try Self.conversation(port: 8080)
        let (head, body) = Self.imageResponse()
        c.client("GET /a.webp HTTP/1.1\r\nHost: a\r\n\r\n")
        c.server(head)
        c.server(body)
        #expect(c.context.takeContentSightings().isEmpty)
        #expect(c.context.counters.scan.binaryStreams == 1)
        #expect(c.context.counters.scan.binaryBytes == UInt64(body.count))
        // A text body on the same connection is still scanned.
        let text = "token: \(Self.token)\n"
        c.client("GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n")
        c.server("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)")
        #expect(c.context.takeContentSightings().contents.map(\.source) == [.httpResponseBody])
    }

    @Test func withScanBinaryABinaryBodyIsScanned() throws {
        var c = try Self.conversation(port: 8080)
        c.context.scanBinary = true
        let (head, body) = Self.imageResponse()
        c.client("GET /a.webp HTTP/1.1\r\nHost: a\r\n\r\n")
        c.server(head)
        c.server(body)
        #expect(c.context.takeContentSightings().contents.map(\.source) == [.httpResponseBody])
        #expect(c.context.counters.scan.binaryStreams == 0)
    }

    @Test func scanningStopsAtTheDepth() throws {
        var c = try Self.conversation(port: 7777, depth: 64)
        c.client("HELLO v1\n")
        c.server("OK\n")
        c.client(String(repeating: "x", count: 60) + " \(Self.token)\n")
        #expect(c.context.takeContentSightings().isEmpty)
        #expect(c.context.counters.scan.depthHits == 1)
        c.server(String(repeating: "y", count: 70))
        #expect(c.context.counters.scan.depthHits == 2)
        #expect(c.inspection.isDone, "both directions at the depth: the flow can be bypassed")
    }
}

extension [Sighting] {
    /// The content sightings, in order.
    var contents: [ContentSighting] { compactMap { if case .content(let c) = $0 { c } else { nil } } }
}

extension [UInt8] {
    /// Base64 in 76-character lines joined by CR LF (RFC 2045 §6.8).
    fileprivate func base64Lines() -> String {
        let text = base64(self)
        return stride(from: 0, to: text.count, by: 76).map { k in
            String(text.dropFirst(k).prefix(76))
        }.joined(separator: "\r\n")
    }
}
