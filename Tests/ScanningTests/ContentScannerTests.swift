import Testing

@testable import Scanning

/// The stream logic on hand-written rules: a match is found wherever chunk
/// boundaries cut it, once, at its stream offset; checks and context apply.
@Suite struct ContentScannerTests {
    static let rules = """
        rules:
          - id: secret.test-token
            severity: high
            description: test token
            regex: '\\btok_[a-z0-9]{20}\\b'
            keywords: [tok_]
            window: [0, 24]
            remediation: revoke it
          - id: pii.test-email
            severity: low
            description: test email
            regex: '[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(?:\\.[a-z0-9-]{1,63})*\\.[a-z]{2,24}'
            keywords: ['@']
            window: [64, 200]
            remediation: do not send it
          - id: pii.test-number
            severity: medium
            description: test number
            regex: '(?<![0-9])\\d{4}(?:[ -]?\\d{4}){3}(?![0-9])'
            trigger: digits
            digits: [16, 16]
            window: [0, 4]
            remediation: mask it
          - id: secret.test-context
            severity: low
            description: hex needing a word
            regex: '\\b[0-9a-f]{32}\\b'
            keywords: ['key=']
            window: [0, 40]
            context: {words: [acme], distance: 40, effect: require}
            allow: {values: [00000000000000000000000000000000]}
            remediation: rotate
        """

    static func scanner(_ yaml: String = rules) throws -> ContentScanner {
        try ContentScanner(ContentRuleSet(rules: ContentRuleSet.parse(yaml, source: "test.yaml")))
    }

    struct Found: Hashable, CustomStringConvertible {
        var rule: String
        var offset: UInt64
        var value: String
        var description: String { "\(rule)@\(offset)=\(value)" }
    }

    /// Scans `text` cut at `cuts` (ascending positions), as one stream.
    static func scan(_ scanner: ContentScanner, _ text: String, cuts: [Int] = []) -> [Found] {
        let bytes = Array(text.utf8)
        var state = StreamScanState()
        var budget = ScanBudget()
        var matches: [ScanMatch] = []
        var start = 0
        for end in cuts + [bytes.count] where end > start {
            bytes[start..<end].withUnsafeBytes {
                scanner.scan($0, at: UInt64(start), &state, budget: &budget, into: &matches)
            }
            start = end
        }
        scanner.finish(&state, budget: &budget, into: &matches)
        #expect(budget.bytes == 0)
        return matches.map { Found(rule: scanner.rules[$0.rule].id, offset: $0.offset, value: String(decoding: $0.value, as: UTF8.self)) }
    }

    static let text = "GET /x?t=tok_abcdefghij0123456789 HTTP/1.1\r\nFrom: alice.smith@mail.acme-corp.io\r\n"
        + "card 4000 1234 5678 9010 and acme key=0123456789abcdef0123456789abcdef done\r\n"

    static let expected: Set<Found> = [
        Found(rule: "secret.test-token", offset: 9, value: "tok_abcdefghij0123456789"),
        Found(rule: "pii.test-email", offset: 50, value: "alice.smith@mail.acme-corp.io"),
        Found(rule: "pii.test-number", offset: 86, value: "4000 1234 5678 9010"),
        Found(rule: "secret.test-context", offset: 119, value: "0123456789abcdef0123456789abcdef"),
    ]

    @Test func findsEachMatchOnceInOneChunk() throws {
        let found = Self.scan(try Self.scanner(), Self.text)
        #expect(found.count == 4)
        #expect(Set(found) == Self.expected)
    }

    @Test func findsTheSameWhereverOneCutFalls() throws {
        let scanner = try Self.scanner()
        for cut in 1..<Self.text.utf8.count {
            let found = Self.scan(scanner, Self.text, cuts: [cut])
            #expect(found.count == 4 && Set(found) == Self.expected, "cut at \(cut): \(found)")
        }
    }

