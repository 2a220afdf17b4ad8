import Flows

/// Something a cleartext analyzer saw on the wire that the output stage
/// turns into a finding. Sightings carry raw bytes (a password, a token):
/// the output stage masks and fingerprints them and never writes them.
public enum Sighting: Sendable, Equatable {
    case credential(CredentialSighting)
    /// The server offered an upgrade to TLS (SMTP/IMAP `STARTTLS`, POP3
    /// `STLS`, FTP `AUTH TLS`) and the client went on in cleartext; `command`
    /// is the first thing it sent instead that mattered (`AUTH`, `MAIL`,
    /// `USER`, `LOGIN`, ...), upper-cased.
    case startTLSNotUsed(command: String)
    /// The client asked for TLS and the server refused (`454`, `-ERR`, `NO`,
    /// `5xx`). (An accepted upgrade hands the stream to the TLS analyzer; a
    /// client that then goes on in clear shows as a TLS flow whose handshake
    /// did not parse, `tls.problem`.)
    case startTLSFailed
    /// A RADIUS server's Access-Accept, Access-Reject or Access-Challenge
    /// (`reply`) did not start with a Message-Authenticator: it had none, or
    /// one further down (`messageAuthenticatorLater`) — forgeable (CVE-2024-3596).
    case radiusForgeableReply(reply: String, messageAuthenticatorLater: Bool)
    /// A TACACS+ connection sent bodies without obfuscation (the unencrypted
    /// flag, or a keyless client): its authorisations and accounting — the
    /// commands administrators ran — are readable.
    case tacacsBodiesInClear
    /// PII or a secret the content scanner found in the flow's cleartext.
    case content(ContentSighting)
}

/// A credential seen in clear. `username` and `secret` are the bytes as
/// sent (decoded from base64 where the mechanism encodes them).
public struct CredentialSighting: Sendable, Equatable {
    public var mechanism: CredentialMechanism
    public var username: [UInt8]?
    /// The password, token, cookie value or challenge response.
    public var secret: [UInt8]
    /// Whether the server accepted it, when its answer was seen.
    public var outcome: LoginOutcome
    public var direction: Direction

    public init(
        mechanism: CredentialMechanism, username: [UInt8]?, secret: [UInt8], outcome: LoginOutcome = .unknown,
        direction: Direction = .toServer
    ) {
        self.mechanism = mechanism
        self.username = username
        self.secret = secret
        self.outcome = outcome
        self.direction = direction
    }
}

public enum LoginOutcome: String, Sendable, Equatable {
    case accepted, rejected, unknown
}

