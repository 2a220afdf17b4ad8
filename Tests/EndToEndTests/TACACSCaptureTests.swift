import Foundation
import Testing

/// `Captures/tacacs.pcap` (`RECORD_ONLY=tacacs Captures/record.sh`): the
/// Python `tacacs_plus` 2.6 client against a TACACS+ server written from RFC
/// 8907 (record_helpers.py), on loopback, eleven connections. A: with the key
/// `tacacs-demo-key` (obfuscated bodies) on 18149 — an ASCII login of
/// netadmin (PASS), a PAP login of jsmith with a wrong password (FAIL), an
/// authorization and two accounting records. B: the same five exchanges to
/// 18149 with TAC_PLUS_UNENCRYPTED_FLAG set (bodies in clear). C: the library
/// as shipped with `secret=None` — bodies in clear, the flag unset — to a
/// keyless server on 18150: an ASCII login of jsmith (PASS). record.sh checks
/// that each password is on the wire once, in B or C.
struct TACACSCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("tacacs.pcap")

    @Test func passwordsInClearAreReportedAndObfuscatedOnesAreNot() throws {
        let bytes = try Data(contentsOf: Self.capture)
        // On the wire once each: B's ASCII and PAP logins, C's ASCII login.
        for secret in ["Tacacs-Admin-2026", "Summer2025!", "Summer2026!"] {
            #expect(bytes.range(of: Data(secret.utf8)) != nil, "\(secret) not in clear on the wire")
        }
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let flows = run.records.filter { $0["type"] as? String == "flow" }
        #expect(flows.count == 11)
        #expect(flows.allSatisfy { $0["app"] as? String == "tacacs" && $0["encrypted"] as? Bool == false })

        let findings = run.records.filter { $0["type"] as? String == "finding" }
        func details(_ f: [String: Any]) -> [String: Any] { f["details"] as? [String: Any] ?? [:] }
        func serverPort(_ f: [String: Any]) -> Int? { ((f["flow"] as? [String: Any])?["server"] as? [String: Any])?["port"] as? Int }
        let credentials = findings.filter { $0["category"] as? String == "credential" }
        #expect(
            Set(credentials.map {
                "\($0["rule"] as? String ?? "") \(serverPort($0) ?? 0) \(details($0)["username"] as? String ?? "") \(details($0)["outcome"] as? String ?? "")"
            }) == [
                "credential.tacacs-password 18149 netadmin accepted", "credential.tacacs-password 18149 jsmith rejected",
                "credential.tacacs-password 18150 jsmith accepted",
            ])
        // Only the logins in clear (B and C): A's obfuscated ones add no count.
        #expect(credentials.allSatisfy { $0["count"] as? Int == 1 && $0["severity"] as? String == "critical" })
        #expect(credentials.allSatisfy { details($0)["exposure"] as? String == "plaintext" && $0["evidence"] as? String == "********" })

        let exposure = findings.filter { $0["rule"] as? String == "cleartext.tacacs" }
        #expect(Set(exposure.map { "\(serverPort($0) ?? 0) \($0["count"] as? Int ?? 0)" }) == ["18149 10", "18150 1"])
        #expect(exposure.allSatisfy { $0["severity"] as? String == "critical" }, "credentials crossed both endpoints")
        // B's five connections (the flag) and C's (no key): bodies in clear.
        let inClear = findings.filter { $0["rule"] as? String == "cleartext.tacacs-in-clear" }
        #expect(Set(inClear.map { "\(serverPort($0) ?? 0) \($0["count"] as? Int ?? 0)" }) == ["18149 5", "18150 1"])
        for secret in ["Tacacs-Admin-2026", "Summer2025!", "Summer2026!", "tacacs-demo-key"] {
            #expect(!run.stdout.contains(secret), "\(secret) in the output")
        }
    }
}
