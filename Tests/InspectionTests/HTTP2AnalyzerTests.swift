import Testing
import TestSupport
@testable import Flows
@testable import Inspection

// HTTP2Analyzer on byte-exact h2c exchanges built here from RFC 9113 (frames,
// §4.1 and §6) and RFC 7541 (header blocks: static-table indices and
// literals, the technique of Appendix C), fed whole, split at every byte of
// each direction, and byte by byte; identification by the preface and by
// `Upgrade: h2c` through FlowInspection.

// MARK: - Building frames and header blocks

enum H2 {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// §4.1: length (24 bits), type, flags, stream (31 bits), payload.
    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        be24(payload.count) + [type, flags] + [UInt8(stream >> 24), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)]
            + payload
    }

    static func settings(_ pairs: [(UInt16, UInt32)] = []) -> [UInt8] {
        frame(HTTP2Frame.settings, pairs.flatMap { id, v in be16(Int(id)) + be16(Int(v >> 16)) + be16(Int(v & 0xffff)) })
    }
    static let settingsAck = frame(HTTP2Frame.settings, flags: HTTP2Frame.ack)

    static func headers(_ stream: UInt32, _ block: [UInt8], endStream: Bool = false) -> [UInt8] {
        frame(HTTP2Frame.headers, flags: HTTP2Frame.endHeaders | (endStream ? HTTP2Frame.endStream : 0), stream: stream, block)
    }

    static func data(_ stream: UInt32, _ body: String, endStream: Bool = true) -> [UInt8] {
        frame(HTTP2Frame.data, flags: endStream ? HTTP2Frame.endStream : 0, stream: stream, Array(body.utf8))
    }

    /// §5.1 integer with an `n`-bit prefix and the pattern's high bits.
    static func integer(_ value: Int, prefixBits n: Int, pattern: UInt8) -> [UInt8] {
        let mask = (1 << n) - 1
        if value < mask { return [pattern | UInt8(value)] }
        var out = [pattern | UInt8(mask)]
        var v = value - mask
        while v >= 128 {
            out.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        return out + [UInt8(v)]
    }

    /// §5.2 string literal, not Huffman-coded.
    static func string(_ text: String) -> [UInt8] {
        integer(text.utf8.count, prefixBits: 7, pattern: 0) + Array(text.utf8)
    }

    /// §6.2.2 literal without indexing, new name.
    static func literal(_ name: String, _ value: String) -> [UInt8] { [0x00] + string(name) + string(value) }
    /// §6.2.1 literal with incremental indexing, new name.
    static func indexed(_ name: String, _ value: String) -> [UInt8] { [0x40] + string(name) + string(value) }
    /// §6.2.2 literal without indexing, name from static index `index`.
    static func literal(nameIndex index: Int, _ value: String) -> [UInt8] {
        integer(index, prefixBits: 4, pattern: 0) + string(value)
    }

    /// `GET /` over http to `svc:50051` (static indices 2, 6, 4; :authority literal).
    static let getRoot: [UInt8] = [0x82, 0x86, 0x84] + literal(nameIndex: 1, "svc:50051")
    /// A gRPC call: POST, the method path, content-type and te.
    static let grpcCall: [UInt8] = [0x83, 0x86] + literal(nameIndex: 4, "/plainsight.Demo/Get") + literal(nameIndex: 1, "svc:50051")
        + literal("content-type", "application/grpc") + literal("te", "trailers")

    static func status(_ code: String) -> [UInt8] {
        switch code {
        case "200": [0x88]
        case "404": [0x8d]
        default: literal(nameIndex: 8, code)
        }
    }
}

/// Drives one analyzer; offsets per direction.
struct H2Run {
    let analyzer: HTTP2Analyzer
    var context: InspectionContext
    var offsets: (toServer: UInt64, toClient: UInt64) = (0, 0)

    init(maxDepth: UInt64 = 1 << 20, context: InspectionContext = InspectionContext(), upgrade: H2CUpgrade? = nil) {
        analyzer = upgrade.map { HTTP2Analyzer(maxDepth: maxDepth, upgrade: $0) } ?? HTTP2Analyzer(maxDepth: maxDepth)
        self.context = context
        if let upgrade { offsets = (upgrade.toServer, upgrade.toClient) }
    }

