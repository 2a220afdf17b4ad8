import Testing
@testable import Flows
@testable import Inspection

// HTTPAnalyzer on byte-exact HTTP/1.1 exchanges (RFC 9110, 9112; RFC 7617
// Basic, RFC 6750 Bearer, RFC 7616 Digest, MS-NLMP NTLM), fed whole and cut
// at every byte.

/// One HTTP flow fed to an analyzer: chunks per direction at consecutive offsets.
struct HTTPExchange {
    let analyzer: HTTPAnalyzer
    var context = InspectionContext()
    var offsets: (toServer: UInt64, toClient: UInt64) = (0, 0)

    init(maxDepth: UInt64 = 1 << 20) { analyzer = HTTPAnalyzer(maxDepth: maxDepth) }

    @discardableResult
    mutating func send(_ bytes: [UInt8], _ d: Direction) -> AnalyzerVerdict {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        let verdict = bytes.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: offset, context: &context) }
        if d == .toServer { offsets.toServer += UInt64(bytes.count) } else { offsets.toClient += UInt64(bytes.count) }
        return verdict
    }

    @discardableResult mutating func client(_ text: String) -> AnalyzerVerdict { send(ascii(text), .toServer) }
    @discardableResult mutating func server(_ text: String) -> AnalyzerVerdict { send(ascii(text), .toClient) }

    var credentials: [CredentialSighting] {
        analyzer.sightings.compactMap { if case .credential(let c) = $0 { c } else { nil } }
    }
}

/// Standard base64 with padding (RFC 4648 §4), to build test headers.
func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    var out = ""
    var k = 0
    while k < bytes.count {
        let n = min(3, bytes.count - k)
        let v = Int(bytes[k]) << 16 | (n > 1 ? Int(bytes[k + 1]) << 8 : 0) | (n > 2 ? Int(bytes[k + 2]) : 0)
        for j in 0..<4 { out.append(j <= n ? alphabet[v >> (18 - 6 * j) & 63] : "=") }
        k += 3
    }
    return out
}

func utf16le(_ s: String) -> [UInt8] { s.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] } }
func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
func le32(_ v: Int) -> [UInt8] { le16(v & 0xffff) + le16(v >> 16) }

enum NTLMSample {
    static let signature: [UInt8] = ascii("NTLMSSP") + [0]
    /// NTLMv2 response: 16-byte proof then a blob (here counting bytes).
    static let ntResponse = counting(48, from: 0x80)
    static let lmResponse = counting(24, from: 0x10)

    /// AUTHENTICATE_MESSAGE (MS-NLMP §2.2.1.3), Unicode, domain `CORP`, user `jsmith`, workstation `WS01`.
    static let authenticate: [UInt8] = {
        let domain = utf16le("CORP"), user = utf16le("jsmith"), workstation = utf16le("WS01")
        var payload: [UInt8] = []
        var fields: [[UInt8]] = []
        var offset = 64
        for item in [lmResponse, ntResponse, domain, user, workstation, []] {
            fields.append(le16(item.count) + le16(item.count) + le32(offset))
            payload += item
            offset += item.count
        }
        let flags = 0x0000_0001 | 0x0000_0200 | 0x0008_0000  // UNICODE, NTLM, EXTENDED_SESSIONSECURITY
        return signature + le32(3) + fields.flatMap { $0 } + le32(flags) + payload
    }()

    /// NEGOTIATE_MESSAGE (type 1): flags, empty domain and workstation.
    static let negotiate: [UInt8] = signature + le32(1) + le32(0x0000_0207) + [UInt8](repeating: 0, count: 16)
}

struct HTTPAnalyzerTests {
    static let okResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
    static let unauthorized =
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"WallyWorld\"\r\nContent-Length: 0\r\n\r\n"

    static func basicRequest(_ userPass: String, path: String = "/admin") -> String {
        "GET \(path) HTTP/1.1\r\nHost: example.com\r\nAuthorization: Basic \(base64(ascii(userPass)))\r\n\r\n"
    }

