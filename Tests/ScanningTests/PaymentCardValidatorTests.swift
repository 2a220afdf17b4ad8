import Testing
import TestSupport

@testable import Scanning

@Suite struct PaymentCardValidatorTests {
    /// Test card numbers the payment processors publish for their sandboxes (Luhn-valid, never issued).
    @Test(arguments: [
        ("4111111111111111", "visa"), ("4242424242424242", "visa"), ("4222222222222", "visa"),
        ("4000056655665556", "visa"), ("5555555555554444", "mastercard"), ("5200828282828210", "mastercard"),
        ("2223003122003222", "mastercard"), ("378282246310005", "amex"), ("371449635398431", "amex"),
        ("6011111111111117", "discover"), ("6011000990139424", "discover"), ("3056930009020004", "diners"),
        ("36227206271667", "diners"), ("3566002020360505", "jcb"), ("6200000000000005", "unionpay"),
        ("6759649826438453", "maestro"),
    ])
    func publishedTestNumbersAreAccepted(_ number: String, _ brand: String) {
        #expect(Validator.paymentCard.accepts(number))
        #expect(Validator.cardBrand(number) == brand)
        #expect(Validator.luhn.accepts(number))
    }

    @Test func groupsMaySeparateWithSpacesOrDashes() {
        #expect(Validator.paymentCard.accepts("4111 1111 1111 1111"))
        #expect(Validator.paymentCard.accepts("4111-1111-1111-1111"))
        #expect(Validator.paymentCard.accepts("3782 822463 10005"))
        #expect(Validator.cardBrand("3782 822463 10005") == "amex")
        #expect(!Validator.paymentCard.accepts("4111.1111.1111.1111"))
        #expect(!Validator.paymentCard.accepts("4111*1111*1111*1111"))
        #expect(!Validator.paymentCard.accepts("4111 1111 1111 111a"))
        #expect(!Validator.paymentCard.accepts("4111 1111 1111 1111\n"))
    }

    /// For each issuer range: random numbers with its prefix and each of its lengths have exactly one
    /// check digit the validator accepts, and get the range's brand.
    @Test func everyIssuerRangeAcceptsExactlyOneCheckDigit() {
        var generator = SplitMix64(seed: 7812)
        for issuer in PaymentCard.issuers {
            for length in issuer.lengths {
                for prefix in [issuer.prefixes.lowerBound, issuer.prefixes.upperBound] {
                    let base = String(prefix) + randomDigits(length - issuer.prefixDigits - 1, using: &generator)
                    let accepted = acceptedCheckDigits(.paymentCard, after: base)
                    #expect(accepted.count == 1, "\(issuer.brand) \(base)")
                    for number in accepted { #expect(Validator.cardBrand(number) == issuer.brand) }
                }
            }
        }
    }

    /// Luhn catches every single-digit error and every swap of adjacent digits other than 09 ↔ 90.
    @Test func changedAndTransposedDigitsAreRefused() {
        let numbers = ["4111111111111111", "5555555555554444", "378282246310005", "6011000990139424", "3566002020360505"]
        for number in numbers {
            for index in 0..<number.count {
                for digit in "0123456789" where digit != Array(number)[index] {
                    #expect(!Validator.paymentCard.accepts(replacing(number, at: index, with: digit)))
                }
            }
            let characters = Array(number)
            for index in 0..<(number.count - 1) where characters[index] != characters[index + 1] {
                let pair = String(characters[index...index + 1])
                guard pair != "09" && pair != "90" else { continue }
                #expect(!Validator.paymentCard.accepts(swappingAdjacent(number, at: index)), "\(number) at \(index)")
            }
        }
    }

    /// Luhn-valid numbers with a brand's prefix but a length it does not issue, or no brand's prefix.
    @Test func wrongLengthsAndUnknownPrefixesAreRefused() {
        var generator = SplitMix64(seed: 2221)
        let cases: [(prefix: String, length: Int)] = [
            ("37", 16), ("34", 14), ("4", 15), ("4", 17), ("51", 15), ("55", 19), ("2221", 18), ("6011", 15),
            ("3528", 15), ("62", 15), ("5018", 11), ("5018", 20), ("1", 16), ("9", 16), ("0", 16), ("2721", 16),
            ("2220", 16), ("306", 16), ("3590", 16),
        ]
        for (prefix, length) in cases {
            let base = prefix + randomDigits(length - prefix.count - 1, using: &generator)
            #expect(acceptedCheckDigits(.paymentCard, after: base).isEmpty, "\(prefix) × \(length)")
            #expect(acceptedCheckDigits(.luhn, after: base).count == 1)
        }
        #expect(!Validator.paymentCard.accepts("0000 0000 0000 0000"))
    }

    /// Mastercard's 2-series runs from 2221 to 2720 inclusive.
    @Test func mastercardTwoSeriesBounds() {
        #expect(Validator.cardBrand("2221000000000000") == "mastercard")
        #expect(Validator.cardBrand("2720999999999999") == "mastercard")
        #expect(Validator.cardBrand("2220999999999999") == nil)
        #expect(Validator.cardBrand("2721000000000000") == nil)
        #expect(Validator.cardBrand("2200700000000009") == "mir")
    }

    /// Plain Luhn: the worked example of ISO/IEC 7812-1 annex B style descriptions (79927398713).
    @Test func plainLuhn() {
        #expect(Validator.luhn.accepts("79927398713"))
        #expect(Validator.luhn.accepts("7992-7398 713"))
        #expect(!Validator.luhn.accepts("79927398710"))
        #expect(!Validator.luhn.accepts("0"))
        #expect(!Validator.luhn.accepts("7992739871x3"))
        #expect(Validator.luhn.accepts("00"))
    }
}
