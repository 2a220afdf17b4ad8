import Foundation
import Testing
import TestSupport
@testable import Findings
@testable import Flows
@testable import Inspection

/// Handshakes built from RFC byte layouts (and certificates made with
/// OpenSSL) judged against the shipped policies: one test per rule.
@Suite("TLS assessor")
struct TLSAssessorTests {
    static let intermediate = try! TLSPolicy.load("mozilla-intermediate", patterns: patternsURL)
    static let flow = makeFlowIdentity()
    static let midValidity = utc(2024, 6, 1)  // inside every fixture's validity but the expired one

    // MARK: building handshakes

    static func client(
        versions: [UInt16]? = [0x0304, 0x0303], legacy: UInt16 = 0x0303, suites: [UInt16] = [0x1301, 0xc02f, 0x00ff],
        sni: String? = "www.plainsight.test", extra: [B.Extension] = []
    ) throws -> ClientHello {
        var s = B.ClientHelloSpec()
        s.version = legacy
        s.cipherSuites = suites
        var e: [B.Extension] = []
        if let sni { e.append(B.sni(sni)) }
        e += [B.supportedGroups([0x001d, 0x0017]), B.ecPointFormats([0]), B.signatureAlgorithms([0x0403, 0x0804])]
        if let versions { e.append(B.supportedVersions(versions)) }
        s.extensions = e + extra
        return try parseClientHello(s)
    }

    static func server(
        version: UInt16 = 0x0303, suite: UInt16 = 0xc02f, compression: UInt8 = 0,
        extensions: [B.Extension]? = [B.renegotiationInfo()]
    ) throws -> ServerHello {
        var s = B.ServerHelloSpec()
        s.version = version
        s.cipherSuite = suite
        s.compressionMethod = compression
        s.extensions = extensions
        return try parseServerHello(s)
    }

    static func handshake(_ client: ClientHello?, _ server: ServerHello?, certificates: [[UInt8]] = []) -> TLSHandshake {
        var h = TLSHandshake()
        h.clientHello = client
        h.serverHello = server
        h.certificates = certificates
        h.certificateMessageSeen = !certificates.isEmpty
        return h
    }

    static func assess(
        _ h: TLSHandshake, policy: TLSPolicy = intermediate, at time: Int64 = midValidity, now: Int64? = nil,
        trust: TrustStore? = nil
    ) -> (TLSSummary, [Finding]) {
        TLSAssessor(policy: policy, now: now, trust: trust).assess(h, flow: flow, app: .tls, at: time)
    }

    /// The one finding of `rule` (recording an issue when there is not exactly one).
    static func one(_ all: [Finding], _ rule: String, sourceLocation: SourceLocation = #_sourceLocation) -> Finding? {
        let found = findings(all, rule)
        if found.count != 1 {
            Issue.record("\(found.count) findings \(rule) in \(all.map(\.rule))", sourceLocation: sourceLocation)
        }
        return found.first
    }

