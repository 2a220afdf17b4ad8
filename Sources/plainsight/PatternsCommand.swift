import ArgumentParser
import Findings
import Foundation
import PatternFiles
import Scanning

/// Which content rules run: the built-in ones, users' own, less those turned off.
struct ContentRuleOptions: ParsableArguments {
    @Option(
        name: .customLong("patterns"),
        help: ArgumentHelp(
            "More PII/secret rules: a folder of *.yaml rule files, or one file (repeatable). A rule with a built-in rule's id replaces it.",
            valueName: "dir|file"))
    var extraPatterns: [String] = []

    @Option(name: .customLong("disable-rule"), help: ArgumentHelp("Turn off a PII/secret rule (repeatable).", valueName: "id"))
    var disabledRules: [String] = []

    /// The rule set; a mistake in a file is a `PatternError` naming its file and line.
    func load(patternsDir: String?) throws -> ContentRuleSet {
        try ContentRuleSet.load(
            patterns: try PatternsDirectory.locate(explicit: patternsDir),
            extra: extraPatterns.map { URL(fileURLWithPath: $0) }, disabled: Set(disabledRules))
    }
}

/// `plainsight patterns list|check|test`: tools for people writing rules.
struct Patterns: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patterns",
        abstract: "List, check and try the PII and secret rules (Patterns/content/*.yaml and your own).",
        subcommands: [List.self, Check.self, Test.self, Bench.self])

    struct Where: ParsableArguments {
        @Option(help: "The Patterns folder (default: $PLAINSIGHT_PATTERNS, else the one beside the program).")
        var patternsDir: String?

        @OptionGroup var rules: ContentRuleOptions

        func scanner() throws -> ContentScanner {
            do {
                return try ContentScanner(rules.load(patternsDir: patternsDir))
            } catch let error as PatternError {
                printError(error.description)
                throw ExitCode(ExitStatus.inputError)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Each rule's id, severity, trigger and description.")
        @OptionGroup var options: Where

        func run() throws {
            let scanner = try options.scanner()
            var out = ""
            for rule in scanner.rules {
                let trigger = rule.trigger.description
                out += "\(rule.id)\t\(rule.severity)\t\(rule.validator?.rawValue ?? "-")\t\(trigger)\t\(rule.description)\n"
            }
            print(out, terminator: "")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check that every rule loads and compiles, and that its examples behave; mistakes name file and line.")
        @Argument(help: "A folder or file of rules to check besides the built-in ones (same as --patterns).")
        var path: String?
        @OptionGroup var options: Where

        func run() throws {
            var options = options
            if let path { options.rules.extraPatterns.append(path) }
            let scanner = try options.scanner()
            var failures = 0
            for (r, rule) in scanner.rules.enumerated() {
                for text in rule.matchExamples where !scanner.matches(Array(text.utf8)).contains(where: { $0.rule == r }) {
                    printError("\(rule.source): rule \(rule.id): example finds nothing: \(text)")
                    failures += 1
                }
                for text in rule.noMatchExamples where scanner.matches(Array(text.utf8)).contains(where: { $0.rule == r }) {
                    printError("\(rule.source): rule \(rule.id): no_match example matches: \(text)")
                    failures += 1
                }
            }
            let jit = scanner.jit ? "JIT" : "interpreter (no JIT)"
            print("\(scanner.rules.count) rules compile (\(jit)); \(failures) example failure\(failures == 1 ? "" : "s")")
            if failures > 0 { throw ExitCode(1) }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Run the rules on a text file (or - for standard input) and show each match, masked, and why a candidate was turned down.")
        @Argument(help: "Text to scan: a file, or - for standard input.")
        var file: String
        @Flag(help: "Show values in full instead of masked.")
        var reveal = false
        @OptionGroup var options: Where

        func run() throws {
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let read = FileManager.default.contents(atPath: file) else {
                    printError("cannot read \(file)")
                    throw ExitCode(ExitStatus.inputError)
                }
                data = read
            }
            let scanner = try options.scanner()
            scanner.recordsRejections = true
            let show = { (rule: ContentRule, value: [UInt8]) in
                reveal ? String(decoding: value, as: UTF8.self) : Redaction.mask(value, showingStart: rule.shownStart, end: rule.shownEnd)
            }
            var out = ""
            for m in scanner.matches(Array(data)) {
                let rule = scanner.rules[m.rule]
                let check = rule.validator.map { " validator \($0.rawValue) passed" } ?? ""
                let field = m.field.isEmpty ? "" : " field \(String(decoding: m.field, as: UTF8.self))"
                out += "match  \(rule.id) at \(m.offset): \(show(rule, m.value))\(field)\(check)\(m.raised ? " (context raised severity)" : "")\n"
            }
            for r in scanner.rejections {
                let rule = scanner.rules[r.rule]
                out += "reject \(rule.id) at \(r.offset): \(show(rule, r.value)): \(r.reason)\n"
            }
            print(out.isEmpty ? "no matches" : out, terminator: out.isEmpty ? "\n" : "")
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Time the rules on a text file scanned as a stream of packet-sized chunks: MB/s, median of several rounds.")
        @Argument(help: "Text to scan (e.g. payloads of a capture).")
        var file: String
        @Option(help: "Chunk size in bytes (a TCP segment's payload).")
        var chunk = 1448
        @Option(help: "Rounds; the median is reported.")
        var rounds = 7
        @OptionGroup var options: Where

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file), !data.isEmpty else {
                printError("cannot read \(file) (or it is empty)")
                throw ExitCode(ExitStatus.inputError)
            }
            guard chunk > 0, rounds > 0 else { throw ValidationError("--chunk and --rounds must be positive") }
            let scanner = try options.scanner()
            let bytes = Array(data)
            var seconds: [Double] = []
            var matches = 0
            for _ in 0..<rounds {
                var state = StreamScanState()
                var budget = ScanBudget()
                var found: [ScanMatch] = []
                let start = DispatchTime.now().uptimeNanoseconds
                bytes.withUnsafeBytes { all in
                    var offset = 0
                    while offset < all.count {
                        let end = min(offset + chunk, all.count)
                        scanner.scan(
                            UnsafeRawBufferPointer(rebasing: all[offset..<end]), at: UInt64(offset), &state, budget: &budget,
                            into: &found)
                        offset = end
                    }
                }
                scanner.finish(&state, budget: &budget, into: &found)
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                matches = found.count
            }
            seconds.sort()
            let median = seconds[seconds.count / 2]
            let mbps = Double(bytes.count) / median / 1e6
            print(
                "\(scanner.rules.count) rules, \(bytes.count) bytes in \(chunk)-byte chunks: median \(String(format: "%.4f", median)) s "
                    + "= \(String(format: "%.0f", mbps)) MB/s (min \(String(format: "%.4f", seconds.first!)) s, "
                    + "max \(String(format: "%.4f", seconds.last!)) s, \(rounds) rounds); \(matches) matches")
        }
    }
}
