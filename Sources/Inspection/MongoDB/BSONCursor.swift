/// A BSON document (bsonspec.org 1.1) read in place: a little-endian int32
/// total length, elements (type byte, NUL-terminated name, value), a final
/// NUL. `next()` steps over one element whatever its type; values of the
/// types a login needs are read by the accessors. Every read is bounded by
/// the document's own length: a malformed element ends the walk (nil).
struct BSONCursor {
    let document: UnsafeRawBufferPointer
    /// Index of the next element's type byte.
    var position = 4

    /// One element: its type, name and value bytes.
    struct Element {
        let type: UInt8
        let name: UnsafeRawBufferPointer
        let value: UnsafeRawBufferPointer

        static let double: UInt8 = 0x01
        static let string: UInt8 = 0x02
        static let document: UInt8 = 0x03
        static let binary: UInt8 = 0x05
        static let boolean: UInt8 = 0x08
        static let int32: UInt8 = 0x10
        static let int64: UInt8 = 0x12

        func named(_ text: StaticString) -> Bool { name.bytesEqual(0, name.count, text) }

        /// A string's bytes (without the NUL) or a binary's data; nil for other types.
        var bytes: UnsafeRawBufferPointer? {
            switch type {
            case Element.string where value.count >= 5:
                return UnsafeRawBufferPointer(rebasing: value[4..<(value.count - 1)])
            case Element.binary where value.count >= 5:
                return UnsafeRawBufferPointer(rebasing: value[5...])
            default:
                return nil
            }
        }

        /// A number or boolean as a truth value (`ok: 1`, `done: true`); nil for other types.
        var isTrue: Bool? {
            switch type {
            case Element.boolean: return value[0] != 0
            case Element.int32: return value.uint32LE(at: 0) != 0
            case Element.int64: return value.uint32LE(at: 0) != 0 || value.uint32LE(at: 4) != 0
            case Element.double:
                var bits: UInt64 = 0
                for k in 0..<8 { bits |= UInt64(value[k]) << (8 * UInt64(k)) }
                return Double(bitPattern: bits) != 0
            default: return nil
            }
        }

        /// An embedded document.
        var document: BSONCursor? { type == Element.document ? BSONCursor(value) : nil }
    }

    /// The document starting at the beginning of `bytes`; nil when its length does not fit.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard let length = bytes.uint32LE(at: 0), length >= 5, Int(length) <= bytes.count else { return nil }
        document = UnsafeRawBufferPointer(rebasing: bytes[0..<Int(length)])
    }

    /// The next element, nil at the end of the document or at a malformed one.
    mutating func next() -> Element? {
        guard position < document.count - 1 else { return nil }
        let type = document[position]
        guard let nameEnd = document.nul(from: position + 1) else { return nil }
        let start = nameEnd + 1
        guard let size = valueSize(type, at: start), size >= 0, start + size <= document.count - 1 else { return nil }
        let element = Element(
            type: type, name: UnsafeRawBufferPointer(rebasing: document[(position + 1)..<nameEnd]),
            value: UnsafeRawBufferPointer(rebasing: document[start..<(start + size)]))
        position = start + size
        return element
    }

    /// The first element named `name`, from the current position.
    mutating func find(_ name: StaticString) -> Element? {
        while let e = next() {
            if e.named(name) { return e }
        }
        return nil
    }

    /// Bytes a value of `type` takes at `k`; nil for an unknown type.
    func valueSize(_ type: UInt8, at k: Int) -> Int? {
        func int32() -> Int? { document.uint32LE(at: k).map { Int(Int32(bitPattern: $0)) } }
        switch type {
        case 0x01, 0x09, 0x11, 0x12: return 8  // double, UTC datetime, timestamp, int64
        case 0x13: return 16  // decimal128
        case 0x07: return 12  // ObjectId
        case 0x08: return 1  // boolean
        case 0x10: return 4  // int32
        case 0x06, 0x0a, 0xff, 0x7f: return 0  // undefined, null, min key, max key
        case 0x02, 0x0d, 0x0e: return int32().map { 4 + $0 }  // string, JavaScript, symbol
        case 0x03, 0x04, 0x0f: return int32()  // document, array, code with scope: length includes itself
        case 0x05: return int32().map { 5 + $0 }  // binary: length, subtype, data
        case 0x0c: return int32().map { 4 + $0 + 12 }  // DBPointer
        case 0x0b:  // regular expression: two C strings
            guard let a = document.nul(from: k), let b = document.nul(from: a + 1) else { return nil }
            return b + 1 - k
        default: return nil
        }
    }
}
