import Foundation
import Testing

/// `plainsight read` on the real captures of the older cleartext protocols
/// (SIP, IRC, rsh, VNC, RTSP, TFTP): the findings each gives, by rule,
/// server port, user and outcome, as read from the packets with tshark
/// (see each test). A user's fresh clone has no ../shared: skipped then.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: Paths.realCaptures.path),
                "../shared/captures/real is absent (a fresh clone): legacy protocol captures skipped"))
struct LegacyCaptureTests {
    struct Seen: Hashable, CustomStringConvertible {
        var rule: String
        var port: Int
        var username: String?
        var outcome: String?
        var description: String { "\(rule) :\(port) \(username ?? "-") \(outcome ?? "-")" }
    }

    static func findings(_ capture: String) throws -> (Set<Seen>, PlainSightRun) {
        let run = try plainsight(["read", Paths.realCaptures.appendingPathComponent(capture).path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        // PII and secret findings have their own suites (ContentCorpusTests).
        let seen = run.records.filter {
            $0["type"] as? String == "finding" && !["pii", "secret"].contains($0["category"] as? String ?? "")
        }.map { r -> Seen in
            let details = r["details"] as? [String: Any] ?? [:]
            let server = (r["flow"] as! [String: Any])["server"] as! [String: Any]
            return Seen(
                rule: r["rule"] as! String, port: server["port"] as! Int, username: details["username"] as? String,
                outcome: details["outcome"] as? String)
        }
        return (Set(seen), run)
    }

    /// REGISTERs of two accounts over UDP: voi18063's answered 403 and 401 (CSeq 69-74), voi18062's
    /// accepted (200 OK to CSeq 75 and later); INVITEs with Proxy-Authorization. No secret in the output.
    @Test func sipDigestOverUDP() throws {
        let (seen, run) = try Self.findings("ndpi__sip.pcap")
        #expect(seen == [
            Seen(rule: "credential.sip-digest", port: 5060, username: "voi18063", outcome: "rejected"),
            Seen(rule: "credential.sip-digest", port: 5060, username: "voi18062", outcome: "accepted"),
            Seen(rule: "cleartext.sip", port: 5060, username: nil, outcome: nil),
        ])
        #expect(!run.stdout.contains("bd79fecae600a2eb79d37ec73214830b"))
        #expect(run.flows.filter { $0["app"] as? String == "sip" }.count >= 2)
    }

    /// InspIRCd: `PASS test` accepted by 001 (as tim, and as tim_ after 433), `OPER tim fail`
    /// answered 491, `OPER tim test` answered 381.
    @Test func ircPassAndOper() throws {
        let (seen, _) = try Self.findings("zeek__irc-more-commands.pcap")
        #expect(seen == [
            Seen(rule: "credential.irc-password", port: 6667, username: "tim", outcome: "accepted"),
            Seen(rule: "credential.irc-password", port: 6667, username: "tim", outcome: "rejected"),
            Seen(rule: "credential.irc-password", port: 6667, username: "tim_", outcome: "accepted"),
            Seen(rule: "cleartext.irc", port: 6667, username: nil, outcome: nil),
        ])
        // No password at all: only the exposure, low.
        let (basic, run) = try Self.findings("zeek__irc-basic.pcap")
        #expect(basic == [Seen(rule: "cleartext.irc", port: 6667, username: nil, outcome: nil)])
        #expect(run.records.first { $0["rule"] as? String == "cleartext.irc" }?["severity"] as? String == "low")
    }

    /// Two rsh commands from lns, to root and to someuser; rshd answered `\1Password incorrect.` to both.
    @Test func rshHostTrust() throws {
        let (seen, _) = try Self.findings("ndpi__rsh.pcap")
        #expect(seen == [
            Seen(rule: "credential.rhosts-trust", port: 514, username: "root", outcome: "rejected"),
            Seen(rule: "credential.rhosts-trust", port: 514, username: "someuser", outcome: "rejected"),
            Seen(rule: "cleartext.rsh", port: 514, username: nil, outcome: nil),
        ])
    }

    /// Apple's RFB 003.889 with security types 30/35 (not read), VLC's RTSP without a login, TFTP
    /// read requests and transfers: the exposures only.
    @Test func exposuresWithoutCredentials() throws {
        #expect(try Self.findings("zeek__rfb__vncmac.pcap").0 == [Seen(rule: "cleartext.vnc", port: 5900, username: nil, outcome: nil)])
        #expect(try Self.findings("ndpi__rtsp.pcap").0 == [Seen(rule: "cleartext.rtsp", port: 8554, username: nil, outcome: nil)])
        let (tftp, run) = try Self.findings("ndpi__tftp.pcap")
        #expect(Set(tftp.map(\.rule)) == ["cleartext.tftp"])
        #expect(tftp.contains(Seen(rule: "cleartext.tftp", port: 69, username: nil, outcome: nil)))
        // The transfer flows (DATA/ACK between new ports) are TFTP too.
        let transfers = run.flows.filter { f in
            let flow = f["flow"] as! [String: Any]
            let ports = [flow["client"], flow["server"]].map { ($0 as! [String: Any])["port"] as! Int }
            return f["app"] as? String == "tftp" && !ports.contains(69)
        }
        #expect(transfers.count == 3)
    }
}
