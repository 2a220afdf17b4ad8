// National identity numbers with a structure or a check digit: US Social Security numbers,
// UK National Insurance numbers, Canadian Social Insurance numbers and Indian Aadhaar numbers.
// Each is written undivided or in its usual groups, separated by spaces or dashes.

/// US Social Security number: area-group-serial, 3-2-4 digits. The SSA never issues area 000,
/// 666 or 900–999, group 00 or serial 0000 (the same rules held before and after the 2011
/// randomization). Two numbers it voided after they were printed on sample cards and in an
/// advertisement (078-05-1120, 219-09-9999) are refused too.
enum USSocialSecurityNumber {
    static let separators: Separators = [.space, .dash]

    static func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        guard let digits = DigitGroups(value, separators: separators), digits.count == 9, digits.isGrouped(3, 2, 4)
        else { return false }
        let area = digits.digits(0..<3)
        let group = digits.digits(3..<5)
        let serial = digits.digits(5..<9)
        guard area != 0, area != 666, area < 900, group != 0, serial != 0 else { return false }
        return digits.number != 078_05_1120 && digits.number != 219_09_9999
    }
}

/// UK National Insurance number: two prefix letters, six digits, a suffix A–D ("AB 12 34 56 C").
/// HMRC's rules (National Insurance Manual NIM39110): the first letter is not D, F, I, Q, U or V;
/// the second is not D, F, I, O, Q, U or V; the prefixes BG, GB, KN, NK, NT, TN and ZZ are never
/// allocated. HMRC's own example, QQ 12 34 56 C, fails the first rule on purpose.
enum UKNationalInsuranceNumber {
    static let separators: Separators = [.space, .dash]

    static func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        var position = 0
        var prefix: UInt16 = 0
        for byte in value {
            if separators.allows(byte) { continue }
            let character = ASCII.uppercased(byte)
            switch position {
            case 0:
                guard ASCII.isLetter(character), !"DFIQUV".utf8.contains(character) else { return false }
            case 1:
                guard ASCII.isLetter(character), !"DFIOQUV".utf8.contains(character) else { return false }
            case 2...7:
                guard ASCII.isDigit(character) else { return false }
            case 8:
                guard (UInt8(ascii: "A")...UInt8(ascii: "D")).contains(character) else { return false }
            default:
                return false
            }
            if position < 2 { prefix = prefix << 8 | UInt16(character) }
            position += 1
        }
        guard position == 9 else { return false }
        switch prefix {
        case pair("BG"), pair("GB"), pair("KN"), pair("NK"), pair("NT"), pair("TN"), pair("ZZ"): return false
        default: return true
        }
    }

    private static func pair(_ letters: StaticString) -> UInt16 {
        UInt16(letters.utf8Start[0]) << 8 | UInt16(letters.utf8Start[1])
    }
}

/// Canadian Social Insurance number: nine digits (3-3-3) with a Luhn check digit. A first digit 0
/// is never assigned and 8 is used for business numbers, not people.
enum CanadianSocialInsuranceNumber {
    static let separators: Separators = [.space, .dash]

    static func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        guard let digits = DigitGroups(value, separators: separators), digits.count == 9, digits.isGrouped(3, 3, 3)
        else { return false }
        let first = digits.digit(0)
        return first != 0 && first != 8 && Luhn.accepts(value, separators: separators)
    }
}

/// Aadhaar (India): twelve digits (4-4-4), the first 2–9 (UIDAI never issues 0 or 1 there), the
/// last a Verhoeff check digit, which catches every single-digit error and every transposition of
/// adjacent digits.
enum Aadhaar {
    static let separators: Separators = [.space, .dash]

    static func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        guard let digits = DigitGroups(value, separators: separators), digits.count == 12, digits.isGrouped(4, 4, 4),
              digits.digit(0) >= 2
        else { return false }
        return Verhoeff.accepts(digits)
    }
}

/// Verhoeff's check digit (1969): multiplication in the dihedral group D5, with each digit first
/// permuted according to its position from the right.
enum Verhoeff {
    /// multiplication[10 * a + b] = a · b in D5 (0–4 the rotations, 5–9 the reflections).
    static let multiplication: [UInt8] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
        1, 2, 3, 4, 0, 6, 7, 8, 9, 5,
        2, 3, 4, 0, 1, 7, 8, 9, 5, 6,
        3, 4, 0, 1, 2, 8, 9, 5, 6, 7,
        4, 0, 1, 2, 3, 9, 5, 6, 7, 8,
        5, 9, 8, 7, 6, 0, 4, 3, 2, 1,
        6, 5, 9, 8, 7, 1, 0, 4, 3, 2,
        7, 6, 5, 9, 8, 2, 1, 0, 4, 3,
        8, 7, 6, 5, 9, 3, 2, 1, 0, 4,
        9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
    ]
    /// permutation[10 * i + d]: the permutation (0 1 5 8 9 4 2 7)(3 6) applied i times to d (i = 0–7;
    /// the position from the right, mod 8).
    static let permutation: [UInt8] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
        1, 5, 7, 6, 2, 8, 3, 0, 9, 4,
        5, 8, 0, 3, 7, 9, 6, 1, 4, 2,
        8, 9, 1, 6, 0, 4, 3, 5, 2, 7,
        9, 4, 5, 3, 1, 2, 6, 8, 7, 0,
        4, 2, 8, 6, 5, 7, 3, 9, 0, 1,
        2, 7, 9, 3, 8, 0, 6, 4, 1, 5,
        7, 0, 4, 6, 9, 1, 3, 2, 5, 8,
    ]

    /// Whether the digits, check digit last, fold to 0.
    static func accepts(_ digits: DigitGroups) -> Bool {
        var check = 0
        var rest = digits.number
        for position in 0..<digits.count {
            let digit = Int(rest % 10)
            rest /= 10
            check = Int(multiplication[10 * check + Int(permutation[10 * (position % 8) + digit])])
        }
        return check == 0
    }
}
