import CBrotliEncoder
import CZlib
import CZstd
import Testing
import TestSupport
@testable import Flows
@testable import Inspection

// The content interface: decoded HTTP bodies (RFC 9112 §7.1 chunked, RFC
// 9110 §8.4 gzip/deflate, RFC 7932 br, RFC 8878 zstd, url-encoded forms, RFC 7578 multipart/form-data)
// and SMTP DATA with MIME (RFC 5321 §4.5.2 dot-stuffing, RFC 2045/2046
// base64, quoted-printable, nested multiparts), recorded byte-exact by a
// `ContentRecorder`, fed whole and cut at every byte.

/// One flow's exchange through any cleartext analyzer, with content recorded.
struct ContentRun {
    let analyzer: CleartextAnalyzer
    let recorder = ContentRecorder()
    var context = InspectionContext()
    var offsets: [UInt64] = [0, 0]

    init(_ app: AppProtocol, budget: Int = 16 << 20) {
        analyzer = CleartextAnalyzer.make(for: app, depth: 1 << 22)!
        context = InspectionContext(maxBufferedBytes: budget, cleartextDepth: 1 << 22)
        context.content = .recording(recorder)
    }

    mutating func send(_ bytes: [UInt8], _ d: Direction) {
        let offset = offsets[d.rawValue]
        _ = bytes.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: offset, context: &context) }
        offsets[d.rawValue] += UInt64(bytes.count)
    }

    /// `bytes` to `d` in two chunks cut at `cut`.
    mutating func send(_ bytes: [UInt8], _ d: Direction, cutAt cut: Int) {
        for part in [Array(bytes[..<cut]), Array(bytes[cut...])] where !part.isEmpty { send(part, d) }
    }

    mutating func endBoth() {
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
    }

    var streams: [ContentRecorder.Stream] { recorder.streams }
    /// The streams but header blocks (`mime-headers`).
    var parts: [ContentRecorder.Stream] { recorder.streams.filter { $0.kind != .mimeHeaders } }

    /// Checks the interface's promises: contiguous pieces, every stream ended, nothing left charged.
    func checkClean() {
        #expect(recorder.violations.isEmpty, "\(recorder.violations)")
        #expect(recorder.open.isEmpty)
        #expect(context.bufferedBytes == 0)
    }
}

