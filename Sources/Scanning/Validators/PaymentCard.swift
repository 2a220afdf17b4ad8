// Payment card numbers (ISO/IEC 7812 primary account numbers): the Luhn check digit, then an
// issuer prefix and a length that brand issues. Digit groups may be separated by spaces or dashes
// ("4111 1111 1111 1111", "3782-822463-10005").

/// The Luhn (mod 10) check digit of ISO/IEC 7812-1 annex B, also used by Canadian SINs and many IDs.
enum Luhn {
    /// Whether the digits of `value`, read right to left with `separators` skipped, pass the check:
    /// every second digit from the right doubled (minus 9 when over 9), the sum a multiple of 10.
    /// False for any other byte or fewer than two digits. Any length; the running sum stays mod 10.
    static func accepts(_ value: UnsafeRawBufferPointer, separators: Separators) -> Bool {
        var sum = 0
        var digits = 0
        var index = value.count
        while index > 0 {
            index -= 1
            let byte = value[index]
            guard ASCII.isDigit(byte) else {
                if separators.allows(byte) { continue }
                return false
            }
            var digit = Int(byte - UInt8(ascii: "0"))
            if digits & 1 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum = (sum + digit) % 10
            digits += 1
        }
        return digits >= 2 && sum == 0
    }
}

enum PaymentCard {
    /// Separators between digit groups.
    static let separators: Separators = [.space, .dash]
    /// The shortest and longest numbers of any brand (Maestro issues 12 digits, several brands 19).
    static let lengths = 12...19

    /// One issuer range: numbers whose first `prefixDigits` digits lie in `prefixes`, issued with
    /// one of `lengths` digits.
    struct IssuerRange: Sendable {
        let brand: String
        let prefixes: ClosedRange<UInt64>
        let prefixDigits: Int
        let lengths: [Int]

        init(_ brand: String, _ prefixes: ClosedRange<UInt64>, lengths: [Int]) {
            self.brand = brand
            self.prefixes = prefixes
            self.prefixDigits = String(prefixes.lowerBound).count
            precondition(prefixDigits <= 4, "brand(of:) reads four digits")
            self.lengths = lengths
        }
    }

    /// Issuer prefixes (IINs) and lengths as the networks publish them; the ranges do not overlap.
    /// Discover also accepts UnionPay's 622126–622925 on its network: those read as unionpay.
    static let issuers: [IssuerRange] = [
        // Visa: 4, 16 digits (13 for old cards, 19 for some debit).
        IssuerRange("visa", 4...4, lengths: [13, 16, 19]),
        // Mastercard: 51–55 and, since 2017, 2221–2720; always 16.
        IssuerRange("mastercard", 51...55, lengths: [16]),
        IssuerRange("mastercard", 2221...2720, lengths: [16]),
        // American Express: 34 and 37, 15 digits.
        IssuerRange("amex", 34...34, lengths: [15]),
        IssuerRange("amex", 37...37, lengths: [15]),
        // Discover: 6011, 644–649, 65; 16 to 19.
        IssuerRange("discover", 6011...6011, lengths: Array(16...19)),
        IssuerRange("discover", 644...649, lengths: Array(16...19)),
        IssuerRange("discover", 65...65, lengths: Array(16...19)),
        // Diners Club International: 300–305, 3095, 36, 38–39; 14 (the original length) to 19.
        IssuerRange("diners", 300...305, lengths: Array(14...19)),
        IssuerRange("diners", 3095...3095, lengths: Array(14...19)),
        IssuerRange("diners", 36...36, lengths: Array(14...19)),
        IssuerRange("diners", 38...39, lengths: Array(14...19)),
        // JCB: 3528–3589, 16 to 19.
        IssuerRange("jcb", 3528...3589, lengths: Array(16...19)),
        // UnionPay: 62 and 8100–8171, 16 to 19.
        IssuerRange("unionpay", 62...62, lengths: Array(16...19)),
        IssuerRange("unionpay", 8100...8171, lengths: Array(16...19)),
        // Maestro: its own IINs, 12 to 19 digits.
        IssuerRange("maestro", 5018...5018, lengths: Array(12...19)),
        IssuerRange("maestro", 5020...5020, lengths: Array(12...19)),
        IssuerRange("maestro", 5038...5038, lengths: Array(12...19)),
        IssuerRange("maestro", 5893...5893, lengths: Array(12...19)),
        IssuerRange("maestro", 6304...6304, lengths: Array(12...19)),
        IssuerRange("maestro", 6759...6759, lengths: Array(12...19)),
        IssuerRange("maestro", 6761...6763, lengths: Array(12...19)),
        // Mir (Russia): 2200–2204, 16 to 19.
        IssuerRange("mir", 2200...2204, lengths: Array(16...19)),
    ]

    /// A Luhn-valid number with a brand's prefix and length.
    static func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        // The check digit first: it turns down nine numbers in ten (timestamps
        // in metrics text are card-length) for less than the brand lookup costs.
        guard Luhn.accepts(value, separators: separators), let digits = DigitGroups(value, separators: separators) else { return false }
        return brand(of: digits) != nil
    }

    /// The brand whose prefix and length the digits have (the check digit is not looked at).
    static func brand(of digits: DigitGroups) -> String? {
        guard lengths.contains(digits.count) else { return nil }
        // Every prefix has four digits or fewer: the first four, read once (each
        // `leading` divides once per digit dropped; per issuer, that was most of
        // the cost of a card-length timestamp in metrics text).
        let four = digits.leading(4)
        for issuer in issuers
        where issuer.prefixes.contains(four / DigitGroups.power(of: 4 - issuer.prefixDigits)) && issuer.lengths.contains(digits.count) {
            return issuer.brand
        }
        return nil
    }
}
