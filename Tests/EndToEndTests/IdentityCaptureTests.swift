import Foundation
import Testing

/// `Captures/http-identity.pcap` (`RECORD_ONLY=identity
/// Captures/record.sh`): a Flask 2.2 application in clear on loopback, as it
/// runs behind an authenticating proxy, and curl as the browser. `POST
/// /login` sets Flask's default session cookie — signed, not encrypted: its
/// payload is the base64url of `{"card":"4069006792188143","email":
/// "dana.whitfield@corp-mail.io"}` (65 bytes); `GET /account` sends it back
/// with the proxy's `X-MS-CLIENT-PRINCIPAL` (Azure App Service's identity
/// header: base64 of a 407-byte JSON object with the user's claims, the same
/// address among them). The server checked both. Neither value is on the wire
/// as it is; the build before found only the session cookie (as a credential).
struct IdentityCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("http-identity.pcap")

    @Test func valuesInBase64JSONHeadersAreFound() throws {
        let planted = ContentRecordedCaptureTests.planted.filter { ["pii.email", "pii.payment-card"].contains($0.key) }
        let bytes = try Data(contentsOf: Self.capture)
        for (rule, value) in planted {
            #expect(bytes.range(of: Data(value.utf8)) == nil, "\(rule): base64 on the wire")
        }
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let found = run.records.filter { ["pii", "secret"].contains($0["category"] as? String ?? "") }
        // rule: the JSON key it was found under; once per value, seen in both connections.
        let fields = Dictionary(uniqueKeysWithValues: found.map {
            ($0["rule"] as? String ?? "", ($0["details"] as? [String: Any])?["field"] as? String ?? "")
        })
        #expect(fields == ["pii.email": "email", "pii.payment-card": "card"])
        for f in found {
            #expect((f["details"] as? [String: Any])?["source"] as? String == "http-header-value")
            #expect(f["count"] as? Int == 2)
            #expect(!(f["evidence"] as? String ?? "").contains(planted[f["rule"] as? String ?? ""] ?? "?"), "evidence in clear")
        }
        #expect(run.records.contains { $0["rule"] as? String == "credential.http-session-cookie" })
        let content = try #require(run.stats?["content"] as? [String: Any])
        // Set-Cookie, Cookie, X-MS-CLIENT-PRINCIPAL.
        #expect((content["streams"] as? [String: Any])?["http-header-value"] as? Int == 3)
        #expect((content["decoded_bytes"] as? [String: Any])?["http-header-value"] as? Int == 65 + 65 + 407)
    }
}
