import Decoding
import Findings
import Foundation
import PatternFiles

// MARK: - The nightly run's configuration
//
// One YAML file says what a nightly run reads, how it judges and where it
// writes (commented example: deploy/assess.example.yaml). Paths are taken
// relative to the file's folder; `{date}` in an input pattern is the
// window's day (`2026-12-04`), so "yesterday's rotated files" is one line
// (`{day_after}`: the day after it).

public struct AssessConfig: Sendable {
    /// Capture files, folders or glob patterns (read in name order, as one stream of time).
    public var captures: [String] = []
    /// JSON Lines files or glob patterns (a sensor's `--rotate daily` output).
    public var jsonl: [String] = []
    /// `yesterday` (default), `today`, `all`, or a day `YYYY-MM-DD`.
    public var window = "yesterday"
    public var tlsPolicy: String?
    public var allowlist: String?
    public var failOn: Severity? = .high
    public var certExpiryDays = 30
    public var outputDir: String
    public var stateDir: String
    public var history = 30
    /// Run folders kept in `outputDir`: after a run, the oldest beyond this many are deleted.
    public var keepRuns = 90
    public var formats: Set<String> = ["html", "json", "markdown"]
    public var title = "PlainSight assessment"
    public var patternsDir: String?
    public let source: String

    public static let formatNames = ["html", "json", "markdown"]
    static let fields = [
        "inputs", "window", "tls_policy", "allowlist", "fail_on", "cert_expiry_days", "output_dir", "state_dir",
        "history", "keep_runs", "formats", "title", "patterns",
    ]

    public static func load(path: String) throws -> AssessConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AssessmentError("\(path): cannot read the configuration")
        }
        do {
            return try parse(text, source: path)
        } catch let error as PatternError {
            throw AssessmentError(error.description)
        }
    }

    public static func parse(_ yaml: String, source: String) throws -> AssessConfig {
        let file = try PatternYAML(yaml, source: source)
        for key in try file.keys() where !fields.contains(key) {
            throw PatternError("\(file.at(key)): unknown field \(key) (known: \(fields.joined(separator: ", ")))")
        }
        let base = (source as NSString).deletingLastPathComponent
        func resolved(_ path: String) -> String {
            path.hasPrefix("/") || base.isEmpty ? path : base + "/" + path
        }
        var config = AssessConfig(
            outputDir: resolved(try file.text("output_dir")), stateDir: resolved(try file.text("state_dir")), source: source)
        let inputs = try file.field("inputs")
        for key in try inputs.keys() where !["captures", "jsonl"].contains(key) {
            throw PatternError("\(inputs.at(key)): unknown field inputs.\(key) (known: captures, jsonl)")
        }
        config.captures = try inputs.optionalTexts("captures")?.map(resolved) ?? []
        config.jsonl = try inputs.optionalTexts("jsonl")?.map(resolved) ?? []
        guard !config.captures.isEmpty || !config.jsonl.isEmpty else {
            throw PatternError("\(file.at("inputs")): inputs: give captures, jsonl or both")
        }
        if file.has("window") {
            config.window = try file.text("window")
            guard ["yesterday", "today", "all"].contains(config.window) || TimeWindow.day(config.window) != nil else {
                throw file.mismatch("window", "yesterday, today, all or a day YYYY-MM-DD, not '\(config.window)'")
            }
        }
        if file.has("tls_policy") { config.tlsPolicy = try file.text("tls_policy") }
        if file.has("allowlist") { config.allowlist = resolved(try file.text("allowlist")) }
        if file.has("patterns") { config.patternsDir = resolved(try file.text("patterns")) }
        if file.has("fail_on") {
            let text = try file.text("fail_on")
            if text == "never" {
                config.failOn = nil
            } else {
                guard let severity = Severity(name: text) else {
                    throw file.mismatch("fail_on", "info, low, medium, high, critical or never, not '\(text)'")
                }
                config.failOn = severity
            }
        }
        if file.has("cert_expiry_days") {
            config.certExpiryDays = try file.number("cert_expiry_days")
            guard (0...36_500).contains(config.certExpiryDays) else { throw file.mismatch("cert_expiry_days", "0 to 36500") }
        }
        if file.has("history") {
            config.history = try file.number("history")
            guard (1...3650).contains(config.history) else { throw file.mismatch("history", "1 to 3650 runs") }
        }
        if file.has("keep_runs") {
            config.keepRuns = try file.number("keep_runs")
            guard (1...36_500).contains(config.keepRuns) else { throw file.mismatch("keep_runs", "1 to 36500 runs") }
        }
        if file.has("formats") {
            let formats = try file.texts("formats")
            for f in formats where !formatNames.contains(f) {
                throw file.mismatch("formats", "a list of \(formatNames.joined(separator: ", ")), not '\(f)'")
            }
            guard !formats.isEmpty else { throw file.mismatch("formats", "at least one of \(formatNames.joined(separator: ", "))") }
            config.formats = Set(formats)
        }
        if file.has("title") { config.title = try file.text("title") }
        return config
    }

    /// The window of a run at `now`.
    public func timeWindow(at now: Microseconds) -> TimeWindow? {
        switch window {
        case "all": return nil
        case "yesterday": return TimeWindow.yesterday(before: now)
        case "today": return TimeWindow.yesterday(before: now + TimeWindow.day)
        default: return TimeWindow.day(window)
        }
    }

    /// Files an input list names: `{date}` replaced by the window's day and
    /// `{day_after}` by the next one (a sensor writes a flow that ends after
    /// midnight into the next day's file; records outside the window are not
    /// counted), glob patterns expanded (sorted), folders kept.
    public static func expand(_ patterns: [String], window: TimeWindow?) -> (files: [String], unmatched: [String]) {
        var files: [String] = []
        var unmatched: [String] = []
        var seen: Set<String> = []
        let date = window.map { Timestamp.date($0.from) } ?? "*"
        let dayAfter = window.map { Timestamp.date($0.to) } ?? "*"
        for pattern in patterns {
            let p = pattern.replacingOccurrences(of: "{date}", with: date).replacingOccurrences(of: "{day_after}", with: dayAfter)
            var g = glob_t()
            defer { globfree(&g) }
            guard glob(p, 0, nil, &g) == 0, g.gl_pathc > 0 else {
                unmatched.append(p)
                continue
            }
            for i in 0..<Int(g.gl_pathc) {
                // Once each, whichever patterns name it (`{date}` and `{day_after}`
                // are both `*` without a window): a file read twice counts twice.
                guard let path = g.gl_pathv[i] else { continue }
                let name = String(cString: path)
                if seen.insert(URL(fileURLWithPath: name).resolvingSymlinksInPath().path).inserted { files.append(name) }
            }
        }
        return (files, unmatched)
    }
}
