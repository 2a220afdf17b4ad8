import Testing
import TestSupport

@testable import Scanning

@Suite struct NationalIDValidatorTests {
    // MARK: US Social Security numbers

    @Test func ssnWithOrWithoutSeparators() {
        #expect(Validator.usSSN.accepts("536-22-8145"))
        #expect(Validator.usSSN.accepts("536228145"))
        #expect(Validator.usSSN.accepts("536 22 8145"))
        #expect(Validator.usSSN.accepts("899-99-9999"))
        #expect(Validator.usSSN.accepts("001-01-0001"))
    }

    /// SSA: no area 000, 666 or 900–999, no group 00, no serial 0000.
    @Test(arguments: ["000-12-3456", "666-12-3456", "900-12-3456", "999-99-9999", "536-00-8145", "536-22-0000"])
    func ssnNeverIssuedRangesAreRefused(_ ssn: String) {
        #expect(!Validator.usSSN.accepts(ssn))
    }

    @Test func ssnVoidedSampleNumbersAreRefused() {
        #expect(!Validator.usSSN.accepts("078-05-1120"))
        #expect(!Validator.usSSN.accepts("219-09-9999"))
    }

    @Test(arguments: ["53-622-8145", "5362-2-8145", "536-22-814", "536-22-81455", "536_22_8145", "536-22-814a", "536--228145x"])
    func ssnOtherShapesAreRefused(_ value: String) {
        #expect(!Validator.usSSN.accepts(value))
    }

    // MARK: UK National Insurance numbers

    @Test(arguments: ["AB 12 34 56 C", "AB123456C", "JG 10 37 55 A", "ZY-99-00-01-D", "ab 12 34 56 c", "OA123456B"])
    func ninoAccepted(_ nino: String) {
        #expect(Validator.ukNINO.accepts(nino))
    }

    /// HMRC's own example fails on purpose (Q is never a first letter), as do the unallocated prefixes.
    @Test(arguments: ["QQ 12 34 56 C", "BG 12 34 56 C", "GB 12 34 56 C", "KN 12 34 56 C", "NK 12 34 56 C",
                      "NT 12 34 56 C", "TN 12 34 56 C", "ZZ 12 34 56 C"])
    func ninoForbiddenPrefixesAreRefused(_ nino: String) {
        #expect(!Validator.ukNINO.accepts(nino))
    }

    @Test func ninoLetterRules() {
        for letter in "DFIQUV" { #expect(!Validator.ukNINO.accepts("\(letter)A123456C")) }
        for letter in "DFIOQUV" { #expect(!Validator.ukNINO.accepts("A\(letter)123456C")) }
        for suffix in "ABCD" { #expect(Validator.ukNINO.accepts("AB123456\(suffix)")) }
        for suffix in "EFZ1 " { #expect(!Validator.ukNINO.accepts("AB123456\(suffix)")) }
        #expect(!Validator.ukNINO.accepts("AB123456"))
        #expect(!Validator.ukNINO.accepts("AB12345C"))
        #expect(!Validator.ukNINO.accepts("AB1234567C"))
        #expect(!Validator.ukNINO.accepts("A1123456C"))
        #expect(!Validator.ukNINO.accepts("AB123456CD"))
        #expect(!Validator.ukNINO.accepts("AB.12.34.56.C"))
    }

    // MARK: Canadian Social Insurance numbers

    @Test(arguments: ["130 692 544", "130-692-544", "130692544", "271 483 463", "999 999 998"])
    func sinAccepted(_ sin: String) {
        #expect(Validator.canadianSIN.accepts(sin))
    }

    /// 046 454 286 passes Luhn (it is the example used to explain the check) but 0 is never a first
    /// digit; 8 starts business numbers.
    @Test func sinFirstDigitZeroOrEightIsRefused() {
        #expect(Validator.luhn.accepts("046 454 286"))
        #expect(!Validator.canadianSIN.accepts("046 454 286"))
        #expect(Validator.luhn.accepts("800 000 002"))
        #expect(!Validator.canadianSIN.accepts("800 000 002"))
    }

    @Test func sinChangedDigitsAndOtherShapesAreRefused() {
        let sin = "130692544"
        for index in 0..<sin.count {
            let changed = Array(sin)[index] == "5" ? "6" : "5" as Character
            #expect(!Validator.canadianSIN.accepts(replacing(sin, at: index, with: changed)))
        }
        #expect(!Validator.canadianSIN.accepts("1306 925 44"))
        #expect(!Validator.canadianSIN.accepts("13069254"))
        #expect(!Validator.canadianSIN.accepts("130 692 544 1"))
    }

    // MARK: Aadhaar

    @Test(arguments: ["2341 2341 2346", "234123412346", "4987-6543-2102", "987654321012", "5123 4098 7656"])
    func aadhaarAccepted(_ number: String) {
        #expect(Validator.aadhaar.accepts(number))
    }

    /// The Verhoeff check digit of 236 is 3 (Verhoeff's worked example as usually quoted).
    @Test func verhoeffWorkedExample() {
        let digits = Array("2363".utf8).withUnsafeBytes { DigitGroups($0, separators: []) }
        #expect(digits.map(Verhoeff.accepts) == true)
        let wrong = Array("2364".utf8).withUnsafeBytes { DigitGroups($0, separators: []) }
        #expect(wrong.map(Verhoeff.accepts) == false)
    }

    /// Random twelve-digit numbers: exactly one check digit fits; every single-digit change and every
    /// swap of two different adjacent digits is refused (Verhoeff catches both, unlike Luhn's 09/90).
    @Test func aadhaarCatchesSubstitutionsAndTranspositions() {
        var generator = SplitMix64(seed: 12)
        for _ in 0..<200 {
            let base = String(Int.random(in: 2...9, using: &generator)) + randomDigits(10, using: &generator)
            let accepted = acceptedCheckDigits(.aadhaar, after: base)
            #expect(accepted.count == 1)
            guard let number = accepted.first else { continue }
            let characters = Array(number)
            for index in 1..<12 {
                for digit in "0123456789" where digit != characters[index] {
                    #expect(!Validator.aadhaar.accepts(replacing(number, at: index, with: digit)))
                }
            }
            for index in 1..<11 where characters[index] != characters[index + 1] {
                #expect(!Validator.aadhaar.accepts(swappingAdjacent(number, at: index)), "\(number) at \(index)")
            }
        }
    }

    @Test func aadhaarFirstDigitZeroOrOneAndOtherShapesAreRefused() {
        var generator = SplitMix64(seed: 1)
        for first in ["0", "1"] {
            let base = first + randomDigits(10, using: &generator)
            #expect(acceptedCheckDigits(.aadhaar, after: base).isEmpty)
        }
        #expect(!Validator.aadhaar.accepts("234 123 412 346"))
        #expect(!Validator.aadhaar.accepts("23412341234"))
        #expect(!Validator.aadhaar.accepts("2341234123460"))
    }
}
