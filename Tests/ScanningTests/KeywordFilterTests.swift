import Testing

@testable import Scanning

/// The prefilter against the keyword list, position by position: it never
/// skips a keyword's start, and stops short of one only where the pair test
/// it is built on passes.
@Suite struct KeywordFilterTests {
    static let keywords: [[UInt8]] = ["token", "abc", "xy", "@", "sk_"].map { Array($0.utf8) }

    static func folded(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    /// The pair test: whether a keyword (or a digit pair) may start at `i`
    /// of `text` by its first two bytes and a long keyword's second and third
    /// (its first two when the text ends after them).
    static func passesPairTest(_ text: [UInt8], at i: Int) -> Bool {
        let a = folded(text[i])
        let b = folded(text[i + 1])
        if isDigit(text[i]) && isDigit(text[i + 1]) { return true }
        for word in keywords where word[0] == a {
            if word.count == 1 { return true }
            guard word[1] == b else { continue }
            if word.count == 2 || i + 2 == text.count { return true }
            let c = folded(text[i + 2])
            if keywords.contains(where: { $0.count >= 3 && $0[1] == b && $0[2] == c }) { return true }
        }
        return false
    }

    /// Whether a keyword really starts at `i` (as far as the text goes), or a digit pair.
    static func starts(_ text: [UInt8], at i: Int) -> Bool {
        if isDigit(text[i]) && isDigit(text[i + 1]) { return true }
        return keywords.contains { word in
            zip(word, text[i...]).allSatisfy { $0 == folded($1) }
        }
    }

    @Test func neverSkipsAKeywordAndStopsOnlyWhereThePairTestPasses() {
        let filter = KeywordFilter(keywords: KeywordFilterTests.keywords, digits: true)
        // Bytes that make keywords, their near misses, digits and filler.
        let alphabet = Array("toKENabcxy@sk_9 -Xz".utf8)
        var seed: UInt64 = 7  // the same texts every run
        func below(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
        for _ in 0..<3000 {
            let count = 2 + below(40)
            let text = (0..<count).map { _ in alphabet[below(alphabet.count)] }
            let from = below(count - 1)
            let to = from + below(count - from)
            let start = (from..<to).first { KeywordFilterTests.starts(text, at: $0) } ?? to
            let got = text.withUnsafeBytes { filter.nextCandidate($0.baseAddress!, from: from, to: to, count: count) }
            // Never past a keyword; short of one only at a position the pair test passes.
            #expect(got == start || (got < start && KeywordFilterTests.passesPairTest(text, at: got)),
                "\(String(decoding: text, as: UTF8.self)) from \(from) to \(to): \(got), not \(start)")
        }
    }
}
