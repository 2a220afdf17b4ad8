import CZlib
import Foundation
import Scanning
import TestSupport
import Testing
@testable import Flows
@testable import Inspection

/// Review of 3fab6cf (WebSocket messages for the content stage). Every test
/// here fails on that commit; each states the rule it holds the reader to.
@Suite(.serialized) struct WebSocketReviewBugs {
    static let patterns = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Patterns")
    static let ssnText = "customer ssn: 600-69-6960 on file"

    /// A deterministic run of pseudo-random (incompressible) bytes.
    static func noise(_ n: Int, seed: UInt32) -> [UInt8] {
        var x = seed
        return (0..<n).map { _ in
            x = x &* 1103515245 &+ 12345
            return UInt8(truncatingIfNeeded: x >> 16)
        }
    }

    /// The server's bytes after a 101 that accepted permessage-deflate, sent
    /// in one chunk (`cut` nil), byte by byte (0), or cut in two at `cut`.
    static func serverMessages(_ server: [UInt8], cut: Int?) -> (messages: [String], lengths: [Int], ratioCapHits: UInt64) {
        var c = Conversation(port: 8080)
        let recorder = WebSocketTests.recording(&c)
        c.client(WS.request())
        c.server(WS.switching())
        switch cut {
        case nil: c.server(server)
        case 0?: for b in server { c.server([b]) }
        case let n?:
            c.server(Array(server[..<n]))
            c.server(Array(server[n...]))
        }
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        return (WebSocketTests.messages(recorder), recorder.streams.map(\.bytes.count), c.context.counters.content.ratioCapHits)
    }

    /// Bug 1 (segmentation). The ratio cap is tested after every
    /// decompressor step, and a step ends where the chunk ends: the
    /// cumulative ratio is looked at in different places for different
    /// cuts of the same bytes. A message of 66 000 bytes of padding and 900
    /// bytes of binary data is 60:1 (1 106 bytes on the wire, well under
    /// 100:1): read in one chunk it passes whole (66 900 bytes, then the
    /// SSN message); cut in two (at 501 of the 1 137 possible places, e.g.
    /// after 83 bytes) or byte by byte, the check lands in the padding, the
    /// cap fires, and inflating stops for the whole direction, so the next
    /// message (an SSN) is lost too. Whatever the cap decides, it must
    /// decide it the same way for every cut.
    @Test func theRatioCapDoesNotDependOnWhereTheMessageWasCut() {
        let deflater = MessageDeflater()
        let padded = deflater.compress([UInt8](repeating: 0x41, count: 66_000) + Self.noise(900, seed: 1))
        let next = deflater.compress(Array(Self.ssnText.utf8))
        let server = WS.frame(2, padded, rsv1: true) + WS.frame(1, next, rsv1: true)
        let whole = Self.serverMessages(server, cut: nil)
        // Compared by length (the first message is 66 900 bytes, binary) and by the SSN message.
        for cut in [83, 0] {
            let other = Self.serverMessages(server, cut: cut)
            #expect(other.lengths == whole.lengths, "cut \(cut == 0 ? "byte by byte" : "at \(cut)")")
            #expect(other.messages.contains("< " + Self.ssnText) == whole.messages.contains("< " + Self.ssnText), "cut \(cut == 0 ? "byte by byte" : "at \(cut)")")
            #expect(other.ratioCapHits == whole.ratioCapHits, "cut \(cut == 0 ? "byte by byte" : "at \(cut)")")
        }
    }

    /// Bug 1, the same check on a real bomb: the stream it delivers before
    /// the cap is 73 728 bytes in one chunk and 65 792 byte by byte.
    @Test func aBombIsCutAtTheSamePlaceHoweverItArrives() {
        let bomb = MessageDeflater().compress([UInt8](repeating: 0x41, count: 4 << 20))
        let server = WS.frame(2, bomb, rsv1: true)
        let whole = Self.serverMessages(server, cut: nil)
        let bytes = Self.serverMessages(server, cut: 0)
        #expect(whole.lengths == bytes.lengths)
    }

