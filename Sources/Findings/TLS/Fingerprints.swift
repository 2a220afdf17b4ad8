import Crypto
import Foundation
import Inspection

/// Client and server TLS fingerprints: JA3/JA3S (Salesforce; MD5 of the
/// decimal field string) and JA4 (FoxIO; the BSD-licensed TLS-client part).
/// GREASE values are left out everywhere, as both definitions say.
///
/// Computed once per handshake; the texts are built as ASCII bytes (no
/// per-value `String`s), since a client offers dozens of suites and extensions.
public enum TLSFingerprint {
    /// `version,ciphers,extensions,groups,point_formats` with `-` inside
    /// each list; the version is the ClientHello's legacy version field.
    public static func ja3String(_ h: ClientHello) -> String { withJA3Text(h) { String(decoding: $0, as: UTF8.self) } }

    public static func ja3(_ h: ClientHello) -> String { withJA3Text(h) { hex(Insecure.MD5.hash(data: $0)) } }

    /// Writes the JA3 text into a stack buffer straight from the hello's
    /// bytes (it runs for every handshake: no arrays, no per-value appends).
    static func withJA3Text<R>(_ h: ClientHello, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        h.withRawLists { raw in
            // At most five digits and a separator per value, and four commas.
            let values = 1 + raw.cipherSuites.count / 2 + raw.extensionBlock.count / 4 + raw.supportedGroups.count / 2
                + raw.ecPointFormats.count
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6 * values + 4) { out in
                var n = 0
                func put(_ b: UInt8) {
                    out[n] = b
                    n += 1
                }
                func decimal(_ v: UInt16) { n = ASCII.write(UInt64(v), to: out, at: n) }
                /// A list of 16-bit values, each at the start of an entry `next` steps over; GREASE left out.
                func list(_ bytes: UnsafeRawBufferPointer, next: (Int) -> Int) {
                    put(UInt8(ascii: ","))
                    var first = true
                    var i = 0
                    while i + 2 <= bytes.count {
                        let v = UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
                        i = next(i)
                        guard !TLSVersion.isGREASE(v) else { continue }
                        if !first { put(UInt8(ascii: "-")) }
                        first = false
                        decimal(v)
                    }
                }
                decimal(h.legacyVersion.rawValue)
                list(raw.cipherSuites) { $0 + 2 }
                list(raw.extensionBlock) { raw.nextExtension(after: $0) }
                list(raw.supportedGroups) { $0 + 2 }
                put(UInt8(ascii: ","))
                for (i, format) in raw.ecPointFormats.enumerated() {
                    if i > 0 { put(UInt8(ascii: "-")) }
                    decimal(UInt16(format))
                }
                return body(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[..<n]))
            }
        }
    }

    /// `version,cipher,extensions` of the ServerHello.
    public static func ja3sString(_ h: ServerHello) -> String { ja3sText(h).string }

    static func ja3sText(_ h: ServerHello) -> ASCII {
        var t = ASCII()
        t.decimal(UInt64(h.legacyVersion.rawValue))
        t.byte(",")
        t.decimal(UInt64(h.cipherSuite))
        t.byte(",")
        t.decimalList(h.extensions)
        return t
    }

    public static func ja3s(_ h: ServerHello) -> String {
        ja3sText(h).withBytes { hex(Insecure.MD5.hash(data: $0)) }
    }

    /// JA4 over TCP: `t<version><d|i><ciphers><extensions><alpn>_<hash of
    /// sorted ciphers>_<hash of sorted extensions and signature algorithms>`.
    public static func ja4(_ h: ClientHello) -> String {
        let ciphers = h.cipherSuites.filter { !TLSVersion.isGREASE($0) }
        let extensions = h.extensions.filter { !TLSVersion.isGREASE($0) }
        let supported = h.supportedVersions.filter { !TLSVersion.isGREASE($0) }
        let version = supported.max() ?? h.legacyVersion.rawValue
        var a = "t" + ja4Version(version)
        a += extensions.contains(TLSExtension.serverName) ? "d" : "i"
        a += twoDigits(ciphers.count) + twoDigits(extensions.count) + ja4ALPN(h.firstALPNValue)

        // Fixed-width lower-case hex sorts as the numbers do: sort the values.
        var b = ASCII()
        b.hexList(ciphers.sorted())
        var c = ASCII()
        c.hexList(extensions.filter { $0 != TLSExtension.serverName && $0 != TLSExtension.alpn }.sorted())
        let sigalgs = h.signatureAlgorithms.filter { !TLSVersion.isGREASE($0) }
        if !sigalgs.isEmpty {
            c.byte("_")
            c.hexList(sigalgs)
        }
        let bHash = ciphers.isEmpty ? zeroHash : b.withBytes(truncatedSHA256)
        // No extensions besides SNI and ALPN (and so no signature algorithms): zeros.
        let cHash = c.isEmpty ? zeroHash : c.withBytes(truncatedSHA256)
        return a + "_" + bHash + "_" + cHash
    }

    static let zeroHash = "000000000000"

    static func ja4Version(_ v: UInt16) -> String {
        switch v {
        case 0x0304: return "13"
        case 0x0303: return "12"
        case 0x0302: return "11"
        case 0x0301: return "10"
        case 0x0300: return "s3"
        case 0x0002: return "s2"
        case 0xfeff: return "d1"
        case 0xfefd: return "d2"
        case 0xfefc: return "d3"
        default: return "00"
        }
    }

    /// First and last character of the first ALPN value; when either is not
    /// alphanumeric ASCII, the first and last hex digits of the value instead.
    static func ja4ALPN(_ value: [UInt8]?) -> String {
        guard let value, let first = value.first, let last = value.last else { return "00" }
        func isAlnum(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x41...0x5a).contains(b) || (0x61...0x7a).contains(b) }
        if isAlnum(first) && isAlnum(last) {
            return String(UnicodeScalar(first)) + String(UnicodeScalar(last))
        }
        return String(UnicodeScalar(ASCII.hexDigits[Int(first >> 4)])) + String(UnicodeScalar(ASCII.hexDigits[Int(last & 0xf)]))
    }

    static func twoDigits(_ n: Int) -> String {
        let capped = min(n, 99)
        return capped < 10 ? "0\(capped)" : "\(capped)"
    }

    static func truncatedSHA256(_ bytes: UnsafeRawBufferPointer) -> String {
        String(hex(SHA256.hash(data: bytes)).prefix(12))
    }

    /// Lower-case hex of a digest, written straight into the string's storage.
    static func hex(_ digest: some ContiguousBytes) -> String {
        digest.withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: 2 * raw.count) { out in
                for (i, byte) in raw.enumerated() {
                    out[2 * i] = ASCII.hexDigits[Int(byte >> 4)]
                    out[2 * i + 1] = ASCII.hexDigits[Int(byte & 0xf)]
                }
                return 2 * raw.count
            }
        }
    }
}

