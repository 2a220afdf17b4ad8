import Foundation
import Testing

/// End-to-end runs of `plainsight read` on the recorded samples in Captures/,
/// checked against the tshark oracle recorded beside each one.
@Suite struct SampleCaptureTests {
    /// What each sample must be identified as (its flows with payload).
    static let expectedApps: [String: (app: String, encrypted: Bool)] = [
        "tls13-openssl.pcap": ("tls", true),
        "tls12-openssl.pcap": ("tls", true),
        "http-curl.pcap": ("http", false),
        "http-curl.pcapng": ("http", false),
        "http-ipv6-curl.pcap": ("http", false),
        "mixed-any.pcap": ("http", false),
        "mixed-sll1.pcap": ("http", false),
        "smtp-python.pcap": ("smtp", false),
        "pop3-python.pcap": ("pop3", false),
        "imap-python.pcap": ("imap", false),
        "http-auth-curl.pcap": ("http", false),
        "smtp-auth.pcap": ("smtp", false),
        "ftp-rejected.pcap": ("ftp", false),
        "redis-auth.pcap": ("redis", false),
        "mqtt-auth.pcap": ("mqtt", false),
        "dns-udp.pcap": ("dns", false),
        "ssh-openssh.pcap": ("ssh", true),
        "tls10-openssl.pcap": ("tls", true),
        "tls11-openssl.pcap": ("tls", true),
        "tls13-hrr-openssl.pcap": ("tls", true),
        "tls12-weak-ciphers.pcap": ("tls", true),
        "tls12-bad-certs.pcap": ("tls", true),
        // Upgraded to TLS: the protocol is what was spoken, and the payload was protected.
        "starttls-smtp.pcap": ("smtp", true),
        "starttls-postgres.pcap": ("postgresql", true),
        "syslog.pcap": ("syslog", false),
    ]

    static var samples: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Paths.captures.path)) ?? [])
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }

    @Test(arguments: SampleCaptureTests.samples)
    func flowsMatchTheOracle(sample: String) throws {
        let run = try plainsight(["read", Paths.captures.appendingPathComponent(sample).path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let oracle = Paths.captures.appendingPathComponent("oracle/\(sample).json")
        let expected = try oracleConversations(oracle)
        #expect(Set(run.flows.map(endpoints)) == expected)
        #expect(run.flows.count == expected.count, "each conversation is one flow record")
        for flow in run.flows {
            let f = flow["flow"] as! [String: Any]
            #expect((f["id"] as! String).count == 17)
            #expect((flow["ts_start"] as! String) <= (flow["ts_end"] as! String))
            if f["transport"] as? String == "tcp" {
                #expect(f["client_guessed"] == nil, "samples start with a SYN")
                #expect(flow["end_reason"] as? String == "closed")
            }
        }
    }

    @Test(arguments: Array(SampleCaptureTests.expectedApps.keys).sorted())
    func applicationIsIdentifiedByContent(sample: String) throws {
        let run = try plainsight(["read", Paths.captures.appendingPathComponent(sample).path, "--format", "json"])
        let expected = SampleCaptureTests.expectedApps[sample]!
        let withPayload = run.flows.filter { $0["encrypted"] != nil }
        #expect(!withPayload.isEmpty)
        for flow in withPayload {
            #expect(flow["app"] as? String == expected.app, "\(endpoints(flow))")
            #expect(flow["encrypted"] as? Bool == expected.encrypted)
        }
    }

    @Test func ftpDataConnectionsAreLinkedToTheirControlConnection() throws {
        // Two passive transfers: each data connection is recognised from the 227 reply that announced it.
        let run = try plainsight(["read", Paths.captures.appendingPathComponent("ftp-python.pcap").path])
        #expect(run.flows.count == 3)
        let control = run.flows.filter { $0["app"] as? String == "ftp" }
        #expect(control.count == 1)
        #expect(control.first?["encrypted"] as? Bool == false)
        let controlID = (control.first?["flow"] as? [String: Any])?["id"] as? String
        let data = run.flows.filter { $0["app"] as? String == "ftp-data" }
        #expect(data.count == 2)
        #expect(data.allSatisfy { $0["encrypted"] as? Bool == false })
        #expect(data.allSatisfy { ($0["control"] as? [String: Any])?["id"] as? String == controlID })
    }

    @Test func packetAndByteCountsMatchTheOracle() throws {
        let sample = "http-curl.pcap"
        let run = try plainsight(["read", Paths.captures.appendingPathComponent(sample).path, "--format", "json"])
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Paths.captures.appendingPathComponent("oracle/\(sample).json"))) as! [String: Any]
        let conversation = (json["conversations"] as! [[String: Any]])[0]
        let flow = try #require(run.flows.first)
        let packets = flow["packets"] as! [String: Int]
        #expect(packets["to_server"] == conversation["packets_client_to_server"] as? Int)
        #expect(packets["to_client"] == conversation["packets_server_to_client"] as? Int)
        let stats = try #require(run.stats)
        #expect(stats["packets"] as? Int == json["frames"] as? Int)
        #expect(stats["flows"] as? Int == 1)
    }

    @Test func aFolderIsReadInNameOrderAsOneStream() throws {
        let run = try plainsight(["read", Paths.captures.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        var expected = 0
        for sample in SampleCaptureTests.samples {
            expected += try oracleConversations(Paths.captures.appendingPathComponent("oracle/\(sample).json")).count
        }
        // http-curl.pcap and http-curl.pcapng hold the same connection with
        // the same start time: one flow id, two records.
        #expect(run.flows.count == expected)
        let stats = try #require(run.stats)
        #expect(stats["final"] as? Bool == true)
        #expect(stats["flows"] as? Int == expected)
    }
}
