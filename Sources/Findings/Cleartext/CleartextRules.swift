import PatternFiles
import Foundation
import Inspection

/// The cleartext rule set (`Patterns/cleartext/rules.yaml`): for each
/// `cleartext.<protocol>`, `cleartext.starttls-*` and `credential.<mechanism>`
/// rule its severity, title, why it matters, remediation and references.
/// One readable file, so a site can re-grade a protocol without code.
public struct CleartextRules: Sendable {
    public struct Rule: Sendable {
        public var severity: Severity
        /// `cleartext.<protocol>`: the severity once credentials were seen on the endpoint.
        public var withCredentials: Severity?
        public var title: String
        public var why: String
        public var remediation: String
        public var references: [String]
    }

    public private(set) var rules: [String: Rule] = [:]
    /// `cleartext.<protocol>` by app code: looked up for every flow that ends.
    var exposureRules: [(id: String, rule: Rule)?] = []

    public static let startTLSNotUsed = "cleartext.starttls-not-used"
    public static let startTLSFailed = "cleartext.starttls-failed"
    public static let radiusForgeableReply = "cleartext.radius-forgeable-reply"
    public static let tacacsInClear = "cleartext.tacacs-in-clear"

    public subscript(rule: String) -> Rule? { rules[rule] }

    /// The `cleartext.<protocol>` rule of an identified protocol, nil when
    /// the protocol is not one that should be encrypted (or is encrypted).
    public func exposureRule(for app: AppProtocol) -> (id: String, rule: Rule)? {
        Int(app.rawValue) < exposureRules.count ? exposureRules[Int(app.rawValue)] : nil
    }

    public static func credentialRule(_ mechanism: CredentialMechanism) -> String { "credential." + mechanism.rawValue }

    /// Loads `<patterns>/cleartext/rules.yaml`.
    public static func load(patterns: URL) throws -> CleartextRules {
        let file = patterns.appendingPathComponent("cleartext/rules.yaml")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw PatternError("cleartext rules not found (\(file.path))")
        }
        return try parse(text, source: file.path)
    }

    /// Parses a rules document; every credential mechanism, both STARTTLS
    /// rules, the RADIUS reply rule and the TACACS+ one must be there (a finding without its
    /// rule would have no severity).
    public static func parse(_ yaml: String, source: String) throws -> CleartextRules {
        let file = try PatternYAML(yaml, source: source)
        var set = CleartextRules()
        for id in try file.keys() {
            guard id.hasPrefix("cleartext.") || id.hasPrefix("credential.") else {
                throw PatternError("\(source): rule \(id): ids start with cleartext. or credential.")
            }
            let entry = try file.field(id)
            try entry.rejectUnknownFields(["severity", "with_credentials", "title", "why", "remediation", "references"])
            func severity(_ key: String) throws -> Severity {
                let name = try entry.text(key)
                guard let s = Severity(name: name) else {
                    throw PatternError("\(source): field \(id).\(key): expected info, low, medium, high or critical, not '\(name)'")
                }
                return s
            }
            set.rules[id] = Rule(
                severity: try severity("severity"),
                withCredentials: try entry.has("with_credentials") ? severity("with_credentials") : nil,
                title: try entry.text("title"), why: try entry.text("why"), remediation: try entry.text("remediation"),
                references: try entry.optionalTexts("references") ?? [])
        }
        let required = CredentialMechanism.allCases.map(credentialRule) + [startTLSNotUsed, startTLSFailed, radiusForgeableReply, tacacsInClear]
        let missing = required.filter { set.rules[$0] == nil }
        guard missing.isEmpty else { throw PatternError("\(source): missing rules: \(missing.joined(separator: ", "))") }
        set.exposureRules = (0...UInt8.max).map { code in
            let id = "cleartext." + AppProtocol(rawValue: code).description
            return set.rules[id].map { (id, $0) }
        }
        return set
    }
}
