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
    public struct RuleText: Sendable, Decodable {
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
            throw PolicyError(
                "TLS policy '\(nameOrPath)' not found (\(file.path))"
                    + (available.isEmpty ? "" : "; available: \(available.joined(separator: ", "))"))
        }
        var policy = try parse(try String(contentsOf: file, encoding: .utf8), source: file.path)
        let rulesFile = patterns.appendingPathComponent("tls/rules.yaml")
        if FileManager.default.fileExists(atPath: rulesFile.path) {
            do {
                policy.rules = try YAMLDecoder().decode(
                    [String: RuleText].self, from: try String(contentsOf: rulesFile, encoding: .utf8))
            } catch {
                throw PolicyError("\(rulesFile.path): \(error)")
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
        let file: PolicyFile
        do {
            file = try YAMLDecoder().decode(PolicyFile.self, from: yaml)
        } catch let error as DecodingError {
            throw PolicyError("\(source): \(PolicyError.describe(error))")
        } catch {
            throw PolicyError("\(source): not valid YAML: \(error)")
        }
        func severity(_ text: String, _ field: String) throws -> Severity? {
            if text == "allowed" { return nil }
            guard let s = Severity(name: text) else {
                throw PolicyError("\(source): \(field): '\(text)' is not a severity (info, low, medium, high, critical) or 'allowed'")
            }
            return s
        }
        var versions: [TLSVersion: Severity?] = [:]
        for (name, value) in file.versions {
            guard let v = TLSVersion(name: name) else {
                throw PolicyError("\(source): versions: unknown version '\(name)' (SSLv2, SSLv3, TLSv1.0 … TLSv1.3)")
            }
            versions[v] = try severity(value, "versions.\(name)")
        }
        var weaknesses: [String: Severity?] = [:]
        let knownWeaknesses = CipherWeaknesses.named.map(\.name)
        for (name, value) in file.cipher_weaknesses {
            guard knownWeaknesses.contains(name) else {
                throw PolicyError("\(source): cipher_weaknesses: unknown weakness '\(name)' (\(knownWeaknesses.joined(separator: ", ")))")
            }
            weaknesses[name] = try severity(value, "cipher_weaknesses.\(name)")
        }
        let c = file.certificate
        var policy = TLSPolicy(
            name: file.name, title: file.title, reference: file.reference, versions: versions,
            cipherWeaknesses: weaknesses, clientOffers: try severity(file.client_offers, "client_offers"),
            downgrade: try severity(file.downgrade, "downgrade"), compression: try severity(file.compression, "compression"),
            insecureRenegotiation: try severity(file.insecure_renegotiation, "insecure_renegotiation"),
            heartbeat: try severity(file.heartbeat, "heartbeat"),
            certificate: CertificateRules(
                expired: try severity(c.expired, "certificate.expired"),
                notYetValid: try severity(c.not_yet_valid, "certificate.not_yet_valid"),
                expiring: try severity(c.expiring, "certificate.expiring"), expiringWithinDays: c.expiring_within_days,
                selfSigned: try severity(c.self_signed, "certificate.self_signed"),
                untrusted: try severity(c.untrusted, "certificate.untrusted"),
                nameMismatch: try severity(c.name_mismatch, "certificate.name_mismatch"),
                weakKey: try severity(c.weak_key, "certificate.weak_key"), minRSABits: c.min_rsa_bits,
                minECBits: c.min_ec_bits, weakSignature: try severity(c.weak_signature, "certificate.weak_signature"),
                weakSignatureHashes: c.weak_signature_hashes,
                longValidity: try severity(c.long_validity, "certificate.long_validity"),
                maxValidityDays: c.max_validity_days))
        policy.weaknessSeverities = CipherWeaknesses.named.map { weaknesses[$0.name] ?? .medium }
        return policy
    }

    /// The file layout (snake_case keys, as users write them).
    struct PolicyFile: Decodable {
        var name: String
        var title: String
        var reference: String
        var versions: [String: String]
        var cipher_weaknesses: [String: String]
        var client_offers: String
        var downgrade: String
        var compression: String
        var insecure_renegotiation: String
        var heartbeat: String
        var certificate: Certificate

        struct Certificate: Decodable {
            var expired: String
            var not_yet_valid: String
            var expiring: String
            var expiring_within_days: Int
            var self_signed: String
            var untrusted: String
            var name_mismatch: String
            var weak_key: String
            var min_rsa_bits: Int
            var min_ec_bits: Int
            var weak_signature: String
            var weak_signature_hashes: [String]
            var long_validity: String
            var max_validity_days: Int
        }
    }
}

public struct PolicyError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// "missing field certificate.min_rsa_bits", "field versions.TLSv1.0: expected a string", …
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field " + path(context.codingPath + [key])
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "field \(path(context.codingPath)): expected \(type == Int.self ? "a number" : type == [String].self ? "a list" : type == String.self ? "text" : "\(type)")"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? context.debugDescription : "field \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
