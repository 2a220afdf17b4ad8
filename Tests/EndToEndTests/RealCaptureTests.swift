import Foundation
import Testing

/// Public test-suite captures (nDPI, Zeek, Arkime) in ../shared, compared
/// with the tshark oracle. A user's fresh clone has no ../shared: skipped then.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: Paths.realCaptures.path),
                "../shared/captures/real is absent (a fresh clone): real-capture oracle comparison skipped"))
struct RealCaptureTests {
    /// Conversations tshark lists that are not flows, with the reason.
    static let knownDisagreements: [String: (conversations: Set<String>, reason: String)] = [
        "ndpi__instagram.pcap": (
            [
                "tcp 192.168.0.103:49400 > 173.194.40.20:443", "tcp 192.168.0.103:49405 > 173.194.40.20:443",
                "tcp 192.168.0.103:43105 > 216.58.212.106:443",
            ],
            "TCP headers quoted inside ICMP errors: tshark dissects them as conversations; no packet of them crossed the wire"
        )
    ]

    static var captures: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Paths.realCaptures.path)) ?? [])
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }

    @Test(arguments: RealCaptureTests.captures)
    func tcpAndUDPFlowsMatchTheOracle(capture: String) throws {
        let run = try plainsight(["read", Paths.realCaptures.appendingPathComponent(capture).path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        var expected = try oracleConversations(Paths.realCaptures.appendingPathComponent("oracle/\(capture).json"))
        if let known = RealCaptureTests.knownDisagreements[capture] { expected.subtract(known.conversations) }
        let got = Set(run.flows.map(endpoints))
        #expect(got.subtracting(expected).isEmpty, "flows tshark did not see")
        #expect(expected.subtracting(got).isEmpty, "conversations PlainSight missed")
        let tcp = run.flows.filter { ($0["flow"] as! [String: Any])["transport"] as? String == "tcp" }
        #expect(Set(tcp.map(endpoints)).count == tcp.count, "one record per TCP conversation")
    }

    @Test func tlsFlowsAreIdentifiedByContentOnAnyPort() throws {
        // Every conversation tshark saw TLS on, PlainSight calls tls and encrypted,
        // except upgrades (STARTTLS), which the TLS issue follows.
        for capture in RealCaptureTests.captures {
            let oracle = try JSONSerialization.jsonObject(
                with: Data(contentsOf: Paths.realCaptures.appendingPathComponent("oracle/\(capture).json")))
                as! [String: Any]
            let tlsConversations = Set(
                (oracle["conversations"] as! [[String: Any]]).filter {
                    $0["tls_seen"] as? Bool == true && ($0["protocols"] as! [String]).allSatisfy {
                        !["smtp", "imap", "pop", "ftp", "mysql", "pgsql", "ldap", "xmpp", "socks"].contains($0)
                    }
                }.map(endpoints))
            guard !tlsConversations.isEmpty else { continue }
            let run = try plainsight(["read", Paths.realCaptures.appendingPathComponent(capture).path, "--format", "json"])
            for flow in run.flows where tlsConversations.contains(endpoints(flow)) && (flow["bytes"] as! [String: Int])["to_server"]! > 0 {
                #expect(flow["app"] as? String == "tls", "\(capture): \(endpoints(flow))")
            }
        }
    }
}
