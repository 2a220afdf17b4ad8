import Foundation
import Testing
@testable import Flows
@testable import Inspection

/// SAML messages posted in a form (the HTTP POST binding): `SAMLResponse`
/// and `SAMLRequest` values are base64-decoded into `saml-message` streams;
/// other fields stay percent-decoded form values.
struct SAMLMessageTests {
    static func response(_ attribute: String) -> String {
        #"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_9f1c" Version="2.0">"#
            + #"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_5c1e9a7f3b2d4e6a" IssueInstant="2026-12-07T09:14:02Z" Version="2.0">"#
            + #"<saml:Subject><saml:NameID>dana.whitfield</saml:NameID></saml:Subject><saml:AttributeStatement>"#
            + #"<saml:Attribute Name="apiToken"><saml:AttributeValue>\#(attribute)</saml:AttributeValue></saml:Attribute>"#
            + "</saml:AttributeStatement></saml:Assertion></samlp:Response>"
    }

    /// The base64 as a browser form-encodes it: `+`, `/` and `=` percent-escaped.
    static func formValue(_ xml: String) -> String {
        Data(xml.utf8).base64EncodedString(options: .lineLength76Characters)
            .replacingOccurrences(of: "+", with: "%2B").replacingOccurrences(of: "/", with: "%2F")
            .replacingOccurrences(of: "=", with: "%3D").replacingOccurrences(of: "\r\n", with: "%0D%0A")
    }

