/// The name a value was given in the text just before it: the key of a JSON
/// member (`"card_number": "4111…"`, `"cards": ["4111…"`), a header or
/// `key: value` line (`Authorization: Bearer eyJ…`), or a `name=value` pair
/// (a query string, a form, a cookie, an `.env` file). Read backwards from
/// the value, at most `reach` bytes, only when a match was accepted: it
/// tells an auditor which field of an API leaks, not whether it does.
///
/// A name is reported only when it reads as one — at most `maxLength`
/// bytes of letters, digits and `_ - . [ ] $`, no more than four digits, no
/// part that looks like a key id or a token (`accepted`) — so that text taken
/// for a key (a map keyed by e-mail addresses, card numbers, access key ids or
/// tokens; prose) is not copied into a finding in clear. A map keyed by user
/// names (`{"jsmith": …}`) cannot be told from one keyed by fields: its keys
/// are reported as fields. A header name must start its line and be followed
/// by a space: in `http://user:pass@host` or `alice:secret` the user name is
/// not the password's field.
public enum FieldName {
    /// How far before the value the name is looked for.
    public static let reach = 96
    /// How far back from the value its quote or separator may be (a value
    /// inside a longer JSON string: `"note": "card 4111…"`).
    static let valueLead = 64
    public static let maxLength = 64

    /// The range of the name within `text`, which ends where the value
    /// begins. `textStartsStream`: `text[0]` is the first byte of its stream
    /// (a name there is whole, not cut by the scanner's window).
    public static func before(_ text: UnsafeRawBufferPointer, textStartsStream: Bool) -> Range<Int>? {
        var i = text.count
        let leadLimit = max(0, i - valueLead)
        // The value's own lead: the part of a string or header value before it.
        while i > leadLimit && !isDelimiter(text[i - 1]) { i -= 1 }
        guard i > 0 else { return nil }
        switch text[i - 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            // A string value's opening quote: `"key": "value`, `"key": ["value`, `name="value`.
            return member(text, before: i - 1, textStartsStream: textStartsStream)
        case UInt8(ascii: "["), UInt8(ascii: ":"), UInt8(ascii: "="):
            return member(text, before: i, textStartsStream: textStartsStream)
        default:
            return nil
        }
    }

    /// The name of the member whose value (its quote excluded) starts at
    /// `end`: `"key": `, `"key": [`, `'key': ` (a Python or JavaScript
    /// literal), `Name: ` starting a line, or `name=` / `name = `.
    static func member(_ text: UnsafeRawBufferPointer, before end: Int, textStartsStream: Bool) -> Range<Int>? {
        var k = end
        while k > 0 && isSpace(text[k - 1]) { k -= 1 }
        if k > 0 && text[k - 1] == UInt8(ascii: "[") {
            k -= 1
            while k > 0 && isSpace(text[k - 1]) { k -= 1 }
        }
        guard k > 0 else { return nil }
        if text[k - 1] == UInt8(ascii: "=") { return pairName(text, equals: k - 1, textStartsStream: textStartsStream) }
        guard text[k - 1] == UInt8(ascii: ":") else { return nil }
        let colon = k - 1
        k = colon
        while k > 0 && isSpace(text[k - 1]) { k -= 1 }
        if k > 0 && isQuote(text[k - 1]) { return quotedKey(text, closingQuote: k - 1) }
        return headerName(text, colon: colon, textStartsStream: textStartsStream)
    }

    /// A key ending at the quote at `closingQuote`, opened by the same quote.
    static func quotedKey(_ text: UnsafeRawBufferPointer, closingQuote: Int) -> Range<Int>? {
        let quote = text[closingQuote]
        var k = closingQuote
        let limit = max(0, closingQuote - maxLength - 1)
        while k > limit && text[k - 1] != quote {
            guard isNameByte(text[k - 1]) else { return nil }
            k -= 1
        }
        guard k > 0 && text[k - 1] == quote else { return nil }
        return accepted(text, k..<closingQuote)
    }

    /// `Name: value` where the name starts its line (after any indentation)
    /// and a space follows the colon: `alice:secret` in a list of users and
    /// passwords names no field.
    static func headerName(_ text: UnsafeRawBufferPointer, colon: Int, textStartsStream: Bool) -> Range<Int>? {
        guard colon + 1 < text.count, isBlank(text[colon + 1]) else { return nil }
        let k = nameStart(text, end: colon)
        var j = k
        while j > 0 && isBlank(text[j - 1]) { j -= 1 }
        let startsLine = j > 0 ? text[j - 1] == UInt8(ascii: "\n") : textStartsStream
        guard startsLine else { return nil }
        return accepted(text, k..<colon)
    }

