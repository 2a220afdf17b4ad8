import Foundation
import Testing

/// The shared benchmark generator (../shared/bench) writes captures with a
/// ground-truth sidecar; a small one checks identification against it. A
/// user's fresh clone has no ../shared: skipped then.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: Paths.benchGenerator.path),
                "../shared/bench is absent (a fresh clone): ground-truth workload check skipped"))
struct BenchWorkloadTests {
    @Test func everyGeneratedFlowOfAnIdentifiedProtocolIsIdentified() throws {
        let dir = Paths.temporaryDirectory()
        let pcap = dir.appendingPathComponent("workload.pcap")
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", Paths.benchGenerator.path, "--size", "8M", "--seed", "3", "--out", pcap.path, "-q"]
        try python.run()
        python.waitUntilExit()
        try #require(python.terminationStatus == 0, "gen_traffic.py failed")
        let truth = try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.appendingPathComponent("workload.truth.json"))) as! [String: Any]

        let run = try plainsight(["read", pcap.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        var apps: [String: Int] = [:]
        for flow in run.flows { apps[flow["app"] as! String, default: 0] += 1 }
        let expected = (truth["flows"] as! [String: Any])["by_protocol"] as! [String: Int]
        // Protocols PlainSight identifies today; each generated flow is one
        // 5-tuple, so the counts must agree exactly (UDP DNS uses a fresh
        // source port per query).
        for app in ["tls", "http", "smtp", "ftp", "pop3", "imap", "telnet", "dns"] {
            #expect(apps[app, default: 0] == expected[app, default: 0], "\(app)")
        }
        let stats = try #require(run.stats)
        let packets = (truth["pcap"] as! [String: Any])["packets"] as! Int
        #expect(stats["packets"] as? Int == packets)
        #expect(stats["decoded_packets"] as? Int == packets, "every generated packet is TCP or UDP over IPv4/IPv6")
    }
}
