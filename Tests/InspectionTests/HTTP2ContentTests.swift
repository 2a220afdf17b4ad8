import Testing
import TestSupport
@testable import Flows
@testable import Inspection
import Scanning

// HTTP2Analyzer as a content source, on byte-exact h2c exchanges (RFC 9113
// frames, RFC 7541 header blocks built by `H2` and Huffman-coded below):
// each header block becomes an `http2-headers` stream of `name: value`
// lines, DATA frames become the request's or response's body (padding
// dropped, split anywhere), gRPC bodies stay raw, and the content scanner
// then finds a token HPACK carried Huffman-coded.

extension H2 {
    /// §5.2 string literal, Huffman-coded (Appendix B), padded with ones.
    static func huffman(_ text: String) -> [UInt8] {
        let table = HPACKHuffman.canonical
        var out: [UInt8] = []
        var bits: UInt64 = 0
        var count = 0
        for byte in text.utf8 {
            let length = Int(HPACKHuffman.codeLengths[Int(byte)])
            bits = bits << UInt64(length) | UInt64(table.code(of: Int(byte)))
            count += length
            while count >= 8 {
                count -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt64(count)))
            }
        }
        if count > 0 { out.append(UInt8(truncatingIfNeeded: bits << UInt64(8 - count)) | UInt8(0xff >> count)) }
        return integer(out.count, prefixBits: 7, pattern: 0x80) + out
    }

    /// §6.2.2 literal without indexing, new name, Huffman-coded value.
    static func huffmanLiteral(_ name: String, _ value: String) -> [UInt8] { [0x00] + string(name) + huffman(value) }

    /// `POST /orders` over http to `svc:8080` with a media type.
    static func post(_ contentType: String, extra: [UInt8] = []) -> [UInt8] {
        [0x83, 0x86] + literal(nameIndex: 4, "/orders") + literal(nameIndex: 1, "svc:8080")
            + literal("content-type", contentType) + extra
    }

    static func dataFrame(_ stream: UInt32, _ bytes: [UInt8], endStream: Bool, pad: Int? = nil) -> [UInt8] {
        let flags = (endStream ? HTTP2Frame.endStream : 0) | (pad == nil ? 0 : HTTP2Frame.padded)
        let payload = pad.map { [UInt8($0)] + bytes + [UInt8](repeating: 0, count: $0) } ?? bytes
        return frame(HTTP2Frame.data, flags: flags, stream: stream, payload)
    }
}

