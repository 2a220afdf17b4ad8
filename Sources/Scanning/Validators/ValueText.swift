// Reading a matched value as it was written: its decimal digits with the separators a check
// expects between them, and ASCII comparisons. Everything works on the bytes in place and
// allocates nothing: validators run on every regex match.

/// Bytes a check lets stand between the digits of a value
/// ("4111 1111 1111 1111", "123-45-6789", "(415) 555-2671", "415.555.2671").
struct Separators: OptionSet, Sendable {
    let rawValue: UInt8

    static let space = Separators(rawValue: 1 << 0)
    static let dash = Separators(rawValue: 1 << 1)
    static let dot = Separators(rawValue: 1 << 2)
    static let parentheses = Separators(rawValue: 1 << 3)

    /// Whether `byte` is one of these separators.
    func allows(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "): contains(.space)
        case UInt8(ascii: "-"): contains(.dash)
        case UInt8(ascii: "."): contains(.dot)
        case UInt8(ascii: "("), UInt8(ascii: ")"): contains(.parentheses)
        default: false
        }
    }
}

/// The decimal digits of a value, read in one pass: the number they spell, how many there are,
/// and the lengths of the runs between separators (so a check can insist on "123-45-6789" or
/// "123456789" and refuse "12-345-6789").
struct DigitGroups {
    /// The most digits read: any 19-digit number fits in a UInt64, and 19 is the longest card number.
    static let maxDigits = 19
    /// How many run lengths are remembered (four bits each in `runs`).
    static let maxRuns = 16

    /// The digits as a number ("0123" is 123; `count` keeps the leading zeros).
    private(set) var number: UInt64 = 0
    private(set) var count = 0
    /// Runs of digits between separators.
    private(set) var runCount = 0
    /// Run lengths, the first in the low four bits; a run of more than 15 digits reads as 15.
    private var runs: UInt64 = 0

    /// nil when a byte is neither a digit nor one of `separators`, or when there are more than
    /// `maxDigits` digits. Separators may repeat and may stand at either end ("(415) 555-2671").
    init?(_ value: UnsafeRawBufferPointer, separators: Separators) {
        var run = 0
        for byte in value {
            let digit = byte &- UInt8(ascii: "0")
            if digit < 10 {
                guard count < Self.maxDigits else { return nil }
                number = number * 10 + UInt64(digit)  // < 10^19 < 2^64 (count <= 19)
                count += 1
                run += 1
            } else if separators.allows(byte) {
                endRun(&run)
            } else {
                return nil
            }
        }
        endRun(&run)
    }

    private mutating func endRun(_ run: inout Int) {
        guard run > 0 else { return }
        if runCount < Self.maxRuns { runs |= UInt64(min(run, 15)) << (4 * runCount) }
        runCount += 1
        run = 0
    }

    /// The first `n` digits as a number (all of them when `n >= count`, 0 when `n <= 0`).
    func leading(_ n: Int) -> UInt64 {
        guard n > 0 else { return 0 }
        var value = number
        var dropped = n
        while dropped < count {
            value /= 10
            dropped += 1
        }
        return value
    }

    /// The digits at positions `range` (from the left) as a number: `digits(3..<5)` of 123456789 is 45.
    func digits(_ range: Range<Int>) -> UInt64 {
        leading(range.upperBound) % Self.power(of: range.count)
    }

    /// The digit at `index` from the left.
    func digit(_ index: Int) -> UInt64 { digits(index..<(index + 1)) }

    /// True when the value is one run of `a + b + c` digits or exactly three runs of these lengths.
    func isGrouped(_ a: Int, _ b: Int, _ c: Int) -> Bool {
        if runCount == 1 { return count == a + b + c }
        return runCount == 3 && runs == UInt64(a) | UInt64(b) << 4 | UInt64(c) << 8
    }

    /// 10^exponent (wrapping past 10^19, which no caller asks for).
    static func power(of exponent: Int) -> UInt64 {
        var value: UInt64 = 1
        for _ in 0..<max(0, exponent) { value = value &* 10 }
        return value
    }
}

/// ASCII helpers on a value's bytes.
enum ASCII {
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }
    static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- UInt8(ascii: "a") < 26 }
    static func isAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isLetter(byte) }
    static func uppercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "a") < 26 ? byte - 0x20 : byte
    }
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte + 0x20 : byte
    }
}

extension UnsafeRawBufferPointer {
    /// Whether the bytes start with `text`, exactly.
    func hasPrefix(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard self.count >= count else { return false }
        for i in 0..<count where self[i] != text.utf8Start[i] { return false }
        return true
    }

    /// Whether the bytes equal `text` (written in lowercase), ignoring ASCII case.
    func equalsIgnoringCase(_ text: StaticString) -> Bool {
        count == text.utf8CodeUnitCount && hasSuffixIgnoringCase(text)
    }

    /// Whether the bytes end with `text` (written in lowercase), ignoring ASCII case.
    func hasSuffixIgnoringCase(_ text: StaticString) -> Bool {
        let length = text.utf8CodeUnitCount
        guard count >= length else { return false }
        let start = count - length
        for i in 0..<length where ASCII.lowercased(self[start + i]) != text.utf8Start[i] { return false }
        return true
    }
}
