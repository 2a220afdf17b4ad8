/// A TLS cipher suite value with its IANA name and what is wrong with it.
///
/// The weaknesses are derived from the IANA name (`TLS_<kx>_WITH_<cipher>_<mac>`
/// or, for TLS 1.3, `TLS_<aead>_<hash>`), so every assigned value is
/// classified by the same reading of its name rather than by a hand-picked
/// list; `CipherSuiteRegistry.swift` is generated from the registry itself.
public struct CipherSuite: Hashable, Sendable, CustomStringConvertible {
    public let value: UInt16
    public init(_ value: UInt16) { self.value = value }

    /// Position of the value in the (sorted) registry, nil when unassigned.
    var registryIndex: Int? {
        var low = 0
        var high = CipherSuite.registry.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let v = CipherSuite.registry[mid].value
            if v == value { return mid }
            if v < value { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }

    /// The IANA name, nil for a value the registry does not assign.
    public var name: String? { registryIndex.map { CipherSuite.registry[$0].name.description } }

    /// The IANA name, or `0x` and four hex digits when unassigned.
    public var description: String { name ?? TLSVersion.hex(value) }

    public var isGREASE: Bool { TLSVersion.isGREASE(value) }

    /// TLS_EMPTY_RENEGOTIATION_INFO_SCSV and TLS_FALLBACK_SCSV: signals, not ciphers.
    public var isSignalingValue: Bool { value == 0x00ff || value == 0x5600 }

    /// Read from the name once per registry entry (a client offers dozens
    /// of suites per handshake: no string work per offer).
    public var weaknesses: CipherWeaknesses {
        guard let i = registryIndex else { return .unknown }
        return CipherSuite.registryWeaknesses[i]
    }

    static let registryWeaknesses: [CipherWeaknesses] = registry.map { CipherWeaknesses(ianaName: $0.name.description) }
}

/// What makes a cipher suite weak. `staticKeyExchange` means no forward
/// secrecy; `cbcSHA1` is the low-grade CBC-with-HMAC-SHA1 construction.
public struct CipherWeaknesses: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let nullEncryption = CipherWeaknesses(rawValue: 1 << 0)
    public static let anonymous = CipherWeaknesses(rawValue: 1 << 1)
    public static let export = CipherWeaknesses(rawValue: 1 << 2)
    public static let rc4 = CipherWeaknesses(rawValue: 1 << 3)
    public static let des = CipherWeaknesses(rawValue: 1 << 4)
    public static let tripleDES = CipherWeaknesses(rawValue: 1 << 5)
    public static let rc2 = CipherWeaknesses(rawValue: 1 << 6)
    public static let idea = CipherWeaknesses(rawValue: 1 << 7)
    public static let seed = CipherWeaknesses(rawValue: 1 << 8)
    public static let md5 = CipherWeaknesses(rawValue: 1 << 9)
    public static let staticKeyExchange = CipherWeaknesses(rawValue: 1 << 10)
    public static let cbcSHA1 = CipherWeaknesses(rawValue: 1 << 11)
    /// CBC mode at all (MAC-then-encrypt: Lucky13, padding oracles); policies
    /// that allow only AEAD suites flag it.
    public static let cbc = CipherWeaknesses(rawValue: 1 << 12)
    /// A 64-bit block cipher other than DES/3DES/IDEA/RC2 (GOST 28147 "Magma"): Sweet32.
    public static let smallBlock = CipherWeaknesses(rawValue: 1 << 13)
    /// Not assigned by IANA: never assumed safe.
    public static let unknown = CipherWeaknesses(rawValue: 1 << 14)

    /// Names used in policy files and finding details, in report order.
    public static let named: [(name: String, weakness: CipherWeaknesses)] = [
        ("null", .nullEncryption), ("anonymous", .anonymous), ("export", .export), ("rc4", .rc4), ("des", .des),
        ("3des", .tripleDES), ("rc2", .rc2), ("idea", .idea), ("seed", .seed), ("md5", .md5),
        ("small-block", .smallBlock), ("no-forward-secrecy", .staticKeyExchange), ("cbc-sha1", .cbcSHA1),
        ("cbc", .cbc), ("unknown", .unknown),
    ]

    public var names: [String] { CipherWeaknesses.named.filter { contains($0.weakness) }.map(\.name) }

