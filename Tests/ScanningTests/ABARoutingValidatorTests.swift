import Testing
import TestSupport

@testable import Scanning

@Suite struct ABARoutingValidatorTests {
    /// Routing numbers of Federal Reserve banks and large banks, as printed on their own sites.
    @Test(arguments: ["011000015", "021000021", "026009593", "121000358", "322271627", "111000025"])
    func abaAccepted(_ number: String) {
        #expect(Validator.abaRouting.accepts(number))
    }

    @Test func abaChecksumAndShape() {
        #expect(!Validator.abaRouting.accepts("123456789"))
        #expect(!Validator.abaRouting.accepts("021000022"))
        #expect(!Validator.abaRouting.accepts("000000000"))
        #expect(!Validator.abaRouting.accepts("02100002"))
        #expect(!Validator.abaRouting.accepts("0210000210"))
        #expect(!Validator.abaRouting.accepts("0210-0002-1"))
        #expect(!Validator.abaRouting.accepts("021 000 021"))
    }

    /// Each two-digit prefix: with a check digit made right, accepted exactly for 00–12, 21–32, 61–72, 80.
    @Test func abaRoutingSymbolRanges() {
        var generator = SplitMix64(seed: 80)
        for prefix in 0...99 {
            let base = (prefix < 10 ? "0" : "") + String(prefix) + randomDigits(6, using: &generator)
            let valid = [0...12, 21...32, 61...72, 80...80].contains { $0.contains(prefix) }
            let accepted = acceptedCheckDigits(.abaRouting, after: base)
            #expect(accepted.count == (valid && base != "00000000" ? 1 : 0), "prefix \(prefix)")
        }
    }
}
