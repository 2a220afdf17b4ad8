import Foundation
import Testing

/// `Captures/grpc-gzip.pcap`, recorded on loopback (python's grpcio 1.51,
/// client and server, `RECORD_ONLY=grpc Captures/record.sh`): one unary gRPC
/// call in clear (h2c) with `grpc-encoding: gzip`. The request (534 bytes of
/// protobuf) carries the e-mail address of `content-http.pcap`, the reply
/// (1,357 bytes) the SSN and the card number; both messages are compressed
/// (tshark: Compressed Flag 1, 251 and 262 bytes), so none of the three is on
/// the wire as it is. The server checked the request, the client the reply.
struct GRPCCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("grpc-gzip.pcap")

    @Test func valuesInCompressedGRPCMessagesAreFound() throws {
        let planted = ContentRecordedCaptureTests.planted.filter { ["pii.email", "pii.us-ssn", "pii.payment-card"].contains($0.key) }
        let bytes = try Data(contentsOf: Self.capture)
        for (rule, value) in planted {
            #expect(bytes.range(of: Data(value.utf8)) == nil, "\(rule): not readable on the wire")
        }
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.records.contains { $0["type"] as? String == "flow" && $0["app"] as? String == "http2" })
        let found = run.records.filter { ["pii", "secret"].contains($0["category"] as? String ?? "") }
        // rule: the direction it travelled
        let expected = ["pii.email": "to_server", "pii.us-ssn": "to_client", "pii.payment-card": "to_client"]
        #expect(Dictionary(uniqueKeysWithValues: found.map { ($0["rule"] as? String ?? "", $0["direction"] as? String ?? "") }) == expected)
        for f in found {
            #expect((f["details"] as? [String: Any])?["source"] as? String == "grpc-message")
            #expect(!(f["evidence"] as? String ?? "").contains(planted[f["rule"] as? String ?? ""] ?? "?"), "evidence in clear")
        }
        let content = try #require(run.stats?["content"] as? [String: Any])
        #expect((content["streams"] as? [String: Any])?["grpc-message"] as? Int == 2)
        // The messages as record_helpers.py builds them: 534 + 1,357 bytes.
        #expect((content["decoded_bytes"] as? [String: Any])?["grpc-message"] as? Int == 534 + 1_357)
    }
}

/// `Captures/grpc-messages.pcap` (`RECORD_ONLY=grpcmessages
/// Captures/record.sh`), two calls on loopback:
/// - gRPC in clear without compression: python's grpcio 1.51 server, a client
///   on the python h2 library sending the 40,603-byte request in 16 KiB DATA
///   frames (as grpc-go and Envoy do; grpcio's own client sends one frame as
///   large as its server allows). The GitHub token starts 20 bytes before the
///   first frame's end: on the wire a 9-byte frame header cuts it. The reply
///   carries the e-mail address and the SSN.
/// - gRPC-Web text over HTTP/1.1: curl posts the base64 request (e-mail
///   address, AWS key id) as grpc-web's JavaScript client does in its default
///   mode; a python server answers as a proxy would, base64 per frame (the
///   message with the card number and the SSN, then the trailers frame).
/// None of the four gRPC-Web values, and not the token, is on the wire as it
/// is; the build before this one found only the reply's two values of the
/// first call. The servers checked the requests, the clients the replies.
struct GRPCMessagesCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("grpc-messages.pcap")
    static let token = "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"

    @Test func valuesSplitByFramesOrInBase64AreFound() throws {
        let planted = ContentRecordedCaptureTests.planted
        let bytes = try Data(contentsOf: Self.capture)
        #expect(bytes.range(of: Data(Self.token.utf8)) == nil, "the token is cut by a frame header")
        for rule in ["pii.payment-card", "secret.aws-access-key-id"] {
            #expect(bytes.range(of: Data((planted[rule] ?? "?").utf8)) == nil, "\(rule): base64 on the wire")
        }
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let found = run.records.filter { ["pii", "secret"].contains($0["category"] as? String ?? "") }
        let seen = found.map { "\($0["app"] as? String ?? "") \($0["direction"] as? String ?? "") \($0["rule"] as? String ?? "")" }
        #expect(
            seen.sorted() == [
                "http to_client pii.payment-card", "http to_client pii.us-ssn", "http to_server pii.email",
                "http to_server secret.aws-access-key-id", "http2 to_client pii.email", "http2 to_client pii.us-ssn",
                "http2 to_server secret.github-pat",
            ])
        for f in found {
            #expect((f["details"] as? [String: Any])?["source"] as? String == "grpc-message")
            let value = f["rule"] as? String == "secret.github-pat" ? Self.token : planted[f["rule"] as? String ?? ""] ?? "?"
            #expect(!(f["evidence"] as? String ?? "").contains(value), "evidence in clear")
        }
        let content = try #require(run.stats?["content"] as? [String: Any])
        #expect((content["streams"] as? [String: Any])?["grpc-message"] as? Int == 5)
        // The five messages as record_helpers.py builds them (tshark's lengths, below).
        #expect((content["decoded_bytes"] as? [String: Any])?["grpc-message"] as? Int == 40_603 + 58 + 51 + 47 + 30)
    }

    /// tshark (4.0) de-frames both calls, base64 included: the same messages.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"), "tshark is absent"))
    func theMessagesAreTsharks() throws {
        let text = try tshark([
            "-r", Self.capture.path, "-d", "tcp.port==18107,http2", "-d", "tcp.port==18108,http", "-T", "fields",
            "-e", "grpc.message_length",
        ])
        let lengths = text.split(whereSeparator: { $0 == "\n" || $0 == "," }).compactMap { Int($0) }
        #expect(lengths == [40_603, 58, 51, 47, 30])
    }
}
