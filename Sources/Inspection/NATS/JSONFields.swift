import Scanning

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
            if e == UInt8(ascii: "u") {
                guard let scalar = JSONEscape.unicodeScalar(raw, at: k) else {
                    out += [backslash, e]
                    continue
                }
                k += scalar.length
                JSONEscape.appendUTF8(scalar.value, to: &out)
            } else {
                out.append(JSONEscape.byte(forEscape: e) ?? e)  // an unknown escape as the byte itself
            }
        }
        return out
    }
}
