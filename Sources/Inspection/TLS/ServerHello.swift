import Decoding

/// What a server chose (RFC 8446 §4.1.3), read from a ServerHello body, a
/// HelloRetryRequest (a ServerHello with a fixed random), or an SSL 2.0
/// SERVER-HELLO.
public struct ServerHello: Sendable, Equatable {
    public var legacyVersion: TLSVersion
    /// The version in supported_versions (TLS 1.3), overriding the legacy field.
    public var selectedVersion: TLSVersion?
    public var cipherSuite: UInt16
    public var compressionMethod: UInt8 = 0
    public var extensions: [UInt16] = []
    public var alpn: String?
    public var keyShareGroup: UInt16?
    public var isHelloRetryRequest = false
    /// SSL 2.0 SERVER-HELLO: the cipher kinds the server accepts.
    public var sslv2CipherKinds: [UInt32] = []
    /// SSL 2.0 carries the server certificate inside its SERVER-HELLO.
    public var sslv2Certificate: [UInt8]?

    /// SHA-256 of "HelloRetryRequest" (RFC 8446 §4.1.3).
    static let helloRetryRandom: [UInt8] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
        0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
    ]

    /// The version in effect: supported_versions wins over the legacy field.
    public var version: TLSVersion { selectedVersion ?? legacyVersion }

    public init(parsing body: UnsafeRawBufferPointer) throws {
        var r = ByteReader(body)
        legacyVersion = TLSVersion(rawValue: try r.uint16())
        let random = try r.bytes(32)
        isHelloRetryRequest = random.elementsEqual(ServerHello.helloRetryRandom)
        // TLS 1.3 drafts before -22 (0x7f16) had no session id echo and no
        // compression byte, and put the negotiated version in this field.
        let earlyDraft = legacyVersion.rawValue >> 8 == 0x7f && legacyVersion.rawValue & 0xff < 22
        if earlyDraft {
            selectedVersion = legacyVersion
            cipherSuite = try r.uint16()
        } else {
            _ = try r.lengthPrefixed(UInt8.self)  // legacy_session_id_echo
            cipherSuite = try r.uint16()
            compressionMethod = try r.uint8()
        }
        guard r.readableBytes > 0 else { return }
        var extensionBlock = try r.lengthPrefixed(UInt16.self)
        extensions.reserveCapacity(extensionBlock.readableBytes / 4)
        while extensionBlock.readableBytes > 0 {
            let type = try extensionBlock.uint16()
            var data = try extensionBlock.lengthPrefixed(UInt16.self)
            extensions.append(type)
            switch type {
            case TLSExtension.supportedVersions:
                selectedVersion = TLSVersion(rawValue: try data.uint16())
            case TLSExtension.alpn:
                var list = try data.lengthPrefixed(UInt16.self)
                let name = try list.lengthPrefixed(UInt8.self)
                alpn = name.printableText()
            case TLSExtension.keyShare:
                keyShareGroup = try data.uint16()
            default:
                break
            }
        }
    }

    /// Parses an SSL 2.0 SERVER-HELLO record body: message type 4, session-id
    /// hit, certificate type, version, then the lengths of the certificate,
    /// the cipher specs and the connection id.
    public init(sslv2 body: UnsafeRawBufferPointer) throws {
        var r = ByteReader(body)
        guard try r.uint8() == 4 else { throw TLSParseError("SSLv2 record is not a SERVER-HELLO") }
        _ = try r.uint8()  // session id hit
        let certificateType = try r.uint8()
        legacyVersion = TLSVersion(rawValue: try r.uint16())
        let certificateLength = Int(try r.uint16())
        let specsLength = Int(try r.uint16())
        let connectionIDLength = Int(try r.uint16())
        guard specsLength % 3 == 0 else { throw TLSParseError("SSLv2 cipher specs are not 3-byte values") }
        let certificate = try r.bytes(certificateLength)
        let specs = try r.bytes(specsLength)
        _ = try r.bytes(connectionIDLength)
        if certificateType == 1 && certificateLength > 0 { sslv2Certificate = Array(certificate) }
        var i = 0
        while i < specs.count {
            sslv2CipherKinds.append(UInt32(specs[i]) << 16 | UInt32(specs[i + 1]) << 8 | UInt32(specs[i + 2]))
            i += 3
        }
        // SSL 2.0 has no cipher-suite field: the client picks one of these in
        // its CLIENT-MASTER-KEY (encrypted context not needed: it is sent in clear,
        // but this analyzer stops at the hellos).
        cipherSuite = 0
        selectedVersion = .sslv2
    }

    public var isSSLv2: Bool { selectedVersion == .sslv2 && legacyVersion.rawValue <= 0x0002 }

    public var offersSecureRenegotiation: Bool { extensions.contains(TLSExtension.renegotiationInfo) }
}
