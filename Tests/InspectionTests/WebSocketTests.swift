import CZlib
import TestSupport
import Testing
@testable import Flows
@testable import Inspection

// WebSocket after an HTTP/1.1 `101` (RFC 6455), through FlowInspection with
// the content stage recording: frames built byte-exact here — masked from the
// client with a key per frame (§5.3), fragmented (§5.4), control frames
// between fragments (§5.5) — and compressed by zlib's own deflater as
// permessage-deflate does it (RFC 7692 §7.2.1: a sync flush per message, its
// `00 00 FF FF` removed, one window kept from message to message).

/// Frames and handshakes.
enum WS {
    static let key: [UInt8] = [0x37, 0xfa, 0x21, 0x3d]

    /// One frame; `mask` nil sends it unmasked (a server's).
    static func frame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false, mask: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        switch payload.count {
        case ..<126: out.append(maskBit | UInt8(payload.count))
        case ..<65_536: out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        default: out += [maskBit | 127] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: payload.count >> (8 * $0)) }
        }
        guard let mask else { return out + payload }
        return out + mask + payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
    }

    static func text(_ s: String, fin: Bool = true, mask: [UInt8]? = nil) -> [UInt8] { frame(1, Array(s.utf8), fin: fin, mask: mask) }

    static func request(extensions: String? = "permessage-deflate; client_max_window_bits") -> [UInt8] {
        ascii(
            "GET /orders HTTP/1.1\r\nHost: shop.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + (extensions.map { "Sec-WebSocket-Extensions: \($0)\r\n" } ?? "") + "\r\n")
    }

    static func switching(extensions: String? = "permessage-deflate; server_max_window_bits=15") -> [UInt8] {
        ascii(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                + (extensions.map { "Sec-WebSocket-Extensions: \($0)\r\n" } ?? "") + "\r\n")
    }
}

/// A permessage-deflate sender: one raw-DEFLATE stream per direction.
final class MessageDeflater {
    private var stream = z_stream()
    private let takeover: Bool

    init(takeover: Bool = true) {
        self.takeover = takeover
        precondition(
            deflateInit2_(&stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    }

    deinit { deflateEnd(&stream) }

    /// The message's payload: compressed, sync-flushed, the flush's last 4 bytes removed.
    func compress(_ message: [UInt8]) -> [UInt8] {
        var input = message
        var out = [UInt8](repeating: 0, count: message.count + 1024)
        let produced = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                stream.next_in = i.baseAddress
                stream.avail_in = uInt(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = uInt(o.count)
                precondition(deflate(&stream, Z_SYNC_FLUSH) == Z_OK && stream.avail_in == 0)
                return o.count - Int(stream.avail_out)
            }
        }
        precondition(Array(out[(produced - 4)..<produced]) == [0, 0, 0xff, 0xff])
        if !takeover { deflateReset(&stream) }
        return Array(out[..<(produced - 4)])
    }
}

@Suite("WebSocket")
struct WebSocketTests {
    static let checkout = #"{"type": "checkout", "card_number": "4111 1111 1111 1111", "note": "first order"}"#
    static let again = #"{"type": "checkout", "card_number": "4111 1111 1111 1111", "note": "second order"}"#
    static let token = "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"
    static let reply = #"{"status": "ok", "customer": {"ssn": "600-69-6960"}}"#

    /// A client that compresses (with a fresh key per frame), a server that compresses.
    static let exchange: (client: [UInt8], server: [UInt8]) = {
        let client = MessageDeflater()
        let server = MessageDeflater()
        var keys = (0..<16).map { k in WS.key.map { $0 &+ UInt8(truncatingIfNeeded: k * 29) } }.makeIterator()
        let first = client.compress(Array(checkout.utf8))
        let second = client.compress(Array(again.utf8))  // mostly a back-reference into the first
        // One message in three fragments, a ping between them; the token cut by the fragments.
        let log = client.compress(Array("deploy log: token=\(token) used by the release job".utf8))
        let toServer = WS.request()
            + WS.frame(1, first, rsv1: true, mask: keys.next()!)
            + WS.frame(1, second, rsv1: true, mask: keys.next()!)
            + WS.frame(1, Array(log[..<10]), fin: false, rsv1: true, mask: keys.next()!)
            + WS.frame(9, Array("are you there".utf8), mask: keys.next()!)
            + WS.frame(0, Array(log[10..<20]), fin: false, mask: keys.next()!)
            + WS.frame(0, Array(log[20...]), mask: keys.next()!)
            + WS.frame(2, [0, 1, 2] + Array("dana@example.org".utf8), mask: keys.next()!)
            + WS.frame(8, [0x03, 0xe8], mask: keys.next()!)
        let toClient = WS.switching()
            + WS.frame(1, server.compress(Array(reply.utf8)), rsv1: true)
            + WS.frame(10, Array("are you there".utf8))
            + WS.frame(1, server.compress(Array(reply.utf8)), rsv1: true)
            + WS.text("not compressed: 600-69-6960")
            + WS.frame(8, [0x03, 0xe8])
        return (toServer, toClient)
    }()

