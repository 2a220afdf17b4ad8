import Foundation
import X509

/// Parsed certificates and signature checks, remembered across flows: a
/// server presents the same chain on every connection, and parsing plus an
/// RSA verification cost far more than the rest of a handshake's judgement.
/// Keyed by the DER bytes through `DERKey`; bounded by `capacity` entries
/// per table, emptied when full.
public final class CertificateCache: @unchecked Sendable {
    // Used by one Auditor on one thread: no dynamic exclusivity checks.
    @exclusivity(unchecked) private var facts: [DERKey: Result<CertificateFacts, CertificateParseError>] = [:]
    @exclusivity(unchecked) private var x509: [DERKey: Certificate?] = [:]
    @exclusivity(unchecked) private var signatures: [DERPair: Bool?] = [:]
    @exclusivity(unchecked) private var chains: [[DERKey]: String?] = [:]
    let seed: UInt64
    public static let capacity = 4096

    public init() {
        var g = SystemRandomNumberGenerator()
        seed = g.next()
    }

    func key(_ der: [UInt8]) -> DERKey { DERKey(der, seed: seed) }

    public func facts(_ der: [UInt8]) -> Result<CertificateFacts, CertificateParseError> {
        let der = key(der)
        if let known = facts[der] { return known }
        let result: Result<CertificateFacts, CertificateParseError>
        do {
            result = .success(try CertificateFacts(der: der.bytes))
        } catch let error as CertificateParseError {
            result = .failure(error)
        } catch {
            result = .failure(CertificateParseError("\(error)"))
        }
        remember(&facts, der, result)
        return result
    }

    /// The certificate as `X509.Certificate`, when that library accepts it.
    func certificate(_ der: [UInt8]) -> Certificate? {
        let der = key(der)
        if let known = x509[der] { return known }
        let parsed = try? Certificate(derEncoded: der.bytes)
        remember(&x509, der, parsed)
        return parsed
    }

    /// `issuer`'s key verifies `subject`'s signature; nil when either key or
    /// algorithm is beyond X509 (DSA, RSA under 1024 bits, MD5).
    public func isSigned(_ subject: CertificateFacts, by issuer: CertificateFacts) -> Bool? {
        let key = DERPair(subject: self.key(subject.der), issuer: self.key(issuer.der))
        if let known = signatures[key] { return known }
        var verdict: Bool?
        if let me = certificate(subject.der), let them = certificate(issuer.der) {
            verdict = them.publicKey.isValidSignature(me.signature, for: me)
        }
        remember(&signatures, key, verdict)
        return verdict
    }

    /// Subject and issuer are the same and the key verifies its own
    /// signature (false when it does not; nil: could not be checked).
    public func selfSigned(_ c: CertificateFacts) -> Bool? {
        guard c.isSelfIssued else { return false }
        return isSigned(c, by: c)
    }

    /// The trust store's verdict on a chain, remembered per chain.
    func chainProblem(_ chain: [CertificateFacts], _ trust: TrustStore) -> String? {
        let key = chain.map { self.key($0.der) }
        if let known = chains[key] { return known }
        let problem = trust.problem(with: chain, cache: self)
        remember(&chains, key, problem)
        return problem
    }

    private func remember<K: Hashable, V>(_ table: inout [K: V], _ key: K, _ value: V) {
        if table.count >= CertificateCache.capacity { table.removeAll(keepingCapacity: true) }
        table[key] = value
    }
}

/// DER bytes as a dictionary key: `Hasher` sees only their seeded digest
/// (see `SeededDigest`); equality compares the bytes.
struct DERKey: Hashable {
    let bytes: [UInt8]
    let digest: UInt64

    init(_ bytes: [UInt8], seed: UInt64) {
        self.bytes = bytes
        var d = SeededDigest(seed: seed)
        bytes.withUnsafeBytes { d.add(bytes: $0) }
        digest = d.h
    }

    func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    static func == (a: DERKey, b: DERKey) -> Bool {
        guard a.digest == b.digest, a.bytes.count == b.bytes.count else { return false }
        return a.bytes.withUnsafeBytes { x in b.bytes.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
    }
}

struct DERPair: Hashable {
    let subject: DERKey
    let issuer: DERKey
}