    @discardableResult mutating func send(_ bytes: [UInt8], _ d: Direction) -> AnalyzerVerdict {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        let verdict = bytes.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: offset, context: &context) }
        if d == .toServer { offsets.toServer += UInt64(bytes.count) } else { offsets.toClient += UInt64(bytes.count) }
        return verdict
    }

    mutating func finish() {
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
    }

    var credentials: [CredentialSighting] {
        analyzer.sightings.compactMap { if case .credential(let c) = $0 { c } else { nil } }
    }
}

func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

/// Client and server byte streams of one exchange, fed client first or
/// cut at `clientSplit` / `serverSplit` (each half sent in order, client halves first).
func runExchange(
    client: [UInt8], server: [UInt8], clientSplit: Int? = nil, serverSplit: Int? = nil, interleaved: Bool = true
) -> H2Run {
    var run = H2Run()
    let c = clientSplit ?? client.count
    let s = serverSplit ?? server.count
    run.send(Array(client[..<c]), .toServer)
    if interleaved { run.send(Array(server[..<s]), .toClient) }
    run.send(Array(client[c...]), .toServer)
    if !interleaved { run.send(Array(server[..<s]), .toClient) }
    run.send(Array(server[s...]), .toClient)
    run.finish()
    #expect(run.context.bufferedBytes == 0, "everything charged is given back")
    return run
}

@Suite("HTTP2Analyzer")
struct HTTP2AnalyzerTests {
    static let bearerClient = H2.preface + H2.settings([(0x3, 100)]) + H2.frame(HTTP2Frame.windowUpdate, be16(0) + be16(0xffff))
        + H2.headers(1, H2.getRoot + H2.literal(nameIndex: 7, "ignored") + H2.literal("authorization", "Bearer tok-123"), endStream: true)
        + H2.settingsAck

    static func server(status: String) -> [UInt8] {
        H2.settings([(0x4, 65535), (0x5, 16384)]) + H2.settingsAck + H2.headers(1, H2.status(status))
            + H2.data(1, "hello") + H2.frame(HTTP2Frame.ping, flags: 0, counting(8))
    }

    @Test func bearerAcceptedBy200() {
        let run = runExchange(client: Self.bearerClient, server: Self.server(status: "200"))
        #expect(run.credentials.count == 1)
        #expect(run.credentials.first?.mechanism == .httpBearer)
        #expect(text(run.credentials.first?.secret) == "tok-123")
        #expect(run.credentials.first?.outcome == .accepted)
        #expect(run.analyzer.isDone)
    }

    @Test func bearerRejectedBy401() {
        let run = runExchange(client: Self.bearerClient, server: Self.server(status: "401"))
        #expect(run.credentials.map(\.outcome) == [.rejected])
    }

    @Test func everyClientSplit() {
        let server = Self.server(status: "401")
        for k in 0...Self.bearerClient.count {
            let run = runExchange(client: Self.bearerClient, server: server, clientSplit: k, interleaved: false)
            #expect(run.credentials.map(\.outcome) == [.rejected], "client split at \(k)")
        }
    }

    @Test func everyServerSplit() {
        let server = Self.server(status: "200")
        for k in 0...server.count {
            let run = runExchange(client: Self.bearerClient, server: server, serverSplit: k, interleaved: false)
            #expect(run.credentials.map(\.outcome) == [.accepted], "server split at \(k)")
        }
    }

    @Test func byteByByte() {
        var run = H2Run()
        for b in Self.bearerClient { run.send([b], .toServer) }
        for b in Self.server(status: "200") { run.send([b], .toClient) }
        #expect(run.credentials.map(\.outcome) == [.accepted])
        run.finish()
        #expect(run.context.bufferedBytes == 0)
    }

