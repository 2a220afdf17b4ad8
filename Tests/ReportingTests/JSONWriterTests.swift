import Foundation
import Testing
@testable import Decoding
@testable import Reporting

#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite("JSON strings")
struct JSONStringTests {
    @Test func quotesAndBackslashesAreEscaped() {
        #expect(jsonObject { $0.add("s", "say \"hi\"") } == #"{"s":"say \"hi\""}"#)
        #expect(jsonObject { $0.add("s", #"C:\dir\file"#) } == #"{"s":"C:\\dir\\file"}"#)
        #expect(jsonObject { $0.add("s", #"\""#) } == #"{"s":"\\\""}"#)
    }

    @Test func controlCharactersAreEscaped() {
        #expect(jsonObject { $0.add("s", "a\u{01}b") } == #"{"s":"a\u0001b"}"#)
        #expect(jsonObject { $0.add("s", "line\nnext") } == #"{"s":"line\nnext"}"#)
        #expect(jsonObject { $0.add("s", "cr\r") } == #"{"s":"cr\r"}"#)
        #expect(jsonObject { $0.add("s", "\ttab") } == #"{"s":"\ttab"}"#)
        #expect(jsonObject { $0.add("s", "\u{00}") } == #"{"s":"\u0000"}"#)
        #expect(jsonObject { $0.add("s", "\u{08}\u{0c}\u{1b}\u{1f}") } == #"{"s":"\u0008\u000c\u001b\u001f"}"#)
    }

    @Test func everyControlCharacterIsEscapedAndNothingElseBelow128() {
        for b in UInt8(0)...127 {
            let s = String(decoding: [b], as: UTF8.self)
            let written = jsonObject { $0.add("s", s) }
            let inner = String(written.dropFirst(6).dropLast(2))  // between {"s":" and "}
            switch b {
            case 0x22: #expect(inner == #"\""#)
            case 0x5c: #expect(inner == #"\\"#)
            case 0x0a: #expect(inner == #"\n"#)
            case 0x0d: #expect(inner == #"\r"#)
            case 0x09: #expect(inner == #"\t"#)
            case 0..<0x20: #expect(inner == String(format: "\\u%04x", Int(b)), "byte \(b)")
            default: #expect(inner == s, "byte \(b) must be written as is")
            }
        }
    }

    @Test func multiByteUTF8IsKeptAsIs() {
        let text = "\u{feff}café — 東京 😀 \u{7f}\u{2028}\u{10ffff}\u{feff}"
        let written = jsonObject { $0.add("s", text) }
        #expect(Array(written.utf8) == Array("{\"s\":\"".utf8) + Array(text.utf8) + Array("\"}".utf8))
    }

    @Test func keysAreEscapedToo() {
        #expect(jsonObject { $0.add(key: "we\"ird\n", "v") } == #"{"we\"ird\n":"v"}"#)
        #expect(jsonObject { $0.add(key: "n", 5) } == #"{"n":5}"#)
    }

    @Test func fieldsAreCommaSeparatedInOrder() {
        let written = jsonObject { o in
            o.add("a", "x")
            o.add("b", 1)
            o.add("c", true)
            o.add("d", false)
            o.add("e", ifPresent: nil)
            o.add("f", ifPresent: "y")
            o.add("g", strings: ["p", "q\"r"])
            o.add("h", strings: [])
            o.object("i") { $0.add("j", 2) }
            o.object("k") { _ in }
        }
        #expect(written == #"{"a":"x","b":1,"c":true,"d":false,"f":"y","g":["p","q\"r"],"h":[],"i":{"j":2},"k":{}}"#)
    }

    @Test func allBytesBelow128RoundTripThroughJSONSerialization() throws {
        let all = String(decoding: (0...127).map { UInt8($0) }, as: UTF8.self)
        let object = try parseObject(jsonObject { $0.add("s", all) })
        #expect(object["s"] as? String == all)
    }

    @Test func randomStringsRoundTripThroughJSONSerialization() throws {
        var g = SplitMix64(seed: 0x0150_0002)
        // No U+FEFF: swift-corelibs-foundation's parser drops it at the start of a
        // string and after an escape (a parser quirk; the bytes written are
        // checked in multiByteUTF8IsKeptAsIs).
        let unicode: [Unicode.Scalar] = ["é", "ß", "€", "東", "😀", "\u{2028}", "\u{2029}", "\u{10ffff}", "\u{7f}",
                                         "\u{80}", "\u{ff}", "\u{fffd}"]
        for round in 0..<2000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &g) {
                if Int.random(in: 0..<8, using: &g) == 0 {
                    scalars.append(unicode.randomElement(using: &g)!)
                } else {
                    scalars.append(Unicode.Scalar(UInt8.random(in: 0...127, using: &g)))
                }
            }
            let s = String(scalars)
            let line = jsonObject { $0.add("s", s) }
            let object = try parseObject(line)
            #expect(object["s"] as? String == s, "round \(round): \(line.debugDescription)")
        }
    }
}

