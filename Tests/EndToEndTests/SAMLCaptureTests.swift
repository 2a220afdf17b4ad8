import Foundation
import Testing

/// `Captures/saml-post.pcap` (`RECORD_ONLY=saml Captures/record.sh`): single
/// sign-on in clear on loopback, as behind load balancers that end TLS.
/// pysaml2 as the identity provider (port 18111) signs a response and its
/// assertion — the NameID and the `mail` attribute are the e-mail address, an
/// SCHAC personal unique id holds the SSN — and answers the POST binding's
/// auto-submitting page (the response in base64 in a hidden input); curl as
/// the browser posts that form (`SAMLResponse`, `RelayState`) to a pysaml2
/// service provider's `/acs` (port 18110), which verified both signatures and
/// answered 302. On the wire the values are base64, on both hops; the build
/// before found nothing but cleartext HTTP.
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
        // Each value once on each hop: the page (from 18111), the post (to 18110).
        let seen = found.map { "\($0["rule"] as? String ?? "") \(((($0["flow"] as? [String: Any])?["server"] as? [String: Any])?["port"] as? Int) ?? 0)" }
        #expect(seen.sorted() == ["pii.email 18110", "pii.email 18111", "pii.us-ssn 18110", "pii.us-ssn 18111",
                                  "secret.saml-assertion 18110", "secret.saml-assertion 18111"])
        for f in found {
            let details = f["details"] as? [String: Any]
            #expect(details?["source"] as? String == "saml-message")
            #expect(!(f["evidence"] as? String ?? "").contains(planted[f["rule"] as? String ?? ""] ?? "?"), "evidence in clear")
        }
        // The assertion's ID, masked: it is in the XML, not shown whole.
        let id = try #require(String(decoding: xml, as: UTF8.self).firstMatch(of: /<saml:Assertion [^>]*?ID="([^"]+)"/)?.1)
        for assertion in found where assertion["rule"] as? String == "secret.saml-assertion" {
            let evidence = try #require(assertion["evidence"] as? String)
            #expect(evidence.hasPrefix(id.prefix(4)) && evidence.hasSuffix(id.suffix(4)) && !evidence.contains(id))
        }
        let content = try #require(run.stats?["content"] as? [String: Any])
        #expect((content["streams"] as? [String: Any])?["saml-message"] as? Int == 2)
        #expect((content["decoded_bytes"] as? [String: Any])?["saml-message"] as? Int == 2 * xml.count)
    }
}
