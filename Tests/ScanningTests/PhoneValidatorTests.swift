import Testing

@testable import Scanning

@Suite struct PhoneValidatorTests {
    // MARK: NANP

    @Test(arguments: ["(415) 867-2345", "415-867-2345", "415.867.2345", "415 867 2345", "4158672345",
                      "1-415-867-2345", "1 (415) 867-2345", "+1 415 867 2345", "+14158672345", "(212) 555-0200",
                      "(212) 555-0099"])
    func nanpAccepted(_ number: String) {
        #expect(Validator.nanpPhone.accepts(number))
    }

    /// 555-0100 to 555-0199 is set aside for fiction; area and office codes start 2–9 and are not N11.
    @Test(arguments: ["(415) 555-0123", "415-555-0100", "415-555-0199", "+1 415 555 0150", "(115) 867-2345",
                      "(015) 867-2345", "(411) 867-2345", "(911) 867-2345", "415-911-2345", "415-011-2345",
                      "415-167-2345"])
    func nanpUnassignableNumbersAreRefused(_ number: String) {
        #expect(!Validator.nanpPhone.accepts(number))
    }

    @Test(arguments: ["415-867-234", "415-867-23456", "2 415 867 2345", "+415 867 2345", "+44 20 7946 0958",
                      "415/867/2345", "415-867-2345 ext 12", "(415) 867-2345\n", "++1 415 867 2345"])
    func nanpOtherShapesAreRefused(_ number: String) {
        #expect(!Validator.nanpPhone.accepts(number))
    }

    // MARK: E.164

    @Test(arguments: ["+44 20 7946 0958", "+49 30 12345678", "+81 3-1234-5678", "+353 1 234 5678",
                      "+55 11 91234 5678", "+7 495 123 45 67", "+1 415 867 2345", "+880 1712 345678",
                      "+33 (0)1 23 45 67 89", "+298 123456", "+8613812345678"])
    func e164Accepted(_ number: String) {
        #expect(Validator.e164Phone.accepts(number))
    }

    @Test(arguments: ["44 20 7946 0958", "+999 1234 5678", "+28 1234 5678", "+259 1234 5678", "+388 1234 5678",
                      "+969 1234 5678", "+1 415 555 0123", "+1 115 867 2345", "+1 415 867 234", "+44 2079",
                      "+44 2079 4609 5812 345", "+44 20 7946 0958x", "+", "+ ", "+0 20 7946 0958"])
    func e164Refused(_ number: String) {
        #expect(!Validator.e164Phone.accepts(number))
    }

    @Test func callingCodes() {
        #expect(E164Number.callingCodeLength(144) == 1)
        #expect(E164Number.callingCodeLength(749) == 1)
        #expect(E164Number.callingCodeLength(442) == 2)
        #expect(E164Number.callingCodeLength(861) == 2)
        #expect(E164Number.callingCodeLength(353) == 3)
        #expect(E164Number.callingCodeLength(800) == 3)
        #expect(E164Number.callingCodeLength(979) == 3)
        for spare: UInt64 in [0, 99, 210, 259, 280, 289, 292, 384, 388, 422, 671, 684, 693, 801, 830, 969, 978, 990, 997, 999] {
            #expect(E164Number.callingCodeLength(spare) == nil, "\(spare)")
        }
    }
}
