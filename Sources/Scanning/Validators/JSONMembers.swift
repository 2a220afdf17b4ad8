// The members of a JSON object, for the one place the scanner reads JSON: a
// JWT's header and claims (JWT.swift).

/// The members of one JSON object (RFC 8259), read strictly: UTF-8 only,
/// whitespace around it, nothing after it. Strings and numbers are kept by
/// name (the last of a repeated name wins); nested values are checked and
/// skipped. Foundation's `JSONSerialization` took ~77,000 instructions a
/// token building objects nobody read — 1 % of the capture thread on the
/// shared workload.
struct JSONMembers {
    enum Value {
        case string(String)
        /// The number's text, checked against the grammar.
        case number(String)
        case other
    }

    private(set) var members: [(name: String, value: Value)] = []
    /// Deeper nesting is refused (the reader recurses once per level).
    static let maxDepth = 256

    init?(_ bytes: UnsafeRawBufferPointer) {
        var reader = Reader(bytes: bytes)
        reader.skipSpace()
        guard reader.take(UInt8(ascii: "{")) else { return nil }
        reader.skipSpace()
        if !reader.take(UInt8(ascii: "}")) {
            repeat {
                reader.skipSpace()
                guard let name = reader.string() else { return nil }
                reader.skipSpace()
                guard reader.take(UInt8(ascii: ":")) else { return nil }
                reader.skipSpace()
                guard let first = reader.peek else { return nil }
                let value: Value
                switch first {
                case UInt8(ascii: "\""):
                    guard let text = reader.string() else { return nil }
                    value = .string(text)
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    guard let text = reader.number() else { return nil }
                    value = .number(text)
                default:
                    guard reader.skipValue(depth: 1) else { return nil }
                    value = .other
                }
                members.append((name, value))
                reader.skipSpace()
            } while reader.take(UInt8(ascii: ","))
            guard reader.take(UInt8(ascii: "}")) else { return nil }
        }
        reader.skipSpace()
        guard reader.atEnd else { return nil }
    }

    func string(_ name: String) -> String? {
        guard case .string(let text)? = members.last(where: { $0.name == name })?.value else { return nil }
        return text
    }

    /// A number as whole seconds (fractions dropped); nil for anything else
    /// or a value outside Int64.
    func numericDate(_ name: String) -> Int64? {
        guard case .number(let text)? = members.last(where: { $0.name == name })?.value else { return nil }
        if let exact = Int64(text) { return exact }
        guard let value = Double(text) else { return nil }
        let seconds = value.rounded(.towardZero)
        guard seconds.isFinite, seconds >= -9.0e18, seconds <= 9.0e18 else { return nil }
        return Int64(seconds)
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var i = 0

        var atEnd: Bool { i == bytes.count }
        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            i += 1
            return true
        }

        mutating func skipSpace() {
            while let b = peek, b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d { i += 1 }
        }

        mutating func take(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard bytes.count - i >= n, UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]).elementsEqual(
                UnsafeRawBufferPointer(start: word.utf8Start, count: n))
            else { return false }
            i += n
            return true
        }

        /// A string's text, escapes decoded; nil unless it is well formed and valid UTF-8.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            var text: [UInt8] = []
            while let b = peek {
                i += 1
                switch b {
                case UInt8(ascii: "\""):
                    return String(validating: text, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let escaped = peek else { return nil }
                    i += 1
                    if let byte = JSONEscape.byte(forEscape: escaped) {
                        text.append(byte)
                    } else {
                        // `\u` only; a lone surrogate is not text: the token is malformed.
                        guard escaped == UInt8(ascii: "u"), let scalar = JSONEscape.unicodeScalar(bytes, at: i),
                            !JSONEscape.isSurrogate(scalar.value)
                        else { return nil }
                        i += scalar.length
                        JSONEscape.appendUTF8(scalar.value, to: &text)
                    }
                case 0..<0x20:
                    return nil
                default:
                    text.append(b)
                }
            }
            return nil
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, as text.
        mutating func number() -> String? {
            let start = i
            _ = take(UInt8(ascii: "-"))
            if !take(UInt8(ascii: "0")) {
                guard let b = peek, b &- 0x31 < 9 else { return nil }
                skipDigits()
            }
            if take(UInt8(ascii: ".")) {
                guard digitsFollow() else { return nil }
            }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                guard digitsFollow() else { return nil }
            }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        }

        private mutating func skipDigits() {
            while let b = peek, b &- 0x30 < 10 { i += 1 }
        }

        private mutating func digitsFollow() -> Bool {
            guard let b = peek, b &- 0x30 < 10 else { return false }
            skipDigits()
            return true
        }

        /// Any value, checked and skipped.
        mutating func skipValue(depth: Int) -> Bool {
            guard depth <= JSONMembers.maxDepth, let b = peek else { return false }
            switch b {
            case UInt8(ascii: "\""): return string() != nil
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number() != nil
            case UInt8(ascii: "t"): return take("true")
            case UInt8(ascii: "f"): return take("false")
            case UInt8(ascii: "n"): return take("null")
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                let object = b == UInt8(ascii: "{")
                let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
                i += 1
                skipSpace()
                if take(close) { return true }
                repeat {
                    skipSpace()
                    if object {
                        guard string() != nil else { return false }
                        skipSpace()
                        guard take(UInt8(ascii: ":")) else { return false }
                        skipSpace()
                    }
                    guard skipValue(depth: depth + 1) else { return false }
                    skipSpace()
                } while take(UInt8(ascii: ","))
                return take(close)
            default:
                return false
            }
        }
    }
}
