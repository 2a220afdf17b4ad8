import Decoding

/// What a client offered (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2), read from a
/// ClientHello body or an SSLv2-format hello. Lists keep wire order and
/// GREASE values (fingerprints need the order; consumers filter GREASE).
public struct ClientHello: Sendable, Equatable {
    public var legacyVersion: TLSVersion
    public var cipherSuites: [UInt16] = []
    public var compressionMethods: [UInt8] = []
    /// Extension types in wire order.
    public var extensions: [UInt16] = []
    public var serverName: String?
    public var alpn: [String] = []
    /// The first ALPN protocol's raw bytes (JA4 reads them unescaped).
    public var firstALPNValue: [UInt8]?
    public var supportedVersions: [UInt16] = []
    public var supportedGroups: [UInt16] = []
    public var ecPointFormats: [UInt8] = []
    public var signatureAlgorithms: [UInt16] = []
    public var keyShareGroups: [UInt16] = []
    /// The hello came in SSL 2.0 record format (RFC 5246 appendix E.2).
    public var isSSLv2Format = false
    /// SSL 2.0 cipher kinds offered in an SSLv2-format hello (first byte non-zero).
    public var sslv2CipherKinds: [UInt32] = []

    static let maxListedNames = 16

    /// Parses a ClientHello handshake body (after the 4-byte message header).
    public init(parsing body: UnsafeRawBufferPointer) throws {
        var r = ByteReader(body)
        legacyVersion = TLSVersion(rawValue: try r.uint16())
        _ = try r.bytes(32)  // random
        _ = try r.lengthPrefixed(UInt8.self)  // legacy_session_id
        var suites = try r.lengthPrefixed(UInt16.self)
        cipherSuites = try suites.uint16List()
        let compression = try r.lengthPrefixed(UInt8.self)
        compressionMethods = Array(compression.readableView)
        // Hellos before TLS 1.0 extensions (and some SSLv3 ones) end here.
        guard r.readableBytes > 0 else { return }
        var extensionBlock = try r.lengthPrefixed(UInt16.self)
        extensions.reserveCapacity(extensionBlock.readableBytes / 4)
        while extensionBlock.readableBytes > 0 {
            let type = try extensionBlock.uint16()
            var data = try extensionBlock.lengthPrefixed(UInt16.self)
            extensions.append(type)
            try readExtension(type, &data)
        }
    }

    mutating func readExtension(_ type: UInt16, _ data: inout ByteReader) throws {
        switch type {
        case TLSExtension.serverName:
            var list = try data.lengthPrefixed(UInt16.self)
            while list.readableBytes > 0 {
                let nameType = try list.uint8()
                let name = try list.lengthPrefixed(UInt16.self)
                if nameType == 0 && serverName == nil { serverName = name.printableText() }
            }
        case TLSExtension.alpn:
            var list = try data.lengthPrefixed(UInt16.self)
            while list.readableBytes > 0 {
                let name = try list.lengthPrefixed(UInt8.self)
                if firstALPNValue == nil { firstALPNValue = Array(name.readableView) }
                if alpn.count < ClientHello.maxListedNames { alpn.append(name.printableText()) }
            }
        case TLSExtension.supportedVersions:
            var list = try data.lengthPrefixed(UInt8.self)
            supportedVersions = try list.uint16List()
        case TLSExtension.supportedGroups:
            var list = try data.lengthPrefixed(UInt16.self)
            supportedGroups = try list.uint16List()
        case TLSExtension.ecPointFormats:
            let list = try data.lengthPrefixed(UInt8.self)
            ecPointFormats = Array(list.readableView)
        case TLSExtension.signatureAlgorithms:
            var list = try data.lengthPrefixed(UInt16.self)
            signatureAlgorithms = try list.uint16List()
        case TLSExtension.keyShare:
            var list = try data.lengthPrefixed(UInt16.self)
            while list.readableBytes > 0 {
                keyShareGroups.append(try list.uint16())
                _ = try list.lengthPrefixed(UInt16.self)
            }
        default:
            break
        }
    }

    /// Parses an SSL 2.0 CLIENT-HELLO record body (after the 2-byte record
    /// header): message type 1, version, then the lengths of the cipher specs
    /// (3 bytes each), session id and challenge.
    public init(sslv2 body: UnsafeRawBufferPointer) throws {
        var r = ByteReader(body)
        guard try r.uint8() == 1 else { throw TLSParseError("SSLv2 record is not a CLIENT-HELLO") }
        legacyVersion = TLSVersion(rawValue: try r.uint16())
        let specsLength = Int(try r.uint16())
        let sessionLength = Int(try r.uint16())
        let challengeLength = Int(try r.uint16())
        guard specsLength % 3 == 0 else { throw TLSParseError("SSLv2 cipher specs are not 3-byte values") }
        let specs = try r.bytes(specsLength)
        _ = try r.bytes(sessionLength)
        _ = try r.bytes(challengeLength)
        isSSLv2Format = true
        var i = 0
        while i < specs.count {
            let kind = UInt32(specs[i]) << 16 | UInt32(specs[i + 1]) << 8 | UInt32(specs[i + 2])
            if specs[i] == 0 { cipherSuites.append(UInt16(kind)) } else { sslv2CipherKinds.append(kind) }
            i += 3
        }
        compressionMethods = [0]
    }

    /// The versions the client offered: its supported_versions list, else
    /// the one version of its hello (the highest it accepts; lower ones are
    /// not announced). An SSLv2-format hello with SSL 2.0 ciphers also offers SSL 2.0.
    public var offeredVersions: [TLSVersion] {
        var versions = supportedVersions.filter { !TLSVersion.isGREASE($0) }.map(TLSVersion.init(rawValue:))
        if versions.isEmpty { versions = [legacyVersion] }
        if isSSLv2Format && !sslv2CipherKinds.isEmpty && !versions.contains(.sslv2) { versions.append(.sslv2) }
        return versions
    }

    /// The highest version offered.
    public var highestVersion: TLSVersion { offeredVersions.max() ?? legacyVersion }

    /// Secure renegotiation signalled (RFC 5746): the extension or the SCSV.
    public var offersSecureRenegotiation: Bool {
        extensions.contains(TLSExtension.renegotiationInfo) || cipherSuites.contains(0x00ff)
    }
}