    @Test func findsTheSameInOneByteChunks() throws {
        let found = Self.scan(try Self.scanner(), Self.text, cuts: Array(1..<Self.text.utf8.count))
        #expect(found.count == 4 && Set(found) == Self.expected, "\(found)")
    }

    @Test func findsTheSameWithTwoCutsAnywhere() throws {
        let scanner = try Self.scanner()
        let n = Self.text.utf8.count
        for a in stride(from: 1, to: n, by: 3) {
            for b in stride(from: a + 1, to: n, by: 5) {
                let found = Self.scan(scanner, Self.text, cuts: [a, b])
                #expect(found.count == 4 && Set(found) == Self.expected, "cuts \(a) \(b): \(found)")
            }
        }
    }

    @Test func contextAndAllowlistDecide() throws {
        let scanner = try Self.scanner()
        #expect(Self.scan(scanner, "key=0123456789abcdef0123456789abcdef").isEmpty, "no context word")
        #expect(Self.scan(scanner, "acme key=00000000000000000000000000000000").isEmpty, "allowlisted value")
        #expect(Self.scan(scanner, "ACME KEY=0123456789ABCDEF0123456789abcdef").isEmpty, "regex is case-sensitive")
        #expect(Self.scan(scanner, "Acme KEY=0123456789abcdef0123456789abcdef").count == 1, "keywords and words ignore case")
    }

    /// A rule's allow patterns run as one regex when they can, and behave as
    /// the patterns one by one would: each allowlists what it matches, nothing else.
    @Test func allowPatternsCombineWithoutChangingWhatTheyAllow() throws {
        /// `rules` with allow patterns on its token rule (rule 0, the only one with this window).
        func scanner(allow patterns: [String]) throws -> ContentScanner {
            let list = patterns.map { "'\($0)'" }.joined(separator: ", ")
            let rules = Self.rules.replacing("    window: [0, 24]\n", with: "    window: [0, 24]\n    allow: {patterns: [\(list)]}\n")
            return try Self.scanner(rules)
        }
        let a = "tok_" + String(repeating: "a", count: 20)
        let b = "tok_" + String(repeating: "b", count: 20)
        let c = "tok_" + String(repeating: "c", count: 20)
        let combined = try scanner(allow: ["^tok_a{20}$", "x|^tok_b{20}$"])
        #expect(combined.allowRegexes[0].count == 1)
        let apart = try scanner(allow: ["^(tok_)a{20}$", "^tok_b{20}$"])
        #expect(apart.allowRegexes[0].count == 2, "a group could be back-referenced: kept apart")
        for s in [combined, apart] {
            #expect(Self.scan(s, "t=\(a) ").isEmpty)
            #expect(Self.scan(s, "t=\(b) ").isEmpty)
            #expect(Self.scan(s, "t=\(c) ").map(\.value) == [c])
        }
        #expect(ContentScanner.isSelfContained("(?i)^abc$|\\(x\\)"))
        #expect(!ContentScanner.isSelfContained("\\Qa)b"), "quoted to the end")
        #expect(!ContentScanner.isSelfContained("(?x)a # comment"), "a comment runs to the end")
        #expect(!ContentScanner.isSelfContained("(*UTF)a"), "a verb must lead the pattern")
    }

