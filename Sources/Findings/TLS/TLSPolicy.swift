import PatternFiles
import Foundation
import Inspection
import Yams

/// A TLS policy profile (`Patterns/tls/policies/NAME.yaml`): which versions
/// and cipher-suite weaknesses it tolerates, certificate thresholds, and the
/// severity of each breach. `allowed` in place of a severity means the
/// policy accepts it. The remediation text of each rule lives in
/// `Patterns/tls/rules.yaml`, shared by all policies.
public struct TLSPolicy: Sendable {
    public var name: String
    public var title: String
    public var reference: String
    /// Severity of negotiating each version (nil: allowed).
    public var versions: [TLSVersion: Severity?]
    /// Severity of negotiating a suite with each weakness (nil: allowed), by `CipherWeaknesses.named` name.
    public var cipherWeaknesses: [String: Severity?]
    /// Severity of a client offering what the policy does not allow.
    public var clientOffers: Severity?
    public var downgrade: Severity?
    public var compression: Severity?
    public var insecureRenegotiation: Severity?
    public var heartbeat: Severity?
    public var certificate: CertificateRules
    public var rules: [String: RuleText] = [:]
    /// `cipherWeaknesses` in `CipherWeaknesses.named` order; a weakness the
    /// file does not list counts as medium (never silently allowed).
    var weaknessSeverities: [Severity?] = []

    public struct CertificateRules: Sendable {
        public var expired: Severity?
        public var notYetValid: Severity?
        public var expiring: Severity?
        public var expiringWithinDays: Int
        public var selfSigned: Severity?
        public var untrusted: Severity?
        public var nameMismatch: Severity?
        public var weakKey: Severity?
        public var minRSABits: Int
        public var minECBits: Int
        public var weakSignature: Severity?
        public var weakSignatureHashes: [String]
        public var longValidity: Severity?
        public var maxValidityDays: Int
    }

    /// What a rule is about and how to fix it (from `rules.yaml`).
    public struct RuleText: Sendable {
        public var title: String
        public var remediation: String
        public var references: [String]?
    }

    /// The severity of negotiating `version` (nil: allowed). Versions the
    /// policy file does not list are judged as the nearest listed one at or
    /// below them (TLS 1.3 drafts as TLS 1.3); below everything listed: high.
    public func severity(of version: TLSVersion) -> Severity? {
        if let s = versions[version] { return s }
        if let nearest = versions.filter({ $0.key <= version }).max(by: { $0.key < $1.key }) { return nearest.value }
        return .high
    }

    /// The worst severity among a suite's weaknesses, and the names that count.
    public func severity(of weaknesses: CipherWeaknesses) -> (Severity?, [String]) {
        var named: [String] = []
        for (index, (name, w)) in CipherWeaknesses.named.enumerated() where weaknesses.contains(w) {
            if weaknessSeverities[index] != nil { named.append(name) }
        }
        return (worstSeverity(of: weaknesses), named)
    }

    /// The worst severity among a suite's weaknesses (no strings: used per offered suite).
    public func worstSeverity(of weaknesses: CipherWeaknesses) -> Severity? {
        var worst: Severity?
        for (index, entry) in CipherWeaknesses.named.enumerated() where weaknesses.contains(entry.weakness) {
            if let s = weaknessSeverities[index] { worst = max(worst ?? s, s) }
        }
        return worst
    }


    // MARK: loading

    public static let defaultName = "mozilla-intermediate"

    /// Loads `nameOrPath`: a path to a YAML file, or the name of a file in
    /// `<patterns>/tls/policies/`; rule texts come from `<patterns>/tls/rules.yaml`.
    public static func load(_ nameOrPath: String, patterns: URL) throws -> TLSPolicy {
        let isPath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml")
        let file = isPath
            ? URL(fileURLWithPath: nameOrPath)
            : patterns.appendingPathComponent("tls/policies/\(nameOrPath).yaml")
        guard FileManager.default.fileExists(atPath: file.path) else {
            let available = available(in: patterns)
            throw PatternError(
                "TLS policy '\(nameOrPath)' not found (\(file.path))"
                    + (available.isEmpty ? "" : "; available: \(available.joined(separator: ", "))"))
        }
        var policy = try parse(try String(contentsOf: file, encoding: .utf8), source: file.path)
        let rulesFile = patterns.appendingPathComponent("tls/rules.yaml")
        if FileManager.default.fileExists(atPath: rulesFile.path) {
            let rules = try PatternYAML(try String(contentsOf: rulesFile, encoding: .utf8), source: rulesFile.path)
            for rule in try rules.keys() {
                let entry = try rules.field(rule)
                try entry.rejectUnknownFields(["title", "remediation", "references"])
                policy.rules[rule] = RuleText(
                    title: try entry.text("title"), remediation: try entry.text("remediation"),
                    references: try entry.optionalTexts("references"))
            }
        }
        return policy
    }

