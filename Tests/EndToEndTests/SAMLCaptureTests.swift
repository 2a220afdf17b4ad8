import Foundation
import Testing

/// `Captures/saml-post.pcap` (`RECORD_ONLY=saml Captures/record.sh`): single
/// sign-on and single logout in clear on loopback, as behind load balancers
/// that end TLS; pysaml2 on both sides, curl as the browser. The service
/// provider (port 18110) answers `/login` with a 302 carrying a signed
/// AuthnRequest (redirect binding); the identity provider (port 18111) answers
/// it with the POST binding's auto-submitting page: a signed response and
/// assertion in base64 in a hidden input — the NameID and `mail` are the e-mail
/// address, an SCHAC personal unique id holds the SSN; the browser posts that
/// form to `/acs` (both signatures verified, 302). Then `/logout`: a 302 with a
/// signed LogoutRequest naming the user (redirect binding), which the browser
/// takes to the identity provider's `/slo`, whose LogoutResponse it takes back
/// to `/sls`. On the wire every message is base64 (the redirects' deflated);
/// the build before these readers found nothing but cleartext HTTP.
struct SAMLCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("saml-post.pcap")

    /// The XML that was posted, decoded here from the capture's bytes (the
    /// form value ends at `&` or at the end of the request's one packet).
    static func postedXML(_ bytes: Data) throws -> Data {
        let start = try #require(bytes.range(of: Data("SAMLResponse=".utf8))).upperBound
        let end = bytes[start...].firstIndex { $0 == UInt8(ascii: "&") || $0 < 0x20 } ?? bytes.endIndex
        let value = try #require(String(decoding: bytes[start..<end], as: UTF8.self).removingPercentEncoding)
        return try #require(Data(base64Encoded: value))
    }

    @Test func theAssertionAndTheUserAreFound() throws {
        let planted = ContentRecordedCaptureTests.planted.filter { ["pii.email", "pii.us-ssn"].contains($0.key) }
        let bytes = try Data(contentsOf: Self.capture)
        let xml = try Self.postedXML(bytes)
        for (rule, value) in planted {
            #expect(bytes.range(of: Data(value.utf8)) == nil, "\(rule): base64 on the wire")
            #expect(xml.range(of: Data(value.utf8)) != nil, "\(rule): in the posted assertion")
        }
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let found = run.records.filter { ["pii", "secret"].contains($0["category"] as? String ?? "") }
        // Each value once on each side: the page and the logout request line (18111), the
        // post and the logout redirect (18110); the address is in both messages.
        let seen = found.map { "\($0["rule"] as? String ?? "") \(((($0["flow"] as? [String: Any])?["server"] as? [String: Any])?["port"] as? Int) ?? 0)" }
        #expect(seen.sorted() == ["pii.email 18110", "pii.email 18111", "pii.us-ssn 18110", "pii.us-ssn 18111",
                                  "secret.saml-assertion 18110", "secret.saml-assertion 18111"])
        for f in found {
            let details = f["details"] as? [String: Any]
            #expect(details?["source"] as? String == "saml-message")
            #expect(f["count"] as? Int == (f["rule"] as? String == "pii.email" ? 2 : 1), "\(f)")
            #expect(!(f["evidence"] as? String ?? "").contains(planted[f["rule"] as? String ?? ""] ?? "?"), "evidence in clear")
        }
        // The assertion's ID, masked: it is in the XML, not shown whole.
        let id = try #require(String(decoding: xml, as: UTF8.self).firstMatch(of: /<saml:Assertion [^>]*?ID="([^"]+)"/)?.1)
        for assertion in found where assertion["rule"] as? String == "secret.saml-assertion" {
            let evidence = try #require(assertion["evidence"] as? String)
            #expect(evidence.hasPrefix(id.prefix(4)) && evidence.hasSuffix(id.suffix(4)) && !evidence.contains(id))
        }
        let content = try #require(run.stats?["content"] as? [String: Any])
        // The response twice; the AuthnRequest, the LogoutRequest and the LogoutResponse each
        // in a Location and in the request line that follows it.
        #expect((content["streams"] as? [String: Any])?["saml-message"] as? Int == 8)
        #expect((content["decoded_bytes"] as? [String: Any])?["saml-message"] as? Int ?? 0 > 2 * xml.count)
    }
}