    /// The bytes PCRE2 says a match can begin with, which let a window with
    /// none of them skip the regex.
    @Test func regexStartBytesComeFromPCRE2() throws {
        func set(_ pattern: String) throws -> Set<UInt8>? {
            try CompiledRegex(pattern, origin: "test").startBytes.map { bits in Set((0...255).filter { bits[$0] }.map { UInt8($0) }) }
        }
        #expect(try set(#"\+[1-9]\d{7,14}"#) == [UInt8(ascii: "+")])
        #expect(try set(#"(?<![A-Z])[A-CE][A-Z] ?\d{2}"#) == Set("ABCE".utf8))
        #expect(try set(#"(?i)key"#) == Set("kK".utf8), "either case")
        #expect(try set(#"\d{3}|x"#) == Set("0123456789x".utf8))
        #expect(try set(#"a?b?"#) == nil, "a match may be empty")
        #expect(try set(#"[\x00-\xff]z"#) == nil, "any byte")
        // A digit run with no `+` before it is not evaluated; one with it is.
        let rules = """
            rules:
              - id: pii.test-e164
                severity: low
                description: test phone
                regex: '\\+[1-9]\\d{7,14}(?!\\d)'
                trigger: digits
                digits: [8, 15]
                window: [2, 2]
                remediation: mask it
            """
        let scanner = try Self.scanner(rules)
        #expect(Self.scan(scanner, "call 14155552671 now").isEmpty)
        #expect(Self.scan(scanner, "call +14155552671 now").map(\.value) == ["+14155552671"])
        #expect(Self.scan(scanner, "call + 14155552671 now").isEmpty)
    }

    @Test func boundariesHold() throws {
        let scanner = try Self.scanner()
        #expect(Self.scan(scanner, "xtok_abcdefghij0123456789").isEmpty, "no word boundary before")
        #expect(Self.scan(scanner, "tok_abcdefghij0123456789z").isEmpty, "token too long")
        #expect(Self.scan(scanner, "4000 1234 5678 90101").isEmpty, "17 digits")
        #expect(Self.scan(scanner, "1733356800123 and 17333568001").isEmpty, "timestamps")
    }

    @Test func aGapDropsWhatItCut() throws {
        let scanner = try Self.scanner()
        let bytes = Array("x tok_abcdefghij0123456789 y tok_zzzzzzzzzz0123456789".utf8)
        var state = StreamScanState()
        var budget = ScanBudget()
        var matches: [ScanMatch] = []
        bytes[0..<15].withUnsafeBytes { scanner.scan($0, at: 0, &state, budget: &budget, into: &matches) }
        // Bytes 15..<20 lost.
        bytes[20...].withUnsafeBytes { scanner.scan($0, at: 20, &state, budget: &budget, into: &matches) }
        scanner.finish(&state, budget: &budget, into: &matches)
        #expect(matches.map { $0.offset } == [29])
    }

    /// What a stream keeps is charged by the capacity it reserved, grown by
    /// doubling: the budget holds exactly the streams' figures, which do not
    /// depend on what the allocator happened to hand out, and covers what they keep.
    @Test func heldBytesAreTheReservedCapacity() throws {
        let scanner = try Self.scanner()
        let text = Array(String(repeating: "some text with a key=0123456789abcdef0123456789abcdef in it; ", count: 40).utf8)
        var a = StreamScanState(), b = StreamScanState()
        var budget = ScanBudget()
        var matches: [ScanMatch] = []
        var figures: [Int] = []
        for start in stride(from: 0, to: text.count, by: 97) {
            let chunk = text[start..<min(start + 97, text.count)]
            chunk.withUnsafeBytes { scanner.scan($0, at: UInt64(start), &a, budget: &budget, into: &matches) }
            chunk.withUnsafeBytes { scanner.scan($0, at: UInt64(start), &b, budget: &budget, into: &matches) }
            #expect(budget.bytes == a.heldBytes + b.heldBytes)
            #expect(a.heldBytes >= a.carry.count && a.carry.capacity >= a.heldBytes)
            #expect(a.heldBytes == b.heldBytes, "the same stream, the same figure")
            figures.append(a.heldBytes)
        }
        #expect(figures.allSatisfy { $0 > 0 })
        scanner.finish(&a, budget: &budget, into: &matches)
        scanner.finish(&b, budget: &budget, into: &matches)
        #expect(budget.bytes == 0 && a.heldBytes == 0 && b.heldBytes == 0)
    }

