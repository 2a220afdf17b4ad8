import Crypto
import Decoding

/// What an auditor needs from one X.509 certificate, read from its DER.
///
/// The fields are read with a small in-place DER reader (`DER.swift`)
/// rather than through `X509.Certificate`, for two reasons: the certificates
/// worth flagging are exactly the ones a modern library refuses (RSA keys
/// under 1024 bits, DSA keys, MD5 signatures), and building SwiftASN1's node
/// tree plus X509's name texts cost ~150k instructions per certificate.
/// `X509.Certificate` is still used, when it accepts the certificate, to
/// verify signatures (self-signed, chain); see `CertificateCache`.
///
/// A class: a certificate is parsed once and then shared by every flow that
/// presents it (see `CertificateCache`), one reference per use.
public final class CertificateFacts: Sendable {
    public let subject: String
    public let issuer: String
    /// Microseconds since the Unix epoch.
    public let notBefore: Int64
    public let notAfter: Int64
    /// `RSA`, `EC`, `DSA`, `Ed25519`, `Ed448`, or the algorithm's OID.
    public let keyType: String
    /// Modulus bits (RSA, DSA), field size (EC), 256/456 for Ed25519/Ed448; 0 when unknown.
    public let keyBits: Int
    /// `P-256`, `P-384`, … for EC keys.
    public let curve: String?
    public let signatureAlgorithm: String
    /// The hash inside the signature algorithm (`md5`, `sha1`, `sha256`, …), nil for Ed25519/unknown.
    public let signatureHash: String?
    public let dnsNames: [String]
    public let commonNames: [String]
    /// SHA-256 of the DER, lower-case hex.
    public let sha256: String
    /// Subject and issuer are the same name (byte for byte).
    public let isSelfIssued: Bool
    public let der: [UInt8]
    let subjectDER: [UInt8]
    let issuerDER: [UInt8]

    public init(der: [UInt8]) throws {
        (subject, issuer, notBefore, notAfter, keyType, keyBits, curve, signatureAlgorithm, dnsNames, commonNames,
         subjectDER, issuerDER) = try der.withUnsafeBytes { raw in try CertificateFacts.read(raw) }
        signatureHash = CertificateFacts.signatureHashes[signatureAlgorithm]
        isSelfIssued = subjectDER == issuerDER
        sha256 = TLSFingerprint.hex(SHA256.hash(data: der))
        self.der = der
    }

    /// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature } (RFC 5280 §4.1).
    static func read(_ raw: UnsafeRawBufferPointer) throws -> (
        String, String, Int64, Int64, String, Int, String?, String, [String], [String], [UInt8], [UInt8]
    ) {
        var top = ByteReader(raw)
        var certificate = try top.derElement(DERTag.sequence, "Certificate").contents
        var tbs = try certificate.derElement(DERTag.sequence, "TBSCertificate").contents
        var signatureAlgorithm = try certificate.derElement(DERTag.sequence, "signatureAlgorithm").contents
        let algorithm = try signatureAlgorithm.derElement(DERTag.oid, "signature algorithm")
        let signatureName = OID.lookup(algorithm.contents.readableView, in: signatureAlgorithmNames)
            ?? OID.dotted(algorithm.contents.readableView)

        var element = try tbs.derElement()
        if element.contextNumber == 0 { element = try tbs.derElement() }  // [0] EXPLICIT version (absent in v1)
        guard element.tag == DERTag.integer else { throw CertificateParseError("serialNumber is not an INTEGER") }
        _ = try tbs.derElement(DERTag.sequence, "signature")
        let issuer = try tbs.derElement(DERTag.sequence, "issuer")
        var validity = try tbs.derElement(DERTag.sequence, "validity").contents
        let notBefore = try time(try validity.derElement())
        let notAfter = try time(try validity.derElement())
        let subject = try tbs.derElement(DERTag.sequence, "subject")
        let (keyType, keyBits, curve) = try publicKey(try tbs.derElement(DERTag.sequence, "subjectPublicKeyInfo"))
        var dnsNames: [String] = []
        while tbs.readableBytes > 0 {
            let optional = try tbs.derElement()
            // A malformed extension must not hide the rest of the certificate
            // (dates, key, issuer): its names are then simply unknown.
            if optional.contextNumber == 3 { dnsNames = (try? subjectAltDNSNames(optional)) ?? [] }
        }
        let (subjectText, commonNames) = try name(subject)
        let (issuerText, _) = try name(issuer)
        return (subjectText, issuerText, notBefore, notAfter, keyType, keyBits, curve, signatureName, dnsNames, commonNames,
                Array(subject.encoded), Array(issuer.encoded))
    }

