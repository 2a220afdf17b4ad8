import Foundation
import Testing
@testable import Flows
@testable import Inspection

/// Review of 4775c43 (the SAML redirect binding, `SAMLMessage.deliverRedirect`):
/// the tests marked "found by review" failed on that commit; the `probe…`
/// tests passed there and record what was checked and found right.
struct SAMLRedirectReviewTests {
    static let xml = SAMLMessageTests.logoutRequest("dana.whitfield@corp-mail.io")

    /// The saml-message streams of one HTTP/1 request for `target`.
    static func requestLine(_ target: String, budget: Int = 16 << 20) -> ContentRun {
        var run = ContentRun(.http, budget: budget)
        run.send(Array("GET \(target) HTTP/1.1\r\nHost: idp.internal\r\n\r\n".utf8), .toServer)
        run.endBoth()
        return run
    }

    static func text(_ s: ContentRecorder.Stream) -> String { String(decoding: s.bytes, as: UTF8.self) }

    static func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    // MARK: found by review

    /// Found by review: `SAMLrequest=` was read and `samlrequest=` not (a
    /// memchr for `S`, then a comparison in any letter case). The names are now
    /// read as the binding spells them, the only spelling services read.
    @Test func parameterNamesAsTheBindingSpellsThem() {
        let value = SAMLMessageTests.redirectParameter(Self.xml)
        for name in ["SAMLRequest", "SAMLrequest", "Samlrequest", "samlrequest", "samlRequest"] {
            let run = Self.requestLine("/slo?\(name)=\(value)")
            #expect(run.streams.map(Self.text) == (name == "SAMLRequest" ? [Self.xml] : []), "\(name)")
            run.checkClean()
        }
    }

    /// Found by review: base64 broken into lines (RFC 2045 style, CRLF every 76
    /// characters, as commons-codec 1.4's `encodeBase64String` wrote it),
    /// percent-encoded, was dropped; lenient receivers decode it, and the POST
    /// binding's reader skips line breaks too.
    @Test func base64WithLineBreaksIsRead() {
        let deflated = TestCoding.rawDeflate.compress(Array(Self.xml.utf8))
        let chunked = Data(deflated).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        #expect(chunked.contains("\r\n"))
        let value = chunked.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(value.contains("%0D%0A"))
        let run = Self.requestLine("/slo?SAMLRequest=\(value)&RelayState=%2F")
        #expect(run.streams.map(Self.text) == [Self.xml])
        run.checkClean()
    }

    /// Found by review: parameters that each inflate to just past the ratio
    /// floor (95 bytes of DEFLATE, 72 KiB out) were each given the floor, so
    /// one 8 KiB request line yielded ~4 MiB to scan (~500:1). One message per
    /// URL now, at most `SAMLMessage.maxRedirectMessage` bytes (counted when cut).
    @Test func manyParametersInOneRequestLineAreOneMessage() {
        let bomb = Self.b64(TestCoding.rawDeflate.compress([UInt8](repeating: 0x41, count: 80_000)))
        var target = "/slo?SAMLRequest=" + bomb
        while target.utf8.count + 14 + bomb.utf8.count < HTTPAnalyzer.maxLine - 30 { target += "&SAMLRequest=" + bomb }
        var run = ContentRun(.http)
        run.context.content = .counting
        let line = Array("GET \(target) HTTP/1.1\r\n\r\n".utf8)
        run.send(line, .toServer)
        run.endBoth()
        let decoded = run.context.counters.content.bytes[Int(ContentKind.samlMessage.rawValue)]
        #expect(run.context.counters.content.streams[Int(ContentKind.samlMessage.rawValue)] == 1)
        #expect(run.context.counters.content.decodedCapHits == 1)
        #expect(decoded <= ContentLimits.maxRatio * UInt64(line.count), "\(decoded) bytes from a \(line.count)-byte request line")
        #expect(run.context.bufferedBytes == 0)
    }

