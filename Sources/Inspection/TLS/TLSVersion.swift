/// A protocol version as it appears on the wire (SSL 2.0 is 0x0002, SSL 3.0
/// 0x0300, TLS 1.x 0x0301 + x), with the names the output contract uses.
public struct TLSVersion: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let sslv2 = TLSVersion(rawValue: 0x0002)
    public static let sslv3 = TLSVersion(rawValue: 0x0300)
    public static let tls10 = TLSVersion(rawValue: 0x0301)
    public static let tls11 = TLSVersion(rawValue: 0x0302)
    public static let tls12 = TLSVersion(rawValue: 0x0303)
    public static let tls13 = TLSVersion(rawValue: 0x0304)

    /// `SSLv2` … `TLSv1.3`; anything else as `0x` and four hex digits.
    public var description: String {
        switch self {
        case .sslv2: return "SSLv2"
        case .sslv3: return "SSLv3"
        case .tls10: return "TLSv1.0"
        case .tls11: return "TLSv1.1"
        case .tls12: return "TLSv1.2"
        case .tls13: return "TLSv1.3"
        default: return TLSVersion.hex(rawValue)
        }
    }

    public init?(name: String) {
        let all: [TLSVersion] = [.sslv2, .sslv3, .tls10, .tls11, .tls12, .tls13]
        guard let v = all.first(where: { $0.description == name }) else { return nil }
        self = v
    }

    /// Draft TLS 1.3 versions (0x7fxx) and the Facebook/Google experiments
    /// (0x7exx, 0xfbxx) negotiate TLS 1.3 semantics; they order as 1.3.
    var orderingValue: UInt16 {
        switch rawValue >> 8 {
        case 0x7f, 0x7e, 0xfb: return 0x0304
        default: return rawValue == 0x0002 ? 0x0200 : rawValue
        }
    }

    public static func < (a: TLSVersion, b: TLSVersion) -> Bool { a.orderingValue < b.orderingValue }

    /// A GREASE value (RFC 8701): 0x?a?a with both bytes equal. Clients put
    /// them in lists to keep servers tolerant; they carry no meaning.
    public static func isGREASE(_ v: UInt16) -> Bool { v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff }

    static func hex(_ v: UInt16) -> String { hexCode(UInt32(v), digits: 4) }

    /// `0x` and `digits` lower-case hex digits: how unnamed code points are written.
    static func hexCode(_ v: UInt32, digits: Int) -> String {
        let text = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

/// TLS record content types (RFC 8446 §5.1).
enum TLSContentType {
    static let changeCipherSpec: UInt8 = 20
    static let alert: UInt8 = 21
    static let handshake: UInt8 = 22
    static let applicationData: UInt8 = 23
    static let heartbeat: UInt8 = 24
}

/// Handshake message types this analyzer reads (RFC 8446 §4, RFC 5246 §7.4).
enum TLSHandshakeType {
    static let clientHello: UInt8 = 1
    static let serverHello: UInt8 = 2
    static let certificate: UInt8 = 11
    static let serverHelloDone: UInt8 = 14
}

/// Extension code points (IANA "TLS ExtensionType Values").
public enum TLSExtension {
    public static let serverName: UInt16 = 0
    public static let supportedGroups: UInt16 = 10
    public static let ecPointFormats: UInt16 = 11
    public static let signatureAlgorithms: UInt16 = 13
    public static let heartbeat: UInt16 = 15
    public static let alpn: UInt16 = 16
    public static let encryptThenMAC: UInt16 = 22
    public static let extendedMasterSecret: UInt16 = 23
    public static let sessionTicket: UInt16 = 35
    public static let supportedVersions: UInt16 = 43
    public static let keyShare: UInt16 = 51
    public static let renegotiationInfo: UInt16 = 0xff01
}