    @Test func basicAcceptedWaitsForTheResponse() {
        var x = HTTPExchange()
        #expect(HTTPAnalyzerTests.basicRequest("Aladdin:open sesame") == "GET /admin HTTP/1.1\r\nHost: example.com\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n")
        x.client(HTTPAnalyzerTests.basicRequest("Aladdin:open sesame"))
        #expect(x.credentials.isEmpty)
        x.server(HTTPAnalyzerTests.okResponse)
        #expect(
            x.credentials == [
                CredentialSighting(
                    mechanism: .httpBasic, username: ascii("Aladdin"), secret: ascii("open sesame"), outcome: .accepted,
                    direction: .toServer)
            ])
        #expect(x.analyzer.takeSightings().count == 1)
        #expect(x.analyzer.sightings.isEmpty)
    }

    @Test func basicRejectedBy401() {
        var x = HTTPExchange()
        x.client(HTTPAnalyzerTests.basicRequest("admin:hunter2:x"))
        x.server(HTTPAnalyzerTests.unauthorized)
        #expect(x.credentials == [CredentialSighting(mechanism: .httpBasic, username: ascii("admin"), secret: ascii("hunter2:x"), outcome: .rejected)])
    }

    @Test func basicWithoutColonOrInvalidBase64KeepsTheRawToken() {
        var x = HTTPExchange()
        x.client("GET / HTTP/1.1\r\nAuthorization: basic !!notb64\r\n\r\nGET / HTTP/1.1\r\nAuthorization: Basic \(base64(ascii("nocolon")))\r\n\r\n")
        x.server("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        #expect(x.credentials == [
            CredentialSighting(mechanism: .httpBasic, username: nil, secret: ascii("!!notb64"), outcome: .unknown),
            CredentialSighting(mechanism: .httpBasic, username: nil, secret: ascii("bm9jb2xvbg=="), outcome: .unknown),
        ])
    }

    @Test func bearerToken() {
        var x = HTTPExchange()
        x.client("GET /resource HTTP/1.1\r\nHost: server.example.com\r\nAuthorization: Bearer mF_9.B5f-4.1JqM\r\n\r\n")
        x.server("HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n")
        #expect(x.credentials == [CredentialSighting(mechanism: .httpBearer, username: nil, secret: ascii("mF_9.B5f-4.1JqM"), outcome: .accepted)])
    }

    @Test func digestResponse() {
        // RFC 7616 §3.9.1, MD5.
        var x = HTTPExchange()
        x.client(
            "GET /dir/index.html HTTP/1.1\r\nHost: example.org\r\n"
                + "Authorization: Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
                + "algorithm=MD5, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, "
                + "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
                + "response=\"8ca523f5e9506fed4657c9700eebdbec\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"\r\n\r\n")
        x.server(HTTPAnalyzerTests.okResponse)
        #expect(x.credentials == [
            CredentialSighting(mechanism: .httpDigest, username: ascii("Mufasa"), secret: ascii("8ca523f5e9506fed4657c9700eebdbec"), outcome: .accepted)
        ])
    }

    @Test func ntlmAuthenticateButNotNegotiate() {
        var x = HTTPExchange()
        x.client("GET /ews HTTP/1.1\r\nAuthorization: NTLM \(base64(NTLMSample.negotiate))\r\n\r\n")
        x.server("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM TlRMTVNTUAACAAAAAAAAACgAAAABggAAU3J2Tm9uY2UAAAAAAAAAAA==\r\nContent-Length: 0\r\n\r\n")
        #expect(x.credentials.isEmpty)
        x.client("GET /ews HTTP/1.1\r\nAuthorization: Negotiate \(base64(NTLMSample.authenticate))\r\n\r\n")
        x.server(HTTPAnalyzerTests.okResponse)
        #expect(x.credentials == [
            CredentialSighting(mechanism: .ntlm, username: ascii("jsmith"), secret: NTLMSample.ntResponse, outcome: .accepted)
        ])
    }

    @Test func apiKeyHeaders() {
        var x = HTTPExchange()
        x.client("GET /v1/items HTTP/1.1\r\nx-api-KEY:  k3y-123 \r\nX-Auth-Token: tok\r\nX-Request-Id: 42\r\n\r\n")
        x.server("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        #expect(x.credentials == [
            CredentialSighting(mechanism: .httpAPIKey, username: nil, secret: ascii("k3y-123"), outcome: .rejected),
            CredentialSighting(mechanism: .httpAPIKey, username: nil, secret: ascii("tok"), outcome: .rejected),
        ])
    }

    @Test func sessionCookiesOnlyNotOthers() {
        var x = HTTPExchange()
        x.client("GET / HTTP/1.1\r\nCookie: theme=dark; PHPSESSID=abc123; lang=en; connect.sid=s%3Axyz\r\n\r\n")
        x.server(
            "HTTP/1.1 200 OK\r\nSet-Cookie: theme=dark; Path=/\r\nSet-Cookie: sessionid=9f8e7d; Path=/; HttpOnly\r\n"
                + "Set-Cookie: auth_token=; Max-Age=0\r\nContent-Length: 0\r\n\r\n")
        #expect(x.credentials == [
            CredentialSighting(mechanism: .httpCookie, username: ascii("sessionid"), secret: ascii("9f8e7d"), outcome: .unknown, direction: .toClient),
            CredentialSighting(mechanism: .httpCookie, username: ascii("PHPSESSID"), secret: ascii("abc123"), outcome: .accepted),
            CredentialSighting(mechanism: .httpCookie, username: ascii("connect.sid"), secret: ascii("s%3Axyz"), outcome: .accepted),
        ])
    }

    @Test func setCookieIsEmittedAtOnce() {
        var x = HTTPExchange()
        x.server("HTTP/1.1 200 OK\r\nSet-Cookie: JSESSIONID=ABCDEF; Path=/\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(x.credentials == [CredentialSighting(mechanism: .httpCookie, username: ascii("JSESSIONID"), secret: ascii("ABCDEF"), direction: .toClient)])
    }

    @Test func urlUserinfoAndQueryPassword() {
        var x = HTTPExchange()
        x.client("GET http://bob:s%40cret@proxy.example.com:8080/a?b=c HTTP/1.1\r\nHost: proxy.example.com\r\n\r\n")
        x.client("GET /login?user=alice%40corp&Password=p%26ss+word&next=/ HTTP/1.1\r\n\r\n")
        x.client("GET /search?q=password&pass= HTTP/1.1\r\n\r\n")
        x.server(HTTPAnalyzerTests.okResponse + HTTPAnalyzerTests.unauthorized + HTTPAnalyzerTests.okResponse)
        #expect(x.credentials == [
            CredentialSighting(mechanism: .urlPassword, username: ascii("bob"), secret: ascii("s@cret"), outcome: .accepted),
            CredentialSighting(mechanism: .httpForm, username: ascii("alice@corp"), secret: ascii("p&ss word"), outcome: .rejected),
        ])
    }

    @Test func formBodySplitAcrossThreeChunks() {
        var x = HTTPExchange()
        let body = "username=jdoe&pwd=Tr0ub4dor%263&remember=1"
        x.client("POST /login HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: \(body.utf8.count)\r\n\r\nusername=jd")
        x.client("oe&pw")
        #expect(x.context.bufferedBytes == body.utf8.count)
        x.client("d=Tr0ub4dor%263&remember=1")
        #expect(x.context.bufferedBytes == 0)
        x.server("HTTP/1.1 303 See Other\r\nLocation: /home\r\nContent-Length: 0\r\n\r\n")
        #expect(x.credentials == [
            CredentialSighting(mechanism: .httpForm, username: ascii("jdoe"), secret: ascii("Tr0ub4dor&3"), outcome: .accepted)
        ])
    }

    @Test func formBodyWithoutPasswordFieldDoesNotFire() {
        var x = HTTPExchange()
        let body = "comment=my+password+is+secret&title=password"
        x.client("POST /c HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        x.server(HTTPAnalyzerTests.okResponse)
        #expect(x.credentials.isEmpty)
    }

    @Test func headerTextInsideAChunkedBodyDoesNotFire() {
        var x = HTTPExchange()
        let fake = "Authorization: Basic \(base64(ascii("evil:body")))\r\n\r\n"
        let chunk1 = "GET / HTTP/1.1\r\n" + fake
        x.client("GET /doc HTTP/1.1\r\n\r\n")
        x.server(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(chunk1.utf8.count, radix: 16) + ";ext=1\r\n" + chunk1 + "\r\n"
                + "5\r\nHTTP/\r\n0\r\nX-Trailer: Set-Cookie: sessionid=trailer\r\n\r\n")
        // The next message after the body is read as a response again.
        x.client(HTTPAnalyzerTests.basicRequest("real:one"))
        x.server(HTTPAnalyzerTests.unauthorized)
        #expect(x.credentials == [CredentialSighting(mechanism: .httpBasic, username: ascii("real"), secret: ascii("one"), outcome: .rejected)])
    }

    @Test func requestBodyIsNotRead() {
        var x = HTTPExchange()
        let body = "Authorization: Bearer in-body\r\n\r\n"
        x.client("PUT /f HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body + "GET / HTTP/1.1\r\nX-Api-Token: t2\r\n\r\n")
        x.server("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n" + HTTPAnalyzerTests.okResponse)
        #expect(x.credentials == [CredentialSighting(mechanism: .httpAPIKey, username: nil, secret: ascii("t2"), outcome: .accepted)])
    }

    @Test func pipelinedOutcomesInOrder() {
        var x = HTTPExchange()
        x.client(HTTPAnalyzerTests.basicRequest("first:bad") + HTTPAnalyzerTests.basicRequest("second:good"))
        x.server("HTTP/1.1 100 Continue\r\n\r\n")
        #expect(x.credentials.isEmpty)
        x.server(HTTPAnalyzerTests.unauthorized + HTTPAnalyzerTests.okResponse)
        #expect(x.credentials == [
            CredentialSighting(mechanism: .httpBasic, username: ascii("first"), secret: ascii("bad"), outcome: .rejected),
            CredentialSighting(mechanism: .httpBasic, username: ascii("second"), secret: ascii("good"), outcome: .accepted),
        ])
    }

    @Test func headResponseHasNoBody() {
        var x = HTTPExchange()
        x.client("HEAD / HTTP/1.1\r\n\r\n" + HTTPAnalyzerTests.basicRequest("u:p"))
        x.server("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n" + HTTPAnalyzerTests.unauthorized)
        #expect(x.credentials.map(\.outcome) == [.rejected])
    }

    @Test func headerSplitAtEveryByteGivesTheSameSighting() {
        let request = ascii(
            "GET /x HTTP/1.1\nHost: h\r\nCookie: a=b; sid=42\r\nAuthorization: Basic \(base64(ascii("user:pa ss")))\r\n\r\n")
        let expected = [
            CredentialSighting(mechanism: .httpCookie, username: ascii("sid"), secret: ascii("42"), outcome: .rejected),
            CredentialSighting(mechanism: .httpBasic, username: ascii("user"), secret: ascii("pa ss"), outcome: .rejected),
        ]
        let response = ascii(HTTPAnalyzerTests.unauthorized)
        for i in 1..<request.count {
            var x = HTTPExchange()
            x.send(Array(request[..<i]), .toServer)
            x.send(Array(request[i...]), .toServer)
            x.send(response, .toClient)
            #expect(x.credentials == expected, "split at \(i)")
            #expect(x.context.bufferedBytes == 0, "split at \(i)")
        }
        // And the response cut at every byte.
        for j in 1..<response.count {
            var x = HTTPExchange()
            x.send(request, .toServer)
            x.send(Array(response[..<j]), .toClient)
            x.send(Array(response[j...]), .toClient)
            #expect(x.credentials == expected, "response split at \(j)")
        }
        // And byte by byte.
        var x = HTTPExchange()
        for b in request { x.send([b], .toServer) }
        for b in response { x.send([b], .toClient) }
        #expect(x.credentials == expected)
    }

    @Test func challengeWithoutCredentialsEmitsNothing() {
        var x = HTTPExchange()
        x.client("GET /private HTTP/1.1\r\nHost: example.com\r\n\r\n")
        x.server(HTTPAnalyzerTests.unauthorized)
        x.analyzer.end(direction: .toServer, context: &x.context)
        x.analyzer.end(direction: .toClient, context: &x.context)
        #expect(x.analyzer.sightings.isEmpty)
    }

    @Test func pageMentioningPasswordDoesNotFire() {
        var x = HTTPExchange()
        let html = "<form><input type=\"password\" name=\"password\"> password=secret&user=x</form>"
        x.client("GET /login HTTP/1.1\r\n\r\n")
        x.server("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: \(html.utf8.count)\r\n\r\n" + html)
        // A response without length runs to the end of the stream.
        x.client("GET /again HTTP/1.1\r\n\r\n")
        x.server("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + html)
        #expect(x.analyzer.sightings.isEmpty)
    }

    @Test func maxDepthStopsBothDirectionsAndFlushes() {
        var x = HTTPExchange(maxDepth: 200)
        #expect(x.client(HTTPAnalyzerTests.basicRequest("early:one")) == .needMore)
        // Past 200 bytes of client data: a later request is not read, the pending one goes out unknown.
        #expect(x.client(String(repeating: "GET /padding HTTP/1.1\r\n\r\n", count: 6) + HTTPAnalyzerTests.basicRequest("late:two")) == .needMore)
        #expect(x.credentials == [CredentialSighting(mechanism: .httpBasic, username: ascii("early"), secret: ascii("one"), outcome: .unknown)])
        #expect(x.server(String(repeating: "x", count: 250)) == .done)
        #expect(x.credentials.count == 1)
    }

    @Test func gapFlushesPendingAsUnknown() {
        var x = HTTPExchange()
        x.client(HTTPAnalyzerTests.basicRequest("a:b"))
        x.client("GET / HTTP/1.1\r\nAuthorization: Bearer half")  // head not finished
        #expect(x.credentials.isEmpty)
        #expect(x.analyzer.gap(direction: .toClient, offset: 0, length: 100, context: &x.context) == .needMore)
        #expect(x.credentials == [CredentialSighting(mechanism: .httpBasic, username: ascii("a"), secret: ascii("b"), outcome: .unknown)])
        #expect(x.analyzer.gap(direction: .toServer, offset: x.offsets.toServer, length: 10, context: &x.context) == .done)
        #expect(x.credentials.count == 1)  // "half" never ended its line: not a header
        #expect(x.context.bufferedBytes == 0)
    }

    @Test func endOfStreamFlushesCompletedHeadCredentials() {
        var x = HTTPExchange()
        x.client("GET / HTTP/1.1\r\nX-Access-Token: zz\r\n")  // header line complete, head not
        x.analyzer.end(direction: .toServer, context: &x.context)
        #expect(x.credentials == [CredentialSighting(mechanism: .httpAPIKey, username: nil, secret: ascii("zz"), outcome: .unknown)])
    }

    @Test func oversizedLineIsSkipped() {
        let long = "X-Junk: " + String(repeating: "a", count: 20_000) + "\r\n"
        for chunkSize in [100_000, 1000, 4096] {
            var x = HTTPExchange()
            let request = ascii("GET / HTTP/1.1\r\n" + long + "Authorization: Bearer after-long\r\n\r\n")
            var k = 0
            while k < request.count {
                x.send(Array(request[k..<min(k + chunkSize, request.count)]), .toServer)
                k += chunkSize
                #expect(x.context.bufferedBytes <= HTTPAnalyzer.maxLine)
            }
            x.server(HTTPAnalyzerTests.okResponse)
            #expect(x.credentials == [CredentialSighting(mechanism: .httpBearer, username: nil, secret: ascii("after-long"), outcome: .accepted)], "chunks of \(chunkSize)")
            #expect(x.context.counters.httpOversizedLines == 1)
            #expect(x.context.bufferedBytes == 0)
        }
    }

    @Test func malformedStartLineStopsTheDirection() {
        var x = HTTPExchange()
        x.client("\u{16}\u{03}\u{01} not http\r\nAuthorization: Bearer x\r\n\r\n")
        #expect(x.context.counters.httpMalformed == 1)
        #expect(x.server("SSH-2.0-OpenSSH\r\n") == .done)
        #expect(x.analyzer.sightings.isEmpty)
    }

    @Test func pendingQueueIsCapped() {
        var x = HTTPExchange()
        var requests = ""
        for k in 0..<(HTTPAnalyzer.maxPendingRequests + 2) { requests += HTTPAnalyzerTests.basicRequest("u\(k):p") }
        x.client(requests)
        #expect(x.context.counters.httpPendingOverflows == 2)
        #expect(x.credentials.map { String(decoding: $0.username ?? [], as: UTF8.self) } == ["u64", "u65"])
        for _ in 0..<(HTTPAnalyzer.maxPendingRequests + 2) { x.server(HTTPAnalyzerTests.unauthorized) }
        #expect(x.credentials.count == HTTPAnalyzer.maxPendingRequests + 2)
        #expect(x.credentials.filter { $0.outcome == .rejected }.count == HTTPAnalyzer.maxPendingRequests)
        x.client(HTTPAnalyzerTests.basicRequest("after:cap"))
        x.server(HTTPAnalyzerTests.okResponse)
        #expect(x.credentials.last == CredentialSighting(mechanism: .httpBasic, username: ascii("after"), secret: ascii("cap"), outcome: .accepted))
    }

    @Test func randomCutsAndGarbageNeverCrashOrLeakBudget() {
        // A fixed linear congruential sequence: the same cuts every run.
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % n
        }
        let client = ascii(
            HTTPAnalyzerTests.basicRequest("u:p") + "POST /f HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n4;x\r\npwd=\r\n0\r\n\r\n")
        let server = ascii(HTTPAnalyzerTests.okResponse + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        for round in 0..<300 {
            var x = HTTPExchange()
            var c = client, s = server
            if round % 3 == 2 { for _ in 0..<8 { c[next(c.count)] = UInt8(next(256)) } }
            // The server answers once the first request is in (outcomes follow capture order).
            let firstRequest = HTTPAnalyzerTests.basicRequest("u:p").utf8.count
            var ci = 0, si = 0
            while ci < c.count || si < s.count {
                if ci < c.count && (si == s.count || ci < firstRequest || next(2) == 0) {
                    let n = 1 + next(min(40, c.count - ci))
                    x.send(Array(c[ci..<(ci + n)]), .toServer)
                    ci += n
                } else {
                    let n = 1 + next(min(40, s.count - si))
                    x.send(Array(s[si..<(si + n)]), .toClient)
                    si += n
                }
            }
            if round % 3 != 2 {
                #expect(x.credentials == [CredentialSighting(mechanism: .httpBasic, username: ascii("u"), secret: ascii("p"), outcome: .accepted)], "round \(round)")
            }
            x.analyzer.end(direction: .toServer, context: &x.context)
            x.analyzer.end(direction: .toClient, context: &x.context)
            #expect(x.context.bufferedBytes == 0, "round \(round)")
        }
    }

    @Test func base64Decoding() {
        #expect(CleartextBase64.decode(ascii("QWxhZGRpbjpvcGVuIHNlc2FtZQ==")) == ascii("Aladdin:open sesame"))
        #expect(CleartextBase64.decode(ascii("QWxhZGRpbjpvcGVuIHNlc2FtZQ")) == ascii("Aladdin:open sesame"))
        #expect(CleartextBase64.decode(ascii("Zm9vYg==")) == ascii("foob"))
        #expect(CleartextBase64.decode(ascii("Zm9v!mFy")) == nil)
        #expect(CleartextBase64.decode(ascii("Zm9vY")) == nil)
        #expect(CleartextBase64.decode(ascii("")) == [])
    }

    /// Identification may name HTTP only from the server's answer (a method
    /// it did not know): the client's first request is gone, and its next
    /// one starts at an offset past 0. That is where the direction starts,
    /// not a hole (ndpi__webdav.pcap: the NTLM login was the second request).
    @Test func aDirectionFirstSeenPastItsStartIsReadFromThere() {
        var x = HTTPExchange()
        x.offsets.toServer = 153
        x.server("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"dav\"\r\nContent-Length: 0\r\n\r\n")
        x.client(Self.basicRequest("demo:dav-password", path: "/webdav"))
        x.server("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        #expect(x.credentials.map(\.outcome) == [.accepted])
        #expect(x.credentials.first?.secret == ascii("dav-password"))
        // Once bytes were read, a jump is a hole: the direction stops.
        x.offsets.toServer += 10
        x.client(Self.basicRequest("demo:other"))
        x.server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(x.credentials.count == 1)
    }
}