    /// §6.10: one header block across HEADERS and two CONTINUATION frames,
    /// cut inside the authorization literal; then split at every byte.
    @Test func continuationFramesMakeOneBlock() {
        let block = H2.getRoot + H2.literal("authorization", "Basic ZGVtbzpkZW1vLXBhc3N3b3Jk")
        let a = Array(block[..<12]), b = Array(block[12..<30]), c = Array(block[30...])
        let client = H2.preface + H2.settings()
            + H2.frame(HTTP2Frame.headers, flags: HTTP2Frame.endStream, stream: 1, a)
            + H2.frame(HTTP2Frame.continuation, stream: 1, b)
            + H2.frame(HTTP2Frame.continuation, flags: HTTP2Frame.endHeaders, stream: 1, c)
        let server = Self.server(status: "200")
        for k in 0...client.count {
            let run = runExchange(client: client, server: server, clientSplit: k, interleaved: false)
            #expect(run.credentials.count == 1, "split at \(k)")
            #expect(run.credentials.first?.mechanism == .httpBasic)
            #expect(text(run.credentials.first?.username) == "demo")
            #expect(text(run.credentials.first?.secret) == "demo-password")
            #expect(run.credentials.first?.outcome == .accepted)
        }
    }

    /// §6.2: PADDED (pad length byte, padding) and PRIORITY (5 bytes) around the fragment.
    @Test func paddingAndPriorityAreStripped() {
        let block = H2.getRoot + H2.literal("x-api-key", "key-abc")
        let payload: [UInt8] = [4] + [0x80, 0, 0, 3, 15] + block + [0, 0, 0, 0]
        let client = H2.preface + H2.settings()
            + H2.frame(HTTP2Frame.headers, flags: HTTP2Frame.endHeaders | HTTP2Frame.padded | HTTP2Frame.priorityFlag, stream: 1, payload)
        let run = runExchange(client: client, server: Self.server(status: "403"))
        #expect(run.credentials.map(\.mechanism) == [.httpAPIKey])
        #expect(text(run.credentials.first?.secret) == "key-abc")
        #expect(run.credentials.first?.outcome == .rejected)
    }

    @Test func padLengthPastThePayloadIsMalformed() {
        let client = H2.preface + H2.frame(HTTP2Frame.headers, flags: HTTP2Frame.endHeaders | HTTP2Frame.padded, stream: 1, [9, 0x82])
        var run = H2Run()
        run.send(client, .toServer)
        #expect(run.context.counters.http2Malformed == 1)
        #expect(run.analyzer.toServer.stopped)
    }

    /// HPACK state across requests: the second request names the token by
    /// its dynamic index (62) only, so it is found only if the first block's
    /// insertion was kept. Responses: 200 then 401.
    @Test func dynamicTableCarriesTheTokenToTheNextRequest() {
        let client = H2.preface + H2.settings()
            + H2.headers(1, H2.getRoot + H2.indexed("authorization", "Bearer shared-token"), endStream: true)
            + H2.headers(3, H2.getRoot + [0xbe], endStream: true)
        let server = H2.settings() + H2.headers(3, H2.status("401")) + H2.data(3, "no")
            + H2.headers(1, H2.status("200")) + H2.data(1, "ok")
        let run = runExchange(client: client, server: server)
        #expect(run.credentials.count == 2)
        #expect(run.credentials.allSatisfy { text($0.secret) == "shared-token" })
        // Settled in the order the responses came.
        #expect(run.credentials.map(\.outcome) == [.rejected, .accepted])
    }

    /// A size update to 0 then back (§6.3) between requests empties the table:
    /// a later reference to index 62 is then an error and stops the direction.
    @Test func sizeUpdateEmptiesTheTable() {
        let client = H2.preface + H2.settings()
            + H2.headers(1, H2.getRoot + H2.indexed("authorization", "Bearer t1"), endStream: true)
            + H2.headers(3, [0x20, 0x3f, 0xe1, 0x1f] + H2.getRoot + [0xbe], endStream: true)
        var run = H2Run()
        run.send(client, .toServer)
        #expect(run.context.counters.http2Malformed == 1)
        #expect(run.analyzer.toServer.stopped)
        run.finish()
        #expect(run.credentials.map(\.outcome) == [.unknown])  // the first one, without a response
        #expect(run.context.bufferedBytes == 0)
    }

