import Foundation
import Testing

@testable import Scanning

/// Every built-in rule in Patterns/content: it loads and compiles, it has
/// positive and negative examples, and the engine (keywords, windows, regex,
/// validator, context) finds exactly what the examples say. Serialized: the
/// tests share one scanner, and a scanner belongs to one thread at a time
/// (each regex owns its match data) — run in parallel, two tests read each
/// other's match offsets (a crash in CI, 2026-12-06).
@Suite(.serialized) struct BuiltInRuleTests {
    static let patterns = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Patterns")

    static let scanner: ContentScanner = try! ContentScanner(ContentRuleSet.load(patterns: patterns))

    @Test func coverageIsWhatTheIssueAsks() {
        let ids = Set(Self.scanner.rules.map(\.id))
        let secrets = Self.scanner.rules.filter { $0.category == .secret }
        #expect(secrets.count >= 50, "\(secrets.count) secret rules")
        for id in [
            "pii.payment-card", "pii.email", "pii.us-ssn", "pii.iban", "pii.phone-e164", "pii.phone-nanp",
            "pii.uk-nino", "pii.ca-sin", "pii.in-aadhaar", "secret.aws-access-key-id", "secret.aws-secret-access-key",
            "secret.jwt", "secret.pem-private-key", "secret.url-password", "secret.generic-api-key",
        ] {
            #expect(ids.contains(id), "\(id) missing")
        }
    }

    @Test func everyRuleHasExamplesAndTheEngineAgrees() {
        let scanner = Self.scanner
        for (r, rule) in scanner.rules.enumerated() {
            #expect(rule.matchExamples.count >= 2 && rule.noMatchExamples.count >= 3, "\(rule.id): too few examples")
            for text in rule.matchExamples {
                #expect(scanner.matches(Array(text.utf8)).contains { $0.rule == r }, "\(rule.id) finds nothing in: \(text)")
            }
            for text in rule.noMatchExamples {
                #expect(!scanner.matches(Array(text.utf8)).contains { $0.rule == r }, "\(rule.id) matches: \(text)")
            }
        }
    }

    @Test func everyExampleIsFoundWhereverAPacketBoundaryFalls() {
        let scanner = Self.scanner
        for (r, rule) in scanner.rules.enumerated() {
            for text in rule.matchExamples {
                let bytes = Array(text.utf8)
                for cut in stride(from: 1, to: bytes.count, by: max(1, bytes.count / 7)) {
                    var state = StreamScanState()
                    var budget = ScanBudget()
                    var found: [ScanMatch] = []
                    bytes[..<cut].withUnsafeBytes { scanner.scan($0, at: 0, &state, budget: &budget, into: &found) }
                    bytes[cut...].withUnsafeBytes { scanner.scan($0, at: UInt64(cut), &state, budget: &budget, into: &found) }
                    scanner.finish(&state, budget: &budget, into: &found)
                    #expect(found.contains { $0.rule == r }, "\(rule.id) cut at \(cut): \(text)")
                }
            }
        }
    }

    /// A SigV4-signed request names its access key id in `Credential=` and
    /// carries a 64-hex signature: one exposure, the key's (the signature is
    /// not a secret of its own). AWS's documented example request, with a fake key id.
    /// Found in review: a window that ends inside a later value must not turn
    /// its cut-off start into a match (a phone number ending early), and a
    /// password's value holding `name=value` is one finding, not two.
    @Test func valuesAreWholeWhateverHitsCameBefore() {
        func found(_ text: String, _ id: String) -> [String] {
            let r = Self.scanner.rules.firstIndex { $0.id == id }!
            return Self.scanner.matches(Array(text.utf8)).filter { $0.rule == r }.map { String(decoding: $0.value, as: UTF8.self) }
        }
        #expect(found(#"{"country_code":"+1","mobile_phone_numbr":"+61491570156"}"#, "pii.phone-e164") == ["+61491570156"])
        #expect(found("password=abc/db_pass=hunter22 ", "secret.generic-password") == ["abc/db_pass=hunter22"])
    }