    /// Found by review: over HTTP/2 a 4 KiB `:path` is put in the HPACK table
    /// once, then each later request names it by a one-byte index, 16 times per
    /// block (the 64 KiB header list cap): every `:path` field was decoded, so
    /// a 19-byte HEADERS frame cost ~32 MiB of inflating and scanning. A flow's
    /// redirect messages now inflate to `SAMLMessage.redirectBytesPerFlow` in all.
    @Test func hpackIndexedPathsDoNotMultiplyTheDecoding() {
        let bomb = Self.b64(TestCoding.rawDeflate.compress([UInt8](repeating: 0x41, count: 80_000)))
        var path = "/slo?SAMLRequest=" + bomb
        while path.utf8.count + 14 + bomb.utf8.count < 4000 { path += "&SAMLRequest=" + bomb }
        let indexedPath = H2.integer(4, prefixBits: 6, pattern: 0x40) + H2.string(path)  // :path, with incremental indexing
        let again: [UInt8] = [0xbe]  // dynamic index 62: that :path
        var context = InspectionContext()
        context.content = .counting
        var run = H2Run(context: context)
        var wire = H2.preface + H2.settings()
        wire += H2.headers(1, [0x82, 0x86] + indexedPath + Array(repeating: again, count: 15).flatMap { $0 }, endStream: true)
        for stream in stride(from: UInt32(3), through: 9, by: 2) {
            wire += H2.headers(stream, [0x82, 0x86] + Array(repeating: again, count: 16).flatMap { $0 }, endStream: true)
        }
        let started = Date()
        run.send(wire, .toServer)
        run.send(H2.settings(), .toClient)
        run.finish()
        let seconds = Date().timeIntervalSince(started)
        let decoded = run.context.counters.content.bytes[Int(ContentKind.samlMessage.rawValue)]
        #expect(run.context.counters.http2Malformed == 0 && run.context.counters.http2TruncatedHeaderLists == 0)
        #expect(
            decoded <= ContentLimits.maxRatio * UInt64(wire.count),
            "\(decoded >> 20) MiB inflated from \(wire.count) wire bytes (5 blocks, the last 4 of 25 bytes), \(seconds) s")
        #expect(run.context.bufferedBytes == 0)
    }

    // MARK: probes (pass)

    /// `+` left unescaped stays base64's `+`; lower-case escapes; no padding;
    /// base64url; zlib-wrapped; not deflated; absolute-form target; a fragment;
    /// another parameter first; a `;` separator is not one (as PHP, Java, Python read a query).
    @Test func probeDecodingVariants() {
        let deflated = TestCoding.rawDeflate.compress(Array(Self.xml.utf8))
        let plain = Self.b64(deflated)
        var withPlus = plain
        // Find an XML whose base64 has a `+` and `/` (vary the NameID).
        var xml = Self.xml
        for k in 0..<200 where !(withPlus.contains("+") && withPlus.contains("/")) {
            xml = SAMLMessageTests.logoutRequest("user\(k)@corp-mail.io")
            withPlus = Self.b64(TestCoding.rawDeflate.compress(Array(xml.utf8)))
        }
        #expect(withPlus.contains("+") && withPlus.contains("/"))
        let cases: [(String, String, String)] = [
            ("raw +", "/slo?SAMLRequest=" + withPlus, xml),
            ("lower-case escapes", "/slo?SAMLRequest=" + withPlus.replacingOccurrences(of: "+", with: "%2b").replacingOccurrences(of: "/", with: "%2f").replacingOccurrences(of: "=", with: "%3d"), xml),
            ("no padding", "/slo?SAMLRequest=" + withPlus.replacingOccurrences(of: "=", with: ""), xml),
            ("base64url", "/slo?SAMLRequest=" + withPlus.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"), xml),
            ("zlib", "/slo?SAMLRequest=" + Self.b64(TestCoding.zlib.compress(Array(Self.xml.utf8))), Self.xml),
            ("not deflated", "/slo?SAMLRequest=" + SAMLMessageTests.redirectParameter(Self.xml, deflate: false), Self.xml),
            ("absolute form", "http://idp.internal/slo?SAMLRequest=" + plain, Self.xml),
            ("fragment", "/slo?SAMLRequest=" + plain + "#SAMLRequest=junk", Self.xml),
            ("after RelayState", "/slo?RelayState=%2F&SAMLRequest=" + plain, Self.xml),
        ]
        for (label, target, expected) in cases {
            let run = Self.requestLine(target)
            #expect(run.streams.map(Self.text) == [expected], "\(label)")
            #expect(run.streams.allSatisfy { $0.complete == true }, "\(label)")
            run.checkClean()
        }
        #expect(Self.requestLine("/slo?a=1;SAMLRequest=" + plain).streams.isEmpty, "; is not a separator")
    }

    /// Truncated DEFLATE: what inflated is delivered, incomplete, not counted
    /// corrupt; a single bomb parameter stops at the ratio cap, incomplete, counted.
    @Test func probeTruncatedAndBomb() {
        let big = SAMLMessageTests.logoutRequest(String(repeating: "x", count: 3000) + "|" + (0..<400).map { "\($0 * 7919 % 10007)" }.joined(separator: ","))
        let deflated = TestCoding.rawDeflate.compress(Array(big.utf8))
        let run = Self.requestLine("/slo?SAMLRequest=" + Self.b64(Array(deflated.prefix(deflated.count / 2))))
        #expect(run.streams.count == 1)
        #expect(run.streams.first?.complete == false)
        #expect(run.streams.first.map { big.hasPrefix(Self.text($0)) && !$0.bytes.isEmpty } == true)
        #expect(run.context.counters.content.corruptCompressed == 0)
        run.checkClean()

        let bomb = Self.b64(TestCoding.rawDeflate.compress([UInt8](repeating: 0x41, count: 4 << 20)))
        let b = Self.requestLine("/slo?SAMLRequest=" + bomb)
        #expect(b.context.counters.content.decodedCapHits == 1)
        #expect(b.streams.first?.complete == false)
        #expect(b.streams.first?.bytes.count == SAMLMessage.maxRedirectMessage)
        b.checkClean()
    }

    /// Every budget from nothing to enough: never a leak or an open stream.
    @Test func probeSmallBudgets() {
        let target = "/slo?SAMLRequest=" + SAMLMessageTests.redirectParameter(Self.xml) + "&SAMLResponse=" + SAMLMessageTests.redirectParameter(Self.xml, deflate: false)
        for budget in stride(from: 0, through: ContentStream.labelBytes * 2 + Decompressor.initialCharge + 4096, by: 251) {
            let run = Self.requestLine(target, budget: budget)
            run.checkClean()
        }
        // The same over HTTP/2, `:path` and `location`.
        for budget in stride(from: 0, through: 64 << 10, by: 1021) {
            var context = InspectionContext(maxBufferedBytes: budget)
            let recorder = ContentRecorder()
            context.content = .recording(recorder)
            var run = H2Run(context: context)
            run.send(H2.preface + H2.settings() + H2.headers(1, [0x82, 0x86] + H2.literal(nameIndex: 4, target), endStream: true), .toServer)
            run.send(H2.settings() + H2.headers(1, H2.literal(nameIndex: 8, "302") + H2.literal("location", "http://idp" + target), endStream: true), .toClient)
            run.finish()
            #expect(recorder.violations.isEmpty && recorder.open.isEmpty, "budget \(budget)")
            #expect(run.context.bufferedBytes == 0, "budget \(budget)")
            if budget == 64 << 10 {
                // One message per URL: the first.
                #expect(recorder.streams.filter { $0.kind == .samlMessage }.map(\.direction) == [.toServer, .toClient])
            }
        }
    }
}