    /// The names the certificate is for: SAN DNS names, or the subject CNs when there are none.
    public var names: [String] { dnsNames.isEmpty ? commonNames : dnsNames }

    /// Whether `host` is covered, with one leftmost-label wildcard (RFC 6125 §6.4.3).
    public func covers(_ host: String) -> Bool {
        let host = host.lowercased().trimmingSuffix(".")
        for pattern in names.map({ $0.lowercased() }) {
            if pattern == host { return true }
            if pattern.hasPrefix("*."), let dot = host.firstIndex(of: ".") {
                if host[host.index(after: dot)...] == pattern.dropFirst(2) && dot != host.startIndex { return true }
            }
        }
        return false
    }

    public func isIssuer(of other: CertificateFacts) -> Bool { subjectDER == other.issuerDER }

    // MARK: DER walking

    /// UTCTime `YYMMDDHHMMSSZ` (years 1950–2049) or GeneralizedTime
    /// `YYYYMMDDHHMMSS[.f]Z`, as microseconds since the epoch.
    static func time(_ e: DERElement) throws -> Int64 {
        let t = e.contents.readableView
        func digits(_ at: Int, _ n: Int) throws -> Int {
            var v = 0
            for i in at..<(at + n) {
                guard i < t.count, (0x30...0x39).contains(t[i]) else { throw CertificateParseError("malformed validity time") }
                v = v * 10 + Int(t[i] - 0x30)
            }
            return v
        }
        let year: Int
        let rest: Int
        switch e.tag {
        case DERTag.utcTime:
            let yy = try digits(0, 2)
            year = yy >= 50 ? 1900 + yy : 2000 + yy
            rest = 2
        case DERTag.generalizedTime:
            year = try digits(0, 4)
            rest = 4
        default:
            throw CertificateParseError("validity time is neither UTCTime nor GeneralizedTime")
        }
        let month = try digits(rest, 2), day = try digits(rest + 2, 2)
        let hour = try digits(rest + 4, 2), minute = try digits(rest + 6, 2)
        let second = t.count > rest + 8 && t[rest + 8] != UInt8(ascii: "Z") ? try digits(rest + 8, 2) : 0
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
            throw CertificateParseError("validity time out of range")
        }
        return (daysFromCivil(year, month, day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * 1_000_000
    }

    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        CivilDate(year: Int64(year), month: Int64(month), day: Int64(day)).daysSinceEpoch
    }

    /// Key type and size from SubjectPublicKeyInfo.
    static func publicKey(_ spki: DERElement) throws -> (String, Int, String?) {
        var info = spki.contents
        var algorithm = try info.derElement(DERTag.sequence, "key algorithm").contents
        let oid = try algorithm.derElement(DERTag.oid, "key algorithm OID").contents.readableView
        var key = try info.derElement(DERTag.bitString, "subjectPublicKey").contents
        _ = key.readUInt8()  // unused bits
        switch OID.lookup(oid, in: keyAlgorithms) {
        case "RSA":
            var rsa = try key.derElement(DERTag.sequence, "RSAPublicKey").contents
            return ("RSA", significantBits(try rsa.derElement(DERTag.integer, "modulus").contents.readableView), nil)
        case "DSA":
            // The size is that of the prime p in the parameters.
            guard algorithm.readableBytes > 0, case var params = try algorithm.derElement().contents,
                let p = try? params.derElement(DERTag.integer, "p")
            else { return ("DSA", 0, nil) }
            return ("DSA", significantBits(p.contents.readableView), nil)
        case "EC":
            guard algorithm.readableBytes > 0, let curveOID = try? algorithm.derElement(DERTag.oid, "curve") else {
                return ("EC", 0, "explicit")
            }
            let view = curveOID.contents.readableView
            let (name, bits) = OID.lookup(view, in: curves) ?? (OID.dotted(view), 0)
            return ("EC", bits, name)
        case "Ed25519": return ("Ed25519", 256, nil)
        case "Ed448": return ("Ed448", 456, nil)
        default: return (OID.dotted(oid), 0, nil)
        }
    }