    /// Found in the 2026-12-06 session: numbers glued by a space or a dash make
    /// one digit run, and the scan stopped at the run's first match.
    @Test func everyNumberOfOneDigitRunIsFound() {
        func found(_ text: String, _ id: String) -> [String] {
            let r = Self.scanner.rules.firstIndex { $0.id == id }!
            return Self.scanner.matches(Array(text.utf8)).filter { $0.rule == r }.map { String(decoding: $0.value, as: UTF8.self) }
        }
        #expect(found("SSN: 536-22-8726 536-22-8727 ", "pii.us-ssn") == ["536-22-8726", "536-22-8727"])
        #expect(found("phone: 415-555-2671 628-479-1922 ", "pii.phone-nanp") == ["415-555-2671", "628-479-1922"])
        #expect(found("card 4539 1488 0343 6467 123 ", "pii.payment-card") == ["4539 1488 0343 6467"])
    }

    /// Values glued into a run longer than any one of them (a space-separated
    /// list): each is found from its own groups, once, wherever the stream is
    /// cut. The IBAN is found from its keyword's window first and from its own
    /// digits after ten values of other rules: still once.
    @Test func valuesGluedIntoALongerRunAreFoundOnce() {
        let text = "ids 234-56-7891 345-67-8912 456-78-9123 567-89-1234\n"
            + "cards 4069006792188143 4280666653510348 4539578763621486\n"
            + "phone 2125551234 3125551234 4125551234; 2024/12/05 10:30\n"
            + "ssn aba sin iban 110011277 110011921 110013356 110013398 DE89370400440532013000\n"
        let rules: Set = ["pii.us-ssn", "pii.payment-card", "pii.phone-nanp", "pii.iban"]
        func found(cuts: [Int]) -> [String] {
            ContentScannerTests.scan(Self.scanner, text, cuts: cuts).filter { rules.contains($0.rule) }.map(\.description)
        }
        let expected = [
            "pii.us-ssn@4=234-56-7891", "pii.us-ssn@16=345-67-8912", "pii.us-ssn@28=456-78-9123",
            "pii.us-ssn@40=567-89-1234", "pii.payment-card@58=4069006792188143",
            "pii.payment-card@75=4280666653510348", "pii.payment-card@92=4539578763621486",
            "pii.phone-nanp@115=2125551234", "pii.phone-nanp@126=3125551234", "pii.phone-nanp@137=4125551234",
            "pii.iban@223=DE89370400440532013000",
        ]
        #expect(found(cuts: []) == expected)
        let count = text.utf8.count
        for cut in 1..<count {
            #expect(found(cuts: [cut]) == expected, "cut at \(cut)")
            #expect(found(cuts: [cut / 2, cut, min(count - 1, cut + 7)].filter { $0 > 0 }) == expected, "cuts near \(cut)")
        }
    }

    /// Found in review: a stream remembered the last eight values it reported,
    /// so that one seen from two hits is reported once; a list of more than
    /// eight pushed out a value a later hit still reached — the phone number
    /// before the SSNs (the NANP window looks 12 bytes back), the OpenAI key
    /// that its second keyword, after the list, finds again. A stream now
    /// remembers every value a later hit can reach.
    @Test func aValueBeforeAListOfValuesIsReportedOnce() {
        let ssns = "234-56-7891 345-67-8912 456-78-9123 567-89-1234 234-56-7892 345-67-8913 456-78-9124 567-89-1235 234-56-7893"
        for text in [
            "phone 4155552671, \(ssns)\n",
            "OPENAI_API_KEY=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 ssn \(ssns) T3BlbkFJ\n",
            "OPENAI_API_KEY=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 ssn \(ssns.replacingOccurrences(of: " ", with: ", ")) T3BlbkFJ\n",
        ] {
            let whole = ContentScannerTests.scan(Self.scanner, text)
            #expect(Set(whole.map { "\($0.rule)@\($0.offset)" }).count == whole.count, "\(whole)")
            #expect(whole.filter { $0.rule == "pii.us-ssn" }.count == 9)
            #expect(whole.count == 10)
            for cut in stride(from: 1, to: text.utf8.count, by: 3) {
                #expect(ContentScannerTests.scan(Self.scanner, text, cuts: [cut]) == whole, "cut at \(cut)")
            }
        }
    }

