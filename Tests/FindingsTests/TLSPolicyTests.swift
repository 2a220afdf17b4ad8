import Foundation
import Testing
@testable import Findings
@testable import Inspection

/// The shipped policy files, rules.yaml, and what malformed policies report.
@Suite("TLS policies")
struct TLSPolicyTests {
    static let shipped = ["mozilla-intermediate", "mozilla-modern", "mozilla-old", "nist-sp800-52r2", "pci-dss-4"]

    /// Every rule id TLSAssessor can emit, kept by hand: rules.yaml and the
    /// assessor's source are both checked against it.
    static let ruleIDs: Set<String> = [
        "tls.weak-version", "tls.client-offers-weak-version", "tls.downgrade", "tls.weak-cipher",
        "tls.client-offers-weak-cipher", "tls.compression", "tls.insecure-renegotiation", "tls.heartbeat",
        "certificate.expired", "certificate.not-yet-valid", "certificate.expiring-soon", "certificate.self-signed",
        "certificate.untrusted", "certificate.name-mismatch", "certificate.weak-key", "certificate.weak-signature",
        "certificate.long-validity",
    ]

    static func load(_ name: String) throws -> TLSPolicy { try TLSPolicy.load(name, patterns: patternsURL) }

    static func shippedText(_ name: String) throws -> String {
        try String(contentsOf: patternsURL.appendingPathComponent("tls/policies/\(name).yaml"), encoding: .utf8)
    }

    @Test func theFiveShippedPoliciesAreAvailable() {
        #expect(TLSPolicy.available(in: patternsURL) == Self.shipped)
        #expect(Self.shipped.contains(TLSPolicy.defaultName))
    }

    @Test(arguments: shipped)
    func shippedPolicyParses(_ name: String) throws {
        let policy = try Self.load(name)
        #expect(policy.name == name)
        #expect(!policy.title.isEmpty)
        #expect(policy.reference.hasPrefix("https://"))
        // Every version and every weakness is decided explicitly.
        #expect(Set(policy.versions.keys) == [.sslv2, .sslv3, .tls10, .tls11, .tls12, .tls13])
        #expect(Set(policy.cipherWeaknesses.keys) == Set(CipherWeaknesses.named.map(\.name)))
        // SSL is never allowed, TLS 1.3 always is.
        #expect(policy.severity(of: .sslv2) == .critical)
        #expect(policy.severity(of: .sslv3) == .critical)
        #expect(policy.severity(of: .tls13) == nil)
        #expect(policy.severity(of: CipherWeaknesses.nullEncryption).0 == .critical)
        #expect(policy.certificate.expired == .high)
        #expect(policy.certificate.weakSignatureHashes.contains("sha1"))
        #expect(policy.certificate.minRSABits == 2048)
        #expect(Set(policy.rules.keys) == Self.ruleIDs)
    }

    @Test func rulesFileHasATextForEveryRuleAndNoOther() throws {
        let policy = try Self.load("mozilla-intermediate")
        let inFile = Set(policy.rules.keys)
        #expect(Self.ruleIDs.subtracting(inFile).isEmpty, "missing in rules.yaml: \(Self.ruleIDs.subtracting(inFile))")
        #expect(inFile.subtracting(Self.ruleIDs).isEmpty, "not emitted: \(inFile.subtracting(Self.ruleIDs))")
        for (id, text) in policy.rules {
            #expect(!text.title.isEmpty, "\(id)")
            #expect(text.remediation.count > 20, "\(id)")
            #expect(!(text.references ?? []).isEmpty, "\(id)")
        }
        #expect(policy.rules["tls.weak-version"]?.remediation.hasPrefix("Disable SSLv2, SSLv3, TLS 1.0 and TLS 1.1") == true)
    }

    @Test func theAssessorEmitsExactlyTheListedRules() throws {
        // The rule ids are the string literals `"tls.x"` / `"certificate.x"` in the assessor.
        let source = try String(
            contentsOf: repositoryURL.appendingPathComponent("Sources/Findings/TLS/TLSAssessor.swift"), encoding: .utf8)
        let regex = try NSRegularExpression(pattern: "\"((?:tls|certificate)\\.[a-z-]+)\"")
        let range = NSRange(source.startIndex..., in: source)
        let found = Set(regex.matches(in: source, range: range).compactMap { Range($0.range(at: 1), in: source).map { String(source[$0]) } })
        #expect(found == Self.ruleIDs)
    }

    // MARK: severities

