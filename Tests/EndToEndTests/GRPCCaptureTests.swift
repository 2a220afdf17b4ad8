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
