import CZlib
import TestSupport
import Testing
@testable import Flows
@testable import Inspection

/// Second review of 3fab6cf..278f196 (WebSocket, MQTT over WebSocket, the
/// first review's fixes). Every test here fails on 278f196 for the reason
/// its comment gives.
@Suite("WebSocket second review")
struct WebSocketSecondReview {
    static func credentials(_ c: inout Conversation) -> [CredentialSighting] {
        c.inspection.takeSightings().compactMap { if case .credential(let x) = $0 { x } else { nil } }
    }

    // MARK: the ratio cap's arithmetic

    /// `UInt64.max / 100 + 1`: 100 times it is 2^64 + 84.
    static let wraps: UInt64 = UInt64.max / 100 + 1

    /// The server's compressed binary message in two frames: the first
    /// announces `first.count` (≥ 1000) bytes and inflates to 90 000 (under
    /// 100:1), the second (a continuation, its 64-bit length's top bit clear
    /// as §5.2 wants) announces so much more that `maxRatio &* messageIn`
    /// wraps to 84: `allowed` drops to the 64 KiB floor, under the 90 000
    /// already delivered, and `allowed - messageOut` traps on the second
    /// frame's first byte. One crafted frame from a peer kills the auditor.
    static func wrappingRatioCap() {
        var c = Conversation(port: 8080)
        c.context.content = .recording(ContentRecorder())
        c.client(WS.request())
        c.server(WS.switching())
        // Compressed 'A's, the sync flush's empty stored block whole again, then more empty stored blocks as padding.
        var first = MessageDeflater().compress([UInt8](repeating: 0x41, count: 90_000)) + [0x00, 0x00, 0xff, 0xff]
        while first.count < 1000 { first += [0x00, 0x00, 0x00, 0xff, 0xff] }
        let more = wraps - UInt64(first.count)
        let continuation: [UInt8] = [0x80, 127] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: more >> (8 * $0)) }
        c.server(WS.frame(2, first, fin: false, rsv1: true))
        c.server(continuation + [0x00])
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
    }

    /// Runs in a child process: on 278f196 it dies of an arithmetic overflow
    /// trap in `WebSocketFrameReader.inflate` (`let room = allowed - messageOut`).
    @Test func aHugeAnnouncedContinuationDoesNotCrashTheRatioCap() async {
        await #expect(processExitsWith: .success) {
            WebSocketSecondReview.wrappingRatioCap()
        }
    }

    // MARK: MQTT inside: bytes that never reached the MQTT reader

    /// MQTT 3.1.1 / 5.0 §6: the MQTT stream is the binary messages' payload
    /// one after the other, a packet may span messages. When a binary
    /// message's payload cannot be read (corrupt compressed data, README:
    /// "corrupt compressed data ends the message ... the next one starts a
    /// fresh decompressor"; or an RSV bit of an extension not agreed,
    /// README: "leaves that message undelivered"), the MQTT stream has a
    /// hole, but `WebSocketFrameReader` keeps `innerOffset` contiguous and
    /// hands the next message's bytes to `MQTTLoginAnalyzer` as if they
    /// followed. Here the CONNECT is cut across three messages: the middle
    /// one (the password's last 7 bytes, `et-Pass`) is lost, and the next
    /// message (the client's SUBSCRIBE, sent before the CONNACK as §3.1.4
    /// allows) completes the CONNECT: a password `s3cr\u{82}\n\0\u{1}\0\u{5}t`
    /// the client never sent is reported, with the broker's `accepted`.
    @Test(arguments: ["corrupt", "rsv2"], ["all", "cleartext"])
    func aLostMessageIsNotStitchedIntoTheMQTTStream(loss: String, analyzers: String) {
        let (request, answer) = MQTTOverWebSocketTests.handshake(extensions: "permessage-deflate")
        let connect = MQTTOverWebSocketTests.connect
        let head = Array(connect[..<(connect.count - 7)])  // up to "s3cr"
        let tail = Array(connect[(connect.count - 7)...])  // "et-Pass"
        let subscribe: [UInt8] = [0x82, 0x0a, 0x00, 0x01, 0x00, 0x05] + Array("topic".utf8) + [0x00]
        let deflater = MessageDeflater(takeover: false)
        let lost: [UInt8]
        if loss == "corrupt" {
            var broken = deflater.compress(tail)
            broken[0] |= 0x06  // BTYPE 11: reserved (RFC 1951 §3.2.3)
            lost = WS.frame(2, broken, rsv1: true, mask: [9, 8, 7, 6])
        } else {
            lost = WS.frame(0x22, tail, mask: [9, 8, 7, 6])  // FIN, RSV2, binary
        }
        var c = Conversation(port: 8083, selection: AnalyzerSelection(parsing: analyzers)!)
        if analyzers == "all" { c.context.content = .recording(ContentRecorder()) }
        c.client(request)
        c.server(answer)
        c.client(WS.frame(2, deflater.compress(head), rsv1: true, mask: WS.key))
        c.client(lost)
        c.client(WS.frame(2, deflater.compress(subscribe), rsv1: true, mask: [1, 2, 3, 4]))
        c.server(WS.frame(2, MQTTOverWebSocketTests.connack))
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        let found = Self.credentials(&c)
        let lossCounted = loss == "corrupt"
            ? c.context.counters.content.corruptCompressed : c.context.counters.content.unsupportedCodings
        #expect(lossCounted == 1, "the middle message is lost")
        let invented = found.map { text($0.secret) ?? "" }.filter { $0 != "s3cret-Pass" }
        #expect(invented.isEmpty, "a password never sent: \(invented.map { Array($0.utf8) }) \(found.map(\.outcome))")
        #expect(c.context.bufferedBytes == 0)
    }
}
