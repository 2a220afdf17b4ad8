import Foundation
import Testing

@testable import Scanning

/// The prefilter against its keyword list, position by position: it never
/// skips a keyword's start, and stops short of one only where the pair test
/// it is built on passes.
@Suite struct KeywordFilterTests {
    /// Lowercased, as rules give them.
    let keywords: [[UInt8]]
    let filter: KeywordFilter

    init(_ keywords: [[UInt8]]) {
        self.keywords = keywords
        filter = KeywordFilter(keywords: keywords, digits: true)
    }

    init() { self.init(["token", "abc", "xy", "@", "sk_"].map { Array($0.utf8) }) }

    static func folded(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    /// A digit pair that may begin a run: a digit or a separator after it,
    /// or the text ends there (more may come).
    static func digitPairStarts(_ text: [UInt8], at i: Int) -> Bool {
        guard isDigit(text[i]) && isDigit(text[i + 1]) else { return false }
        return i + 2 == text.count || isDigit(text[i + 2]) || " -.()/".utf8.contains(text[i + 2])
    }

    /// The pair test: whether a keyword (or a digit pair) may start at `i`
    /// of `text` by its first two bytes and a long keyword's second and third
    /// (its first two when the text ends after them).
    func passesPairTest(_ text: [UInt8], at i: Int) -> Bool {
        let a = Self.folded(text[i])
        let b = Self.folded(text[i + 1])
        if Self.digitPairStarts(text, at: i) { return true }
        for word in keywords where word[0] == a {
            if word.count == 1 { return true }
            guard word[1] == b else { continue }
            if word.count == 2 || i + 2 == text.count { return true }
            let c = Self.folded(text[i + 2])
            if keywords.contains(where: { $0.count >= 3 && $0[1] == b && $0[2] == c }) { return true }
        }
        return false
    }

    /// Whether a keyword really starts at `i` (as far as the text goes), or a digit pair that may begin a run.
    func starts(_ text: [UInt8], at i: Int) -> Bool {
        if Self.digitPairStarts(text, at: i) { return true }
        return keywords.contains { word in
            zip(word, text[i...]).allSatisfy { $0 == Self.folded($1) }
        }
    }

    /// Checks `nextCandidate` on `text` from `from` to `to`; `startsAt`: `starts` at each position, if known.
    func check(_ text: [UInt8], from: Int, to: Int, startsAt: [Bool]? = nil) {
        let start = (from..<to).first { startsAt?[$0] ?? starts(text, at: $0) } ?? to
        let got = text.withUnsafeBytes { filter.nextCandidate($0.baseAddress!, from: from, to: to, count: text.count) }
        // Never past a keyword; short of one only at a position the pair test passes.
        #expect(got == start || (got < start && passesPairTest(text, at: got)),
            "\(text) from \(from) to \(to): \(got), not \(start)")
    }

    /// A generator of the same numbers every run.
    struct Numbers {
        var seed: UInt64
        mutating func below(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
    }

    /// A digit pair is a candidate when a digit or a separator follows it
    /// (or the region ends after it): lone two-digit numbers are passed over.
    @Test func digitPairsNeedADigitOrSeparatorAfter() {
        let filter = KeywordFilter(keywords: [], digits: true)
        /// The first candidate, nil for none (`nextCandidate` then returns `to`).
        func first(_ text: String) -> Int? {
            let bytes = Array(text.utf8)
            let to = bytes.count - 1
            let found = bytes.withUnsafeBytes { filter.nextCandidate($0.baseAddress!, from: 0, to: to, count: bytes.count) }
            return found == to ? nil : found
        }
        #expect(first(#"{"page":12,"at":"09:30","n":7}"#) == nil)
        #expect(first(#"{"page":12,"id":4821}"#) == 16)
        #expect(first("call 41 555-0100 now") == 5, "41 and a space: a run may go on")
        #expect(first("v 3.12.7 done") == 4, "12 and a dot")
        #expect(first("total 12!") == nil)
        #expect(Array("total 12".utf8).withUnsafeBytes { filter.nextCandidate($0.baseAddress!, from: 0, to: 8, count: 8) } == 6,
                "the region's last pair: more may come")
        #expect(first("12x 34y 5678") == 8)
    }

    @Test func neverSkipsAKeywordAndStopsOnlyWhereThePairTestPasses() {
        // Bytes that make keywords, their near misses, digits and filler.
        let alphabet = Array("toKENabcxy@sk_9 -Xz".utf8)
        var numbers = Numbers(seed: 7)
        for _ in 0..<3000 {
            let count = 2 + numbers.below(40)
            let text = (0..<count).map { _ in alphabet[numbers.below(alphabet.count)] }
            let from = numbers.below(count - 1)
            check(text, from: from, to: from + numbers.below(count - from))
        }
    }

    /// The built-in rules' keywords (`Patterns/content`), in texts made of
    /// their pieces in either case, random bytes and the bytes the case fold
    /// could confuse (`_` and DEL, `@` and a backquote).
    @Test func withTheBuiltInKeywords() throws {
        let patterns = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Patterns")
        let rules = try ContentRuleSet.load(patterns: patterns).rules
        var keywords: [[UInt8]] = []
        for word in rules.flatMap(\.trigger.keywords) where !keywords.contains(word) { keywords.append(word) }
        #expect(keywords.count > 100)
        let tests = KeywordFilterTests(keywords)
        let filler = Array("aZ09_-:/.@ \u{7f}`{[?".utf8)
        var numbers = Numbers(seed: 11)
        for _ in 0..<600 {
            var text: [UInt8] = []
            let length = 2 + numbers.below(30)
            while text.count < length {
                switch numbers.below(4) {
                case 0:
                    let word = keywords[numbers.below(keywords.count)]
                    let cut = numbers.below(3) == 0 ? 1 + numbers.below(word.count) : word.count
                    for b in word.prefix(cut) { text.append(b &- 0x61 < 26 && numbers.below(2) == 0 ? b - 32 : b) }
                case 1: text.append(UInt8(numbers.below(256)))
                default: text.append(filler[numbers.below(filler.count)])
                }
            }
            let startsAt = (0..<(text.count - 1)).map { tests.starts(text, at: $0) }
            for from in 0..<(text.count - 1) { tests.check(text, from: from, to: text.count - 1, startsAt: startsAt) }
            let from = numbers.below(text.count - 1)
            tests.check(text, from: from, to: from + numbers.below(text.count - from), startsAt: startsAt)
        }
    }
}