    @Test func aMessageIsScannedAlone() throws {
        let scanner = try Self.scanner()
        var state = StreamScanState()
        var matches: [ScanMatch] = []
        Array("<13>app: tok_abcdefghij0123456789".utf8).withUnsafeBytes { scanner.scanMessage($0, at: 0, &state, into: &matches) }
        #expect(matches.count == 1)
    }

    @Test func mistakesNameFileAndLine() throws {
        let bad = """
            rules:
              - id: secret.x
                severity: high
                description: d
                regex: '(unclosed'
                keywords: [x]
                remediation: r
            """
        #expect(throws: (any Error).self) { try ContentScanner(ContentRuleSet(rules: ContentRuleSet.parse(bad, source: "f.yaml"))) }
        do {
            _ = try ContentScanner(ContentRuleSet(rules: ContentRuleSet.parse(bad, source: "f.yaml")))
        } catch {
            #expect("\(error)".hasPrefix("f.yaml:2: rule secret.x: regex does not compile"), "\(error)")
        }
        let noTrigger = bad.replacingOccurrences(of: "    keywords: [x]\n", with: "")
        #expect(throws: (any Error).self) { try ContentRuleSet.parse(noTrigger, source: "f.yaml") }
    }

    /// With a start class the keyword is inside the value: a match starting
    /// after it belongs to a later hit, so this hit's regex stops at the
    /// keyword. Without one, the keyword may name a value that follows it.
    @Test func aStartClassEndsTheSearchAtTheKeyword() throws {
        func rule(startClass: String?) -> String {
            """
            rules:
              - id: secret.after
                severity: low
                description: a value after its keyword
                regex: 'x[0-9]{4}'
                keywords: ['@']
                window: [8, 20]
            \(startClass.map { "    start_class: '\($0)'\n" } ?? "")    remediation: r
            """
        }
        let named = try Self.scanner(rule(startClass: nil))
        let inside = try Self.scanner(rule(startClass: "a-z"))
        #expect(Self.scan(named, "ab@ x1234").map(\.value) == ["x1234"])
        #expect(Self.scan(inside, "ab@ x1234").isEmpty)
    }

    /// `separators` says what a value may hold between its digits: a run none of
    /// whose groups in a row, joined by those alone, hold a value's digits is not looked at.
    /// The regex here would take any byte between the groups, so the rule's
    /// declaration alone decides whether a dotted run is tried.
    @Test func separatorsLimitWhichRunsARuleTries() throws {
        func rule(separators: String?) -> String {
            """
            rules:
              - id: pii.grouped
                severity: low
                description: three groups of digits
                regex: '(?<![0-9])\\d{3}.\\d{2}.\\d{4}(?![0-9])'
                trigger: digits
                digits: [9, 12]
            \(separators.map { "    separators: '\($0)'\n" } ?? "")    window: [1, 2]
                remediation: r
            """
        }
        let any = try Self.scanner(rule(separators: nil))
        let dashes = try Self.scanner(rule(separators: "-"))
        let none = try Self.scanner(rule(separators: ""))
        let text = "a 123.45.6789 b 123-45-6789 c 123-45.6789 d"
        #expect(Self.scan(any, text).map(\.value) == ["123.45.6789", "123-45-6789", "123-45.6789"])
        // The dotted run is groups of 3, 2 and 4 digits that nothing joins, to a rule that allows only '-'.
        #expect(Self.scan(dashes, text).map(\.value) == ["123-45-6789"])
        #expect(Self.scan(none, text).isEmpty)
        // Cut anywhere, the same.
        for cut in 1..<text.utf8.count {
            #expect(Self.scan(dashes, text, cuts: [cut]).map(\.value) == ["123-45-6789"], "cut at \(cut)")
        }
    }

