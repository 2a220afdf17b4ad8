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
    public var inputs: [String]
    /// The TLS policy findings were judged by, when known.
    public var policy: String?
    /// `new`/`resolved` are relative to this earlier run; nil: no baseline (first run, or `report`).
    public var baseline: String?
    public var summary: Summary
    /// Earlier runs and this one, oldest first (the last `history` runs kept in the state).
    public var trend: [TrendPoint]
    /// Exposures seen in this run and not open in the baseline, worst first.
    public var newExposures: [ExposureRow]
    /// Exposures seen in this run that were open in the baseline already.
    public var stillOpen: [ExposureRow]
    /// Exposures open in the baseline, not seen in this run although their service was.
    public var resolved: [ExposureRow]
    /// Exposures open in the baseline whose service sent no traffic in this run: not judged.
    public var unobserved: [ExposureRow]
    /// Accepted risks (allowlist entries) and what each suppressed in this run.
    public var acceptedRisks: [AcceptedRisk]
    /// Services ranked by what they expose (the worst ten).
    public var topServices: [ServiceRow]
    /// Every server endpoint seen.
    public var services: [ServiceRow]
    /// Server endpoints that spoke TLS.
    public var tls: [TLSRow]
    /// Certificates seen, soonest expiry first.
    public var certificates: [CertificateRow]
    /// Credentials seen in clear (masked, keyed fingerprint).
    public var credentials: [CredentialRow]
    /// PII and secrets in clear, by rule.
    public var dataExposures: [DataTypeRow]

    public init(
        title: String, generatedAt: String, window: Window? = nil, inputs: [String] = [], policy: String? = nil,
        baseline: String? = nil, summary: Summary = Summary(), trend: [TrendPoint] = [], newExposures: [ExposureRow] = [],
        stillOpen: [ExposureRow] = [], resolved: [ExposureRow] = [], unobserved: [ExposureRow] = [],
        acceptedRisks: [AcceptedRisk] = [], topServices: [ServiceRow] = [], services: [ServiceRow] = [],
        tls: [TLSRow] = [], certificates: [CertificateRow] = [], credentials: [CredentialRow] = [],
        dataExposures: [DataTypeRow] = []
    ) {
        self.title = title
        self.generatedAt = generatedAt
        self.window = window
        self.inputs = inputs
        self.policy = policy
        self.baseline = baseline
        self.summary = summary
        self.trend = trend
        self.newExposures = newExposures
        self.stillOpen = stillOpen
        self.resolved = resolved
        self.unobserved = unobserved
        self.acceptedRisks = acceptedRisks
        self.topServices = topServices
        self.services = services
        self.tls = tls
        self.certificates = certificates
        self.credentials = credentials
        self.dataExposures = dataExposures
    }

    public struct Window: Codable, Sendable, Equatable {
        /// `2026-12-04` for a day, `all` for everything.
        public var label: String
        public var from: String?
        public var to: String?

        public init(label: String, from: String? = nil, to: String? = nil) {
            self.label = label
            self.from = from
            self.to = to
        }
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

        public init() {}
    }

    public struct TrendPoint: Codable, Sendable, Equatable {
        public var runAt: String
        public var window: String?
        public var exposures: Int
        public var bySeverity: [String: Int]
        public var new: Int
        public var resolved: Int

        public init(runAt: String, window: String?, exposures: Int, bySeverity: [String: Int], new: Int, resolved: Int) {
            self.runAt = runAt
            self.window = window
            self.exposures = exposures
            self.bySeverity = bySeverity
            self.new = new
            self.resolved = resolved
        }
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
        public var references: [String]
        /// The policy rule a TLS/certificate finding broke.
        public var policyRule: String?

        public init(
            key: String, rule: String, category: String, severity: String, service: String, app: String? = nil,
            message: String, evidence: String? = nil, count: Int, firstSeen: String, lastSeen: String,
            firstReported: String? = nil, remediation: String? = nil, references: [String] = [], policyRule: String? = nil
        ) {
            self.key = key
            self.rule = rule
            self.category = category
            self.severity = severity
            self.service = service
            self.app = app
            self.message = message
            self.evidence = evidence
            self.count = count
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
            self.firstReported = firstReported
            self.remediation = remediation
            self.references = references
            self.policyRule = policyRule
        }
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

        public init(reason: String, scope: String, expires: String?, expired: Bool, suppressed: Int) {
            self.reason = reason
            self.scope = scope
            self.expires = expires
            self.expired = expired
            self.suppressed = suppressed
        }
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
        public var exposures: Int
        public var worstSeverity: String?
        public var credentials: Int
        public var dataExposures: Int

        public init(
            service: String, transport: String, ip: String, port: Int, apps: [String], encrypted: Bool?, flows: Int,
            firstSeen: String, lastSeen: String, exposures: Int = 0, worstSeverity: String? = nil, credentials: Int = 0,
            dataExposures: Int = 0
        ) {
            self.service = service
            self.transport = transport
            self.ip = ip
            self.port = port
            self.apps = apps
            self.encrypted = encrypted
            self.flows = flows
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
            self.exposures = exposures
            self.worstSeverity = worstSeverity
            self.credentials = credentials
            self.dataExposures = dataExposures
        }
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

        public init(
            service: String, sni: [String], versions: [String], ciphers: [String], certificate: String?, findings: [String],
            worstSeverity: String?
        ) {
            self.service = service
            self.sni = sni
            self.versions = versions
            self.ciphers = ciphers
            self.certificate = certificate
            self.findings = findings
            self.worstSeverity = worstSeverity
        }
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

        public init(
            sha256: String, subject: String, issuer: String, notBefore: String, notAfter: String, daysLeft: Int,
            status: String, services: [String]
        ) {
            self.sha256 = sha256
            self.subject = subject
            self.issuer = issuer
            self.notBefore = notBefore
            self.notAfter = notAfter
            self.daysLeft = daysLeft
            self.status = status
            self.services = services
        }
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

        public init(rule: String, severity: String, service: String, evidence: String?, fingerprint: String?, count: Int, lastSeen: String) {
            self.rule = rule
            self.severity = severity
            self.service = service
            self.evidence = evidence
            self.fingerprint = fingerprint
            self.count = count
            self.lastSeen = lastSeen
        }
    }

    public struct DataTypeRow: Codable, Sendable, Equatable {
        public var rule: String
        public var category: String
        public var severity: String
        /// Distinct values (exposures) and their occurrences.
        public var values: Int
        public var occurrences: Int
        public var services: [String]

        public init(rule: String, category: String, severity: String, values: Int, occurrences: Int, services: [String]) {
            self.rule = rule
            self.category = category
            self.severity = severity
            self.values = values
            self.occurrences = occurrences
            self.services = services
        }
    }
}