    static func post(_ body: String) -> [UInt8] {
        Array(("POST /saml/acs HTTP/1.1\r\nHost: app.internal\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    }

    @Test func aPostedResponseIsDecodedHoweverItIsCut() {
        let xml = Self.response("not-a-secret")
        // Line breaks inside the base64 (some IdPs wrap it at 76) are skipped as MIME's are.
        let request = Self.post("RelayState=%2Fdashboard&SAMLResponse=" + Self.formValue(xml) + "&lang=en")
        for cut in 0...request.count {
            var run = ContentRun(.http)
            run.send(request, .toServer, cutAt: cut)
            run.endBoth()
            #expect(run.streams.map(\.kind) == [.httpFormValue, .samlMessage, .httpFormValue], "cut \(cut)")
            #expect(run.streams.map(\.name) == ["RelayState", "SAMLResponse", "lang"])
            #expect(run.streams.map { String(decoding: $0.bytes, as: UTF8.self) } == ["/dashboard", xml, "en"], "cut \(cut)")
            #expect(run.streams.allSatisfy { $0.complete == true })
            run.checkClean()
        }
    }

    /// `SAMLRequest` too, in any letter case; a value that merely holds base64 under another name is not decoded.
    @Test func onlyTheBindingsFieldsAreDecoded() {
        let request = "<samlp:AuthnRequest ID=\"_a1\" Version=\"2.0\"/>"
        let other = Data("hello world".utf8).base64EncodedString()
        var run = ContentRun(.http)
        run.send(Self.post("samlrequest=" + Self.formValue(request) + "&SAMLResponseX=" + other), .toServer)
        run.endBoth()
        #expect(run.streams.map(\.kind) == [.samlMessage, .httpFormValue])
        #expect(run.streams.map { String(decoding: $0.bytes, as: UTF8.self) } == [request, other])
        run.checkClean()
    }

    /// A body cut short ends its SAML stream incomplete, with what it decoded.
    @Test func aCutBodyEndsTheStreamIncomplete() {
        let value = Self.formValue(Self.response("x"))
        let full = Self.post("SAMLResponse=" + value)
        var run = ContentRun(.http)
        run.send(Array(full[..<(full.count - 40)]), .toServer)
        run.endBoth()
        #expect(run.streams.map(\.kind) == [.samlMessage])
        #expect(run.streams.first?.complete == false)
        let decoded = String(decoding: run.streams.first?.bytes ?? [], as: UTF8.self)
        #expect(decoded.hasPrefix("<samlp:Response "))
        run.checkClean()
    }

    /// A value inside the assertion is found in the decoded message, named by
    /// the form field; the raw scan reads the base64 too, and finds nothing in it.
    @Test func aValueInTheAssertionIsFound() throws {
        var c = try ContentScanFlowTests.conversation(port: 8080)
        c.client(Self.post("SAMLResponse=" + Self.formValue(Self.response(ContentScanFlowTests.token)) + "&RelayState=%2F"))
        c.server("HTTP/1.1 302 Found\r\nLocation: /dashboard\r\nContent-Length: 0\r\n\r\n")
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        let found = c.context.takeContentSightings().contents
        #expect(found.map { String(decoding: $0.match.value, as: UTF8.self) } == [ContentScanFlowTests.token])
        #expect(found.first?.source == .samlMessage)
        #expect(found.map { String(decoding: $0.match.field, as: UTF8.self) } == ["SAMLResponse"])
    }

    /// Over HTTP/2 the same form is read the same way.
    @Test func overHTTP2() throws {
        let body = Array(("SAMLResponse=" + Self.formValue(Self.response(HTTP2ContentTests.token))).utf8)
        var fields = H2.literal(":method", "POST") + H2.literal(":scheme", "http") + H2.literal(":path", "/saml/acs")
        fields += H2.literal(":authority", "app.internal") + H2.literal("content-type", "application/x-www-form-urlencoded")
        var client = H2.preface + H2.settings() + H2.headers(1, fields)
        client += H2.dataFrame(1, Array(body[..<50]), endStream: false)
        client += H2.dataFrame(1, Array(body[50...]), endStream: true)
        let h2 = try HTTP2ContentTests.scanned(client)
        #expect(h2.found == ["\(HTTP2ContentTests.token) saml-message"])
    }

    // MARK: the identity provider's auto-submitting page

    static func page(_ input: String) -> [UInt8] {
        let html = "<!DOCTYPE html>\n<html><body onload=\"document.forms[0].submit()\">\n"
            + "<script>var f = document.forms[0].SAMLResponse;</script>\n"
            + "<form method=\"post\" action=\"http://app.internal/saml/acs\">\n" + input
            + "\n<input type=\"hidden\" name=\"RelayState\" value=\"/dashboard\"/>\n"
            + "<noscript><input type=\"submit\" value=\"Continue\"/></noscript></form></body></html>\n"
        return Array(("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(html.utf8.count)\r\n\r\n" + html).utf8)
    }

    /// The base64 with `+`, `/` and `=` as the character references an HTML
    /// attribute encoder may write (OWASP ESAPI's, which Shibboleth uses).
    static func referenced(_ xml: String) -> String {
        Data(xml.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "&#x2b;")
            .replacingOccurrences(of: "/", with: "&#47;").replacingOccurrences(of: "=", with: "&#x3D;")
    }

    /// The hidden input as pysaml2, Keycloak (capitals, no spaces before
    /// `/>`) and an encoder with character references write it; each at every cut.
    @Test func aPagesHiddenResponseIsDecodedHoweverItIsCut() {
        let xml = Self.response("not-a-secret")
        let b64 = Data(xml.utf8).base64EncodedString()
        let inputs = [
            "<input type=\"hidden\" name=\"SAMLResponse\" value=\"\(b64)\"/>",
            "<INPUT TYPE=\"HIDDEN\" NAME=\"SAMLResponse\" VALUE=\"\(b64)\"/>",
            "<input type='hidden' name='SAMLResponse'\n       value = '\(Self.referenced(xml))' />",
        ]
        for input in inputs {
            let response = Self.page(input)
            for cut in 0...response.count {
                var run = ContentRun(.http)
                run.send(Array("GET /idp/sso HTTP/1.1\r\nHost: idp.internal\r\n\r\n".utf8), .toServer)
                run.send(response, .toClient, cutAt: cut)
                run.endBoth()
                let saml = run.streams.filter { $0.kind == .samlMessage }
                #expect(saml.map(\.name) == ["SAMLResponse"], "\(input.prefix(20)) cut \(cut)")
                #expect(saml.map { String(decoding: $0.bytes, as: UTF8.self) } == [xml], "\(input.prefix(20)) cut \(cut)")
                #expect(saml.allSatisfy { $0.complete == true && $0.direction == .toClient })
                #expect(run.streams.filter { $0.kind == .httpResponseBody }.count == 1, "the page is read as it is too")
                run.checkClean()
            }
        }
    }

    /// A `SAMLRequest` (an SP sending the user to the IdP) in a chunked,
    /// gzip-compressed page; names that are not the binding's are not read.
    @Test func aRequestInACompressedPage() throws {
        let request = "<samlp:AuthnRequest ID=\"_a1\" Version=\"2.0\"/>"
        let b64 = Data(request.utf8).base64EncodedString()
        let html = "<input name=\"SAMLResponseX\" value=\"\(b64)\"><p>SAMLResponse</p><input value=\"\(b64)\">"
            + "<input type=\"hidden\" name=\"SAMLRequest\" value=\"\(b64)\">"
        let body = TestCoding.gzip.compress(Array(html.utf8))
        var chunked: [UInt8] = []
        for start in stride(from: 0, to: body.count, by: 7) {
            let piece = body[start..<min(body.count, start + 7)]
            chunked += Array((String(piece.count, radix: 16) + "\r\n").utf8) + piece + Array("\r\n".utf8)
        }
        chunked += Array("0\r\n\r\n".utf8)
        var run = ContentRun(.http)
        run.send(Array("GET /login HTTP/1.1\r\n\r\n".utf8), .toServer)
        run.send(Array("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + chunked, .toClient)
        run.endBoth()
        let saml = run.streams.filter { $0.kind == .samlMessage }
        #expect(saml.map(\.name) == ["SAMLRequest"])
        #expect(saml.map { String(decoding: $0.bytes, as: UTF8.self) } == [request])
        run.checkClean()
    }

    /// A page cut inside the value ends its stream incomplete.
    @Test func aPageCutInsideTheValue() {
        let response = Self.page("<input type=\"hidden\" name=\"SAMLResponse\" value=\"\(Data(Self.response("x").utf8).base64EncodedString())\"/>")
        var run = ContentRun(.http)
        run.send(Array("GET / HTTP/1.1\r\n\r\n".utf8), .toServer)
        run.send(Array(response[..<(response.count - 300)]), .toClient)
        run.endBoth()
        let saml = run.streams.filter { $0.kind == .samlMessage }
        #expect(saml.count == 1 && saml.first?.complete == false)
        run.checkClean()
    }

    @Test func characterReferences() {
        /// Reads `text` after an `&` up to the step that ends the reference.
        func read(_ text: String) -> CharacterReference.Step {
            var r = CharacterReference()
            for b in text.utf8 {
                let step = r.read(b)
                if step != .more { return step }
            }
            return .more
        }
        #expect(read("#x2b;") == .done(UInt8(ascii: "+")))
        #expect(read("#X2F;") == .done(UInt8(ascii: "/")))
        #expect(read("#61;") == .done(UInt8(ascii: "=")))
        #expect(read("plus;") == .done(UInt8(ascii: "+")))
        #expect(read("sol;") == .done(UInt8(ascii: "/")))
        #expect(read("equals;") == .done(UInt8(ascii: "=")))
        #expect(read("#x;") == .done(nil))
        #expect(read("#;") == .done(nil))
        #expect(read("amp;") == .done(nil), "not one of base64's")
        #expect(read("#x2603;") == .done(nil), "not ASCII")
        // Without `;` a numeric reference ends at the first byte that is not
        // a digit, which is the value's again (browsers read `&#43P` as `+P`).
        #expect(read("#43P") == .endedBefore(UInt8(ascii: "+")))
        #expect(read("#x3d\"") == .endedBefore(UInt8(ascii: "=")))
        #expect(read("\"") == .endedBefore(nil), "a lone &")
        #expect(read("amp\"") == .endedBefore(nil))
        #expect(read("abcdefghij;") == .endedBefore(nil), "longer than any name")
        #expect(read("#000000043;") == .done(UInt8(ascii: "+")), "leading zeros")
        #expect(read("#99999999999999999999;") == .done(nil), "no overflow")
        #expect(read("#12") == .more)
    }

    // MARK: the redirect binding

    static func logoutRequest(_ nameID: String) -> String {
        #"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id-4b1d7c2e9f3a" Version="2.0" IssueInstant="2026-12-07T09:20:11Z" Destination="http://idp.internal/slo">"#
            + #"<saml:Issuer>http://app.internal/metadata</saml:Issuer><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">\#(nameID)</saml:NameID>"#
            + "<samlp:SessionIndex>id-9f3a4e6b8c5d</samlp:SessionIndex></samlp:LogoutRequest>"
    }

    /// The redirect binding's parameter: raw DEFLATE, base64, percent-encoded (`%2B`, `%2F`, `%3D`).
    static func redirectParameter(_ xml: String, deflate: Bool = true) -> String {
        let bytes = deflate ? TestCoding.rawDeflate.compress(Array(xml.utf8)) : Array(xml.utf8)
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "%2B")
            .replacingOccurrences(of: "/", with: "%2F").replacingOccurrences(of: "=", with: "%3D")
    }

    /// Single logout: the service provider's 302 to the identity provider and
    /// the browser's request for that URL, each a stream, at every cut.
    @Test func aLogoutRequestInALocationAndARequestLine() {
        let xml = Self.logoutRequest("not-a-secret")
        let query = "SAMLRequest=" + Self.redirectParameter(xml) + "&RelayState=%2F&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature=c2lnbmF0dXJl"
        let response = Array("HTTP/1.1 302 Found\r\nLocation: http://idp.internal/slo?\(query)\r\nContent-Length: 0\r\n\r\n".utf8)
        let request = Array("GET /slo?\(query) HTTP/1.1\r\nHost: idp.internal\r\n\r\n".utf8)
        for cut in stride(from: 0, through: response.count, by: 3) {
            var sp = ContentRun(.http)
            sp.send(Array("GET /logout HTTP/1.1\r\nHost: app.internal\r\n\r\n".utf8), .toServer)
            sp.send(response, .toClient, cutAt: cut)
            var idp = ContentRun(.http)
            idp.send(request, .toServer, cutAt: min(cut, request.count))
            sp.endBoth()
            idp.endBoth()
            let streams = sp.streams + idp.streams
            #expect(streams.map(\.kind) == [.samlMessage, .samlMessage], "cut \(cut)")
            #expect(streams.map(\.name) == ["SAMLRequest", "SAMLRequest"])
            #expect(streams.map(\.direction) == [.toClient, .toServer])
            #expect(streams.map { String(decoding: $0.bytes, as: UTF8.self) } == [xml, xml], "cut \(cut)")
            #expect(streams.allSatisfy { $0.complete == true })
            sp.checkClean()
            idp.checkClean()
        }
    }

    /// XML not deflated is taken as it is; corrupt DEFLATE is counted; names
    /// that are not the binding's, or not a query parameter's, are not read;
    /// one message per URL, the first.
    @Test func redirectEdgeCases() {
        let xml = Self.logoutRequest("x")
        let corrupt = Data([0xff, 0xff, 0xff, 0xff, 0x00]).base64EncodedString()
        let targets = [
            "/slo?a=1&SAMLRequestX=" + Self.redirectParameter(xml) + "&xSAMLRequest=" + Self.redirectParameter(xml)
                + "&SAMLResponse=" + Self.redirectParameter(xml, deflate: false) + "&SAMLRequest=" + Self.redirectParameter(xml)
                + "#SAMLRequest=" + Self.redirectParameter(xml),
            "/slo?SAMLRequest=" + corrupt,
        ]
        var run = ContentRun(.http)
        for target in targets { run.send(Array("GET \(target) HTTP/1.1\r\nHost: idp.internal\r\n\r\n".utf8), .toServer) }
        run.endBoth()
        // The corrupt one delivered no byte: no stream to record, only the count.
        #expect(run.streams.map(\.name) == ["SAMLResponse"])
        #expect(run.streams.first.map { String(decoding: $0.bytes, as: UTF8.self) } == xml)
        #expect(run.context.counters.content.corruptCompressed == 1)
        run.checkClean()
    }

    /// A flow's redirect messages inflate to `redirectBytesPerFlow` in all,
    /// each to `maxRedirectMessage`: past that they are not decoded, counted.
    @Test func aFlowsRedirectBudget() {
        let bomb = Data(TestCoding.rawDeflate.compress([UInt8](repeating: 0x41, count: 1 << 20))).base64EncodedString()
        var run = ContentRun(.http)
        for _ in 0..<6 { run.send(Array("GET /slo?SAMLRequest=\(bomb) HTTP/1.1\r\nHost: idp\r\n\r\n".utf8), .toServer) }
        run.endBoth()
        let each = SAMLMessage.maxRedirectMessage
        #expect(run.streams.map(\.bytes.count) == Array(repeating: each, count: SAMLMessage.redirectBytesPerFlow / each))
        #expect(run.streams.allSatisfy { $0.complete == false })
        #expect(run.context.counters.content.decodedCapHits == 6, "four cut, two not decoded")
        run.checkClean()
    }

    /// The user named in a logout request is found, named by the parameter; over HTTP/2 in `:path`.
    @Test func theUserInALogoutRequestIsFound() throws {
        let path = "/slo?SAMLRequest=" + Self.redirectParameter(Self.logoutRequest(ContentScanFlowTests.token)) + "&RelayState=%2F"
        var c = try ContentScanFlowTests.conversation(port: 8080)
        c.client("GET \(path) HTTP/1.1\r\nHost: idp.internal\r\n\r\n")
        c.server("HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n")
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        let found = c.context.takeContentSightings().contents
        #expect(found.map { String(decoding: $0.match.value, as: UTF8.self) } == [ContentScanFlowTests.token])
        #expect(found.map(\.source) == [.samlMessage])
        #expect(found.map { String(decoding: $0.match.field, as: UTF8.self) } == ["SAMLRequest"])

        let fields = H2.literal(":method", "GET") + H2.literal(":scheme", "http") + H2.literal(":path", path)
            + H2.literal(":authority", "idp.internal")
        let h2 = try HTTP2ContentTests.scanned(H2.preface + H2.settings() + H2.headers(1, fields, endStream: true))
        #expect(h2.found == ["\(HTTP2ContentTests.token) saml-message"])
    }
}
