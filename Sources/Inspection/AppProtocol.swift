/// An application protocol as identified on a flow. An open set of small
/// codes with names (later analyzers add protocols without breaking the
/// output), so per-flow state stays a byte.
public struct AppProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unknown = AppProtocol(rawValue: 0)
    public static let tls = AppProtocol(rawValue: 1)
    public static let ssh = AppProtocol(rawValue: 2)
    public static let http = AppProtocol(rawValue: 3)
    public static let smtp = AppProtocol(rawValue: 4)
    public static let ftp = AppProtocol(rawValue: 5)
    public static let pop3 = AppProtocol(rawValue: 6)
    public static let imap = AppProtocol(rawValue: 7)
    public static let telnet = AppProtocol(rawValue: 8)
    public static let dns = AppProtocol(rawValue: 9)
    public static let xmpp = AppProtocol(rawValue: 10)
    public static let ldap = AppProtocol(rawValue: 11)
    public static let postgresql = AppProtocol(rawValue: 12)
    public static let mysql = AppProtocol(rawValue: 13)
    public static let rdp = AppProtocol(rawValue: 14)
    public static let redis = AppProtocol(rawValue: 15)
    public static let snmp = AppProtocol(rawValue: 16)

    /// Names indexed by raw value.
    static let names = ["unknown", "tls", "ssh", "http", "smtp", "ftp", "pop3", "imap", "telnet", "dns", "xmpp", "ldap", "postgresql", "mysql", "rdp", "redis", "snmp"]

    /// The name used in flow records and findings (`tls`, `http`, ...).
    public var description: String {
        Int(rawValue) < AppProtocol.names.count ? AppProtocol.names[Int(rawValue)] : "app-\(rawValue)"
    }

    /// The protocol protects its payload (what `encrypted` reports).
    public var isEncrypted: Bool { self == .tls || self == .ssh }
}
