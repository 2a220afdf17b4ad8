import Foundation
import Testing

/// `Captures/syslog.pcap` (`RECORD_ONLY=syslog Captures/record.sh`): util-linux
/// logger sends two messages over UDP to an rsyslogd (8.2302) on 18160, which
/// forwards them to a second rsyslogd over TCP with octet counting (18161),
/// over TCP with LF framing (18162) and over RELP (18163). The first message
/// holds a fake card number and a password; record.sh checks that the
/// receiver got each message once per transport.
struct SyslogCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("syslog.pcap")
    static let card = "4917 6182 9034 5522"

    @Test func everyHopIsSyslogInClearWithTheLeakOnEach() throws {
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        func serverPort(_ r: [String: Any]) -> Int? { ((r["flow"] as? [String: Any])?["server"] as? [String: Any])?["port"] as? Int }
        func transport(_ r: [String: Any]) -> String? { (r["flow"] as? [String: Any])?["transport"] as? String }

        // Two datagrams (logger's own sockets) and the three TCP connections,
        // each identified by content: none of the ports is a syslog port.
        let flows = run.flows
        #expect(flows.map { "\(transport($0) ?? "") \(serverPort($0) ?? 0)" }.sorted()
            == ["tcp 18161", "tcp 18162", "tcp 18163", "udp 18160", "udp 18160"])
        #expect(flows.allSatisfy { $0["app"] as? String == "syslog" && $0["encrypted"] as? Bool == false })

        // tshark (told the ports) dissects syslog in each of the same conversations.
        let oracle = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Paths.captures.appendingPathComponent("oracle/syslog.pcap.json"))) as! [String: Any]
        let conversations = oracle["conversations"] as! [[String: Any]]
        #expect(conversations.count == flows.count)
        #expect(conversations.allSatisfy { ($0["protocols"] as? [String] ?? []).contains("syslog") })

        let findings = run.records.filter { $0["type"] as? String == "finding" }
        let exposure = findings.filter { $0["rule"] as? String == "cleartext.syslog" }
        #expect(Set(exposure.compactMap(serverPort)) == [18160, 18161, 18162, 18163])
        #expect(exposure.allSatisfy { $0["severity"] as? String == "low" })

        // The card and the password, on every hop, in the direction sent, redacted.
        for rule in ["pii.payment-card", "secret.generic-password"] {
            let hits = findings.filter { $0["rule"] as? String == rule }
            #expect(Set(hits.compactMap(serverPort)) == [18160, 18161, 18162, 18163], "\(rule)")
            #expect(hits.allSatisfy { $0["direction"] as? String == "to_server" && $0["app"] as? String == "syslog" })
        }
        for secret in [Self.card, Self.card.replacingOccurrences(of: " ", with: ""), "Winter-Harbor-2026"] {
            #expect(!run.stdout.contains(secret), "\(secret) in the output")
        }
    }
}
