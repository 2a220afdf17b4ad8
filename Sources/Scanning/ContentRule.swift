/// One PII or secret rule from `Patterns/content/*.yaml`: a PCRE2 regex, the
/// literal keywords (or digit run) that must be near a match for the regex to
/// run at all, and what turns a regex match into a finding — a validator, an
/// entropy floor, context words, an allowlist — and how its value is shown.
public struct ContentRule: Sendable {
    public enum Category: String, Sendable {
        case pii
        case secret
    }

    /// What puts the regex to work: a keyword hit, a run of digits, or either.
    public struct Trigger: Sendable, Equatable {
        /// Literals matched case-insensitively (stored lowercased).
        public var keywords: [[UInt8]]
        /// How many digits a value holds: the regex runs around a run of digits
        /// where some groups in a row, joined by `separators` only, hold that many.
        public var digits: ClosedRange<Int>?
        /// The separators the value itself may hold between its digits (some of
        /// space `-` `.` `(` `)` `/`); nil: any of them. A run that holds no
        /// value so joined is not looked at (an IP address is no SSN).
        public var separators: [UInt8]?

        public var description: String {
            let words = keywords.map { String(decoding: $0, as: UTF8.self) }
            return (words + (digits.map { ["digits \($0.lowerBound)-\($0.upperBound)"] } ?? [])).joined(separator: ",")
        }
    }

    public enum ContextEffect: String, Sendable {
        /// No context word near the match: no finding.
        case require
        /// A context word near the match raises the severity one step.
        case raise
    }

    public struct Context: Sendable {
        /// Lowercased literals.
        public var words: [[UInt8]]
        /// Bytes either side of the match searched for a word.
        public var distance: Int
        public var effect: ContextEffect
    }

    public var id: String
    public var category: Category
    /// `info`, `low`, `medium`, `high` or `critical` (checked when loading).
    public var severity: String
    public var description: String
    public var regex: String
    /// The capture group that is the value (0: the whole match).
    public var group: Int
    public var trigger: Trigger
    /// Bytes a match may hold before its keyword (`start_class`): the regex
    /// starts where a run of them before the hit begins, not `before` bytes
    /// back (an e-mail address starts where its local part does).
    public var startClass: [Bool]?
    /// Bytes before the hit's start and after its end a match may span.
    public var before: Int
    public var after: Int
    public var validator: Validator?
    /// Shannon bits per byte the value must reach.
    public var minEntropy: Double?
    public var context: Context?
    /// Values never reported (documentation and test values).
    public var allowedValues: Set<[UInt8]>
    /// Regexes: a value one of them matches is not reported.
    public var allowedPatterns: [String]
    /// Characters of the value shown at its start and its end.
    public var shownStart: Int
    public var shownEnd: Int
    /// A generic rule (no provider's format: `api_key=...`, a URL's password):
    /// what it finds is dropped when a credential reader reported the same value on the flow.
    public var generic: Bool
    public var remediation: String
    public var references: [String]
    /// Strings the rule must find something in, and strings it must not.
    public var matchExamples: [String]
    public var noMatchExamples: [String]
    /// `file:line` of the rule, for messages.
    public var source: String

    public static let severities = ["info", "low", "medium", "high", "critical"]
    /// Bytes around a hit a rule may ask for: bounds what one hit costs and what a stream keeps.
    public static let maxWindow = 4096
    /// Digits a `digits` trigger may ask for; a run is looked into up to
    /// three times as many bytes from its start.
    public static let maxDigits = 40
}