    /// A run is tried for a rule when some of its groups in a row, joined only
    /// by the rule's separators, hold as many digits as the rule's values.
    @Test func aRunHoldsAValueWhenGroupsInARowHoldItsDigits() throws {
        func holds(_ run: String, _ digits: ClosedRange<Int>, _ separators: String) throws -> Bool {
            let scanner = try Self.scanner(
                """
                rules:
                  - id: pii.n
                    severity: low
                    description: d
                    regex: '\\d+'
                    trigger: digits
                    digits: [\(digits.lowerBound), \(digits.upperBound)]
                    separators: '\(separators)'
                    remediation: r
                """)
            return Array(run.utf8).withUnsafeBytes { bytes in
                // The run as the scan reads it from its first digit pair.
                let first = bytes.firstIndex { ContentScanner.isDigit($0) }!
                guard case .run(let found, _, let groups) = scanner.digitRun(bytes.baseAddress!, count: bytes.count, at: first, final: true)
                else { return false }
                #expect(found.upperBound == bytes.count, "\(run) is one run")
                return scanner.holdsValue(groups, scanner.windows[0])
            }
        }
        #expect(try !holds("10.20.13.247", 9...9, "-"))
        #expect(try holds("10.20.13.247", 9...9, "."))
        #expect(try holds("4000 1234-5678 9010", 13...19, " -"))
        #expect(try !holds("4000 1234-5678 9010", 13...19, "-"))
        // Two values glued: the run holds 18 digits, each value 9.
        #expect(try holds("536-22-8726 536-22-8727", 9...9, "-"))
        // Groups of 10 and 3: never 9 in a row, whatever joins them.
        #expect(try !holds("1701234567.123 1701234568.456", 9...9, " ."))
        #expect(try holds("(555) 123-4567", 10...11, " -.()"))
        // `) ` holds a separator the rule does not allow: 3 | 3 + 4.
        #expect(try !holds("(555) 123-4567", 10...11, " -"))
        #expect(try holds("1 212 555 1234 99", 10...11, " "))
        #expect(try holds("123456789", 9...9, ""))
        #expect(try !holds("1234567890", 9...9, ""))
        #expect(try !holds("12/34/5678", 8...8, " -.()"))
        #expect(try holds("12/34/5678", 8...8, "/"))
    }

    /// A rule that needs a context word is not tried on a run with no letter
    /// where its words are looked for (numbers-only text); a word at the edge
    /// of its distance still counts, before the value or after it, wherever
    /// the stream is cut. A match may begin before its run (`(` of a phone
    /// number): the window before the run counts too.
    @Test func aWordAtTheEdgeOfItsDistanceStillCountsInNumbersOnlyText() throws {
        let scanner = try Self.scanner(
            """
            rules:
              - id: pii.phone-like
                severity: low
                description: (3) 3-4
                regex: '\\(\\d{3}\\) \\d{3}-\\d{4}(?!\\d)'
                trigger: digits
                digits: [10, 10]
                window: [2, 2]
                context: {words: [tel], distance: 30, effect: require}
                remediation: r
            """)
        let filler = String(repeating: "0.5;", count: 30)
        let value = "(555) 123-4567"
        for gap in 0...40 {
            let commas = String(repeating: ",", count: gap)
            // The word's three letters and the gap fit in 30 bytes of the match.
            let expected = gap + 3 <= 30 ? [value] : []
            let before = filler + "tel" + commas + value + ";" + filler
            let after = filler + value + commas + "tel;" + filler
            #expect(Self.scan(scanner, before).map(\.value) == expected, "word \(gap) bytes before")
            #expect(Self.scan(scanner, after).map(\.value) == expected, "word \(gap) bytes after")
            guard (25...32).contains(gap) else { continue }
            for cut in stride(from: 100, to: before.utf8.count - 80, by: 3) {
                #expect(Self.scan(scanner, before, cuts: [cut]).map(\.value) == expected, "before, gap \(gap), cut at \(cut)")
                #expect(Self.scan(scanner, after, cuts: [cut]).map(\.value) == expected, "after, gap \(gap), cut at \(cut)")
            }
        }
        #expect(Self.scan(scanner, filler + value + filler).isEmpty)
    }

