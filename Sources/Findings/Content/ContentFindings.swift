import Flows
import Inspection
import Scanning

/// How PII and secret findings are written: the scanner's rules (for their
/// texts and redaction shapes) and whether values are shown in full
/// (`--reveal`, off by default: evidence is masked).
public struct ContentReporting: Sendable {
    public var rules: [ContentRule]
    public var reveal: Bool

    public init(rules: [ContentRule], reveal: Bool = false) {
        self.rules = rules
        self.reveal = reveal
    }
}

extension CleartextAssessor {
    /// A PII or secret match: one finding per rule, value and server
    /// endpoint, whose count is the number of flows that carried it (a value
    /// seen both in the raw stream and in its decoded body counts once).
    func note(_ sighting: ContentSighting, slot: Int32, flow: FlowIdentity, app: AppProtocol, at time: Int64) {
        guard let content, sighting.match.rule < content.rules.count else { return }
        let rule = content.rules[sighting.match.rule]
        guard var severity = Severity(name: rule.severity) else { return }
        if sighting.match.raised, let higher = Severity(rawValue: severity.rawValue + 1) { severity = higher }
        let value = sighting.match.value
        let fingerprint = fingerprints.fingerprint(Array(rule.id.utf8), CleartextAssessor.normalized(value, rule.category))
        let key = Key(rule: rule.id, flow: flow, fingerprint: fingerprint)
        if let i = index[key], flows[slot]?.aggregates.contains(i) == true { return }
        add(key, slot: slot, at: time, severity: severity) {
            var details: [(key: String, value: String)] = [
                ("stream_offset", String(sighting.match.offset)), ("source", sighting.sourceName),
            ]
            if let validator = rule.validator { details.append(("validator", validator.rawValue)) }
            if rule.validator == .paymentCard, let brand = value.withUnsafeBytes({ Validator.cardBrand($0) }) {
                details.append(("brand", brand))
            }
            var message = "\(rule.description) in cleartext \(app) \(sighting.direction == .toServer ? "to the server" : "to the client")"
            if let jwt = sighting.match.jwt {
                if let alg = jwt.algorithm {
                    details.append(("jwt_alg", alg))
                    if alg.lowercased() == "none" { message += " (unsigned: alg none)" }
                }
                if let issuer = jwt.issuer { details.append(("jwt_issuer", Redaction.name(Array(issuer.utf8)))) }
                if let lifetime = jwt.lifetime { details.append(("jwt_lifetime_seconds", String(lifetime))) }
            }
            details.append(("fingerprint", fingerprint))
            details.append(("value_length", String(value.count)))
            details.append(("remediation", rule.remediation))
            if !rule.references.isEmpty { details.append(("references", rule.references.joined(separator: "; "))) }
            let category: FindingCategory = rule.category == .pii ? .pii : .secret
            return Finding(
                timestamp: time, rule: rule.id, category: category, severity: severity, flow: flow,
                direction: sighting.direction, app: app, message: message,
                evidence: content.reveal
                    ? String(decoding: value, as: UTF8.self)
                    : Redaction.mask(value, showingStart: rule.shownStart, end: rule.shownEnd),
                details: details)
        }
    }

    /// PII is the same whatever its separators (`4111 1111 ...` and `4111-1111-...`).
    static func normalized(_ value: [UInt8], _ category: ContentRule.Category) -> [UInt8] {
        guard category == .pii else { return value }
        return value.filter { !(ContentScanner.isSeparator($0)) }
    }
}