    /// The server allows a 1 MiB table; the client's encoder takes 128 KiB:
    /// more than PlainSight keeps, so the client direction stops, counted.
    @Test func tableOverflowStopsTheDirection() {
        let client = H2.preface + H2.settings()
            + H2.headers(1, H2.integer(131_072, prefixBits: 5, pattern: 0x20) + H2.getRoot + H2.literal("authorization", "Bearer big"))
        var run = H2Run()
        run.send(H2.settings([(0x1, 1 << 20)]), .toClient)
        run.send(client, .toServer)
        #expect(run.context.counters.http2TableOverflows == 1)
        #expect(run.credentials.isEmpty)
        #expect(run.analyzer.toServer.stopped)
    }

    /// gRPC: `:status 200` and the verdict in the trailers' grpc-status.
    @Test(arguments: [("16", LoginOutcome.rejected), ("7", .rejected), ("0", .accepted), ("12", .accepted)])
    func grpcStatusInTrailers(_ grpcStatus: String, _ expected: LoginOutcome) {
        let client = H2.preface + H2.settings() + H2.headers(1, H2.grpcCall + H2.literal("authorization", "Bearer grpc-tok"))
            + H2.frame(HTTP2Frame.data, flags: HTTP2Frame.endStream, stream: 1, [0, 0, 0, 0, 0])
        let server = H2.settings() + H2.headers(1, [0x88] + H2.literal("content-type", "application/grpc"))
            + H2.frame(HTTP2Frame.data, stream: 1, [0, 0, 0, 0, 0])
            + H2.headers(1, H2.literal("grpc-status", grpcStatus) + H2.literal("grpc-message", "x"), endStream: true)
        for k in 0...server.count {
            let run = runExchange(client: client, server: server, serverSplit: k)
            #expect(run.credentials.map(\.outcome) == [expected], "split at \(k)")
        }
    }

    /// A trailers-only gRPC response (§ "Responses" of the gRPC HTTP/2 protocol): one HEADERS with END_STREAM.
    @Test func grpcTrailersOnlyResponse() {
        let client = H2.preface + H2.settings() + H2.headers(1, H2.grpcCall + H2.literal("x-api-key", "grpc-key"))
        let server = H2.settings()
            + H2.headers(1, [0x88] + H2.literal("content-type", "application/grpc") + H2.literal("grpc-status", "16"), endStream: true)
        let run = runExchange(client: client, server: server)
        #expect(run.credentials.map(\.mechanism) == [.httpAPIKey])
        #expect(run.credentials.map(\.outcome) == [.rejected])
    }

    @Test func rstStreamAndGoAwayLeaveItUnknown() {
        let client = H2.preface + H2.settings()
            + H2.headers(1, H2.getRoot + H2.literal("authorization", "Bearer a"), endStream: true)
            + H2.headers(3, H2.getRoot + H2.literal("authorization", "Bearer b"), endStream: true)
            + H2.headers(5, H2.getRoot + H2.literal("authorization", "Bearer c"), endStream: true)
        // RST_STREAM on 1 (CANCEL); GOAWAY: last processed stream 3; then 3 answered.
        let server = H2.settings() + H2.frame(HTTP2Frame.rstStream, stream: 1, [0, 0, 0, 8])
            + H2.frame(HTTP2Frame.goAway, [0, 0, 0, 3, 0, 0, 0, 0] + Array("bye".utf8))
            + H2.headers(3, H2.status("200"), endStream: true)
        var run = H2Run()
        run.send(client, .toServer)
        run.send(server, .toClient)
        let byToken = Dictionary(uniqueKeysWithValues: run.credentials.map { (text($0.secret)!, $0.outcome) })
        #expect(byToken == ["a": .unknown, "c": .unknown, "b": .accepted])
    }

    @Test func interimResponseWaitsForTheFinalOne() {
        let client = H2.preface + H2.settings() + H2.headers(1, H2.getRoot + H2.literal("cookie", "theme=dark; sessionid=s3cr3t"))
        let server = H2.settings() + H2.headers(1, H2.status("100")) + H2.headers(1, H2.status("404"), endStream: true)
        let run = runExchange(client: client, server: server)
        #expect(run.credentials.map(\.mechanism) == [.httpCookie])
        #expect(text(run.credentials.first?.username) == "sessionid")
        #expect(run.credentials.first?.outcome == .unknown)  // 404 says nothing of the cookie
    }

