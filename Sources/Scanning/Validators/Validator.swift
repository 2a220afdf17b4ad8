import Foundation

/// A check a rule runs on the value its regex matched.
/// (Interim: the checks themselves land with the validators' own files.)
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

    /// Runs the check on the value's bytes.
    public func accepts(_ value: UnsafeRawBufferPointer) -> Bool { !value.isEmpty }

    public static func cardBrand(_ value: UnsafeRawBufferPointer) -> String? { nil }
}

public enum Entropy {
    /// Shannon entropy of the bytes, bits per byte.
    public static func shannon(_ bytes: UnsafeRawBufferPointer) -> Double {
        guard !bytes.isEmpty else { return 0 }
        var counts = [Int](repeating: 0, count: 256)
        for b in bytes { counts[Int(b)] += 1 }
        let n = Double(bytes.count)
        var h = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / n
            h -= p * log2(p)
        }
        return h
    }
}

/// What a JWT says about itself (interim until the JWT validator lands).
public struct JWTFacts: Sendable, Equatable {
    public var algorithm: String?
    public var issuer: String?
    public var lifetime: Int64?
    public init?(token: UnsafeRawBufferPointer) { return nil }
}