/// An ASCII text built by appending: JA3S and JA4 are built once per
/// distinct hello (JA3, built per handshake, writes into a stack buffer).
struct ASCII {
    private var bytes: [UInt8] = []

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// `tag` and the 16 lower-case hex digits of `value`: flow ids (`C…`) and
    /// finding keys (`E…`).
    static func taggedHex(_ tag: Unicode.Scalar, _ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 17) { out in
            out[0] = UInt8(ascii: tag)
            for k in 0..<16 { out[1 + k] = hexDigits[Int(value >> UInt64(60 - 4 * k) & 0xf)] }
            return 17
        }
    }

    var isEmpty: Bool { bytes.isEmpty }
    var string: String { String(decoding: bytes, as: UTF8.self) }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try bytes.withUnsafeBytes(body) }

    mutating func byte(_ c: Unicode.Scalar) { bytes.append(UInt8(ascii: c)) }

    mutating func decimal(_ v: UInt64) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            bytes.append(contentsOf: digits[..<ASCII.write(v, to: digits, at: 0)])
        }
    }

    /// GREASE values are left out (both JA3 and JA4 say so).
    mutating func decimalList(_ values: [UInt16]) {
        var first = true
        for v in values where !TLSVersion.isGREASE(v) {
            if !first { byte("-") }
            first = false
            decimal(UInt64(v))
        }
    }

    /// Writes the digits of `v` at `at`; returns the index after them.
    static func write(_ v: UInt64, to out: UnsafeMutableBufferPointer<UInt8>, at: Int) -> Int {
        var digits = 1
        var rest = v
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        rest = v
        var i = at + digits
        repeat {
            i -= 1
            out[i] = 0x30 &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while rest > 0
        return at + digits
    }

    /// Four lower-case hex digits per value, comma-separated.
    mutating func hexList(_ values: [UInt16]) {
        for (i, v) in values.enumerated() {
            if i > 0 { byte(",") }
            for shift in stride(from: 12, through: 0, by: -4) { bytes.append(ASCII.hexDigits[Int(v >> UInt16(shift) & 0xf)]) }
        }
    }
}
