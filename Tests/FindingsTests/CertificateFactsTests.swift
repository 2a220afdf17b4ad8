import Foundation
import Testing
@testable import Findings

/// CertificateFacts on certificates made with OpenSSL (CertificateFixtures.swift):
/// every expected value below is what `openssl x509` printed for the fixture.
@Suite("Certificate facts")
struct CertificateFactsTests {
    static func facts(_ base64: String) throws -> CertificateFacts { try CertificateFacts(der: der(base64)) }

    /// Signature checks go through the cache (X509 does the verifying).
    let cache = CertificateCache()

    @Test func rsa2048SelfSignedWithSANs() throws {
        let c = try Self.facts(rsa2048SelfSignedBase64)
        #expect(c.subject == "CN=plainsight.test,O=PlainSight Test,C=US")
        #expect(c.issuer == "CN=plainsight.test,O=PlainSight Test,C=US")
        #expect(c.notBefore == utc(2024, 1, 1))
        #expect(c.notAfter == utc(2025, 1, 1))
        #expect(c.keyType == "RSA")
        #expect(c.keyBits == 2048)
        #expect(c.curve == nil)
        #expect(c.signatureAlgorithm == "sha256WithRSAEncryption")
        #expect(c.signatureHash == "sha256")
        #expect(c.dnsNames == ["plainsight.test", "www.plainsight.test", "*.api.plainsight.test"])
        #expect(c.commonNames == ["plainsight.test"])
        #expect(c.names == c.dnsNames)
        #expect(c.sha256 == "9f66dec8282f1a84f127a6540e47e611ca271674dd31fa5a62313c5fab88b6de")
        #expect(c.isSelfIssued)
        #expect(c.der == der(rsa2048SelfSignedBase64))
        #expect(cache.selfSigned(c) == true)
    }

    @Test func rsa1024WithSHA1AndNoSAN() throws {
        let c = try Self.facts(rsa1024SHA1Base64)
        #expect(c.subject == "CN=legacy.plainsight.test,O=PlainSight Legacy")
        #expect(c.notBefore == utc(2019, 1, 1))
        #expect(c.notAfter == utc(2024, 1, 1))
        #expect(c.keyType == "RSA")
        #expect(c.keyBits == 1024)
        #expect(c.signatureAlgorithm == "sha1WithRSAEncryption")
        #expect(c.signatureHash == "sha1")
        #expect(c.dnsNames.isEmpty)
        // Without subjectAltName the subject CN names the host.
        #expect(c.names == ["legacy.plainsight.test"])
        #expect(c.covers("legacy.plainsight.test"))
        #expect(c.sha256 == "83b13b74a8a804423c20a93d8da0f3dbd37e1983b820c9181ed5da9191758426")
        #expect(c.isSelfIssued)
        #expect(cache.selfSigned(c) != false)  // verified, or not checkable by the library
    }

    @Test func ecP256() throws {
        let c = try Self.facts(ecP256Base64)
        #expect(c.subject == "CN=ec256.plainsight.test")
        #expect(c.notBefore == utc(2024, 6, 1, 12))
        #expect(c.notAfter == utc(2025, 6, 1, 12))
        #expect(c.keyType == "EC")
        #expect(c.keyBits == 256)
        #expect(c.curve == "P-256")
        #expect(c.signatureAlgorithm == "ecdsaWithSHA256")
        #expect(c.signatureHash == "sha256")
        #expect(c.dnsNames == ["ec256.plainsight.test"])
        #expect(cache.selfSigned(c) == true)
    }

    @Test func ecP384() throws {
        let c = try Self.facts(ecP384Base64)
        #expect(c.keyType == "EC")
        #expect(c.keyBits == 384)
        #expect(c.curve == "P-384")
        #expect(c.signatureAlgorithm == "ecdsaWithSHA384")
        #expect(c.signatureHash == "sha384")
        #expect(c.sha256 == "245c8a91de07e9b32dffccbb22f0a9d3a67880da8f4d30e48674b76ce6687f2c")
        #expect(cache.selfSigned(c) == true)
    }

    @Test func dsa1024() throws {
        let c = try Self.facts(dsa1024Base64)
        #expect(c.subject == "CN=dsa.plainsight.test")
        #expect(c.keyType == "DSA")
        #expect(c.keyBits == 1024)
        #expect(c.curve == nil)
        #expect(c.signatureAlgorithm == "dsaWithSHA256")
        #expect(c.signatureHash == "sha256")
        #expect(c.dnsNames == ["dsa.plainsight.test"])
        #expect(c.isSelfIssued)
        #expect(cache.selfSigned(c) != false)
    }

    @Test func ed25519() throws {
        let c = try Self.facts(ed25519Base64)
        #expect(c.keyType == "Ed25519")
        #expect(c.keyBits == 256)
        #expect(c.signatureAlgorithm == "ed25519")
        #expect(c.signatureHash == nil)
        #expect(c.dnsNames == ["ed25519.plainsight.test"])
        #expect(cache.selfSigned(c) == true)
    }

    @Test func md5Signature() throws {
        let c = try Self.facts(md5RSABase64)
        #expect(c.signatureAlgorithm == "md5WithRSAEncryption")
        #expect(c.signatureHash == "md5")
        #expect(c.keyType == "RSA")
        #expect(c.keyBits == 2048)
        #expect(c.sha256 == "8ff7d421ac060ecb659766feef4e106fa5f3f6befdce62a6e8e5420c2ca9212c")
        #expect(cache.selfSigned(c) != false)
    }