    @Test func versionSeveritiesOfTheIntermediatePolicy() throws {
        let p = try Self.load("mozilla-intermediate")
        #expect(p.severity(of: .sslv2) == .critical)
        #expect(p.severity(of: .sslv3) == .critical)
        #expect(p.severity(of: .tls10) == .high)
        #expect(p.severity(of: .tls11) == .high)
        #expect(p.severity(of: .tls12) == nil)
        #expect(p.severity(of: .tls13) == nil)
    }

    @Test func unlistedVersionsAreJudgedAsTheNearestOlderListedOne() throws {
        // A policy that lists only TLS 1.0 (high) and TLS 1.2 (allowed).
        let yaml = try Self.shippedText("mozilla-intermediate")
            .replacingOccurrences(of: "  SSLv2: critical\n", with: "")
            .replacingOccurrences(of: "  SSLv3: critical\n", with: "")
            .replacingOccurrences(of: "  TLSv1.1: high\n", with: "")
            .replacingOccurrences(of: "  TLSv1.3: allowed\n", with: "")
        let p = try TLSPolicy.parse(yaml, source: "sparse.yaml")
        #expect(p.versions.count == 2)
        #expect(p.severity(of: .tls11) == .high)  // as TLS 1.0
        #expect(p.severity(of: .tls13) == nil)  // as TLS 1.2: allowed
        #expect(p.severity(of: TLSVersion(rawValue: 0x7f17)) == nil)  // a TLS 1.3 draft, as TLS 1.2
        // Older than anything listed: not allowed.
        #expect(p.severity(of: .sslv3) != nil)
        #expect(p.severity(of: .sslv2) != nil)
    }

    @Test func draftVersionsUnderTheShippedPolicies() throws {
        // TLS 1.3 drafts order as TLS 1.3 and are judged as it (every shipped policy lists TLSv1.3).
        for name in Self.shipped {
            let p = try Self.load(name)
            #expect(p.severity(of: TLSVersion(rawValue: 0x7f17)) == p.severity(of: .tls13), "\(name)")
            #expect(p.severity(of: TLSVersion(rawValue: 0xfb1a)) == p.severity(of: .tls13), "\(name)")
        }
    }

    @Test func cipherSeverityIsTheWorstWeaknessWithItsNames() throws {
        let p = try Self.load("mozilla-intermediate")
        let rc4md5 = p.severity(of: CipherSuite(0x0004).weaknesses)  // TLS_RSA_WITH_RC4_128_MD5
        #expect(rc4md5.0 == .high)
        #expect(rc4md5.1 == ["rc4", "md5", "no-forward-secrecy"])
        let export = p.severity(of: CipherSuite(0x0008).weaknesses)
        #expect(export.0 == .critical)
        #expect(export.1 == ["export", "des", "no-forward-secrecy", "cbc-sha1", "cbc"])
        let cbc = p.severity(of: CipherSuite(0xC013).weaknesses)
        #expect(cbc.0 == .low)
        #expect(cbc.1 == ["cbc-sha1", "cbc"])
        let clean = p.severity(of: CipherSuite(0xC02F).weaknesses)
        #expect(clean.0 == nil)
        #expect(clean.1.isEmpty)
        #expect(p.severity(of: CipherSuite(0x1337).weaknesses).0 == .medium)  // unknown
    }

    @Test func thePoliciesDifferWhereTheyShould() throws {
        let old = try Self.load("mozilla-old")
        let intermediate = try Self.load("mozilla-intermediate")
        let modern = try Self.load("mozilla-modern")
        let nist = try Self.load("nist-sp800-52r2")
        let pci = try Self.load("pci-dss-4")
        let tripleDES = CipherSuite(0x000A).weaknesses  // TLS_RSA_WITH_3DES_EDE_CBC_SHA
        let cbcSHA1 = CipherSuite(0xC013).weaknesses  // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA

        #expect(old.severity(of: .tls10) == nil)
        #expect(old.severity(of: .tls11) == nil)
        #expect(old.severity(of: tripleDES).0 == nil)
        #expect(old.severity(of: tripleDES).1.isEmpty)
        #expect(intermediate.severity(of: tripleDES).0 == .medium)

        #expect(modern.severity(of: .tls12) == .medium)
        #expect(intermediate.severity(of: .tls12) == nil)
        #expect(modern.severity(of: cbcSHA1).0 == .medium)

        #expect(nist.severity(of: cbcSHA1).0 == nil)
        #expect(intermediate.severity(of: cbcSHA1).0 == .low)
        #expect(nist.insecureRenegotiation == .high)
        #expect(nist.certificate.maxValidityDays == 398)

        #expect(pci.severity(of: .tls11) == .medium)
        #expect(pci.severity(of: .tls10) == .high)
        #expect(pci.certificate.selfSigned == .high)
        #expect(pci.severity(of: CipherWeaknesses.seed).0 == .low)
    }