@Suite("JSON numbers")
struct JSONNumberTests {
    @Test func integersAreWrittenInDecimal() {
        #expect(jsonObject { $0.add("n", 0) } == #"{"n":0}"#)
        #expect(jsonObject { $0.add("n", 9) } == #"{"n":9}"#)
        #expect(jsonObject { $0.add("n", 10) } == #"{"n":10}"#)
        #expect(jsonObject { $0.add("n", UInt64.max) } == #"{"n":18446744073709551615}"#)
        #expect(jsonObject { $0.add("n", UInt16(65535)) } == #"{"n":65535}"#)
    }

    @Test func everyPowerOfTenAndItsPredecessor() {
        var p: UInt64 = 1
        for _ in 0..<20 {
            for v in [p - 1, p, p + 1] {
                #expect(jsonObject { $0.add("n", v) } == "{\"n\":\(v)}")
            }
            if p > UInt64.max / 10 { break }
            p *= 10
        }
    }

    @Test func secondsHaveSixDecimals() {
        #expect(jsonObject { $0.add("t", seconds: 0) } == #"{"t":0.000000}"#)
        #expect(jsonObject { $0.add("t", seconds: 0.000001) } == #"{"t":0.000001}"#)
        #expect(jsonObject { $0.add("t", seconds: 1.5) } == #"{"t":1.500000}"#)
        #expect(jsonObject { $0.add("t", seconds: 123.456789) } == #"{"t":123.456789}"#)
        #expect(jsonObject { $0.add("t", seconds: 59.9999999) } == #"{"t":60.000000}"#)
        #expect(jsonObject { $0.add("t", seconds: 86_400.25) } == #"{"t":86400.250000}"#)
    }

    @Test func negativeSecondsAreClampedToZero() {
        #expect(jsonObject { $0.add("t", seconds: -3.5) } == #"{"t":0.000000}"#)
    }

