/// How secrets are shown in evidence: never in full. Long tokens keep their
/// first and last four characters (enough to recognise a key's kind and to
/// match it with the owner's records, as `AKIA************MPLE`); passwords,
/// challenge responses and short tokens are eight stars whatever their length
/// (a long passphrase must not lose eight of its characters).
public enum Redaction {
    /// Tokens at least this long keep four characters at each end.
    public static let shownEndsFrom = 20

    public static func mask(_ secret: [UInt8], isToken: Bool = true) -> String {
        guard isToken && secret.count >= shownEndsFrom else { return "********" }
        let middle = min(secret.count - 8, 12)
        return printable(secret.prefix(4)) + String(repeating: "*", count: middle) + printable(secret.suffix(4))
    }

    /// A matched value (card number, key, token) with only `start` and `end`
    /// of its letters and digits shown, never more than half of them, and
    /// its separators kept: `4111 **** **** 1111`, `AKIA************MPLE`.
    public static func mask(_ value: [UInt8], showingStart start: Int, end: Int) -> String {
        let significant = value.reduce(0) { $0 + (isAlphanumeric($1) ? 1 : 0) }
        let shownEnd = min(end, significant / 2)
        let shownStart = min(start, significant / 2 - shownEnd)
        // A long value (a JWT, a key block) keeps its ends; twelve stars stand for the middle.
        if value.count > maxMaskedLength {
            return printable(value.prefix(shownStart)) + String(repeating: "*", count: 12) + printable(value.suffix(shownEnd))
        }
        // Written straight into the string's storage (every byte ASCII): no
        // array first — this runs for each of the ~190,000 PII and secret
        // findings a GiB of the shared workload holds.
        return String(unsafeUninitializedCapacity: value.count) { out in
            var seen = 0
            for (i, b) in value.enumerated() {
                guard isAlphanumeric(b) else {
                    out[i] = b >= 0x20 && b < 0x7f ? b : UInt8(ascii: "?")
                    continue
                }
                let shown = seen < shownStart || seen >= significant - shownEnd
                out[i] = shown ? b : UInt8(ascii: "*")
                seen += 1
            }
            return value.count
        }
    }

    /// Values longer than this are shown as their ends around twelve stars.
    static let maxMaskedLength = 48

    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a)
    }

    /// Bytes as text, anything outside printable ASCII shown as `?`.
    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { $0 >= 0x21 && $0 < 0x7f ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// A username or cookie name as text: UTF-8 (invalid sequences replaced),
    /// at most 128 bytes.
    public static func name(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(128), as: UTF8.self)
    }
}
