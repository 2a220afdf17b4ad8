/// A test-side builder of TLS and SSL 2.0 bytes, written from the RFCs'
/// presentation language, not from the analyzer: the record layer (RFC 5246
/// §6.2.1, RFC 8446 §5.1), handshake messages (RFC 5246 §7.4, RFC 8446 §4),
/// the extensions the analyzer reads (RFC 6066, 7301, 8446, 8422, 5746,
/// 6520, 8701) and the SSL 2.0 hellos (draft-hickman-netscape-ssl-00 §2.6).
///
/// Shared by InspectionTests (the analyzer on byte streams) and FindingsTests
/// (hellos for the assessor and the fingerprints).
public enum TLSBytes {
    // MARK: integers and vectors (RFC 5246 §4: network byte order)

    public static func u8(_ v: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: v)] }
    public static func u16(_ v: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
    public static func u24(_ v: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    /// `opaque x<0..2^8-1>`: a 1-byte length, then the bytes.
    public static func vector8(_ body: [UInt8]) -> [UInt8] { u8(body.count) + body }
    /// `opaque x<0..2^16-1>`.
    public static func vector16(_ body: [UInt8]) -> [UInt8] { u16(body.count) + body }
    /// `opaque x<0..2^24-1>`.
    public static func vector24(_ body: [UInt8]) -> [UInt8] { u24(body.count) + body }
    /// 16-bit values one after the other (the inside of a cipher-suite or group list).
    public static func list16(_ values: [UInt16]) -> [UInt8] { values.flatMap { u16(Int($0)) } }

    public static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// `n` bytes counting up from `start` (a recognisable random, session id, key).
    public static func counting(_ n: Int, from start: UInt8 = 0) -> [UInt8] {
        (0..<n).map { UInt8(truncatingIfNeeded: Int(start) + $0) }
    }

    // MARK: code points

    public enum ContentType {
        public static let changeCipherSpec: UInt8 = 20
        public static let alert: UInt8 = 21
        public static let handshake: UInt8 = 22
        public static let applicationData: UInt8 = 23
        public static let heartbeat: UInt8 = 24
    }

    public enum HandshakeType {
        public static let clientHello: UInt8 = 1
        public static let serverHello: UInt8 = 2
        public static let newSessionTicket: UInt8 = 4
        public static let certificate: UInt8 = 11
        public static let serverKeyExchange: UInt8 = 12
        public static let serverHelloDone: UInt8 = 14
        public static let finished: UInt8 = 20
    }

    public enum ExtensionType {
        public static let serverName: UInt16 = 0
        public static let supportedGroups: UInt16 = 10
        public static let ecPointFormats: UInt16 = 11
        public static let signatureAlgorithms: UInt16 = 13
        public static let heartbeat: UInt16 = 15
        public static let alpn: UInt16 = 16
        public static let padding: UInt16 = 21
        public static let extendedMasterSecret: UInt16 = 23
        public static let sessionTicket: UInt16 = 35
        public static let supportedVersions: UInt16 = 43
        public static let pskKeyExchangeModes: UInt16 = 45
        public static let keyShare: UInt16 = 51
        public static let renegotiationInfo: UInt16 = 0xff01
    }

    /// The 16 GREASE values of RFC 8701 §2: 0x0A0A, 0x1A1A, … 0xFAFA.
    public static let greaseValues: [UInt16] = (0..<16).map { UInt16($0) << 12 | 0x0a00 | UInt16($0) << 4 | 0x0a }

    /// RFC 8446 §4.1.3: a HelloRetryRequest's random is SHA-256("HelloRetryRequest").
    public static let helloRetryRequestRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    // MARK: record layer

    /// `TLSPlaintext`: type, ProtocolVersion, uint16 length, fragment.
    public static func record(_ type: UInt8, version: UInt16 = 0x0303, _ fragment: [UInt8]) -> [UInt8] {
        [type] + u16(Int(version)) + u16(fragment.count) + fragment
    }

    /// `payload` (the concatenated handshake messages, say) fragmented into
    /// records of the given sizes; the last record takes what is left.
    public static func records(
        _ type: UInt8, version: UInt16 = 0x0303, _ payload: [UInt8], fragmentSizes: [Int]
    ) -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        for size in fragmentSizes where start < payload.count {
            let end = min(payload.count, start + size)
            out += record(type, version: version, Array(payload[start..<end]))
            start = end
        }
        if start < payload.count { out += record(type, version: version, Array(payload[start...])) }
        return out
    }

    /// `Handshake`: msg_type, uint24 length, body.
    public static func handshake(_ type: UInt8, _ body: [UInt8]) -> [UInt8] { [type] + u24(body.count) + body }

    /// A ChangeCipherSpec record (RFC 5246 §7.1: one byte, 1).
    public static func changeCipherSpec(version: UInt16 = 0x0303) -> [UInt8] {
        record(ContentType.changeCipherSpec, version: version, [1])
    }

    /// An alert record (RFC 5246 §7.2): level (1 warning, 2 fatal), description.
    public static func alert(level: UInt8, description: UInt8, version: UInt16 = 0x0303) -> [UInt8] {
        record(ContentType.alert, version: version, [level, description])
    }

    /// An application-data record of `count` opaque bytes.
    public static func applicationData(_ count: Int, version: UInt16 = 0x0303) -> [UInt8] {
        record(ContentType.applicationData, version: version, counting(count, from: 0x5a))
    }

    // MARK: extensions

    /// `Extension`: uint16 extension_type, opaque extension_data<0..2^16-1>.
    public struct Extension: Sendable, Equatable {
        public var type: UInt16
        public var data: [UInt8]
        public init(type: UInt16, data: [UInt8] = []) {
            self.type = type
            self.data = data
        }
        public var bytes: [UInt8] { TLSBytes.u16(Int(type)) + TLSBytes.vector16(data) }
    }

    /// server_name (RFC 6066 §3): ServerNameList of (NameType host_name(0), HostName<1..2^16-1>).
    public static func sni(_ hosts: String...) -> Extension {
        let list: [UInt8] = hosts.flatMap { host -> [UInt8] in [0x00] + vector16(ascii(host)) }
        return Extension(type: ExtensionType.serverName, data: vector16(list))
    }

    /// application_layer_protocol_negotiation (RFC 7301 §3.1): ProtocolNameList of opaque<1..2^8-1>.
    public static func alpn(raw protocols: [[UInt8]]) -> Extension {
        Extension(type: ExtensionType.alpn, data: vector16(protocols.flatMap { vector8($0) }))
    }

    public static func alpn(_ protocols: String...) -> Extension { alpn(raw: protocols.map(ascii)) }

    /// supported_versions in a ClientHello (RFC 8446 §4.2.1): ProtocolVersion versions<2..254>.
    public static func supportedVersions(_ versions: [UInt16]) -> Extension {
        Extension(type: ExtensionType.supportedVersions, data: vector8(list16(versions)))
    }

    /// supported_versions in a ServerHello / HelloRetryRequest: one selected_version.
    public static func selectedVersion(_ version: UInt16) -> Extension {
        Extension(type: ExtensionType.supportedVersions, data: u16(Int(version)))
    }

    /// supported_groups (RFC 8422 §5.1.1, RFC 8446 §4.2.7): NamedGroup named_group_list<2..2^16-1>.
    public static func supportedGroups(_ groups: [UInt16]) -> Extension {
        Extension(type: ExtensionType.supportedGroups, data: vector16(list16(groups)))
    }

    /// ec_point_formats (RFC 8422 §5.1.2): ECPointFormat ec_point_format_list<1..2^8-1>.
    public static func ecPointFormats(_ formats: [UInt8]) -> Extension {
        Extension(type: ExtensionType.ecPointFormats, data: vector8(formats))
    }

    /// signature_algorithms (RFC 8446 §4.2.3): SignatureScheme supported_signature_algorithms<2..2^16-2>.
    public static func signatureAlgorithms(_ schemes: [UInt16]) -> Extension {
        Extension(type: ExtensionType.signatureAlgorithms, data: vector16(list16(schemes)))
    }

    /// key_share in a ClientHello (RFC 8446 §4.2.8): KeyShareEntry client_shares<0..2^16-1>,
    /// each entry NamedGroup group, opaque key_exchange<1..2^16-1>.
    public static func keyShare(_ entries: [(group: UInt16, key: [UInt8])]) -> Extension {
        let list = entries.flatMap { u16(Int($0.group)) + vector16($0.key) }
        return Extension(type: ExtensionType.keyShare, data: vector16(list))
    }

    /// key_share in a ServerHello: one KeyShareEntry server_share.
    public static func keyShareServer(group: UInt16, key: [UInt8]) -> Extension {
        Extension(type: ExtensionType.keyShare, data: u16(Int(group)) + vector16(key))
    }

    /// key_share in a HelloRetryRequest: NamedGroup selected_group.
    public static func keyShareRetry(group: UInt16) -> Extension {
        Extension(type: ExtensionType.keyShare, data: u16(Int(group)))
    }

    /// renegotiation_info (RFC 5746 §3.2): opaque renegotiated_connection<0..255>.
    public static func renegotiationInfo(_ verifyData: [UInt8] = []) -> Extension {
        Extension(type: ExtensionType.renegotiationInfo, data: vector8(verifyData))
    }

    /// heartbeat (RFC 6520 §2): HeartbeatMode mode (1 peer_allowed_to_send, 2 peer_not_allowed_to_send).
    public static func heartbeat(mode: UInt8 = 1) -> Extension { Extension(type: ExtensionType.heartbeat, data: [mode]) }

    /// An extension with empty data (extended_master_secret, session_ticket, a GREASE one, …).
    public static func empty(_ type: UInt16) -> Extension { Extension(type: type) }

    /// The extensions block: Extension extensions<0..2^16-1>.
    public static func extensionBlock(_ extensions: [Extension]) -> [UInt8] {
        vector16(extensions.flatMap(\.bytes))
    }

    // MARK: hellos

    /// ClientHello (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2). `extensions: nil`
    /// leaves the extensions block out (SSL 3.0 / TLS 1.0 hellos without it).
    public struct ClientHelloSpec: Sendable {
        public var version: UInt16 = 0x0303
        public var random: [UInt8] = TLSBytes.counting(32, from: 0xa0)
        public var sessionID: [UInt8] = TLSBytes.counting(32, from: 0x40)
        public var cipherSuites: [UInt16] = [0x1301, 0x1302, 0xc02f]
        public var compressionMethods: [UInt8] = [0]
        public var extensions: [Extension]? = []
        public init() {}
    }

    /// The ClientHello body (what follows the 4-byte handshake header).
    public static func clientHelloBody(_ s: ClientHelloSpec) -> [UInt8] {
        var body = u16(Int(s.version)) + s.random
        body += vector8(s.sessionID)
        body += vector16(list16(s.cipherSuites))
        body += vector8(s.compressionMethods)
        if let extensions = s.extensions { body += extensionBlock(extensions) }
        return body
    }

    public static func clientHello(_ s: ClientHelloSpec) -> [UInt8] {
        handshake(HandshakeType.clientHello, clientHelloBody(s))
    }

    /// A ClientHello in one handshake record with the usual record version 3.1.
    public static func clientHelloRecord(_ s: ClientHelloSpec, recordVersion: UInt16 = 0x0301) -> [UInt8] {
        record(ContentType.handshake, version: recordVersion, clientHello(s))
    }

    /// ServerHello (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3). `extensions: nil`
    /// leaves the block out.
    public struct ServerHelloSpec: Sendable {
        public var version: UInt16 = 0x0303
        public var random: [UInt8] = TLSBytes.counting(32, from: 0x10)
        public var sessionID: [UInt8] = TLSBytes.counting(32, from: 0x60)
        public var cipherSuite: UInt16 = 0xc02f
        public var compressionMethod: UInt8 = 0
        public var extensions: [Extension]? = [TLSBytes.renegotiationInfo()]
        public init() {}
    }

    public static func serverHelloBody(_ s: ServerHelloSpec) -> [UInt8] {
        var body = u16(Int(s.version)) + s.random + vector8(s.sessionID)
        body += u16(Int(s.cipherSuite)) + [s.compressionMethod]
        if let extensions = s.extensions { body += extensionBlock(extensions) }
        return body
    }

    public static func serverHello(_ s: ServerHelloSpec) -> [UInt8] {
        handshake(HandshakeType.serverHello, serverHelloBody(s))
    }

    /// A TLS 1.3 ServerHello: legacy version 3.3, supported_versions 3.4, a key share.
    public static func tls13ServerHello(cipherSuite: UInt16 = 0x1301, group: UInt16 = 0x001d) -> ServerHelloSpec {
        var s = ServerHelloSpec()
        s.cipherSuite = cipherSuite
        s.extensions = [selectedVersion(0x0304), keyShareServer(group: group, key: counting(32, from: 0x33))]
        return s
    }

    /// A HelloRetryRequest: a ServerHello with the special random, asking for `group`.
    public static func helloRetryRequest(cipherSuite: UInt16 = 0x1301, group: UInt16 = 0x0017) -> ServerHelloSpec {
        var s = ServerHelloSpec()
        s.random = helloRetryRequestRandom
        s.cipherSuite = cipherSuite
        s.extensions = [selectedVersion(0x0304), keyShareRetry(group: group)]
        return s
    }

    /// Certificate (RFC 5246 §7.4.2): ASN.1Cert certificate_list<0..2^24-1>, each opaque<1..2^24-1>.
    public static func certificate(_ ders: [[UInt8]]) -> [UInt8] {
        handshake(HandshakeType.certificate, vector24(ders.flatMap { vector24($0) }))
    }

    /// ServerHelloDone (RFC 5246 §7.4.5): an empty body.
    public static func serverHelloDone() -> [UInt8] { handshake(HandshakeType.serverHelloDone, []) }

    /// A ServerKeyExchange with opaque params (the analyzer skips it).
    public static func serverKeyExchange(_ params: [UInt8] = counting(40, from: 0x21)) -> [UInt8] {
        handshake(HandshakeType.serverKeyExchange, params)
    }

    // MARK: SSL 2.0 (draft-hickman-netscape-ssl-00)

    /// SSL 2.0 cipher kinds (appendix C), as 3-byte values.
    public enum SSL2CipherKind {
        public static let rc4_128_with_md5: UInt32 = 0x01_0080
        public static let rc4_128_export40_with_md5: UInt32 = 0x02_0080
        public static let rc2_128_cbc_with_md5: UInt32 = 0x03_0080
        public static let rc2_128_cbc_export40_with_md5: UInt32 = 0x04_0080
        public static let idea_128_cbc_with_md5: UInt32 = 0x05_0080
        public static let des_64_cbc_with_md5: UInt32 = 0x06_0040
        public static let des_192_ede3_cbc_with_md5: UInt32 = 0x07_00c0
    }

    /// A 2-byte SSL 2.0 record header (high bit set: no padding) and the body.
    public static func sslv2Record(_ body: [UInt8]) -> [UInt8] {
        [0x80 | UInt8(body.count >> 8), UInt8(body.count & 0xff)] + body
    }

    static func spec3(_ kind: UInt32) -> [UInt8] {
        [UInt8(kind >> 16 & 0xff), UInt8(kind >> 8 & 0xff), UInt8(kind & 0xff)]
    }

    /// CLIENT-HELLO: MSG-CLIENT-HELLO (1), CLIENT-VERSION, CIPHER-SPECS-LENGTH,
    /// SESSION-ID-LENGTH, CHALLENGE-LENGTH, then the three fields. A TLS suite
    /// in a v2-compatible hello is the 3-byte kind 0x00XXYY (RFC 5246 appendix E.2).
    public static func sslv2ClientHello(
        version: UInt16, kinds: [UInt32], sessionID: [UInt8] = [], challenge: [UInt8] = counting(16, from: 0x70)
    ) -> [UInt8] {
        let specs = kinds.flatMap(spec3)
        let body = [1] + u16(Int(version)) + u16(specs.count) + u16(sessionID.count) + u16(challenge.count)
            + specs + sessionID + challenge
        return sslv2Record(body)
    }

    /// SERVER-HELLO: MSG-SERVER-HELLO (4), SESSION-ID-HIT, CERTIFICATE-TYPE
    /// (1 = SSL_CT_X509_CERTIFICATE), SERVER-VERSION, CERTIFICATE-LENGTH,
    /// CIPHER-SPECS-LENGTH, CONNECTION-ID-LENGTH, then the three fields.
    public static func sslv2ServerHello(
        certificate: [UInt8], kinds: [UInt32], connectionID: [UInt8] = counting(16, from: 0xc0),
        sessionIDHit: UInt8 = 0, certificateType: UInt8 = 1, version: UInt16 = 0x0002
    ) -> [UInt8] {
        let specs = kinds.flatMap(spec3)
        let body = [4, sessionIDHit, certificateType] + u16(Int(version)) + u16(certificate.count) + u16(specs.count)
            + u16(connectionID.count) + certificate + specs + connectionID
        return sslv2Record(body)
    }

    // MARK: pieces

    /// `bytes` cut at the given offsets (sorted, strictly inside).
    public static func split(_ bytes: [UInt8], at cuts: [Int]) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var start = 0
        for cut in cuts.sorted() where cut > start && cut < bytes.count {
            chunks.append(Array(bytes[start..<cut]))
            start = cut
        }
        chunks.append(Array(bytes[start...]))
        return chunks
    }
}