    /// Found in review: a glued run is tried at every alignment, so four
    /// groups of a list of 4-digit numbers passed as a card one time in a few
    /// dozen, and an E.164 number ended between two groups of a longer number.
    /// A card and its expiry glued by a space is still a card, and so is one
    /// after a year or a longer number (a second review).
    @Test func partsOfLongerNumbersAreNotValues() {
        func found(_ text: String) -> [String] {
            Self.scanner.matches(Array(text.utf8)).map { Self.scanner.rules[$0.rule].id }
        }
        #expect(found("ports 8080 8443 4280 6666 5351 0348 9090 ").isEmpty)
        #expect(found("ports 8080 4280 6666 5351 0348 9090 8443 ").isEmpty)
        #expect(found("acct +4716 7219 0766 2579 1 ").isEmpty)
        #expect(found("card 4280 6666 5351 0348 123 ") == ["pii.payment-card"])
        #expect(found("card 4280 6666 5351 0348 1228 ") == ["pii.payment-card"])
        #expect(found("since 2024 4280 6666 5351 0348 ") == ["pii.payment-card"])
        #expect(found("call 2125551234 4280 6666 5351 0348 ") == ["pii.payment-card"])
    }

    /// Found in review: a group of digits thousands long after a card kept the
    /// card's run waiting for its end, until the stream gave the wait up —
    /// found in one piece, lost when cut. A run is looked into up to 120 bytes.
    @Test func aLongBlobOfDigitsAfterAValueIsJudgedAlikeCutOrWhole() {
        let text = "card 4539 5787 6362 1486 " + String(repeating: "1", count: 9000) + " " + String(repeating: "x", count: 300)
        let whole = ContentScannerTests.scan(Self.scanner, text)
        #expect(whole.map(\.description) == ["pii.payment-card@5=4539 5787 6362 1486"])
        for cut in Array(1..<40) + Array(stride(from: 40, to: text.utf8.count, by: 211)) {
            #expect(ContentScannerTests.scan(Self.scanner, text, cuts: [cut]) == whole, "cut at \(cut)")
        }
    }

    @Test func aSigV4RequestIsOneKeyExposure() {
        let request = """
            GET /?Action=ListUsers&Version=2010-05-08 HTTP/1.1\r
            Host: iam.amazonaws.com\r
            X-Amz-Date: 20150830T123600Z\r
            Authorization: AWS4-HMAC-SHA256 Credential=AKIA2E4GQJ5NMWZRK7TP/20150830/us-east-1/iam/aws4_request, \
            SignedHeaders=content-type;host;x-amz-date, \
            Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7\r
            \r

            """
        let found = Self.scanner.matches(Array(request.utf8))
        #expect(found.map { Self.scanner.rules[$0.rule].id } == ["secret.aws-access-key-id"])
        #expect(found.first.map { String(decoding: $0.value, as: UTF8.self) } == "AKIA2E4GQJ5NMWZRK7TP")
    }

    /// In numbers-only text a rule that needs a context word has nothing to
    /// find (the scan skips its regex there), but `patterns test`, which
    /// records what was turned down, still says why each candidate was — and
    /// a word within reach still makes it a finding.
    @Test func numbersOnlyTextStillExplainsItsRejections() throws {
        let scanner = try ContentScanner(ContentRuleSet.load(patterns: Self.patterns))
        let filler = String(repeating: "0.5;", count: 17)
        let alone = Array((filler + "305852531;0.5").utf8)
        #expect(scanner.matches(alone).isEmpty)
        scanner.recordsRejections = true
        #expect(scanner.matches(alone).isEmpty)
        let reasons = scanner.rejections.map { "\(scanner.rules[$0.rule].id): \($0.reason)" }
        #expect(reasons.contains("pii.us-ssn-plain: no context word within 40 bytes"), "\(reasons)")
        scanner.recordsRejections = false
        let named = scanner.matches(Array((filler + "ssn;305852531;0.5").utf8))
        #expect(named.map { scanner.rules[$0.rule].id } == ["pii.us-ssn-plain"])
    }
}
