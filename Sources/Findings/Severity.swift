/// How bad a finding is. Ordered: `info` < `low` < `medium` < `high` < `critical`.
public enum Severity: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    case info, low, medium, high, critical

    public init?(name: String) {
        guard let s = Severity.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = s
    }

    public var description: String {
        switch self {
        case .info: return "info"
        case .low: return "low"
        case .medium: return "medium"
        case .high: return "high"
        case .critical: return "critical"
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
}

/// The finding categories of the output contract.
public enum FindingCategory: String, CaseIterable, Sendable {
    case cleartext, credential, tls, certificate, pii, secret
}
