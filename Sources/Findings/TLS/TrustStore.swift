import Foundation

/// CA certificates to validate chains against (`--ca-bundle`, default the
/// system bundle). Loaded on first use, once per run.
///
/// The check is deliberately simple: follow issuer names from the leaf
/// through the certificates the server sent until a bundle certificate
/// signed one of them, verifying each signature where the key type is
/// supported. It does not check intermediates' validity dates, name
/// constraints, key usage or revocation — it answers "does this chain lead
/// to a CA the site trusts", which is what an auditor asks of a capture.
public final class TrustStore: @unchecked Sendable {
    public let path: String
    private var anchors: Anchors?
    public private(set) var loadError: String?

    /// Where Debian, Ubuntu, Alpine (and, second, Fedora/RHEL) keep the system bundle.
    public static let systemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]

    public init(path: String) { self.path = path }

    /// The system bundle, when one exists.
    public static func system() -> TrustStore? {
        systemBundles.first(where: { FileManager.default.isReadableFile(atPath: $0) }).map(TrustStore.init(path:))
    }

    /// Reads every PEM certificate of the bundle; unparseable ones are skipped.
    /// Works on the bytes (a system bundle is ~200 KB of text; splitting it
    /// into Swift `String` lines costs more than parsing the certificates).
    public static func readPEM(_ bytes: [UInt8]) -> [CertificateFacts] {
        let begin = Array("-----BEGIN CERTIFICATE-----".utf8)
        let end = Array("-----END CERTIFICATE-----".utf8)
        var result: [CertificateFacts] = []
        var i = 0
        while let start = find(begin, in: bytes, from: i) {
            guard let stop = find(end, in: bytes, from: start + begin.count) else { break }
            if let der = base64Decode(bytes[(start + begin.count)..<stop]), let facts = try? CertificateFacts(der: der) {
                result.append(facts)
            }
            i = stop + end.count
        }
        return result
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        var i = start
        while i <= bytes.count - needle.count {
            if bytes[i] == needle[0] && bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// Standard base64 (RFC 4648 §4), whitespace ignored; nil on any other byte.
    static func base64Decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for c in text {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="), 0x20, 0x09, 0x0a, 0x0d: continue
            default: return nil
            }
            accumulator = accumulator << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }

    /// The bundle's certificates, indexed by subject name.
    struct Anchors {
        var bySubject: [[UInt8]: [CertificateFacts]] = [:]
        var fingerprints: Set<String> = []
        var isEmpty: Bool { fingerprints.isEmpty }
    }

    func loaded() -> Anchors {
        if let anchors { return anchors }
        var index = Anchors()
        do {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            for c in TrustStore.readPEM(bytes) {
                index.bySubject[c.subjectDER, default: []].append(c)
                index.fingerprints.insert(c.sha256)
            }
            if index.isEmpty { loadError = "no certificates in \(path)" }
        } catch {
            loadError = "cannot read CA bundle \(path): \(error.localizedDescription)"
        }
        anchors = index
        return index
    }

    /// nil when the chain leads to a bundle CA; otherwise why not.
    public func problem(with chain: [CertificateFacts], cache: CertificateCache) -> String? {
        // Names first: a chain whose issuer names never reach a bundle CA is
        // untrusted whatever its signatures, and needs no RSA verification.
        if let problem = walk(chain, cache: nil) { return problem }
        return walk(chain, cache: cache)
    }

    /// Follows issuers from the leaf; with a cache, each link's signature must verify too.
    func walk(_ chain: [CertificateFacts], cache: CertificateCache?) -> String? {
        let anchors = loaded()
        guard !anchors.isEmpty else { return nil }  // no usable bundle: nothing to judge against
        guard var current = chain.first else { return "no certificate" }
        func signed(_ subject: CertificateFacts, by issuer: CertificateFacts) -> Bool {
            cache.map { $0.isSigned(subject, by: issuer) != false } ?? true
        }
        for _ in 0..<10 {
            if anchors.fingerprints.contains(current.sha256) { return nil }
            if let issuers = anchors.bySubject[current.issuerDER], issuers.contains(where: { signed(current, by: $0) }) {
                return nil
            }
            guard let next = chain.first(where: {
                $0.sha256 != current.sha256 && $0.isIssuer(of: current) && signed(current, by: $0)
            }) else {
                if anchors.bySubject[current.issuerDER] != nil {
                    return "the signature of '\(current.subject)' does not verify with its issuer's key"
                }
                return current.isSelfIssued
                    ? "self-issued certificate '\(current.subject)' is not in the CA bundle"
                    : "issuer '\(current.issuer)' is neither sent by the server nor in the CA bundle"
            }
            current = next
        }
        return "chain longer than 10 certificates"
    }
}