    static let expected = [
        "> " + checkout, "> " + again, "> deploy log: token=\(token) used by the release job",
        "> \u{0}\u{1}\u{2}dana@example.org",
        "< " + reply, "< " + reply, "< not compressed: 600-69-6960",
    ]

    static func recording(_ c: inout Conversation) -> ContentRecorder {
        let recorder = ContentRecorder()
        c.context.content = .recording(recorder)
        return recorder
    }

    static func messages(_ r: ContentRecorder) -> [String] {
        r.streams.map { "\($0.direction == .toServer ? ">" : "<") \(String(decoding: $0.bytes, as: UTF8.self))" }
    }

    static func check(_ c: inout Conversation, _ recorder: ContentRecorder, _ label: String) {
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        #expect(messages(recorder).sorted() == expected.sorted(), "\(label)")
        #expect(recorder.streams.allSatisfy { $0.kind == .webSocketMessage && $0.complete == true }, "\(label)")
        #expect(recorder.violations.isEmpty, "\(label): \(recorder.violations)")
        #expect(Set(recorder.streams.map(\.id)).count == recorder.streams.count, "\(label): stream numbers are unique")
        #expect(c.context.counters.webSocketUpgrades == 1 && c.context.counters.webSocketMalformed == 0, "\(label)")
        #expect(c.context.counters.content.corruptCompressed == 0, "\(label)")
        #expect(c.context.bufferedBytes == 0, "\(label): the decompressors' budget is given back")
    }

    /// In the order of the wire (a client waits for the 101 before its first
    /// frame, §4.1), each direction's frames in one chunk.
    @Test func messagesAreUnmaskedInflatedAndJoined() {
        var c = Conversation(port: 8080)
        let recorder = Self.recording(&c)
        let handshake = WS.request().count
        c.client(Array(Self.exchange.client[..<handshake]))
        c.server(Self.exchange.server)
        c.client(Array(Self.exchange.client[handshake...]))
        Self.check(&c, recorder, "whole")
    }

    /// Any cut of either direction (the 101 and the first frames glued or
    /// not, headers and masking keys cut): the same messages.
    @Test func everySegmentationGivesTheSameMessages() {
        let (client, server) = Self.exchange
        let handshake = WS.request().count
        for cut in handshake..<client.count {
            var c = Conversation(port: 8080)
            let recorder = Self.recording(&c)
            c.client(Array(client[..<handshake]))
            c.server(server)
            c.client(Array(client[handshake..<cut]))
            c.client(Array(client[cut...]))
            Self.check(&c, recorder, "client cut at \(cut)")
        }
        for cut in 0..<server.count {
            var c = Conversation(port: 8080)
            let recorder = Self.recording(&c)
            c.client(Array(client[..<handshake]))
            c.server(Array(server[..<cut]))
            c.server(Array(server[cut...]))
            c.client(Array(client[handshake...]))
            Self.check(&c, recorder, "server cut at \(cut)")
        }
        var c = Conversation(port: 8080)
        let recorder = Self.recording(&c)
        for b in client[..<handshake] { c.client([b]) }
        for b in server { c.server([b]) }
        for b in client[handshake...] { c.client([b]) }
        Self.check(&c, recorder, "byte by byte")
    }

    /// Without the content stage nothing reads the frames: the HTTP reader is done at the 101.
    @Test func onlyWithTheContentStage() {
        var c = Conversation(port: 8080, selection: AnalyzerSelection(parsing: "cleartext")!)
        c.client(Self.exchange.client)
        c.server(Self.exchange.server)
        #expect(c.context.counters.webSocketUpgrades == 0)
        #expect(c.inspection.isDone)
    }

