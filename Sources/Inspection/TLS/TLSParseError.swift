import Decoding

/// Why a handshake message could not be read. Parsers throw it on the first
/// inconsistency (a length that overruns its parent, a list of odd size); the
/// analyzer counts it and stops reading that direction.
public struct TLSParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }

    static let truncated = TLSParseError("message shorter than its lengths say")
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

    /// A list of 16-bit values filling the whole reader (cipher suites, groups, …).
    mutating func uint16List() throws -> [UInt16] {
        guard readableBytes % 2 == 0 else { throw TLSParseError("list of 16-bit values has an odd length") }
        var list: [UInt16] = []
        list.reserveCapacity(readableBytes / 2)
        while let v = readUInt16() { list.append(v) }
        return list
    }

    /// The unread bytes as text, for names (SNI, ALPN): bytes that are not
    /// printable ASCII become `?` so a crafted name cannot smuggle controls
    /// into logs. Capped at `limit` bytes.
    func printableText(limit: Int = 255) -> String {
        let view = UnsafeRawBufferPointer(rebasing: readableView.prefix(limit))
        if view.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) { return String(decoding: view, as: UTF8.self) }
        return String(decoding: view.map { $0 >= 0x20 && $0 < 0x7f ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
