import Testing

@testable import Scanning

/// The `\uXXXX` escape both JSON readers use (the JWT's strict one, NATS's lenient one).
@Suite struct JSONEscapeTests {
    /// The escape at `k` of `text` (`k` just after `\u`).
    func scalar(_ text: String, at k: Int = 2) -> (value: UInt32, length: Int)? {
        Array(text.utf8).withUnsafeBytes { JSONEscape.unicodeScalar($0, at: k) }
    }

    @Test func fourHexDigitsInEitherCase() {
        #expect(scalar(#"\u0041"#)! == (0x41, 4))
        #expect(scalar(#"\u00e9"#)! == (0xe9, 4))
        #expect(scalar(#"\uABcd"#)! == (0xabcd, 4))
    }

    @Test func notFourHexDigitsIsNil() {
        #expect(scalar(#"\u12"#) == nil, "cut short")
        #expect(scalar(#"\u12g4"#) == nil)
        #expect(scalar(#"\u-123"#) == nil)
        #expect(scalar("", at: 0) == nil)
    }

    /// U+1F600 is `\ud83d\ude00`: both escapes are read, ten bytes.
    @Test func highThenLowSurrogateIsOneCodePoint() {
        #expect(scalar(#"\ud83d\ude00!"#)! == (0x1f600, 10))
        #expect(scalar(#"\uD83D\uDE00"#)! == (0x1f600, 10))
    }

    /// A surrogate that is not half of a pair comes back alone, marked as one.
    @Test func loneSurrogatesAreReturnedAsSuch() {
        for text in [#"\ud83d"#, #"\ud83d\u0041"#, #"\ud83d\ude0"#, #"\ud83dx\ude00"#, #"\ude00"#] {
            let read = scalar(text)
            #expect(read?.length == 4, "\(text)")
            #expect(read.map { JSONEscape.isSurrogate($0.value) } == true, "\(text)")
        }
        #expect(!JSONEscape.isSurrogate(0xd7ff) && !JSONEscape.isSurrogate(0xe000))
    }

    @Test func oneCharacterEscapes() {
        let pairs: [(Character, UInt8)] = [("\"", 0x22), ("\\", 0x5c), ("/", 0x2f), ("b", 8), ("f", 12), ("n", 10), ("r", 13), ("t", 9)]
        for (escape, byte) in pairs {
            #expect(JSONEscape.byte(forEscape: escape.asciiValue!) == byte, "\\\(escape)")
        }
        for other in "uxa0'U" { #expect(JSONEscape.byte(forEscape: other.asciiValue!) == nil, "\\\(other)") }
    }

    @Test func utf8OfEachLength() {
        for (value, expected) in [(0x41, "A"), (0xe9, "é"), (0x20ac, "€"), (0x1f600, "😀")] as [(UInt32, String)] {
            var out: [UInt8] = []
            JSONEscape.appendUTF8(value, to: &out)
            #expect(out == Array(expected.utf8))
        }
    }

    /// WTF-8: the lenient reader reports a lone surrogate's bytes as they came.
    @Test func loneSurrogateIsWrittenAsThreeBytes() {
        var out: [UInt8] = []
        JSONEscape.appendUTF8(0xd800, to: &out)
        #expect(out == [0xed, 0xa0, 0x80])
    }
}
