// Telephone numbers: North American (NANP) numbers by their numbering-plan structure, and
// international numbers in E.164 form by their country calling code. Digits may be grouped with
// spaces, dashes, dots and parentheses ("(415) 555-2671", "+44 20 7946 0958").

/// A North American Numbering Plan number: NPA (area code), NXX (central office code), line,
/// optionally after the country code 1 ("1-415-555-2671", "+1 415 555 2671").
enum NANPNumber {
    static let separators: Separators = [.space, .dash, .dot, .parentheses]

    static func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        let international = value.first == UInt8(ascii: "+")
        let rest = international ? UnsafeRawBufferPointer(rebasing: value.dropFirst()) : value
        guard let digits = DigitGroups(rest, separators: separators) else { return false }
        switch digits.count {
        case 10 where !international: return isValid(national: digits.number)
        case 11 where digits.digit(0) == 1: return isValid(national: digits.digits(1..<11))
        default: return false
        }
    }

    /// The ten-digit number NPA-NXX-XXXX as the NANP administrator assigns them: area code and
    /// central office code start with 2–9 and are not N11 (211–911 are service codes), and
    /// 555-0100 to 555-0199 is the range set aside for fiction.
    static func isValid(national: UInt64) -> Bool {
        let area = national / 10_000_000
        let office = national / 10_000 % 1000
        let line = national % 10_000
        guard (200...999).contains(area), area % 100 != 11,
              (200...999).contains(office), office % 100 != 11
        else { return false }
        return !(office == 555 && (100...199).contains(line))
    }
}

/// An E.164 number written with its "+": 8 to 15 digits, starting with an assigned country calling
/// code. Numbers under +1 must also be valid NANP numbers.
enum E164Number {
    static let separators: Separators = [.space, .dash, .dot, .parentheses]
    static let digitCounts = 8...15

    static func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        guard value.first == UInt8(ascii: "+"),
              let digits = DigitGroups(UnsafeRawBufferPointer(rebasing: value.dropFirst()), separators: separators),
              digitCounts.contains(digits.count),
              let codeLength = callingCodeLength(digits.leading(3))
        else { return false }
        if codeLength == 1 && digits.digit(0) == 1 {  // +1: the NANP
            return digits.count == 11 && NANPNumber.isValid(national: digits.digits(1..<11))
        }
        return true
    }

    /// The length of the country calling code that begins the three digits `prefix`, nil when no
    /// assigned code does (ITU-T E.164 assignments, as listed in ITU-T Operational Bulletin annexes).
    /// The codes form a prefix code, so at most one of the 1-, 2- and 3-digit readings is assigned.
    /// Listed: every geographic code, and the international network and freephone codes (800, 808,
    /// 870, 881–883, 979); spare and withdrawn codes (e.g. 28x, 388, 671, 684, 969) are not.
    static func callingCodeLength(_ prefix: UInt64) -> Int? {
        switch prefix / 100 {
        case 1, 7: return 1  // NANP; Russia and Kazakhstan
        default: break
        }
        switch prefix / 10 {
        case 20, 27, 30...34, 36, 39, 40, 41, 43...49, 51...58, 60...66, 81, 82, 84, 86, 90...95, 98: return 2
        default: break
        }
        switch prefix {
        case 211...213, 216, 218,  // South Sudan, Morocco, Algeria, Tunisia, Libya
             220...258,  // West, Central and East Africa (259 is spare)
             260...269,  // Zambia to Comoros
             290, 291, 297...299,  // Saint Helena, Eritrea, Aruba, Faroe Islands, Greenland
             350...359,  // Gibraltar to Bulgaria
             370...383, 385...387, 389,  // Lithuania to Kosovo, Croatia, Slovenia, Bosnia, North Macedonia
             420, 421, 423,  // Czechia, Slovakia, Liechtenstein
             500...509, 590...599,  // Central America, South America and the Caribbean
             670, 672...683, 685...692,  // Oceania
             800, 808,  // international freephone, shared cost
             850, 852, 853, 855, 856,  // North Korea, Hong Kong, Macao, Cambodia, Laos
             870, 881...883,  // Inmarsat, global mobile satellite systems, international networks
             880, 886,  // Bangladesh, Taiwan
             960...968, 970...977, 979,  // Middle East; 979 international premium rate
             992...996, 998:  // Central Asia and the Caucasus
            return 3
        default:
            return nil
        }
    }
}
