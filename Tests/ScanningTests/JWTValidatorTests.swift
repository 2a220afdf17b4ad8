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

    /// The header and claims are read as strict JSON (RFC 8259): escapes
    /// decoded, nested values skipped, anything malformed refused.
    @Test func jsonIsReadStrictly() throws {
        func facts(_ header: String, _ payload: String = #"{"sub":"1"}"#) -> JWTFacts? { JWTFacts(Self.token(header: header, payload: payload)) }
        #expect(facts(#"{"alg":"H\u0053256"}"#)?.algorithm == "HS256")
        #expect(facts(#" {"typ" : "JWT" ,"alg":"ES256"} "#)?.algorithm == "ES256")
        #expect(facts(#"{"alg":"HS256","alg":"none"}"#)?.algorithm == "none", "the last of a repeated name")
        #expect(facts(#"{"alg":"x\ud83d\ude00\n"}"#)?.algorithm == "x\u{1F600}\n")
        let nested = facts(#"{"alg":"HS256","jwk":{"k":[1,-2.5e3,{"a":[true,false,null,"}"]}],"e":{}}}"#,
                           #"{"aud":["a","b"],"iss":"idp","iat":1e3,"exp":true}"#)
        #expect(nested?.algorithm == "HS256" && nested?.issuer == "idp")
        #expect(nested?.issuedAt == 1000 && nested?.expires == nil, "a boolean is not a NumericDate")
        for header in [
            #"{"alg":"HS256"} x"#, #"{"alg":"HS256",}"#, #"{'alg':"HS256"}"#, #"{alg:"HS256"}"#, "{\"alg\":\"HS\t256\"}",
            #"{"alg":"HS256","n":01}"#, #"{"alg":"HS256","n":1.}"#, #"{"alg":"HS256","n":-}"#, #"{"alg":"HS256","n":.5}"#,
            #"{"alg":"HS256","n":+1}"#, #"{"alg":"\ud83d"}"#, #"{"alg":"\x41"}"#, #"{"alg":"HS256","t":tru}"#,
            #"{"alg":"HS256","a":[1,]}"#, #"{"alg":"HS256""#, "{\"alg\":\"HS256\",\"a\":" + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}",
        ] {
            #expect(facts(header) == nil, "\(header)")
        }
        let deepButFine = "{\"alg\":\"HS256\",\"a\":" + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "}"
        #expect(facts(deepButFine)?.algorithm == "HS256")
        // Not UTF-8: a Latin-1 byte inside the header's string.
        let latin1 = Array(#"{"alg":"HS256","n":"caf"#.utf8) + [0xe9] + Array(#""}"#.utf8)
        let header = Data(latin1).base64EncodedString().replacingOccurrences(of: "=", with: "")
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(JWTFacts(header + "." + Self.part(#"{"sub":"1"}"#) + ".c2ln") == nil)
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
