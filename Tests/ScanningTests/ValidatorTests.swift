import Foundation
import Testing
import TestSupport

@testable import Scanning

// Helpers shared by the validator tests, and what holds for every validator: the names rules use,
// no trap and no acceptance on empty, huge or random input, and the invariants between checks.

extension Validator {
    /// The check on a string's UTF-8 bytes.
    func accepts(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes { accepts($0) } }
    func accepts(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { accepts($0) } }

    static func cardBrand(_ text: String) -> String? { Array(text.utf8).withUnsafeBytes { cardBrand($0) } }
}

extension JWTFacts {
    init?(_ text: String) {
        guard let facts = Array(text.utf8).withUnsafeBytes({ JWTFacts(token: $0) }) else { return nil }
        self = facts
    }
}

/// `text` with the character at `index` replaced.
func replacing(_ text: String, at index: Int, with character: Character) -> String {
    var characters = Array(text)
    characters[index] = character
    return String(characters)
}

/// `text` with the characters at `index` and `index + 1` swapped.
func swappingAdjacent(_ text: String, at index: Int) -> String {
    var characters = Array(text)
    characters.swapAt(index, index + 1)
    return String(characters)
}

/// `count` random decimal digits.
func randomDigits(_ count: Int, using generator: inout SplitMix64) -> String {
    String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
}

/// The digits 0–9 appended to `base` that `validator` accepts.
func acceptedCheckDigits(_ validator: Validator, after base: String) -> [String] {
    (0...9).map { base + String($0) }.filter { validator.accepts($0) }
}

@Suite struct ValidatorTests {
    /// The names rule files use (scan-brief "Validator API").
    @Test func namesAreTheRuleFileNames() {
        #expect(Validator.allCases.map(\.rawValue) == [
            "payment-card", "iban", "us-ssn", "aba-routing", "uk-nino", "ca-sin", "in-aadhaar", "nanp-phone",
            "e164-phone", "email", "jwt", "pem", "base62-crc32", "luhn",
        ])
    }

    @Test(arguments: Validator.allCases)
    func emptyInputIsRefused(_ validator: Validator) {
        #expect(!validator.accepts(UnsafeRawBufferPointer(start: nil, count: 0)))
        #expect(!validator.accepts(""))
    }

    /// 10 KiB of digits: refused by every check with a length (quickly, without overflow), and
    /// judged by plain Luhn the same way as a straightforward sum over all the digits.
    @Test func tenKilobytesOfDigits() {
        let digits = Array(repeating: Array("1234567890".utf8), count: 1024).flatMap { $0 }
        for validator in Validator.allCases where validator != .luhn {
            #expect(!validator.accepts(digits), "\(validator)")
        }
        var sum = 0
        for (position, byte) in digits.reversed().enumerated() {
            let digit = Int(byte - UInt8(ascii: "0"))
            sum += position % 2 == 1 ? (digit * 2 > 9 ? digit * 2 - 9 : digit * 2) : digit
        }
        #expect(Validator.luhn.accepts(digits) == (sum % 10 == 0))
        #expect(Validator.cardBrand(String(decoding: digits, as: UTF8.self)) == nil)
        #expect(JWTFacts(String(repeating: "eyJhbGciOiJub25lIn0.", count: 1000)) == nil)
    }

    /// Random values, drawn mostly from the bytes these values are made of: nothing traps, and the
    /// checks agree with each other.
    @Test func randomValuesKeepTheInvariants() {
        var generator = SplitMix64(seed: 0x5CA7_0001)
        let alphabet = Array("0123456789 -.()+@_=/AaBbCcDdEeGgHhKkNnZz\n\\:-----BEGIN PRIVATE KEY-----eyJ".utf8)
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...48, using: &generator)
            let value: [UInt8] = (0..<count).map { _ in
                Int.random(in: 0..<8, using: &generator) == 0
                    ? UInt8.random(in: 0...255, using: &generator)
                    : alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
            }
            value.withUnsafeBytes { bytes in
                for validator in Validator.allCases { _ = validator.accepts(bytes) }
                if Validator.paymentCard.accepts(bytes) {
                    #expect(Validator.cardBrand(bytes) != nil)
                    #expect(Validator.luhn.accepts(bytes))
                }
                if Validator.canadianSIN.accepts(bytes) { #expect(Validator.luhn.accepts(bytes)) }
                #expect(Validator.jwt.accepts(bytes) == (JWTFacts(token: bytes) != nil))
                let entropy = Entropy.shannon(bytes)
                #expect(entropy >= 0 && entropy <= 8)
            }
        }
    }
}
