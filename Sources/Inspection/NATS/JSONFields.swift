/// Reads one string member of a JSON object (RFC 8259) in place, without
/// building the object: the scan walks the top-level members, skipping
/// other values (nested objects and arrays by bracket depth, strings by
/// their escapes), and decodes only the value asked for. Anything that does
/// not parse ends the scan with nil; a value cut short by a truncated line
/// is not returned. The work is bounded by the text's length.
enum JSONFields {
    /// The decoded string value of the top-level member `key` (compared
    /// byte for byte with the raw key), nil when absent, not a string, or
    /// malformed.
    static func string(_ key: StaticString, in json: UnsafeRawBufferPointer) -> [UInt8]? {
        var k = skipSpace(json, 0)
        guard k < json.count, json[k] == UInt8(ascii: "{") else { return nil }
        k = skipSpace(json, k + 1)
        if k < json.count && json[k] == UInt8(ascii: "}") { return nil }
        while k < json.count {
            guard json[k] == quote, let keyEnd = stringEnd(json, from: k + 1) else { return nil }
            let matches = json.bytesEqual(k + 1, keyEnd, key)
            k = skipSpace(json, keyEnd + 1)
            guard k < json.count, json[k] == UInt8(ascii: ":") else { return nil }
            k = skipSpace(json, k + 1)
            guard k < json.count else { return nil }
            if json[k] == quote {
                guard let valueEnd = stringEnd(json, from: k + 1) else { return nil }
                if matches { return decode(UnsafeRawBufferPointer(rebasing: json[(k + 1)..<valueEnd])) }
                k = valueEnd + 1
            } else {
                if matches { return nil }  // not a string
                guard let end = valueEnd(json, from: k) else { return nil }
                k = end
            }
            k = skipSpace(json, k)
            guard k < json.count else { return nil }
            if json[k] == UInt8(ascii: "}") { return nil }
            guard json[k] == UInt8(ascii: ",") else { return nil }
            k = skipSpace(json, k + 1)
        }
        return nil
    }

    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")

    static func skipSpace(_ json: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var k = start
        while k < json.count && (json[k] == 0x20 || json[k] == 0x09 || json[k] == 0x0a || json[k] == 0x0d) { k += 1 }
        return k
    }

    /// Index of the quote closing a string whose content starts at `start`.
    static func stringEnd(_ json: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var k = start
        while k < json.count {
            if json[k] == backslash {
                k += 2
            } else if json[k] == quote {
                return k
            } else {
                k += 1
            }
        }
        return nil
    }

    /// Index after a non-string value (number, literal, object, array) starting at `start`.
    static func valueEnd(_ json: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var k = start
        var depth = 0
        while k < json.count {
            let b = json[k]
            if b == quote {
                guard let end = stringEnd(json, from: k + 1) else { return nil }
                k = end + 1
                continue
            }
            if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                depth += 1
            } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                if depth == 0 { return k }  // the enclosing object ends
                depth -= 1
                if depth == 0 { return k + 1 }
            } else if depth == 0 && (b == UInt8(ascii: ",") || b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d) {
                return k
            }
            k += 1
        }
        return nil
    }

    /// The bytes a string's content stands for: escapes (§7) decoded,
    /// `\uXXXX` (and surrogate pairs) as UTF-8. A bad escape is kept as it is.
    static func decode(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var k = 0
        while k < raw.count {
            let b = raw[k]
            guard b == backslash, k + 1 < raw.count else {
                out.append(b)
                k += 1
                continue
            }
            let e = raw[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(raw, at: k) else {
                    out += [backslash, e]
                    continue
                }
                k += 4
                if scalar >= 0xd800 && scalar < 0xdc00, k + 6 <= raw.count, raw[k] == backslash,
                    raw[k + 1] == UInt8(ascii: "u"), let low = hex4(raw, at: k + 2), low >= 0xdc00 && low < 0xe000
                {
                    scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                    k += 6
                }
                appendUTF8(scalar, to: &out)
            default: out.append(e)  // \" \\ \/ and anything else as the byte itself
            }
        }
        return out
    }

    static func hex4(_ raw: UnsafeRawBufferPointer, at k: Int) -> UInt32? {
        guard k + 4 <= raw.count else { return nil }
        var value: UInt32 = 0
        for i in k..<(k + 4) {
            let c = raw[i]
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = UInt32(c - 0x30)
            case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
            default: return nil
            }
            value = value << 4 | digit
        }
        return value
    }

    /// A lone surrogate is written as its three bytes (WTF-8): the bytes are reported, not displayed.
    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out += [UInt8(0xc0 | scalar >> 6), UInt8(0x80 | scalar & 0x3f)]
        case 0x800..<0x10000:
            out += [UInt8(0xe0 | scalar >> 12), UInt8(0x80 | scalar >> 6 & 0x3f), UInt8(0x80 | scalar & 0x3f)]
        default:
            out += [
                UInt8(0xf0 | scalar >> 18), UInt8(0x80 | scalar >> 12 & 0x3f), UInt8(0x80 | scalar >> 6 & 0x3f),
                UInt8(0x80 | scalar & 0x3f),
            ]
        }
    }
}
