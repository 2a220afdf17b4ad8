import Decoding

/// Why a handshake message could not be read. Parsers throw it on the first
/// inconsistency (a length that overruns its parent, a list of odd size); the
/// analyzer counts it and stops reading that direction.
public struct TLSParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }

    static let truncated = TLSParseError("message shorter than its lengths say")
    static let oddList = TLSParseError("list of 16-bit values has an odd length")
}

extension ByteReader {
    /// Reads what `readLengthPrefixedSlice` reads, or throws `truncated`.
    mutating func lengthPrefixed<T: FixedWidthInteger & UnsignedInteger>(_ t: T.Type) throws -> ByteReader {
        guard let slice = readLengthPrefixedSlice(t) else { throw TLSParseError.truncated }
        return slice
    }

    mutating func uint8() throws -> UInt8 {
        guard let v = readUInt8() else { throw TLSParseError.truncated }
        return v
    }

    mutating func uint16() throws -> UInt16 {
        guard let v = readUInt16() else { throw TLSParseError.truncated }
        return v
    }

    mutating func uint24() throws -> UInt32 {
        guard let v = readUInt24() else { throw TLSParseError.truncated }
        return v
    }

    mutating func bytes(_ length: Int) throws -> UnsafeRawBufferPointer {
        guard let v = readBytes(length: length) else { throw TLSParseError.truncated }
        return v
    }

    /// The unread bytes as text (see `printableText(_:)`).
    func printableText() -> String { Inspection.printableText(readableView) }
}

/// Bytes as text, for names (SNI, ALPN): bytes that are not printable ASCII
/// become `?` so a crafted name cannot smuggle controls into logs. Capped at 255 bytes.
func printableText<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
    let shown = bytes.prefix(255)
    if shown.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) { return String(decoding: shown, as: UTF8.self) }
    return String(decoding: shown.map { $0 >= 0x20 && $0 < 0x7f ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
}