    @Test func pathQueryPasswordAndSetCookie() {
        let block: [UInt8] = [0x82, 0x86] + H2.literal(nameIndex: 4, "/login?user=demo&password=hunter2") + H2.literal(nameIndex: 1, "svc")
        let client = H2.preface + H2.settings() + H2.headers(1, block, endStream: true)
        let server = H2.settings() + H2.headers(1, [0x88] + H2.literal(nameIndex: 15 + 40, "PHPSESSID=abc123; Path=/"), endStream: true)
        let run = runExchange(client: client, server: server)
        let form = run.credentials.first { $0.mechanism == .httpForm }
        #expect(text(form?.username) == "demo" && text(form?.secret) == "hunter2" && form?.outcome == .accepted)
        let cookie = run.credentials.first { $0.mechanism == .httpCookie }
        #expect(cookie?.direction == .toClient && text(cookie?.secret) == "abc123")
    }

    @Test func noCredentialsNoSightings() {
        let client = H2.preface + H2.settings() + H2.headers(1, H2.getRoot + H2.literal("user-agent", "grpc-go/1.60"), endStream: true)
        let run = runExchange(client: client, server: Self.server(status: "401"))
        #expect(run.analyzer.sightings.isEmpty)
    }

    /// The client direction stops at the stream cap (the next request is not decoded), counted.
    @Test func streamCap() {
        var client = H2.preface + H2.settings()
        for k in 0...HTTP2Analyzer.maxStreams {
            client += H2.headers(UInt32(2 * k + 1), H2.getRoot, endStream: true)
        }
        client += H2.headers(UInt32(2 * HTTP2Analyzer.maxStreams + 3), H2.getRoot + H2.literal("authorization", "Bearer late"))
        var run = H2Run()
        run.send(client, .toServer)
        #expect(run.context.counters.http2StreamCapHits == 1)
        #expect(run.analyzer.streamsRead == HTTP2Analyzer.maxStreams)
        #expect(run.analyzer.toServer.stopped)
        run.finish()
        #expect(run.credentials.isEmpty)
    }