    /// Bug 2 (RFC 7692 §6.1: an endpoint MUST NOT set RSV1 on a non-first
    /// fragment, a receiver MUST fail the connection; RFC 6455 §5.2: a
    /// nonzero RSV bit no extension gives a meaning to). A continuation frame
    /// with RSV1 after an uncompressed first frame is taken as more text:
    /// the compressed bytes are glued to the message, delivered as complete,
    /// and nothing is counted.
    @Test func rsv1OnAContinuationFrameIsNotGluedToTheMessage() {
        var c = Conversation(port: 8080)
        let recorder = WebSocketTests.recording(&c)
        c.client(WS.request())
        c.server(WS.switching())
        let deflated = MessageDeflater().compress(Array("compressed rest".utf8))
        c.server(WS.text("plain start ", fin: false) + WS.frame(0, deflated, rsv1: true) + WS.text("next"))
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        let messages = WebSocketTests.messages(recorder)
        #expect(!messages.contains { $0.hasPrefix("< plain start ") && $0 != "< plain start " }, "\(messages)")
        let counted = c.context.counters.webSocketMalformed + c.context.counters.content.unsupportedCodings
        #expect(counted == 1, "the broken frame is counted (malformed, or an unsupported coding)")
    }

    /// Bug 3 (README: "The raw scan skips frame headers, masked or
    /// compressed payload and payload delivered as sent, and reads the
    /// rest"). An unmasked server message with RSV3 set (an extension that
    /// was not agreed) is left undelivered, as the README says, but its
    /// payload, neither masked nor compressed nor delivered, is skipped by
    /// the raw scan as well: the SSN in it is read by nothing.
    @Test func anUndeliveredUnmaskedMessageIsReadByTheRawScan() throws {
        let scanner = try ContentScanner(ContentRuleSet.load(patterns: Self.patterns))
        var c = Conversation(port: 8080)
        c.context.content = .scanning(scanner)
        c.client(WS.request(extensions: nil))
        c.server(WS.switching(extensions: nil))
        c.server(WS.frame(0x11, Array(Self.ssnText.utf8)))  // FIN, RSV3, text
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        #expect(c.context.counters.content.unsupportedCodings == 1)
        let found = c.context.takeContentSightings().contents.map { String(decoding: $0.match.value, as: UTF8.self) }
        #expect(found.contains("600-69-6960"), "\(found)")
    }

    /// Bug 4 (low: RFC 7692 §7.2.2, "Otherwise, the client MUST decompress
    /// each new message using the LZ77 sliding window used to process the
    /// last compressed message"; §7.2.3.5 allows flushing with a BFINAL
    /// block). The reader replaces its decompressor after a final block, so
    /// a next message that refers back into the previous one (with context
    /// takeover) is counted corrupt: here it decodes to "{" only.
    @Test func theWindowIsKeptAfterAMessageThatEndsWithAFinalBlock() {
        let first = Array(WebSocketTests.checkout.utf8)
        let second = Array(WebSocketTests.again.utf8)
        var s = z_stream()
        precondition(
            deflateInit2_(&s, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&s) }
        func deflated(_ input: [UInt8], _ flush: Int32) -> [UInt8] {
            var i = input
            var o = [UInt8](repeating: 0, count: 4096)
            let n = i.withUnsafeMutableBufferPointer { ib in
                o.withUnsafeMutableBufferPointer { ob in
                    s.next_in = ib.baseAddress
                    s.avail_in = uInt(ib.count)
                    s.next_out = ob.baseAddress
                    s.avail_out = uInt(ob.count)
                    _ = deflate(&s, flush)
                    return ob.count - Int(s.avail_out)
                }
            }
            return Array(o[..<n])
        }
        // §7.2.1 on a final block: an empty stored block appended, its last 4 bytes removed (the "00" of §7.2.3.5).
        let p1 = deflated(first, Z_FINISH) + [0x00]
        // The sender's next message with the window kept: the first message as its dictionary.
        deflateReset(&s)
        var dictionary = first
        _ = dictionary.withUnsafeMutableBufferPointer { deflateSetDictionary(&s, $0.baseAddress, uInt($0.count)) }
        let p2 = Array(deflated(second, Z_SYNC_FLUSH).dropLast(4))
        let result = Self.serverMessages(WS.frame(1, p1, rsv1: true) + WS.frame(1, p2, rsv1: true), cut: nil)
        #expect(result.messages == ["< " + WebSocketTests.checkout, "< " + WebSocketTests.again])
    }
}