    /// `name=value` (or `name = value`, as in INI and TOML files): the name
    /// after a separator (`&`, `?`, `;`, `,`, a space, a line break, `{`, a
    /// quote) or at the stream's start.
    static func pairName(_ text: UnsafeRawBufferPointer, equals: Int, textStartsStream: Bool) -> Range<Int>? {
        var end = equals
        while end > 0 && isBlank(text[end - 1]) { end -= 1 }
        let k = nameStart(text, end: end)
        if k > 0 {
            switch text[k - 1] {
            case UInt8(ascii: "&"), UInt8(ascii: "?"), UInt8(ascii: ";"), UInt8(ascii: ","), UInt8(ascii: " "),
                UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "{"), UInt8(ascii: "\""),
                UInt8(ascii: "'"):
                break
            default:
                return nil
            }
        } else if !textStartsStream {
            return nil
        }
        return accepted(text, k..<end)
    }

    /// Where the name bytes ending at `end` begin, looking back at most one
    /// byte past `maxLength` (a longer run is refused by `accepted`, and the
    /// byte before a cut run is a name byte: no separator, no name).
    static func nameStart(_ text: UnsafeRawBufferPointer, end: Int) -> Int {
        var k = end
        let limit = max(0, end - maxLength - 1)
        while k > limit && isNameByte(text[k - 1]) { k -= 1 }
        return k
    }

    /// Whether a name from elsewhere (a form field's, a part's) reads as one (`accepted`).
    public static func plausible(_ name: UnsafeRawBufferPointer) -> Bool {
        !name.isEmpty && name.allSatisfy(isNameByte) && accepted(name, 0..<name.count) != nil
    }

    /// The name, when it reads as one: a letter in it, at most four digits
    /// and two changes between letters and digits (`address_line_2`,
    /// `oauth2Token`), no token prefix (`ghp_`, `glpat-`, `sk_live_`, ...),
    /// and each part between `_ - . [ ] $` a word: in capitals at most 12
    /// bytes (`ACCESS`), else at most 24 with at most three capitals
    /// (`customerEmailAddress`) — not an access key id or a token.
    static func accepted(_ text: UnsafeRawBufferPointer, _ name: Range<Int>) -> Range<Int>? {
        guard !name.isEmpty, name.count <= maxLength else { return nil }
        let bytes = UnsafeRawBufferPointer(rebasing: text[name])
        if startsToken[Int(bytes[0])] {
            for prefix in tokenPrefixes where prefix[0] == bytes[0] && prefix.count <= bytes.count {
                if prefix.indices.allSatisfy({ prefix[$0] == bytes[$0] }) { return nil }
            }
        }
        var digits = 0
        var letters = 0
        var changes = 0
        var lastWasDigit: Bool?
        var part = (length: 0, capitals: 0, lower: 0)
        for b in bytes {
            let isDigit = ASCII.isDigit(b)
            guard isDigit || ASCII.isLetter(b) else {
                guard isWord(part) else { return nil }
                part = (0, 0, 0)
                lastWasDigit = nil
                continue
            }
            if let last = lastWasDigit, last != isDigit { changes += 1 }
            lastWasDigit = isDigit
            part.length += 1
            if isDigit {
                digits += 1
            } else {
                letters += 1
                if b < UInt8(ascii: "a") { part.capitals += 1 } else { part.lower += 1 }
            }
        }
        return digits <= 4 && letters > 0 && changes <= 2 && isWord(part) ? name : nil
    }

    /// A part of a name between separators reads as a word.
    @inline(__always) static func isWord(_ part: (length: Int, capitals: Int, lower: Int)) -> Bool {
        part.lower == 0 ? part.length <= 12 : part.length <= 24 && part.capitals <= 3
    }

    /// How provider tokens begin (the built-in rules' formats): a key of a
    /// map keyed by tokens is not a field name.
    static let tokenPrefixes: [[UInt8]] = [
        "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "glrt-", "sk_live_", "sk_test_",
        "rk_live_", "rk_test_", "pk_live_", "whsec_", "xox", "AIza", "eyJ", "SG.", "npm_", "pypi-", "dckr_pat_",
        "shpat_", "shpss_", "sq0", "hf_", "sk-", "dop_v1_",
    ].map { Array($0.utf8) }
    /// The first bytes of `tokenPrefixes`, by byte value.
    static let startsToken: [Bool] = (0..<256).map { b in tokenPrefixes.contains { Int($0[0]) == b } }

    /// Bytes that end the text before a value: quotes, separators, line breaks.
    @inline(__always) static func isDelimiter(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "&"),
            UInt8(ascii: "?"), UInt8(ascii: ";"), UInt8(ascii: ","), UInt8(ascii: "{"), UInt8(ascii: "}"),
            UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\n"),
            UInt8(ascii: "\r"):
            true
        default: false
        }
    }

    @inline(__always) static func isQuote(_ b: UInt8) -> Bool { b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") }

    /// A space or a tab.
    @inline(__always) static func isBlank(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }

    /// Blanks and line breaks.
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { isBlank(b) || b == UInt8(ascii: "\r") || b == UInt8(ascii: "\n") }

    /// Letters, digits and `_ - . [ ] $`.
    @inline(__always) static func isNameByte(_ b: UInt8) -> Bool {
        if ASCII.isAlphanumeric(b) { return true }
        switch b {
        case UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "["), UInt8(ascii: "]"),
            UInt8(ascii: "$"):
            return true
        default:
            return false
        }
    }
}