    /// A refused upgrade (426) leaves the connection HTTP: the next request is read as one.
    @Test func aRefusedUpgradeStaysHTTP() {
        var c = Conversation(port: 8080)
        let recorder = Self.recording(&c)
        c.client(WS.request())
        c.server("HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n")
        c.client("POST /orders HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 13\r\n\r\nsecond try ok")
        c.server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(c.context.counters.webSocketUpgrades == 0)
        #expect(recorder.streams.map(\.kind) == [.httpRequestBody])
    }

    /// RSV1 when the 101 accepted no permessage-deflate (or RSV2/RSV3): an
    /// extension PlainSight does not undo; the message is not delivered, the next one is.
    @Test func compressionThatWasNotNegotiatedIsNotDecoded() {
        var c = Conversation(port: 8080)
        let recorder = Self.recording(&c)
        c.client(WS.request(extensions: nil))
        c.server(WS.switching(extensions: nil))
        let deflated = MessageDeflater().compress(Array(Self.checkout.utf8))
        c.client(WS.frame(1, deflated, rsv1: true, mask: WS.key))
        c.client(WS.frame(0x21, Array("rsv2 set".utf8), mask: WS.key))
        c.client(WS.text("plain: 4111 1111 1111 1111", mask: WS.key))
        #expect(Self.messages(recorder) == ["> plain: 4111 1111 1111 1111"])
        #expect(c.context.counters.content.unsupportedCodings == 2)
    }

    /// Each broken rule stops its direction (counted); the other reads on.
    @Test(arguments: [
        ("reserved opcode", WS.frame(3, Array("x".utf8), mask: WS.key)),
        ("fragmented control frame", WS.frame(9, Array("x".utf8), fin: false, mask: WS.key)),
        ("long control frame", WS.frame(9, [UInt8](repeating: 0x41, count: 126), mask: WS.key)),
        ("continuation without a message", WS.frame(0, Array("x".utf8), mask: WS.key)),
        ("a message inside a message", WS.text("a", fin: false, mask: WS.key) + WS.text("b", mask: WS.key)),
        ("64-bit length with its top bit set", [0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1] + WS.key),
    ])
    func malformedFramesStopTheDirection(_ what: String, _ bad: [UInt8]) {
        var c = Conversation(port: 8080)
        let recorder = Self.recording(&c)
        c.client(WS.request(extensions: nil))
        c.server(WS.switching(extensions: nil))
        c.client(bad)
        c.client(WS.text("after: 4111 1111 1111 1111", mask: WS.key))
        c.server(WS.text("reply: 600-69-6960"))
        #expect(c.context.counters.webSocketMalformed == 1, "\(what)")
        #expect(Self.messages(recorder).filter { $0.hasPrefix("<") } == ["< reply: 600-69-6960"], "\(what)")
        #expect(!Self.messages(recorder).contains("> after: 4111 1111 1111 1111"), "\(what)")
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        #expect(recorder.open.isEmpty && c.context.bufferedBytes == 0, "\(what)")
    }

    /// A compressed message that inflates past 100 times its size (and 64
    /// KiB): inflating stops for the direction; uncompressed messages go on.
    @Test func aDecompressionBombStopsInflating() {
        var c = Conversation(port: 8080)
        let recorder = Self.recording(&c)
        c.client(WS.request())
        c.server(WS.switching())
        let deflater = MessageDeflater()
        let bomb = deflater.compress([UInt8](repeating: 0x41, count: 4 << 20))
        #expect(bomb.count < 8192)
        c.server(WS.frame(2, bomb, rsv1: true))
        c.server(WS.frame(1, deflater.compress(Array("after the bomb".utf8)), rsv1: true))
        c.server(WS.text("uncompressed after the bomb"))
        #expect(c.context.counters.content.ratioCapHits == 1)
        let streams = recorder.streams
        #expect(streams.count == 2)
        #expect(streams.first?.complete == false && (streams.first?.bytes.count ?? 0) < 1 << 20)
        #expect(Self.messages(recorder).last == "< uncompressed after the bomb")
        #expect(c.context.bufferedBytes == 0, "the decompressor went with the cap")
    }

