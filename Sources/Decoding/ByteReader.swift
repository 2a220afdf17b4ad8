/// A non-owning cursor over bytes that live elsewhere (libpcap's buffer, a
/// reassembly buffer). It never copies and never traps on short input.
///
/// Verbs follow SwiftNIO's `ByteBuffer`: `read…` consumes and advances
/// `readerIndex`, `get…(at:)` reads at an absolute index and moves nothing,
/// `peek…` reads at `readerIndex` without moving. Every reader returns `nil`
/// when the bytes are short and then leaves the index where it was.
/// Integers are big-endian (network order) unless the name says otherwise.
///
/// The caller must keep the underlying memory alive while the reader is used;
/// on the packet path that is "until the next packet is fetched".
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    @usableFromInline var _readerIndex: Int

    /// Index of the next byte a `read…` consumes.
    @inlinable public var readerIndex: Int { _readerIndex }

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self._readerIndex = 0
    }

    @inlinable
    public var readableBytes: Int { bytes.count &- readerIndex }

    /// The unread bytes, still pointing into the original memory.
    @inlinable
    public var readableView: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[readerIndex...])
    }

    // MARK: random access

    @inlinable
    public func getUInt8(at index: Int) -> UInt8? {
        guard index >= 0, index < bytes.count else { return nil }
        return bytes.load(fromByteOffset: index, as: UInt8.self)
    }

    @inlinable
    public func getUInt16(at index: Int) -> UInt16? {
        guard index >= 0, bytes.count - index >= 2 else { return nil }
        return UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt16.self))
    }

    @inlinable
    public func getUInt16LittleEndian(at index: Int) -> UInt16? {
        guard index >= 0, bytes.count - index >= 2 else { return nil }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt16.self))
    }

    @inlinable
    public func getUInt24(at index: Int) -> UInt32? {
        guard index >= 0, bytes.count - index >= 3 else { return nil }
        let b = bytes
        return UInt32(b[index]) << 16 | UInt32(b[index + 1]) << 8 | UInt32(b[index + 2])
    }

    @inlinable
    public func getUInt32(at index: Int) -> UInt32? {
        guard index >= 0, bytes.count - index >= 4 else { return nil }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self))
    }

    @inlinable
    public func getUInt32LittleEndian(at index: Int) -> UInt32? {
        guard index >= 0, bytes.count - index >= 4 else { return nil }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self))
    }

    @inlinable
    public func getUInt64(at index: Int) -> UInt64? {
        guard index >= 0, bytes.count - index >= 8 else { return nil }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
    }

    /// `length` bytes starting at `index`, as a view into the same memory.
    /// Always inlined: left to the optimiser it stayed a call, two or three
    /// per packet in the IPv4 decoder.
    @inlinable @inline(__always)
    public func getBytes(at index: Int, length: Int) -> UnsafeRawBufferPointer? {
        guard index >= 0, length >= 0, bytes.count - index >= length else { return nil }
        // Safe: the range was checked just above (an empty buffer may have no base).
        return UnsafeRawBufferPointer(start: bytes.baseAddress.map { $0 + index }, count: length)
    }

    // MARK: peeking

    @inlinable public func peekUInt8() -> UInt8? { getUInt8(at: readerIndex) }
    @inlinable public func peekUInt16() -> UInt16? { getUInt16(at: readerIndex) }
    @inlinable public func peekUInt32() -> UInt32? { getUInt32(at: readerIndex) }

    // MARK: consuming

    @inlinable
    public mutating func readUInt8() -> UInt8? {
        guard let v = getUInt8(at: readerIndex) else { return nil }
        _readerIndex &+= 1
        return v
    }

    @inlinable
    public mutating func readUInt16() -> UInt16? {
        guard let v = getUInt16(at: readerIndex) else { return nil }
        _readerIndex &+= 2
        return v
    }

    @inlinable
    public mutating func readUInt24() -> UInt32? {
        guard let v = getUInt24(at: readerIndex) else { return nil }
        _readerIndex &+= 3
        return v
    }

    @inlinable
    public mutating func readUInt32() -> UInt32? {
        guard let v = getUInt32(at: readerIndex) else { return nil }
        _readerIndex &+= 4
        return v
    }

    @inlinable
    public mutating func readUInt64() -> UInt64? {
        guard let v = getUInt64(at: readerIndex) else { return nil }
        _readerIndex &+= 8
        return v
    }

    @inlinable
    public mutating func readBytes(length: Int) -> UnsafeRawBufferPointer? {
        guard let v = getBytes(at: readerIndex, length: length) else { return nil }
        _readerIndex &+= length
        return v
    }

    /// Consumes `length` bytes and returns them as a reader bounded to exactly
    /// that length, so a nested structure cannot overrun its parent.
    @inlinable
    public mutating func readSlice(length: Int) -> ByteReader? {
        guard let v = readBytes(length: length) else { return nil }
        return ByteReader(v)
    }

    /// Reads a big-endian length of `T` and then that many bytes as a bounded
    /// sub-reader. Leaves the index alone when either part is short.
    @inlinable
    public mutating func readLengthPrefixedSlice<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) -> ByteReader? {
        let start = readerIndex
        let length: Int
        switch T.bitWidth {
        case 8: guard let v = readUInt8() else { return nil }; length = Int(v)
        case 16: guard let v = readUInt16() else { return nil }; length = Int(v)
        case 32: guard let v = readUInt32() else { return nil }; length = Int(v)
        default:
            guard let v = readUInt64(), let l = Int(exactly: v) else { _readerIndex = start; return nil }
            length = l
        }
        guard let slice = readSlice(length: length) else {
            _readerIndex = start
            return nil
        }
        return slice
    }

    @inlinable
    @discardableResult
    public mutating func moveReaderIndex(forwardBy count: Int) -> Bool {
        guard count >= 0, readableBytes >= count else { return false }
        _readerIndex &+= count
        return true
    }
}
