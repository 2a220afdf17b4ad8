import Foundation
import Testing
@testable import Flows
@testable import Inspection

/// Review of 5c6a3a4 (`SAMLAutoPostPage`): probes of the page reader.
struct SAMLPageReviewTests {
    static let xml = SAMLMessageTests.response("not-a-secret")
    static let b64 = Data(xml.utf8).base64EncodedString()

    /// The SAML streams of an HTML response body `html`, sent whole or cut at `cut`.
    static func saml(html: String, cut: Int? = nil, budget: Int = 16 << 20) -> (streams: [ContentRecorder.Stream], run: ContentRun) {
        let response = Array(("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: \(html.utf8.count)\r\n\r\n" + html).utf8)
        var run = ContentRun(.http, budget: budget)
        run.send(Array("GET /idp/sso HTTP/1.1\r\nHost: idp.internal\r\n\r\n".utf8), .toServer)
        if let cut { run.send(response, .toClient, cutAt: min(cut, response.count)) } else { run.send(response, .toClient) }
        run.endBoth()
        return (run.streams.filter { $0.kind == .samlMessage }, run)
    }

    static func text(_ s: [ContentRecorder.Stream]) -> [String] { s.map { String(decoding: $0.bytes, as: UTF8.self) } }

    // MARK: state machine

    /// An unquoted name that ends its tag (`name=SAMLResponse>`): the `>`
    /// is taken as the name's terminator and dropped, so the reader stays in
    /// `.attribute` past the end of the tag and reads the NEXT tag's `value`
    /// (here the RelayState `/dashboard`) as a base64 SAML message.
    @Test func unquotedNameEndingItsTagDoesNotReadTheNextTagsValue() {
        let html = "<form method=post action=/acs><input type=hidden name=SAMLResponse>"
            + "<input type=hidden name=RelayState value=\"/dashboard\"></form>"
        let (saml, run) = Self.saml(html: html)
        #expect(saml.isEmpty, "a SAMLResponse stream made of the RelayState value: \(saml.map { $0.bytes })")
        run.checkClean()

        // The same through a minified value-first page (`value` before `name`
        // is documented as not read): the response is missed, and the
        // RelayState is reported as the SAMLResponse instead.
        let minified = "<form method=post action=/acs><input type=hidden value=\"\(Self.b64)\" name=SAMLResponse>"
            + "<input type=hidden value=\"/dashboard\" name=RelayState></form>"
        let (saml2, run2) = Self.saml(html: minified)
        #expect(saml2.isEmpty, "\(saml2.map { $0.bytes })")
        run2.checkClean()
    }

    /// A `&` left open at the closing quote (`…&#x3d"`: a numeric reference
    /// without its `;`, legal if a parse error in HTML; or a bare `&`): the
    /// reference reader swallows the quote, the value runs on into the
    /// page (up to the next quote), and the stream gets markup decoded as
    /// base64 after the message, still marked complete.
    @Test func aQuoteEndsTheValueEvenInsideAReference() {
        // The message's base64 with its `=` padding written `&#x3d` (no `;`).
        // Length ≡ 2 mod 3: one `=` of padding.
        let xml = Self.xml + String(repeating: " ", count: (5 - Self.xml.utf8.count % 3) % 3)
        let b64 = Data(xml.utf8).base64EncodedString()
        #expect(b64.hasSuffix("=") && !b64.hasSuffix("=="))
        let value = b64.dropLast() + "&#x3d"
        let html = "<form><input type=\"hidden\" name=\"SAMLResponse\" value=\"\(value)\"/>\n"
            + "<input type=\"hidden\" name=\"RelayState\" value=\"/dashboard\"/></form>"
        let (saml, run) = Self.saml(html: html)
        #expect(Self.text(saml) == [xml], "decoded: \(saml.first?.bytes.count ?? 0) bytes, \(xml.utf8.count) expected")
        run.checkClean()

        // The same with a bare `&` before the quote (the browser keeps it as text).
        let bare = "<form><input type=\"hidden\" name=\"SAMLResponse\" value=\"\(Self.b64)&\"/>\n"
            + "<input type=\"hidden\" name=\"RelayState\" value=\"/dashboard\"/></form>"
        let (saml2, run2) = Self.saml(html: bare)
        #expect(Self.text(saml2) == [Self.xml], "decoded: \(saml2.first?.bytes.count ?? 0) bytes, \(Self.xml.utf8.count) expected")
        run2.checkClean()
    }