    /// Each message on its own window (no_context_takeover): after a corrupt
    /// message the next decodes with a fresh decompressor; with the window
    /// kept, a message that refers back into the lost one is counted, not misread.
    @Test(arguments: [false, true])
    func corruptDataLosesOnlyWhatDependsOnIt(takeover: Bool) {
        var c = Conversation(port: 8080)
        let recorder = Self.recording(&c)
        c.client(WS.request())
        c.server(WS.switching())
        let deflater = MessageDeflater(takeover: takeover)
        let first = deflater.compress(Array(Self.reply.utf8))
        var broken = first
        broken[0] |= 0x06  // BTYPE 11: reserved (RFC 1951 §3.2.3)
        let second = deflater.compress(Array(Self.reply.utf8))
        c.server(WS.frame(1, broken, rsv1: true))
        c.server(WS.frame(1, second, rsv1: true))
        if takeover {
            // What inflates before the first reference into the lost window, cut short.
            #expect(recorder.streams.allSatisfy { $0.complete == false && Self.reply.utf8.starts(with: $0.bytes) })
            #expect(c.context.counters.content.corruptCompressed == 2)
        } else {
            #expect(Self.messages(recorder) == ["< " + Self.reply])
            #expect(c.context.counters.content.corruptCompressed == 1)
        }
    }

    /// A 101 switches to what the request offered and the response names:
    /// a server that answers an h2c offer with WebSocket (or the reverse)
    /// breaks RFC 9110 §7.8, and neither reader takes the bytes that follow.
    @Test func aSwitchToWhatWasNotOfferedIsNotFollowed() {
        let h2cOffer = ascii(
            "GET / HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n")
        var c = Conversation(port: 8080)
        c.context.content = .recording(ContentRecorder())
        c.client(h2cOffer)
        c.server(WS.switching())
        c.server(WS.text("reply: 600-69-6960"))
        #expect(c.context.counters.webSocketUpgrades == 0 && c.context.counters.h2cUpgrades == 0)

        var d = Conversation(port: 8080)
        d.context.content = .recording(ContentRecorder())
        d.client(WS.request())
        d.server("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        #expect(d.context.counters.webSocketUpgrades == 0 && d.context.counters.h2cUpgrades == 0)
    }

    /// The upgrade request's Basic login: the 101 let it in.
    @Test func aLoginOnTheUpgradeRequestIsAcceptedByThe101() {
        var c = Conversation(port: 8080, selection: AnalyzerSelection(parsing: "cleartext")!)
        var request = WS.request()
        request.insert(contentsOf: ascii("Authorization: Basic ZGFzaDpzM2NyZXQtUGFzcw==\r\n"), at: request.count - 2)
        c.client(request)
        c.server(WS.switching())
        let found = c.inspection.takeSightings().compactMap { s -> CredentialSighting? in
            if case .credential(let x) = s { x } else { nil }
        }
        #expect(found.map(\.mechanism) == [.httpBasic] && found.map(\.outcome) == [.accepted])
    }

    @Test func extensionHeaderValues() {
        let cases: [(String, Bool)] = [
            ("permessage-deflate", true), ("Permessage-Deflate; client_max_window_bits=10", true),
            ("x-webkit-deflate-frame", false), ("foo, permessage-deflate ;server_no_context_takeover", true),
            ("permessage-deflate-x", false), ("", false),
        ]
        for (value, expected) in cases {
            #expect(ascii(value).withUnsafeBytes { HTTPAnalyzer.namesPerMessageDeflate($0) } == expected, "\(value)")
        }
    }
}

/// MQTT over WebSocket (MQTT 3.1.1 §6): the `101` chose the `mqtt`
/// subprotocol; the binary messages of each direction, one after the other,
/// are the MQTT stream, whose CONNECT and CONNACK `MQTTLoginAnalyzer` reads.
@Suite("MQTT over WebSocket")
struct MQTTOverWebSocketTests {
    /// CONNECT (MQTT 3.1.1 §3.1): client id `dash-1`, user `plant`, password `s3cret-Pass`, keep alive 60.
    static let connect: [UInt8] = {
        func string(_ s: String) -> [UInt8] { [UInt8(s.utf8.count >> 8), UInt8(s.utf8.count & 0xff)] + Array(s.utf8) }
        let body = string("MQTT") + [4, 0xc2, 0, 60] + string("dash-1") + string("plant") + string("s3cret-Pass")
        return [0x10, UInt8(body.count)] + body
    }()
    static let connack: [UInt8] = [0x20, 0x02, 0x00, 0x00]
    static let refused: [UInt8] = [0x20, 0x02, 0x00, 0x05]

