import Foundation
import PatternFiles
import Yams

/// The rules the content scanner runs: the built-in files under
/// `Patterns/content/`, then each `--patterns` folder or file (a rule there
/// with a built-in's id replaces it), less the `--disable-rule` ids.
public struct ContentRuleSet: Sendable {
    public private(set) var rules: [ContentRule] = []

    public init(rules: [ContentRule] = []) { self.rules = rules }

    /// Loads `<patterns>/content/*.yaml`, then `extra` (folders of `*.yaml`, or files), in order.
    public static func load(patterns: URL, extra: [URL] = [], disabled: Set<String> = []) throws -> ContentRuleSet {
        var set = ContentRuleSet()
        try set.add(files: yamlFiles(in: patterns.appendingPathComponent("content")), replacing: false)
        for url in extra { try set.add(files: yamlFiles(in: url), replacing: true) }
        let unknown = disabled.subtracting(set.rules.map(\.id))
        guard unknown.isEmpty else {
            throw PatternError("--disable-rule: no content rule named \(unknown.sorted().joined(separator: ", "))")
        }
        set.rules.removeAll { disabled.contains($0.id) }
        return set
    }

    /// The `*.yaml` files of a folder in name order, or the file itself.
    static func yamlFiles(in url: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw PatternError("\(url.path): no such rule file or folder")
        }
        guard isDirectory.boolValue else { return [url] }
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { url.appendingPathComponent($0) }
    }

    mutating func add(files: [URL], replacing: Bool) throws {
        var seen: [String: String] = [:]
        for file in files {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                throw PatternError("\(file.path): cannot read the file as UTF-8 text")
            }
            for rule in try ContentRuleSet.parse(text, source: file.path) {
                if let first = seen[rule.id] { throw PatternError("\(rule.source): rule \(rule.id) is already defined at \(first)") }
                seen[rule.id] = rule.source
                if let i = rules.firstIndex(where: { $0.id == rule.id }) {
                    guard replacing else { throw PatternError("\(rule.source): rule \(rule.id) is already defined at \(rules[i].source)") }
                    rules[i] = rule
                } else {
                    rules.append(rule)
                }
            }
        }
    }

    /// Parses one rule file: a mapping with a `rules` list.
    public static func parse(_ yaml: String, source: String) throws -> [ContentRule] {
        let file = try PatternYAML(yaml, source: source)
        guard let list = try file.value("rules").sequence else { throw file.mismatch("rules", "a list of rules") }
        return try list.enumerated().map { index, node in
            guard let mapping = node.mapping else {
                throw PatternError("\(source):\(node.mark?.line ?? 0): rules[\(index)]: expected a mapping of fields")
            }
            return try rule(PatternYAML(mapping: mapping, source: source, position: "rules[\(index)]"), line: node.mark?.line)
        }
    }

    static func rule(_ entry: PatternYAML, line: Int?) throws -> ContentRule {
        let source = line.map { "\(entry.source):\($0)" } ?? entry.source
        let id = try entry.text("id")
        func fail(_ key: String, _ message: String) -> PatternError {
            PatternError("\(entry.at(key)): rule \(id): \(key): \(message)")
        }
        try entry.rejectUnknownFields(fields)
        let parts = id.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let category = ContentRule.Category(rawValue: String(parts[0])),
            parts[1].allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }), !parts[1].isEmpty
        else { throw fail("id", "ids are pii.<name> or secret.<name> (lowercase letters, digits, dashes)") }
        if entry.has("category"), try entry.text("category") != category.rawValue {
            throw fail("category", "must be \(category.rawValue), as the id says")
        }
        let severity = try entry.text("severity")
        guard ContentRule.severities.contains(severity) else {
            throw fail("severity", "expected info, low, medium, high or critical, not '\(severity)'")
        }
        var trigger = ContentRule.Trigger(keywords: [], digits: nil, separators: nil)
        if entry.has("keywords") {
            trigger.keywords = try entry.texts("keywords").map { Array($0.lowercased().utf8) }
            guard !trigger.keywords.isEmpty, trigger.keywords.allSatisfy({ !$0.isEmpty && $0.count <= 64 }) else {
                throw fail("keywords", "a list of 1 to 64-byte literals")
            }
        }
        if entry.has("trigger") {
            guard try entry.text("trigger") == "digits" else { throw fail("trigger", "the only trigger is 'digits'") }
            let range = try pair(entry, "digits")
            guard range.0 >= 2, range.0 <= range.1, range.1 <= ContentRule.maxDigits else {
                throw fail("digits", "expected [min, max] with 2 <= min <= max <= \(ContentRule.maxDigits)")
            }
            trigger.digits = range.0...range.1
        }
        if entry.has("separators") {
            guard trigger.digits != nil else { throw fail("separators", "only with trigger: digits") }
            let separators = Array(try entry.text("separators").utf8)
            guard separators.allSatisfy(ContentScanner.isSeparator) else {
                throw fail("separators", "some of space, '-', '.', '(', ')', '/' (the separators a digit run holds), or '' for none")
            }
            trigger.separators = separators
        }
        guard !trigger.keywords.isEmpty || trigger.digits != nil else {
            throw fail("keywords", "a rule needs keywords, trigger: digits, or both: the regex runs only near them")
        }
        let window = try entry.has("window") ? pair(entry, "window") : (0, 128)
        guard window.0 >= 0, window.1 >= 0, window.0 + window.1 <= ContentRule.maxWindow else {
            throw fail("window", "expected [before, after], together at most \(ContentRule.maxWindow) bytes")
        }
        var validator: Validator?
        if entry.has("validator") {
            let name = try entry.text("validator")
            guard let v = Validator(rawValue: name) else {
                throw fail("validator", "unknown '\(name)'; known: \(Validator.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            validator = v
        }
        var minEntropy: Double?
        if entry.has("min_entropy") {
            guard let e = Double(try entry.text("min_entropy")), e >= 0, e <= 8 else { throw fail("min_entropy", "bits per byte, 0 to 8") }
            minEntropy = e
        }
        var context: ContentRule.Context?
        if entry.has("context") {
            let c = try entry.field("context")
            try c.rejectUnknownFields(["words", "distance", "effect"])
            let words = try c.texts("words").map { Array($0.lowercased().utf8) }
            guard !words.isEmpty, words.allSatisfy({ !$0.isEmpty }) else { throw fail("context", "words: a list of literals") }
            let distance = try c.has("distance") ? c.number("distance") : 32
            guard distance > 0, distance <= ContentRule.maxWindow else { throw fail("context", "distance: 1 to \(ContentRule.maxWindow)") }
            let effectName = try c.has("effect") ? c.text("effect") : "require"
            guard let effect = ContentRule.ContextEffect(rawValue: effectName) else {
                throw fail("context", "effect: require or raise, not '\(effectName)'")
            }
            context = .init(words: words, distance: distance, effect: effect)
        }
        var allowedValues: Set<[UInt8]> = []
        var allowedPatterns: [String] = []
        if entry.has("allow") {
            let a = try entry.field("allow")
            try a.rejectUnknownFields(["values", "patterns"])
            allowedValues = Set(try a.optionalTexts("values")?.map { Array($0.utf8) } ?? [])
            allowedPatterns = try a.optionalTexts("patterns") ?? []
        }
        let shown = try entry.has("redact") ? pair(entry, "redact") : (category == .pii ? (0, 4) : (4, 4))
        var matchExamples: [String] = []
        var noMatchExamples: [String] = []
        if entry.has("examples") {
            let e = try entry.field("examples")
            try e.rejectUnknownFields(["match", "no_match"])
            matchExamples = try e.optionalTexts("match") ?? []
            noMatchExamples = try e.optionalTexts("no_match") ?? []
        }
        var startClass: [Bool]?
        if entry.has("start_class") {
            guard let set = byteClass(try entry.text("start_class")) else {
                throw fail("start_class", "ASCII characters and ranges such as 'A-Za-z0-9._%+-'")
            }
            startClass = set
        }
        var generic = false
        if entry.has("generic") {
            let flag = try entry.text("generic")
            guard flag == "true" || flag == "false" else { throw fail("generic", "true or false") }
            generic = flag == "true"
        }
        let group = try entry.has("group") ? entry.number("group") : 0
        guard group >= 0 && group < 100 else { throw fail("group", "a capture group number") }
        return ContentRule(
            id: id, category: category, severity: severity, description: try entry.text("description"),
            regex: try entry.text("regex"), group: group, trigger: trigger, startClass: startClass, before: window.0,
            after: window.1,
            validator: validator, minEntropy: minEntropy, context: context, allowedValues: allowedValues,
            allowedPatterns: allowedPatterns, shownStart: max(0, shown.0), shownEnd: max(0, shown.1), generic: generic,
            remediation: try entry.text("remediation"), references: try entry.optionalTexts("references") ?? [],
            matchExamples: matchExamples, noMatchExamples: noMatchExamples, source: source)
    }

    /// The fields a rule may have.
    static let fields = [
        "id", "category", "severity", "description", "regex", "group", "keywords", "trigger", "digits", "separators",
        "window", "start_class", "validator", "min_entropy", "context", "allow", "redact", "generic", "remediation",
        "references", "examples",
    ]

    /// A class such as `A-Za-z0-9._%+-` (ranges, then single characters; a
    /// final `-` is itself) as a table of the 256 byte values.
    static func byteClass(_ text: String) -> [Bool]? {
        let chars = Array(text.utf8)
        guard !chars.isEmpty, chars.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { return nil }
        var set = [Bool](repeating: false, count: 256)
        var i = 0
        while i < chars.count {
            if i + 2 < chars.count && chars[i + 1] == UInt8(ascii: "-") {
                guard chars[i] <= chars[i + 2] else { return nil }
                for b in chars[i]...chars[i + 2] { set[Int(b)] = true }
                i += 3
            } else {
                set[Int(chars[i])] = true
                i += 1
            }
        }
        return set
    }

    /// A two-number list such as `window: [0, 48]`.
    static func pair(_ entry: PatternYAML, _ key: String) throws -> (Int, Int) {
        let items = try entry.texts(key)
        guard items.count == 2, let a = Int(items[0]), let b = Int(items[1]) else { throw entry.mismatch(key, "[number, number]") }
        return (a, b)
    }
}