    /// Policy names found in `<patterns>/tls/policies/`.
    public static func available(in patterns: URL) -> [String] {
        let folder = patterns.appendingPathComponent("tls/policies")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Parses a policy document; `source` names it in errors.
    public static func parse(_ yaml: String, source: String) throws -> TLSPolicy {
        let file = try PatternYAML(yaml, source: source)
        try file.rejectUnknownFields([
            "name", "title", "reference", "versions", "cipher_weaknesses", "client_offers", "downgrade", "compression",
            "insecure_renegotiation", "heartbeat", "certificate",
        ])
        func severity(_ field: PatternYAML, _ key: String) throws -> Severity? {
            let text = try field.text(key)
            if text == "allowed" { return nil }
            guard let s = Severity(name: text) else {
                throw PatternError("\(source): \(field.path(key)): '\(text)' is not a severity (info, low, medium, high, critical) or 'allowed'")
            }
            return s
        }
        var versions: [TLSVersion: Severity?] = [:]
        let versionsField = try file.field("versions")
        for name in try versionsField.keys() {
            guard let v = TLSVersion(name: name) else {
                throw PatternError("\(source): versions: unknown version '\(name)' (SSLv2, SSLv3, TLSv1.0 … TLSv1.3)")
            }
            versions[v] = try severity(versionsField, name)
        }
        var weaknesses: [String: Severity?] = [:]
        let knownWeaknesses = CipherWeaknesses.named.map(\.name)
        let weaknessesField = try file.field("cipher_weaknesses")
        for name in try weaknessesField.keys() {
            guard knownWeaknesses.contains(name) else {
                throw PatternError("\(source): cipher_weaknesses: unknown weakness '\(name)' (\(knownWeaknesses.joined(separator: ", ")))")
            }
            weaknesses[name] = try severity(weaknessesField, name)
        }
        let c = try file.field("certificate")
        try c.rejectUnknownFields([
            "expired", "not_yet_valid", "expiring", "expiring_within_days", "self_signed", "untrusted", "name_mismatch",
            "weak_key", "min_rsa_bits", "min_ec_bits", "weak_signature", "weak_signature_hashes", "long_validity",
            "max_validity_days",
        ])
        var policy = TLSPolicy(
            name: try file.text("name"), title: try file.text("title"), reference: try file.text("reference"),
            versions: versions, cipherWeaknesses: weaknesses, clientOffers: try severity(file, "client_offers"),
            downgrade: try severity(file, "downgrade"), compression: try severity(file, "compression"),
            insecureRenegotiation: try severity(file, "insecure_renegotiation"),
            heartbeat: try severity(file, "heartbeat"),
            certificate: CertificateRules(
                expired: try severity(c, "expired"), notYetValid: try severity(c, "not_yet_valid"),
                expiring: try severity(c, "expiring"), expiringWithinDays: try c.number("expiring_within_days"),
                selfSigned: try severity(c, "self_signed"), untrusted: try severity(c, "untrusted"),
                nameMismatch: try severity(c, "name_mismatch"), weakKey: try severity(c, "weak_key"),
                minRSABits: try c.number("min_rsa_bits"), minECBits: try c.number("min_ec_bits"),
                weakSignature: try severity(c, "weak_signature"),
                weakSignatureHashes: try c.texts("weak_signature_hashes"),
                longValidity: try severity(c, "long_validity"), maxValidityDays: try c.number("max_validity_days")))
        policy.weaknessSeverities = CipherWeaknesses.named.map { weaknesses[$0.name] ?? .medium }
        return policy
    }
}
