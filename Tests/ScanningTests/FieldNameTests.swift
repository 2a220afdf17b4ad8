import Testing

@testable import Scanning

/// The name a value was given, read backwards from the value: JSON keys,
/// header lines, `name=value` pairs — and nothing where the text names no
/// field or the "name" could be data.
@Suite struct FieldNameTests {
    /// The field of the value that starts where `text` ends.
    static func field(_ text: String, startsStream: Bool = false) -> String? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { b in
            FieldName.before(b, textStartsStream: startsStream).map { String(decoding: b[$0], as: UTF8.self) }
        }
    }

    @Test func jsonKeys() {
        #expect(Self.field(#"{"customer":4821,"card_number":""#) == "card_number")
        #expect(Self.field(#"{"id": 7, "amount": "#) == "amount", "a number")
        #expect(Self.field(#"{"cards": [ ""#) == "cards", "an array's first value")
        #expect(Self.field(#"{"cards": ["#) == "cards", "an array of numbers")
        #expect(Self.field(#"{"note": "please charge my card "#) == "note", "inside a longer string")
        #expect(Self.field("{'ssn': '") == "ssn", "a Python literal")
        #expect(Self.field(#"{"a": {"contact_email" : ""#) == "contact_email")
    }

    @Test func headerLines() {
        #expect(Self.field("GET / HTTP/1.1\r\nAuthorization: Bearer ") == "Authorization")
        #expect(Self.field("\r\nX-Api-Key: ") == "X-Api-Key")
        #expect(Self.field("Subject: ", startsStream: true) == "Subject", "a header at the stream's start")
        #expect(Self.field("\n  password: ") == "password", "an indented YAML key")
        #expect(Self.field("Subject: ") == nil, "the line's start is not in the text: the name may be cut")
        #expect(Self.field("GET http://admin:") == nil, "a URL's user name is not its password's field")
        #expect(Self.field("\nalice:") == nil, "nor is a user's in a list of users and passwords (no space after the colon)")
        #expect(Self.field("\npassword: \"") == "password", "a quoted YAML value")
        #expect(Self.field("\nsee https:") == nil)
    }

    @Test func namedPairs() {
        #expect(Self.field("GET /v1/orders?page=2&api_key=") == "api_key")
        #expect(Self.field("\r\nCookie: theme=dark; session=") == "session")
        #expect(Self.field("\nAWS_SECRET_ACCESS_KEY=") == "AWS_SECRET_ACCESS_KEY")
        #expect(Self.field("GITHUB_TOKEN=", startsStream: true) == "GITHUB_TOKEN")
        #expect(Self.field("card[number]=", startsStream: true) == "card[number]", "a form's bracketed name")
        #expect(Self.field("\ntoken=\"") == "token", "a quoted value")
        #expect(Self.field("GITHUB_TOKEN=") == nil, "cut: the name may have started before the text")
        #expect(Self.field("API_KEY=\"", startsStream: true) == "API_KEY", "a quoted value at the stream's start")
        #expect(Self.field("[default]\naws_secret_access_key = ") == "aws_secret_access_key", "INI, spaces around `=`")
        #expect(Self.field("\npassword = '") == "password")
        #expect(Self.field("x/token=") == nil)
    }

    @Test func prosePlainTextAndLongLeadsNameNothing() {
        #expect(Self.field("\nmy card number is ") == nil)
        #expect(Self.field("", startsStream: true) == nil)
        let long = #"{"note": ""# + String(repeating: "word ", count: 20)
        #expect(Self.field(long) == nil, "the value's string began too far back")
    }

    @Test func namesThatCouldBeDataAreNotReported() {
        #expect(Self.field(#"{"alice@example.com": ""#) == nil, "a map keyed by e-mail addresses")
        #expect(Self.field(#"{"4111111111111111": ""#) == nil, "keyed by card numbers")
        #expect(Self.field(#"{"AKIAIOSFODNNXEXAMPLE": ""#) == nil, "keyed by access key ids")
        #expect(Self.field(#"{"AKIAIOSFODNN7EXAMPLE": ""#) == nil)
        #expect(Self.field(#"{"sk_live_4eC39HqLyjWDarjtT1zdp7dc": ""#) == nil, "keyed by tokens")
        #expect(Self.field(#"{"John Smith": ""#) == nil, "keyed by names")
        #expect(Self.field(#"{"12345": ""#) == nil, "no letter")
        #expect(Self.field("\n" + String(repeating: "a", count: 65) + "=") == nil, "too long")
        #expect(Self.field(#"{"tokens": {"Xk9fQ2mPz7Lw": ""#) == nil, "a short random key")
        #expect(Self.field(#"{"glpat-C0X0j_FWJqnjCnbpxw_J": ""#) == nil, "a token's prefix")
        #expect(Self.field(#"{"sk_live_abcdefghijklmnopqrstuvwx": ""#) == nil)
        #expect(Self.field(#"{"AIzaSyD-abcdefgh_ijklmnopqrs-tuvwxyz12": ""#) == nil)
        #expect(Self.field(#"{"a3f9b2c1": ""#) == nil, "hex: letters and digits alternate")
        for name in ["customerEmailAddress", "address_line_2", "oauth2Token", "X-Amz-Credential", "sha256", "AccessKeyId"] {
            #expect(Self.field(#"{"\#(name)": ""#) == name, "a field's name")
        }
    }

    @Test func namesFromElsewhereAreCheckedTheSameWay() {
        func plausible(_ s: String) -> Bool { Array(s.utf8).withUnsafeBytes { FieldName.plausible($0) } }
        #expect(plausible("attachment") && plausible("card[number]"))
        #expect(!plausible("") && !plausible("a b") && !plausible("bob@example.com") && !plausible("AKIAIOSFODNN7EXAMPLE"))
    }

    /// Through the scanner: each match carries its field wherever chunk
    /// boundaries fall (the name may lie in an earlier chunk).
    @Test func theScannerReportsFieldsWhereverTheStreamIsCut() throws {
        let scanner = try ContentScannerTests.scanner()
        let text = Array(
            (#"{"user": {"contact_email": "alice.smith@mail.acme-corp.io"}, "cards": ["4000 1234 5678 9010"]}"#
                + "\r\nAuthorization: Bearer tok_abcdefghij0123456789\r\nnote: none\r\n").utf8)
        let expected = ["pii.test-email": "contact_email", "pii.test-number": "cards", "secret.test-token": "Authorization"]
        for cut in 0..<text.count {
            var state = StreamScanState()
            var budget = ScanBudget()
            var matches: [ScanMatch] = []
            for part in [text[..<cut], text[cut...]] where !part.isEmpty {
                part.withUnsafeBytes { scanner.scan($0, at: UInt64(part.startIndex), &state, budget: &budget, into: &matches) }
            }
            scanner.finish(&state, budget: &budget, into: &matches)
            let fields = Dictionary(
                matches.map { (scanner.rules[$0.rule].id, String(decoding: $0.field, as: UTF8.self)) },
                uniquingKeysWith: { a, _ in a })
            #expect(fields == expected, "cut at \(cut)")
        }
    }
}
