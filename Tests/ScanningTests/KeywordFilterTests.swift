import Testing

@testable import Scanning

/// The prefilter's fast loop (four positions per eight-byte read) against the
/// rule it implements, tested one position at a time from the keyword list.
@Suite struct KeywordFilterTests {
    static let keywords: [[UInt8]] = ["token", "abc", "xy", "@", "sk_"].map { Array($0.utf8) }

    static func folded(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    /// Whether a keyword (or a digit pair) may start at `i` of `text`, by the
    /// definition: a keyword of one or two bytes, or a digit pair, by its
    /// bytes there; a longer one by its first three bytes (its first two
    /// when the text ends after them).
    static func expected(_ text: [UInt8], at i: Int) -> Bool {
        let a = folded(text[i])
        let b = folded(text[i + 1])
        if isDigit(text[i]) && isDigit(text[i + 1]) { return true }
        for word in keywords {
            guard word[0] == a else { continue }
            if word.count == 1 { return true }
            guard word[1] == b else { continue }
            if word.count == 2 || i + 2 == text.count || word[2] == folded(text[i + 2]) { return true }
        }
        return false
    }

    @Test func theFastLoopFindsWhatOnePositionAtATimeFinds() {
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
            let want = (from..<to).first { KeywordFilterTests.expected(text, at: $0) } ?? to
            let got = text.withUnsafeBytes { filter.nextCandidate($0.baseAddress!, from: from, to: to, count: count) }
            #expect(got == want, "\(String(decoding: text, as: UTF8.self)) from \(from) to \(to)")
        }
    }
}
