import Testing

@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection
@testable import Scanning

/// PII and secret sightings becoming findings: masked evidence (full only with
/// `--reveal`), one finding per rule, value and server endpoint counted per
/// flow, JWTs ranked by their claims, generic matches yielding to credentials.
struct ContentFindingsTests {
    static let key = FingerprintKey(bytes: Array(repeating: 7, count: 32))
    static let rules = try! ContentRuleSet.load(patterns: patternsURL).rules

    func assessor(reveal: Bool = false) throws -> CleartextAssessor {
        CleartextAssessor(
            rules: try CleartextRules.load(patterns: patternsURL), fingerprints: Self.key,
            content: ContentReporting(rules: Self.rules, reveal: reveal))
    }

    func sighting(_ rule: String, _ value: String, offset: UInt64 = 10, source: ContentKind? = nil) -> Sighting {
        let r = Self.rules.firstIndex { $0.id == rule }!
        let bytes = Array(value.utf8)
        let jwt = Self.rules[r].validator == .jwt ? bytes.withUnsafeBytes { JWTFacts(token: $0) } : nil
        return .content(
            ContentSighting(
                match: ScanMatch(rule: r, offset: offset, value: bytes, raised: false, jwt: jwt), direction: .toServer,
                source: source))
    }

    func end(_ a: CleartextAssessor, _ slot: Int32, _ flow: FlowIdentity) {
        _ = a.flowEnded(slot: slot, record: makeRecord(flow, app: .http, end: 9))
    }

    static let card = "4000 1234 5678 9010"

    @Test func evidenceIsMaskedUnlessRevealed() throws {
        let a = try assessor()
        let flow = makeFlowIdentity(serverPort: 8080)
        a.note(sighting("pii.payment-card", Self.card), slot: 1, flow: flow, app: .http, at: 1)
        let finding = try #require(a.takeChanged().first?.finding)
        #expect(finding.rule == "pii.payment-card" && finding.category == .pii)
        #expect(finding.evidence == "**** **** **** 9010")
        #expect(finding.detailMap["stream_offset"] == "10" && finding.detailMap["source"] == "stream")
        #expect(finding.detailMap["validator"] == "payment-card" && finding.detailMap["brand"] == "visa")
        let b = try assessor(reveal: true)
        b.note(sighting("pii.payment-card", Self.card), slot: 1, flow: flow, app: .http, at: 1)
        let revealed = try #require(b.takeChanged().first?.finding)
        #expect(revealed.evidence == Self.card)
        #expect(revealed.detailMap["revealed"] == "true", "marked, so readers of the output can mask it again")
        #expect(finding.detailMap["revealed"] == nil)
    }

    @Test func theFieldAndFileGoWithTheFinding() throws {
        let a = try assessor()
        let r = Self.rules.firstIndex { $0.id == "pii.payment-card" }!
        var match = ScanMatch(rule: r, offset: 4, value: Array(Self.card.utf8), raised: false, jwt: nil)
        match.field = Array("card_number".utf8)
        a.note(
            .content(ContentSighting(match: match, direction: .toServer, source: .httpMultipartPart, file: Array("orders.csv".utf8))),
            slot: 1, flow: makeFlowIdentity(serverPort: 8080), app: .http, at: 1)
        a.note(sighting("pii.payment-card", "4111 1111 1111 1111"), slot: 1, flow: makeFlowIdentity(serverPort: 8080), app: .http, at: 2)
        let findings = a.takeChanged().map(\.finding)
        #expect(findings.count == 2)
        #expect(findings.first?.detailMap["field"] == "card_number" && findings.first?.detailMap["file"] == "orders.csv")
        #expect(findings.last?.detailMap["field"] == nil && findings.last?.detailMap["file"] == nil, "none known: none reported")
    }

    @Test func aFileNameThatCouldHoldPIIIsNotReported() {
        #expect(ContentReporting.fileLabel(Array("orders-2024-12.csv".utf8)) == "orders-2024-12.csv")
        #expect(ContentReporting.fileLabel(Array("scan\u{7}.pdf".utf8)) == "scan?.pdf", "control bytes shown as ?")
        #expect(ContentReporting.fileLabel(Array("John_Smith_SSN_123-45-6789.pdf".utf8)) == nil)
        #expect(ContentReporting.fileLabel(Array("alice@example.com.txt".utf8)) == nil)
        #expect(ContentReporting.fileLabel([]) == nil)
    }

