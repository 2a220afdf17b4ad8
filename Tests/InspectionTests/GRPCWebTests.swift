import Foundation
import Testing
@testable import Flows
@testable import Inspection

/// gRPC-Web over HTTP/1.1 (browser → proxy): the body is read message by
/// message, base64-decoded first for `application/grpc-web-text`, whose
/// pieces may each end in padding.
struct GRPCWebTests {
    static let token = HTTP2ContentTests.token
    static let protobuf: [UInt8] = [0x0a, 4] + Array("demo".utf8) + [0x12, 24] + Array(token.utf8)
    static let trailers = Array("grpc-status:0\r\ngrpc-message:\r\n".utf8)
    /// The response framing: one message, then the trailers frame (flag 0x80).
    static let responseFrames = HTTP2ContentTests.grpcMessage(protobuf, compressed: false)
        + [0x80, 0, 0, 0, UInt8(trailers.count)] + trailers

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func request(_ body: String, contentType: String) -> [UInt8] {
        Array(
            ("POST /plainsight.Demo/Get HTTP/1.1\r\nHost: svc:8080\r\nContent-Type: \(contentType)\r\nX-Grpc-Web: 1\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    }

    /// A chunked response whose chunks are `pieces`.
    static func response(_ pieces: [String], contentType: String) -> [UInt8] {
        var text = "HTTP/1.1 200 OK\r\nContent-Type: \(contentType)\r\nTransfer-Encoding: chunked\r\n\r\n"
        for p in pieces { text += String(p.utf8.count, radix: 16) + "\r\n" + p + "\r\n" }
        return Array((text + "0\r\n\r\n").utf8)
    }

    /// The text exchange: the request's message in one base64 run, the
    /// response's message and trailers base64-encoded apart (padding in the middle).
    static let textExchange = (
        client: request(base64(HTTP2ContentTests.grpcMessage(protobuf, compressed: false)), contentType: "application/grpc-web-text"),
        server: response(
            [base64(HTTP2ContentTests.grpcMessage(protobuf, compressed: false)),
             base64([0x80, 0, 0, 0, UInt8(trailers.count)] + trailers)],
            contentType: "application/grpc-web-text+proto")
    )

    static func recorded(client: [UInt8], server: [UInt8], cut: Int? = nil) -> (ContentRecorder, InspectionContext) {
        let (context, recorder) = HTTP2ContentTests.recording()
        var c = Conversation(port: 8080)
        c.context = context
        if let cut {
            c.client(Array(client[..<cut]))
            c.client(Array(client[cut...]))
        } else {
            c.client(client)
        }
        c.server(server)
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        return (recorder, c.context)
    }

    @Test func textBodiesAreBase64DecodedIntoMessages() {
        let (r, context) = Self.recorded(client: Self.textExchange.client, server: Self.textExchange.server)
        #expect(r.streams.map(\.kind) == [.grpcMessage, .grpcMessage, .grpcMessage])
        #expect(r.streams.map(\.bytes) == [Self.protobuf, Self.protobuf, Self.trailers])
        #expect(r.streams.map(\.direction) == [.toServer, .toClient, .toClient])
        #expect(r.streams.allSatisfy { $0.complete == true } && r.violations.isEmpty)
        #expect(context.bufferedBytes == 0)
    }

    @Test func binaryBodiesWithCompressedMessages() {
        let client = Array(
            ("POST /plainsight.Demo/Get HTTP/1.1\r\nHost: svc\r\nContent-Type: application/grpc-web+proto\r\n"
                + "grpc-encoding: gzip\r\nContent-Length: ").utf8)
        let body = HTTP2ContentTests.grpcMessage(TestCoding.gzip.compress(Self.protobuf), compressed: true)
        let (r, _) = Self.recorded(
            client: client + Array("\(body.count)\r\n\r\n".utf8) + body,
            server: Array("HTTP/1.1 200 OK\r\nContent-Type: application/grpc-web\r\nContent-Length: \(Self.responseFrames.count)\r\n\r\n".utf8)
                + Self.responseFrames)
        #expect(r.streams.map(\.bytes) == [Self.protobuf, Self.protobuf, Self.trailers])
        #expect(r.violations.isEmpty)
    }

    /// The token is found once, in its message, wherever TCP cuts the base64
    /// request; nothing is found in the base64 wire bytes.
    @Test func foundOnceWhereverTheRequestIsCut() throws {
        let client = Self.textExchange.client
        for cut in stride(from: 1, to: client.count, by: 7) {
            var c = try ContentScanFlowTests.conversation(port: 8080)
            c.client(Array(client[..<cut]))
            c.client(Array(client[cut...]))
            c.server(Self.textExchange.server)
            c.inspection.end(direction: .toServer, context: &c.context)
            c.inspection.end(direction: .toClient, context: &c.context)
            let found = c.context.takeContentSightings().contents.map {
                "\($0.direction == .toServer ? ">" : "<") \(String(decoding: $0.match.value, as: UTF8.self)) \($0.source?.name ?? "stream")"
            }
            #expect(found.sorted() == ["< \(Self.token) grpc-message", "> \(Self.token) grpc-message"], "cut \(cut)")
            #expect(c.context.bufferedBytes == 0)
        }
    }

    /// A body with a content coding on top is not gRPC framing: decoded whole.
    @Test func aContentCodedBodyIsDecodedWhole() {
        let body = TestCoding.gzip.compress(Array(Self.base64(Self.responseFrames).utf8))
        let (r, _) = Self.recorded(
            client: Self.request("", contentType: "application/grpc-web-text"),
            server: Array(
                ("HTTP/1.1 200 OK\r\nContent-Type: application/grpc-web-text\r\nContent-Encoding: gzip\r\n"
                    + "Content-Length: \(body.count)\r\n\r\n").utf8) + body)
        #expect(r.streams.map(\.kind) == [.httpResponseBody])
    }

    /// A `grpc-web-text` body that is not base64 (an error page) is scanned
    /// raw, not decoded into garbage messages, wherever TCP cuts it — also
    /// inside the value, whose first bytes are base64 characters (both found
    /// by review).
    @Test func aTextBodyThatIsNotBase64IsScannedRaw() throws {
        for text in ["error: api_key \(Self.token) rejected\n", "\(Self.token) rejected: unknown key\n"] {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/grpc-web-text\r\nContent-Length: \(text.utf8.count)\r\n\r\n"
            let body = Array(text.utf8)
            for cut in 0...body.count {
                var c = try ContentScanFlowTests.conversation(port: 8080)
                c.client(Self.request("", contentType: "application/grpc-web-text"))
                c.server(Array(head.utf8) + Array(body[..<cut]))
                if cut < body.count { c.server(Array(body[cut...])) }
                c.inspection.end(direction: .toServer, context: &c.context)
                c.inspection.end(direction: .toClient, context: &c.context)
                let found = c.context.takeContentSightings().contents.map {
                    String(decoding: $0.match.value, as: UTF8.self) + " " + ($0.source?.name ?? "stream")
                }
                #expect(found == ["\(Self.token) stream"], "cut \(cut)")
                #expect(c.context.bufferedBytes == 0)
            }
        }
    }

    /// gRPC-Web over HTTP/1.1: a message not delivered before a plain one in
    /// the same segment; the plain one's token is found once.
    @Test func aPlainMessageAfterAnUndeliveredOneIsFoundOnce() throws {
        let body = HTTP2ContentTests.grpcMessage([0x11, 0x22, 0x33, 0x44, 0x55, 0x66], compressed: true)
            + HTTP2ContentTests.grpcMessage(GRPCMessageScanTests.plainPB, compressed: false)
        var c = try ContentScanFlowTests.conversation(port: 8080)
        c.client(
            Array(
                ("POST /plainsight.Demo/Get HTTP/1.1\r\nHost: svc:8080\r\nContent-Type: application/grpc-web+proto\r\n"
                    + "grpc-encoding: snappy\r\nContent-Length: \(body.count)\r\n\r\n").utf8) + body)
        c.server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        let found = c.context.takeContentSightings().contents.map {
            String(decoding: $0.match.value, as: UTF8.self) + " " + ($0.source?.name ?? "stream")
        }
        #expect(found == ["\(Self.token) grpc-message"])
    }

    /// A text body with a byte outside base64 after a message and a half
    /// gives the same streams however TCP cuts it: decoded up to that byte
    /// (Fuzz/Regressions/FuzzCleartext-grpc-web-text-segmentation.bin: a check
    /// per chunk decoded more when the body came in pieces).
    @Test func aTextBodyWithAStrayByteGivesTheSameStreamsHoweverItIsCut() {
        let framing = HTTP2ContentTests.grpcMessage(Self.protobuf, compressed: false)
            + HTTP2ContentTests.grpcMessage(Self.protobuf, compressed: false)
        let encoded = Self.base64(framing)
        let body = String(encoded.prefix(encoded.count - 12)) + "$" + String(encoded.suffix(12))
        let client = Self.request(body, contentType: "application/grpc-web-text")
        let whole = Self.recorded(client: client, server: [])
        // The bytes before the `$`, less two prefixes and the first message.
        let second = (encoded.count - 12) / 4 * 3 - 2 * 5 - Self.protobuf.count
        #expect(whole.0.streams.map(\.bytes.count) == [Self.protobuf.count, second])
        #expect(whole.0.streams.map(\.complete) == [true, false])
        for cut in 1..<client.count {
            let r = Self.recorded(client: client, server: [], cut: cut)
            #expect(r.0.streams == whole.0.streams, "cut \(cut)")
            #expect(r.1.bufferedBytes == 0)
        }
    }
}