/// How a credential was sent; the rule id is `credential.<rawValue>`.
public enum CredentialMechanism: String, Sendable, CaseIterable {
    // Plaintext: an eavesdropper has the password.
    case httpBasic = "http-basic"
    case httpForm = "http-form-password"
    case urlPassword = "url-password"
    case ftp = "ftp-password"
    case pop3 = "pop3-password"
    case imapLogin = "imap-login"
    case saslPlain = "sasl-plain"
    case saslLogin = "sasl-login"
    case telnet = "telnet-password"
    case ldapSimpleBind = "ldap-simple-bind"
    case snmpCommunity = "snmp-community"
    case postgresqlPassword = "postgresql-password"
    case redisAuth = "redis-auth"
    case mysqlClearPassword = "mysql-clear-password"
    case mqttPassword = "mqtt-password"
    case amqpPassword = "amqp-password"
    case natsPassword = "nats-password"
    case stompPassword = "stomp-password"
    case socksPassword = "socks-password"
    case smbPlaintextPassword = "smb-plaintext-password"
    case rtspBasic = "rtsp-basic"
    case ircPassword = "irc-password"
    case rexecPassword = "rexec-password"
    case rloginPassword = "rlogin-password"
    /// A VNC server that lets a client in with security type None: no secret
    /// crossed the wire because none is asked for (the secret is empty).
    case vncNone = "vnc-none"
    case mssqlPassword = "mssql-password"
    case mongodbPlain = "mongodb-plain"
    case cassandraPassword = "cassandra-password"
    case memcachedSASLPlain = "memcached-sasl-plain"
    case nntp = "nntp-password"
    /// A TACACS+ login's password sent in clear (PAP data, the CONTINUE
    /// answering GETPASS, an outbound PAP password in the server's PASS): a
    /// network device's administrator password.
    case tacacsPassword = "tacacs-password"
    // Crackable offline: a challenge response or hash.
    case httpDigest = "http-digest"
    case cramMD5 = "cram-md5"
    case apop = "pop3-apop"
    case ntlm = "ntlm"
    case mysqlNative = "mysql-native-password"
    case postgresqlMD5 = "postgresql-md5"
    case scram = "scram"
    case kerberosRC4PreAuth = "kerberos-rc4-preauth"
    case kerberosASREPRC4 = "kerberos-asrep-rc4"
    case kerberosTGSRC4 = "kerberos-tgs-rc4"
    case sipDigest = "sip-digest"
    case rtspDigest = "rtsp-digest"
    /// RFB VNC Authentication: the secret is the 16-byte challenge then the
    /// 16-byte DES response (the password is the DES key).
    case vncChallengeResponse = "vnc-challenge-response"
    case mongodbCR = "mongodb-cr"
    /// SNMPv3 USM authentication (RFC 3414, RFC 7860): the secret is the
    /// message's HMAC; with the message and the engine id (in the capture) a
    /// password guess can be tested offline.
    case snmpv3USM = "snmpv3-usm-hmac"
    /// RADIUS User-Password (RFC 2865 §5.2): the password XOR MD5(shared
    /// secret + Request Authenticator), then that authenticator; the secret
    /// falls to an offline search of one request and its reply, and then
    /// every password with it.
    case radiusPAP = "radius-pap"
    /// RADIUS CHAP-Password: the CHAP identifier and MD5 response, then the challenge.
    case radiusCHAP = "radius-chap"
    /// RADIUS MS-CHAP (RFC 2548, RFC 2433): the 50-byte response, then the 8-byte challenge.
    case radiusMSCHAP = "radius-mschap"
    /// RADIUS MS-CHAPv2 (RFC 2548, RFC 2759): the 50-byte response, then the 16-byte challenge.
    case radiusMSCHAPv2 = "radius-mschapv2"
    /// EAP-MD5 in RADIUS (RFC 3748 §5.4): the EAP identifier, the MD5 response, the challenge.
    case radiusEAPMD5 = "radius-eap-md5"
    /// EAP-GTC in RADIUS (RFC 3748 §5.6): the response itself, a password or one-time code.
    case radiusEAPGTC = "radius-eap-gtc"
    /// A TACACS+ CHAP login in clear (RFC 8907 §5.4.2.3): PPP id, challenge, MD5 response.
    case tacacsCHAP = "tacacs-chap"
    /// A TACACS+ MS-CHAP or MS-CHAPv2 login in clear (§5.4.2.4–5): PPP id, challenge, response.
    case tacacsMSCHAP = "tacacs-mschap"
    // Bearer tokens and session identifiers: replayable as they are.
    case httpBearer = "http-bearer"
    case httpAPIKey = "http-api-key"
    case httpCookie = "http-session-cookie"
    case natsToken = "nats-token"
    /// rsh/rlogin host trust (`.rhosts`, `hosts.equiv`): the user name is
    /// the server account, the secret the client-side user name the server
    /// trusts; anyone who can send from a trusted address replays it.
    case rhostsTrust = "rhosts-trust"

    public enum Grade: String, Sendable {
        case plaintext, crackable, token
    }

    public var grade: Grade {
        switch self {
        case .httpBasic, .httpForm, .urlPassword, .ftp, .pop3, .imapLogin, .saslPlain, .saslLogin, .telnet,
             .ldapSimpleBind, .snmpCommunity, .postgresqlPassword, .redisAuth, .mysqlClearPassword, .mqttPassword,
             .amqpPassword, .natsPassword, .stompPassword, .socksPassword, .smbPlaintextPassword, .rtspBasic, .ircPassword,
             .rexecPassword, .rloginPassword, .vncNone, .mssqlPassword, .mongodbPlain, .cassandraPassword,
             .memcachedSASLPlain, .nntp, .tacacsPassword, .radiusEAPGTC: .plaintext
        case .httpDigest, .cramMD5, .apop, .ntlm, .mysqlNative, .postgresqlMD5, .scram, .sipDigest, .rtspDigest,
             .vncChallengeResponse, .mongodbCR, .snmpv3USM, .radiusPAP, .radiusCHAP, .radiusMSCHAP,
             .radiusMSCHAPv2, .radiusEAPMD5, .tacacsCHAP, .tacacsMSCHAP: .crackable
        case .kerberosRC4PreAuth, .kerberosASREPRC4, .kerberosTGSRC4: .crackable
        case .httpBearer, .httpAPIKey, .httpCookie, .natsToken, .rhostsTrust: .token
        }
    }
}
