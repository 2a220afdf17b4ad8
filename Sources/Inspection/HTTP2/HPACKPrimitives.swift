/// Reads HPACK's primitive types (RFC 7541 §5) from a header block, in place.
/// Every read checks its bounds and returns nil/false on bytes that run out
/// or do not parse; the cursor is then in no defined place (the block is
/// given up as a whole).
struct HPACKCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }

    /// The next byte, not consumed (callers check `atEnd` first).
    var peek: UInt8 { bytes[position] }

    /// Largest integer accepted: past it, a length or index cannot be real
    /// (and shifting further would overflow).
    static let maxInteger = 1 << 28

    /// §5.1: an integer in the low `prefixBits` bits of the current byte,
    /// continued in 7-bit groups (least significant first) when the prefix is all ones.
    mutating func readInteger(prefixBits: Int) -> Int? {
        guard position < bytes.count else { return nil }
        let mask = (1 << prefixBits) - 1
        var value = Int(bytes[position]) & mask
        position += 1
        guard value == mask else { return value }
        var shift = 0
        while position < bytes.count {
            let b = bytes[position]
            position += 1
            // Past 28 bits of continuation (leading zero groups included) the
            // next group would shift out of range, or into the sign bit.
            guard shift <= 28 else { return nil }
            value += Int(b & 0x7f) << shift
            guard value <= HPACKCursor.maxInteger else { return nil }
            if b & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    /// §5.2: a string literal (Huffman flag, length, octets), appended to
    /// `out` decoded.
    mutating func readString(into out: inout [UInt8]) -> Bool {
        guard position < bytes.count else { return false }
        let huffman = bytes[position] & 0x80 != 0
        guard let length = readInteger(prefixBits: 7), length <= bytes.count - position else { return false }
        let octets = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)])
        position += length
        if huffman { return HPACKHuffman.decode(octets, into: &out) }
        out.append(contentsOf: octets)
        return true
    }
}