    @Test func secondsParseBackAsTheNumber() throws {
        for v in [0.000001, 1.5, 123.456789, 3600.000001] {
            let object = try parseObject(jsonObject { $0.add("t", seconds: v) })
            let parsed = try #require(object["t"] as? Double)
            #expect(abs(parsed - v) < 1e-9, "\(v) -> \(parsed)")
        }
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test func epochIsMidnightJanuaryFirst1970() {
        #expect(rfc3339(0) == "1970-01-01T00:00:00.000000Z")
        #expect(rfc3339(1) == "1970-01-01T00:00:00.000001Z")
    }

    @Test func knownInstants() {
        // 2026-11-28T06:37:20.123456Z: 20785 days and 23840.123456 s after the epoch.
        #expect(rfc3339(1_795_847_840_123_456) == "2026-11-28T06:37:20.123456Z")
        #expect(rfc3339((20_785 * 86_400 + 23_840) * 1_000_000 + 123_456) == "2026-11-28T06:37:20.123456Z")
        #expect(rfc3339(1_000_000_000_000_000) == "2001-09-09T01:46:40.000000Z")
        #expect(rfc3339(1_700_000_000_000_000) == "2023-11-14T22:13:20.000000Z")
    }

    @Test func leapDays() {
        #expect(rfc3339(1_709_164_799_999_999) == "2024-02-28T23:59:59.999999Z")
        #expect(rfc3339(1_709_210_096_789_012) == "2024-02-29T12:34:56.789012Z")
        #expect(rfc3339(1_709_251_200_000_000) == "2024-03-01T00:00:00.000000Z")
        // 2000 is a leap year (divisible by 400).
        #expect(rfc3339(951_868_799_999_999) == "2000-02-29T23:59:59.999999Z")
        #expect(rfc3339(951_868_800_000_000) == "2000-03-01T00:00:00.000000Z")
        // 2100 is not (divisible by 100).
        #expect(rfc3339(4_107_542_399_000_000) == "2100-02-28T23:59:59.000000Z")
        #expect(rfc3339(4_107_542_400_000_000) == "2100-03-01T00:00:00.000000Z")
    }

    @Test func lastInstantOfYear9999() {
        #expect(rfc3339(253_402_300_799_999_999) == "9999-12-31T23:59:59.999999Z")
    }

    @Test func instantsBefore1970() {
        #expect(rfc3339(-1) == "1969-12-31T23:59:59.999999Z")
        #expect(rfc3339(-999_999) == "1969-12-31T23:59:59.000001Z")
        #expect(rfc3339(-1_000_000) == "1969-12-31T23:59:59.000000Z")
        #expect(rfc3339(-1_000_001) == "1969-12-31T23:59:58.999999Z")
        #expect(rfc3339(-86_400_000_000) == "1969-12-31T00:00:00.000000Z")
        #expect(rfc3339(-86_400_000_001) == "1969-12-30T23:59:59.999999Z")
        #expect(rfc3339(-2_208_988_800_000_000) == "1900-01-01T00:00:00.000000Z")
        #expect(rfc3339(-11_670_912_000_000_000) == "1600-03-01T00:00:00.000000Z")
    }

    /// Flooring with `time - 999_999` overflowed for the lowest 999_999 values
    /// of `Microseconds`: the process trapped instead of writing a record.
    @Test
    func anyMicrosecondsValueIsWrittenWithoutTrapping() {
        #expect(rfc3339(Int64.min).utf8.count == 27)
        #expect(rfc3339(Int64.min + 1).utf8.count == 27)
    }

    @Test func extremeInstantsStillGiveTwentySevenBytes() {
        // Years past 9999 cannot be written in RFC 3339; the text keeps its shape.
        #expect(rfc3339(Int64.max).utf8.count == 27)
        #expect(rfc3339(Int64.min + 999_999).utf8.count == 27)
    }

    /// One sink keeps the last instant it wrote: a repeat is copied, any
    /// other instant (the lowest one too) is written afresh.
    @Test func repeatedAndAlternatingInstantsInOneSink() {
        let instants: [Int64] = [Int64.min, Int64.min, 0, 0, 1_795_847_840_123_456, 0, 1_795_847_840_123_456,
                                 1_795_847_840_123_457, -1, -1, Int64.max]
        let sink = ByteSink(capacity: 64)
        for t in instants { sink.appendTimestamp(t) }
        #expect(String(decoding: sink.view, as: UTF8.self) == instants.map(rfc3339).joined())
        #expect(rfc3339(Int64.min) == "0001-01-01T00:00:00.000000Z", "clamped, and written though nothing was before it")
    }

    @Test func timestampFieldIsQuoted() {
        #expect(jsonObject { $0.add("ts", timestamp: 0) } == #"{"ts":"1970-01-01T00:00:00.000000Z"}"#)
    }

    @Test func agreesWithFoundationForRandomInstants() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var g = SplitMix64(seed: 0x7157_0003)
        let from: Int64 = -2_208_988_800  // 1900-01-01
        let to: Int64 = 4_102_444_800  // 2100-01-01
        for _ in 0..<4000 {
            let seconds = Int64.random(in: from..<to, using: &g)
            let micros = Int64.random(in: 0..<1_000_000, using: &g)
            let text = rfc3339(seconds * 1_000_000 + micros)
            let foundation = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            // Foundation writes whole seconds: "...:SSZ".
            let expected = String(foundation.dropLast()) + "." + String(format: "%06lld", micros) + "Z"
            #expect(text == expected, "\(seconds) s + \(micros) µs")
        }
    }

    /// One sink keeps the date of its last timestamp: timestamps written in
    /// turn, on the same day, the next, back, and far away, must each be right.
    @Test func oneSinkWritesEachDayItsOwnDate() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let sink = ByteSink(capacity: 64)
        var g = SplitMix64(seed: 0x7157_0004)
        var seconds: Int64 = 1_764_000_000
        for step in 0..<3000 {
            // Mostly small steps (same day), sometimes across midnight, back, or years away.
            switch step % 7 {
            case 0: seconds += 86_400
            case 1: seconds -= Int64.random(in: 0..<200_000, using: &g)
            case 2: seconds = Int64.random(in: -2_208_988_800..<4_102_444_800, using: &g)
            default: seconds += Int64.random(in: 0..<600, using: &g)
            }
            sink.removeAll()
            sink.appendTimestamp(seconds * 1_000_000 + 123_456)
            let text = String(decoding: sink.view, as: UTF8.self)
            let foundation = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(text == String(foundation.dropLast()) + ".123456Z", "step \(step): \(seconds) s")
        }
    }

    @Test func dayBoundariesAgreeWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        // Every day from 1968 to 2032, at its first and last second.
        for day in Int64(-731)..<Int64(23_011) {
            for seconds in [day * 86_400, day * 86_400 + 86_399] {
                let foundation = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
                #expect(rfc3339(seconds * 1_000_000) == String(foundation.dropLast()) + ".000000Z", "day \(day)")
            }
        }
    }
}

