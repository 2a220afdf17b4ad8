import Foundation
import Testing

/// Decoded HTTP bodies against tshark's `--export-objects http` (which
/// de-chunks and decompresses them too): on real captures without forms,
/// as many bodies and as many decoded bytes as tshark exports; and the mail
/// of the SMTP samples. Skipped without ../shared or tshark.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: Paths.realCaptures.path)
                    && FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"),
                "../shared/captures/real or tshark is absent: content comparison skipped"))
struct ContentCaptureTests {
    static func content(_ capture: URL) throws -> [String: Any] {
        let run = try plainsight(["read", capture.path, "--format", "json"])
        let stats = try #require(parseRecords(run.stdout).first { $0["type"] as? String == "stats" })
        return try #require(stats["content"] as? [String: Any])
    }

    /// Files and bytes tshark exports as HTTP objects.
    static func tsharkObjects(_ capture: URL) throws -> (files: Int, bytes: Int) {
        let dir = Paths.temporaryDirectory()
        _ = try tshark(["-r", capture.path, "-q", "--export-objects", "http,\(dir.path)"])
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: [.fileSizeKey])
        let bytes = try files.reduce(0) { $0 + (try $1.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0) }
        return (files.count, bytes)
    }

    @Test(arguments: [
        "zeek__http__cooper-grill-dvwa.pcapng",  // chunked responses
        "ndpi__http_auth.pcap", "ndpi__webdav.pcap", "zeek__http__basic-auth-with-colon.pcap",
    ])
    func httpBodiesMatchTshark(capture: String) throws {
        let url = Paths.realCaptures.appendingPathComponent(capture)
        let content = try ContentCaptureTests.content(url)
        let streams = try #require(content["streams"] as? [String: Int])
        let bytes = try #require(content["decoded_bytes"] as? [String: Int])
        let oracle = try ContentCaptureTests.tsharkObjects(url)
        #expect(oracle.files > 0)
        #expect(streams["http-request-body"]! + streams["http-response-body"]! == oracle.files)
        #expect(bytes["http-request-body"]! + bytes["http-response-body"]! == oracle.bytes)
        #expect(content["corrupt_compressed"] as? Int == 0)
    }

    @Test func smtpMailIsDecoded() throws {
        // One message: a text part in base64, 596 characters with padding (tshark shows them), 445 bytes decoded.
        for (capture, expected) in [("arkime__smtp-data-250.pcap", 445)] {
            let content = try ContentCaptureTests.content(Paths.realCaptures.appendingPathComponent(capture))
            let streams = try #require(content["streams"] as? [String: Int])
            let bytes = try #require(content["decoded_bytes"] as? [String: Int])
            #expect(streams["smtp-message-part"] == 1)
            #expect(bytes["smtp-message-part"] == expected)
        }
    }
}