    // MARK: malformed policies

    static func parseError(_ yaml: String) -> String? {
        do {
            _ = try TLSPolicy.parse(yaml, source: "broken.yaml")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func malformedPoliciesNameTheField() throws {
        let good = try Self.shippedText("mozilla-intermediate")
        #expect(Self.parseError(good) == nil)

        let unknownVersion = try #require(Self.parseError(good.replacingOccurrences(of: "  TLSv1.1: high", with: "  TLSv1.4: high")))
        #expect(unknownVersion.hasPrefix("broken.yaml"))
        #expect(unknownVersion.contains("versions"))
        #expect(unknownVersion.contains("TLSv1.4"))

        let unknownWeakness = try #require(Self.parseError(good.replacingOccurrences(of: "  idea: medium", with: "  blowfish: medium")))
        #expect(unknownWeakness.contains("cipher_weaknesses"))
        #expect(unknownWeakness.contains("blowfish"))

        let badSeverity = try #require(Self.parseError(good.replacingOccurrences(of: "downgrade: high", with: "downgrade: severe")))
        #expect(badSeverity.contains("downgrade"))
        #expect(badSeverity.contains("severe"))

        let badVersionSeverity = try #require(Self.parseError(good.replacingOccurrences(of: "  TLSv1.0: high", with: "  TLSv1.0: bad")))
        #expect(badVersionSeverity.contains("versions.TLSv1.0"))

        let badCertificateSeverity = try #require(
            Self.parseError(good.replacingOccurrences(of: "  expired: high", with: "  expired: sometimes")))
        #expect(badCertificateSeverity.contains("certificate.expired"))
        #expect(badCertificateSeverity.contains("sometimes"))

        let missingKey = try #require(Self.parseError(good.replacingOccurrences(of: "heartbeat: info", with: "")))
        #expect(missingKey.hasPrefix("broken.yaml"))
        #expect(missingKey.contains("heartbeat"))

        let missingNested = try #require(Self.parseError(good.replacingOccurrences(of: "  min_rsa_bits: 2048\n", with: "")))
        #expect(missingNested.contains("min_rsa_bits"))

        let wrongType = try #require(Self.parseError(good.replacingOccurrences(of: "expiring_within_days: 30", with: "expiring_within_days: soon")))
        #expect(wrongType.contains("expiring_within_days"))

        #expect(Self.parseError("just a string") != nil)

        // A misspelt field is named, not ignored.
        let misspelt = try #require(Self.parseError(good.replacingOccurrences(of: "heartbeat: info", with: "heartbeat: info\nheart_bleed: high")))
        #expect(misspelt.hasPrefix("broken.yaml:") && misspelt.contains("field heart_bleed: unknown"), "\(misspelt)")
        let misspeltNested = try #require(Self.parseError(good.replacingOccurrences(of: "  min_rsa_bits: 2048\n", with: "  min_rsa_bits: 2048\n  min_dsa_bits: 2048\n")))
        #expect(misspeltNested.contains("field certificate.min_dsa_bits: unknown"), "\(misspeltNested)")
    }

    @Test func allowedMeansNoFinding() throws {
        let good = try Self.shippedText("mozilla-intermediate")
        #expect(try TLSPolicy.parse(good, source: "x").heartbeat == .info)
        let allowed = try TLSPolicy.parse(good.replacingOccurrences(of: "heartbeat: info", with: "heartbeat: allowed"), source: "x")
        #expect(allowed.heartbeat == nil)
    }

    @Test func unknownPolicyNameListsTheAvailableOnes() {
        do {
            _ = try TLSPolicy.load("mozilla-ancient", patterns: patternsURL)
            Issue.record("loaded a policy that does not exist")
        } catch {
            let text = "\(error)"
            #expect(text.contains("mozilla-ancient"))
            for name in Self.shipped { #expect(text.contains(name), "\(name)") }
        }
    }

    @Test func policyLoadedFromAPathGetsTheSharedRuleTexts() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("custom.yaml")
        let text = try Self.shippedText("pci-dss-4").replacingOccurrences(of: "name: pci-dss-4", with: "name: acme-internal")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let p = try TLSPolicy.load(file.path, patterns: patternsURL)
        #expect(p.name == "acme-internal")
        #expect(p.severity(of: .tls11) == .medium)
        #expect(Set(p.rules.keys) == Self.ruleIDs)
    }
}