    /// Reads the weaknesses out of an IANA cipher-suite name.
    public init(ianaName name: String) {
        var w: CipherWeaknesses = []
        let body = name.hasPrefix("TLS_") ? String(name.dropFirst(4)) : name
        let tokens = body.split(separator: "_")
        let kx: [Substring]
        let cipher: [Substring]
        if let with = tokens.firstIndex(of: "WITH") {
            kx = Array(tokens[..<with])
            cipher = Array(tokens[(with + 1)...])
        } else {
            // TLS 1.3 suites (RFC 8446 §B.4, RFC 8998, RFC 9150): the key
            // exchange is negotiated separately and is always (EC)DHE or PSK.
            kx = []
            cipher = tokens
        }
        let keyExchange = kx.joined(separator: "_")
        if keyExchange == "NULL" || kx.contains("anon") { w.insert(.anonymous) }
        if kx.contains("EXPORT") || cipher.contains(where: { $0.hasPrefix("EXPORT") }) { w.insert(.export) }
        // (EC)DHE in any position (DHE_PSK, PSK_DHE), anonymous DH (ephemeral
        // but unauthenticated), the PAKEs, and the TLS 1.3 GOST suites (MGM).
        let ephemeral = keyExchange.isEmpty || kx.contains("DHE") || kx.contains("ECDHE") || kx.contains("anon")
            || kx.first == "ECCPWD" || kx.first == "SRP" || cipher.contains(where: { $0.hasPrefix("MGM") })
        if !ephemeral && keyExchange != "NULL" { w.insert(.staticKeyExchange) }

        // TLS_SHA256_SHA256 / TLS_SHA384_SHA384 (RFC 9150) authenticate but do not encrypt.
        let integrityOnly = keyExchange.isEmpty && cipher.first?.hasPrefix("SHA") == true
        if cipher.first == "NULL" || integrityOnly { w.insert(.nullEncryption) }
        if cipher.contains("RC4") { w.insert(.rc4) }
        if cipher.contains("3DES") { w.insert(.tripleDES) }
        if cipher.contains(where: { $0 == "DES" || $0 == "DES40" }) { w.insert(.des) }
        if cipher.contains("RC2") { w.insert(.rc2) }
        if cipher.contains("IDEA") { w.insert(.idea) }
        if cipher.contains("SEED") { w.insert(.seed) }
        if cipher.contains(where: { $0 == "28147" || $0 == "MAGMA" }) { w.insert(.smallBlock) }
        if cipher.last == "MD5" { w.insert(.md5) }
        if cipher.contains("CBC") {
            w.insert(.cbc)
            if cipher.last == "SHA" { w.insert(.cbcSHA1) }
        }
        self = w
    }
}

/// SSL 2.0 cipher kinds (3 bytes; draft-hickman-netscape-ssl-00 appendix C).
/// Values whose first byte is 0 are TLS suites offered in an SSLv2-format hello.
public enum SSLv2CipherKind {
    static let names: [UInt32: String] = [
        0x01_0080: "SSL_CK_RC4_128_WITH_MD5", 0x02_0080: "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
        0x03_0080: "SSL_CK_RC2_128_CBC_WITH_MD5", 0x04_0080: "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
        0x05_0080: "SSL_CK_IDEA_128_CBC_WITH_MD5", 0x06_0040: "SSL_CK_DES_64_CBC_WITH_MD5",
        0x07_00c0: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
    ]

    public static func name(_ kind: UInt32) -> String { names[kind] ?? TLSVersion.hexCode(kind, digits: 6) }

    /// Every SSL 2.0 cipher is broken (MD5 MAC at best; the protocol itself is).
    public static func weaknesses(_ kind: UInt32) -> CipherWeaknesses {
        var w: CipherWeaknesses = [.md5]
        let name = self.name(kind)
        if name.contains("EXPORT") { w.insert(.export) }
        if name.contains("RC4") { w.insert(.rc4) }
        if name.contains("RC2") { w.insert(.rc2) }
        if name.contains("IDEA") { w.insert(.idea) }
        if name.contains("EDE3") { w.insert(.tripleDES) } else if name.contains("DES") { w.insert(.des) }
        if names[kind] == nil { w.insert(.unknown) }
        return w
    }
}
