/// A rule's context words ("ssn", "social security", "card"...), looked for
/// all at once: one pass over the text that stops only at bytes some word
/// begins with. Looking for each word in turn read the text once per word —
/// eleven passes for the payment-card rule, on every card-shaped number.
///
/// A word is found as a word of its own: ASCII letters in any case, no letter
/// right before or after it (`employee_sin` and `"ssn":` hold `sin` and `ssn`;
/// `using` and `lesson` do not). The edges count only where the word itself
/// begins or ends with a letter (`ss#` may be followed by anything).
struct ContextWords {
    /// Lowercased words, longest first within each first byte.
    private let words: [[UInt8]]
    /// Bit `b` (0...255) set when some word begins with byte `b` in either case.
    private let firsts: (UInt64, UInt64, UInt64, UInt64)
    /// Words beginning with lowercased byte `b`: `words[byFirst[b]]`.
    private let byFirst: [Range<Int>]

    var isEmpty: Bool { words.isEmpty }

    init(_ words: [[UInt8]]) {
        let sorted = words.filter { !$0.isEmpty }.sorted { ($0[0], $1.count) < ($1[0], $0.count) }
        self.words = sorted
        var bits: [UInt64] = [0, 0, 0, 0]
        var ranges = [Range<Int>](repeating: 0..<0, count: 256)
        for (i, word) in sorted.enumerated() {
            let first = Int(word[0])
            ranges[first] = ranges[first].isEmpty ? i..<(i + 1) : ranges[first].lowerBound..<(i + 1)
            for b in [first, ContextWords.isLower(word[0]) ? first - 32 : first] { bits[b >> 6] |= 1 << UInt64(b & 63) }
        }
        firsts = (bits[0], bits[1], bits[2], bits[3])
        // Most rules have no context words: no table for them.
        byFirst = sorted.isEmpty ? [] : ranges
    }

    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b &- 0x61 < 26 }
    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

    @inline(__always) private func starts(_ b: UInt8) -> Bool {
        let word: UInt64
        switch b >> 6 {
        case 0: word = firsts.0
        case 1: word = firsts.1
        case 2: word = firsts.2
        default: word = firsts.3
        }
        return word & (1 << UInt64(b & 63)) != 0
    }

    /// Whether `text` holds one of the words.
    func found(in text: UnsafeRawBufferPointer) -> Bool {
        guard !words.isEmpty else { return false }
        var i = 0
        while i < text.count {
            let b = text[i]
            if starts(b) && wordAt(i, first: ContextWords.lower(b), in: text) { return true }
            i += 1
        }
        return false
    }

    private func wordAt(_ i: Int, first: UInt8, in text: UnsafeRawBufferPointer) -> Bool {
        // A word starting with a letter needs no letter before it.
        let letterBefore = i > 0 && ContextWords.isLetter(text[i - 1])
        for w in byFirst[Int(first)] {
            let word = words[w]
            guard i + word.count <= text.count, !(letterBefore && ContextWords.isLetter(first)) else { continue }
            var j = 1
            while j < word.count && ContextWords.lower(text[i + j]) == word[j] { j += 1 }
            guard j == word.count else { continue }
            let end = i + word.count
            if end == text.count || !ContextWords.isLetter(text[end]) || !ContextWords.isLetter(word[word.count - 1]) {
                return true
            }
        }
        return false
    }
}
