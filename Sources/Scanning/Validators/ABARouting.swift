// ABA routing transit numbers (American Bankers Association; the Federal Reserve's routing
// numbers): nine digits, the first two a routing symbol the Fed uses, the last a check digit.

enum ABARoutingNumber {
    /// 3·(d1 + d4 + d7) + 7·(d2 + d5 + d8) + (d3 + d6 + d9) is a multiple of 10, and d1d2 is a routing
    /// symbol in use: 00 (US government), 01–12 (the twelve Federal Reserve districts), 21–32 (thrift
    /// institutions, district + 20), 61–72 (electronic transactions, district + 60) or 80 (traveller's
    /// checks). Written as nine plain digits; 000000000 passes the arithmetic and is refused.
    static func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        guard let digits = DigitGroups(value, separators: []), digits.count == 9, digits.number != 0 else { return false }
        switch digits.digits(0..<2) {
        case 0...12, 21...32, 61...72, 80: break
        default: return false
        }
        var sum: UInt64 = 0
        var rest = digits.number
        for position in stride(from: 8, through: 0, by: -1) {  // right to left
            let weight: UInt64 = position % 3 == 0 ? 3 : position % 3 == 1 ? 7 : 1
            sum += weight * (rest % 10)
            rest /= 10
        }
        return sum % 10 == 0
    }
}
