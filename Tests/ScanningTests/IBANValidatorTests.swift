import Testing
import TestSupport

@testable import Scanning

@Suite struct IBANValidatorTests {
    /// The example IBAN of every country in the SWIFT IBAN registry (release 100), electronic form.
    static let registryExamples = [
        "AD1200012030200359100100", "AE070331234567890123456", "AL47212110090000000235698741",
        "AT611904300234573201", "AZ21NABZ00000000137010001944", "BA391290079401028494",
        "BE68539007547034", "BG80BNBG96611020345678", "BH67BMAG00001299123456",
        "BI4210000100010000332045181", "BR1800360305000010009795493C1", "BY13NBRB3600900000002Z00AB00",
        "CH9300762011623852957", "CR05015202001026284066", "CY17002001280000001200527600",
        "CZ6508000000192000145399", "DE89370400440532013000", "DJ2100010000000154000100186",
        "DK5000400440116243", "DO28BAGR00000001212453611324", "EE382200221020145685",
        "EG380019000500000000263180002", "ES9121000418450200051332", "FI2112345600000785",
        "FK88SC123456789012", "FO6264600001631634", "FR1420041010050500013M02606",
        "GB29NWBK60161331926819", "GE29NB0000000101904917", "GI75NWBK000000007099453",
        "GL8964710001000206", "GR1601101250000000012300695", "GT82TRAJ01020000001210029690",
        "HN88CABF00000000000250005469", "HR1210010051863000160", "HU42117730161111101800000000",
        "IE29AIBK93115212345678", "IL620108000000099999999", "IQ98NBIQ850123456789012",
        "IS140159260076545510730339", "IT60X0542811101000000123456", "JO94CBJO0010000000000131000302",
        "KW81CBKU0000000000001234560101", "KZ86125KZT5004100100", "LB62099900000001001901229114",
        "LC55HEMM000100010012001200023015", "LI21088100002324013AA", "LT121000011101001000",
        "LU280019400644750000", "LV80BANK0000435195001", "LY83002048000020100120361",
        "MC5811222000010123456789030", "MD24AG000225100013104168", "ME25505000012345678951",
        "MK07250120000058984", "MN121234123456789123", "MR1300020001010000123456753",
        "MT84MALT011000012345MTLCAST001S", "MU17BOMM0101101030300200000MUR", "NI45BAPR00000013000003558124",
        "NL91ABNA0417164300", "NO9386011117947", "OM810180000001299123456",
        "PK36SCBL0000001123456702", "PL61109010140000071219812874", "PS92PALS000000000400123456702",
        "PT50000201231234567890154", "QA58DOHB00001234567890ABCDEFG", "RO49AAAA1B31007593840000",
        "RS35260005601001611379", "RU0304452522540817810538091310419", "SA0380000000608010167519",
        "SC18SSCB11010000000000001497USD", "SD2129010501234001", "SE4550000000058398257466",
        "SI56263300012039086", "SK3112000000198742637541", "SM86U0322509800000000270100",
        "SO211000001001000100141", "ST23000100010051845310146", "SV62CENR00000000000000700025",
        "TL380080012345678910157", "TN5910006035183598478831", "TR330006100519786457841326",
        "UA213223130000026007233566001", "VA59001123000012345678", "VG96VPVG0000012345678901",
        "XK051212012345678906", "YE15CBYE0001018861234567891234",
    ]

    /// In groups of four, as printed ("DE89 3704 0044 0532 0130 00").
    static func printed(_ iban: String) -> String {
        var groups: [String] = []
        var rest = Substring(iban)
        while !rest.isEmpty {
            groups.append(String(rest.prefix(4)))
            rest = rest.dropFirst(4)
        }
        return groups.joined(separator: " ")
    }

    @Test func everyRegistryCountryHasAnExample() {
        #expect(IBAN.registry.count == 89)
        #expect(Set(IBAN.registry.map { "\($0.country)" }) == Set(Self.registryExamples.map { String($0.prefix(2)) }))
        #expect(IBAN.registry.allSatisfy { (15...IBAN.maxLength).contains($0.length) })
    }

    @Test(arguments: registryExamples)
    func registryExampleIsAccepted(_ iban: String) {
        #expect(Validator.iban.accepts(iban))
        #expect(Validator.iban.accepts(Self.printed(iban)))
        #expect(Validator.iban.accepts(iban.lowercased()))
    }

    /// MOD 97-10 catches every single-character substitution and every swap of adjacent digits.
    @Test(arguments: registryExamples)
    func changedOrTransposedCharactersAreRefused(_ iban: String) {
        let characters = Array(iban)
        for index in 2..<characters.count where characters[index].isNumber {
            let changed = characters[index] == "7" ? "3" : "7" as Character
            #expect(!Validator.iban.accepts(replacing(iban, at: index, with: changed)), "\(iban) at \(index)")
        }
        for index in 4..<(characters.count - 1)
        where characters[index].isNumber && characters[index + 1].isNumber && characters[index] != characters[index + 1] {
            #expect(!Validator.iban.accepts(swappingAdjacent(iban, at: index)), "\(iban) at \(index)")
        }
    }

    /// A basic bank account number with check digits made right for it: one pair of check digits
    /// (02–98) fits when the length is the country's, none when it is one character off.
    @Test func lengthMustBeTheCountrys() {
        var generator = SplitMix64(seed: 13616)
        for (country, length) in [("DE", 22), ("GB", 22), ("NO", 15), ("FR", 27), ("LC", 32), ("RU", 33)] {
            for delta in [-1, 0, 1] {
                let bban = randomDigits(length - 4 + delta, using: &generator)
                let fitting = (2...98).filter { check in
                    Validator.iban.accepts(country + (check < 10 ? "0" : "") + String(check) + bban)
                }
                #expect(fitting.count == (delta == 0 ? 1 : 0), "\(country) \(delta)")
            }
        }
    }

    /// Check digits 00, 01 and 99 are never issued, though 99 ≡ 02, 00 ≡ 97 and 01 ≡ 98 (mod 97)
    /// pass the arithmetic whenever 02, 97 or 98 would.
    @Test func checkDigitsOutsideTwoToNinetyEightAreRefused() {
        var generator = SplitMix64(seed: 97)
        var found: Set<String> = []
        while found.count < 3 {
            let bban = randomDigits(18, using: &generator)
            for (issued, congruent) in [("02", "99"), ("97", "00"), ("98", "01")]
            where Validator.iban.accepts("DE" + issued + bban) {
                #expect(!Validator.iban.accepts("DE" + congruent + bban))
                found.insert(issued)
            }
        }
    }

    @Test func unregisteredCountriesAndJunkAreRefused() {
        #expect(!Validator.iban.accepts("US64SVBKUS6S3300958879"))  // no US IBAN
        #expect(!Validator.iban.accepts("XX89370400440532013000"))
        #expect(!Validator.iban.accepts("DE89-3704-0044-0532-0130-00"))
        #expect(!Validator.iban.accepts("DE89\t370400440532013000"))
        #expect(!Validator.iban.accepts("D089370400440532013000"))
        #expect(!Validator.iban.accepts("DEA9370400440532013000"))
        #expect(!Validator.iban.accepts("DE89370400440532013000DE89370400440532013000"))
        #expect(!Validator.iban.accepts("DE89"))
        #expect(!Validator.iban.accepts("DE8937040044053201300é"))
    }
}