    /// Malformed frames: each stops its direction (counted), none crashes.
    @Test(arguments: [
        H2.frame(HTTP2Frame.continuation, flags: HTTP2Frame.endHeaders, stream: 1, [0x82]),  // no open block
        H2.frame(HTTP2Frame.headers, flags: HTTP2Frame.endHeaders, stream: 0, [0x82]),  // stream 0
        H2.frame(HTTP2Frame.headers, stream: 1, [0x82]) + H2.data(1, "x"),  // DATA inside a header block
        H2.frame(HTTP2Frame.headers, stream: 1, [0x82]) + H2.frame(HTTP2Frame.continuation, flags: HTTP2Frame.endHeaders, stream: 3, [0x84]),
        H2.frame(HTTP2Frame.settings, [0, 1, 0]),  // not a multiple of 6
        H2.frame(HTTP2Frame.settings, flags: HTTP2Frame.ack, [0, 0, 0, 0, 0, 0]),  // ACK with a payload
        H2.frame(HTTP2Frame.settings, stream: 1),  // SETTINGS on a stream
        H2.settings([(0x5, 100)]),  // SETTINGS_MAX_FRAME_SIZE below 16,384
        H2.frame(HTTP2Frame.rstStream, stream: 1, [0, 0, 8]),  // RST_STREAM of 3 bytes
        H2.frame(HTTP2Frame.goAway, stream: 1, [0, 0, 0, 0, 0, 0, 0, 0]),  // GOAWAY on a stream
        be24(16_385) + [0, 0, 0, 0, 0, 1],  // DATA above SETTINGS_MAX_FRAME_SIZE
        H2.headers(1, [0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]),  // undecodable header block
    ])
    func malformedFrames(_ frames: [UInt8]) {
        var run = H2Run()
        run.send(H2.preface + frames + H2.headers(3, H2.getRoot + H2.literal("authorization", "Bearer after")), .toServer)
        #expect(run.context.counters.http2Malformed == 1)
        #expect(run.analyzer.toServer.stopped)
        run.finish()
        #expect(run.credentials.isEmpty)
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func wrongPrefaceAfterUpgradeIsMalformed() {
        var run = H2Run(upgrade: H2CUpgrade(toServer: 10, toClient: 0, credentials: [], nextContentStream: 0))
        run.send(Array("GET / HTTP/1.1\r\n\r\n".utf8), .toServer)
        #expect(run.context.counters.http2Malformed == 1)
    }

    @Test func gapStopsTheDirection() {
        var run = H2Run()
        run.send(H2.preface + H2.settings(), .toServer)
        _ = run.analyzer.gap(direction: .toServer, offset: run.offsets.toServer, length: 100, context: &run.context)
        #expect(run.analyzer.toServer.stopped)
        #expect(run.analyzer.isDone)  // nothing was waiting: the server side stops too
    }

    @Test func depthStopsTheDirection() {
        var run = H2Run(maxDepth: 40)
        run.send(H2.preface + H2.settings() + H2.headers(1, H2.getRoot + H2.literal("authorization", "Bearer deep")), .toServer)
        #expect(run.analyzer.toServer.stopped)
        #expect(run.credentials.isEmpty)
    }

    /// A header block spanning chunks is copied; a budget that refuses the copy stops the direction.
    @Test func overBudgetCopyStops() {
        var run = H2Run(context: InspectionContext(maxBufferedBytes: 8))
        let client = H2.preface + H2.settings() + H2.headers(1, H2.getRoot + H2.literal("authorization", "Bearer over"))
        run.send(Array(client[..<(client.count - 5)]), .toServer)
        run.send(Array(client[(client.count - 5)...]), .toServer)
        #expect(run.context.counters.bufferCapHits >= 1)
        #expect(run.analyzer.toServer.stopped)
        run.finish()
        #expect(run.context.bufferedBytes == 0)
    }

    /// Random bytes after the preface, in random chunks: never a crash, budget returned.
    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 0x4832_6321)
        for _ in 0..<300 {
            var run = H2Run()
            var client = H2.preface
            var server: [UInt8] = []
            for _ in 0..<Int(rng.next() % 300) { client.append(UInt8(truncatingIfNeeded: rng.next())) }
            for _ in 0..<Int(rng.next() % 300) { server.append(UInt8(truncatingIfNeeded: rng.next())) }
            var i = 0, j = 0
            while i < client.count || j < server.count {
                let n = Int(rng.next() % 40) + 1
                if rng.next() % 2 == 0 && i < client.count {
                    let e = min(client.count, i + n)
                    run.send(Array(client[i..<e]), .toServer)
                    i = e
                } else if j < server.count {
                    let e = min(server.count, j + n)
                    run.send(Array(server[j..<e]), .toClient)
                    j = e
                } else {
                    let e = min(client.count, i + n)
                    run.send(Array(client[i..<e]), .toServer)
                    i = e
                }
            }
            run.finish()
            #expect(run.context.bufferedBytes == 0)
        }
    }
}

// MARK: - Identification and the Upgrade hand-off

@Suite("HTTP/2 identification and h2c upgrade")
struct HTTP2IdentificationTests {
    func flow(port: UInt16) -> FlowInspection {
        FlowInspection(serverPort: port, transport: .tcp, selection: .all)
    }

    func send(_ f: inout FlowInspection, _ bytes: [UInt8], _ d: Direction, _ offset: UInt64, _ c: inout InspectionContext) {
        bytes.withUnsafeBytes { f.ingest($0, direction: d, offset: offset, context: &c) }
    }

    /// Prior knowledge on a port nothing expects: the preface names it.
    @Test(arguments: [UInt16(50051), 8080, 12345])
    func prefaceIdentifiesHTTP2(_ port: UInt16) {
        var f = flow(port: port)
        var c = InspectionContext()
        let client = HTTP2AnalyzerTests.bearerClient
        send(&f, Array(client[..<10]), .toServer, 0, &c)
        send(&f, Array(client[10...]), .toServer, 10, &c)
        #expect(f.app == .http2)
        send(&f, HTTP2AnalyzerTests.server(status: "200"), .toClient, 0, &c)
        let found = f.takeSightings().compactMap { if case .credential(let s) = $0 { s } else { nil } }
        #expect(found.map(\.outcome) == [.accepted])
        #expect(text(found.first?.secret) == "tok-123")
    }

