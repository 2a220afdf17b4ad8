import Foundation
import Testing
@testable import Inspection

/// Cipher suites: the generated IANA registry, lookups, GREASE, and the
/// weaknesses read out of the IANA names.
@Suite("Cipher suites")
struct CipherSuiteTests {
    typealias W = CipherWeaknesses

    // MARK: the registry

    @Test func registryIsSortedAndUnique() {
        let values = CipherSuite.registry.map(\.value)
        for i in 1..<values.count { #expect(values[i - 1] < values[i], "at \(i)") }
        let names = CipherSuite.registry.map { $0.name.description }
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.hasPrefix("TLS_") })
    }

    /// The IANA CSV committed in scripts/data, read here independently of the
    /// generator: every single-value `TLS_` row is in the registry with the
    /// same name, and nothing else is.
    @Test func registryIsExactlyTheIANACSV() throws {
        let csv = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/data/tls-parameters-4.csv")
        let text = try String(contentsOf: csv, encoding: .utf8)
        var expected: [UInt16: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            // "0xHH,0xHH",NAME,…  (ranges and unassigned rows have other shapes)
            guard line.hasPrefix("\"0x"), let close = line.dropFirst().firstIndex(of: "\"") else { continue }
            let value = line[line.index(after: line.startIndex)..<close]
            let parts = value.split(separator: ",")
            guard parts.count == 2, parts.allSatisfy({ $0.count == 4 && $0.hasPrefix("0x") }),
                let hi = UInt16(parts[0].dropFirst(2), radix: 16), let lo = UInt16(parts[1].dropFirst(2), radix: 16)
            else { continue }
            let rest = line[line.index(after: close)...].dropFirst()  // after the comma
            let name = String(rest.prefix(while: { $0 != "," }))
            guard name.hasPrefix("TLS_") else { continue }
            expected[hi << 8 | lo] = name
        }
        #expect(expected.count > 300)
        let registry = Dictionary(uniqueKeysWithValues: CipherSuite.registry.map { ($0.value, $0.name.description) })
        #expect(registry == expected)
    }

    @Test func lookupsByValueGiveIANANames() {
        let known: [(UInt16, String)] = [
            (0x0000, "TLS_NULL_WITH_NULL_NULL"),
            (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
            (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
            (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
            (0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
            (0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
            (0x1301, "TLS_AES_128_GCM_SHA256"),
            (0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
            (0x5600, "TLS_FALLBACK_SCSV"),
            (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
            (0xC0B4, "TLS_SHA256_SHA256"),
            (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
            (0xD005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"),
        ]
        for (value, name) in known {
            #expect(CipherSuite(value).name == name)
            #expect(CipherSuite(value).description == name)
        }
    }

    @Test func unknownValues() {
        for value: UInt16 in [0x0a0a, 0x0047, 0x1337, 0xfeff, 0xffff] {
            let suite = CipherSuite(value)
            #expect(suite.name == nil, "\(value)")
            #expect(suite.weaknesses == .unknown, "\(value)")
        }
        #expect(CipherSuite(0x0a0a).description == "0x0a0a")
        #expect(CipherSuite(0x0047).description == "0x0047")
        #expect(CipherSuite(0xfeff).description == "0xfeff")
        #expect(CipherSuite(0x00ab).description != "0x00ab")  // assigned
    }

    @Test func greaseAndSignalingValues() {
        #expect(CipherSuite(0x2a2a).isGREASE)
        #expect(CipherSuite(0xdada).isGREASE)
        #expect(!CipherSuite(0xeeee).isGREASE)
        #expect(!CipherSuite(0x1301).isGREASE)
        #expect(CipherSuite(0x00ff).isSignalingValue)
        #expect(CipherSuite(0x5600).isSignalingValue)
        #expect(!CipherSuite(0x00fe).isSignalingValue)
    }

    // MARK: weaknesses, class by class

    func weaknesses(_ value: UInt16) -> W { CipherSuite(value).weaknesses }

    @Test func nullEncryption() {
        #expect(weaknesses(0x0000) == [.nullEncryption, .anonymous])  // TLS_NULL_WITH_NULL_NULL
        #expect(weaknesses(0x0001) == [.nullEncryption, .md5, .staticKeyExchange])  // RSA_WITH_NULL_MD5
        #expect(weaknesses(0x003B) == [.nullEncryption, .staticKeyExchange])  // RSA_WITH_NULL_SHA256
        #expect(weaknesses(0xC006) == [.nullEncryption])  // ECDHE_ECDSA_WITH_NULL_SHA
        #expect(weaknesses(0x00B4) == [.nullEncryption])  // DHE_PSK_WITH_NULL_SHA256
        // RFC 9150 integrity-only TLS 1.3 suites.
        #expect(weaknesses(0xC0B4) == [.nullEncryption])  // TLS_SHA256_SHA256
        #expect(weaknesses(0xC0B5) == [.nullEncryption])  // TLS_SHA384_SHA384
    }

    @Test func anonymousKeyExchange() {
        #expect(weaknesses(0x0034).contains(.anonymous))  // DH_anon_WITH_AES_128_CBC_SHA
        #expect(weaknesses(0x00A6) == [.anonymous])  // DH_anon_WITH_AES_128_GCM_SHA256
        #expect(weaknesses(0xC018).contains(.anonymous))  // ECDH_anon_WITH_AES_128_CBC_SHA
        #expect(weaknesses(0xC015) == [.anonymous, .nullEncryption])  // ECDH_anon_WITH_NULL_SHA
        // Anonymous DH is ephemeral: its problem is authentication, not secrecy.
        #expect(!weaknesses(0x00A6).contains(.staticKeyExchange))
    }

    @Test func export() {
        #expect(weaknesses(0x0003) == [.export, .rc4, .md5, .staticKeyExchange])  // RSA_EXPORT_WITH_RC4_40_MD5
        #expect(weaknesses(0x0008) == [.export, .des, .cbc, .cbcSHA1, .staticKeyExchange])  // RSA_EXPORT_WITH_DES40_CBC_SHA
        #expect(weaknesses(0x0014) == [.export, .des, .cbc, .cbcSHA1])  // DHE_RSA_EXPORT_WITH_DES40_CBC_SHA
        #expect(weaknesses(0x0017) == [.export, .anonymous, .rc4, .md5])  // DH_anon_EXPORT_WITH_RC4_40_MD5
        #expect(weaknesses(0x0029).isSuperset(of: [.export, .des, .md5, .staticKeyExchange]))  // KRB5_EXPORT_WITH_DES_CBC_40_MD5
    }

    @Test func streamAndBlockCiphers() {
        #expect(weaknesses(0x0005) == [.rc4, .staticKeyExchange])  // RSA_WITH_RC4_128_SHA
        #expect(weaknesses(0xC011) == [.rc4])  // ECDHE_RSA_WITH_RC4_128_SHA
        #expect(weaknesses(0x0009) == [.des, .cbc, .cbcSHA1, .staticKeyExchange])  // RSA_WITH_DES_CBC_SHA
        #expect(weaknesses(0x000A) == [.tripleDES, .cbc, .cbcSHA1, .staticKeyExchange])  // RSA_WITH_3DES_EDE_CBC_SHA
        #expect(weaknesses(0xC012) == [.tripleDES, .cbc, .cbcSHA1])  // ECDHE_RSA_WITH_3DES_EDE_CBC_SHA
        #expect(!weaknesses(0x000A).contains(.des))  // 3DES is not single DES
        #expect(weaknesses(0x0006).isSuperset(of: [.rc2, .export, .md5]))  // RSA_EXPORT_WITH_RC2_CBC_40_MD5
        #expect(weaknesses(0x0027).contains(.rc2))  // KRB5_EXPORT_WITH_RC2_CBC_40_SHA
        #expect(weaknesses(0x0007) == [.idea, .cbc, .cbcSHA1, .staticKeyExchange])  // RSA_WITH_IDEA_CBC_SHA
        #expect(weaknesses(0x0096) == [.seed, .cbc, .cbcSHA1, .staticKeyExchange])  // RSA_WITH_SEED_CBC_SHA
        #expect(weaknesses(0x009A) == [.seed, .cbc, .cbcSHA1])  // DHE_RSA_WITH_SEED_CBC_SHA
    }

    @Test func md5() {
        #expect(weaknesses(0x0004) == [.rc4, .md5, .staticKeyExchange])  // RSA_WITH_RC4_128_MD5
        #expect(weaknesses(0x0022) == [.des, .md5, .cbc, .staticKeyExchange])  // KRB5_WITH_DES_CBC_MD5
        #expect(!weaknesses(0x0022).contains(.cbcSHA1))
    }

    @Test func staticKeyExchangeHasNoForwardSecrecy() {
        let staticSuites: [(UInt16, String)] = [
            (0x009C, "RSA"), (0x00A0, "DH_RSA"), (0x00A4, "DH_DSS"), (0xC02D, "ECDH_ECDSA"), (0xC031, "ECDH_RSA"),
            (0x00A8, "PSK"), (0x00AC, "RSA_PSK"), (0xCCAB, "PSK chacha"), (0xCCAE, "RSA_PSK chacha"),
            (0x001F, "KRB5"), (0xC100, "GOST VKO (TLS 1.2)"),
        ]
        for (value, what) in staticSuites {
            #expect(weaknesses(value).contains(.staticKeyExchange), "\(what) \(CipherSuite(value))")
        }
        // The GCM ones have nothing else wrong.
        #expect(weaknesses(0x009C) == [.staticKeyExchange])
        #expect(weaknesses(0x00A8) == [.staticKeyExchange])
    }

    @Test func ephemeralPSKIsForwardSecret() {
        for value: UInt16 in [0x00AA, 0xCCAD, 0xD001, 0xCCAC, 0xC0AA, 0xC0AB, 0xC0A6] {
            // DHE_PSK, ECDHE_PSK and PSK_DHE (RFC 6655 CCM_8).
            #expect(weaknesses(value) == [], "\(CipherSuite(value))")
        }
        #expect(weaknesses(0x0090) == [.cbc, .cbcSHA1])  // DHE_PSK_WITH_AES_128_CBC_SHA
        #expect(weaknesses(0xC035) == [.cbc, .cbcSHA1])  // ECDHE_PSK_WITH_AES_128_CBC_SHA
    }

    @Test func cbcWithSHA1VersusSHA256() {
        #expect(weaknesses(0xC013) == [.cbc, .cbcSHA1])  // ECDHE_RSA_WITH_AES_128_CBC_SHA
        #expect(weaknesses(0xC027) == [.cbc])  // ECDHE_RSA_WITH_AES_128_CBC_SHA256
        #expect(weaknesses(0xC028) == [.cbc])  // ECDHE_RSA_WITH_AES_256_CBC_SHA384
        #expect(weaknesses(0x0045) == [.cbc, .cbcSHA1])  // DHE_RSA_WITH_CAMELLIA_128_CBC_SHA
        #expect(weaknesses(0x002F) == [.cbc, .cbcSHA1, .staticKeyExchange])
        #expect(weaknesses(0x003C) == [.cbc, .staticKeyExchange])  // RSA_WITH_AES_128_CBC_SHA256
    }

    @Test func modernSuitesAreClean() {
        for value: UInt16 in [0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA8, 0xCCA9,
                              0xCCAA, 0x009E, 0x009F, 0xC0AC, 0xC0AF, 0xC0B0, 0xC05C, 0xC103, 0xC105, 0x00C6] {
            #expect(weaknesses(value) == [], "\(CipherSuite(value))")
        }
    }

    @Test func gost28147AndMagmaAreSmallBlock() {
        #expect(weaknesses(0xC102) == [.smallBlock, .staticKeyExchange])  // GOSTR341112_256_WITH_28147_CNT_IMIT
        #expect(weaknesses(0xC101) == [.smallBlock, .staticKeyExchange])  // GOSTR341112_256_WITH_MAGMA_CTR_OMAC
        #expect(weaknesses(0xC104) == [.smallBlock])  // GOSTR341112_256_WITH_MAGMA_MGM_L (TLS 1.3)
        #expect(weaknesses(0xC106) == [.smallBlock])
        #expect(weaknesses(0xC100) == [.staticKeyExchange])  // KUZNYECHIK (128-bit block)
    }

    @Test func weaknessNamesInReportOrder() {
        #expect(weaknesses(0x0004).names == ["rc4", "md5", "no-forward-secrecy"])
        #expect(weaknesses(0x0008).names == ["export", "des", "no-forward-secrecy", "cbc-sha1", "cbc"])
        #expect(W.unknown.names == ["unknown"])
        #expect(W([]).names == [])
        // Every option has exactly one name, and the names are the policy-file vocabulary.
        #expect(W.named.map(\.name) == [
            "null", "anonymous", "export", "rc4", "des", "3des", "rc2", "idea", "seed", "md5", "small-block",
            "no-forward-secrecy", "cbc-sha1", "cbc", "unknown",
        ])
        let all = W.named.reduce(W()) { $0.union($1.weakness) }
        #expect(W.named.count == all.rawValue.nonzeroBitCount)
    }

    @Test func readingNamesWithoutThePrefix() {
        #expect(W(ianaName: "RSA_WITH_RC4_128_MD5") == W(ianaName: "TLS_RSA_WITH_RC4_128_MD5"))
    }

    // MARK: the whole table

    @Test func everyRegistryNameIsReadAndKnown() {
        for (value, name) in CipherSuite.registry {
            let w = CipherSuite(value).weaknesses
            #expect(w == W(ianaName: name.description), "\(name)")
            #expect(!w.contains(.unknown), "\(name)")
        }
    }

    @Test func wholeTableProperties() {
        for (value, staticName) in CipherSuite.registry {
            let name = staticName.description
            let w = CipherSuite(value).weaknesses
            let parts = name.components(separatedBy: "_WITH_")
            let kx = parts.count == 2 ? parts[0] : ""
            let cipher = parts.count == 2 ? parts[1] : String(name.dropFirst(4))
            let aead = ["_GCM", "_CCM", "CHACHA20_POLY1305", "_MGM_", "AEGIS", "SM4_GCM", "SM4_CCM"]
                .contains { ("_" + cipher).contains($0) }
            let ephemeral = kx.isEmpty || kx.contains("DHE") || kx.hasPrefix("TLS_ECCPWD")
            let anonymous = kx.contains("anon") || kx == "TLS_NULL"
            let scsv = name.hasSuffix("_SCSV")
            // No AEAD suite with an authenticated ephemeral key exchange is flagged
            // (the 64-bit-block Magma excepted).
            if aead && ephemeral && !anonymous && !cipher.contains("MAGMA") {
                #expect(w.isEmpty, "\(name): \(w.names)")
            }
            if cipher.contains("CBC") { #expect(w.contains(.cbc), "\(name)") } else { #expect(!w.contains(.cbc), "\(name)") }
            if cipher.contains("CBC") && cipher.hasSuffix("_SHA") { #expect(w.contains(.cbcSHA1), "\(name)") }
            if !cipher.contains("CBC") { #expect(!w.contains(.cbcSHA1), "\(name)") }
            if anonymous { #expect(w.contains(.anonymous), "\(name)") }
            if name.contains("EXPORT") { #expect(w.contains(.export), "\(name)") } else { #expect(!w.contains(.export), "\(name)") }
            if name.contains("RC4") { #expect(w.contains(.rc4), "\(name)") }
            if name.contains("3DES") { #expect(w.contains(.tripleDES) && !w.contains(.des), "\(name)") }
            if name.hasSuffix("_MD5") { #expect(w.contains(.md5), "\(name)") }
            if !kx.isEmpty && !ephemeral && !anonymous && !kx.hasPrefix("TLS_SRP") {
                #expect(w.contains(.staticKeyExchange) || cipher.contains("MGM"), "\(name)")
            }
            if ephemeral || anonymous { #expect(!w.contains(.staticKeyExchange), "\(name)") }
            if scsv { #expect(w.isEmpty, "\(name)") }
        }
    }

    // MARK: SSL 2.0 cipher kinds

    @Test func ssl2CipherKinds() {
        #expect(SSLv2CipherKind.name(0x01_0080) == "SSL_CK_RC4_128_WITH_MD5")
        #expect(SSLv2CipherKind.name(0x07_00c0) == "SSL_CK_DES_192_EDE3_CBC_WITH_MD5")
        #expect(SSLv2CipherKind.name(0x08_0080) == "0x080080")
        #expect(SSLv2CipherKind.weaknesses(0x01_0080) == [.rc4, .md5])
        #expect(SSLv2CipherKind.weaknesses(0x02_0080) == [.rc4, .export, .md5])
        #expect(SSLv2CipherKind.weaknesses(0x03_0080) == [.rc2, .md5])
        #expect(SSLv2CipherKind.weaknesses(0x04_0080) == [.rc2, .export, .md5])
        #expect(SSLv2CipherKind.weaknesses(0x05_0080) == [.idea, .md5])
        #expect(SSLv2CipherKind.weaknesses(0x06_0040) == [.des, .md5])
        #expect(SSLv2CipherKind.weaknesses(0x07_00c0) == [.tripleDES, .md5])
        #expect(SSLv2CipherKind.weaknesses(0x08_0080).contains(.unknown))
    }
}
