// International Bank Account Numbers (ISO 13616): a registered country code, its IBAN length,
// and the ISO 7064 MOD 97-10 check digits. Written electronically ("DE89370400440532013000") or
// in groups of four ("DE89 3704 0044 0532 0130 00"); spaces are skipped, letters read in either case.

enum IBAN {
    /// The longest IBAN ISO 13616 allows.
    static let maxLength = 34

    /// Every country of the SWIFT IBAN registry (release 100, January 2025: 89 countries) with
    /// its IBAN length. Territories that use another country's IBAN (French overseas departments
    /// under FR, Åland under FI, Jersey and Guernsey under GB) have no code of their own here.
    static let registry: [(country: StaticString, length: Int)] = [
        ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22),
        ("BH", 22), ("BI", 27), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24),
        ("DE", 22), ("DJ", 27), ("DK", 18), ("DO", 28), ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18),
        ("FK", 18), ("FO", 18), ("FR", 27), ("GB", 22), ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27),
        ("GT", 28), ("HN", 28), ("HR", 21), ("HU", 28), ("IE", 22), ("IL", 23), ("IQ", 23), ("IS", 26),
        ("IT", 27), ("JO", 30), ("KW", 30), ("KZ", 20), ("LB", 28), ("LC", 32), ("LI", 21), ("LT", 20),
        ("LU", 20), ("LV", 21), ("LY", 25), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19), ("MN", 20),
        ("MR", 27), ("MT", 31), ("MU", 30), ("NI", 28), ("NL", 18), ("NO", 15), ("OM", 23), ("PK", 24),
        ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("RU", 33), ("SA", 24),
        ("SC", 31), ("SD", 18), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("SO", 23), ("ST", 25),
        ("SV", 28), ("TL", 23), ("TN", 24), ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20),
        ("YE", 30),
    ]

    /// `registry` indexed by the two letters (26 × 26 entries, 0 where no country), built once.
    private static let lengthByCountry: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 26 * 26)
        for entry in registry {
            let letters = entry.country.utf8Start
            table[index(letters[0], letters[1])] = UInt8(entry.length)
        }
        return table
    }()

    private static func index(_ first: UInt8, _ second: UInt8) -> Int {
        Int(first - UInt8(ascii: "A")) * 26 + Int(second - UInt8(ascii: "A"))
    }

    /// The registered IBAN length of a country (uppercase letters), nil when it has none.
    static func length(country first: UInt8, _ second: UInt8) -> Int? {
        guard ASCII.isLetter(first), ASCII.isLetter(second) else { return nil }
        let length = lengthByCountry[index(ASCII.uppercased(first), ASCII.uppercased(second))]
        return length == 0 ? nil : Int(length)
    }

    /// Country letters, check digits 02–98, letters and digits after them, the country's length, and
    /// MOD 97-10: the first four characters moved to the end, letters as 10 (A) to 35 (Z), the whole
    /// number mod 97 is 1. The remainder is kept as the characters are read, so any length is safe.
    static func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        var count = 0
        var head: UInt32 = 0  // the first four characters, uppercased, one a byte
        var remainder = 0
        for byte in value where byte != UInt8(ascii: " ") {
            let character = ASCII.uppercased(byte)
            switch count {
            case 0, 1: guard ASCII.isLetter(character) else { return false }
            case 2, 3: guard ASCII.isDigit(character) else { return false }
            default:
                guard ASCII.isAlphanumeric(character), count < maxLength else { return false }
                remainder = mod97(remainder, appending: character)
            }
            if count < 4 { head = head << 8 | UInt32(character) }
            count += 1
        }
        guard count > 4,
              length(country: UInt8(truncatingIfNeeded: head >> 24), UInt8(truncatingIfNeeded: head >> 16)) == count
        else { return false }
        let checkDigits = Int(UInt8(truncatingIfNeeded: head >> 8) - UInt8(ascii: "0")) * 10
            + Int(UInt8(truncatingIfNeeded: head) - UInt8(ascii: "0"))
        guard (2...98).contains(checkDigits) else { return false }
        for shift in stride(from: 24, through: 0, by: -8) {
            remainder = mod97(remainder, appending: UInt8(truncatingIfNeeded: head >> UInt32(shift)))
        }
        return remainder == 1
    }

    /// The remainder mod 97 of the number so far followed by `character` (a digit, or a letter as
    /// its two digits 10–35).
    private static func mod97(_ remainder: Int, appending character: UInt8) -> Int {
        if ASCII.isDigit(character) { return (remainder * 10 + Int(character - UInt8(ascii: "0"))) % 97 }
        return (remainder * 100 + Int(character - UInt8(ascii: "A")) + 10) % 97
    }
}
