import Foundation
import Testing
@testable import Flows
@testable import Inspection

/// Base64 JSON in HTTP header and cookie values: decoded into
/// `http-header-value` streams named by the cookie or header; JWT parts and
/// base64 that is not a JSON object are not.
struct EncodedJSONValuesTests {
    static let principal = #"{"auth_typ":"aad","claims":[{"typ":"emails","val":"dana.whitfield@northwind.example"}],"name_typ":"name"}"#
    static let session = #"{"cart":[4821],"email":"dana@northwind.example"}"#

    static func b64(_ text: String, url: Bool = false) -> String {
        let s = Data(text.utf8).base64EncodedString()
        return url ? s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "") : s
    }

    /// Flask's session cookie: base64url payload, a timestamp, a signature.
    static let flaskCookie = b64(session, url: true) + ".Z1SQdA.qW3hL0kTq2c8nGx7JXvE5aYw8b0"
    static let jwt = b64(#"{"alg":"HS256","typ":"JWT"}"#, url: true) + "." + b64(#"{"sub":"1234567890","email":"x@y.example"}"#, url: true)
        + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

    static func request(_ headers: [String]) -> [UInt8] {
        Array(("GET /account HTTP/1.1\r\nHost: app.internal\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n").utf8)
    }

    static func recorded(_ client: [UInt8], server: [UInt8] = Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)) -> ContentRecorder {
        let (context, recorder) = HTTP2ContentTests.recording()
        var c = Conversation(port: 8080)
        c.context = context
        c.client(client)
        c.server(server)
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        return recorder
    }

    @Test func identityHeadersAndSessionCookiesAreDecoded() {
        let r = Self.recorded(
            Self.request([
                "X-MS-CLIENT-PRINCIPAL: " + Self.b64(Self.principal),
                "Cookie: theme=dark; session=" + Self.flaskCookie,
                "Authorization: Bearer " + Self.jwt,
            ]),
            server: Array(("HTTP/1.1 200 OK\r\nSet-Cookie: session=" + Self.b64(Self.session) + "; HttpOnly; Path=/\r\nContent-Length: 0\r\n\r\n").utf8))
        #expect(r.streams.map(\.kind) == [.httpHeaderValue, .httpHeaderValue, .httpHeaderValue])
        #expect(r.streams.map(\.name) == ["X-MS-CLIENT-PRINCIPAL", "session", "session"])
        #expect(r.streams.map { String(decoding: $0.bytes, as: UTF8.self) } == [Self.principal, Self.session, Self.session])
        #expect(r.streams.map(\.direction) == [.toServer, .toServer, .toClient])
        #expect(r.violations.isEmpty && r.streams.allSatisfy { $0.complete == true })
    }

    /// Not JSON objects: a JWT (its rule reports it), base64 of an array or
    /// of binary that starts like one, a short run, an id inside a word.
    @Test func otherBase64IsLeftAlone() {
        let binary = Data([0x7b, 0x22, 0x01, 0x02, 0x03, 0xff, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15]).base64EncodedString()
        let r = Self.recorded(
            Self.request([
                "Authorization: Bearer " + Self.jwt,
                "X-Array: " + Self.b64(#"[{"email":"a@b.example"}]"#),
                "X-Binary: " + binary,
                "X-Short: " + Self.b64(#"{"a":1}"#),
                "X-Word: key" + Self.b64(Self.session),
            ]))
        #expect(r.streams.isEmpty, "\(r.streams.map(\.name))")
    }

    /// A token inside is found once, in the decoded value; over HTTP/2 as over HTTP/1.
    @Test func theValueInsideIsFound() throws {
        let userInfo = #"{"id":"4821","api_token":"\#(HTTP2ContentTests.token)"}"#
        var c = try ContentScanFlowTests.conversation(port: 8080)
        c.client(Self.request(["X-Endpoint-API-UserInfo: " + Self.b64(userInfo, url: true)]))
        c.server("HTTP/1.1 204 No Content\r\n\r\n")
        c.inspection.end(direction: .toServer, context: &c.context)
        c.inspection.end(direction: .toClient, context: &c.context)
        let found = c.context.takeContentSightings().contents
        #expect(found.map { String(decoding: $0.match.value, as: UTF8.self) } == [HTTP2ContentTests.token])
        #expect(found.first?.source == .httpHeaderValue)

        let cookie = Self.b64(userInfo, url: true) + ".Z1SQdA.qW3hL0kTq2c8nGx7JXvE5aYw8b0"
        let client = H2.preface + H2.settings() + H2.headers(1, H2.getRoot + H2.literal("cookie", "session=" + cookie), endStream: true)
        let h2 = try HTTP2ContentTests.scanned(client)
        #expect(h2.found == ["\(HTTP2ContentTests.token) http-header-value"])
    }

    /// Found by review: words and ids that start like base64 JSON are not
    /// decoded; a query parameter and a quoted cookie are named by their own
    /// name; a Rails signed cookie's digest is not part of its payload; an ALB
    /// token's padded JWT parts are a JWT; `:path` is not read over HTTP/2 as
    /// the request line is not over HTTP/1.
    @Test func reviewCases() throws {
        let words = Self.recorded(Self.request([
            "X-Service: eyeglasses-store-api", "X-Upstream: eyewear-catalog-service-v2",
            "X-Request-Id: ewr7f3a9c1e5b2d4f6a8c0e2b4d6f8a0c2",
        ]))
        #expect(words.streams.isEmpty, "\(words.streams.map(\.name))")

        let state = Self.b64(#"{"return_to":"/billing","email":"dana@northwind.example"}"#, url: true)
        let redirect = Self.recorded(
            Self.request(["Cookie: session=\"" + Self.b64(Self.session) + "\""]),
            server: Array(("HTTP/1.1 302 Found\r\nLocation: https://login.example/authorize?client_id=app&state=" + state
                + "\r\nContent-Length: 0\r\n\r\n").utf8))
        #expect(redirect.streams.map(\.name) == ["session", "state"])

        // Rails' signed cookie: `base64--digest`, the payload's base64 without padding (48 bytes).
        let rails = #"{"_rails":{"message":"danaw@northwind.example"}}"#
        #expect(rails.utf8.count % 3 == 0)
        let signed = Self.recorded(Self.request(["Cookie: remember_token=" + Self.b64(rails) + "--8f3a9c1e5b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a"]))
        #expect(signed.streams.map(\.name) == ["remember_token"])
        #expect(signed.streams.first?.bytes == Array(rails.utf8))

        let padded = Self.b64(#"{"typ":"JWT","alg":"ES256","iss":"https://elb"}"#) + "."
            + Self.b64(#"{"sub":"4821","email":"dana@northwind.example","exp":1700000000}"#) + ".c2ln"
        #expect(Self.recorded(Self.request(["x-amzn-oidc-data: " + padded])).streams.isEmpty)

        let userInfo = #"{"id":"4821","api_token":"\#(HTTP2ContentTests.token)"}"#
        let client = H2.preface + H2.settings()
            + H2.headers(1, [0x82, 0x86] + H2.literal(nameIndex: 4, "/callback?state=" + Self.b64(userInfo, url: true))
                + H2.literal(nameIndex: 1, "svc:50051"), endStream: true)
        #expect(try HTTP2ContentTests.scanned(client).found.isEmpty)
    }
}

