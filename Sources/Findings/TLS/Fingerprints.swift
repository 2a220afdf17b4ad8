import Crypto
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
    public static func ja3String(_ h: ClientHello) -> String { ja3Text(h).string }

    static func ja3Text(_ h: ClientHello) -> ASCII {
        var t = ASCII()
        t.decimal(UInt64(h.legacyVersion.rawValue))
        t.byte(",")
        t.decimalList(h.cipherSuites)
        t.byte(",")
        t.decimalList(h.extensions)
        t.byte(",")
        t.decimalList(h.supportedGroups)
        t.byte(",")
        for (i, format) in h.ecPointFormats.enumerated() {
            if i > 0 { t.byte("-") }
            t.decimal(UInt64(format))
        }
        return t
    }

    public static func ja3(_ h: ClientHello) -> String { hex(Insecure.MD5.hash(data: ja3Text(h).bytes)) }

    /// `version,cipher,extensions` of the ServerHello.
    public static func ja3sString(_ h: ServerHello) -> String {
        var t = ASCII()
        t.decimal(UInt64(h.legacyVersion.rawValue))
        t.byte(",")
        t.decimal(UInt64(h.cipherSuite))
        t.byte(",")
        t.decimalList(h.extensions)
        return t.string
    }

    public static func ja3s(_ h: ServerHello) -> String { hex(Insecure.MD5.hash(data: Array(ja3sString(h).utf8))) }

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
        let bHash = ciphers.isEmpty ? zeroHash : truncatedSHA256(b.bytes)
        // No extensions besides SNI and ALPN (and so no signature algorithms): zeros.
        let cHash = c.bytes.isEmpty ? zeroHash : truncatedSHA256(c.bytes)
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

    static func truncatedSHA256(_ bytes: [UInt8]) -> String { String(hex(SHA256.hash(data: bytes)).prefix(12)) }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var t = ASCII()
        for byte in digest {
            t.bytes.append(ASCII.hexDigits[Int(byte >> 4)])
            t.bytes.append(ASCII.hexDigits[Int(byte & 0xf)])
        }
        return t.string
    }
}

/// An ASCII text built byte by byte.
struct ASCII {
    var bytes: [UInt8] = []

    static let hexDigits = Array("0123456789abcdef".utf8)

    init() { bytes.reserveCapacity(256) }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func byte(_ c: Unicode.Scalar) { bytes.append(UInt8(ascii: c)) }

    /// Constant divisors only (the compiler turns them into multiplies):
    /// the values written are 16-bit code points.
    mutating func decimal(_ v: UInt64) {
        if v >= 100_000 { decimal(v / 100_000) }
        let low = v % 100_000
        if v >= 10_000 { bytes.append(0x30 + UInt8(low / 10_000)) }
        if v >= 1000 { bytes.append(0x30 + UInt8(low / 1000 % 10)) }
        if v >= 100 { bytes.append(0x30 + UInt8(low / 100 % 10)) }
        if v >= 10 { bytes.append(0x30 + UInt8(low / 10 % 10)) }
        bytes.append(0x30 + UInt8(low % 10))
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

    /// Four lower-case hex digits per value, comma-separated.
    mutating func hexList(_ values: [UInt16]) {
        for (i, v) in values.enumerated() {
            if i > 0 { byte(",") }
            for shift in stride(from: 12, through: 0, by: -4) { bytes.append(ASCII.hexDigits[Int(v >> UInt16(shift) & 0xf)]) }
        }
    }
}
