import TestSupport
import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection
import Scanning

/// UTF-16LE text in a raw stream — SQL Server's queries and rows (TDS) — is
/// scanned as each direction's `utf16-text` stream.
@Suite struct WideTextScanTests {
    static let token = ContentScanFlowTests.token

    static func utf16(_ text: String) -> [UInt8] { Array(text.utf16).flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] } }

    /// A TDS packet (MS-TDS 2.2.3): type, status 1 (end of message), length, SPID, packet id, window.
    static func tds(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        let length = 8 + body.count
        return [type, 0x01, UInt8(length >> 8), UInt8(length & 0xff), 0x00, 0x00, 0x01, 0x00] + body
    }

    /// A SQL batch (type 1): the ALL_HEADERS block with a transaction descriptor header, then the query in UTF-16LE.
    static func sqlBatch(_ query: String) -> [UInt8] {
        let headers: [UInt8] = [22, 0, 0, 0, 18, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]
        return tds(0x01, headers + utf16(query))
    }

    /// A tabular result (type 4) with one NVARCHAR row: ROW token, length in bytes, the value.
    static func row(_ value: String) -> [UInt8] {
        let v = utf16(value)
        return tds(0x04, [0xd1, UInt8(v.count & 0xff), UInt8(v.count >> 8)] + v + [0xfd, 0x10, 0x00, 0xc1, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0])
    }

    static let query = "INSERT INTO api_keys (owner, value) VALUES (N'svc-deploy', N'\(token)')"

    @Test func aTokenInASQLServerBatchIsFoundAtEveryCut() throws {
        let batch = Self.sqlBatch(Self.query)
        let narrowedOffset = UInt64(Self.query.utf8.count - Self.token.utf8.count - 2)
        for cut in 1..<batch.count {
            var c = try ContentScanFlowTests.conversation(port: 1433)
            c.client(Array(batch[..<cut]))
            c.client(Array(batch[cut...]))
            c.server(Self.tds(0x04, [0xfd, 0x00, 0x00, 0xc1, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0]))
            c.inspection.end(direction: .toServer, context: &c.context)
            c.inspection.end(direction: .toClient, context: &c.context)
            let found = c.context.takeContentSightings().contents
            #expect(found.map(\.source) == [.utf16Text], "cut \(cut)")
            #expect(found.first?.direction == .toServer && found.first?.match.offset == narrowedOffset, "cut \(cut)")
            #expect(found.first?.match.value == Array(Self.token.utf8), "cut \(cut)")
        }
    }

    @Test func eachDirectionIsAStreamEndedOnceAndCounted() throws {
        var c = try ContentScanFlowTests.conversation(port: 1433)
        c.client(Self.sqlBatch("SELECT value FROM api_keys WHERE owner = N'svc-deploy'"))
        c.server(Self.row(Self.token))
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        let found = c.context.takeContentSightings().contents
        #expect(found.map(\.direction) == [.toClient] && found.first?.match.offset == 0)
        let kind = Int(ContentKind.utf16Text.rawValue)
        #expect(c.context.counters.content.streams[kind] == 2)
        let narrowed = "SELECT value FROM api_keys WHERE owner = N'svc-deploy'".utf8.count + Self.token.utf8.count
        #expect(c.context.counters.content.bytes[kind] == UInt64(narrowed))
        #expect(c.context.pieceScans.isEmpty, "both streams' scans ended")
    }

    /// UDP datagrams are scanned as sent only: the protocols that carry
    /// UTF-16 run over TCP, and DNS's datagrams are full of zero bytes.
    @Test func udpDatagramsAreNotReadNarrowed() throws {
        var i = FlowInspection(serverPort: 514, transport: .udp, selection: .all)
        var context = InspectionContext()
        context.content = .scanning(
            try ContentScanner(ContentRuleSet(rules: ContentRuleSet.parse(ContentScanFlowTests.rules, source: "t.yaml"))))
        let text = Self.utf16("key \(Self.token)\n")
        text.withUnsafeBytes { i.ingest($0, direction: .toServer, offset: 0, context: &context) }
        i.end(direction: .toServer, context: &context)
        #expect(context.takeContentSightings().isEmpty)
        #expect(context.counters.content.streams[Int(ContentKind.utf16Text.rawValue)] == 0)
        #expect(context.counters.scan.streamBytes == UInt64(text.count), "scanned as sent")
    }

    @Test func utf16InTLSIsNotScanned() throws {
        var c = try ContentScanFlowTests.conversation(port: 443)
        c.client(Sample.clientHello)
        c.client([0x17, 0x03, 0x03, 0x00, 0x60] + Self.utf16("..\(Self.token)......"))
        c.inspection.end(direction: .toServer, context: &c.context)
        #expect(c.inspection.app == .tls)
        #expect(c.context.takeContentSightings().isEmpty)
        #expect(c.context.counters.content.streams[Int(ContentKind.utf16Text.rawValue)] == 0)
    }

    @Test func theDepthEndsTheStream() throws {
        var c = try ContentScanFlowTests.conversation(port: 1433, depth: 200)
        c.client(Self.sqlBatch(String(repeating: "x", count: 60) + " \(Self.token) " + String(repeating: "y", count: 100)))
        #expect(c.context.counters.scan.depthHits == 1)
        #expect(c.context.counters.content.streams[Int(ContentKind.utf16Text.rawValue)] == 1, "ended at the depth")
        c.inspection.end(direction: .toServer, context: &c.context)
        #expect(c.context.counters.content.streams[Int(ContentKind.utf16Text.rawValue)] == 1, "and only then")
        #expect(c.context.takeContentSightings().contents.map(\.source) == [.utf16Text], "the token lies within the depth")
    }

    /// An Excel "Unicode text" export (UTF-16LE with its byte order mark,
    /// tab-separated) downloaded over HTTP gives what the same file in ASCII
    /// gives, cut at the same character.
    @Test func aUTF16FileIsScannedLikeTheSameFileInASCII() throws {
        // The second token is judged at the stream's end (its rule looks 24 bytes past it).
        let rows = "Name\tapi_token\tNotes\r\nAnn Lee\t\(Self.token)\tcall back\r\nBo Chen\ttok_klmnopqrst9876543210\tx\r\n"
        func download(_ file: [UInt8], cut: Int) throws -> [ContentSighting] {
            var c = try ContentScanFlowTests.conversation(port: 8080)
            c.client("GET /export.txt HTTP/1.1\r\nHost: a\r\n\r\n")
            c.server("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(file.count)\r\n\r\n")
            c.server(Array(file[..<cut]))
            c.server(Array(file[cut...]))
            c.inspection.end(direction: .toClient, context: &c.context)
            #expect(c.context.counters.scan.binaryStreams == 0)
            return c.context.takeContentSightings().contents
        }
        let file: [UInt8] = [0xff, 0xfe] + Self.utf16(rows)
        for cut in 1..<file.count {
            let found = try download(file, cut: cut)
            let ascii = try download(Array(rows.utf8), cut: max(0, (cut - 2) / 2))
            #expect(found.map(\.source) == [.httpResponseBody, .httpResponseBody], "cut \(cut)")
            #expect(found.map(\.match) == ascii.map(\.match), "cut \(cut)")
        }
        let whole = try download(file, cut: file.count)
        #expect(whole.map(\.match.offset) == [30, 74])
        #expect(whole.map(\.match.field) == [Array("api_token".utf8), Array("api_token".utf8)])
    }

    /// The narrowed text of one flow never reaches another's scan (they share scratch space).
    @Test func aUTF16FileThenASQLServerSessionOnTheSameContext() throws {
        var http = try ContentScanFlowTests.conversation(port: 8080)
        let file: [UInt8] = [0xff, 0xfe] + Self.utf16("api_token\r\n\(Self.token)\r\n")
        http.client("GET /export.txt HTTP/1.1\r\nHost: a\r\n\r\n")
        http.server("HTTP/1.1 200 OK\r\nContent-Length: \(file.count)\r\n\r\n")
        http.server(file)
        http.inspection.end(direction: .toClient, context: &http.context)
        #expect(http.context.takeContentSightings().contents.map(\.source) == [.httpResponseBody])
        var tds = Conversation(port: 1433)
        tds.context = http.context
        tds.client(Self.sqlBatch("SELECT name FROM t WHERE id = 1"))
        tds.inspection.end(direction: .toServer, context: &tds.context)
        #expect(tds.context.takeContentSightings().isEmpty)
        let kind = Int(ContentKind.utf16Text.rawValue)
        #expect(tds.context.counters.content.bytes[kind] == UInt64("SELECT name FROM t WHERE id = 1".utf8.count))
    }

    static let done: [UInt8] = [0xfd, 0x10, 0x00, 0xc1, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0]

    /// A tabular result with one row of NVARCHAR values, each after its length in bytes.
    static func row(_ values: [String]) -> [UInt8] {
        var body: [UInt8] = [0xd1]
        for v in values { let b = utf16(v); body += [UInt8(b.count & 0xff), UInt8(b.count >> 8)] + b }
        return tds(0x04, body + done)
    }

    /// The token (24 characters: its length reads as "0") in rows of other shapes
    /// (found by a review: only rows that were a chain from their first byte were split).
    @Test(arguments: [
        ["Ann Lee"],  // a short value before it: its length (14) is no character
        ["x", "admin"],  // a 5-character value after it: its length is a line feed
        [String(repeating: "a", count: 40), String(repeating: "b", count: 40), String(repeating: "c", count: 40)],  // a wide row
    ])
    func aTokenInARowOfOtherValuesIsFound(others: [String]) throws {
        var c = try ContentScanFlowTests.conversation(port: 1433)
        c.client(Self.sqlBatch("SELECT name, api_token FROM users"))
        let values = others.first == "x" ? [Self.token, "admin"] : others + [Self.token]
        c.server(Self.row(values))
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        let found = c.context.takeContentSightings().contents
        #expect(found.map(\.source) == [.utf16Text] && found.first?.match.value == Array(Self.token.utf8))
        c.inspection.release(&c.context)
        #expect(c.context.scanBudget.bytes == 0)
    }

    @Test func aTokenAfterASmallIntIsFound() throws {
        var c = try ContentScanFlowTests.conversation(port: 1433)
        c.client(Self.sqlBatch("SELECT id, api_token FROM users"))
        let t = Self.utf16(Self.token)
        c.server(Self.tds(0x04, [0xd1, 0x41, 0x00, UInt8(t.count), 0x00] + t + Self.done))  // SMALLINT 65 reads as "A"
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        #expect(c.context.takeContentSightings().contents.map(\.source) == [.utf16Text])
    }

    /// A run that ends a packet is held (it may go on in the next); the reply
    /// ends it, and the scanner reads it (a hit near the end of what a stream
    /// said waits, as everywhere, for more of it or its end).
    @Test func aQuerysRunEndsWhenTheServerAnswers() throws {
        var c = try ContentScanFlowTests.conversation(port: 1433)
        let query = "SELECT 1 WHERE k = N'\(Self.token)'"
        c.client(Self.sqlBatch(query))
        let kind = Int(ContentKind.utf16Text.rawValue)
        #expect(c.context.counters.content.bytes[kind] == 0, "held: the query may go on")
        c.server(Self.row(["ok"]))
        #expect(c.context.counters.content.bytes[kind] == UInt64(query.utf8.count))
        c.inspection.end(direction: .toServer, context: &c.context)
        #expect(c.context.takeContentSightings().contents.map(\.source) == [.utf16Text])
    }

    /// A Unicode-text export whose names have accents keeps its columns.
    @Test func aUTF16TableWithAccentsNamesItsColumns() throws {
        let rows = "Name\tCountry\tapi_token\r\nM\u{fc}ller\t\u{d6}sterreich\t\(Self.token)\r\n"
        let file: [UInt8] = [0xff, 0xfe] + Self.utf16(rows)
        var c = try ContentScanFlowTests.conversation(port: 8080)
        c.client("GET /export.txt HTTP/1.1\r\nHost: a\r\n\r\n")
        c.server("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(file.count)\r\n\r\n")
        c.server(file)
        c.inspection.end(direction: .toClient, context: &c.context)
        let found = c.context.takeContentSightings().contents
        #expect(found.map(\.match.field) == [Array("api_token".utf8)])
        #expect(found.first?.match.offset == UInt64(Array(rows.utf16).count - 26), "in code units")
    }
}