    /// HTML attribute syntax a browser reads as `name`, then `value`, in one
    /// tag, that the reader does not: no space between the attributes, a `>`
    /// inside another quoted attribute between them, an unquoted value (what
    /// HTML minifiers write when the base64 has no `=` padding), `/` as the
    /// separator, form feed as whitespace.
    @Test func valueAttributeForms() {
        // Length ≡ 0 mod 3: no padding, so the value is a valid unquoted attribute value.
        let xml = Self.xml + String(repeating: " ", count: (3 - Self.xml.utf8.count % 3) % 3)
        let b64 = Data(xml.utf8).base64EncodedString()
        #expect(!b64.contains("="))
        let inputs = [
            "<input type=\"hidden\" name=\"SAMLResponse\"value=\"\(b64)\"/>",
            "<input name=\"SAMLResponse\" type=\"hidden\" title=\"a > b\" value=\"\(b64)\"/>",
            "<input type=hidden name=SAMLResponse value=\(b64)>",
            "<input type=\"hidden\" name=\"SAMLResponse\"/value=\"\(b64)\">",
            "<input type=\"hidden\" name=\"SAMLResponse\"\u{0C}value=\"\(b64)\">",
        ]
        for input in inputs {
            let (saml, run) = Self.saml(html: "<form>" + input + "</form>")
            #expect(Self.text(saml) == [xml], "\(input.prefix(60))")
            run.checkClean()
        }
    }

    /// HTML5 numeric references without `;` (a browser decodes them): the
    /// reader drops them and the bytes after, up to 10, misaligning the base64.
    @Test func numericReferenceWithoutSemicolon() {
        let value = Self.b64.replacingOccurrences(of: "+", with: "&#43").replacingOccurrences(of: "/", with: "&#47")
        #expect(value != Self.b64)
        let (saml, run) = Self.saml(html: "<form><input type=\"hidden\" name=\"SAMLResponse\" value=\"\(value)\"/></form>")
        #expect(Self.text(saml) == [Self.xml])
        run.checkClean()
    }
}

/// Probes that passed (kept as a record of what was checked).
struct SAMLPageReviewPassingProbes {
    static let xml = SAMLPageReviewTests.xml
    static let b64 = SAMLPageReviewTests.b64

    /// Tricky pages give the same SAML streams however they are cut.
    @Test func cutsDoNotChangeTheResult() {
        let ref = SAMLMessageTests.referenced(Self.xml)
        let pages = [
            "<p>\"SAMLReSAMLResponse\" 'SSAMLResponse' =SAMLRe SAMLResponse</p><input name=\"SAMLResponse\" value=\"\(Self.b64)\">",
            "<script>var n = \"SAMLResponse\"; if (a > b) {}</script><input data-value=\"x\" name='SAMLResponse' data-value=\"y\" VALUE =\n '\(ref)'>",
            "<input id=\"SAMLResponse\" type=\"hidden\" name=\"SAMLResponse\" value=\"\(Self.b64)\"/><input name=\"SAMLRequest\" value=\"\(Self.b64)\">",
            "<input name=\"SAMLResponse\" value=\"\(Self.b64.prefix(40))&amp;\(Self.b64.dropFirst(40))\">",
            "<input name=\"SAMLResponse\" value=\"\(ref)",  // unterminated
        ]
        for (page, count) in zip(pages, [1, 1, 2, 1, 1]) {
            let whole = SAMLPageReviewTests.saml(html: page).streams
            #expect(whole.count == count, "\(page.prefix(30))")
            let expected = whole.map { "\($0.name) \($0.complete!) \($0.bytes)" }
            for cut in 0...(page.utf8.count + 100) {
                let (saml, run) = SAMLPageReviewTests.saml(html: page, cut: cut)
                #expect(saml.map { "\($0.name) \($0.complete!) \($0.bytes)" } == expected, "\(page.prefix(30)) cut \(cut)")
                run.checkClean()
            }
        }
    }

    @Test func restartsAndSeveralValues() {
        let page = "<p>\"SAMLReSAMLResponse\" 'SSAMLResponse'</p>"
            + "<input name=\"SAMLResponse\" value=\"\(Self.b64)\"><input name=\"SAMLResponse\" value=\"\(Self.b64)\">"
        let (saml, run) = SAMLPageReviewTests.saml(html: page)
        #expect(SAMLPageReviewTests.text(saml) == [Self.xml, Self.xml])
        run.checkClean()
    }

