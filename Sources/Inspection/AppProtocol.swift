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
    public static let mssql = AppProtocol(rawValue: 17)
    public static let mongodb = AppProtocol(rawValue: 18)
    public static let cassandra = AppProtocol(rawValue: 19)
    public static let memcached = AppProtocol(rawValue: 20)
    public static let kafka = AppProtocol(rawValue: 21)
    public static let amqp = AppProtocol(rawValue: 22)
    public static let mqtt = AppProtocol(rawValue: 23)
    public static let nats = AppProtocol(rawValue: 24)
    public static let socks = AppProtocol(rawValue: 25)
    public static let sip = AppProtocol(rawValue: 26)
    public static let rtsp = AppProtocol(rawValue: 27)
    public static let irc = AppProtocol(rawValue: 28)
    public static let vnc = AppProtocol(rawValue: 29)
    public static let rlogin = AppProtocol(rawValue: 30)
    public static let rsh = AppProtocol(rawValue: 31)
    public static let tftp = AppProtocol(rawValue: 32)
    public static let syslog = AppProtocol(rawValue: 33)
    public static let smb = AppProtocol(rawValue: 34)
    public static let kerberos = AppProtocol(rawValue: 35)
    public static let http2 = AppProtocol(rawValue: 36)
    /// An FTP data connection, recognised by the endpoint its control channel announced.
    public static let ftpData = AppProtocol(rawValue: 37)
    public static let elasticsearch = AppProtocol(rawValue: 38)
    public static let nntp = AppProtocol(rawValue: 39)
    public static let snmpv3 = AppProtocol(rawValue: 40)
    public static let radius = AppProtocol(rawValue: 41)
    public static let tacacs = AppProtocol(rawValue: 42)
    public static let stomp = AppProtocol(rawValue: 43)

    /// Names indexed by raw value.
    static let names = [
        "unknown", "tls", "ssh", "http", "smtp", "ftp", "pop3", "imap", "telnet", "dns", "xmpp", "ldap",
        "postgresql", "mysql", "rdp", "redis", "snmp", "mssql", "mongodb", "cassandra", "memcached", "kafka",
        "amqp", "mqtt", "nats", "socks", "sip", "rtsp", "irc", "vnc", "rlogin", "rsh", "tftp", "syslog", "smb",
        "kerberos", "http2", "ftp-data", "elasticsearch", "nntp", "snmpv3", "radius", "tacacs", "stomp",
    ]

    /// The name used in flow records and findings (`tls`, `http`, ...).
    public var description: String {
        Int(rawValue) < AppProtocol.names.count ? AppProtocol.names[Int(rawValue)] : "app-\(rawValue)"
    }

    /// The protocol protects its payload (what `encrypted` reports).
    public var isEncrypted: Bool { self == .tls || self == .ssh }
}
