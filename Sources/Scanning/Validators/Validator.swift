/// A check a rule runs on the value its regex matched. Each runs on the bytes as matched,
/// separators included ("4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "(415) 555-2671"),
/// skips the separators its kind of value is written with, and refuses any other byte. None traps
/// on any input; all but `jwt` allocate nothing (in optimized builds; measured).
public enum Validator: String, CaseIterable, Sendable {
    case paymentCard = "payment-card"
    case iban = "iban"
    case usSSN = "us-ssn"
    case abaRouting = "aba-routing"
    case ukNINO = "uk-nino"
    case canadianSIN = "ca-sin"
    case aadhaar = "in-aadhaar"
    case nanpPhone = "nanp-phone"
    case e164Phone = "e164-phone"
    case email = "email"
    case jwt = "jwt"
    case pem = "pem"
    case base62CRC32 = "base62-crc32"
    case luhn = "luhn"

    /// Runs the check on the value's bytes (the rule's capture group, as matched).
    public func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .paymentCard: PaymentCard.accepts(value)
        case .iban: IBAN.accepts(value)
        case .usSSN: USSocialSecurityNumber.accepts(value)
        case .abaRouting: ABARoutingNumber.accepts(value)
        case .ukNINO: UKNationalInsuranceNumber.accepts(value)
        case .canadianSIN: CanadianSocialInsuranceNumber.accepts(value)
        case .aadhaar: Aadhaar.accepts(value)
        case .nanpPhone: NANPNumber.accepts(value)
        case .e164Phone: E164Number.accepts(value)
        case .email: EmailAddress.accepts(value)
        case .jwt: JWTFacts(token: value) != nil
        case .pem: PEMPrivateKey.accepts(value)
        case .base62CRC32: Base62CRC32Token.accepts(value)
        case .luhn: Luhn.accepts(value, separators: PaymentCard.separators)
        }
    }

    /// The card brand of a value `paymentCard` accepts ("visa", "mastercard", "amex", "discover",
    /// "diners", "jcb", "unionpay", "maestro", "mir"): the issuer range its prefix and length fall
    /// in, whether or not the check digit is right. nil when none does.
    public static func cardBrand(_ value: UnsafeRawBufferPointer) -> String? {
        guard let digits = DigitGroups(value, separators: PaymentCard.separators) else { return nil }
        return PaymentCard.brand(of: digits)
    }
}