    /// Templates as real identity providers write them.
    @Test func templates() {
        let esapi = Self.b64.replacingOccurrences(of: "+", with: "&#x2b;").replacingOccurrences(of: "/", with: "&#x2f;")
            .replacingOccurrences(of: "=", with: "&#x3d;")
        let antiXSS = Self.b64.replacingOccurrences(of: "+", with: "&#43;").replacingOccurrences(of: "/", with: "&#47;")
            .replacingOccurrences(of: "=", with: "&#61;")
        var wrapped = ""
        for (k, c) in Self.b64.enumerated() { wrapped += (k > 0 && k % 76 == 0 ? "\r\n" : "") + String(c) }
        let inputs = [
            // OpenAM / ForgeRock (NAME and VALUE on two lines, ESAPI-encoded value)
            "<INPUT TYPE=\"HIDDEN\" NAME=\"SAMLResponse\" \nVALUE=\"\(esapi)\">",
            // OneLogin / Rails hidden_field_tag / CAS (id= as well)
            "<input type=\"hidden\" name=\"SAMLResponse\" id=\"SAMLResponse\" value=\"\(Self.b64)\" autocomplete=\"off\" />",
            // Okta (type between, hex references)
            "<input name=\"SAMLResponse\" type=\"hidden\" value=\"\(esapi)\"/>",
            // Sustainsys (name and value on two lines), AntiXSS decimal references
            "<input type=\"hidden\" name=\"SAMLResponse\"\r\n                value=\"\(antiXSS)\"/>",
            // base64 wrapped at 76 (raw CRLF in the attribute)
            "<input type='hidden' name='SAMLResponse' value='\(wrapped)'>",
            // ASP.NET Core HtmlEncoder (+ as &#x2B;)
            "<input type=\"hidden\" name=\"SAMLResponse\" value=\"\(Self.b64.replacingOccurrences(of: "+", with: "&#x2B;"))\" />",
        ]
        for input in inputs {
            let (saml, run) = SAMLPageReviewTests.saml(html: "<form method=\"post\" action=\"https://sp/acs\">" + input + "</form>")
            #expect(SAMLPageReviewTests.text(saml) == [Self.xml], "\(input.prefix(50))")
            #expect(saml.allSatisfy { $0.complete == true })
            run.checkClean()
        }
    }

    /// A budget with room for the page but not for the SAML stream's labels:
    /// no SAML stream, nothing leaked; and every budget from small to enough.
    @Test func budgets() {
        let page = "<input name=\"SAMLResponse\" value=\"\(Self.b64)\"><input name=\"SAMLResponse\" value=\"\(Self.b64)\">"
        var refusedOnlyForSAML = 0
        for budget in stride(from: 0, through: 40_000, by: 97) {
            let (saml, run) = SAMLPageReviewTests.saml(html: page, budget: budget)
            if saml.count < 2 && run.streams.contains(where: { $0.kind == .httpResponseBody }) {
                refusedOnlyForSAML += 1
                #expect(run.context.counters.bufferCapHits > 0)
            }
            run.checkClean()
        }
        #expect(refusedOnlyForSAML > 0, "the page decoded, its SAML stream refused")
    }

    /// A page past the decoded-bytes cap, the value crossing it: incomplete, clean.
    @Test func valueAcrossTheDecodedCap() {
        let filler = String(repeating: "<p>x</p>", count: Int(ContentLimits.maxDecodedBytes) / 8 - 100)
        let long = String(repeating: Self.b64, count: 3)
        let (saml, run) = SAMLPageReviewTests.saml(html: filler + "<input name=\"SAMLResponse\" value=\"\(long)\">")
        #expect(saml.count == 1 && saml.first?.complete == false)
        run.checkClean()
    }

    /// Over HTTP/2 the page is read too.
    @Test func overHTTP2() throws {
        let b64 = Data(SAMLMessageTests.response(HTTP2ContentTests.token).utf8).base64EncodedString()
        let bytes = Array(("<html><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"/acs\">"
            + "<input type=\"hidden\" name=\"SAMLResponse\" value=\"\(b64)\"/></form></body></html>").utf8)
        let request = H2.literal(":method", "GET") + H2.literal(":scheme", "http") + H2.literal(":path", "/sso")
            + H2.literal(":authority", "idp.internal")
        let client = H2.preface + H2.settings() + H2.headers(1, request, endStream: true)
        var server = H2.settings() + H2.headers(1, H2.literal(":status", "200") + H2.literal("content-type", "text/html"))
        server += H2.dataFrame(1, Array(bytes[..<333]), endStream: false)
        server += H2.dataFrame(1, Array(bytes[333...]), endStream: true)
        let h2 = try HTTP2ContentTests.scanned(client, server: server)
        #expect(h2.found.contains("\(HTTP2ContentTests.token) saml-message"), "\(h2.found)")
        #expect(h2.context.bufferedBytes == 0)
    }
}