    static func handshake(protocolName: String? = "mqtt", extensions: String? = nil) -> (client: [UInt8], server: [UInt8]) {
        let offer = protocolName.map { "Sec-WebSocket-Protocol: \($0)\r\n" } ?? ""
        return (
            ascii(
                "GET /mqtt HTTP/1.1\r\nHost: broker.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + offer + "\r\n"),
            ascii(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" + offer
                    + (extensions.map { "Sec-WebSocket-Extensions: \($0)\r\n" } ?? "") + "\r\n"))
    }

    static func credentials(_ c: inout Conversation) -> [CredentialSighting] {
        c.inspection.takeSightings().compactMap { if case .credential(let x) = $0 { x } else { nil } }
    }

    /// The CONNECT cut across two messages (a packet may span them), a ping
    /// between; every cut of the client's frames; with and without the content stage.
    @Test(arguments: ["all", "cleartext"])
    func theLoginInsideIsRead(analyzers: String) {
        let (request, answer) = Self.handshake()
        let frames = WS.frame(2, Array(Self.connect[..<9]), mask: WS.key) + WS.frame(9, [], mask: WS.key)
            + WS.frame(2, Array(Self.connect[9...]), mask: [1, 2, 3, 4])
        for cut in 0...frames.count {
            var c = Conversation(port: 8083, selection: AnalyzerSelection(parsing: analyzers)!)
            if analyzers == "all" { c.context.content = .recording(ContentRecorder()) }
            c.client(request)
            c.server(answer)
            c.client(Array(frames[..<cut]))
            c.client(Array(frames[cut...]))
            c.server(WS.frame(2, Self.connack))
            let found = Self.credentials(&c)
            #expect(found.count == 1, "cut \(cut)")
            #expect(found.first.map { text($0.username) } == "plant" && found.first.map { text($0.secret) } == "s3cret-Pass")
            #expect(found.first?.mechanism == .mqttPassword && found.first?.outcome == .accepted, "cut \(cut)")
            #expect(c.context.counters.webSocketUpgrades == 1)
            if analyzers == "cleartext" { #expect(c.inspection.isDone, "cut \(cut): nothing more to read once CONNACK came") }
        }
    }

    /// Refused (CONNACK 5), compressed (permessage-deflate), and a CONNECT in
    /// text frames (MQTT requires binary ones: not read as MQTT).
    @Test func refusedCompressedAndText() {
        let (request, answer) = Self.handshake(extensions: "permessage-deflate")
        var c = Conversation(port: 8083)
        c.context.content = .recording(ContentRecorder())
        c.client(request)
        c.server(answer)
        c.client(WS.frame(2, MessageDeflater().compress(Self.connect), rsv1: true, mask: WS.key))
        c.server(WS.frame(2, Self.refused))
        #expect(Self.credentials(&c).map(\.outcome) == [.rejected])

        var t = Conversation(port: 8083, selection: AnalyzerSelection(parsing: "cleartext")!)
        t.client(request)
        t.server(answer)
        t.client(WS.frame(1, Self.connect, mask: WS.key))
        t.server(WS.frame(2, Self.connack))
        #expect(Self.credentials(&t).isEmpty)
    }

    /// Without the subprotocol the messages are not MQTT to PlainSight; and
    /// without content nothing reads the frames at all.
    @Test func onlyWhenTheServerChoseMQTT() {
        let (request, answer) = Self.handshake(protocolName: nil)
        var c = Conversation(port: 8083, selection: AnalyzerSelection(parsing: "cleartext")!)
        c.client(request)
        c.server(answer)
        c.client(WS.frame(2, Self.connect, mask: WS.key))
        c.server(WS.frame(2, Self.connack))
        #expect(Self.credentials(&c).isEmpty && c.context.counters.webSocketUpgrades == 0)
    }

    /// A direction that stops (here the client's, on a reserved opcode)
    /// ends for MQTT too: the password waiting for its CONNACK goes out, its outcome unknown.
    @Test func aStoppedDirectionEndsTheLoginReader() {
        let (request, answer) = Self.handshake()
        var c = Conversation(port: 8083, selection: AnalyzerSelection(parsing: "cleartext")!)
        c.client(request)
        c.server(answer)
        c.client(WS.frame(2, Self.connect, mask: WS.key))
        c.server(WS.frame(3, [], mask: nil))
        c.inspection.end(direction: .toServer, context: &c.context)
        let found = Self.credentials(&c)
        #expect(found.map(\.outcome) == [.unknown])
        #expect(c.context.counters.webSocketMalformed == 1)
        #expect(c.context.bufferedBytes == 0)
    }
}