@Suite("HTTP2 content")
struct HTTP2ContentTests {
    static let json = Array(#"{"card_number": "4111 1111 1111 1111", "note": "x"}"#.utf8)

    /// A POST whose body comes in two DATA frames (the second padded), and
    /// a 200 whose body ends with trailers.
    static let client = H2.preface + H2.settings()
        + H2.headers(1, H2.post("application/json", extra: H2.huffmanLiteral("x-api-key", "key-0123456789abcdef")))
        + H2.dataFrame(1, Array(json[..<20]), endStream: false) + H2.dataFrame(1, Array(json[20...]), endStream: true, pad: 5)
    static let server = H2.settings() + H2.settingsAck
        + H2.headers(1, H2.status("200") + H2.literal("content-type", "text/plain"))
        + H2.dataFrame(1, Array("hello ".utf8), endStream: false) + H2.frame(HTTP2Frame.ping, [UInt8](repeating: 0, count: 8))
        + H2.dataFrame(1, Array("world".utf8), endStream: false)
        + H2.headers(1, H2.literal("x-trailer", "done"), endStream: true)

    static func recording() -> (InspectionContext, ContentRecorder) {
        let recorder = ContentRecorder()
        var context = InspectionContext()
        context.content = .recording(recorder)
        return (context, recorder)
    }

    static func streams(_ r: ContentRecorder) -> [String] {
        r.streams.map { "\($0.kind.name) \($0.direction == .toServer ? ">" : "<") \(String(decoding: $0.bytes, as: UTF8.self))" }
    }

    static let expected = [
        "http2-headers > :method: POST\r\n:scheme: http\r\n:path: /orders\r\n:authority: svc:8080\r\n"
            + "content-type: application/json\r\nx-api-key: key-0123456789abcdef\r\n",
        "http-request-body > " + String(decoding: json, as: UTF8.self),
        "http2-headers < :status: 200\r\ncontent-type: text/plain\r\n",
        "http-response-body < hello world",
        "http2-headers < x-trailer: done\r\n",
    ]

    /// Every cut of each direction: the same streams, each ended once and complete.
    @Test func headerBlocksAndBodiesAreDelivered() {
        for (clientCut, serverCut) in (0...Self.client.count).map({ ($0, Self.server.count / 2) })
            + (0...Self.server.count).map({ (Self.client.count / 3, $0) })
        {
            let (context, recorder) = Self.recording()
            var run = H2Run(context: context)
            run.send(Array(Self.client[..<clientCut]), .toServer)
            run.send(Array(Self.server[..<serverCut]), .toClient)
            run.send(Array(Self.client[clientCut...]), .toServer)
            run.send(Array(Self.server[serverCut...]), .toClient)
            run.finish()
            let label = "cuts \(clientCut) \(serverCut)"
            #expect(Self.streams(recorder).sorted() == Self.expected.sorted(), "\(label)")
            #expect(recorder.violations.isEmpty, "\(label): \(recorder.violations)")
            #expect(recorder.streams.allSatisfy { $0.complete == true }, "\(label)")
            #expect(recorder.streams.first { $0.kind == .httpRequestBody }?.mediaType == "application/json")
            #expect(Set(recorder.streams.map(\.id)).count == recorder.streams.count, "stream numbers are unique")
            #expect(run.context.bufferedBytes == 0, "\(label): everything charged is given back")
            #expect(run.context.counters.http2Malformed == 0)
        }
    }

    /// Byte by byte in both directions: nothing depends on where a frame is cut.
    @Test func byteByByte() {
        let (context, recorder) = Self.recording()
        var run = H2Run(context: context)
        for b in Self.client { run.send([b], .toServer) }
        for b in Self.server { run.send([b], .toClient) }
        run.finish()
        #expect(Self.streams(recorder).sorted() == Self.expected.sorted())
        #expect(recorder.violations.isEmpty)
    }

    /// A gzip response body is inflated, as an HTTP/1 one is.
    @Test func aGzipBodyIsInflated() {
        // python3 -c 'import gzip; print(list(gzip.compress(b"secret=tok_abcdefghij0123456789\n", mtime=0)))'
        let gz: [UInt8] = [
            31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 43, 78, 77, 46, 74, 45, 177, 45, 201, 207, 142, 79, 76, 74, 78, 73, 77, 75,
            207, 200, 204, 50, 48, 52, 50, 54, 49, 53, 51, 183, 176, 228, 2, 0, 230, 233, 23, 169, 32, 0, 0, 0,
        ]
        let (context, recorder) = Self.recording()
        var run = H2Run(context: context)
        run.send(H2.preface + H2.settings() + H2.headers(1, H2.getRoot, endStream: true), .toServer)
        run.send(
            H2.settings() + H2.headers(1, H2.status("200") + H2.literal("content-encoding", "gzip"))
                + H2.dataFrame(1, Array(gz[..<30]), endStream: false) + H2.dataFrame(1, Array(gz[30...]), endStream: true),
            .toClient)
        run.finish()
        let body = recorder.streams.first { $0.kind == .httpResponseBody }
        #expect(body.map { String(decoding: $0.bytes, as: UTF8.self) } == "secret=tok_abcdefghij0123456789\n")
        #expect(body?.complete == true)
    }

    /// br and zstd response bodies are decompressed too, over DATA frames cut anywhere.
    @Test(arguments: [TestCoding.brotli(), .zstd()])
    func brotliAndZstdBodiesAreDecompressed(coding: TestCoding) {
        let text = Array((0..<300).map { "row \($0): secret=tok_abcdefghij0123456789\n" }.joined().utf8)
        let compressed = coding.compress(text)
        for cut in stride(from: 1, to: compressed.count, by: max(1, compressed.count / 13)) {
            let (context, recorder) = Self.recording()
            var run = H2Run(context: context)
            run.send(H2.preface + H2.settings() + H2.headers(1, H2.getRoot, endStream: true), .toServer)
            run.send(
                H2.settings() + H2.headers(1, H2.status("200") + H2.literal("content-encoding", coding.name))
                    + H2.dataFrame(1, Array(compressed[..<cut]), endStream: false)
                    + H2.dataFrame(1, Array(compressed[cut...]), endStream: true),
                .toClient)
            run.finish()
            let body = recorder.streams.first { $0.kind == .httpResponseBody }
            #expect(body?.bytes == text, "cut \(cut)")
            #expect(body?.complete == true, "cut \(cut)")
            #expect(run.context.bufferedBytes == 0)
        }
    }

    /// A gRPC Length-Prefixed-Message: the Compressed-Flag, a 4-byte big-endian length, the message.
    static func grpcMessage(_ message: [UInt8], compressed: Bool) -> [UInt8] {
        let n = UInt32(message.count)
        return [compressed ? 1 : 0, UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + message
    }

    /// gRPC with `grpc-encoding` gzip or zstd: each message is a
    /// `grpc-message` stream, decompressed when its flag says so, in both
    /// directions, the DATA cut anywhere. Without `grpc-encoding` a message
    /// flagged compressed is not delivered; the plain one still is.
    @Test(arguments: [TestCoding.gzip, .zstd()])
    func compressedGRPCMessagesAreDecompressed(coding: TestCoding) {
        // protobuf: field 1 (string) "demo", field 2 (string) the token
        let protobuf: [UInt8] = [0x0a, 4] + Array("demo".utf8) + [0x12, 24] + Array("tok_abcdefghij0123456789".utf8)
        let reply: [UInt8] = [0x0a, 11] + Array("dana@corp.i".utf8)
        let request = Self.grpcMessage(coding.compress(protobuf), compressed: true) + Self.grpcMessage(Array("plain".utf8), compressed: false)
        let response = Self.grpcMessage(coding.compress(reply), compressed: true)
        let encoding = H2.literal("grpc-encoding", coding.name)
        for cut in 1..<request.count {
            let (context, recorder) = Self.recording()
            var run = H2Run(context: context)
            run.send(
                H2.preface + H2.settings() + H2.headers(1, H2.grpcCall + encoding)
                    + H2.dataFrame(1, Array(request[..<cut]), endStream: false) + H2.dataFrame(1, Array(request[cut...]), endStream: true),
                .toServer)
            run.send(
                H2.settings() + H2.headers(1, H2.status("200") + H2.literal("content-type", "application/grpc") + encoding)
                    + H2.dataFrame(1, response, endStream: false) + H2.headers(1, H2.literal("grpc-status", "0"), endStream: true),
                .toClient)
            run.finish()
            let messages = recorder.streams.filter { $0.kind == .grpcMessage }
            #expect(messages.map(\.bytes) == [protobuf, Array("plain".utf8), reply], "cut \(cut)")
            #expect(messages.map(\.direction) == [.toServer, .toServer, .toClient])
            #expect(messages.allSatisfy { $0.complete == true })
            #expect(run.context.bufferedBytes == 0)
        }
        // The same call without grpc-encoding.
        let (context, recorder) = Self.recording()
        var run = H2Run(context: context)
        run.send(H2.preface + H2.settings() + H2.headers(1, H2.grpcCall) + H2.dataFrame(1, request, endStream: true), .toServer)
        run.finish()
        #expect(recorder.streams.map(\.kind) == [.http2Headers, .grpcMessage])
        #expect(recorder.streams.last?.bytes == Array("plain".utf8))
        #expect(run.context.counters.content.unsupportedCodings == 0)
    }

    /// An uncompressed gRPC message is de-framed: its prefix is not part of
    /// it; an empty message delivers nothing.
    @Test func plainGRPCMessagesAreDeFramed() {
        let (context, recorder) = Self.recording()
        var run = H2Run(context: context)
        run.send(
            H2.preface + H2.settings() + H2.headers(1, H2.grpcCall)
                + H2.dataFrame(1, [0, 0, 0, 0, 2, 0x0a, 0] + [0, 0, 0, 0, 0], endStream: true), .toServer)
        run.finish()
        #expect(recorder.streams.map(\.kind) == [.http2Headers, .grpcMessage])
        #expect(recorder.streams.last?.bytes == [0x0a, 0])
        #expect(recorder.streams.allSatisfy { $0.complete == true } && recorder.violations.isEmpty)
    }

    /// RST_STREAM from either side ends a body cut short; past
    /// `maxOpenBodies` bodies in flight a body is left to the raw scan, counted.
    @Test func resetBodiesEndIncompleteAndOpenBodiesAreCapped() {
        let (context, recorder) = Self.recording()
        var run = H2Run(context: context)
        var client = H2.preface + H2.settings()
        let streams = (0...HTTP2Analyzer.maxOpenBodies).map { UInt32(2 * $0 + 1) }
        for s in streams { client += H2.headers(s, H2.post("text/plain")) + H2.dataFrame(s, Array("part \(s)".utf8), endStream: false) }
        run.send(client, .toServer)
        #expect(run.context.counters.http2BodyCapHits == 1)
        run.send(H2.settings() + H2.frame(HTTP2Frame.rstStream, stream: 1, [0, 0, 0, 8]), .toClient)
        let bodies = recorder.streams.filter { $0.kind == .httpRequestBody }
        #expect(bodies.count == HTTP2Analyzer.maxOpenBodies)
        #expect(bodies.first?.complete == false, "stream 1 was reset")
        #expect(bodies.dropFirst().allSatisfy { $0.complete == nil }, "the others are still open")
        run.finish()
        #expect(recorder.open.isEmpty, "a direction's end ends its bodies")
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func padLengthPastADataFrameIsMalformed() {
        let (context, _) = Self.recording()
        var run = H2Run(context: context)
        run.send(H2.preface + H2.settings() + H2.headers(1, H2.post("text/plain")), .toServer)
        run.send(H2.frame(HTTP2Frame.data, flags: HTTP2Frame.padded, stream: 1, [9, 0x41, 0x42]), .toServer)
        #expect(run.context.counters.http2Malformed == 1)
        #expect(run.analyzer.toServer.stopped)
        run.finish()
        #expect(run.context.bufferedBytes == 0)
    }

    /// Through FlowInspection and the scanner: a token HPACK sent
    /// Huffman-coded (invisible on the wire) is found in the header
    /// stream, named by its header; one sent as a plain literal and one in
    /// a DATA body are found once, decoded, not again in the raw stream.
    @Test func theScannerFindsHuffmanCodedValuesOnce() throws {
        let inHeader = "tok_abcdefghij0123456789"
        let inBody = "tok_klmnopqrst9876543210"
        let plain = "tok_uvwxyzabcd5555666677"
        let client = H2.preface + H2.settings()
            + H2.headers(1, H2.post("application/json", extra: H2.huffmanLiteral("x-service-token", inHeader) + H2.literal("x-plain", plain)))
            + H2.dataFrame(1, Array("{\"token\": \"\(inBody)\"}".utf8), endStream: true)
        #expect(!String(decoding: client, as: UTF8.self).contains(inHeader), "Huffman-coded on the wire")
        var c = try ContentScanFlowTests.conversation(port: 50051)
        c.client(client)
        c.server(H2.settings() + H2.headers(1, H2.status("200"), endStream: true))
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        #expect(c.inspection.app == .http2)
        let found = c.context.takeContentSightings().contents.map {
            [String(decoding: $0.match.value, as: UTF8.self), $0.source?.name ?? "stream", String(decoding: $0.match.field, as: UTF8.self)]
        }
        #expect(found.sorted { $0[0] < $1[0] } == [
            [inHeader, "http2-headers", "x-service-token"], [inBody, "http-request-body", "token"], [plain, "http2-headers", "x-plain"],
        ])
    }

    /// The tokens the scanner reports on a whole h2c exchange, with their source.
    static func scanned(_ client: [UInt8], server: [UInt8] = H2.settings()) throws -> (found: [String], context: InspectionContext) {
        var c = try ContentScanFlowTests.conversation(port: 50051)
        c.client(client)
        c.server(server)
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        let found = c.context.takeContentSightings().contents.map {
            String(decoding: $0.match.value, as: UTF8.self) + " " + ($0.source?.name ?? "stream")
        }
        return (found, c.context)
    }

    static let token = "tok_abcdefghij0123456789"

    /// Wire bytes are skipped by the raw scan only when they surely reached
    /// it decoded. Each case hid a plain-literal token in a first version
    /// (found by review); each is now found once: decoded, or raw.
    @Test func bytesNotDeliveredDecodedAreScannedRaw() throws {
        let plain = H2.literal("x-plain", Self.token)
        // A block without END_HEADERS, then a PING: malformed, never decoded.
        let unfinished = H2.preface + H2.settings()
            + H2.frame(HTTP2Frame.headers, flags: HTTP2Frame.endStream, stream: 1, H2.getRoot + plain)
            + H2.frame(HTTP2Frame.ping, [UInt8](repeating: 0, count: 8))
        #expect(try Self.scanned(unfinished).found == ["\(Self.token) stream"])
        // HEADERS padding: only the fragment is delivered decoded.
        let padding = Array("x \(Self.token) y".utf8)
        let padded = H2.preface + H2.settings()
            + H2.frame(
                HTTP2Frame.headers, flags: HTTP2Frame.endHeaders | HTTP2Frame.endStream | HTTP2Frame.padded, stream: 1,
                [UInt8(padding.count)] + H2.getRoot + padding)
        #expect(try Self.scanned(padded).found == ["\(Self.token) stream"])
        // The request past the stream cap is not decoded.
        var capped = H2.preface + H2.settings()
        for k in 0..<HTTP2Analyzer.maxStreams { capped += H2.headers(UInt32(2 * k + 1), H2.getRoot, endStream: true) }
        capped += H2.headers(UInt32(2 * HTTP2Analyzer.maxStreams + 1), H2.getRoot + plain, endStream: true)
        let cap = try Self.scanned(capped)
        #expect(cap.found == ["\(Self.token) stream"] && cap.context.counters.http2StreamCapHits == 1)
        // A header list past `maxHeaderListSize`: the fields past it are not delivered.
        let long = H2.getRoot + H2.indexed("x-fill", String(repeating: "a", count: 4000)) + [UInt8](repeating: 0xbe, count: 15)
            + H2.literal("x-f2", String(repeating: "b", count: 1374)) + plain
        let truncated = try Self.scanned(H2.preface + H2.settings() + H2.headers(1, long, endStream: true))
        #expect(truncated.found == ["\(Self.token) stream"] && truncated.context.counters.http2TruncatedHeaderLists == 1)
        // A body labelled gzip that is not: the decoder stops, its bytes are scanned raw.
        let notGzip = H2.preface + H2.settings()
            + H2.headers(1, H2.post("text/plain", extra: H2.literal("content-encoding", "gzip")))
            + H2.dataFrame(1, Array("token \(Self.token) end\n".utf8), endStream: true)
        let corrupt = try Self.scanned(notGzip)
        #expect(corrupt.found == ["\(Self.token) stream"] && corrupt.context.counters.content.corruptCompressed == 1)
    }

    /// A control byte in one header value does not make the block a binary file.
    @Test func aBinaryHeaderValueHidesNothing() throws {
        let block = H2.getRoot + H2.literal("x-bin", "\u{0}") + H2.literal("x-plain", Self.token)
        let run = try Self.scanned(H2.preface + H2.settings() + H2.headers(1, block, endStream: true))
        #expect(run.found == ["\(Self.token) http2-headers"])
        #expect(run.context.counters.scan.binaryStreams == 0)
    }

    /// Decoding content keeps the server side read after the client ended,
    /// for its bodies only: credentials come out the same either way.
    @Test func credentialsDoNotDependOnContent() {
        func sightings(content: Bool) -> Int {
            var context = InspectionContext()
            if content { context.content = .recording(ContentRecorder()) }
            var run = H2Run(context: context)
            run.send(H2.preface + H2.settings() + H2.headers(1, H2.getRoot, endStream: true), .toServer)
            run.analyzer.end(direction: .toServer, context: &run.context)
            run.send(
                H2.settings()
                    + H2.headers(1, H2.status("200") + H2.literal("set-cookie", "sessionid=abcdef0123456789abcdef; Path=/"), endStream: true),
                .toClient)
            run.analyzer.end(direction: .toClient, context: &run.context)
            return run.analyzer.sightings.count
        }
        #expect(sightings(content: false) == 0)
        #expect(sightings(content: true) == 0)
    }

    /// After `Upgrade: h2c`, HTTP/2's streams are numbered on from the HTTP/1 ones.
    @Test func streamNumbersGoOnAfterAnUpgrade() {
        let recorder = ContentRecorder()
        var c = Conversation(port: 80)
        c.context.content = .recording(recorder)
        let form = "a=1&b=2"
        c.client(
            "POST /f HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: \(form.utf8.count)\r\n\r\n\(form)")
        c.server(
            Array("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n".utf8) + H2.settings()
                + H2.headers(1, H2.status("200") + H2.literal("content-type", "text/plain")) + H2.dataFrame(1, Array("hi".utf8), endStream: true))
        c.client(H2.preface + H2.settings() + H2.headers(3, H2.post("text/plain")) + H2.dataFrame(3, Array("body".utf8), endStream: true))
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        #expect(recorder.streams.map(\.kind) == [
            .httpFormValue, .httpFormValue, .http2Headers, .httpResponseBody, .http2Headers, .httpRequestBody,
        ])
        #expect(recorder.streams.map(\.id) == Array(0..<6))
        #expect(recorder.violations.isEmpty && recorder.open.isEmpty)
    }
}
