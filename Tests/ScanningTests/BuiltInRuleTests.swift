import Foundation
import Testing

@testable import Scanning

/// Every built-in rule in Patterns/content: it loads and compiles, it has
/// positive and negative examples, and the engine (keywords, windows, regex,
/// validator, context) finds exactly what the examples say.
@Suite struct BuiltInRuleTests {
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
}
