import Crypto
import Findings
import Foundation

// MARK: - Exposures: findings kept per what they expose
//
// A run's findings become exposures: the same credential, PII value or secret
// on the same service (one key per keyed fingerprint, as the pipeline already
// deduplicates them: `details.key`), or the same TLS or certificate problem on
// the same service (keyed by rule, service and evidence). Exposures are what
// the baseline remembers and the diff compares.

/// One exposure as this run saw it.
struct Exposure {
    var key: String
    var rule: String
    var category: String
    var severity: Severity
    let service: Service
    /// `service.name`, made once (the sort compares it).
    let serviceName: String
    var app: String?
    var message: String
    var evidence: String?
    /// Occurrences: findings without a count add one each; a deduplicated
    /// finding is written again with a growing count, so per input file the
    /// largest count is kept, and files add up (a live sensor counts each
    /// rotated file from zero; a restart into the same file is told by the
    /// final stats record before it, see `Assessor.file`).
    var plainCount = 0
    var countsByFile: [Int: Int] = [:]
    var firstSeen: String
    var lastSeen: String
    var remediation: String?
    var references: [String]
    var policyRule: String?
    var fingerprint: String?

    /// Saturating: a count comes from a file, and a file may say anything.
    var count: Int { countsByFile.values.reduce(plainCount) { $0.addingReportingOverflow($1).overflow ? .max : $0 + $1 } }

    init(_ f: FindingLine, key: String) {
        self.key = key
        rule = f.rule
        category = f.category
        severity = f.severity
        service = f.service
        serviceName = f.service.name
        app = f.app
        message = f.message
        evidence = Exposure.masked(f)
        firstSeen = f.firstSeen ?? f.ts
        lastSeen = f.lastSeen ?? f.ts
        remediation = f.details["remediation"]
        // `a; b; c` (Foundation's trimming costs more than the rest of a finding).
        references = (f.details["references"] ?? "").split(separator: ";").compactMap { part in
            var text = part.drop { $0 == " " }
            while text.last == " " { text = text.dropLast() }
            return text.isEmpty ? nil : String(text)
        }
        policyRule = f.details["policy_rule"]
        fingerprint = f.details["fingerprint"]
    }

    /// Adds a finding with this exposure's key, seen in input file `file`.
    mutating func add(_ f: FindingLine, file: Int) {
        if let n = f.count {
            countsByFile[file] = max(countsByFile[file] ?? 0, n)
        } else {
            plainCount = plainCount == .max ? .max : plainCount + 1
        }
        if f.severity > severity { severity = f.severity }
        firstSeen = min(firstSeen, f.firstSeen ?? f.ts)
        let last = f.lastSeen ?? f.ts
        if last >= lastSeen {
            lastSeen = last
            message = f.message
        }
    }

    /// The key of a finding: the pipeline's own (`details.key`, stable across
    /// runs and keyed by fingerprint), else rule, service and evidence hashed
    /// — and, for TLS inside a proxy's tunnel (the service is the proxy), the
    /// server name the client asked for.
    static func key(_ f: FindingLine) -> String {
        if let key = f.details["key"] { return key }
        var parts = [f.rule, f.service.name, f.evidence ?? f.message]
        if f.details["tunnel"] != nil { parts.append(f.details["sni"] ?? "") }
        let identity = parts.joined(separator: "\u{1f}")
        let digest = SHA256.hash(data: Data(identity.utf8))
        return "T" + digest.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Evidence as the report may show it: credential, PII and secret values
    /// are masked again when the input was written with `--reveal` (marked
    /// `details.revealed`; or, from an older writer, a value without a single
    /// `*`), so no report or state file holds one in clear.
    static func masked(_ f: FindingLine) -> String? {
        guard let evidence = f.evidence, ["credential", "pii", "secret"].contains(f.category),
              f.details["revealed"] == "true" || !evidence.contains("*")
        else { return f.evidence }
        return Redaction.mask(Array(evidence.utf8), showingStart: 2, end: 2)
    }

    func row(firstReported: String?) -> AssessmentReport.ExposureRow {
        AssessmentReport.ExposureRow(
            key: key, rule: rule, category: category, severity: severity.description, service: serviceName, app: app,
            message: message, evidence: evidence, count: count, firstSeen: firstSeen, lastSeen: lastSeen,
            firstReported: firstReported, remediation: remediation, references: references, policyRule: policyRule)
    }
}
