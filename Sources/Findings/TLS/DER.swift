import Decoding

/// A minimal DER reader for the parts of X.509 an auditor reads: tag,
/// length and contents, one element at a time, in place. (SwiftASN1 builds a
/// node tree of the whole certificate first; on the shared benchmark that
/// made certificate parsing 16 % of the run. Signatures are still verified
/// with swift-certificates, which parses with SwiftASN1 — see `CertificateCache`.)
struct DERElement {
    /// The identifier octet (low-tag-number form: X.509 needs no other).
    let tag: UInt8
    /// The whole element, header included (names are compared this way).
    let encoded: UnsafeRawBufferPointer
    let contents: ByteReader

    var isConstructed: Bool { tag & 0x20 != 0 }
    /// Context-specific tag number, e.g. 3 for `[3]`.
    var contextNumber: UInt8? { tag & 0xc0 == 0x80 ? tag & 0x1f : nil }
}

enum DERTag {
    static let integer: UInt8 = 0x02
    static let bitString: UInt8 = 0x03
    static let octetString: UInt8 = 0x04
    static let oid: UInt8 = 0x06
    static let teletexString: UInt8 = 0x14
    static let ia5String: UInt8 = 0x16
    static let utcTime: UInt8 = 0x17
    static let generalizedTime: UInt8 = 0x18
    static let universalString: UInt8 = 0x1c
    static let bmpString: UInt8 = 0x1e
    static let sequence: UInt8 = 0x30
    static let set: UInt8 = 0x31
}

extension ByteReader {
    /// Reads one element (definite lengths up to 4 length octets, as DER requires).
    mutating func derElement() throws -> DERElement {
        let start = readerIndex
        guard let tag = readUInt8() else { throw CertificateParseError("DER element truncated") }
        guard tag & 0x1f != 0x1f else { throw CertificateParseError("high-tag-number form is not used in X.509") }
        guard let first = readUInt8() else { throw CertificateParseError("DER length truncated") }
        var length = Int(first)
        if first & 0x80 != 0 {
            let n = Int(first & 0x7f)
            guard n >= 1 && n <= 4 else { throw CertificateParseError("DER length of \(n) octets") }
            length = 0
            for _ in 0..<n {
                guard let b = readUInt8() else { throw CertificateParseError("DER length truncated") }
                length = length << 8 | Int(b)
            }
        }
        guard let contents = readSlice(length: length) else { throw CertificateParseError("DER element longer than its parent") }
        let encoded = UnsafeRawBufferPointer(rebasing: bytes[start..<readerIndex])
        return DERElement(tag: tag, encoded: encoded, contents: contents)
    }

    /// Reads one element that must have `tag`.
    mutating func derElement(_ tag: UInt8, _ what: StaticString) throws -> DERElement {
        let e = try derElement()
        guard e.tag == tag else { throw CertificateParseError("\(what): tag 0x\(String(e.tag, radix: 16)), expected 0x\(String(tag, radix: 16))") }
        return e
    }
}

/// Object identifiers, compared as their DER contents.
enum OID {
    /// DER contents of a dotted OID (for the tables below).
    static func encode(_ dotted: String) -> [UInt8] {
        let arcs = dotted.split(separator: ".").map { UInt64($0)! }
        var out: [UInt8] = [UInt8(arcs[0] * 40 + arcs[1])]
        for arc in arcs.dropFirst(2) {
            var chunk: [UInt8] = [UInt8(arc & 0x7f)]
            var v = arc >> 7
            while v > 0 {
                chunk.insert(UInt8(v & 0x7f) | 0x80, at: 0)
                v >>= 7
            }
            out += chunk
        }
        return out
    }

    /// Dotted text of DER contents (for OIDs no table names).
    static func dotted(_ bytes: UnsafeRawBufferPointer) -> String {
        var arcs: [UInt64] = []
        var v: UInt64 = 0
        for b in bytes {
            guard v >> 56 == 0 else { return "?" }
            v = v << 7 | UInt64(b & 0x7f)
            if b & 0x80 == 0 {
                if arcs.isEmpty {
                    arcs = v < 80 ? [v / 40, v % 40] : [2, v - 80]
                } else {
                    arcs.append(v)
                }
                v = 0
            }
        }
        return arcs.map(String.init).joined(separator: ".")
    }

    /// Looks up DER contents in a table of (encoded OID, value).
    static func lookup<T>(_ bytes: UnsafeRawBufferPointer, in table: [(oid: [UInt8], value: T)]) -> T? {
        for entry in table where entry.oid.count == bytes.count && entry.oid.elementsEqual(bytes) { return entry.value }
        return nil
    }

    static func table<T>(_ entries: [(String, T)]) -> [(oid: [UInt8], value: T)] { entries.map { (encode($0.0), $0.1) } }
}
