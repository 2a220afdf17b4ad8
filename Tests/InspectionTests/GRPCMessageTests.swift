import Scanning
import TestSupport
import Testing
@testable import Flows
@testable import Inspection

/// gRPC messages: framing cut anywhere, malformed lengths and prefixes, resets (found sound by review).
struct GRPCMessageTests {
    static let protobuf: [UInt8] = [0x0a, 4] + Array("demo".utf8) + [0x12, 24] + Array("tok_abcdefghij0123456789".utf8)
    static let encoding = H2.literal("grpc-encoding", "gzip")

    /// The client's body `request`, DATA frames cut by `frames`; the streams recorded.
    static func run(_ request: [UInt8], frames: [Int] = [], endStream: Bool = true, reset: Bool = false, tcpCut: Int? = nil)
        -> (streams: [ContentRecorder.Stream], buffered: Int, open: Int)
    {
        let (context, recorder) = HTTP2ContentTests.recording()
        var run = H2Run(context: context)
        var data: [UInt8] = []
        var start = 0
        for (k, end) in (frames + [request.count]).enumerated() {
            let last = k == frames.count
            data += H2.dataFrame(1, Array(request[start..<end]), endStream: last && endStream)
            start = end
        }
        let client = H2.preface + H2.settings() + H2.headers(1, H2.grpcCall + encoding) + data
        if let tcpCut {
            run.send(Array(client[..<tcpCut]), .toServer)
            run.send(Array(client[tcpCut...]), .toServer)
        } else {
            run.send(client, .toServer)
        }
        if reset { run.send(H2.settings() + H2.frame(HTTP2Frame.rstStream, stream: 1, [0, 0, 0, 8]), .toClient) }
        run.finish()
        return (recorder.streams.filter { $0.kind == .grpcMessage }, run.context.bufferedBytes, recorder.open.count)
    }

    /// gRPC-Web over HTTP/2 is read as gRPC is, its trailers frame (flag
    /// 0x80) delivered as a message of its own.
    @Test func grpcWebIsReadAsMessages() {
        let (context, recorder) = HTTP2ContentTests.recording()
        var run = H2Run(context: context)
        let call: [UInt8] = [0x83, 0x86] + H2.literal(nameIndex: 4, "/plainsight.Demo/Get") + H2.literal(nameIndex: 1, "svc:8080")
            + H2.literal("content-type", "application/grpc-web+proto") + Self.encoding
        let trailers = Array("grpc-status:0\r\n".utf8)
        let body = HTTP2ContentTests.grpcMessage(TestCoding.gzip.compress(Self.protobuf), compressed: true)
            + [0x80, 0, 0, 0, UInt8(trailers.count)] + trailers
        run.send(H2.preface + H2.settings() + H2.headers(1, call) + H2.dataFrame(1, body, endStream: true), .toServer)
        run.finish()
        #expect(recorder.streams.map(\.kind) == [.http2Headers, .grpcMessage, .grpcMessage])
        #expect(recorder.streams.dropFirst().map(\.bytes) == [Self.protobuf, trailers])
        #expect(run.context.counters.content.corruptCompressed == 0 && recorder.violations.isEmpty)
    }

    @Test func malformedAndCutMessages() {
        let z = TestCoding.gzip.compress(Self.protobuf)
        let two = HTTP2ContentTests.grpcMessage(z, compressed: true) + HTTP2ContentTests.grpcMessage(z, compressed: true)
        let whole = Self.run(two)
        #expect(whole.streams.map(\.bytes) == [Self.protobuf, Self.protobuf])
        // Every DATA frame one byte.
        let bytewise = Self.run(two, frames: Array(1..<two.count))
        #expect(bytewise.streams.map(\.bytes) == whole.streams.map(\.bytes))
        #expect(bytewise.streams.map(\.complete) == whole.streams.map(\.complete))
        #expect(bytewise.buffered == 0 && bytewise.open == 0)
        // Every TCP cut.
        for cut in 1..<200 {
            let r = Self.run(two, frames: [7, 40], tcpCut: cut)
            #expect(r.streams.map(\.bytes) == [Self.protobuf, Self.protobuf], "cut \(cut)")
            #expect(r.buffered == 0)
        }
        // 0xFFFFFFFF length.
        let huge = [1, 0xff, 0xff, 0xff, 0xff] + z
        let h = Self.run(huge)
        #expect(h.streams.map(\.bytes) == [Self.protobuf] && h.streams.first?.complete == false && h.buffered == 0)
        // END_STREAM in a prefix, RST mid-message, direction ends mid-message.
        let mid = Self.run(two + [1, 0, 0])
        #expect(mid.streams.count == 2 && mid.buffered == 0 && mid.open == 0)
        let rst = Self.run(Array(two[..<20]), endStream: false, reset: true)
        #expect(rst.streams.count == 1 && rst.streams.first?.complete == false && rst.buffered == 0 && rst.open == 0)
        let ended = Self.run(Array(two[..<20]), endStream: false)
        #expect(ended.streams.count == 1 && ended.streams.first?.complete == false && ended.buffered == 0 && ended.open == 0)
        // Empty compressed message, flag set, corrupt data.
        let e = Self.run([1, 0, 0, 0, 0] + [1, 0, 0, 0, 3, 1, 2, 3])
        #expect(e.buffered == 0 && e.open == 0)
    }
}