    static func significantBits(_ integer: UnsafeRawBufferPointer) -> Int {
        guard let first = integer.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (integer.count - first - 1) * 8 + (8 - integer[first].leadingZeroBitCount)
    }

    /// dNSName entries of the subjectAltName extension inside `[3] Extensions`.
    static func subjectAltDNSNames(_ tagged: DERElement) throws -> [String] {
        var outer = tagged.contents
        var extensions = try outer.derElement(DERTag.sequence, "Extensions").contents
        var names: [String] = []
        while extensions.readableBytes > 0 {
            var ext = try extensions.derElement(DERTag.sequence, "Extension").contents
            let oid = try ext.derElement(DERTag.oid, "extnID").contents.readableView
            var value = try ext.derElement()
            if value.tag != DERTag.octetString { value = try ext.derElement() }  // skip `critical`
            guard oid.elementsEqual(subjectAltName) else { continue }
            var octets = value.contents
            var generalNames = try octets.derElement(DERTag.sequence, "GeneralNames").contents
            while generalNames.readableBytes > 0 {
                let general = try generalNames.derElement()
                if general.tag == 0x82 {  // [2] dNSName
                    let ia5 = DERElement(tag: DERTag.ia5String, encoded: general.encoded, contents: general.contents)
                    var name: [UInt8] = []
                    appendDirectoryString(ia5, to: &name)
                    names.append(String(decoding: name, as: UTF8.self))
                }
            }
        }
        return names
    }

    /// RFC 4514-style text of a Name (last RDN first, `+` within an RDN) and
    /// its commonName values. Written into one byte buffer: names are built
    /// for every new certificate.
    static func name(_ element: DERElement) throws -> (String, [String]) {
        var rdns = element.contents
        var sets: [ByteReader] = []
        while rdns.readableBytes > 0 { sets.append(try rdns.derElement(DERTag.set, "RelativeDistinguishedName").contents) }
        var text: [UInt8] = []
        text.reserveCapacity(element.contents.readableBytes + 8 * sets.count)
        var commonNames: [String] = []
        for (i, var set) in sets.reversed().enumerated() {
            if i > 0 { text.append(UInt8(ascii: ",")) }
            var first = true
            var setCNs: [String] = []
            while set.readableBytes > 0 {
                var attribute = try set.derElement(DERTag.sequence, "AttributeTypeAndValue").contents
                let type = try attribute.derElement(DERTag.oid, "attribute type").contents.readableView
                let value = try attribute.derElement()
                if !first { text.append(UInt8(ascii: "+")) }
                first = false
                let short = OID.lookup(type, in: attributeNames)
                text.append(contentsOf: (short ?? OID.dotted(type)).utf8)
                text.append(UInt8(ascii: "="))
                let start = text.count
                appendDirectoryString(value, to: &text)
                if short == "CN" { setCNs.append(String(decoding: text[start...], as: UTF8.self)) }
                escapeSeparators(&text, from: start)
            }
            // The RDNs are read last first; CNs are listed in certificate order.
            if !setCNs.isEmpty { commonNames.insert(contentsOf: setCNs, at: 0) }
        }
        return (String(decoding: text, as: UTF8.self), commonNames)
    }

    /// RFC 4514 §2.4: the characters that separate names are escaped (rarely present: checked first).
    static func escapeSeparators(_ text: inout [UInt8], from start: Int) {
        func isSeparator(_ b: UInt8) -> Bool {
            b == UInt8(ascii: ",") || b == UInt8(ascii: "+") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\")
                || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || b == UInt8(ascii: ";")
        }
        guard text[start...].contains(where: isSeparator) else { return }
        let value = Array(text[start...])
        text.removeSubrange(start...)
        for b in value {
            if isSeparator(b) { text.append(UInt8(ascii: "\\")) }
            text.append(b)
        }
    }

