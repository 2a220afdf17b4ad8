import Decoding
import Flows

/// What every cleartext reader has: the sightings it made, which the
/// pipeline takes after each chunk.
protocol SightingSource: AnyObject {
    var sightings: [Sighting] { get set }
}

extension SightingSource {
    /// Returns the sightings made so far and forgets them.
    func takeSightings() -> [Sighting] {
        defer { sightings = [] }
        return sightings
    }

    /// Moves the sightings into `outbox` (a count check when there are none).
    func moveSightings(into outbox: inout [Sighting]) {
        if !sightings.isEmpty { outbox += takeSightings() }
    }
}

/// The cleartext analyzer of one flow, chosen by the identified protocol:
/// one class reference, so the flow slot stays small, dispatched by a switch
/// (no existential on the packet path).
enum CleartextAnalyzer {
    case http(HTTPAnalyzer)
    case login(LoginDialogAnalyzer)
    case redis(RedisLoginAnalyzer)
    case mysql(MySQLLoginAnalyzer)
    case postgresql(PostgreSQLLoginAnalyzer)
    case telnet(TelnetLoginAnalyzer)
    case ldap(LDAPLoginAnalyzer)
    case snmp(SNMPCommunityAnalyzer)
    case mqtt(MQTTLoginAnalyzer)
    case kafka(KafkaLoginAnalyzer)
    case amqp(AMQPLoginAnalyzer)
    case nats(NATSLoginAnalyzer)
    case stomp(STOMPLoginAnalyzer)
    case socks(SOCKSLoginAnalyzer)
    case smb(SMBLoginAnalyzer)
    case kerberos(KerberosAnalyzer)
    case headerAuth(HeaderAuthAnalyzer)
    case irc(IRCLoginAnalyzer)
    case vnc(VNCLoginAnalyzer)
    case rsh(RshLoginAnalyzer)
    case http2(HTTP2Analyzer)
    case mssql(MSSQLLoginAnalyzer)
    case mongodb(MongoDBLoginAnalyzer)
    case cassandra(CassandraLoginAnalyzer)
    case memcached(MemcachedLoginAnalyzer)
    case snmpv3(SNMPv3Analyzer)
    case radius(RADIUSAnalyzer)
    case tacacs(TACACSLoginAnalyzer)
    /// Not chosen by identification: the HTTP/1 reader hands over at a `101`.
    case webSocket(WebSocketAnalyzer)

