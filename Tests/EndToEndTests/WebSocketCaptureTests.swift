import Foundation
import Testing

/// `Captures/websocket.pcap` (`RECORD_ONLY=websocket Captures/record.sh`):
/// python3-websockets 10.4 as server and client on loopback, three
/// connections (then a browser, below): permessage-deflate with context takeover (the library's
/// default; the second checkout is 27 bytes on the wire, mostly a reference
/// into the first), without compression, and with no_context_takeover both
/// ways. Each sends a checkout with the card number (and a Luhn-invalid
/// order number), a message in three fragments whose GitHub token two
/// fragments cut, a binary message holding the e-mail address, a ping and a
/// deploy request; the server answers with the SSN and e-mail address, and
/// the AWS key id. Then headless chromium loads the server's shop page,
/// whose script sends a checkout and a deploy request over a fourth
/// connection (permessage-deflate, a 12-bit window). Everything a client
/// sends is masked. The build before this one found three values, in the one
/// connection without compression (the server's replies); the card number
/// and the token were never found.
struct WebSocketCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("websocket.pcap")
    static let token = "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"

    @Test func valuesInMaskedCompressedOrFragmentedMessagesAreFound() throws {
        let planted = ContentRecordedCaptureTests.planted
        let bytes = try Data(contentsOf: Self.capture)
        for value in [planted["pii.payment-card"] ?? "?", Self.token] {
            #expect(bytes.range(of: Data(value.utf8)) == nil, "\(value.prefix(4))…: masked on the wire")
        }
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let found = run.records.filter { ["pii", "secret"].contains($0["category"] as? String ?? "") }
        // Each value once per server, seen in every connection that carried it
        // (the browser's sends no token).
        let counts = Dictionary(uniqueKeysWithValues: found.map { ($0["rule"] as? String ?? "", $0["count"] as? Int ?? 0) })
        #expect(counts == Dictionary(uniqueKeysWithValues: planted.keys.map { ($0, $0 == "secret.github-pat" ? 3 : 4) }))
        for f in found {
            let details = try #require(f["details"] as? [String: Any])
            #expect(details["source"] as? String == "websocket-message")
            let rule = f["rule"] as? String ?? ""
            let value = rule == "secret.github-pat" ? Self.token : planted[rule] ?? "?"
            #expect(!(f["evidence"] as? String ?? "").contains(value), "\(rule): evidence in clear")
        }
        let stats = try #require(run.stats)
        let http = try #require(stats["http"] as? [String: Any])
        #expect(http["websocket_upgrades"] as? Int == 4 && http["websocket_malformed"] as? Int == 0)
        let content = try #require(stats["content"] as? [String: Any])
        // Five messages each way per python connection, two in the browser's.
        #expect((content["streams"] as? [String: Any])?["websocket-message"] as? Int == 34)
        #expect(content["corrupt_compressed"] as? Int == 0)
        // Nine matches per python connection and four in the browser's, all in
        // the decoded messages: the raw scan skipped the uncompressed server
        // frames it would have read again.
        #expect((content["scan"] as? [String: Any])?["matches"] as? Int == 31)
    }

    /// tshark (4.0) unmasks and reassembles the python connection without
    /// compression (it misreads the other two: fragments of a compressed
    /// message, and what follows them with the window kept), and inflates the
    /// browser's four messages: PlainSight decoded the same bytes in each of
    /// the three python connections, and the browser's.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"), "tshark is absent"))
    func decodedBytesAreTsharksThreeTimes() throws {
        let text = try tshark([
            "-r", Self.capture.path, "-Y", "tcp.stream == 1 && websocket.opcode < 3", "-T", "fields",
            "-e", "websocket.payload_length", "-e", "websocket.payload_length_ext_16",
        ])
        let lengths = text.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).compactMap { Int($0) }
            return fields.count > 1 ? fields[1] : fields.first ?? 0
        }
        #expect(lengths.count == 12, "ten messages, one of them in three frames")
        let browser = try tshark([
            "-r", Self.capture.path, "-Y", "tcp.stream == 5 && websocket.opcode < 3", "-T", "fields",
            "-e", "websocket.payload.text",
        ]).split(separator: "\n")
        #expect(browser.count == 4 && browser.first?.contains("from the browser") == true)
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        let content = try #require(run.stats?["content"] as? [String: Any])
        #expect(
            (content["decoded_bytes"] as? [String: Any])?["websocket-message"] as? Int
                == 3 * lengths.reduce(0, +) + browser.reduce(0) { $0 + $1.utf8.count })
    }
}