    /// Appends the UTF-8 text of a DirectoryString (UTF-8, printable, IA5,
    /// teletex as Latin-1, BMP, universal); control characters become `?`.
    /// Printable ASCII (the usual case) is copied straight from the certificate.
    static func appendDirectoryString(_ e: DERElement, to text: inout [UInt8]) {
        let b = e.contents.readableView
        func clean(_ v: UInt32) -> UInt32 { v >= 0x20 && v != 0x7f && Unicode.Scalar(v) != nil ? v : 0x3f }
        switch e.tag {
        case DERTag.bmpString, DERTag.universalString, DERTag.teletexString:
            let width = e.tag == DERTag.bmpString ? 2 : e.tag == DERTag.universalString ? 4 : 1
            var scalars = String.UnicodeScalarView()
            var i = 0
            while i + width <= b.count {
                var v: UInt32 = 0
                for k in 0..<width { v = v << 8 | UInt32(b[i + k]) }
                scalars.append(Unicode.Scalar(clean(v))!)
                i += width
            }
            text.append(contentsOf: String(scalars).utf8)
        default:
            if b.allSatisfy({ $0 >= 0x20 && $0 != 0x7f }) {
                // Printable ASCII or well-formed UTF-8 (repaired by decoding if not).
                if b.allSatisfy({ $0 < 0x80 }) { text.append(contentsOf: b) } else { text.append(contentsOf: String(decoding: b, as: UTF8.self).utf8) }
                return
            }
            text.append(contentsOf: String(decoding: b, as: UTF8.self).unicodeScalars.map { Unicode.Scalar(clean($0.value))! }
                .reduce(into: "") { $0.unicodeScalars.append($1) }.utf8)
        }
    }

    static let subjectAltName = OID.encode("2.5.29.17")

    static let keyAlgorithms = OID.table([
        ("1.2.840.113549.1.1.1", "RSA"), ("1.2.840.113549.1.1.10", "RSA"), ("1.2.840.10040.4.1", "DSA"),
        ("1.2.840.10045.2.1", "EC"), ("1.3.101.112", "Ed25519"), ("1.3.101.113", "Ed448"),
    ])

    static let attributeNames = OID.table([
        ("2.5.4.3", "CN"), ("2.5.4.6", "C"), ("2.5.4.7", "L"), ("2.5.4.8", "ST"), ("2.5.4.9", "STREET"),
        ("2.5.4.10", "O"), ("2.5.4.11", "OU"), ("2.5.4.5", "serialNumber"), ("0.9.2342.19200300.100.1.25", "DC"),
        ("0.9.2342.19200300.100.1.1", "UID"), ("1.2.840.113549.1.9.1", "emailAddress"),
    ])

    static let curves = OID.table([
        ("1.2.840.10045.3.1.7", ("P-256", 256)), ("1.3.132.0.34", ("P-384", 384)), ("1.3.132.0.35", ("P-521", 521)),
        ("1.2.840.10045.3.1.1", ("P-192", 192)), ("1.3.132.0.33", ("P-224", 224)), ("1.3.132.0.10", ("secp256k1", 256)),
        ("1.3.36.3.3.2.8.1.1.7", ("brainpoolP256r1", 256)), ("1.3.36.3.3.2.8.1.1.11", ("brainpoolP384r1", 384)),
        ("1.3.36.3.3.2.8.1.1.13", ("brainpoolP512r1", 512)),
    ])

    static let signatureAlgorithmNames = OID.table([
        ("1.2.840.113549.1.1.2", "md2WithRSAEncryption"), ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
        ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"), ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
        ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"), ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
        ("1.2.840.113549.1.1.14", "sha224WithRSAEncryption"), ("1.2.840.113549.1.1.10", "rsassaPss"),
        ("1.2.840.10040.4.3", "dsaWithSHA1"), ("2.16.840.1.101.3.4.3.2", "dsaWithSHA256"),
        ("1.2.840.10045.4.1", "ecdsaWithSHA1"), ("1.2.840.10045.4.3.2", "ecdsaWithSHA256"),
        ("1.2.840.10045.4.3.3", "ecdsaWithSHA384"), ("1.2.840.10045.4.3.4", "ecdsaWithSHA512"),
        ("1.3.101.112", "ed25519"), ("1.3.101.113", "ed448"),
    ])

    static let signatureHashes: [String: String] = [
        "md2WithRSAEncryption": "md2", "md5WithRSAEncryption": "md5", "sha1WithRSAEncryption": "sha1",
        "dsaWithSHA1": "sha1", "ecdsaWithSHA1": "sha1", "sha224WithRSAEncryption": "sha224",
        "sha256WithRSAEncryption": "sha256", "dsaWithSHA256": "sha256", "ecdsaWithSHA256": "sha256",
        "sha384WithRSAEncryption": "sha384", "ecdsaWithSHA384": "sha384", "sha512WithRSAEncryption": "sha512",
        "ecdsaWithSHA512": "sha512",
    ]
}

public struct CertificateParseError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