/// zlib's own compressor: gzip (windowBits 31), zlib (15) or raw deflate (-15).
func compress(_ input: [UInt8], windowBits: Int32) -> [UInt8] {
    var stream = z_stream()
    precondition(deflateInit2_(&stream, 9, Z_DEFLATED, windowBits, 9, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
    var input = input
    let produced = input.withUnsafeMutableBufferPointer { i in
        out.withUnsafeMutableBufferPointer { o in
            stream.next_in = i.baseAddress
            stream.avail_in = uInt(i.count)
            stream.next_out = o.baseAddress
            stream.avail_out = uInt(o.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return o.count - Int(stream.avail_out)
        }
    }
    deflateEnd(&stream)
    return Array(out[..<produced])
}

/// A content coding as each library's own encoder writes it.
enum TestCoding: CustomStringConvertible, Sendable, Equatable {
    case gzip, zlib, rawDeflate
    /// brotli at quality 5 with a window of 2^`window` bytes and input blocks of 2^`block`.
    case brotli(window: Int32 = 22, block: Int32 = 0)
    /// zstd at level 3 with a window of 2^`window` bytes; `size` false leaves the content size out of the header.
    case zstd(window: Int32 = 0, size: Bool = true)

    static let all: [TestCoding] = [.gzip, .zlib, .rawDeflate, .brotli(), .zstd()]

    /// The `Content-Encoding` value.
    var name: String {
        switch self {
        case .gzip: "gzip"
        case .zlib, .rawDeflate: "deflate"
        case .brotli: "br"
        case .zstd: "zstd"
        }
    }
    var description: String {
        switch self {
        case .rawDeflate: "deflate (raw)"
        case .brotli(let window, let block): "br (window 2^\(window)\(block > 0 ? ", blocks 2^\(block)" : ""))"
        case .zstd(let window, let size): "zstd" + (window > 0 ? " (window 2^\(window))" : "") + (size ? "" : " without size")
        default: name
        }
    }

    func compress(_ input: [UInt8]) -> [UInt8] {
        switch self {
        case .gzip: return InspectionTests.compress(input, windowBits: 31)
        case .zlib: return InspectionTests.compress(input, windowBits: 15)
        case .rawDeflate: return InspectionTests.compress(input, windowBits: -15)
        case .brotli(let window, let block):
            let encoder = BrotliEncoderCreateInstance(nil, nil, nil)!
            defer { BrotliEncoderDestroyInstance(encoder) }
            _ = BrotliEncoderSetParameter(encoder, BROTLI_PARAM_QUALITY, 5)
            _ = BrotliEncoderSetParameter(encoder, BROTLI_PARAM_LGWIN, UInt32(window))
            if block > 0 { _ = BrotliEncoderSetParameter(encoder, BROTLI_PARAM_LGBLOCK, UInt32(block)) }
            var out = [UInt8](repeating: 0, count: BrotliEncoderMaxCompressedSize(input.count) + 1024)
            let produced = input.withUnsafeBufferPointer { i in
                out.withUnsafeMutableBufferPointer { o in
                    var availableIn = i.count
                    var nextIn = i.baseAddress
                    var availableOut = o.count
                    var nextOut = o.baseAddress
                    precondition(
                        BrotliEncoderCompressStream(encoder, BROTLI_OPERATION_FINISH, &availableIn, &nextIn, &availableOut, &nextOut, nil)
                            == BROTLI_TRUE && BrotliEncoderIsFinished(encoder) == BROTLI_TRUE)
                    return o.count - availableOut
                }
            }
            return Array(out[..<produced])
        case .zstd(let window, let size):
            let encoder = ZSTD_createCCtx()!
            defer { ZSTD_freeCCtx(encoder) }
            _ = ZSTD_CCtx_setParameter(encoder, ZSTD_c_compressionLevel, 3)
            if window > 0 { _ = ZSTD_CCtx_setParameter(encoder, ZSTD_c_windowLog, window) }
            _ = ZSTD_CCtx_setParameter(encoder, ZSTD_c_contentSizeFlag, size ? 1 : 0)
            var out = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
            let produced = input.withUnsafeBytes { i in
                out.withUnsafeMutableBytes { o in
                    ZSTD_compress2(encoder, o.baseAddress, o.count, i.baseAddress, i.count)
                }
            }
            precondition(ZSTD_isError(produced) == 0)
            return Array(out[..<produced])
        }
    }
}

/// Text of `count` bytes that compresses about 4:1 (below every ratio cap).
func variedText(_ count: Int) -> [UInt8] {
    var text: [UInt8] = []
    text.reserveCapacity(count)
    var x: UInt32 = 1
    while text.count < count {
        x = x &* 1_103_515_245 &+ 12345
        text.append(0x61 + UInt8(x >> 16 % 26 & 0x0f))
    }
    return text
}

func response(_ headers: String, _ body: [UInt8]) -> [UInt8] {
    ascii("HTTP/1.1 200 OK\r\n\(headers)\r\n") + body
}

@Suite struct HTTPContentTests {
    static let get = ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\n")

    @Test func chunkedBodyIsDechunkedAtEverySplit() {
        // RFC 9112 §7.1: sizes in hex, an extension, a trailer.
        let wire = response(
            "Transfer-Encoding: chunked\r\nContent-Type: text/plain; charset=utf-8\r\n",
            ascii("5;ext=1\r\nHello\r\n8\r\n, world!\r\n0\r\nX-Trailer: 1\r\n\r\n"))
        for cut in 0...wire.count {
            var run = ContentRun(.http)
            run.send(HTTPContentTests.get, .toServer)
            run.send(wire, .toClient, cutAt: cut)
            #expect(run.streams.count == 1)
            #expect(run.streams.first?.bytes == ascii("Hello, world!"), "cut \(cut)")
            #expect(run.streams.first?.kind == .httpResponseBody)
            #expect(run.streams.first?.mediaType == "text/plain")
            #expect(run.streams.first?.complete == true)
            run.endBoth()
            run.checkClean()
        }
    }

    @Test func gzipBodyFromPython() {
        // python3 -c 'import gzip; print(list(gzip.compress(b"Hello, gzip body!\n", mtime=0)))'
        let gz: [UInt8] = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0x48,
            0xaf, 0xca, 0x2c, 0x50, 0x48, 0xca, 0x4f, 0xa9, 0x54, 0xe4, 0x02, 0x00, 0x60, 0x82, 0x41, 0xe9, 0x12, 0x00,
            0x00, 0x00,
        ]
        let wire = response("Content-Encoding: gzip\r\nContent-Length: \(gz.count)\r\n", gz)
        for cut in 0...wire.count {
            var run = ContentRun(.http)
            run.send(HTTPContentTests.get, .toServer)
            run.send(wire, .toClient, cutAt: cut)
            #expect(run.streams.first?.bytes == ascii("Hello, gzip body!\n"), "cut \(cut)")
            #expect(run.streams.first?.complete == true)
            run.endBoth()
            run.checkClean()
        }
    }

    @Test(arguments: TestCoding.all)
    func compressedChunkedBodies(coding: TestCoding) {
        // Large enough for several output buffers; zlib and raw deflate are both "deflate".
        let text = (0..<4000).flatMap { ascii("line \($0) of a compressed page\n") }
        let compressed = coding.compress(text)
        var chunked: [UInt8] = []
        var k = 0
        while k < compressed.count {
            let n = min(1000, compressed.count - k)
            chunked += ascii(String(n, radix: 16) + "\r\n") + compressed[k..<(k + n)] + ascii("\r\n")
            k += n
        }
        chunked += ascii("0\r\n\r\n")
        let wire = response("Content-Encoding: \(coding.name)\r\nTransfer-Encoding: chunked\r\n", chunked)
        var run = ContentRun(.http)
        run.send(HTTPContentTests.get, .toServer)
        var at = 0
        while at < wire.count {  // 733-byte segments: cuts fall everywhere in the framing
            run.send(Array(wire[at..<min(wire.count, at + 733)]), .toClient)
            at += 733
        }
        #expect(run.streams.count == 1)
        #expect(run.streams.first?.bytes == text)
        #expect(run.streams.first?.complete == true)
        #expect(run.context.counters.content.bytes[Int(ContentKind.httpResponseBody.rawValue)] == UInt64(text.count))
        run.endBoth()
        run.checkClean()
    }

    @Test(arguments: [TestCoding.gzip, .brotli(), .zstd()])
    func zipBombStopsAtTheRatioCap(coding: TestCoding) {
        // 64 MiB of zeros compress to ~64 KiB (gzip) or far less: past 100:1.
        let bomb = coding.compress([UInt8](repeating: 0, count: 64 << 20))
        let wire = response("Content-Encoding: \(coding.name)\r\nContent-Length: \(bomb.count)\r\n", bomb)
        var run = ContentRun(.http)
        run.send(HTTPContentTests.get, .toServer)
        run.send(wire, .toClient)
        #expect(run.context.counters.content.ratioCapHits == 1)
        let delivered = run.streams.first?.bytes.count ?? 0
        #expect(UInt64(delivered) > ContentLimits.ratioFloor)
        #expect(UInt64(delivered) <= ContentLimits.maxDecodedBytes)
        #expect(run.streams.first?.complete == false)
        run.endBoth()
        run.checkClean()
    }

    @Test(arguments: [TestCoding.gzip, .brotli(), .zstd()])
    func decodedCapCutsALargeBody(coding: TestCoding) {
        // 2 MiB of varied text compresses less than 100:1: the 1 MiB cap stops it.
        let text = variedText(2 << 20)
        let compressed = coding.compress(text)
        let wire = response("Content-Encoding: \(coding.name)\r\nContent-Length: \(compressed.count)\r\n", compressed)
        var run = ContentRun(.http)
        run.send(HTTPContentTests.get, .toServer)
        run.send(wire, .toClient)
        #expect(run.streams.first?.bytes == Array(text[..<Int(ContentLimits.maxDecodedBytes)]))
        #expect(run.context.counters.content.decodedCapHits == 1)
        #expect(run.context.counters.content.ratioCapHits == 0)
        run.endBoth()
        run.checkClean()
    }

    @Test func corruptAndUnsupportedCodingsAreCounted() {
        var run = ContentRun(.http)
        run.send(Array(repeating: HTTPContentTests.get, count: 5).flatMap { $0 }, .toServer)
        run.send(response("Content-Encoding: gzip\r\nContent-Length: 10\r\n", ascii("not gzip!!")), .toClient)
        // 0xff: WBITS 17, then a meta-block header whose MNIBBLES value is reserved (RFC 7932 §9.2).
        run.send(response("Content-Encoding: br\r\nContent-Length: 4\r\n", [0xff, 0xff, 0xff, 0xff]), .toClient)
        run.send(response("Content-Encoding: zstd\r\nContent-Length: 8\r\n", ascii("not zstd")), .toClient)
        run.send(response("Content-Encoding: compress\r\nContent-Length: 4\r\n", [0x1f, 0x9d, 0x61, 0x62]), .toClient)
        run.send(response("Content-Encoding: gzip, br\r\nContent-Length: 4\r\n", ascii("abcd")), .toClient)
        #expect(run.context.counters.content.corruptCompressed == 3)
        #expect(run.context.counters.content.unsupportedCodings == 2)
        #expect(run.streams.allSatisfy { $0.bytes.isEmpty && $0.complete == false })
        run.endBoth()
        run.checkClean()
    }

    /// A corrupt stream yields the same bytes before its error however the
    /// wire cut it (libbrotli and libzstd are fed whole slices: see `Decompressor`).
    @Test(arguments: TestCoding.all)
    func aCorruptBodyYieldsTheSameBytesHoweverItIsCut(coding: TestCoding) {
        // Compressible (zstd codes sequences, not raw blocks), several 128 KiB blocks before the damage.
        var body = coding.compress((0..<30_000).flatMap { ascii("line \($0) of a compressed page\n") })
        for k in (body.count / 2)..<(body.count / 2 + 200) { body[k] = 0xff }  // brotli and zstd carry no check value here
        func decoded(pieces size: Int) -> (bytes: [UInt8], corrupt: UInt64) {
            var run = ContentRun(.http)
            run.send(HTTPContentTests.get, .toServer)
            let wire = response("Content-Encoding: \(coding.name)\r\nContent-Length: \(body.count)\r\n", body)
            var at = 0
            while at < wire.count {
                run.send(Array(wire[at..<min(wire.count, at + size)]), .toClient)
                at += size
            }
            run.endBoth()
            run.checkClean()
            return (run.streams.first?.bytes ?? [], run.context.counters.content.corruptCompressed)
        }
        let whole = decoded(pieces: Int.max / 2)
        #expect(whole.corrupt == 1 || coding == .rawDeflate)  // raw deflate has no check value
        #expect(!whole.bytes.isEmpty)
        for size in [7, 100, 1000, 1448, 4097] {
            #expect(decoded(pieces: size) == whole, "pieces of \(size)")
        }
    }

    static let rows = (0..<300).flatMap { ascii("row \($0): some text of the page\n") }

    /// RFC 8878 §3: zstd data is one or more frames, skippable ones among them
    /// (curl, browsers and the zstd tool decode all of them); found by review.
    @Test func zstdFramesAfterTheFirstAndSkippableFramesAreRead() {
        let skippable: [UInt8] = [0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]  // magic 0x184D2A50, 4 bytes of data
        let a = Array(Self.rows[..<5000]), b = Array(Self.rows[5000...])
        for body in [TestCoding.zstd().compress(a) + TestCoding.zstd().compress(b), skippable + TestCoding.zstd().compress(Self.rows)] {
            var run = ContentRun(.http)
            run.send(HTTPContentTests.get, .toServer)
            run.send(response("Content-Encoding: zstd\r\nContent-Length: \(body.count)\r\n", body), .toClient)
            run.endBoth()
            #expect(run.streams.first?.bytes == Self.rows)
            #expect(run.streams.first?.complete == true)
            run.checkClean()
        }
    }

    /// The decompressor fed directly: the same bytes and the same last step
    /// for any cuts (random, 1–3 bytes, at and around the 1 KiB slice ends),
    /// for a good stream, one with junk after it, a truncated and a damaged one.
    @Test(arguments: [Decompressor.Format.brotli, .zstd])
    func theSameOutputForAnyCuts(format: Decompressor.Format) {
        func decode(_ body: [UInt8], cuts: [Int]) -> ([UInt8], Decompressor.Step) {
            let d = Decompressor(format: format)
            var out: [UInt8] = []
            var last = Decompressor.Step.needInput
            let bounds = Set([0, body.count] + cuts.filter { $0 > 0 && $0 < body.count }).sorted()
            var steps = 0
            for k in 0..<(bounds.count - 1) {
                let going = Array(body[bounds[k]..<bounds[k + 1]]).withUnsafeBytes { piece -> Bool in
                    guard d.setInput(piece) else { return false }
                    while true {
                        let (bytes, step) = d.step()
                        steps += 1
                        precondition(steps < 10_000_000, "no progress")
                        out += bytes
                        last = step
                        if step != .moreOutput { return step == .needInput }
                    }
                }
                if !going { break }
            }
            if last == .needInput, d.endInput() {
                repeat {
                    let (bytes, step) = d.step()
                    out += bytes
                    last = step
                } while last == .moreOutput
            }
            return (out, last)
        }
        var random = SplitMix64(seed: 7)
        let text = (0..<20_000).flatMap { ascii("line \($0) \($0 * 7919 % 1000) of a page\n") }
        let good = (format == .brotli ? TestCoding.brotli() : TestCoding.zstd()).compress(text)
        var damaged = good
        for k in (damaged.count / 3)..<(damaged.count / 3 + 50) { damaged[k] ^= 0x5a }
        for (i, body) in [good, good + ascii("trailing junk"), Array(good[..<(good.count / 2)]), damaged].enumerated() {
            let whole = decode(body, cuts: [])
            if i == 0 { #expect(whole.0 == text && whole.1 == .end) }
            for trial in 0..<40 {
                let cuts: [Int] =
                    switch trial % 4 {
                    case 0: (0..<Int.random(in: 1...60, using: &random)).map { _ in Int.random(in: 0...body.count, using: &random) }
                    case 1: Array(stride(from: 1, to: body.count, by: Int.random(in: 1...3, using: &random)))
                    case 2: Array(stride(from: 1024, to: body.count, by: 1024))
                    default: Array(stride(from: 1023, to: body.count, by: 1024)) + Array(stride(from: 1025, to: body.count, by: 1024))
                    }
                let cut = decode(body, cuts: cuts)
                #expect(cut.0 == whole.0 && cut.1 == whole.1, "body \(i) trial \(trial): \(cut.0.count) vs \(whole.0.count), \(cut.1) vs \(whole.1)")
            }
        }
    }

    @Test func zstdOrBrotliWindowsOverTheMemoryCapAreNotDecoded() {
        // A 16 MiB window: zstd declares it in the frame header; brotli's decoder
        // asks for it when a 16 MiB input block makes one meta-block longer than 9 MiB.
        let text = variedText(12 << 20)
        for coding in [TestCoding.zstd(window: 24, size: false), .brotli(window: 24, block: 24)] {
            let body = coding.compress(text)
            var run = ContentRun(.http)
            run.send(HTTPContentTests.get, .toServer)
            run.send(response("Content-Encoding: \(coding.name)\r\nContent-Length: \(body.count)\r\n", body), .toClient)
            #expect(run.context.counters.content.memoryCapHits == 1, "\(coding)")
            #expect(run.context.counters.content.corruptCompressed == 0, "\(coding)")
            #expect(run.context.peakBufferedBytes <= Decompressor.maxMemory + (64 << 10), "\(coding)")
            #expect(run.streams.allSatisfy { $0.complete == false }, "\(coding)")
            run.endBoth()
            run.checkClean()
        }
        // An 8 MiB zstd window is within RFC 9659's limit: decoded up to the 1 MiB cap, its memory charged.
        let body = TestCoding.zstd(window: 23, size: false).compress(text)
        var run = ContentRun(.http)
        run.send(HTTPContentTests.get, .toServer)
        run.send(response("Content-Encoding: zstd\r\nContent-Length: \(body.count)\r\n", body), .toClient)
        #expect(run.context.counters.content.memoryCapHits == 0)
        #expect(run.streams.first?.bytes == Array(text[..<Int(ContentLimits.maxDecodedBytes)]))
        #expect(run.context.peakBufferedBytes > 8 << 20)
        run.endBoth()
        run.checkClean()
        // The same under a 4 MiB budget: the window's growth is refused, and counted.
        var poor = ContentRun(.http, budget: 4 << 20)
        poor.send(HTTPContentTests.get, .toServer)
        poor.send(response("Content-Encoding: zstd\r\nContent-Length: \(body.count)\r\n", body), .toClient)
        #expect(poor.context.counters.bufferCapHits == 1)
        #expect(poor.context.counters.content.memoryCapHits == 0)
        #expect(poor.streams.allSatisfy { $0.complete == false })
        poor.endBoth()
        poor.checkClean()
    }

    @Test func formValuesArePercentDecoded() {
        let body = ascii("user=j%C3%B6rg&note=card+4111%201111&empty=&flag&pw=p%zz%4")
        let request = ascii(
            "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.count)\r\n\r\n")
            + body
        for cut in 0...request.count {
            var run = ContentRun(.http)
            run.send(request, .toServer, cutAt: cut)
            run.endBoth()
            let values = run.streams.map { "\($0.name)=\(String(decoding: $0.bytes, as: UTF8.self))" }
            #expect(values == ["user=jörg", "note=card 4111 1111", "pw=p%zz"], "cut \(cut)")
            #expect(run.streams.allSatisfy { $0.kind == .httpFormValue })
            run.checkClean()
        }
    }

    @Test func multipartFormWithAFilePart() {
        // RFC 7578 §4: parts named by Content-Disposition; the boundary from Content-Type (quoted).
        let file: [UInt8] = ascii("id,ssn\r\n1,078-05-1120\r\n") + [0x00, 0xff, 0x2d, 0x2d, 0x0d]  // binary, a "--" and a CR
        let body =
            ascii("preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nfirst line\r\n-- not a boundary\r\n")
            + ascii("--XyZ\r\nContent-Disposition: form-data;\r\n name=\"upload\"; filename=\"people.csv\"\r\n")
            + ascii("Content-Type: text/csv\r\n\r\n") + file + ascii("\r\n--XyZ--\r\nepilogue")
        let request = ascii(
            "POST /up HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=\"XyZ\"\r\nContent-Length: \(body.count)\r\n\r\n")
            + body
        for cut in 0...request.count {
            var run = ContentRun(.http)
            run.send(request, .toServer, cutAt: cut)
            // Every byte but the delimiters is delivered: the preamble, each
            // part's header block, the parts, the epilogue.
            let s = run.streams
            #expect(s.count == 6, "cut \(cut)")
            guard s.count == 6 else { continue }
            #expect(s.map(\.kind) == [.httpMultipartPart, .mimeHeaders, .httpMultipartPart, .mimeHeaders, .httpMultipartPart, .httpMultipartPart])
            #expect(s.map(\.id) == Array(0..<6))
            #expect(s[0].bytes == ascii("preamble") && s[0].name == "" && s[0].mediaType == "")
            #expect(s[1].bytes == ascii("Content-Disposition: form-data; name=\"comment\"\r\n\r\n"), "cut \(cut)")
            #expect(s[2].name == "comment" && s[2].filename == "")
            #expect(s[2].bytes == ascii("first line\r\n-- not a boundary"), "cut \(cut)")
            #expect(
                s[3].bytes
                    == ascii("Content-Disposition: form-data;\r\n name=\"upload\"; filename=\"people.csv\"\r\nContent-Type: text/csv\r\n\r\n"),
                "cut \(cut)")
            #expect(s[4].name == "upload" && s[4].filename == "people.csv" && s[4].mediaType == "text/csv")
            #expect(s[4].bytes == file, "cut \(cut)")
            #expect(s[5].bytes == ascii("epilogue"), "cut \(cut)")
            #expect(s.allSatisfy { $0.complete == true })
            run.endBoth()
            run.checkClean()
        }
    }

    @Test func contentOffDecodesNothing() {
        var run = ContentRun(.http)
        run.context.content = .off
        run.send(HTTPContentTests.get, .toServer)
        run.send(response("Content-Length: 5\r\n", ascii("Hello")), .toClient)
        #expect(run.streams.isEmpty)
        #expect(run.context.counters.content == ContentCounters())
    }

    @Test func bodyToTheEndOfTheStreamAndATinyBudget() {
        var run = ContentRun(.http)
        run.send(HTTPContentTests.get, .toServer)
        run.send(ascii("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>one"), .toClient)
        run.send(ascii(" two</p>"), .toClient)
        run.endBoth()
        #expect(run.streams.first?.bytes == ascii("<p>one two</p>"))
        #expect(run.streams.first?.complete == true)
        run.checkClean()

        // Over budget: the gzip body is not decoded, the refusal counted.
        var poor = ContentRun(.http, budget: 1024)
        poor.send(HTTPContentTests.get, .toServer)
        poor.send(response("Content-Encoding: gzip\r\nContent-Length: 3\r\n", ascii("abc")), .toClient)
        #expect(poor.streams.isEmpty)
        #expect(poor.context.counters.bufferCapHits >= 1)
        poor.endBoth()
        poor.checkClean()
    }
}

@Suite struct SMTPContentTests {
    static let attachment: [UInt8] = (0..<200).map { UInt8($0) }

    /// A mail with a nested multipart: a QP text part, an HTML alternative, a base64 attachment.
    static let message: [UInt8] = {
        let b64 = base64(attachment)
        var lines: [String] = []
        var k = b64.startIndex
        while k < b64.endIndex {  // 76-character lines (RFC 2045 §6.8)
            let e = b64.index(k, offsetBy: 76, limitedBy: b64.endIndex) ?? b64.endIndex
            lines.append(String(b64[k..<e]))
            k = e
        }
        return ascii(
            "From: a@example.com\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed;\r\n\tboundary=\"outer\"\r\n\r\n"
                + "This is a multi-part message.\r\n"
                + "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
                + "--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + "Caf=C3=A9 total =3D 5=\r\n0 EUR\r\n..leading dot\r\n"
                + "--inner\r\nContent-Type: text/html\r\n\r\n<b>hi</b>\r\n--inner--\r\n"
                + "--outer\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
                + "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"data.bin\"\r\n\r\n"
                + lines.joined(separator: "\r\n") + "\r\n--outer--\r\n.\r\n")
    }()

    static func session(_ message: [UInt8]) -> (client: [UInt8], server: [UInt8]) {
        (
            ascii("EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n") + message
                + ascii("QUIT\r\n"),
            ascii("220 mx ESMTP\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go on\r\n250 queued\r\n221 bye\r\n")
        )
    }

    @Test func mimeMessageSplitAtEveryByte() {
        let (client, server) = SMTPContentTests.session(SMTPContentTests.message)
        for cut in stride(from: 0, through: client.count, by: 1) {
            var run = ContentRun(.smtp)
            run.send(server, .toClient)
            run.send(client, .toServer, cutAt: cut)
            run.endBoth()
            let s = run.parts
            #expect(s.count == 4, "cut \(cut)")
            guard s.count == 4 else { continue }
            #expect(s[0].bytes == ascii("This is a multi-part message.") && s[0].mediaType == "", "the preamble, cut \(cut)")
            #expect(s[1].bytes == ascii("Café total = 50 EUR\r\n.leading dot"), "cut \(cut)")
            #expect(s[1].mediaType == "text/plain")
            #expect(s[2].bytes == ascii("<b>hi</b>") && s[2].mediaType == "text/html")
            #expect(s[3].bytes == SMTPContentTests.attachment, "cut \(cut)")
            #expect(s[3].filename == "data.bin" && s[3].kind == .smtpMessagePart)
            #expect(run.streams.allSatisfy { $0.complete == true })
            // The header blocks as sent (the message's, then each part's), unstuffed.
            let headers = run.streams.filter { $0.kind == .mimeHeaders }.map { String(decoding: $0.bytes, as: UTF8.self) }
            #expect(headers.count == 5, "cut \(cut)")
            #expect(
                headers.first
                    == "From: a@example.com\r\nSubject: report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"outer\"\r\n\r\n",
                "cut \(cut)")
            #expect(headers.last?.hasSuffix("filename=\"data.bin\"\r\n\r\n") == true)
            run.checkClean()
        }
    }

    /// The values of the headers that hold message ids go out as spaces (the
    /// same length): a reply's References list a thread's ids, which the
    /// e-mail rule would take for addresses. Other headers are untouched.
    @Test func messageIDHeadersAreBlankedAtEveryCut() {
        func blank(_ value: String) -> String { String(repeating: " ", count: value.utf8.count) }
        let headers =
            "From: Ann Lee <ann.lee@corp-mail.io>\r\n" + "Message-ID: <CAF1x+y=zQ@mail.gmail.com>\r\n"
            + "In-Reply-To: <DM6PR11MB4321A@DM6PR11MB4321.namprd11.prod.outlook.com>\r\n"
            + "references: <a1@x.example.org>\r\n\t<part1.AbC.dEf@corp-mail.io>\r\n"
            + "X-Message-ID-Note: kept <not.an.id@corp-mail.io>\r\n" + "Content-ID:<img.1@corp-mail.io>\r\n"
            + "Subject: Re: references: <x@y.example.org>\r\n" + "\r\n"
        let expected =
            "From: Ann Lee <ann.lee@corp-mail.io>\r\n" + "Message-ID:" + blank(" <CAF1x+y=zQ@mail.gmail.com>") + "\r\n"
            + "In-Reply-To:" + blank(" <DM6PR11MB4321A@DM6PR11MB4321.namprd11.prod.outlook.com>") + "\r\n"
            + "references:" + blank(" <a1@x.example.org>") + "\r\n" + blank("\t<part1.AbC.dEf@corp-mail.io>") + "\r\n"
            + "X-Message-ID-Note: kept <not.an.id@corp-mail.io>\r\n" + "Content-ID:" + blank("<img.1@corp-mail.io>") + "\r\n"
            + "Subject: Re: references: <x@y.example.org>\r\n" + "\r\n"
        #expect(expected.utf8.count == headers.utf8.count)
        let (client, server) = SMTPContentTests.session(ascii(headers + "hello\r\n.\r\n"))
        for cut in 0...client.count {
            var run = ContentRun(.smtp)
            run.send(server, .toClient)
            run.send(client, .toServer, cutAt: cut)
            run.endBoth()
            #expect(run.streams.first { $0.kind == .mimeHeaders }?.bytes == ascii(expected), "cut \(cut)")
            #expect(run.parts.map(\.bytes) == [ascii("hello\r\n")])
            run.checkClean()
        }
    }

    @Test func plainMessageAndAResetAfterIt() {
        // Not MIME: the whole body is one part; the session goes on after the end line.
        let message = ascii("Subject: hi\r\n\r\nline one\r\n..two\r\n.\r\n")
        var run = ContentRun(.smtp)
        run.send(ascii("220 mx\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"), .toClient)
        run.send(ascii("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n") + message, .toServer)
        run.send(ascii("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: 2\r\n\r\nsecond\r\n.\r\n"), .toServer)
        run.endBoth()
        #expect(run.parts.map(\.bytes) == [ascii("line one\r\n.two\r\n"), ascii("second\r\n")])
        #expect(run.streams.map(\.bytes) == [ascii("Subject: hi\r\n\r\n"), ascii("line one\r\n.two\r\n"), ascii("Subject: 2\r\n\r\n"), ascii("second\r\n")])
        #expect(run.streams.map(\.id) == [0, 1, 2, 3])
        run.checkClean()
    }

    @Test func refusedDataAndTruncatedMessages() {
        // 554 to DATA: no text follows; the next command is read as a command.
        var refused = ContentRun(.smtp)
        refused.send(ascii("220 mx\r\n250 ok\r\n554 no\r\n"), .toClient)
        refused.send(ascii("HELO c\r\nDATA\r\n"), .toServer)
        refused.endBoth()
        #expect(refused.streams.isEmpty)
        refused.checkClean()

        // The client's stream ends inside a base64 part: the part is incomplete.
        let (client, _) = SMTPContentTests.session(SMTPContentTests.message)
        var cut = ContentRun(.smtp)
        cut.send(ascii("220 mx\r\n"), .toClient)
        cut.send(Array(client[..<(client.count - 40)]), .toServer)
        cut.endBoth()
        #expect(cut.streams.last?.complete == false)
        cut.checkClean()
    }
}

@Suite struct ContentEdgeTests {
    @Test func nestingPastTheCapIsOnePart() {
        // Five nested multiparts: the fifth is past `MIMEReader.maxNesting` and is delivered undivided.
        var body = "Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
        for level in 0..<5 {
            body += "--b\(level)\r\nContent-Type: multipart/mixed; boundary=b\(level + 1)\r\n\r\n"
        }
        body += "--b5\r\n\r\ndeep\r\n--b5--\r\n"
        for level in (0..<4).reversed() { body += "\r\n--b\(level)--\r\n" }
        var run = ContentRun(.smtp)
        run.send(ascii("220 mx\r\n250 ok\r\n354 go\r\n250 ok\r\n"), .toClient)
        run.send(ascii("HELO c\r\nDATA\r\n" + body + ".\r\n"), .toServer)
        run.endBoth()
        #expect(MIMEReader.maxNesting == 4)
        #expect(run.context.counters.content.nestingCapHits == 1)
        #expect(run.parts.count == 1)
        #expect(run.streams.filter { $0.kind == .mimeHeaders }.count == 5, "the message's and four parts' header blocks")
        #expect(run.parts.first.map { String(decoding: $0.bytes, as: UTF8.self) } == "--b4\r\nContent-Type: multipart/mixed; boundary=b5\r\n\r\n--b5\r\n\r\ndeep\r\n--b5--\r\n")
        run.checkClean()
    }

    @Test func quotedPrintableAndBase64Oddities() {
        // A stray `=`, `=` with one hex digit, lower-case hex, base64 with spaces and garbage.
        let mail = ascii(
            "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + "a = b =4 c=3d=\r\n\r\n--x\r\nContent-Transfer-Encoding: BASE64\r\n\r\naGVs bG8*\r\nh\r\n--x--\r\n.\r\n")
        for cut in 0...mail.count {
            var run = ContentRun(.smtp)
            run.send(ascii("220 mx\r\n250 ok\r\n354 go\r\n250 ok\r\n"), .toClient)
            run.send(ascii("HELO c\r\nDATA\r\n"), .toServer)
            run.send(mail, .toServer, cutAt: cut)
            run.endBoth()
            // `=` CR LF is a soft break; the last line's break belongs to the delimiter.
            #expect(run.parts.map(\.bytes) == [ascii("a = b =4 c="), ascii("hello!")], "cut \(cut)")
            run.checkClean()
        }
    }

    @Test func base64WithBytesOutsideTheAlphabetAnywhere() {
        // Random data; its base64 with spaces, line breaks and garbage dropped in
        // at random places and the stream cut at a random byte: the data comes back.
        var seed: UInt64 = 5  // the same cases every run
        func below(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
        let noise = ascii(" \r\n\t*!")
        for _ in 0..<200 {
            let data = (0..<below(120)).map { _ in UInt8(below(256)) }
            var encoded: [UInt8] = []
            for b in ascii(base64(data)) {
                while below(5) == 0 { encoded.append(noise[below(noise.count)]) }
                encoded.append(b)
            }
            let mail = ascii("Content-Transfer-Encoding: base64\r\n\r\n") + encoded + ascii("\r\n.\r\n")
            var run = ContentRun(.smtp)
            run.send(ascii("220 mx\r\n250 ok\r\n354 go\r\n250 ok\r\n"), .toClient)
            run.send(ascii("HELO c\r\nDATA\r\n"), .toServer)
            run.send(mail, .toServer, cutAt: below(mail.count + 1))
            run.endBoth()
            #expect(run.parts.map(\.bytes) == (data.isEmpty ? [] : [data]), "\(String(decoding: encoded, as: UTF8.self))")
            run.checkClean()
        }
    }

    @Test func throughFlowInspectionFromIdentification() {
        // The request's first bytes go to identification, are replayed to the HTTP reader, then the body.
        let recorder = ContentRecorder()
        var context = InspectionContext()
        context.content = .recording(recorder)
        context.flow = 7
        var flow = FlowInspection(serverPort: 8080, transport: .tcp, selection: AnalyzerSelection(parsing: "content")!)
        let body = ascii("q=a%2Bb")
        let request = ascii(
            "POST /s HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.count)\r\n\r\n")
            + body
        var offset: UInt64 = 0
        for piece in [Array(request[..<3]), Array(request[3..<40]), Array(request[40...])] {
            piece.withUnsafeBytes { flow.ingest($0, direction: .toServer, offset: offset, context: &context) }
            offset += UInt64(piece.count)
        }
        flow.end(direction: .toServer, context: &context)
        flow.end(direction: .toClient, context: &context)
        flow.release(&context)
        #expect(flow.app == .http)
        #expect(recorder.streams.map(\.bytes) == [ascii("a+b")])
        #expect(recorder.streams.first?.flow == 7 && recorder.streams.first?.name == "q")
        #expect(recorder.open.isEmpty && recorder.violations.isEmpty)
        #expect(context.bufferedBytes == 0)
    }
}