    /// Every finding carries the policy, the clause and the rule's remediation text.
    static func expectAttribution(_ f: Finding, policy: TLSPolicy = intermediate, clause: String? = nil) {
        let d = f.detailMap
        #expect(d["policy"] == policy.name, "\(f.rule)")
        if let clause { #expect(d["policy_rule"] == clause, "\(f.rule)") } else { #expect(d["policy_rule"]?.isEmpty == false) }
        #expect(d["remediation"] != nil, "\(f.rule)")
        #expect(d["remediation"] == policy.rules[f.rule]?.remediation, "\(f.rule)")
        #expect(d["references"] == policy.rules[f.rule]?.references.flatMap { $0.isEmpty ? nil : $0.joined(separator: "; ") }, "\(f.rule)")
        #expect(f.category == (f.rule.hasPrefix("certificate.") ? .certificate : .tls))
        #expect(f.flow == flow)
        #expect(f.app == .tls)
        #expect(!f.message.isEmpty)
    }

    // MARK: versions

    @Test func weakVersionPerVersion() throws {
        let expected: [(UInt16, String, Severity?)] = [
            (0x0300, "SSLv3", .critical), (0x0301, "TLSv1.0", .high), (0x0302, "TLSv1.1", .high), (0x0303, "TLSv1.2", nil),
        ]
        for (raw, name, severity) in expected {
            let h = Self.handshake(try Self.client(versions: nil, legacy: raw), try Self.server(version: raw))
            let (summary, all) = Self.assess(h)
            #expect(summary.version == name)
            let weak = findings(all, "tls.weak-version")
            if let severity {
                let f = try #require(weak.first, "\(name)")
                #expect(weak.count == 1)
                #expect(f.severity == severity, "\(name)")
                #expect(f.detailMap["version"] == name)
                #expect(f.evidence == name)
                Self.expectAttribution(f, clause: "versions.\(name)")
            } else {
                #expect(weak.isEmpty, "\(name)")
            }
        }
        let tls13 = Self.handshake(try Self.client(), try Self.server(extensions: [B.selectedVersion(0x0304)]))
        #expect(findings(Self.assess(tls13).1, "tls.weak-version").isEmpty)
    }

    @Test func sslv2ServerHelloIsCritical() throws {
        typealias K = TLSBytes.SSL2CipherKind
        let h = analyze(
            client: B.sslv2ClientHello(version: 0x0002, kinds: [K.rc4_128_with_md5, K.des_192_ede3_cbc_with_md5]),
            server: B.sslv2ServerHello(certificate: der(rsa2048SelfSignedBase64), kinds: [K.rc4_128_with_md5]))
        let (summary, all) = Self.assess(h)
        #expect(summary.version == "SSLv2")
        #expect(summary.cipher == "SSL_CK_RC4_128_WITH_MD5")
        #expect(summary.ja3 == nil && summary.ja4 == nil)
        #expect(summary.certificateStatus == "visible")
        let f = try #require(Self.one(all, "tls.weak-version"))
        #expect(f.severity == .critical)
        // SSL 2.0 has no renegotiation_info and no cipher suite to judge as TLS.
        #expect(findings(all, "tls.insecure-renegotiation").isEmpty)
        #expect(findings(all, "tls.weak-cipher").isEmpty)
        // Both SSL 2.0 kinds offered are broken.
        let offers = try #require(Self.one(all, "tls.client-offers-weak-cipher"))
        #expect(offers.detailMap["offered_weak_ciphers"] == "2")
    }

    @Test func clientOffersWeakVersions() throws {
        let h = Self.handshake(try Self.client(versions: [0x0304, 0x0303, 0x0302, 0x0301]), try Self.server())
        let (summary, all) = Self.assess(h)
        #expect(summary.clientVersions == ["TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1.0"])
        let f = try #require(Self.one(all, "tls.client-offers-weak-version"))
        #expect(f.severity == .low)
        #expect(f.detailMap["offered_versions"] == "TLSv1.1, TLSv1.0")
        Self.expectAttribution(f, clause: "client_offers")
        #expect(findings(all, "tls.weak-version").isEmpty)

        // Under Modern, TLS 1.2 is not allowed either.
        let modern = try TLSPolicy.load("mozilla-modern", patterns: patternsURL)
        let m = try #require(Self.one(Self.assess(h, policy: modern).1, "tls.client-offers-weak-version"))
        #expect(m.detailMap["offered_versions"] == "TLSv1.2, TLSv1.1, TLSv1.0")

        let clean = Self.handshake(try Self.client(versions: [0x0304, 0x0303]), try Self.server())
        #expect(findings(Self.assess(clean).1, "tls.client-offers-weak-version").isEmpty)
        // GREASE in supported_versions is not a version offered.
        let grease = Self.handshake(try Self.client(versions: [0x5a5a, 0x0304, 0x0303]), try Self.server())
        #expect(findings(Self.assess(grease).1, "tls.client-offers-weak-version").isEmpty)
    }

    @Test func downgrade() throws {
        // The client's best is TLS 1.2 (legacy version, no supported_versions); the server picks TLS 1.0.
        let h = Self.handshake(try Self.client(versions: nil), try Self.server(version: 0x0301, suite: 0xc013))
        let all = Self.assess(h).1
        let f = try #require(Self.one(all, "tls.downgrade"))
        #expect(f.severity == .high)
        #expect(f.detailMap["client_highest"] == "TLSv1.2")
        #expect(f.detailMap["version"] == "TLSv1.0")
        Self.expectAttribution(f, clause: "downgrade")

        // A client that offers no more than TLS 1.0 is not downgraded.
        let old = Self.handshake(try Self.client(versions: nil, legacy: 0x0301), try Self.server(version: 0x0301))
        #expect(findings(Self.assess(old).1, "tls.downgrade").isEmpty)
        // TLS 1.3 offered, TLS 1.2 chosen: not a downgrade below 1.2.
        let twelve = Self.handshake(try Self.client(), try Self.server())
        #expect(findings(Self.assess(twelve).1, "tls.downgrade").isEmpty)
    }

    // MARK: cipher suites

    @Test func weakCipherSeverityIsTheWorstWeakness() throws {
        let rc4 = Self.handshake(try Self.client(), try Self.server(suite: 0x0004))  // TLS_RSA_WITH_RC4_128_MD5
        let (summary, all) = Self.assess(rc4)
        #expect(summary.cipher == "TLS_RSA_WITH_RC4_128_MD5")
        let f = try #require(Self.one(all, "tls.weak-cipher"))
        #expect(f.severity == .high)
        #expect(f.detailMap["cipher"] == "TLS_RSA_WITH_RC4_128_MD5")
        #expect(f.detailMap["weaknesses"] == "rc4,md5,no-forward-secrecy")
        Self.expectAttribution(
            f, clause: "cipher_weaknesses.rc4, cipher_weaknesses.md5, cipher_weaknesses.no-forward-secrecy")

        let export = Self.handshake(try Self.client(), try Self.server(suite: 0x0008))
        let e = try #require(Self.one(Self.assess(export).1, "tls.weak-cipher"))
        #expect(e.severity == .critical)
        #expect(e.detailMap["weaknesses"] == "export,des,no-forward-secrecy,cbc-sha1,cbc")

        let cbc = Self.handshake(try Self.client(), try Self.server(suite: 0xc013))
        let c = try #require(Self.one(Self.assess(cbc).1, "tls.weak-cipher"))
        #expect(c.severity == .low)
        #expect(c.detailMap["weaknesses"] == "cbc-sha1,cbc")
        // Mozilla Old allows CBC.
        let old = try TLSPolicy.load("mozilla-old", patterns: patternsURL)
        #expect(findings(Self.assess(cbc, policy: old).1, "tls.weak-cipher").isEmpty)

        let unknown = Self.handshake(try Self.client(), try Self.server(suite: 0x1337))
        let u = try #require(Self.one(Self.assess(unknown).1, "tls.weak-cipher"))
        #expect(u.detailMap["cipher"] == "0x1337")
        #expect(u.detailMap["weaknesses"] == "unknown")

        let gcm = Self.handshake(try Self.client(), try Self.server(suite: 0xc02f))
        #expect(findings(Self.assess(gcm).1, "tls.weak-cipher").isEmpty)
    }

    @Test func clientOffersWeakCiphers() throws {
        // GREASE, the SCSV, a clean suite, two broken ones (RC4-MD5 high, NULL critical),
        // and two with only medium/low weaknesses (static RSA CBC, unknown): 2 count.
        let suites: [UInt16] = [0x0a0a, 0x1301, 0xc02f, 0x0004, 0x0000, 0x002f, 0x1337, 0x00ff]
        let h = Self.handshake(try Self.client(suites: suites), try Self.server())
        let f = try #require(Self.one(Self.assess(h).1, "tls.client-offers-weak-cipher"))
        #expect(f.severity == .low)
        #expect(f.detailMap["offered_weak_ciphers"] == "2")
        #expect(f.detailMap["examples"] == "TLS_RSA_WITH_RC4_128_MD5, TLS_NULL_WITH_NULL_NULL")
        Self.expectAttribution(f, clause: "client_offers")

        let clean = Self.handshake(try Self.client(suites: [0x2a2a, 0x1301, 0xc02f, 0x002f, 0x00ff]), try Self.server())
        #expect(findings(Self.assess(clean).1, "tls.client-offers-weak-cipher").isEmpty)
    }

    @Test func compression() throws {
        let h = Self.handshake(try Self.client(), try Self.server(compression: 1))
        let f = try #require(Self.one(Self.assess(h).1, "tls.compression"))
        #expect(f.severity == .high)
        #expect(f.detailMap["compression_method"] == "1")
        Self.expectAttribution(f, clause: "compression")
        #expect(findings(Self.assess(Self.handshake(try Self.client(), try Self.server())).1, "tls.compression").isEmpty)
    }

    @Test func insecureRenegotiation() throws {
        let withSCSV = Self.handshake(try Self.client(suites: [0xc02f, 0x00ff]), try Self.server(extensions: []))
        let f = try #require(Self.one(Self.assess(withSCSV).1, "tls.insecure-renegotiation"))
        #expect(f.severity == .medium)
        #expect(f.detailMap["client_offered"] == "true")
        Self.expectAttribution(f, clause: "insecure_renegotiation")

        let neither = Self.handshake(try Self.client(suites: [0xc02f]), try Self.server(extensions: nil))
        let n = try #require(Self.one(Self.assess(neither).1, "tls.insecure-renegotiation"))
        #expect(n.detailMap["client_offered"] == "false")

        let confirmed = Self.handshake(try Self.client(), try Self.server(extensions: [B.renegotiationInfo()]))
        #expect(findings(Self.assess(confirmed).1, "tls.insecure-renegotiation").isEmpty)
        // TLS 1.3 has no renegotiation.
        let tls13 = Self.handshake(try Self.client(), try Self.server(suite: 0x1301, extensions: [B.selectedVersion(0x0304)]))
        #expect(findings(Self.assess(tls13).1, "tls.insecure-renegotiation").isEmpty)
    }

    @Test func heartbeatOnEitherSide() throws {
        let h = Self.handshake(
            try Self.client(extra: [B.heartbeat(mode: 1)]),
            try Self.server(extensions: [B.renegotiationInfo(), B.heartbeat(mode: 2)]))
        let all = findings(Self.assess(h).1, "tls.heartbeat")
        #expect(all.count == 2)
        #expect(Set(all.compactMap { $0.detailMap["side"] }) == ["client", "server"])
        for f in all {
            #expect(f.severity == .info)
            Self.expectAttribution(f, clause: "heartbeat")
        }
        let clientOnly = Self.handshake(try Self.client(extra: [B.heartbeat()]), try Self.server())
        #expect(findings(Self.assess(clientOnly).1, "tls.heartbeat").map { $0.detailMap["side"] } == ["client"])
        #expect(findings(Self.assess(Self.handshake(try Self.client(), try Self.server())).1, "tls.heartbeat").isEmpty)
    }

    // MARK: certificates

    static func withCertificates(_ chain: [String], sni: String? = "www.plainsight.test") throws -> TLSHandshake {
        Self.handshake(try Self.client(sni: sni), try Self.server(), certificates: chain.map(der))
    }

    @Test func expiredNotYetValidAndExpiringSoon() throws {
        let h = try Self.withCertificates([rsa2048SelfSignedBase64])  // 2024-01-01 .. 2025-01-01
        let expired = try #require(Self.one(Self.assess(h, at: utc(2025, 1, 2)).1, "certificate.expired"))
        #expect(expired.severity == .high)
        #expect(expired.detailMap["not_after"] == "2025-01-01T00:00:00Z")
        #expect(expired.detailMap["not_before"] == "2024-01-01T00:00:00Z")
        #expect(expired.detailMap["judged_at"] == "2025-01-02T00:00:00Z")
        Self.expectAttribution(expired, clause: "certificate.expired")

        let early = try #require(Self.one(Self.assess(h, at: utc(2023, 12, 31)).1, "certificate.not-yet-valid"))
        #expect(early.severity == .high)
        Self.expectAttribution(early, clause: "certificate.not_yet_valid")

        let soon = try #require(Self.one(Self.assess(h, at: utc(2024, 12, 10)).1, "certificate.expiring-soon"))
        #expect(soon.severity == .medium)
        #expect(soon.detailMap["days_left"] == "22")
        Self.expectAttribution(soon, clause: "certificate.expiring_within_days: 30")

        let fine = Self.assess(h, at: utc(2024, 11, 15)).1  // 47 days left
        for rule in ["certificate.expired", "certificate.not-yet-valid", "certificate.expiring-soon"] {
            #expect(findings(fine, rule).isEmpty, "\(rule)")
        }
        // The expired fixture, judged at capture time.
        let old = try Self.withCertificates([expiredBase64], sni: "expired.plainsight.test")
        #expect(findings(Self.assess(old, at: utc(2024, 6, 1)).1, "certificate.expired").count == 1)
    }

    @Test func nowOverridesTheCaptureTime() throws {
        let h = try Self.withCertificates([rsa2048SelfSignedBase64])
        let later = Self.assess(h, at: utc(2024, 6, 1), now: utc(2026, 1, 1)).1
        let f = try #require(Self.one(later, "certificate.expired"))
        #expect(f.detailMap["judged_at"] == "2026-01-01T00:00:00Z")
        #expect(f.timestamp == utc(2024, 6, 1))  // the finding is still dated at capture time
        let earlier = Self.assess(h, at: utc(2030, 1, 1), now: utc(2024, 6, 1)).1
        #expect(findings(earlier, "certificate.expired").isEmpty)
    }

    @Test func selfSigned() throws {
        let h = try Self.withCertificates([rsa2048SelfSignedBase64])
        let (summary, all) = Self.assess(h)
        let f = try #require(Self.one(all, "certificate.self-signed"))
        #expect(f.severity == .medium)
        #expect(f.detailMap["signature_verified"] == "true")
        #expect(f.detailMap["subject"] == "CN=plainsight.test,O=PlainSight Test,C=US")
        Self.expectAttribution(f, clause: "certificate.self_signed")
        #expect(summary.certificateStatus == "visible")
        #expect(summary.certificate?.subject == "CN=plainsight.test,O=PlainSight Test,C=US")
        #expect(summary.certificate?.keyType == "RSA")
        #expect(summary.certificate?.keyBits == 2048)
        #expect(summary.certificate?.sha256 == "9f66dec8282f1a84f127a6540e47e611ca271674dd31fa5a62313c5fab88b6de")
        #expect(summary.chainLength == 1)
        // A CA-issued leaf is not.
        let leaf = try Self.withCertificates([leafBase64, rootCABase64], sni: "leaf.plainsight.test")
        #expect(findings(Self.assess(leaf).1, "certificate.self-signed").isEmpty)
    }

    static func trustStore(_ anchors: [String]) throws -> (TrustStore, URL) {
        let dir = try makeTemporaryDirectory()
        let file = dir.appendingPathComponent("bundle.pem")
        try anchors.map(pem).joined().write(to: file, atomically: true, encoding: .utf8)
        return (TrustStore(path: file.path), dir)
    }

    @Test func untrusted() throws {
        let (ours, dir1) = try Self.trustStore([otherCABase64, rootCABase64])
        let (theirs, dir2) = try Self.trustStore([otherCABase64])
        defer {
            try? FileManager.default.removeItem(at: dir1)
            try? FileManager.default.removeItem(at: dir2)
        }
        // The leaf alone, or with its root: issued by a CA in the bundle.
        for chain in [[leafBase64], [leafBase64, rootCABase64]] {
            let h = try Self.withCertificates(chain, sni: "leaf.plainsight.test")
            let all = Self.assess(h, trust: ours).1
            #expect(findings(all, "certificate.untrusted").isEmpty, "\(chain.count) certificates")
            #expect(all.isEmpty, "\(all.map(\.rule))")
        }
        #expect(ours.loadError == nil)
        // Another bundle: the chain leads nowhere it trusts.
        let h = try Self.withCertificates([leafBase64, rootCABase64], sni: "leaf.plainsight.test")
        let f = try #require(Self.one(Self.assess(h, trust: theirs).1, "certificate.untrusted"))
        #expect(f.severity == .medium)
        #expect(f.detailMap["ca_bundle"] == theirs.path)
        #expect(f.detailMap["issuer"] == "CN=PlainSight Test Root CA,O=PlainSight Test,C=US")
        Self.expectAttribution(f, clause: "certificate.untrusted")
        // A self-signed leaf is reported as self-signed, not also as untrusted.
        let selfSigned = try Self.withCertificates([rsa2048SelfSignedBase64])
        let s = Self.assess(selfSigned, trust: theirs).1
        #expect(findings(s, "certificate.self-signed").count == 1)
        #expect(findings(s, "certificate.untrusted").isEmpty)
        // Without a trust store nothing is judged untrusted.
        #expect(findings(Self.assess(h).1, "certificate.untrusted").isEmpty)
    }

    @Test func unusableBundleJudgesNothing() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("empty.pem")
        try "not a bundle\n".write(to: file, atomically: true, encoding: .utf8)
        let store = TrustStore(path: file.path)
        let h = try Self.withCertificates([leafBase64], sni: "leaf.plainsight.test")
        #expect(findings(Self.assess(h, trust: store).1, "certificate.untrusted").isEmpty)
        #expect(store.loadError != nil)
        #expect(TrustStore.readPEM(Array((pem(rootCABase64) + "garbage\n" + pem(leafBase64)).utf8)).map(\.subject) == [
            "CN=PlainSight Test Root CA,O=PlainSight Test,C=US", "CN=leaf.plainsight.test,O=PlainSight Test",
        ])
    }

    @Test func nameMismatch() throws {
        let mismatch = try Self.withCertificates([rsa2048SelfSignedBase64], sni: "other.example")
        let f = try #require(Self.one(Self.assess(mismatch).1, "certificate.name-mismatch"))
        #expect(f.severity == .medium)
        #expect(f.detailMap["sni"] == "other.example")
        #expect(f.detailMap["names"] == "plainsight.test,www.plainsight.test,*.api.plainsight.test")
        #expect(f.evidence == "other.example")
        Self.expectAttribution(f, clause: "certificate.name_mismatch")
        for (sni, flagged) in [("www.plainsight.test", false), ("x.api.plainsight.test", false),
                               ("api.plainsight.test", true), ("a.b.api.plainsight.test", true)] {
            let h = try Self.withCertificates([rsa2048SelfSignedBase64], sni: sni)
            #expect(findings(Self.assess(h).1, "certificate.name-mismatch").count == (flagged ? 1 : 0), "\(sni)")
        }
        let noSNI = try Self.withCertificates([rsa2048SelfSignedBase64], sni: nil)
        #expect(findings(Self.assess(noSNI).1, "certificate.name-mismatch").isEmpty)
    }

    @Test func weakKeys() throws {
        let rsa = try Self.withCertificates([rsa1024SHA1Base64], sni: "legacy.plainsight.test")
        let f = try #require(Self.one(Self.assess(rsa).1, "certificate.weak-key"))
        #expect(f.severity == .high)
        #expect(f.detailMap["key_type"] == "RSA")
        #expect(f.detailMap["key_bits"] == "1024")
        #expect(f.detailMap["position"] == "leaf")
        Self.expectAttribution(f, clause: "certificate.min_rsa_bits: 2048")

        let dsa = try Self.withCertificates([dsa1024Base64], sni: "dsa.plainsight.test")
        let d = try #require(Self.one(Self.assess(dsa).1, "certificate.weak-key"))
        #expect(d.detailMap["key_type"] == "DSA")
        #expect(d.detailMap["key_bits"] == "1024")

        for (fixture, sni) in [(ecP256Base64, "ec256.plainsight.test"), (ecP384Base64, "ec384.plainsight.test"),
                               (ed25519Base64, "ed25519.plainsight.test"), (rsa2048SelfSignedBase64, "plainsight.test")] {
            let h = try Self.withCertificates([fixture], sni: sni)
            #expect(findings(Self.assess(h).1, "certificate.weak-key").isEmpty, "\(sni)")
        }
    }

    @Test func weakSignatures() throws {
        let sha1 = try Self.withCertificates([rsa1024SHA1Base64], sni: "legacy.plainsight.test")
        let f = try #require(Self.one(Self.assess(sha1).1, "certificate.weak-signature"))
        #expect(f.severity == .high)
        #expect(f.detailMap["signature_algorithm"] == "sha1WithRSAEncryption")
        #expect(f.detailMap["position"] == "leaf")
        Self.expectAttribution(f, clause: "certificate.weak_signature_hashes")

        let md5 = try Self.withCertificates([md5RSABase64], sni: "md5.plainsight.test")
        let m = try #require(Self.one(Self.assess(md5).1, "certificate.weak-signature"))
        #expect(m.detailMap["signature_algorithm"] == "md5WithRSAEncryption")

        // The root in chain[1] signs itself with SHA-1: nobody relies on that signature.
        let chain = try Self.withCertificates([leafBase64, rootCABase64], sni: "leaf.plainsight.test")
        #expect(findings(Self.assess(chain).1, "certificate.weak-signature").isEmpty)
    }

    @Test func longValidityOnlyForCertificatesIssuedSinceSeptember2020() throws {
        // 2021-01-01 .. 2024-01-01: 1095 days.
        let long = try Self.withCertificates([longLeafBase64, rootCABase64], sni: "long.plainsight.test")
        let f = try #require(Self.one(Self.assess(long, at: utc(2022, 1, 1)).1, "certificate.long-validity"))
        #expect(f.severity == .low)
        #expect(f.message.contains("1095"))
        Self.expectAttribution(f, clause: "certificate.max_validity_days: 366")
        // 2019-01-01 .. 2024-01-01: longer, but issued before the CA/B Forum cap.
        let old = try Self.withCertificates([rsa1024SHA1Base64], sni: "legacy.plainsight.test")
        #expect(findings(Self.assess(old, at: utc(2022, 1, 1)).1, "certificate.long-validity").isEmpty)
        // Exactly 366 days (2024 is a leap year): at the limit, not over it.
        let limit = try Self.withCertificates([rsa2048SelfSignedBase64])
        #expect(findings(Self.assess(limit).1, "certificate.long-validity").isEmpty)
        // NIST allows 398 days: the 1095-day one is still over.
        let nist = try TLSPolicy.load("nist-sp800-52r2", patterns: patternsURL)
        #expect(findings(Self.assess(long, policy: nist, at: utc(2022, 1, 1)).1, "certificate.long-validity").count == 1)
    }

    @Test func unparseableLeafIsAProblemNotAFinding() throws {
        var h = try Self.withCertificates([rsa2048SelfSignedBase64])
        h.certificates = [[0x30, 0x03, 0x02, 0x01, 0x01]]
        let (summary, all) = Self.assess(h)
        #expect(summary.problem?.contains("certificate 0") == true)
        #expect(summary.certificate == nil)
        #expect(all.filter { $0.rule.hasPrefix("certificate.") }.isEmpty)
    }

    // MARK: whole handshakes

    @Test func cleanTLS13HandshakeHasNoFindings() throws {
        var c = B.ClientHelloSpec()
        c.cipherSuites = [0x4a4a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f]
        c.extensions = [B.empty(0x3a3a), B.sni("www.plainsight.test"), B.supportedGroups([0x001d]),
                        B.alpn("h2", "http/1.1"), B.signatureAlgorithms([0x0403, 0x0804]),
                        B.keyShare([(0x001d, B.counting(32))]), B.supportedVersions([0x1a1a, 0x0304])]
        let server = B.record(22, B.serverHello(B.tls13ServerHello())) + B.changeCipherSpec() + B.applicationData(200)
        let h = analyze(client: B.clientHelloRecord(c), server: server)
        let (summary, all) = Self.assess(h)
        #expect(all.isEmpty, "\(all.map(\.rule))")
        #expect(summary.certificateStatus == "encrypted")
        #expect(summary.version == "TLSv1.3")
        #expect(summary.cipher == "TLS_AES_128_GCM_SHA256")
        #expect(summary.sni == "www.plainsight.test")
        #expect(summary.alpn == ["h2", "http/1.1"])
        #expect(summary.clientVersions == ["TLSv1.3"])
        #expect(summary.ja3 != nil && summary.ja3s != nil && summary.ja4?.hasPrefix("t13d") == true)
        #expect(summary.certificate == nil)
        #expect(summary.problem == nil)
        #expect(!summary.helloRetryRequest)
        // The same handshake under every shipped policy: nothing to say.
        for name in TLSPolicyTests.shipped {
            let p = try TLSPolicy.load(name, patterns: patternsURL)
            #expect(Self.assess(h, policy: p).1.isEmpty, "\(name)")
        }
    }

    @Test func summaryOfAnUpgradedResumedHandshakeWithAnAlert() throws {
        var h = Self.handshake(try Self.client(), try Self.server(extensions: [B.renegotiationInfo(), B.alpn("imap")]))
        h.upgradedFrom = .imap
        h.fatalAlert = (40, .toClient)
        h.helloRetryRequest = try Self.server(version: 0x0303, suite: 0x1301)
        let (summary, _) = Self.assess(h)
        #expect(summary.starttls == "imap")
        #expect(summary.fatalAlert == "handshake_failure (server)")
        #expect(summary.helloRetryRequest)
        #expect(summary.certificateStatus == "not_seen")
        #expect(summary.alpn == ["imap"])
        h.fatalAlert = (48, .toServer)
        #expect(Self.assess(h).0.fatalAlert == "unknown_ca (client)")
    }

    /// Everything an assessment says, as text, for comparing two of them.
    static func rendered(_ result: (TLSSummary, [Finding])) -> [String] {
        let s = result.0
        let summary = [s.version, s.cipher, s.sni, s.ja3, s.ja3s, s.ja4, s.certificateStatus].map { $0 ?? "-" }
            + [s.alpn.joined(separator: "+"), s.clientVersions.joined(separator: "+")]
        return [summary.joined(separator: " | ")] + result.1.map { f in
            ([f.rule, "\(f.severity)", f.message, f.evidence ?? "-"] + f.details.map { "\($0.key)=\($0.value)" })
                .joined(separator: " | ")
        }
    }

    @Test func oneAssessorForManyHandshakesSaysWhatFreshOnesSay() throws {
        // The assessor remembers judgements per distinct hello: hellos that
        // differ only in what those judgements do not read share one, the
        // others must not.
        var handshakes: [TLSHandshake] = []
        let clients: [ClientHello] = [
            try Self.client(versions: [0x0304, 0x0303, 0x0302, 0x0301]),
            try Self.client(versions: [0x0301, 0x0302, 0x0303, 0x0304]),
            try Self.client(versions: [0x0304, 0x0303, 0x0302]),
            try Self.client(versions: [0x2a2a, 0x0304, 0x0303, 0x0302]),
            try Self.client(versions: nil),
            try Self.client(versions: nil, legacy: 0x0301),
            try Self.client(suites: [0x0004, 0x0000, 0x1301]),
            try Self.client(suites: [0x0000, 0x0004, 0x1301]),
            try Self.client(suites: [0x0000, 0x0004, 0x1301, 0x0004]),
            try Self.client(suites: [0xc02f, 0x00ff]),
            try Self.client(suites: [0xc02f]),
            try Self.client(sni: "a.example"),
            try Self.client(sni: "b.example"),
            try Self.client(sni: nil),
            try Self.client(extra: [B.heartbeat()]),
            try Self.client(extra: [B.alpn("h2")]),
            try Self.client(extra: [B.alpn("http/1.1")]),
            try Self.client(extra: [B.empty(0x0a0a), B.alpn("h2")]),
        ]
        let servers: [ServerHello] = [
            try Self.server(),
            try Self.server(extensions: []),
            try Self.server(compression: 1),
            try Self.server(version: 0x0301, suite: 0xc013),
            try Self.server(version: 0x0302, suite: 0x0004),
            try Self.server(suite: 0x1301, extensions: [B.selectedVersion(0x0304)]),
            try Self.server(extensions: [B.renegotiationInfo(), B.heartbeat()]),
            try Self.server(extensions: [B.renegotiationInfo(), B.alpn("h2")]),
        ]
        for c in clients {
            for s in servers { handshakes.append(Self.handshake(c, s)) }
        }
        handshakes.append(try Self.withCertificates([rsa2048SelfSignedBase64]))
        handshakes.append(try Self.withCertificates([rsa2048SelfSignedBase64], sni: "other.example"))
        handshakes.append(try Self.withCertificates([leafBase64, rootCABase64], sni: "leaf.plainsight.test"))

        let shared = TLSAssessor(policy: Self.intermediate)
        for round in 0..<2 {
            for (i, h) in handshakes.enumerated() {
                let fresh = TLSAssessor(policy: Self.intermediate).assess(h, flow: Self.flow, app: .tls, at: Self.midValidity)
                let reused = shared.assess(h, flow: Self.flow, app: .tls, at: Self.midValidity)
                #expect(Self.rendered(reused) == Self.rendered(fresh), "round \(round), handshake \(i)")
            }
        }
    }

    @Test func weakHandshakeEndToEnd() throws {
        // TLS 1.0, RC4-SHA, no renegotiation_info, an expired self-signed 1024-bit SHA-1 certificate
        // for another name: everything at once, read by the analyzer from bytes.
        var c = B.ClientHelloSpec()
        c.version = 0x0301
        c.cipherSuites = [0x0005, 0x0004, 0x000a, 0x002f]
        c.extensions = [B.sni("mail.plainsight.test")]
        var s = B.ServerHelloSpec()
        s.version = 0x0301
        s.cipherSuite = 0x0005
        s.extensions = nil
        let server = B.record(
            22, version: 0x0301,
            B.serverHello(s) + B.certificate([der(rsa1024SHA1Base64)]) + B.serverHelloDone())
        let h = analyze(client: B.clientHelloRecord(c), server: server)
        let (summary, all) = Self.assess(h, at: utc(2024, 6, 1))
        #expect(summary.version == "TLSv1.0")
        #expect(summary.cipher == "TLS_RSA_WITH_RC4_128_SHA")
        #expect(summary.certificateStatus == "visible")
        let rules = Set(all.map(\.rule))
        #expect(rules == [
            "tls.weak-version", "tls.client-offers-weak-version", "tls.weak-cipher", "tls.client-offers-weak-cipher",
            "tls.insecure-renegotiation", "certificate.expired", "certificate.self-signed", "certificate.name-mismatch",
            "certificate.weak-key", "certificate.weak-signature",
        ])
        for f in all {
            Self.expectAttribution(f)
            #expect(f.timestamp == utc(2024, 6, 1))
        }
    }
}
