// MARK: - The assessment report (one model, three renderings)
//
// What a nightly run (`plainsight assess`) or `plainsight report FILE.jsonl`
// concludes, in one value: the summary a security lead reads first, what is
// new, still open and resolved since the previous run, the inventory of
// services, the TLS table, certificate expiry, credentials and PII/secrets by
// type. The JSON report is this value encoded (snake_case keys, documented in
// the README); the HTML and Markdown reports render it. Every evidence string
// in it is already redacted: the report never holds more than the findings did.

/// The whole report.
public struct AssessmentReport: Codable, Sendable, Equatable {
    /// Bumped when a field changes meaning or disappears (fields may be added).
    public var formatVersion = 1
    public var title: String
    /// When the report was made (RFC 3339, UTC).
    public var generatedAt: String
    /// The traffic window the run looked at; nil: everything in the inputs.
    public var window: Window?
    /// Input files (captures and JSON Lines), as given.
    public var inputs: [String] = []
    /// The TLS policy findings were judged by, when known.
    public var policy: String?
    /// `new`/`resolved` are relative to this earlier run; nil: no baseline (first run, or `report`).
    public var baseline: String?
    public var summary = Summary()
    /// Earlier runs and this one, oldest first (the last `history` runs kept in the state).
    public var trend: [TrendPoint] = []
    /// Exposures seen in this run and not open in the baseline, worst first.
    public var newExposures: [ExposureRow] = []
    /// Exposures seen in this run that were open in the baseline already.
    public var stillOpen: [ExposureRow] = []
    /// Exposures open in the baseline, not seen in this run although their service was.
    public var resolved: [ExposureRow] = []
    /// Exposures open in the baseline whose service sent no traffic in this run: not judged.
    public var unobserved: [ExposureRow] = []
    /// Accepted risks (allowlist entries) and what each suppressed in this run.
    public var acceptedRisks: [AcceptedRisk] = []
    /// Services ranked by what they expose (the worst ten).
    public var topServices: [ServiceRow] = []
    /// Every server endpoint seen.
    public var services: [ServiceRow] = []
    /// Server endpoints that spoke TLS.
    public var tls: [TLSRow] = []
    /// Certificates seen, soonest expiry first.
    public var certificates: [CertificateRow] = []
    /// Credentials seen in clear (masked, keyed fingerprint).
    public var credentials: [CredentialRow] = []
    /// PII and secrets in clear, by rule.
    public var dataExposures: [DataTypeRow] = []

    public struct Window: Codable, Sendable, Equatable {
        /// `2026-12-04` for a day, `all` for everything.
        public var label: String
        public var from: String?
        public var to: String?
    }

    /// The at-a-glance numbers.
    public struct Summary: Codable, Sendable, Equatable {
        /// Exposures seen in this run (not suppressed), by severity name and by category.
        public var exposures = 0
        public var bySeverity: [String: Int] = [:]
        public var byCategory: [String: Int] = [:]
        public var new = 0
        public var stillOpen = 0
        public var resolved = 0
        public var unobserved = 0
        /// Findings an accepted risk suppressed.
        public var suppressed = 0
        public var services = 0
        /// Services that carried cleartext payload.
        public var cleartextServices = 0
        public var flows = 0
        /// Certificates expired or expiring within `expiryDays` of the report's time.
        public var expiringCertificates = 0
        public var expiryDays = 30
        /// The exit-code threshold (`fail_on`) and the new exposures at or above it.
        public var threshold: String?
        public var newAtOrAboveThreshold = 0
    }

    public struct TrendPoint: Codable, Sendable, Equatable {
        public var runAt: String
        public var window: String?
        public var exposures: Int
        public var bySeverity: [String: Int]
        public var new: Int
        public var resolved: Int
    }

    /// One exposure: the same finding on the same service (a credential, a
    /// PII value or secret by its keyed fingerprint; a TLS or certificate
    /// finding by what it names), however many flows showed it.
    public struct ExposureRow: Codable, Sendable, Equatable {
        /// Stable across runs (the finding's `details.key`, else a hash of rule, service and evidence).
        public var key: String
        public var rule: String
        public var category: String
        public var severity: String
        /// `tcp 192.0.2.10:80` (IPv6 in brackets).
        public var service: String
        public var app: String?
        public var message: String
        /// Redacted, as in the finding.
        public var evidence: String?
        /// Occurrences in this run (flows, or the findings' own counts).
        public var count: Int
        /// Capture time, first and last occurrence (this run; for resolved rows the last run seen).
        public var firstSeen: String
        public var lastSeen: String
        /// When a run first reported it (RFC 3339); nil in `report`.
        public var firstReported: String?
        public var remediation: String?
        /// Compliance and standards references (PCI DSS, SOC 2, HIPAA, RFCs).
        public var references: [String] = []
        /// The policy rule a TLS/certificate finding broke.
        public var policyRule: String?
    }

    public struct AcceptedRisk: Codable, Sendable, Equatable {
        public var reason: String
        /// What the entry matches, e.g. `rule cleartext.http, server 10.0.0.0/8, port 80`.
        public var scope: String
        /// `YYYY-MM-DD`; nil: no expiry.
        public var expires: String?
        public var expired: Bool
        /// Findings it suppressed in this run.
        public var suppressed: Int
    }

    /// One server endpoint in the inventory.
    public struct ServiceRow: Codable, Sendable, Equatable {
        public var service: String
        public var transport: String
        public var ip: String
        public var port: Int
        /// Application protocols identified on it.
        public var apps: [String]
        /// true: every flow with payload was protected; false: some carried cleartext; nil: no payload seen.
        public var encrypted: Bool?
        public var flows: Int
        /// Capture time: first seen over the runs the state remembers, last seen in this run.
        public var firstSeen: String
        public var lastSeen: String
        /// Exposures on it in this run, and the worst severity among them.
        public var exposures = 0
        public var worstSeverity: String?
        public var credentials = 0
        public var dataExposures = 0
    }

    public struct TLSRow: Codable, Sendable, Equatable {
        public var service: String
        public var sni: [String]
        /// Negotiated versions and cipher suites (IANA names), as seen.
        public var versions: [String]
        public var ciphers: [String]
        /// SHA-256 of the certificate last seen (see `certificates`); nil when not visible (TLS 1.3).
        public var certificate: String?
        /// TLS and certificate rules broken on this service in this run.
        public var findings: [String]
        public var worstSeverity: String?
    }

    public struct CertificateRow: Codable, Sendable, Equatable {
        public var sha256: String
        public var subject: String
        public var issuer: String
        public var notBefore: String
        public var notAfter: String
        /// Whole days from the report's time to `notAfter` (negative: expired).
        public var daysLeft: Int
        /// `expired`, `expiring` (within the expiry days), `valid`, or `unknown` (no readable `not_after`; `days_left` 0).
        public var status: String
        public var services: [String]
    }

    public struct CredentialRow: Codable, Sendable, Equatable {
        public var rule: String
        public var severity: String
        public var service: String
        /// Masked.
        public var evidence: String?
        /// Keyed fingerprint (`hmac-sha256:...`): the same secret gets the same one in every run.
        public var fingerprint: String?
        public var count: Int
        public var lastSeen: String
    }

    public struct DataTypeRow: Codable, Sendable, Equatable {
        public var rule: String
        public var category: String
        public var severity: String
        /// Distinct values (exposures) and their occurrences.
        public var values: Int
        public var occurrences: Int
        public var services: [String]
    }
}
