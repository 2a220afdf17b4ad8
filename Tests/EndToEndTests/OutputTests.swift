import Foundation
import Testing

/// Output files, formats and the JSON Lines contract.
@Suite struct OutputTests {
    let sample = Paths.captures.appendingPathComponent("tls13-openssl.pcap").path

    @Test func outputFileIsCreatedOwnerOnlyEvenWhenItExisted() throws {
        let dir = Paths.temporaryDirectory()
        let out = dir.appendingPathComponent("audit.jsonl").path
        #expect(FileManager.default.createFile(atPath: out, contents: Data("old".utf8), attributes: [.posixPermissions: 0o644]))
        let run = try plainsight(["read", sample, "--output", out])
        #expect(run.status == 0)
        #expect(run.stdout.isEmpty)
        let mode = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as! Int
        #expect(mode == 0o600)
        // Not a terminal: JSON Lines by default.
        let records = parseRecords(try String(contentsOfFile: out, encoding: .utf8))
        #expect(records.map { $0["type"] as! String } == ["flow", "stats"])
    }

    @Test func newOutputFileIsOwnerOnly() throws {
        let out = Paths.temporaryDirectory().appendingPathComponent("new.jsonl").path
        _ = try plainsight(["read", sample, "-o", out])
        let mode = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as! Int
        #expect(mode == 0o600)
    }

    @Test func dashMeansStandardOutput() throws {
        let dir = Paths.temporaryDirectory()
        let run = try plainsight(["read", sample, "--output", "-"], in: dir)
        #expect(run.status == 0)
        #expect(parseRecords(run.stdout).map { $0["type"] as! String } == ["flow", "stats"])
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("-").path))
    }

    @Test func flowRecordFollowsTheContract() throws {
        let run = try plainsight(["read", sample, "--format", "json"])
        let flow = try #require(run.flows.first)
        #expect(flow["type"] as? String == "flow")
        let f = flow["flow"] as! [String: Any]
        #expect(f["transport"] as? String == "tcp")
        #expect((f["id"] as! String).hasPrefix("C"))
        #expect((f["client"] as! [String: Any])["ip"] as? String == "127.0.0.1")
        #expect((f["server"] as! [String: Any])["port"] as? Int == 14433)
        #expect(flow["app"] as? String == "tls")
        #expect(flow["encrypted"] as? Bool == true)
        #expect(flow["findings"] as? Int == 0)
        let ts = flow["ts_start"] as! String
        #expect(ts.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#, options: .regularExpression) != nil)
        for key in ["packets", "bytes"] {
            let v = flow[key] as! [String: Int]
            #expect(Set(v.keys) == ["to_server", "to_client"])
        }
        // Absent values are omitted, never empty strings.
        #expect(!run.stdout.contains("\"\""))
    }

    @Test func flowIdsAreStableAcrossRuns() throws {
        let a = try plainsight(["read", sample, "--format", "json"]).flows.map { ($0["flow"] as! [String: Any])["id"] as! String }
        let b = try plainsight(["read", sample, "--format", "json"]).flows.map { ($0["flow"] as! [String: Any])["id"] as! String }
        #expect(a == b)
        #expect(!a.isEmpty)
    }

    @Test func statsRecordCountsWhatWasRead() throws {
        let run = try plainsight(["read", sample, "--format", "json"])
        let stats = try #require(run.stats)
        #expect(stats["final"] as? Bool == true)
        #expect((stats["packets"] as? Int ?? 0) > 0)
        #expect(stats["flows"] as? Int == 1)
        #expect(Set((stats["findings"] as! [String: Int]).keys) == ["info", "low", "medium", "high", "critical"])
        #expect(stats["drops"] is [String: Int])
        #expect((stats["capture_seconds"] as? Double ?? 0) > 0)
        #expect(stats["wall_seconds"] is Double)
        #expect(stats["analyzers"] as? [String] == ["cleartext", "content", "flows", "tls"])
        #expect(stats["tls_policy"] as? String == "mozilla-intermediate")
    }

    @Test func textSummaryNamesApplicationsAndCleartextServices() throws {
        let run = try plainsight(["read", Paths.captures.path, "--format", "text"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("PlainSight summary"))
        #expect(run.stdout.contains("Flows by application"))
        #expect(run.stdout.contains("Cleartext services"))
        #expect(run.stdout.contains("127.0.0.1:18080"))
        // The TLS 1.2 sample's certificate is self-signed.
        #expect(run.stdout.contains("[medium] certificate.self-signed 127.0.0.1:"))
    }

    @Test func filterSelectsPackets() throws {
        let run = try plainsight(["read", Paths.captures.path, "--format", "json", "--filter", "tcp port 14433"])
        #expect(run.flows.count == 1)
        #expect(run.flows.first?["app"] as? String == "tls")
    }

    @Test func aConnectionPickedUpMidStreamIsMarked() throws {
        // http-curl.pcap without its first three records (the handshake).
        let sample = Array(try Data(contentsOf: Paths.captures.appendingPathComponent("http-curl.pcap")))
        var offset = 24
        for _ in 0..<3 {
            let caplen = Int(sample[offset + 8]) | Int(sample[offset + 9]) << 8 | Int(sample[offset + 10]) << 16
            offset += 16 + caplen
        }
        let path = Paths.temporaryDirectory().appendingPathComponent("midstream.pcap")
        try Data(sample[0..<24] + sample[offset...]).write(to: path)
        let run = try plainsight(["read", path.path, "--format", "json"])
        let flow = try #require(run.flows.first)
        #expect(flow["midstream"] as? Bool == true)
        #expect((flow["flow"] as! [String: Any])["client_guessed"] as? Bool == true)
        #expect(flow["app"] as? String == "http")
        #expect(endpoints(flow).hasSuffix("> 127.0.0.1:18080"))
    }

    @Test func failOnWithNoFindingsExitsZero() throws {
        let run = try plainsight(["read", sample, "--format", "json", "--fail-on", "info"])
        #expect(run.status == 0)
    }
}