@Suite("IP addresses in JSON")
struct JSONAddressTests {
    func v6(_ g: [UInt16]) -> IPAddress {
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(g[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(g[i]) }
        return IPAddress(high: high, low: low)
    }

    /// The address as JSONObject writes it, unquoted.
    func written(_ a: IPAddress) -> String {
        let line = jsonObject { $0.add("ip", address: a) }
        return String(line.dropFirst(7).dropLast(2))  // {"ip":" ... "}
    }

    /// glibc's text form (RFC 5952 apart from its dotted tail for IPv4-embedding prefixes).
    func ntop(_ g: [UInt16]) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[2 * i] = UInt8(g[i] >> 8)
            bytes[2 * i + 1] = UInt8(g[i] & 0xff)
        }
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &out, socklen_t(out.count)) }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test func ipv4IsDottedQuad() {
        #expect(written(IPAddress(ipv4: 0xc000_0201)) == "192.0.2.1")
        #expect(written(IPAddress(ipv4: 0)) == "0.0.0.0")
        #expect(written(IPAddress(ipv4: 0xffff_ffff)) == "255.255.255.255")
        #expect(written(IPAddress(ipv4: 0x0a00_6409)) == "10.0.100.9")
        #expect(written(address("172.16.254.1")) == "172.16.254.1")
    }

    @Test func ipv6IsRFC5952() {
        let cases: [([UInt16], String)] = [
            ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], "2001:db8::1"),
            ([0, 0, 0, 0, 0, 0, 0, 1], "::1"),
            ([0, 0, 0, 0, 0, 0, 0, 0], "::"),
            ([0xfe80, 0, 0, 0, 0x1ff, 0xfe23, 0x4567, 0x890a], "fe80::1ff:fe23:4567:890a"),
            ([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], "2001:db8:0:1:1:1:1:1"),
            ([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], "2001:db8::1:0:0:1"),
            ([0x2001, 0, 0, 1, 0, 0, 0, 1], "2001:0:0:1::1"),
            ([0x2001, 0xDB8, 0xAAAA, 0xBBBB, 0xCCCC, 0xDDDD, 0xEEEE, 0xFFFF],
             "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"),
            ([0xff02, 0, 0, 0, 0, 0, 0, 0xfb], "ff02::fb"),
            ([0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0201], "64:ff9b::c000:201"),
        ]
        for (groups, text) in cases {
            let a = v6(groups)
            #expect(a.description == text)
            #expect(written(a) == text)
        }
    }

    @Test func longestTextFitsTheMaximum() {
        let a = v6([0xffff, 0xfffe, 0xfffd, 0xfffc, 0xfffb, 0xfffa, 0xfff9, 0xfff8])
        #expect(written(a).utf8.count == IPAddress.maxTextLength)
    }

    @Test func randomIPv6AddressesWithZeroRunsAgreeWithInetNtop() {
        var g = SplitMix64(seed: 0x1b6_0004)
        var compared = 0
        for _ in 0..<20_000 {
            let groups: [UInt16] = (0..<8).map { _ in
                switch Int.random(in: 0..<10, using: &g) {
                case 0..<5: return 0
                case 5..<7: return UInt16.random(in: 1...0xf, using: &g)
                default: return UInt16.random(in: 1...0xffff, using: &g)
                }
            }
            // glibc writes ::a.b.c.d and ::ffff:a.b.c.d for these prefixes; the
            // latter is an IPv4 address here. Both are checked by hand above.
            if groups[0..<5].allSatisfy({ $0 == 0 }) && (groups[5] == 0 || groups[5] == 0xffff) { continue }
            let a = v6(groups)
            let expected = ntop(groups)
            #expect(a.description == expected, "\(groups)")
            #expect(written(a) == expected, "\(groups)")
            compared += 1
        }
        #expect(compared > 15_000)
    }

    @Test func ipv4CompatiblePrefixIsWrittenInHex() {
        // RFC 5952 §5 keeps dotted tails for well-known IPv4-embedding prefixes only.
        #expect(written(v6([0, 0, 0, 0, 0, 0, 1, 2])) == "::1:2")
        #expect(written(v6([0, 0, 0, 0, 0, 0, 0xc000, 0x0201])) == "::c000:201")
    }
}