    /// The letter test reads eight bytes at a time: each byte value, in each
    /// of the eight places, is a letter exactly when `ContextWords` says so.
    @Test func lettersAreFoundEightBytesAtATime() {
        for byte in 0...255 {
            let isLetter = ContextWords.isLetter(UInt8(byte))
            for place in 0..<8 {
                // The other bytes: a digit, and a byte just past each end of the letters.
                for other: UInt64 in [0x30, 0x40, 0x5b, 0x60, 0x7b, 0xff, 0xc1] {
                    var word: UInt64 = 0
                    for p in 0..<8 { word |= (p == place ? UInt64(byte) : other) << UInt64(8 * p) }
                    let expected: UInt64 = isLetter ? 0x80 << UInt64(8 * place) : 0
                    #expect(ContentScanner.letters(word) == expected, "byte \(byte) at \(place) among \(other)")
                }
            }
        }
    }

    /// In a run of glued values a turned-down match may have taken a group
    /// of the value after it: the search goes on from inside it.
    @Test func aRejectedMatchDoesNotHideTheValueItOverlaps() throws {
        let scanner = try Self.scanner(
            """
            rules:
              - id: pii.grouped-card
                severity: low
                description: 4-4-4-4
                regex: '(?<!\\d)\\d{4} \\d{4} \\d{4} \\d{4}(?!\\d)'
                trigger: digits
                digits: [16, 16]
                separators: ' '
                window: [1, 2]
                validator: payment-card
                remediation: r
            """)
        let text = "x 1234 4539 5787 6362 1486 y"
        #expect(Self.scan(scanner, text).map(\.value) == ["4539 5787 6362 1486"])
        for cut in 1..<text.utf8.count {
            #expect(Self.scan(scanner, text, cuts: [cut]).map(\.value) == ["4539 5787 6362 1486"], "cut at \(cut)")
        }
    }

    @Test func ruleFieldsAreChecked() throws {
        func rule(_ extra: String, trigger: Bool = true) -> String {
            """
            rules:
              - id: pii.n
                severity: low
                description: d
                regex: '\\d{9}'
            \(trigger ? "    trigger: digits\n    digits: [9, 9]\n" : "    keywords: [abc]\n")\(extra)    remediation: r
            """
        }
        func error(_ yaml: String) -> String {
            do {
                _ = try ContentRuleSet.parse(yaml, source: "f.yaml")
                return ""
            } catch { return "\(error)" }
        }
        #expect(error(rule("    separators: ' -'\n")) == "")
        #expect(error(rule("    separators: ''\n")) == "")
        // A bare `separators:` is YAML's null, not "none": a forgotten value is an error.
        #expect(error(rule("    separators:\n")).hasPrefix("f.yaml:8: field rules[0].separators: expected text, not nothing"))
        #expect(error(rule("    separators: ',-'\n")).hasPrefix("f.yaml:8: rule pii.n: separators: some of space"))
        #expect(error(rule("    separators: '-'\n", trigger: false)).hasPrefix("f.yaml:7: rule pii.n: separators: only with trigger: digits"))
        // A misspelt field is an error, not a default quietly taken.
        #expect(error(rule("    separator: '-'\n")).hasPrefix("f.yaml:8: field rules[0].separator: unknown (known: id,"))
        #expect(error(rule("    examples: {match: ['123456789'], no-match: ['x']}\n")).hasPrefix("f.yaml:8: field rules[0].examples.no-match: unknown (known: match, no_match)"))
        #expect(error(rule("    context: {words: [ssn], require: true}\n")).hasPrefix("f.yaml:8: field rules[0].context.require: unknown"))
        #expect(error(rule("    allow: {value: ['123456789']}\n")).hasPrefix("f.yaml:8: field rules[0].allow.value: unknown"))
    }
}