    @Test func expiredDates() throws {
        let c = try Self.facts(expiredBase64)
        #expect(c.notBefore == utc(2015, 1, 1))
        #expect(c.notAfter == utc(2016, 1, 1))
        #expect(c.notAfter - c.notBefore == 365 * oneDay)
    }

    @Test func caAndLeaf() throws {
        let ca = try Self.facts(rootCABase64)
        let leaf = try Self.facts(leafBase64)
        let long = try Self.facts(longLeafBase64)
        let other = try Self.facts(otherCABase64)
        #expect(ca.subject == "CN=PlainSight Test Root CA,O=PlainSight Test,C=US")
        #expect(ca.signatureAlgorithm == "sha1WithRSAEncryption")
        #expect(ca.notBefore == utc(2020, 1, 1))
        #expect(ca.notAfter == utc(2040, 1, 1))
        #expect(leaf.subject == "CN=leaf.plainsight.test,O=PlainSight Test")
        #expect(leaf.issuer == ca.subject)
        #expect(leaf.notBefore == utc(2024, 1, 1))
        #expect(leaf.notAfter == utc(2024, 12, 31))
        #expect(leaf.keyType == "EC" && leaf.curve == "P-256")
        #expect(leaf.signatureAlgorithm == "sha256WithRSAEncryption")
        #expect(ca.isIssuer(of: leaf))
        #expect(!leaf.isIssuer(of: ca))
        #expect(!other.isIssuer(of: leaf))
        #expect(cache.isSigned(leaf, by: ca) == true)
        #expect(cache.isSigned(long, by: ca) == true)
        #expect(cache.isSigned(leaf, by: other) == false)
        #expect(!leaf.isSelfIssued)
        #expect(cache.selfSigned(leaf) == false)
        #expect(ca.isSelfIssued)
        #expect(cache.selfSigned(ca) != false)
        #expect(cache.selfSigned(other) == true)
        #expect(leaf.sha256 == "0b9772ee85637c3a28a094d780eed4d5ea66ab4f69167d24c361858ba1046e5a")
    }

    @Test func aCorruptSignatureIsNotSelfSigned() throws {
        var bytes = der(rsa2048SelfSignedBase64)
        bytes[bytes.count - 1] ^= 0x01  // the last byte of the signature BIT STRING
        let c = try CertificateFacts(der: bytes)
        let good = try Self.facts(rsa2048SelfSignedBase64)
        #expect(c.isSelfIssued)
        #expect(c.subject == good.subject)
        #expect(c.sha256 != good.sha256)
        // One cache for both: certificates that differ in one byte are not mixed up.
        #expect(cache.selfSigned(good) == true)
        #expect(cache.selfSigned(c) == false)
        #expect(cache.selfSigned(good) == true)
        #expect(CertificateCache().selfSigned(c) == false)
    }

    @Test func cacheRemembersFactsAndFailures() throws {
        let bytes = der(ecP256Base64)
        guard case .success(let first) = cache.facts(bytes), case .success(let again) = cache.facts(bytes) else {
            Issue.record("fixture does not parse")
            return
        }
        #expect(first.sha256 == again.sha256)
        #expect(first.subject == "CN=ec256.plainsight.test")
        if case .success = cache.facts([0x30, 0x03, 0x02, 0x01, 0x01]) { Issue.record("garbage parsed") }
    }

    @Test func wildcardCoversOneLeftmostLabel() throws {
        let c = try Self.facts(rsa2048SelfSignedBase64)
        #expect(c.covers("plainsight.test"))
        #expect(c.covers("www.plainsight.test"))
        #expect(c.covers("WWW.PlainSight.TEST"))
        #expect(c.covers("www.plainsight.test."))
        #expect(c.covers("x.api.plainsight.test"))
        #expect(c.covers("a-b.api.plainsight.test"))
        // RFC 6125 §6.4.3: the wildcard is one whole label, and not the bare domain.
        #expect(!c.covers("api.plainsight.test"))
        #expect(!c.covers("a.b.api.plainsight.test"))
        #expect(!c.covers(".api.plainsight.test"))
        #expect(!c.covers("xapi.plainsight.test"))
        #expect(!c.covers("mail.plainsight.test"))
        #expect(!c.covers("plainsight.test.evil.example"))
        #expect(!c.covers("evilplainsight.test"))
        #expect(!c.covers(""))
    }

    @Test func garbageIsRejected() {
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("one INTEGER in a SEQUENCE", [0x30, 0x03, 0x02, 0x01, 0x01]),
            ("truncated certificate", Array(der(rsa2048SelfSignedBase64).prefix(200))),
            ("a length past the end", [0x30, 0x82, 0x10, 0x00, 0x30, 0x00]),
            ("text", Array("-----BEGIN CERTIFICATE-----".utf8)),
            ("three empty SEQUENCEs", [0x30, 0x06, 0x30, 0x00, 0x30, 0x00, 0x03, 0x00]),
        ]
        for (name, bytes) in cases {
            #expect(throws: (any Error).self, "\(name)") { try CertificateFacts(der: bytes) }
        }
    }
}