    /// The analyzer for `app`, nil when PlainSight reads nothing more of it.
    /// `transport` tells SIP and Kerberos over UDP (a message per datagram)
    /// from their TCP framing; `serverPort` tells rexec (512) from rsh (same message shape).
    static func make(
        for app: AppProtocol, depth: UInt64, transport: TransportProtocol = .tcp, serverPort: UInt16 = 0
    ) -> CleartextAnalyzer? {
        switch app {
        case .http, .elasticsearch: .http(HTTPAnalyzer(maxDepth: depth))
        case .smtp: .login(LoginDialogAnalyzer(dialect: .smtp, maxDepth: depth))
        case .pop3: .login(LoginDialogAnalyzer(dialect: .pop3, maxDepth: depth))
        case .imap: .login(LoginDialogAnalyzer(dialect: .imap, maxDepth: depth))
        case .ftp: .login(LoginDialogAnalyzer(dialect: .ftp, maxDepth: depth))
        case .nntp: .login(LoginDialogAnalyzer(dialect: .nntp, maxDepth: depth))
        case .redis: .redis(RedisLoginAnalyzer(maxDepth: depth))
        case .mysql: .mysql(MySQLLoginAnalyzer(maxDepth: depth))
        case .postgresql: .postgresql(PostgreSQLLoginAnalyzer(maxDepth: depth))
        case .telnet: .telnet(TelnetLoginAnalyzer(maxDepth: depth))
        case .ldap: .ldap(LDAPLoginAnalyzer(maxDepth: depth))
        case .snmp: .snmp(SNMPCommunityAnalyzer())
        case .snmpv3: .snmpv3(SNMPv3Analyzer())
        case .radius: .radius(RADIUSAnalyzer())
        case .tacacs: .tacacs(TACACSLoginAnalyzer(maxDepth: depth))
        case .mqtt: .mqtt(MQTTLoginAnalyzer(maxDepth: depth))
        case .kafka: .kafka(KafkaLoginAnalyzer(maxDepth: depth))
        case .amqp: .amqp(AMQPLoginAnalyzer(maxDepth: depth))
        case .nats: .nats(NATSLoginAnalyzer(maxDepth: depth))
        case .stomp: .stomp(STOMPLoginAnalyzer(maxDepth: depth))
        case .socks: .socks(SOCKSLoginAnalyzer(maxDepth: depth))
        case .smb: .smb(SMBLoginAnalyzer(maxDepth: depth))
        case .kerberos: .kerberos(KerberosAnalyzer(maxDepth: depth, datagrams: transport == .udp))
        case .sip: .headerAuth(HeaderAuthAnalyzer(dialect: .sip, datagrams: transport == .udp, maxDepth: depth))
        case .rtsp: .headerAuth(HeaderAuthAnalyzer(dialect: .rtsp, datagrams: false, maxDepth: depth))
        case .irc: .irc(IRCLoginAnalyzer(maxDepth: depth))
        case .vnc: .vnc(VNCLoginAnalyzer(maxDepth: depth))
        case .rsh: .rsh(RshLoginAnalyzer(variant: serverPort == RshLoginAnalyzer.rexecPort ? .rexec : .rsh, maxDepth: depth))
        case .rlogin: .telnet(TelnetLoginAnalyzer(maxDepth: depth, rlogin: true))
        case .http2: .http2(HTTP2Analyzer(maxDepth: depth))
        case .mssql: .mssql(MSSQLLoginAnalyzer(maxDepth: depth))
        case .mongodb: .mongodb(MongoDBLoginAnalyzer(maxDepth: depth))
        case .cassandra: .cassandra(CassandraLoginAnalyzer(maxDepth: depth))
        case .memcached: .memcached(MemcachedLoginAnalyzer(maxDepth: depth))
        default: nil
        }
    }

