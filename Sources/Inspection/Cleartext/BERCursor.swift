/// A non-owning cursor over BER-encoded bytes (X.690 §8.1) as LDAP (RFC 4511
/// §5.1), SNMP v1/v2c (RFC 1157 §4, RFC 3416) and Kerberos (RFC 4120 §5, DER)
/// use them: one-byte tags (tag numbers below 31) and definite lengths in the
/// short form or the long form with 1 to 4 length bytes. Reads never trap: an element that does not
/// fit what is left returns `nil` and leaves the cursor where it was.
///
/// Elements are returned as views into the input (nothing is copied); a
/// view is valid as long as the buffer the cursor was made on.
struct BERCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var index = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { index >= bytes.count }

    /// The next element's tag, without moving.
    func peekTag() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Reads the next element: its tag and a view of its content.
    mutating func readElement() -> (tag: UInt8, content: UnsafeRawBufferPointer)? {
        guard case .element(let tag, let length, let headerLength) = BERCursor.header(bytes, at: index) else {
            return nil
        }
        let start = index + headerLength
        // Safe: header() saw headerLength bytes, and length <= 2^32 - 1 fits an Int.
        guard length <= UInt64(bytes.count - start) else { return nil }
        let end = start + Int(length)
        index = end
        return (tag, UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
    }

    /// Reads the next element if its tag is `tag`; otherwise nothing moves.
    mutating func readElement(_ tag: UInt8) -> UnsafeRawBufferPointer? {
        guard peekTag() == tag else { return nil }
        return readElement()?.content
    }

    /// Reads an INTEGER (or ENUMERATED, with `tag` 0x0a) of at most 8 bytes.
    mutating func readInteger(_ tag: UInt8 = BERCursor.integerTag) -> Int64? {
        let saved = index
        guard let content = readElement(tag), let value = BERCursor.integer(content) else {
            index = saved
            return nil
        }
        return value
    }

    static let integerTag: UInt8 = 0x02
    static let octetStringTag: UInt8 = 0x04
    static let oidTag: UInt8 = 0x06
    static let enumeratedTag: UInt8 = 0x0a
    static let sequenceTag: UInt8 = 0x30

    /// A two's-complement integer of 1 to 8 content bytes.
    static func integer(_ content: UnsafeRawBufferPointer) -> Int64? {
        guard content.count >= 1 && content.count <= 8 else { return nil }
        var value: Int64 = content[0] & 0x80 != 0 ? -1 : 0
        for b in content { value = value << 8 | Int64(b) }
        return value
    }

    /// What the bytes at `start` say about an element's framing.
    enum Header: Equatable {
        /// Tag, content length and the bytes the tag and length take.
        case element(tag: UInt8, length: UInt64, headerLength: Int)
        /// The bytes end before the length does.
        case needMore
        /// A high tag number, an indefinite length or a length of more than 4 bytes.
        case malformed
    }

    /// Reads a tag and a definite length at `start` without moving anything.
    static func header(_ b: UnsafeRawBufferPointer, at start: Int) -> Header {
        guard start < b.count else { return .needMore }
        let tag = b[start]
        guard tag & 0x1f != 0x1f else { return .malformed }
        guard start + 1 < b.count else { return .needMore }
        let first = b[start + 1]
        if first < 0x80 { return .element(tag: tag, length: UInt64(first), headerLength: 2) }
        let n = Int(first & 0x7f)
        guard n >= 1 && n <= 4 else { return .malformed }
        guard start + 2 + n <= b.count else { return .needMore }
        var length: UInt64 = 0
        for k in 0..<n { length = length << 8 | UInt64(b[start + 2 + k]) }
        return .element(tag: tag, length: length, headerLength: 2 + n)
    }

    /// `bytes` are exactly `text` (exact case).
    static func equal(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard bytes.count == n else { return false }
        let t = text.utf8Start
        for k in 0..<n where bytes[k] != t[k] { return false }
        return true
    }

    /// `bytes` are `text` ignoring ASCII case (letters only in `text`).
    static func equalIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard bytes.count == n else { return false }
        let t = text.utf8Start
        for k in 0..<n where bytes[k] | 0x20 != t[k] | 0x20 { return false }
        return true
    }

    /// Whether `text` occurs anywhere in `bytes` (exact case).
    static func contains(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        let t = text.utf8Start
        outer: for start in 0...(bytes.count - n) {
            for k in 0..<n where bytes[start + k] != t[k] { continue outer }
            return true
        }
        return false
    }
}
