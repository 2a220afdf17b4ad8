#if canImport(Glibc)
import Glibc
#endif
import Decoding

/// What a server chose (RFC 8446 §4.1.3), read from a ServerHello body, a
/// HelloRetryRequest (a ServerHello with a fixed random), or an SSL 2.0
/// SERVER-HELLO.
public struct ServerHello: Sendable, Equatable {
    public let legacyVersion: TLSVersion
    /// The version in supported_versions (TLS 1.3), overriding the legacy field.
    public private(set) var selectedVersion: TLSVersion?
    public let cipherSuite: UInt16
    public private(set) var compressionMethod: UInt8 = 0
    public private(set) var keyShareGroup: UInt16?
    public let isHelloRetryRequest: Bool
    /// SSL 2.0 SERVER-HELLO: the cipher kinds the server accepts.
    public private(set) var sslv2CipherKinds: [UInt32] = []
    /// SSL 2.0 carries the server certificate inside its SERVER-HELLO.
    public private(set) var sslv2Certificate: [UInt8]?
    /// The extension block and the first ALPN name, as sent: read (on the
    /// packet thread) without building the type list or the name's text.
    var extensionBlock: [UInt8] = []
    var alpnName: Range<Int>?

    /// SHA-256 of "HelloRetryRequest" (RFC 8446 §4.1.3).
    static let helloRetryRandom: [UInt8] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
        0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
    ]

    /// The version in effect: supported_versions wins over the legacy field.
    public var version: TLSVersion { selectedVersion ?? legacyVersion }

    public init(parsing body: UnsafeRawBufferPointer) throws {
        // Read into locals and stored at the end, once the message is known
        // to be whole (this runs on the packet thread for every handshake).
        var r = ByteReader(body)
        let legacy = TLSVersion(rawValue: try r.uint16())
        let random = try r.bytes(32)
        var selected: TLSVersion?
        let cipher: UInt16
        var compression: UInt8 = 0
        // TLS 1.3 drafts before -22 (0x7f16) had no session id echo and no
        // compression byte, and put the negotiated version in this field.
        if legacy.rawValue >> 8 == 0x7f && legacy.rawValue & 0xff < 22 {
            selected = legacy
            cipher = try r.uint16()
        } else {
            _ = try r.lengthPrefixed(UInt8.self)  // legacy_session_id_echo
            cipher = try r.uint16()
            compression = try r.uint8()
        }
        var keyShare: UInt16?
        var alpn: Range<Int>?
        var block = UnsafeRawBufferPointer(start: nil, count: 0)
        if r.readableBytes > 0 {
            var extensions = try r.lengthPrefixed(UInt16.self)
            block = extensions.readableView
            while extensions.readableBytes > 0 {
                let type = try extensions.uint16()
                var data = try extensions.lengthPrefixed(UInt16.self)
                switch type {
                case TLSExtension.supportedVersions:
                    selected = TLSVersion(rawValue: try data.uint16())
                case TLSExtension.alpn:
                    var list = try data.lengthPrefixed(UInt16.self)
                    let name = try list.lengthPrefixed(UInt8.self).readableView
                    let start = name.baseAddress.map { $0 - block.baseAddress! } ?? 0
                    alpn = start..<(start + name.count)
                case TLSExtension.keyShare:
                    keyShare = try data.uint16()
                default:
                    break
                }
            }
        }
        legacyVersion = legacy
        isHelloRetryRequest = ServerHello.helloRetryRandom.withUnsafeBytes { memcmp($0.baseAddress!, random.baseAddress!, 32) == 0 }
        selectedVersion = selected
        cipherSuite = cipher
        compressionMethod = compression
        keyShareGroup = keyShare
        alpnName = alpn
        extensionBlock = Array(block)
    }

    /// Extension types in wire order.
    public var extensions: [UInt16] {
        var types: [UInt16] = []
        var i = 0
        while i + 4 <= extensionBlock.count {
            types.append(UInt16(extensionBlock[i]) << 8 | UInt16(extensionBlock[i + 1]))
            i += 4 + (Int(extensionBlock[i + 2]) << 8 | Int(extensionBlock[i + 3]))
        }
        return types
    }

    /// The protocol the server chose (its first ALPN name), as printable text.
    public var alpn: String? { alpnName.map { printableText(extensionBlock[$0]) } }

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
        isHelloRetryRequest = false
    }

    public var isSSLv2: Bool { selectedVersion == .sslv2 && legacyVersion.rawValue <= 0x0002 }

    public var offersSecureRenegotiation: Bool { extensions.contains(TLSExtension.renegotiationInfo) }
}