    /// The server's SETTINGS can arrive before the client's preface (nghttpd
    /// sends them at once): they go to identification unkept, and the reader
    /// picks the server direction up at its next frame.
    @Test func serverSettingsBeforeThePreface() {
        var f = flow(port: 8080)
        var c = InspectionContext()
        let settings = H2.settings([(0x3, 100)])
        send(&f, settings, .toClient, 0, &c)
        send(&f, HTTP2AnalyzerTests.bearerClient, .toServer, 0, &c)
        #expect(f.app == .http2)
        send(&f, H2.settingsAck + H2.headers(1, H2.status("401")), .toClient, UInt64(settings.count), &c)
        let found = f.takeSightings().compactMap { if case .credential(let s) = $0 { s } else { nil } }
        #expect(found.map(\.outcome) == [.rejected])
    }

    /// Look-alikes: an HTTP/1 request with a `PRI` method, a preface with
    /// another version, a preface cut short by other bytes.
    @Test(arguments: ["PRI * HTTP/1.1\r\nHost: a\r\n\r\n", "PRI * HTTP/2.1\r\n\r\nSM\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"])
    func lookAlikesAreNotHTTP2(_ start: String) {
        var f = flow(port: 80)
        var c = InspectionContext()
        send(&f, Array(start.utf8) + [UInt8](repeating: 0x20, count: 64), .toServer, 0, &c)
        #expect(f.app != .http2)
    }

    static let upgradeRequest = Array(
        ("GET /apikey HTTP/1.1\r\nHost: 127.0.0.1:18095\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
            + "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nX-API-Key: up-key-1\r\n\r\n").utf8)
    static let switching = Array("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n".utf8)

    /// RFC 7540 §3.2: `Upgrade: h2c` answered by 101. The server's SETTINGS
    /// and the stream 1 response come in the 101's segment; the request's
    /// credentials are settled by the HTTP/2 response on stream 1; a later
    /// request on stream 3 is read as HTTP/2.
    @Test func upgradeHandsTheStreamToHTTP2() {
        let client2 = H2.preface + H2.settings() + H2.settingsAck
            + H2.headers(3, H2.getRoot + H2.literal("authorization", "Bearer after-upgrade"), endStream: true)
        let server = Self.switching + H2.settings() + H2.headers(1, H2.status("200")) + H2.data(1, "ok")
        let server2 = H2.settingsAck + H2.headers(3, H2.status("401"), endStream: true)
        for split in [0, 10, Self.switching.count - 1, Self.switching.count, Self.switching.count + 5, server.count] {
            var f = flow(port: 18095)
            var c = InspectionContext()
            send(&f, Self.upgradeRequest, .toServer, 0, &c)
            #expect(f.app == .http)
            send(&f, Array(server[..<split]), .toClient, 0, &c)
            send(&f, Array(server[split...]), .toClient, UInt64(split), &c)
            send(&f, client2, .toServer, UInt64(Self.upgradeRequest.count), &c)
            send(&f, server2, .toClient, UInt64(server.count), &c)
            #expect(c.counters.h2cUpgrades == 1, "split \(split)")
            #expect(c.counters.httpMalformed == 0 && c.counters.http2Malformed == 0)
            let found = f.takeSightings().compactMap { if case .credential(let s) = $0 { s } else { nil } }
            #expect(found.map(\.mechanism) == [.httpAPIKey, .httpBearer], "split \(split)")
            #expect(found.map(\.outcome) == [.accepted, .rejected], "split \(split)")
        }
    }

    /// A 101 to another protocol (WebSocket), and an h2c offer the server
    /// ignores (200): no hand-off.
    @Test func noUpgradeWithoutH2CAnd101() {
        var f = flow(port: 80)
        var c = InspectionContext()
        send(&f, Self.upgradeRequest, .toServer, 0, &c)
        send(&f, Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".utf8), .toClient, 0, &c)
        #expect(c.counters.h2cUpgrades == 0)

        var g = flow(port: 80)
        send(&g, Self.upgradeRequest, .toServer, 0, &c)
        send(&g, Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8), .toClient, 0, &c)
        #expect(c.counters.h2cUpgrades == 0)
        let found = g.takeSightings().compactMap { if case .credential(let s) = $0 { s } else { nil } }
        #expect(found.map(\.outcome) == [.accepted])  // the HTTP/1 response settled it
    }
}
