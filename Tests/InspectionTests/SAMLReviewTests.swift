import Foundation
import Testing
import TestSupport
@testable import Flows
@testable import Inspection
import Scanning

/// Review of cb26cf3 (SAML POST-binding form values decoded into
/// `saml-message` streams). `SAMLReviewBugs` fail on the commit;
/// `SAMLReviewChecks` pass and record what was probed and found right.
@Suite(.serialized) struct SAMLReviewBugs {
    static let patterns = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Patterns")

    static let email = "dana.whitfield@corp-mail.io"

    /// A response whose assertion names the user by e-mail; its Destination
    /// makes the base64 hold a `+` before the assertion.
    static let xml =
        #"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_9f1c0b3a7d2e4f60" Version="2.0" IssueInstant="2026-12-07T09:14:02Z" Destination="https://app.internal/Shibboleth.sso/SAML2/POST">"#
        + #"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_5c1e9a7f3b2d4e6a8c0f" IssueInstant="2026-12-07T09:14:02Z" Version="2.0">"#
        + #"<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">\#(email)</saml:NameID></saml:Subject>"#
        + "</saml:Assertion></samlp:Response>"

    static var base64: String { Data(xml.utf8).base64EncodedString() }

    /// A conversation on an HTTP port scanned with the built-in rules.
    static func scanned(_ request: [UInt8]) throws -> [(rule: String, value: String, source: String)] {
        let scanner = try ContentScanner(ContentRuleSet.load(patterns: patterns))
        var c = Conversation(port: 8080)
        c.context.content = .scanning(scanner)
        c.client(request)
        c.server("HTTP/1.1 302 Found\r\nLocation: /dashboard\r\nContent-Length: 0\r\n\r\n")
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        return c.context.takeContentSightings().contents.map {
            (scanner.rules[$0.match.rule].id, String(decoding: $0.match.value, as: UTF8.self), $0.source?.name ?? "stream")
        }
    }

    /// Bug 1. A client that builds the body by hand (`curl -d
    /// "SAMLResponse=$b64"`, string concatenation in a script or test
    /// harness) leaves base64's `+` unescaped. The form decoder turns it into
    /// a space (right for a form), the base64 decoder then skips the space,
    /// and every byte after the first `+` is shifted by a sextet: the XML is
    /// garbage and nothing in it (the user, the assertion) is found. A space
    /// never belongs to base64, so in a SAML value it can only have been a `+`.
    @Test func anUnescapedPlusIsNotLost() throws {
        let plusAt = try #require(Self.base64.firstIndex(of: "+"), "the sample's base64 holds a +")
        let assertionAt = try #require(Self.xml.range(of: "<saml:Assertion")).lowerBound
        // The first `+` encodes a byte before the assertion (a real 10 KB response holds ~150 of them).
        #expect(Self.base64.distance(from: Self.base64.startIndex, to: plusAt) / 4 * 3 < Self.xml.utf8.distance(from: Self.xml.startIndex, to: assertionAt))
        let request = SAMLMessageTests.post("SAMLResponse=" + Self.base64 + "&RelayState=%2Fdashboard")
        var run = ContentRun(.http)
        run.send(request, .toServer)
        run.endBoth()
        #expect(run.streams.map(\.kind) == [.samlMessage, .httpFormValue])
        #expect(String(decoding: run.streams.first?.bytes ?? [], as: UTF8.self) == Self.xml, "decoded XML garbled after the first raw +")
        run.checkClean()
        // And so the user and the assertion go unreported.
        let found = try Self.scanned(request)
        #expect(found.map(\.rule).sorted() == ["pii.email", "secret.saml-assertion"], "\(found)")
    }

    /// Bug 2 (low: no conforming sender does this). A `SAMLResponse` value
    /// that is not base64 — XML form-encoded as it is — was scanned as a form
    /// value before this commit (the e-mail address found); it is now run
    /// through the base64 decoder and comes out as garbage, so the address
    /// (`%40` on the wire, not seen by the raw scan) is lost.
    @Test func aValueThatIsNotBase64IsNotLost() throws {
        let encoded = try #require(Self.xml.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        // Control: the same value under another name (what SAMLResponse was before) is read.
        let control = try Self.scanned(SAMLMessageTests.post("RelayState=" + encoded))
        #expect(control.contains { $0.rule == "pii.email" && $0.value == Self.email }, "\(control)")
        let found = try Self.scanned(SAMLMessageTests.post("SAMLResponse=" + encoded))
        #expect(found.contains { $0.rule == "pii.email" && $0.value == Self.email }, "\(found)")
    }
}

