import Foundation
import Testing

/// `Captures/radius.pcap` (`RECORD_ONLY=radius Captures/record.sh`): FreeRADIUS
/// 3.2.1 and its own clients (radtest, radclient) on loopback — seven logins
/// on 18120/udp: PAP for dana.whitfield@corp-mail.io (accepted) and for
/// jsmith (rejected, then accepted with and without Message-Authenticator),
/// CHAP, MS-CHAPv1 and MS-CHAPv2 for jsmith (accepted); an accounting Start
/// and Stop on 18121/udp. The answers to the MS-CHAPv2 login and to the
/// unsigned PAP request carry no Message-Authenticator (record.sh checks all
/// of this at every recording).
struct RADIUSCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("radius.pcap")

    @Test func loginsTheirOutcomesAndBareRepliesAreReported() throws {
        let bytes = try Data(contentsOf: Self.capture)
        for secret in ["demo-password", "Summer2026!", "wrong-password", "radius-demo-secret"] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) in clear on the wire")
        }
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let flows = run.records.filter { $0["type"] as? String == "flow" }
        #expect(flows.count == 9)
        #expect(flows.allSatisfy { $0["app"] as? String == "radius" && $0["encrypted"] as? Bool == false })

        let findings = run.records.filter { $0["type"] as? String == "finding" }
        func details(_ f: [String: Any]) -> [String: Any] { f["details"] as? [String: Any] ?? [:] }
        func serverPort(_ f: [String: Any]) -> Int? { ((f["flow"] as? [String: Any])?["server"] as? [String: Any])?["port"] as? Int }

        // Credentials: one finding per mechanism and account (a challenge
        // response repeats per login, the account does not), counted per login.
        let credentials = findings.filter { $0["category"] as? String == "credential" }
        let seen = Set(credentials.map {
            "\($0["rule"] as? String ?? "") \(details($0)["username"] as? String ?? "") \($0["count"] as? Int ?? 0)"
        })
        #expect(
            seen == [
                "credential.radius-pap dana.whitfield@corp-mail.io 1", "credential.radius-pap jsmith 3",
                "credential.radius-chap jsmith 1", "credential.radius-mschap jsmith 1", "credential.radius-mschapv2 jsmith 1",
            ])
        for c in credentials {
            #expect(details(c)["exposure"] as? String == "crackable")
            #expect(details(c)["outcome"] as? String == "accepted")
            #expect(c["evidence"] as? String == "********")
        }
        let jsmithPAP = credentials.first { $0["rule"] as? String == "credential.radius-pap" && details($0)["username"] as? String == "jsmith" }
        #expect(jsmithPAP.map(details)?["rejected_count"] as? String == "1")

        // Three forgeable answers, one finding on the authentication endpoint: to
        // the MS-CHAPv1 login, a Message-Authenticator after the MS-CHAP
        // attributes (the first, in capture order); to the MS-CHAPv2 login and
        // the unsigned PAP request, none.
        let bare = findings.filter { $0["rule"] as? String == "cleartext.radius-forgeable-reply" }
        #expect(bare.count == 1)
        #expect(bare.first?["count"] as? Int == 3 && bare.first?["severity"] as? String == "high")
        #expect(bare.first.map(details)?["reply"] as? String == "Access-Accept")
        #expect(bare.first.map(details)?["message_authenticator"] as? String == "after other attributes")
        #expect(bare.first.flatMap(serverPort) == 18120)

        // RADIUS/UDP itself, per endpoint: high where credentials crossed, medium for accounting.
        let exposure = findings.filter { $0["rule"] as? String == "cleartext.radius" }
        #expect(Set(exposure.map { "\(serverPort($0) ?? 0) \($0["severity"] as? String ?? "")" }) == ["18120 high", "18121 medium"])

        // The user name is an e-mail address, in the raw datagrams of both ports (masked as evidence).
        let emails = findings.filter { $0["rule"] as? String == "pii.email" }
        #expect(Set(emails.compactMap(serverPort)) == [18120, 18121])
        #expect(emails.allSatisfy { !($0["evidence"] as? String ?? "").contains("whitfield") })
    }
}