    func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        switch self {
        case .http(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .login(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .redis(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .mysql(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .postgresql(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .telnet(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .ldap(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .snmp(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .mqtt(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .kafka(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .amqp(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .nats(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .stomp(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .socks(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .smb(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .kerberos(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .headerAuth(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .irc(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .vnc(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .rsh(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .http2(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .mssql(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .mongodb(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .cassandra(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .memcached(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .snmpv3(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .radius(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .tacacs(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .webSocket(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        }
    }

    func gap(direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext) -> AnalyzerVerdict {
        switch self {
        case .http(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .login(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .redis(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .mysql(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .postgresql(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .telnet(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .ldap(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .snmp(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .mqtt(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .kafka(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .amqp(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .nats(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .stomp(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .socks(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .smb(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .kerberos(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .headerAuth(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .irc(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .vnc(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .rsh(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .http2(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .mssql(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .mongodb(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .cassandra(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .memcached(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .snmpv3(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .radius(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .tacacs(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .webSocket(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        }
    }

    func end(direction: Direction, context: inout InspectionContext) {
        switch self {
        case .http(let a): a.end(direction: direction, context: &context)
        case .login(let a): a.end(direction: direction, context: &context)
        case .redis(let a): a.end(direction: direction, context: &context)
        case .mysql(let a): a.end(direction: direction, context: &context)
        case .postgresql(let a): a.end(direction: direction, context: &context)
        case .telnet(let a): a.end(direction: direction, context: &context)
        case .ldap(let a): a.end(direction: direction, context: &context)
        case .snmp(let a): a.end(direction: direction, context: &context)
        case .mqtt(let a): a.end(direction: direction, context: &context)
        case .kafka(let a): a.end(direction: direction, context: &context)
        case .amqp(let a): a.end(direction: direction, context: &context)
        case .nats(let a): a.end(direction: direction, context: &context)
        case .stomp(let a): a.end(direction: direction, context: &context)
        case .socks(let a): a.end(direction: direction, context: &context)
        case .smb(let a): a.end(direction: direction, context: &context)
        case .kerberos(let a): a.end(direction: direction, context: &context)
        case .headerAuth(let a): a.end(direction: direction, context: &context)
        case .irc(let a): a.end(direction: direction, context: &context)
        case .vnc(let a): a.end(direction: direction, context: &context)
        case .rsh(let a): a.end(direction: direction, context: &context)
        case .http2(let a): a.end(direction: direction, context: &context)
        case .mssql(let a): a.end(direction: direction, context: &context)
        case .mongodb(let a): a.end(direction: direction, context: &context)
        case .cassandra(let a): a.end(direction: direction, context: &context)
        case .memcached(let a): a.end(direction: direction, context: &context)
        case .snmpv3(let a): a.end(direction: direction, context: &context)
        case .radius(let a): a.end(direction: direction, context: &context)
        case .tacacs(let a): a.end(direction: direction, context: &context)
        case .webSocket(let a): a.end(direction: direction, context: &context)
        }
    }

    /// Moves what the analyzer saw into `outbox` (a count check when there is nothing).
    func collect(into outbox: inout [Sighting]) {
        switch self {
        case .http(let a): a.moveSightings(into: &outbox)
        case .login(let a): a.moveSightings(into: &outbox)
        case .redis(let a): a.moveSightings(into: &outbox)
        case .mysql(let a): a.moveSightings(into: &outbox)
        case .postgresql(let a): a.moveSightings(into: &outbox)
        case .telnet(let a): a.moveSightings(into: &outbox)
        case .ldap(let a): a.moveSightings(into: &outbox)
        case .snmp(let a): a.moveSightings(into: &outbox)
        case .mqtt(let a): a.moveSightings(into: &outbox)
        case .kafka(let a): a.moveSightings(into: &outbox)
        case .amqp(let a): a.moveSightings(into: &outbox)
        case .nats(let a): a.moveSightings(into: &outbox)
        case .stomp(let a): a.moveSightings(into: &outbox)
        case .socks(let a): a.moveSightings(into: &outbox)
        case .smb(let a): a.moveSightings(into: &outbox)
        case .kerberos(let a): a.moveSightings(into: &outbox)
        case .headerAuth(let a): a.moveSightings(into: &outbox)
        case .irc(let a): a.moveSightings(into: &outbox)
        case .vnc(let a): a.moveSightings(into: &outbox)
        case .rsh(let a): a.moveSightings(into: &outbox)
        case .http2(let a): a.moveSightings(into: &outbox)
        case .mssql(let a): a.moveSightings(into: &outbox)
        case .mongodb(let a): a.moveSightings(into: &outbox)
        case .cassandra(let a): a.moveSightings(into: &outbox)
        case .memcached(let a): a.moveSightings(into: &outbox)
        case .snmpv3(let a): a.moveSightings(into: &outbox)
        case .radius(let a): a.moveSightings(into: &outbox)
        case .tacacs(let a): a.moveSightings(into: &outbox)
        case .webSocket(let a): a.inner?.collect(into: &outbox)
        }
    }

    /// The protocol turned on its own encryption after the login (SMB3, an
    /// SNMPv3 session after its discovery exchange):
    /// the flow record says `encrypted`, and no `cleartext.*` exposure follows.
    var payloadProtected: Bool {
        switch self {
        case .smb(let a): a.isEncrypted
        case .snmpv3(let a): a.isEncrypted
        default: false
        }
    }

    /// The HTTP/1 analyzer saw the connection switch to HTTP/2 (`Upgrade: h2c`).
    var h2cUpgrade: H2CUpgrade? {
        if case .http(let a) = self { a.h2cUpgrade } else { nil }
    }

    /// The HTTP/1 analyzer saw the connection switch to WebSocket (`Upgrade: websocket`).
    var webSocketUpgrade: WebSocketUpgrade? {
        if case .http(let a) = self { a.webSocketUpgrade } else { nil }
    }

    /// A proxy opened a tunnel (HTTP `CONNECT` answered 2xx, SOCKS5 CONNECT succeeded).
    var tunnel: TunnelStart? {
        switch self {
        case .http(let a): a.tunnel
        case .socks(let a): a.tunnel
        default: nil
        }
    }
}