@Suite(.serialized) struct SAMLReviewChecks {
    static var formValue: String { SAMLMessageTests.formValue(SAMLReviewBugs.xml) }

    /// Chunked and gzip-compressed (HTTP/1.1): the form is read after both are undone.
    @Test func chunkedGzipForm() throws {
        let body = Array(("SAMLResponse=" + Self.formValue).utf8)
        let gz = compress(body, windowBits: 31)
        var chunked: [UInt8] = []
        var i = 0
        while i < gz.count {
            let n = min(37, gz.count - i)
            chunked += Array((String(n, radix: 16) + "\r\n").utf8) + gz[i..<(i + n)] + Array("\r\n".utf8)
            i += n
        }
        chunked += Array("0\r\n\r\n".utf8)
        let head = "POST /saml/acs HTTP/1.1\r\nHost: app.internal\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n"
            + "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        let request = Array(head.utf8) + chunked
        for cut in stride(from: 0, through: request.count, by: 7) {
            var run = ContentRun(.http)
            run.send(request, .toServer, cutAt: cut)
            run.endBoth()
            #expect(run.streams.map(\.kind) == [.samlMessage], "cut \(cut)")
            #expect(String(decoding: run.streams.first?.bytes ?? [], as: UTF8.self) == SAMLReviewBugs.xml, "cut \(cut)")
            run.checkClean()
        }
        let found = try SAMLReviewBugs.scanned(request)
        #expect(found.map(\.rule).sorted() == ["pii.email", "secret.saml-assertion"], "\(found)")
        #expect(found.allSatisfy { $0.source == "saml-message" })
    }

    /// Found once each, in the decoded message; the raw form (base64) adds nothing.
    @Test func reportedOnceFromAPlainForm() throws {
        let found = try SAMLReviewBugs.scanned(SAMLMessageTests.post("RelayState=%2F&SAMLResponse=" + Self.formValue))
        #expect(found.map(\.rule).sorted() == ["pii.email", "secret.saml-assertion"], "\(found)")
        #expect(found.allSatisfy { $0.source == "saml-message" })
    }

    /// An empty value opens no stream; a name past the label cap is not the
    /// binding's; two SAML fields are two streams, each decoded from its own start.
    @Test func emptyLongAndSeveral() {
        let long = "SAMLResponse" + String(repeating: "x", count: 300)
        let body = "SAMLResponse=&" + long + "=" + Self.formValue + "&SAMLRequest=" + SAMLMessageTests.formValue("<a/>")
            + "&SAMLResponse=" + Self.formValue
        var run = ContentRun(.http)
        run.send(SAMLMessageTests.post(body), .toServer)
        run.endBoth()
        #expect(run.streams.map(\.kind) == [.httpFormValue, .samlMessage, .samlMessage])
        #expect(run.streams.map { String(decoding: $0.bytes, as: UTF8.self) }.suffix(2) == ["<a/>", SAMLReviewBugs.xml])
        run.checkClean()
    }

    /// WS-Federation posts its token as XML (`wresult`), not base64: a plain form value, and the rule finds the SAML 1.1 assertion.
    @Test func wsFederationWresult() throws {
        let token = #"<t:RequestSecurityTokenResponse xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust"><t:RequestedSecurityToken>"#
            + #"<saml:Assertion MajorVersion="1" MinorVersion="1" AssertionID="_9f5d1a3e-4b6c-4d7e-8f90-a1b2c3d4e5f6" Issuer="http://adfs.corp/adfs/services/trust" IssueInstant="2026-12-07T09:14:02.117Z" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion">"#
            + "</saml:Assertion></t:RequestedSecurityToken></t:RequestSecurityTokenResponse>"
        let encoded = try #require(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let found = try SAMLReviewBugs.scanned(SAMLMessageTests.post("wa=wsignin1.0&wresult=" + encoded + "&wctx=rm%3D0"))
        #expect(found.map(\.rule) == ["secret.saml-assertion"], "\(found)")
        #expect(found.first?.source == "http-form-value")
    }
}
