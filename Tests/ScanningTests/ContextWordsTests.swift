import Testing

@testable import Scanning

/// Context words are looked for all at once; the answer must be the one a
/// word-by-word search gives, edges included.
@Suite struct ContextWordsTests {
    static let words: [[UInt8]] = ["ssn", "social security", "ss#", "sin", "tel", "ni", "aadhaar", "आधार", "card", "cc_num"]
        .map { Array($0.utf8) }

    /// The word-by-word search: `word` (lowercased) somewhere in `text`, no
    /// letter touching a letter at either end of it.
    static func reference(_ words: [[UInt8]], _ text: [UInt8]) -> Bool {
        func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5a ? b | 0x20 : b }
        func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a }
        return words.contains { word in
            guard word.count <= text.count else { return false }
            return (0...(text.count - word.count)).contains { i in
                (0..<word.count).allSatisfy { lower(text[i + $0]) == word[$0] }
                    && (i == 0 || !isLetter(text[i - 1]) || !isLetter(word[0]))
                    && (i + word.count == text.count || !isLetter(text[i + word.count]) || !isLetter(word[word.count - 1]))
            }
        }
    }

    static func found(_ text: String, _ words: [[UInt8]] = ContextWordsTests.words) -> Bool {
        Array(text.utf8).withUnsafeBytes { ContextWords(words).found(in: $0) }
    }

    @Test func wordsStandAlone() {
        #expect(Self.found("employee_sin: 046 454 286"))
        #expect(Self.found("{\"SSN\":\"123-45-6789\"}"))
        #expect(Self.found("Social Security no."))
        #expect(Self.found("ss#123"), "a word ending in # may touch a letter or digit")
        #expect(Self.found("आधार 2345 6789 0123"))
        #expect(!Self.found("using the lesson plan"), "sin and ssn inside words")
        #expect(!Self.found("hotel telephone"), "tel inside words")
        #expect(!Self.found("socialsecurity"), "a phrase needs its space")
        #expect(!Self.found("no words here"))
        #expect(!Self.found("ssn", []), "no words, nothing found")
    }

    @Test func agreesWithTheWordByWordSearch() {
        // Texts drawn from pieces of the words and what may touch them.
        let pieces = ["s", "S", "sn", "ssn", "SIN", "in", "n", "i", "te", "tel", "l", "so", "social", " ", "security",
                      "_", "#", "ss#", "-", "1", "x", "card", "cc_", "num", "aadhaar", "आ", "धार", "आधार", ":", "\""]
        var rng = SystemRandomNumberGenerator()
        var seed = UInt64.random(in: 0...UInt64.max, using: &rng)
        func next(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
        for round in 0..<20_000 {
            let text = Array((0..<(1 + next(8))).map { _ in pieces[next(pieces.count)] }.joined().utf8)
            let words = round % 3 == 0 ? [Self.words[next(Self.words.count)]] : Self.words
            let fast = text.withUnsafeBytes { ContextWords(words).found(in: $0) }
            #expect(fast == Self.reference(words, text), "\(String(decoding: text, as: UTF8.self)) \(words.map { String(decoding: $0, as: UTF8.self) })")
        }
    }
}
