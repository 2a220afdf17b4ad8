import Foundation
import Testing

/// The `tls` object of every flow against tshark's view of the same
/// handshake (the oracle beside each capture): negotiated version, cipher and
/// SNI wherever tshark saw both hellos, and JA3; JA4 against an independent
/// implementation of FoxIO's specification (Fixtures/ja4-expected.json).
@Suite struct TLSOracleTests {
    static let versionNames = [
        "0x0002": "SSLv2", "0x0300": "SSLv3", "0x0301": "TLSv1.0", "0x0302": "TLSv1.1", "0x0303": "TLSv1.2",
        "0x0304": "TLSv1.3",
    ]

    static var samples: [URL] {
        var urls = captures(in: Paths.captures)
        if FileManager.default.fileExists(atPath: Paths.realCaptures.path) { urls += captures(in: Paths.realCaptures) }
        return urls
    }

    static func captures(in folder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
            .map { folder.appendingPathComponent($0) }
    }

    /// Oracle conversations that carry TLS hellos, by endpoint string.
    static func oracleTLS(_ capture: URL) throws -> [String: [String: Any]] {
        let oracle = capture.deletingLastPathComponent().appendingPathComponent("oracle/\(capture.lastPathComponent).json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: oracle)) as! [String: Any]
        var result: [String: [String: Any]] = [:]
        for c in json["conversations"] as! [[String: Any]] {
            if let tls = c["tls"] as? [String: Any], tls["client_hello"] is [String: Any] { result[endpoints(c)] = tls }
        }
        return result
    }

    @Test(arguments: TLSOracleTests.samples.map(\.lastPathComponent))
    func handshakesAgreeWithTshark(capture: String) throws {
        let url = TLSOracleTests.samples.first { $0.lastPathComponent == capture }!
        let expected = try TLSOracleTests.oracleTLS(url)
        guard !expected.isEmpty else { return }
        let run = try plainsight(["read", url.path, "--format", "json", "--ca-bundle", "none"])
        #expect(run.status == 0, "\(run.stderr)")
        let flows = Dictionary(run.flows.map { (endpoints($0), $0) }, uniquingKeysWith: { a, _ in a })
        for (conversation, oracle) in expected {
            let key = "\(capture) \(conversation)"
            let flow = try #require(flows[conversation], "\(key): no flow")
            let tls = try #require(flow["tls"] as? [String: Any], "\(key): no tls object (app \(flow["app"] ?? "?"))")
            let hello = oracle["client_hello"] as! [String: Any]
            if (hello["sslv2_format"] as? Bool) != true {
                #expect(tls["ja3"] as? String == hello["ja3"] as? String, "\(key): JA3")
            }
            #expect(tls["sni"] as? String == hello["sni"] as? String, "\(key): SNI")
            // Version and cipher wherever tshark saw the ServerHello.
            if let version = oracle["negotiated_version"] as? String {
                // Draft and experimental TLS 1.3 versions are written as hex, like tshark's value.
                #expect(tls["version"] as? String == TLSOracleTests.versionNames[version] ?? version, "\(key): version")
            }
            if let cipher = oracle["negotiated_cipher_name"] as? String, (hello["sslv2_format"] as? Bool) != true {
                #expect(tls["cipher"] as? String == cipher, "\(key): cipher")
            }
        }
    }

    struct JA4Vector: Decodable {
        var file: String
        var client_ip: String
        var client_port: Int
        var server_ip: String
        var server_port: Int
        var ja4: String
    }

    static var ja4Vectors: [JA4Vector] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ja4-expected.json")
        struct Document: Decodable { var hellos: [JA4Vector] }
        let all = (try? JSONDecoder().decode(Document.self, from: Data(contentsOf: url)).hellos) ?? []
        return all.filter { v in samples.contains { $0.lastPathComponent == v.file } }
    }

    @Test func ja4MatchesTheIndependentImplementation() throws {
        let vectors = TLSOracleTests.ja4Vectors
        #expect(vectors.count >= 19, "the samples in Captures/ alone have 19 hellos")
        for file in Set(vectors.map(\.file)).sorted() {
            let url = TLSOracleTests.samples.first { $0.lastPathComponent == file }!
            let run = try plainsight(["read", url.path, "--format", "json", "--ca-bundle", "none"])
            let flows = Dictionary(run.flows.map { (endpoints($0), $0) }, uniquingKeysWith: { a, _ in a })
            for v in vectors where v.file == file {
                let key = "tcp \(v.client_ip):\(v.client_port) > \(v.server_ip):\(v.server_port)"
                let tls = flows[key]?["tls"] as? [String: Any]
                #expect(tls?["ja4"] as? String == v.ja4, "\(file) \(key)")
            }
        }
    }
}
