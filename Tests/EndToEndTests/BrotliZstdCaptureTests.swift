import Foundation
import Testing

/// `Captures/content-br-zstd.pcap`, recorded on loopback (`curl --compressed`
/// against a Python server, `RECORD_ONLY=brzstd Captures/record.sh`): the
/// values of `content-http.pcap` in two answers on one keep-alive connection,
/// a JSON customer record compressed with `br` (the brotli tool) and a
/// deployment file compressed with `zstd` (the zstd tool). curl decoded both
/// while recording; on the wire none of the values appears as it is.
struct BrotliZstdCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("content-br-zstd.pcap")
    static let planted = ContentRecordedCaptureTests.planted.filter { $0.key != "pii.payment-card" }

    @Test func valuesInBrotliAndZstdBodiesAreFound() throws {
        let bytes = try Data(contentsOf: Self.capture)
        for (rule, value) in Self.planted {
            #expect(bytes.range(of: Data(value.utf8)) == nil, "\(rule): not readable on the wire")
        }
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let found = run.records.filter { ["pii", "secret"].contains($0["category"] as? String ?? "") }
        // rule: the field it was found in (the JSON key, the .env name)
        let expected = [
            "pii.email": "email", "pii.us-ssn": "ssn",
            "secret.aws-access-key-id": "AWS_ACCESS_KEY_ID", "secret.github-pat": "GITHUB_TOKEN",
        ]
        #expect(found.count == expected.count)
        for f in found {
            let rule = f["rule"] as? String ?? ""
            let details = try #require(f["details"] as? [String: Any])
            #expect(details["source"] as? String == "http-response-body", "\(rule)")
            #expect(details["field"] as? String == expected[rule], "\(rule)")
            #expect(!(f["evidence"] as? String ?? "").contains(Self.planted[rule] ?? "?"), "\(rule) evidence in clear")
        }
        let content = try #require(run.stats?["content"] as? [String: Any])
        #expect(content["unsupported_codings"] as? Int == 0)
        #expect(content["corrupt_compressed"] as? Int == 0)
        #expect((content["streams"] as? [String: Any])?["http-response-body"] as? Int == 2)
        // The JSON record is 4,668 bytes (what tshark 4.0 exports, br undone: the
        // test below); the .env file 1,884 (40 FEATURE_ lines, the three of the
        // values and region, 40 WORKER_ lines, as record_helpers.py writes them).
        #expect((content["decoded_bytes"] as? [String: Any])?["http-response-body"] as? Int == 4_668 + 1_884)
    }

    /// tshark decompresses `br` bodies too (not `zstd`, in 4.0): the record it
    /// exports is as long as the body PlainSight decoded from the same bytes.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"), "tshark is absent"))
    func theBrotliRecordIsAsLongAsTsharksExport() throws {
        let dir = Paths.temporaryDirectory()
        _ = try tshark(["-r", Self.capture.path, "-d", "tcp.port==18105,http", "-q", "--export-objects", "http,\(dir.path)"])
        let record = try Data(contentsOf: dir.appendingPathComponent("customers.json"))
        #expect(record.count == 4_668)
        #expect(record.range(of: Data("dana.whitfield@corp-mail.io".utf8)) != nil)
    }
}