/// Each message's token is found once, in its message, wherever the DATA
/// frames cut the body (a plain message's token split by a frame header was
/// missed when the raw scan read it).
struct GRPCMessageScanTests {
    @Test func foundOnceWhateverTheFraming() throws {
        let token = HTTP2ContentTests.token
        let pb: [UInt8] = [0x0a, 24] + Array(token.utf8)
        let other = "tok_zzzzzzzzzz9999999999"
        let plainPB: [UInt8] = [0x0a, 24] + Array(other.utf8)
        let body = HTTP2ContentTests.grpcMessage(TestCoding.gzip.compress(pb), compressed: true) + HTTP2ContentTests.grpcMessage(plainPB, compressed: false)
        for cut in 1..<body.count {
            let client = H2.preface + H2.settings() + H2.headers(1, H2.grpcCall + GRPCMessageTests.encoding)
                + H2.dataFrame(1, Array(body[..<cut]), endStream: false) + H2.dataFrame(1, Array(body[cut...]), endStream: true)
            let r = try HTTP2ContentTests.scanned(client)
            #expect(r.found.sorted() == ["\(token) grpc-message", "\(other) grpc-message"], "cut \(cut) of \(body.count)")
            #expect(r.context.bufferedBytes == 0)
        }
    }

    static let plainPB: [UInt8] = [0x0a, 24] + Array(HTTP2ContentTests.token.utf8)

    /// A message not delivered (snappy is not undone) before a plain one in
    /// the same DATA frame: the plain one's token is found once, however the
    /// frames cut the body (the raw scan skipped only a front once; found by review).
    @Test(arguments: [false, true])
    func aPlainMessageAfterAnUndeliveredOneIsFoundOnce(splitFrames: Bool) throws {
        let snappy = HTTP2ContentTests.grpcMessage([0x11, 0x22, 0x33, 0x44, 0x55, 0x66], compressed: true)
        let plain = HTTP2ContentTests.grpcMessage(Self.plainPB, compressed: false)
        let data = splitFrames
            ? H2.dataFrame(1, snappy, endStream: false) + H2.dataFrame(1, plain, endStream: true)
            : H2.dataFrame(1, snappy + plain, endStream: true)
        let client = H2.preface + H2.settings() + H2.headers(1, H2.grpcCall + H2.literal("grpc-encoding", "snappy")) + data
        let r = try HTTP2ContentTests.scanned(client)
        #expect(r.found == ["\(HTTP2ContentTests.token) grpc-message"], "split frames: \(splitFrames)")
        #expect(r.context.bufferedBytes == 0 && r.context.counters.content.unsupportedCodings == 1)
    }

    /// Bytes of a compressed message that were not decoded — corrupt data,
    /// text after the compressed stream's end — are scanned raw (found by review).
    @Test func undecodedBytesOfACompressedMessageAreScannedRaw() throws {
        let encoding = H2.literal("grpc-encoding", "gzip")
        let corrupt = H2.preface + H2.settings() + H2.headers(1, H2.grpcCall + encoding)
            + H2.dataFrame(1, HTTP2ContentTests.grpcMessage(Self.plainPB, compressed: true), endStream: true)
        let c = try HTTP2ContentTests.scanned(corrupt)
        #expect(c.found == ["\(HTTP2ContentTests.token) stream"])
        #expect(c.context.counters.content.corruptCompressed == 1)
        let trailing = TestCoding.gzip.compress(Array("x".utf8)) + Array(" note \(HTTP2ContentTests.token) end".utf8)
        let after = H2.preface + H2.settings() + H2.headers(1, H2.grpcCall + encoding)
            + H2.dataFrame(1, HTTP2ContentTests.grpcMessage(trailing, compressed: true), endStream: true)
        #expect(try HTTP2ContentTests.scanned(after).found == ["\(HTTP2ContentTests.token) stream"])
    }
}