    @Test func oneFindingPerValueAndEndpointCountedPerFlow() throws {
        let a = try assessor()
        let flow = makeFlowIdentity(serverPort: 8080)
        // The raw stream and the decoded body of one flow: one occurrence.
        a.note(sighting("pii.payment-card", Self.card), slot: 1, flow: flow, app: .http, at: 1)
        a.note(sighting("pii.payment-card", "4000-1234-5678-9010", source: .httpRequestBody), slot: 1, flow: flow, app: .http, at: 2)
        // Another flow to the same server: a second occurrence.
        a.note(sighting("pii.payment-card", Self.card), slot: 2, flow: flow, app: .http, at: 3)
        // Another server: another finding.
        a.note(sighting("pii.payment-card", Self.card), slot: 3, flow: makeFlowIdentity(serverPort: 9090), app: .http, at: 4)
        let findings = a.takeChanged().map(\.finding)
        #expect(findings.count == 2)
        #expect(findings.first?.occurrences?.count == 2)
    }

    // RFC 7519 6.1's unsecured JWT (no exp): critical, its own rule.
    static let unsigned = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."

    @Test func anUnsignedJWTIsItsOwnCriticalFinding() throws {
        let a = try assessor()
        a.note(sighting("secret.jwt", Self.unsigned), slot: 1, flow: makeFlowIdentity(serverPort: 80), app: .http, at: 1)
        let finding = try #require(a.takeChanged().first?.finding)
        #expect(finding.rule == "secret.jwt-alg-none" && finding.severity == .critical)
        #expect(finding.detailMap["jwt_alg"] == "none" && finding.detailMap["jwt_issuer"] == "joe")
        #expect(!(finding.evidence ?? "").contains("eyJpc3Mi"), "the payload is not shown")
    }

    @Test func aGenericMatchYieldsToTheCredentialOfItsFlow() throws {
        let a = try assessor()
        let flow = makeFlowIdentity(serverPort: 8080)
        let token = "Zq8rT2mW9xK4vB7nP3sL6dF1"
        a.note(sighting("secret.generic-api-key", token), slot: 1, flow: flow, app: .http, at: 1)
        #expect(a.takeChanged().isEmpty, "held until the flow ends")
        a.note(
            .credential(CredentialSighting(mechanism: .httpAPIKey, username: nil, secret: Array(token.utf8))), slot: 1,
            flow: flow, app: .http, at: 2)
        end(a, 1, flow)
        let rules = a.takeChanged().map(\.finding.rule)
        #expect(rules.contains("credential.http-api-key") && !rules.contains("secret.generic-api-key"))
        #expect(a.contentDuplicatesOfCredentials == 1)
        // Without the credential it is reported when its flow ends.
        let b = try assessor()
        b.note(sighting("secret.generic-api-key", token), slot: 1, flow: flow, app: .http, at: 1)
        end(b, 1, flow)
        #expect(b.takeChanged().map(\.finding.rule).contains("secret.generic-api-key"))
    }

    /// A generic match that holds the flow's credential, or lies inside it
    /// (eight bytes or more), is the same secret; a shorter piece is not.
    @Test func aGenericMatchHoldingOrInsideTheCredentialYieldsToIt() throws {
        let flow = makeFlowIdentity(serverPort: 8080)
        let secret = "Zq8rT2mW9xK4vB7nP3sL6dF1"
        for (value, duplicate) in [
            ("Bearer-" + secret, true), (String(secret.dropFirst(4)), true), (String(secret.suffix(8)), true),
            (String(secret.prefix(7)), false), ("Zq8rT2mW9xK4vB7nP3sL6dF2", false),
        ] {
            let a = try assessor()
            a.note(sighting("secret.generic-api-key", value), slot: 1, flow: flow, app: .http, at: 1)
            a.note(
                .credential(CredentialSighting(mechanism: .httpAPIKey, username: nil, secret: Array(secret.utf8))), slot: 1,
                flow: flow, app: .http, at: 2)
            end(a, 1, flow)
            let rules = a.takeChanged().map(\.finding.rule)
            #expect(rules.contains("secret.generic-api-key") == !duplicate, "\(value)")
            #expect(a.contentDuplicatesOfCredentials == (duplicate ? 1 : 0), "\(value)")
        }
    }

    @Test func byteSearch() {
        func holds(_ a: String, _ b: String) -> Bool { CleartextAssessor.bytes(Array(a.utf8), hold: Array(b.utf8)) }
        #expect(holds("abcdef", "abc") && holds("abcdef", "def") && holds("abcdef", "cd") && holds("abcdef", "abcdef"))
        #expect(holds("aaab", "aab") && holds("abc", ""))
        #expect(!holds("abcdef", "abd") && !holds("abc", "abcd") && !holds("", "a") && !holds("abcdef", "efg"))
    }
}
