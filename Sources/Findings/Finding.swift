import Flows
import Inspection

/// One issue seen on the wire (`type: "finding"`). Evidence is always the
/// redacted form; the analyzers that raise findings arrive with the TLS,
/// cleartext and content stages.
public struct Finding: Sendable {
    public var timestamp: Int64
    /// Dotted rule id, `<category>.<name>`.
    public var rule: String
    public var category: FindingCategory
    public var severity: Severity
    public var flow: FlowIdentity
    /// nil for flow-level findings.
    public var direction: Direction?
    public var app: AppProtocol
    public var message: String
    public var evidence: String?
    /// Rule-specific fields, written as a JSON object in this order.
    public var details: [(key: String, value: String)]
    /// A deduplicated finding (the same exposure or credential on the same
    /// server endpoint): how many times it was seen, first and last time.
    public var occurrences: (count: Int, first: Int64, last: Int64)?

    public init(
        timestamp: Int64, rule: String, category: FindingCategory, severity: Severity, flow: FlowIdentity,
        direction: Direction?, app: AppProtocol, message: String, evidence: String? = nil,
        details: [(key: String, value: String)] = []
    ) {
        self.timestamp = timestamp
        self.rule = rule
        self.category = category
        self.severity = severity
        self.flow = flow
        self.direction = direction
        self.app = app
        self.message = message
        self.evidence = evidence
        self.details = details
    }
}
