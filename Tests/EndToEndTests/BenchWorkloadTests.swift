import Foundation
import Testing

/// The shared benchmark generator (../shared/bench) writes captures with a
/// ground-truth sidecar; a small one checks identification against it. A
/// user's fresh clone has no ../shared: skipped then.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: Paths.benchGenerator.path),
                "../shared/bench is absent (a fresh clone): ground-truth workload check skipped"))
struct BenchWorkloadTests {
    /// Generates a workload and reads it: (the run, the generator's truth).
    func generateAndRead(size: String, seed: Int) throws -> (PlainSightRun, [String: Any]) {
        let dir = Paths.temporaryDirectory()
        let pcap = dir.appendingPathComponent("workload.pcap")
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", Paths.benchGenerator.path, "--size", size, "--seed", String(seed), "--out", pcap.path, "-q"]
        try python.run()
        python.waitUntilExit()
        try #require(python.terminationStatus == 0, "gen_traffic.py failed")
        let truth = try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.appendingPathComponent("workload.truth.json"))) as! [String: Any]
        // No CA bundle: the generator's certificates come from its own made-up CAs.
        let run = try plainsight(["read", pcap.path, "--format", "json", "--ca-bundle", "none"])
        #expect(run.status == 0, "\(run.stderr)")
        return (run, truth)
    }

    @Test func everyGeneratedFlowOfAnIdentifiedProtocolIsIdentified() throws {
        let (run, truth) = try generateAndRead(size: "8M", seed: 3)
        var apps: [String: Int] = [:]
        for flow in run.flows { apps[flow["app"] as! String, default: 0] += 1 }
        let expected = (truth["flows"] as! [String: Any])["by_protocol"] as! [String: Int]
        // Protocols PlainSight identifies today; each generated flow is one
        // 5-tuple, so the counts must agree exactly (UDP DNS uses a fresh
        // source port per query).
        for app in ["tls", "http", "smtp", "ftp", "pop3", "imap", "telnet", "mysql", "redis", "dns", "snmp"] {
            #expect(apps[app, default: 0] == expected[app, default: 0], "\(app)")
        }
        let stats = try #require(run.stats)
        let packets = (truth["pcap"] as! [String: Any])["packets"] as! Int
        #expect(stats["packets"] as? Int == packets)
        #expect(stats["decoded_packets"] as? Int == packets, "every generated packet is TCP or UDP over IPv4/IPv6")
    }

    /// The generator's TLS truth: negotiated version and cipher per flow,
    /// handshakes (STARTTLS ones too), weak suites and certificate problems.
    @Test func tlsHandshakesMatchTheGeneratorsTruth() throws {
        let (run, truth) = try generateAndRead(size: "20M", seed: 1)
        let tlsTruth = truth["tls"] as! [String: Any]
        var versions: [String: Int] = [:]
        var ciphers: [String: Int] = [:]
        var handshakes = 0
        var afterStartTLS = 0
        for flow in run.flows {
            guard let tls = flow["tls"] as? [String: Any] else { continue }
            if let cipher = tls["cipher"] as? String { ciphers[cipher, default: 0] += 1 }
            if tls["client_versions"] != nil && tls["version"] != nil {
                handshakes += 1
                if tls["starttls"] != nil { afterStartTLS += 1 }
            }
            if let version = tls["version"] as? String {
                versions[version, default: 0] += 1
            } else if flow["app"] as? String == "tls" {
                versions["unknown (mid-stream, no handshake)", default: 0] += 1
            }
        }
        // The truth counts handshakes, STARTTLS ones included.
        #expect(versions == tlsTruth["flows_by_version"] as! [String: Int])
        #expect(ciphers == tlsTruth["flows_by_cipher"] as! [String: Int])
        #expect(handshakes == tlsTruth["handshakes"] as! Int)
        #expect(afterStartTLS == tlsTruth["handshakes_after_starttls"] as! Int)

        var flowsByRule: [String: Set<String>] = [:]
        for finding in run.records where finding["type"] as? String == "finding" {
            let flow = finding["flow"] as! [String: Any]
            flowsByRule[finding["rule"] as! String, default: []].insert(flow["id"] as! String)
        }
        let issues = tlsTruth["certificate_issues"] as! [String: Int]
        #expect(flowsByRule["certificate.expired", default: []].count == issues["expired", default: 0])
        #expect(flowsByRule["certificate.self-signed", default: []].count == issues["self_signed", default: 0])
        #expect(flowsByRule["certificate.weak-key", default: []].count == issues["rsa_1024", default: 0])
        // RC4, 3DES and EXPORT suites are broken ciphers: each such flow has a weak-cipher finding.
        let weak = (tlsTruth["weak_cipher_flows"] as! [String: Int]).values.reduce(0, +)
        let brokenCipherFlows = run.records.filter { record in
            let weaknesses = ((record["details"] as? [String: Any])?["weaknesses"] as? String ?? "").split(separator: ",")
            return record["rule"] as? String == "tls.weak-cipher"
                && weaknesses.contains { ["rc4", "3des", "export"].contains(String($0)) }
        }
        #expect(brokenCipherFlows.count == weak)
    }

    /// The generator's planted credentials: every occurrence in a protocol
    /// the cleartext analyzer reads is counted in exactly one deduplicated
    /// finding (the sum of `count` per mechanism equals the planted items),
    /// and each cleartext protocol's flows are counted in its exposure findings.
    @Test func plantedCredentialsMatchTheGeneratorsTruth() throws {
        let (run, truth) = try generateAndRead(size: "20M", seed: 1)
        var occurrences: [String: Int] = [:]
        for finding in run.records where finding["type"] as? String == "finding" {
            occurrences[finding["rule"] as! String, default: 0] += finding["count"] as? Int ?? 0
        }
        let planted = truth["planted_items"] as! [String: Int]
        // Generator item → PlainSight rule(s); SMTP AUTH is SASL PLAIN or LOGIN.
        #expect(occurrences["credential.ftp-password", default: 0] == planted["ftp_password", default: 0])
        #expect(occurrences["credential.pop3-password", default: 0] == planted["pop3_password", default: 0])
        #expect(occurrences["credential.imap-login", default: 0] == planted["imap_password", default: 0])
        #expect(occurrences["credential.http-basic", default: 0] == planted["http_basic_auth", default: 0])
        #expect(occurrences["credential.http-form-password", default: 0] == planted["http_form_password", default: 0])
        #expect(occurrences["credential.http-session-cookie", default: 0] == planted["session_cookie", default: 0])
        #expect(occurrences["credential.sasl-plain", default: 0] + occurrences["credential.sasl-login", default: 0]
            == planted["smtp_auth", default: 0])
        #expect(occurrences["credential.telnet-password", default: 0] == planted["telnet_password", default: 0])
        #expect(occurrences["credential.redis-auth", default: 0] == planted["redis_auth", default: 0])
        #expect(occurrences["credential.mysql-native-password", default: 0] == planted["mysql_login", default: 0])
        // SNMP: one finding occurrence per community per flow (the truth counts every datagram).
        let withItem = truth["flows_with_item"] as! [String: Int]
        #expect(occurrences["credential.snmp-community", default: 0] == withItem["snmp_community", default: 0])
        #expect(planted["ftp_password", default: 0] > 0 && planted["session_cookie", default: 0] > 0, "a workload with logins")
        // Flows in clear, per protocol (STARTTLS flows are encrypted, FTP data connections not identified yet).
        let flows = truth["flows"] as! [String: Any]
        let byProtocol = flows["by_protocol"] as! [String: Int]
        let detail = flows["detail"] as! [String: Int]
        #expect(occurrences["cleartext.http", default: 0] == byProtocol["http", default: 0])
        #expect(occurrences["cleartext.ftp", default: 0] == byProtocol["ftp", default: 0])
        #expect(occurrences["cleartext.pop3", default: 0] == byProtocol["pop3", default: 0])
        #expect(occurrences["cleartext.telnet", default: 0] == byProtocol["telnet", default: 0])
        #expect(occurrences["cleartext.mysql", default: 0] == byProtocol["mysql", default: 0])
        #expect(occurrences["cleartext.redis", default: 0] == byProtocol["redis", default: 0])
        #expect(occurrences["cleartext.snmp", default: 0] == byProtocol["snmp", default: 0])
        #expect(occurrences["cleartext.smtp", default: 0] == byProtocol["smtp", default: 0] - detail["smtp.starttls", default: 0])
        #expect(occurrences["cleartext.imap", default: 0] == byProtocol["imap", default: 0] - detail["imap.starttls", default: 0])
    }
}
