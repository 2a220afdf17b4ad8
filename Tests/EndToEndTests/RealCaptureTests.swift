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
        ),
    ]

    /// Captures where PlainSight writes more TCP flows than tshark has streams, with the reason.
    static let extraFlows: [String: (count: Int, reason: String)] = [
        "ndpi__rtsp.pcap": (
            1,
            "a client reuses its port 0.5 s after the first connection closed with FIN/FIN: a new SYN, a new "
                + "connection and a new flow; tshark keeps one stream"
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
        // As many TCP flows as tshark has TCP streams (a reused 5-tuple is two of each).
        let streams = try oracleStreamCount(Paths.realCaptures.appendingPathComponent("oracle/\(capture).json"))
        let known = RealCaptureTests.knownDisagreements[capture]?.conversations.count ?? 0
        let tcp = run.flows.filter { ($0["flow"] as! [String: Any])["transport"] as? String == "tcp" }
        let extra = RealCaptureTests.extraFlows[capture]?.count ?? 0
        #expect(tcp.count == streams - known + extra, "one record per TCP connection")
    }

    @Test func vlanTaggedFlowsReportTheirVLAN() throws {
        // zeek__ldap__simpleauth.pcap: every frame carries 802.1Q tag 50.
        let run = try plainsight(
            ["read", Paths.realCaptures.appendingPathComponent("zeek__ldap__simpleauth.pcap").path, "--format", "json"])
        #expect(!run.flows.isEmpty)
        #expect(run.flows.allSatisfy { $0["vlan"] as? Int == 50 })
        let untagged = try plainsight(
            ["read", Paths.realCaptures.appendingPathComponent("ndpi__ftp.pcap").path, "--format", "json"])
        #expect(untagged.flows.allSatisfy { $0["vlan"] == nil })
    }

    /// Conversations tshark marks as TLS that are not TLS from their first
    /// byte, with the reason.
    static let notTLSFromTheStart: [String: String] = [
        "ndpi__waze.pcap tcp 10.8.0.1:50828 > 108.168.176.228:443":
            "WhatsApp's Noise protocol on port 443 (starts with \"WA\"); tshark decodes port 443 as TLS",
        "ndpi__KakaoTalk_chat.pcap tcp 10.24.82.188:46947 > 139.150.0.125:443":
            "KakaoTalk's own length-prefixed protocol on port 443, picked up mid-stream; tshark decodes port 443 as TLS",
        "zeek__tls__xmpp-dialback-starttls.pcap tcp 184.73.173.246:1193 > 104.236.167.107:5269":
            "XMPP upgraded with STARTTLS: the TLS issue follows upgrades",
    ]

    @Test func tlsFlowsAreIdentifiedByContentOnAnyPort() throws {
        // Every conversation tshark saw TLS on is tls and encrypted, mid-stream
        // pickups included, except upgrades (STARTTLS), which the TLS issue follows.
        for capture in RealCaptureTests.captures {
            let oracle = try JSONSerialization.jsonObject(
                with: Data(contentsOf: Paths.realCaptures.appendingPathComponent("oracle/\(capture).json")))
                as! [String: Any]
            let tlsConversations = Set(
                (oracle["conversations"] as! [[String: Any]]).filter {
                    $0["tls_seen"] as? Bool == true && ($0["protocols"] as! [String]).allSatisfy {
                        !["smtp", "imap", "pop", "ftp", "mysql", "pgsql", "ldap", "xmpp", "socks"].contains($0)
                    }
                }.map(endpoints)
            ).filter { RealCaptureTests.notTLSFromTheStart["\(capture) \($0)"] == nil }
            guard !tlsConversations.isEmpty else { continue }
            let run = try plainsight(["read", Paths.realCaptures.appendingPathComponent(capture).path, "--format", "json"])
            for flow in run.flows where tlsConversations.contains(endpoints(flow)) && flow["encrypted"] != nil {
                #expect(flow["app"] as? String == "tls", "\(capture): \(endpoints(flow))")
                #expect(flow["encrypted"] as? Bool == true)
            }
        }
    }
}
