import Flows
import Inspection
import Scanning

/// How PII and secret findings are written: the scanner's rules (for their
/// texts and redaction shapes) and whether values are shown in full
/// (`--reveal`, off by default: evidence is masked).
public struct ContentReporting: Sendable {
    public let rules: [ContentRule]
    public var reveal: Bool
    /// Per rule, what every finding of it repeats, worked out once: its
    /// severity and its references as one text.
    let severities: [Severity?]
    let references: [String]
    /// Whether each rule is a generic one (its sightings wait for the flow's credentials).
    let generic: [Bool]

    public init(rules: [ContentRule], reveal: Bool = false) {
        self.rules = rules
        self.reveal = reveal
        severities = rules.map { Severity(name: $0.severity) }
        references = rules.map { $0.references.joined(separator: "; ") }
        generic = rules.map(\.generic)
    }

    /// A decoded stream's file name as reported: printable ASCII (anything
    /// else shown as `?`), at most 128 bytes; nil when it could carry what
    /// the scanner hunts: an `@` (an address) or more than eight digits (a
    /// card, an SSN, a phone number spelt into an attachment's name).
    static func fileLabel(_ name: [UInt8]) -> String? {
        guard !name.isEmpty, !name.contains(UInt8(ascii: "@")),
            name.lazy.filter({ $0 &- UInt8(ascii: "0") < 10 }).count <= 8
        else { return nil }
        return String(decoding: name.prefix(128).map { $0 >= 0x20 && $0 < 0x7f ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}

/// A PII or secret sighting waiting for its flow's end.
struct HeldContent {
    var sighting: ContentSighting
    var flow: FlowIdentity
    var app: AppProtocol
    var time: Int64
}

extension JWTFacts {
    /// Longer than this between `iat` and `exp`, a token is long-lived.
    static let longLifetime: Int64 = 30 * 86_400

    /// Lives longer than a month, or has no expiry at all.
    var isLongLived: Bool { expires == nil || (lifetime ?? 0) > JWTFacts.longLifetime }
}

extension CleartextAssessor {
    /// Sightings a flow holds at most before they are reported without waiting for its end.
    static let maxHeldContent = 256

    /// Holds a generic rule's sighting until its flow ends (others are noted
    /// at once): the credential readers report a token or password when its
    /// outcome is known, often after the scanner saw the same bytes, and a
    /// generic match adds nothing to that credential finding. A provider's
    /// format (a Stripe key, a JWT) is reported as well: it says whose key to
    /// rotate, and what the token claims.
    func holdContent(_ sighting: ContentSighting, slot: Int32, flow: FlowIdentity, app: AppProtocol, at time: Int64) {
        let generic = content.map { sighting.match.rule < $0.rules.count && $0.generic[sighting.match.rule] } ?? false
        guard generic, (heldContent[slot]?.sightings.count ?? 0) < CleartextAssessor.maxHeldContent else {
            note(sighting, slot: slot, flow: flow, app: app, at: time)
            return
        }
        heldContent[slot, default: ([], [])].sightings.append(HeldContent(sighting: sighting, flow: flow, app: app, time: time))
    }

    func noteCredentialSecret(_ secret: [UInt8], slot: Int32) {
        guard secret.count >= 8, (heldContent[slot]?.secrets.count ?? 0) < CleartextAssessor.maxHeldContent else { return }
        heldContent[slot, default: ([], [])].secrets.append(secret)
    }

    /// The flow ended: what it held is reported, less the values that are (or
    /// hold, or lie inside) a credential already reported on it.
    func releaseContent(slot: Int32) {
        guard let held = heldContent.removeValue(forKey: slot) else { return }
        for h in held.sightings {
            let value = h.sighting.match.value
            let duplicate = held.secrets.contains { secret in
                value == secret || (value.count >= 8 && CleartextAssessor.bytes(secret, hold: value))
                    || CleartextAssessor.bytes(value, hold: secret)
            }
            if duplicate {
                contentDuplicatesOfCredentials &+= 1
                continue
            }
            note(h.sighting, slot: slot, flow: h.flow, app: h.app, at: h.time)
        }
    }

    /// Whether `needle` occurs in `haystack`. The generic `contains(_:)` on
    /// two collections (from _StringProcessing) took ~58,000 instructions a
    /// call here: 4 % of the output thread for a few hundred comparisons.
    static func bytes(_ haystack: [UInt8], hold needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard needle.count <= haystack.count else { return false }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                for start in 0...(h.count - n.count) where h[start] == n[0] {
                    var j = 1
                    while j < n.count && h[start + j] == n[j] { j += 1 }
                    if j == n.count { return true }
                }
                return false
            }
        }
    }

    /// A PII or secret match: one finding per rule, value and server
    /// endpoint, whose count is the number of flows that carried it (a value
    /// seen both in the raw stream and in its decoded body counts once).
    func note(_ sighting: ContentSighting, slot: Int32, flow: FlowIdentity, app: AppProtocol, at time: Int64) {
        guard let content, sighting.match.rule < content.rules.count else { return }
        // The rule's fields, each read where it is needed: a copy of the
        // whole rule (texts, lists, sets) per sighting cost more than its use.
        let r = sighting.match.rule
        let rules = content.rules
        guard var severity = content.severities[r] else { return }
        if sighting.match.raised, let higher = Severity(rawValue: severity.rawValue + 1) { severity = higher }
        let value = sighting.match.value
        // A JWT ranks by what it claims: unsigned (`alg: none`) is its own
        // finding, critical; one that lives longer than a month (or never
        // expires) is a step worse than a short-lived one.
        var id = rules[r].id
        if let jwt = sighting.match.jwt {
            if jwt.algorithm?.lowercased() == "none" {
                id += "-alg-none"
                severity = .critical
            } else if jwt.isLongLived, let higher = Severity(rawValue: severity.rawValue + 1) {
                severity = higher
            }
        }
        let fingerprint = fingerprints.fingerprint(Array(id.utf8), CleartextAssessor.normalized(value, rules[r].category))
        let key = Key(rule: id, flow: flow, fingerprint: fingerprint)
        if let i = index[key], flows[slot]?.aggregates.contains(i) == true { return }
        add(key, slot: slot, at: time, severity: severity) {
            var details: [(key: String, value: String)] = []
            // Offset, source, field, file, validator, brand or four JWT facts,
            // fingerprint, length, remediation, references and the dedup key (`add`).
            details.reserveCapacity(15)
            details.append(("stream_offset", String(sighting.match.offset)))
            details.append(("source", sighting.sourceName))
            // Where it was, for a reader of the one-line text output too.
            var place = ""
            if !sighting.match.field.isEmpty {
                let field = String(decoding: sighting.match.field, as: UTF8.self)
                details.append(("field", field))
                place = " field \(field)"
            }
            if let file = ContentReporting.fileLabel(sighting.file) {
                details.append(("file", file))
                place += (place.isEmpty ? " file " : " of file ") + file
            }
            if let validator = rules[r].validator { details.append(("validator", validator.rawValue)) }
            if rules[r].validator == .paymentCard, let brand = value.withUnsafeBytes({ Validator.cardBrand($0) }) {
                details.append(("brand", brand))
            }
            var message = "\(rules[r].description) in cleartext \(app.description) \(sighting.direction == .toServer ? "to the server" : "to the client")"
            if !place.isEmpty { message += " (\(place.dropFirst()))" }
            if let jwt = sighting.match.jwt {
                if let alg = jwt.algorithm {
                    details.append(("jwt_alg", alg))
                    if alg.lowercased() == "none" { message += " (unsigned: alg none)" }
                }
                if let issuer = jwt.issuer { details.append(("jwt_issuer", Redaction.name(Array(issuer.utf8)))) }
                if let lifetime = jwt.lifetime { details.append(("jwt_lifetime_seconds", String(lifetime))) }
                if jwt.expires == nil { details.append(("jwt_expires", "never")) }
            }
            details.append(("fingerprint", fingerprint))
            details.append(("value_length", String(value.count)))
            // Readers of the output (the nightly assessment) mask such evidence again.
            if content.reveal { details.append(("revealed", "true")) }
            details.append(("remediation", rules[r].remediation))
            if !rules[r].references.isEmpty { details.append(("references", content.references[r])) }
            let category: FindingCategory = rules[r].category == .pii ? .pii : .secret
            return Finding(
                timestamp: time, rule: id, category: category, severity: severity, flow: flow,
                direction: sighting.direction, app: app, message: message,
                evidence: content.reveal
                    ? String(decoding: value, as: UTF8.self)
                    : Redaction.mask(value, showingStart: rules[r].shownStart, end: rules[r].shownEnd),
                details: details)
        }
    }

    /// PII is the same whatever its separators (`4111 1111 ...` and `4111-1111-...`).
    static func normalized(_ value: [UInt8], _ category: ContentRule.Category) -> [UInt8] {
        guard category == .pii else { return value }
        return value.filter { !(ContentScanner.isSeparator($0)) }
    }
}
