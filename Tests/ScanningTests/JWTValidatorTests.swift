import Foundation
import Testing

@testable import Scanning

@Suite struct JWTValidatorTests {
    /// base64url without padding, as JWS writes its parts.
    static func part(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func token(header: String, payload: String, signature: String = "c2lnbmF0dXJl") -> String {
        part(header) + "." + part(payload) + "." + signature
    }

    /// RFC 7519 section 3.1: the example JWT (HS256, iss "joe", exp 1300819380).
    @Test func rfc7519Example() throws {
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        #expect(Validator.jwt.accepts(token))
        let facts = try #require(JWTFacts(token))
        #expect(facts.algorithm == "HS256")
        #expect(facts.issuer == "joe")
        #expect(facts.expires == 1_300_819_380)
        #expect(facts.issuedAt == nil)
        #expect(facts.lifetime == nil)
    }

    /// RFC 7519 section 6.1: an unsecured JWT, alg "none" and an empty signature.
    @Test func rfc7519UnsecuredExample() throws {
        let token = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
        let facts = try #require(JWTFacts(token))
        #expect(facts.algorithm == "none")
        #expect(facts.issuer == "joe")
    }

    @Test func lifetimeIsExpiryMinusIssue() throws {
        let token = Self.token(header: #"{"alg":"RS256","kid":"k1"}"#,
                               payload: #"{"iss":"https://idp.corp.test","iat":1700000000,"exp":1700003600.75}"#)
        let facts = try #require(JWTFacts(token))
        #expect(facts == JWTFacts(token))
        #expect(facts.algorithm == "RS256")
        #expect(facts.issuer == "https://idp.corp.test")
        #expect(facts.issuedAt == 1_700_000_000)
        #expect(facts.expires == 1_700_003_600)
        #expect(facts.lifetime == 3600)
    }

    /// Claims that are not numbers, numbers outside Int64, or a difference that overflows give nil facts,
    /// not a refused token.
    @Test func oddClaimsAreLeftOut() throws {
        let strings = try #require(JWTFacts(Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"iss":7,"iat":"yesterday","exp":1e30}"#)))
        #expect(strings.issuer == nil && strings.issuedAt == nil && strings.expires == nil)
        let extremes = try #require(JWTFacts(Self.token(
            header: #"{"alg":"HS256"}"#, payload: #"{"iat":-9223372036854775808,"exp":9223372036854775807}"#)))
        #expect(extremes.issuedAt == Int64.min && extremes.expires == Int64.max)
        #expect(extremes.lifetime == nil)
        let notAnObject = try #require(JWTFacts(Self.token(header: #"{"alg":"HS256"}"#, payload: "just text")))
        #expect(notAnObject.algorithm == "HS256" && notAnObject.issuer == nil)
    }

    @Test(arguments: [
        "not json", "[\"alg\",\"HS256\"]", "{}", #"{"typ":"JWT"}"#, #"{"alg":256}"#, #"{"alg":null}"#, #""HS256""#,
        #"{"alg":"HS256""#,
    ])
    func headerWithoutAStringAlgIsRefused(_ header: String) {
        let token = Self.token(header: header, payload: #"{"sub":"1"}"#)
        #expect(!Validator.jwt.accepts(token))
        #expect(JWTFacts(token) == nil)
    }

    @Test func structureIsThreeBase64URLParts() {
        let header = Self.part(#"{"alg":"HS256"}"#)
        let payload = Self.part(#"{"sub":"1"}"#)
        #expect(Validator.jwt.accepts(header + "." + payload + ".c2ln"))
        #expect(!Validator.jwt.accepts(header + "." + payload))  // two parts
        #expect(!Validator.jwt.accepts(header + "." + payload + ".c2ln.ZXh0cmE"))  // four (JWE has five)
        #expect(!Validator.jwt.accepts(header + "=." + payload + ".c2ln"))  // padding
        #expect(!Validator.jwt.accepts(header + "." + payload + ".c2l+"))  // base64, not base64url
        #expect(payload.count == 15)
        #expect(!Validator.jwt.accepts(header + "." + payload + "AA.c2ln"))  // 17 characters: 4n + 1 encodes no byte count
        #expect(!Validator.jwt.accepts("." + payload + ".c2ln"))
        #expect(Validator.jwt.accepts(header + "..c2ln"))  // detached (empty) payload, RFC 7515 appendix F
        #expect(!Validator.jwt.accepts(header + "." + payload + ".c2ln "))
        let long = header + "." + Self.part(#"{"x":""# + String(repeating: "a", count: JWTFacts.maxTokenBytes) + #""}"#) + ".c2ln"
        #expect(!Validator.jwt.accepts(long))
    }
}
