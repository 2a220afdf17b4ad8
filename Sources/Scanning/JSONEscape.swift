/// The escapes of JSON strings (RFC 8259 §7), shared by the project's
/// two JSON readers: the strict one of a JWT's header and claims
/// (`JSONMembers`) and the lenient one of a NATS `CONNECT` line (Inspection's
/// `JSONFields`). What to do with a malformed escape or a lone surrogate is
/// each reader's own policy; reading the digits and pairing surrogates is not.
public enum JSONEscape {
    /// The code point of the escape whose four hex digits start at `k` (just
    /// after `\u`), with a high surrogate paired with the `\uXXXX` low
    /// surrogate right after it; `length`: the bytes read from `k` (4, or 10
    /// for a pair). A high surrogate with no low one after it, or a lone low
    /// one, is returned as it is (`isSurrogate`). nil: not four hex digits.
    public static func unicodeScalar(_ bytes: UnsafeRawBufferPointer, at k: Int) -> (value: UInt32, length: Int)? {
        guard let unit = hex4(bytes, at: k) else { return nil }
        if (0xd800..<0xdc00).contains(unit), k + 10 <= bytes.count, bytes[k + 4] == UInt8(ascii: "\\"),
            bytes[k + 5] == UInt8(ascii: "u"), let low = hex4(bytes, at: k + 6), (0xdc00..<0xe000).contains(low)
        {
            return (0x10000 + (unit - 0xd800) << 10 + (low - 0xdc00), 10)
        }
        return (unit, 4)
    }

    public static func isSurrogate(_ value: UInt32) -> Bool { (0xd800..<0xe000).contains(value) }

    /// The byte a one-character escape stands for (`\"`, `\\`, `\/`, `\b`,
    /// `\f`, `\n`, `\r`, `\t`, given the byte after the backslash); nil for
    /// any other (`u` included).
    public static func byte(forEscape escaped: UInt8) -> UInt8? {
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): escaped
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0c
        case UInt8(ascii: "n"): 0x0a
        case UInt8(ascii: "r"): 0x0d
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
    }

    /// Four hex digits at `k`, in either case.
    static func hex4(_ bytes: UnsafeRawBufferPointer, at k: Int) -> UInt32? {
        guard k >= 0, bytes.count - k >= 4 else { return nil }
        var value: UInt32 = 0
        for b in bytes[k..<(k + 4)] {
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Appends a code point's UTF-8 bytes. A lone surrogate comes out as its
    /// three bytes (WTF-8): the lenient reader reports bytes, it does not
    /// display them; the strict one never passes one.
    public static func appendUTF8(_ value: UInt32, to out: inout [UInt8]) {
        switch value {
        case 0..<0x80:
            out.append(UInt8(value))
        case 0x80..<0x800:
            out += [UInt8(0xc0 | value >> 6), UInt8(0x80 | value & 0x3f)]
        case 0x800..<0x10000:
            out += [UInt8(0xe0 | value >> 12), UInt8(0x80 | value >> 6 & 0x3f), UInt8(0x80 | value & 0x3f)]
        default:
            out += [
                UInt8(0xf0 | value >> 18), UInt8(0x80 | value >> 12 & 0x3f), UInt8(0x80 | value >> 6 & 0x3f),
                UInt8(0x80 | value & 0x3f),
            ]
        }
    }
}
