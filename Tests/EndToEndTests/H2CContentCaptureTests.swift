import Foundation
import Testing

/// `Captures/h2c-content.pcap`, recorded on loopback (curl 7.88 / nghttp2
/// against a server on the python h2 library, `RECORD_ONLY=h2ccontent
/// Captures/record.sh`): the data of `content-http.pcap` over HTTP/2 in clear.
/// Connection 1 (prior knowledge): a POST whose JSON body holds a card number
/// and whose `x-deploy-token` header holds a GitHub token, Huffman-coded by
/// HPACK; the answer, gzip-compressed in DATA frames of 16 bytes, holds an
/// e-mail address and an SSN. Connection 2 (`Upgrade: h2c`): a text file with
/// an AWS key id, answered on stream 1. Only the header token and the gzip
/// record need HTTP/2 decoding: on the wire they are Huffman code and deflate.
struct H2CContentCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("h2c-content.pcap")
    /// The same fake values as `content-http.pcap`.
    static let planted = ContentRecordedCaptureTests.planted

    @Test func everyPlantedValueIsFoundInItsDecodedStream() throws {
        let bytes = try Data(contentsOf: Self.capture)
        for rule in ["secret.github-pat", "pii.email", "pii.us-ssn"] {
            #expect(bytes.range(of: Data(Self.planted[rule]!.utf8)) == nil, "\(rule): not readable on the wire")
        }
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let found = run.records.filter { ["pii", "secret"].contains($0["category"] as? String ?? "") }
        #expect(found.count == Self.planted.count)
        // rule: direction, source, field
        let expected = [
            "secret.github-pat": ["to_server", "http2-headers", "x-deploy-token"],
            "pii.payment-card": ["to_server", "http-request-body", "card_number"],
            "pii.email": ["to_client", "http-response-body", "email"],
            "pii.us-ssn": ["to_client", "http-response-body", "ssn"],
            "secret.aws-access-key-id": ["to_client", "http-response-body", "AWS_ACCESS_KEY_ID"],
        ]
        for f in found {
            let rule = f["rule"] as? String ?? ""
            let details = try #require(f["details"] as? [String: Any])
            #expect(
                [f["direction"] as? String ?? "", details["source"] as? String ?? "", details["field"] as? String ?? ""]
                    == expected[rule], "\(rule)")
            #expect(!(f["evidence"] as? String ?? "").contains(Self.planted[rule] ?? "?"), "\(rule) evidence in clear")
        }
        #expect(!run.stdout.contains("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"))
        // tshark (`-d tcp.port==18098,http2`) reads the POST's body as one 67-byte DATA frame.
        let content = try #require(run.stats?["content"] as? [String: Any])
        let decoded = try #require(content["decoded_bytes"] as? [String: Any])
        #expect(decoded["http-request-body"] as? Int == 67)
        let streams = try #require(content["streams"] as? [String: Any])
        #expect(streams["http2-headers"] as? Int == 3, "the POST's, its answer's and the upgraded request's answer's")
        #expect(streams["http-response-body"] as? Int == 2)
    }
}
