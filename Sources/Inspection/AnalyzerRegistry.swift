/// How a protocol is recognised from the first bytes of a direction.
public enum ProbeResult: Sendable {
    case match
    case noMatch
    /// Too few bytes to decide.
    case needMore
}

/// One registered protocol: its name, app id, the ports it usually runs on
/// (a hint only: probes use them to tell look-alike banners apart, e.g. a
/// bare `220` greeting on port 21 or 25, and a UDP protocol's mark the
/// server side of a flow seen without a handshake) and a content probe per
/// direction.
public struct AnalyzerDescriptor: Sendable {
    public let name: String
    public let app: AppProtocol
    public let portHints: [UInt16]
    /// Probe of the client's first bytes (nil: the client side says nothing decisive).
    public let probeToServer: (@Sendable (UnsafeRawBufferPointer, _ serverPort: UInt16) -> ProbeResult)?
    /// Probe of the server's first bytes.
    public let probeToClient: (@Sendable (UnsafeRawBufferPointer, _ serverPort: UInt16) -> ProbeResult)?
    /// UDP protocols are probed per datagram; TCP ones on the stream start.
    public let transport: Transport
    /// The server speaks first (a greeting: SMTP, FTP, POP3, IMAP). Its
    /// server-side probe only counts when the client has not sent anything
    /// yet: a Redis server's `+OK` answers a client, a POP3 greeting does not.
    public var serverGreetsFirst = false

    public enum Transport: Sendable { case tcp, udp }
}

/// The one explicit list of protocols PlainSight identifies. Order matters
/// only among probes that could match the same bytes: the more specific first.
public enum AnalyzerRegistry {
    public static let all: [AnalyzerDescriptor] = [
        // SIP and RTSP before HTTP: they share `OPTIONS `, and their probes look at the URI that follows.
        // NATS and STOMP before HTTP too: HTTP's probe takes any `CONNECT ` for a proxy request.
        Probes.tls, Probes.ssh, Probes.nats, Probes.stomp, Probes.sipTCP, Probes.rtsp, Probes.http2, Probes.elasticsearch, Probes.http, Probes.smtp, Probes.ftp, Probes.pop3,
        Probes.imap, Probes.nntp, Probes.telnet, Probes.xmpp, Probes.ldap, Probes.postgresql, Probes.mysql, Probes.rdp,
        Probes.redis,
        Probes.dns, Probes.snmp, Probes.snmpv3, Probes.radius,
        Probes.irc, Probes.vnc, Probes.rlogin, Probes.rsh,
        Probes.sipUDP, Probes.tftp, Probes.syslog, Probes.syslogTCP,
        Probes.mqtt, Probes.amqp, Probes.kafka, Probes.socks,
        Probes.smb, Probes.kerberos, Probes.kerberosTCP,
        Probes.mssql, Probes.mongodb, Probes.cassandra, Probes.memcached, Probes.tacacs,
    ]

    static let tcp = all.filter { $0.transport == .tcp }
    static let udp = all.filter { $0.transport == .udp }

    /// The UDP protocols' well-known ports: a flow seen without a handshake
    /// has its server there when its other endpoint is not on one.
    public static let udpServicePorts = Set(udp.flatMap(\.portHints))
}
