import Foundation
import Testing

/// Cleartext exposure against tshark (the oracle beside each real capture):
/// every credential tshark's `-z credentials` tap or its per-conversation
/// `auth` fields show in a protocol PlainSight inspects is a `credential.*`
/// finding on the same flow with the same user name; no credential finding
/// of a kind tshark dissects appears where tshark saw none; and every
/// conversation tshark dissects as a cleartext protocol PlainSight identifies
/// has that `app` on its flow record. (RealCaptureTests compares endpoints and
/// TLS only, not these apps.) Outcomes are compared where the oracle shows
/// one (PostgreSQL's AuthenticationOk). A user's fresh clone has no
/// ../shared: skipped then.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: Paths.realCaptures.path),
                "../shared/captures/real is absent (a fresh clone): cleartext oracle comparison skipped"))
struct CleartextOracleTests {
    // MARK: what is compared

    /// Oracle `auth` protocols whose credentials PlainSight looks for
    /// (HTTP/1.x, FTP, POP3, IMAP, SMTP, LDAP, SNMP v1/v2c, MySQL, PostgreSQL,
    /// Redis, MQTT, SOCKS5, SMB, Kerberos, SIP, IRC, rsh, VNC; NTLM inside HTTP, LDAP and SMB).
    /// Telnet is inspected too, but tshark has no `auth` item for it (see
    /// `mechanismsTsharkDoesNotShow`).
    static let covered: Set<String> = [
        "http", "http-form", "ftp", "pop", "imap", "smtp", "ldap", "snmp", "mysql", "pgsql", "redis", "mqtt", "socks",
        "smb", "ntlmssp", "kerberos", "sip", "irc", "rsh", "vnc",
    ]

    /// Oracle `auth` protocols whose credentials PlainSight does not analyse
    /// yet (later work). Must be exactly the uncovered protocols the oracles
    /// hold (`notYetCoveredIsExactlyWhatTheOraclesSkip`): a credential in any
    /// other protocol fails the test instead of being passed over.
    static let notYetCovered: Set<String> = [
    ]

    /// Oracle `auth` items in a covered protocol that carry no credential
    /// PlainSight reports, by design, with the reason. Like `notYetCovered`,
    /// exactly the kinds the oracles hold: an item of another kind that is
    /// not a credential is unclassified until it is listed here.
    static let notReported: [String: String] = [
        "mysql login without a password":
            "a HandshakeResponse with a user name and an empty auth response (the server answers 'using password: NO'): "
            + "no secret crosses the wire, and PlainSight reports secrets, not login attempts",
        "vnc security type not read":
            "an RFB security type other than None (1) and VNC Authentication (2): Apple's 30 and 35 (Diffie-Hellman, "
            + "the password travels encrypted), VeNCrypt, RA2, TLS; PlainSight reads the two types that expose the login",
        "snmpv3":
            "SNMPv3 (USM) messages: the user name is not a secret and USM authenticates with an HMAC, not a community; "
            + "PlainSight identifies SNMPv3 flows (`snmpv3`, judged by their security level) and does not report the HMAC",
        "smb anonymous session setup":
            "an SMB1 SESSION_SETUP_ANDX with no account and a single NUL password byte (a null session): "
            + "no secret crosses the wire",
        "kerberos as-req":
            "an AS-REQ names the client; it is crackable only with RC4 pre-authentication, and the one in the "
            + "oracles (arkime__krb5-udp.pcap) pre-authenticates with AES (etype 18, `tshark -e kerberos.etype`), "
            + "which PlainSight does not report",
        "kerberos tgs-req":
            "a TGS-REQ carries a ticket and an authenticator sealed with keys the KDC chose, not a password: "
            + "nothing to crack (the TGS-REP's service ticket is what can be)",
    ]

    /// `-z credentials` protocol names → oracle `auth` protocol names.
    static let tapProtocols = [
        "FTP": "ftp", "HTTP basic auth": "http", "POP3": "pop", "IMAP": "imap", "SMTP": "smtp", "NTLMSSP": "ntlmssp",
        "Kerberos": "kerberos",
    ]

    /// tshark protocol names → the `app` PlainSight writes. `ftp-data` is
    /// left out: data channels are not identified (PlainSight does not follow
    /// PASV/PORT), so they are `unknown`. tshark 4.0 calls the Redis protocol `resp` (`redis` is listed for
    /// later versions). `snmp` counts only on conversations where the oracle
    /// shows a community (`cleartextAppsTsharkSees`): PlainSight identifies
    /// community-based SNMP only.
    static let cleartextApps = [
        "http": "http", "ftp": "ftp", "pop": "pop3", "imap": "imap", "smtp": "smtp", "telnet": "telnet",
        "ldap": "ldap", "pgsql": "postgresql", "mysql": "mysql", "xmpp": "xmpp", "resp": "redis", "redis": "redis",
        "snmp": "snmp", "mqtt": "mqtt", "amqp": "amqp", "kafka": "kafka", "socks": "socks",
        "smb": "smb", "smb2": "smb", "kerberos": "kerberos",
        "sip": "sip", "rtsp": "rtsp", "irc": "irc", "vnc": "vnc", "rsh": "rsh", "rlogin": "rlogin",
        "tftp": "tftp", "syslog": "syslog", "tds": "mssql",
    ]

    /// Conversations where tshark names a cleartext protocol from the port
    /// alone and the bytes do not show it, with the reason.
    static let appDisagreements: [String: String] = [
        "ndpi__KakaoTalk_chat.pcap tcp 10.24.82.188:51021 > 103.246.57.251:8080":
            "KakaoTalk's binary protocol on port 8080; no HTTP message in the stream, tshark decodes port 8080 as HTTP",
        "ndpi__instagram.pcap tcp 192.168.0.103:33976 > 77.67.29.17:80":
            "picked up in the middle of a response body (no request or status line captured); tshark goes by port 80",
        "ndpi__instagram.pcap tcp 192.168.0.103:41562 > 92.122.48.138:80":
            "picked up in the middle of a response body (no request or status line captured); tshark goes by port 80",
        "ndpi__instagram.pcap tcp 192.168.0.103:58216 > 31.13.86.52:80":
            "picked up in the middle of a response body (no request or status line captured); tshark goes by port 80",
        "ndpi__instagram.pcap tcp 192.168.0.103:44151 > 2.22.236.51:80":
            "picked up in the middle of a response body (no request or status line captured); tshark goes by port 80",
        "ndpi__tftp.pcap udp 172.28.4.53:54626 > 172.16.5.170:69":
            "a crafted read request (nDPI's test suite) with an empty file name and a run of NULs for the mode: "
            + "not a TFTP request PlainSight can tell from other bytes; tshark goes by port 69",
        "zeek__mysql__auth.pcap tcp 192.168.1.3:55834 > 192.168.1.8:3306":
            "the server's only message is ERR 1130 (host not allowed), no handshake; tshark goes by port 3306",
        "zeek__mysql__auth.pcap tcp 192.168.1.3:55835 > 192.168.1.8:3306":
            "the server's only message is ERR 1130 (host not allowed), no handshake; tshark goes by port 3306",
        "zeek__mysql__auth.pcap tcp 192.168.1.3:55836 > 192.168.1.8:3306":
            "the server's only message is ERR 1130 (host not allowed), no handshake; tshark goes by port 3306",
    ]

    /// Credential mechanisms tshark does not dissect (session cookies, API
    /// keys, bearer tokens, passwords in URLs; Telnet logins, which tshark's
    /// telnet dissector leaves as terminal data with no user or password field,
    /// so the oracle has no `auth` item for ndpi__telnet.pcap; SNMPv3 USM
    /// HMACs, which tshark shows as fields of the message, not as credentials —
    /// `RealCapturePrecisionTests.snmpv3HMACsAreTheUsersTsharkShows` checks
    /// them against those fields): PlainSight may find them where the oracle
    /// has nothing, so they are not counted as false positives.
    static let mechanismsTsharkDoesNotShow: Set<String> = [
        "credential.http-session-cookie", "credential.http-api-key", "credential.http-bearer", "credential.url-password",
        "credential.telnet-password", "credential.snmpv3-usm-hmac",
    ]

    // MARK: the oracle's credentials

    /// One credential the oracle shows on a conversation.
    struct Expected: CustomStringConvertible {
        var conversation: String  // endpoints() string
        var server: String  // "transport ip:port"
        var client: String  // "ip:port"
        var username: String?
        var rule: String?  // nil: any credential.* (a tap entry without a dissected command)
        var source: String
        var outcome: String? = nil  // nil: any (the oracle shows no server answer)
        var description: String {
            "\(rule ?? "credential.*") user \(username.map { "'\($0)'" } ?? "(any)")"
                + "\(outcome.map { " outcome \($0)" } ?? "") on \(conversation) [\(source)]"
        }
    }

    struct OracleCredentials {
        var expected: [Expected] = []
        var skipped: [String: Int] = [:]  // not-yet-covered protocol or not-reported kind → auth items
        var unclassified: [String] = []
    }

    static var captures: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Paths.realCaptures.path)) ?? [])
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }

    static func oracle(_ capture: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(
            with: Data(contentsOf: Paths.realCaptures.appendingPathComponent("oracle/\(capture).json"))) as! [String: Any]
    }

    static func serverKey(_ record: [String: Any]) -> String {
        let f = record["flow"] as? [String: Any] ?? record
        let s = f["server"] as! [String: Any]
        return "\(f["transport"] ?? "?") \(s["ip"]!):\(s["port"]!)"
    }

    static func clientKey(_ record: [String: Any]) -> String {
        let f = record["flow"] as? [String: Any] ?? record
        let c = f["client"] as! [String: Any]
        return "\(c["ip"]!):\(c["port"]!)"
    }

    /// Standard base64 with or without padding; nil when it is not base64.
    static func base64(_ text: String) -> [UInt8]? {
        var t = text.trimmingCharacters(in: .whitespaces)
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t).map { Array($0) }
    }

    /// A base64 user name (SMTP AUTH LOGIN in tshark's tap) decoded when it
    /// decodes to printable UTF-8; otherwise the text as it is.
    static func maybeBase64(_ text: String) -> String {
        guard let bytes = base64(text), !bytes.isEmpty, let s = String(bytes: bytes, encoding: .utf8),
            s.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f })
        else { return text }
        return s
    }

    /// SASL PLAIN `authzid NUL authcid NUL passwd` (RFC 4616): the authcid.
    static func saslPlainUser(_ b64: String) -> String? {
        guard let bytes = base64(b64) else { return nil }
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        return String(decoding: parts[1], as: UTF8.self)
    }

    static let saslRules = ["PLAIN": "credential.sasl-plain", "LOGIN": "credential.sasl-login", "CRAM-MD5": "credential.cram-md5"]

    /// The credentials an oracle shows, from its per-conversation `auth`
    /// items and its `-z credentials` tap.
    static func oracleCredentials(_ json: [String: Any]) -> OracleCredentials {
        var result = OracleCredentials()
        let conversations = json["conversations"] as! [[String: Any]]
        for c in conversations {
            let items = (c["auth"] as? [[String: Any]] ?? []).sorted { ($0["frame"] as! Int) < ($1["frame"] as! Int) }
            guard !items.isEmpty else { continue }
            let conversation = endpoints(c)
            let protocols = c["protocols"] as? [String] ?? []
            var lastUser: String?
            var lastAuthType: String?  // PostgreSQL: the last Authentication request
            var pendingLogin: Int?  // PostgreSQL: the expectation an AuthenticationOk settles
            func expect(_ rule: String?, _ user: String?, _ item: [String: Any]) {
                result.expected.append(
                    Expected(
                        conversation: conversation, server: serverKey(c), client: clientKey(c), username: user,
                        rule: rule, source: "frame \(item["frame"]!) \(item["protocol"]!) \(item["command"] ?? item["header"] ?? "")"))
            }
            func unclassified(_ item: [String: Any]) {
                result.unclassified.append("\(conversation): \(item)")
            }
            func notReported(_ kind: String, _ item: [String: Any]) {
                guard CleartextOracleTests.notReported[kind] != nil else {
                    result.unclassified.append("\(conversation): '\(kind)' is not in notReported: \(item)")
                    return
                }
                result.skipped[kind, default: 0] += 1
            }
            for item in items {
                let proto = item["protocol"] as! String
                let command = (item["command"] as? String)?.uppercased()
                let arg = item["arg"] as? String
                let words = arg?.split(separator: " ").map(String.init) ?? []
                switch proto {
                case "ftp":
                    switch command {
                    case "USER": lastUser = arg
                    case "PASS": expect("credential.ftp-password", lastUser, item)
                    case "AUTH": break  // AUTH TLS: an upgrade, not a credential
                    default: unclassified(item)
                    }
                case "pop":
                    switch command {
                    case "USER": lastUser = arg
                    case "PASS": expect("credential.pop3-password", lastUser, item)
                    case "APOP": expect("credential.pop3-apop", words.first, item)
                    case "STLS": break
                    case "AUTH":
                        // A bare AUTH asks for the mechanism list (RFC 5034 §4); the
                        // client's response follows on its own line, which tshark does not name.
                        guard let mechanism = words.first?.uppercased() else { break }
                        guard let rule = saslRules[mechanism] else { unclassified(item); break }
                        expect(rule, mechanism == "PLAIN" && words.count > 1 ? saslPlainUser(words[1]) : nil, item)
                    default: unclassified(item)
                    }
                case "imap":
                    switch command {
                    case "LOGIN": expect("credential.imap-login", item["username"] as? String, item)
                    case "AUTHENTICATE":
                        guard let rule = saslRules[words.first?.uppercased() ?? ""] else { unclassified(item); break }
                        expect(rule, nil, item)
                    case "STARTTLS": break
                    default: unclassified(item)
                    }
                case "smtp":
                    switch command {
                    case "AUTH":
                        guard let mechanism = words.first?.uppercased(), let rule = saslRules[mechanism] else {
                            unclassified(item)
                            break
                        }
                        var user: String?
                        if words.count > 1 { user = mechanism == "PLAIN" ? saslPlainUser(words[1]) : maybeBase64(words[1]) }
                        expect(rule, user, item)
                    case "AUTH-DATA":
                        if let pair = item["username_password"] as? String {
                            expect("credential.sasl-plain", saslPlainUser(pair), item)
                        } else if let user = item["username"] as? String {
                            expect("credential.sasl-login", maybeBase64(user), item)
                        } else {
                            unclassified(item)
                        }
                    case "STARTTLS": break
                    default: unclassified(item)
                    }
                case "http":
                    let header = (item["header"] as? String)?.lowercased()
                    let value = item["value"] as? String ?? ""
                    if header == "basic-decoded" { break }  // the Basic item again, decoded
                    guard header == "authorization" || header == "proxy-authorization" else { unclassified(item); break }
                    let scheme = value.split(separator: " ").first.map { $0.lowercased() } ?? ""
                    let rest = value.drop { $0 != " " }.trimmingCharacters(in: .whitespaces)
                    switch scheme {
                    case "basic":
                        let decoded = base64(rest).map { String(decoding: $0, as: UTF8.self) }
                        expect("credential.http-basic", decoded.map { String($0.prefix { $0 != ":" }) }, item)
                    case "digest":
                        let user = rest.range(of: #"username="([^"]*)""#, options: .regularExpression).map {
                            String(rest[$0].dropFirst("username=\"".count).dropLast())
                        }
                        expect("credential.http-digest", user, item)
                    case "bearer": expect("credential.http-bearer", nil, item)
                    case "ntlm", "negotiate":
                        // Only the AUTHENTICATE message (tshark's ntlmssp item on the same frame) is a credential.
                        let frame = item["frame"] as! Int
                        if let authenticate = items.first(where: {
                            $0["protocol"] as? String == "ntlmssp" && $0["frame"] as? Int == frame
                                && $0["message"] as? String == "AUTHENTICATE"
                        }) {
                            expect("credential.ntlm", authenticate["username"] as? String, item)
                        }
                    default: unclassified(item)
                    }
                case "http-form":
                    let fields = (item["fields"] as? [[String]] ?? []).filter { $0.count == 2 }
                    func named(_ test: (String) -> Bool) -> [String]? { fields.first { test($0[0].lowercased()) } }
                    // A form without a password field carries no credential.
                    guard named({ $0.contains("pass") || $0.contains("pwd") }) != nil else { break }
                    let user = named { ["user", "username", "login", "email", "uname", "log"].contains($0) || $0.contains("user") }
                    expect("credential.http-form-password", user?[1], item)
                case "ntlmssp" where protocols.contains("http"):
                    break  // read with the HTTP Authorization item of the same frame
                case "ntlmssp" where protocols.contains("smb") || protocols.contains("smb2"):
                    // SMB session setup security blobs: only AUTHENTICATE carries the user.
                    switch item["message"] as? String {
                    case "AUTHENTICATE": expect("credential.ntlm", item["username"] as? String, item)
                    case "NEGOTIATE", "CHALLENGE": break
                    default: unclassified(item)
                    }
                case "smb":
                    // SESSION_SETUP_ANDX without extended security: tshark shows the account and password fields.
                    let account = item["account"] as? String ?? ""
                    let passwords = [item["ansi_password_hex"], item["unicode_password_hex"]].compactMap { $0 as? String }
                    if account.isEmpty && passwords.allSatisfy({ $0.allSatisfy { $0 == "0" } }) {
                        notReported("smb anonymous session setup", item)
                    } else {
                        unclassified(item)  // none in the captures yet: plaintext or NTLMv1 depends on the server's security mode
                    }
                case "kerberos":
                    let types = item["msg_type"] as? [String] ?? []
                    let sname = item["sname"] as? [String] ?? []
                    let realm = (item["realm"] as? [String])?.first ?? ""
                    if types == ["10"] {
                        notReported("kerberos as-req", item)
                    } else if types.first == "12" {
                        notReported("kerberos tgs-req", item)
                    } else if types == ["13"], let service = sname.first {
                        // A TGS-REP: its service ticket (sname@realm) is Kerberoastable when sealed with RC4.
                        // The oracle records no etype; every non-krbtgt ticket in the captures is RC4 (etype 23
                        // by `tshark -e kerberos.etype`), so each is expected. krbtgt's key is random: not reported.
                        if service.lowercased() != "krbtgt" {
                            expect("credential.kerberos-tgs-rc4", sname.joined(separator: "/") + "@" + realm, item)
                        }
                    } else {
                        unclassified(item)  // AS-REP (RC4: AS-REP roasting) and KRB-ERROR: none in the captures yet
                    }
                case "ldap":
                    guard item["op"] as? String == "bindRequest" else { unclassified(item); break }
                    if let mechanism = (item["sasl_mechanism"] as? String)?.uppercased() {
                        switch mechanism {
                        case "PLAIN": expect("credential.sasl-plain", nil, item)
                        case "NTLM", "GSS-SPNEGO": break  // the NTLMSSP item of the same frame names the user
                        default: unclassified(item)
                        }
                    } else if let password = item["simple_password"] as? String, !password.isEmpty {
                        expect("credential.ldap-simple-bind", item["name"] as? String ?? "", item)
                    } else {
                        // An anonymous or unauthenticated simple bind (RFC 4513 §5.1.1-2):
                        // no password, nothing PlainSight reports. None in the captures yet.
                        notReported("ldap bind without a password", item)
                    }
                case "ntlmssp" where protocols.contains("ldap"):
                    // SASL NTLM and GSS-SPNEGO binds: only AUTHENTICATE carries the user.
                    switch item["message"] as? String {
                    case "AUTHENTICATE": expect("credential.ntlm", item["username"] as? String, item)
                    case "NEGOTIATE", "CHALLENGE": break
                    default: unclassified(item)
                    }
                case "snmp":
                    if let community = item["community"] as? String {
                        // v1/v2c: one expectation per conversation (the dedup below); no user name.
                        if community.isEmpty { notReported("snmp empty community", item) } else {
                            expect("credential.snmp-community", nil, item)
                        }
                    } else {
                        // SNMPv3: engine discovery (no fields) and USM messages (usm_user).
                        notReported("snmpv3", item)
                    }
                case "mysql":
                    let user = item["username"] as? String
                    let scramble = item["password_hash_present"] as? Bool
                    switch (user, scramble) {
                    case (let user?, true): expect("credential.mysql-native-password", user, item)
                    case (_?, false): notReported("mysql login without a password", item)
                    case (nil, false) where c["tls_seen"] as? Bool == true:
                        break  // an SSLRequest (the short response before TLS): the login follows encrypted
                    default: unclassified(item)
                    }
                case "pgsql":
                    var known = Set(["frame", "protocol"])
                    if let user = item["startup_user"] as? String {
                        lastUser = user
                        known.formUnion(["startup_user", "database"])
                    }
                    if let type = item["authtype"] as? String {
                        known.insert("authtype")
                        lastAuthType = type
                        // AuthenticationOk after a password or SASL exchange: the login was accepted.
                        if type == "0", let k = pendingLogin { result.expected[k].outcome = "accepted" }
                    }
                    if let password = item["password"] as? String {
                        known.insert("password")
                        // The PasswordMessage answers AuthenticationCleartextPassword (3) or
                        // AuthenticationMD5Password (5); without the request, the md5 prefix tells.
                        let md5 = password.hasPrefix("md5") && password.count == 35
                        switch lastAuthType {
                        case "3", nil where !md5:
                            expect("credential.postgresql-password", lastUser, item)
                            pendingLogin = result.expected.count - 1
                        case "5", nil:
                            expect("credential.postgresql-md5", lastUser, item)
                            pendingLogin = result.expected.count - 1
                        default: unclassified(item)
                        }
                    }
                    if let mechanisms = item["sasl_mechanisms"] as? [String] {
                        known.insert("sasl_mechanisms")
                        let frame = item["frame"] as? Int
                        let fromServer = items.contains {
                            $0["protocol"] as? String == "pgsql" && $0["frame"] as? Int == frame && $0["authtype"] != nil
                        }
                        // The server's AuthenticationSASL lists mechanisms (a frame with authtype 10);
                        // the client's SASLInitialResponse names the one it uses.
                        if !fromServer {
                            if mechanisms.count == 1, mechanisms[0].uppercased().hasPrefix("SCRAM-") {
                                expect("credential.scram", lastUser, item)
                                pendingLogin = result.expected.count - 1
                            } else {
                                unclassified(item)
                            }
                        }
                    }
                    if !Set(item.keys).isSubset(of: known) { unclassified(item) }
                case "redis":
                    guard command == "AUTH", let args = item["args"] as? [String], args.count == 1 || args.count == 2 else {
                        unclassified(item)
                        break
                    }
                    // `AUTH password` (no user name) or `AUTH username password` (Redis 6 ACL).
                    expect("credential.redis-auth", args.count == 2 ? args[0] : nil, item)
                case "mqtt":
                    // CONNECT (MQTT 3.1.1 §3.1.3.4-5): a password makes it a credential.
                    guard let password = item["password"] as? String else { unclassified(item); break }
                    guard !password.isEmpty else { unclassified(item); break }
                    expect("credential.mqtt-password", item["username"] as? String, item)
                case "socks":
                    // The RFC 1929 sub-negotiation (user name and password).
                    guard item["password"] != nil else { unclassified(item); break }
                    expect("credential.socks-password", item["username"] as? String, item)
                case "sip":
                    // Digest `Authorization` / `Proxy-Authorization` (RFC 3261 §22.4); the oracle's user name keeps its quotes.
                    let header = (item["header"] as? String)?.lowercased()
                    let value = item["value"] as? String ?? ""
                    guard header == "authorization" || header == "proxy-authorization",
                        value.lowercased().hasPrefix("digest ")
                    else { unclassified(item); break }
                    let user = (item["username"] as? String).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                    expect("credential.sip-digest", user, item)
                case "irc":
                    switch command {
                    case "PASS": expect("credential.irc-password", nil, item)  // named after the nick, which tshark does not link
                    case "OPER": expect("credential.irc-password", arg, item)
                    case "NICK", "USER": break  // who the client is, not a secret
                    default: unclassified(item)
                    }
                case "rsh":
                    // No password: the server account is let in on the client host's word (.rhosts).
                    guard let user = item["server_username"] as? String, item["client_username"] != nil else { unclassified(item); break }
                    expect("credential.rhosts-trust", user, item)
                case "vnc":
                    if let type = item["client_security_type"] as? String {
                        switch type {
                        case "2": expect("credential.vnc-challenge-response", nil, item)
                        case "1": expect("credential.vnc-none", nil, item)
                        default: notReported("vnc security type not read", item)
                        }
                    } else if !Set(item.keys).isSubset(of: ["frame", "protocol", "server_proto_ver", "client_proto_ver", "security_types", "auth_result"]) {
                        unclassified(item)
                    }  // versions, the offered types and SecurityResult: steps of the handshake, not credentials
                default:
                    if notYetCovered.contains(proto) { result.skipped[proto, default: 0] += 1 } else { unclassified(item) }
                }
            }
        }
        // The tap: placed on the conversation whose auth items hold its packet.
        for entry in json["credentials_tap"] as? [[String: Any]] ?? [] {
            let name = entry["protocol"] as? String ?? "?"
            guard let proto = tapProtocols[name] else {
                result.unclassified.append("tap entry in an unknown protocol: \(entry)")
                continue
            }
            if notYetCovered.contains(proto) {
                result.skipped[proto, default: 0] += 1
                continue
            }
            let packets = [entry["packet"] as? Int, entry["username_packet"] as? Int].compactMap { $0 }
            guard
                let c = conversations.first(where: { c in
                    (c["auth"] as? [[String: Any]] ?? []).contains { packets.contains($0["frame"] as? Int ?? -1) }
                })
            else {
                result.unclassified.append("tap entry on no conversation's auth frames: \(entry)")
                continue
            }
            var user = entry["username"] as? String
            if proto == "smtp", let u = user { user = maybeBase64(u) }
            let conversation = endpoints(c)
            // Already expected from the conversation's auth items (with a mechanism)?
            if result.expected.contains(where: { $0.conversation == conversation && $0.username == user }) { continue }
            result.expected.append(
                Expected(
                    conversation: conversation, server: serverKey(c), client: clientKey(c), username: user, rule: nil,
                    source: "tap packet \(entry["packet"] ?? "?") \(name)"))
        }
        // A nameless expectation is covered by a named one of the same rule on the same conversation.
        let all = result.expected
        result.expected.removeAll { e in
            e.username == nil
                && all.contains {
                    $0.username != nil && $0.conversation == e.conversation && $0.rule == e.rule
                }
        }
        // One expectation per conversation, rule and user (SMTP's AUTH and AUTH-data items name the same login).
        var seen: Set<String> = []
        result.expected.removeAll { !seen.insert("\($0.conversation)|\($0.rule ?? "")|\($0.username ?? "")").inserted }
        return result
    }

    // MARK: tests

    static func credentialFindings(_ run: PlainSightRun) -> [[String: Any]] {
        run.records.filter { $0["type"] as? String == "finding" && ($0["rule"] as? String ?? "").hasPrefix("credential.") }
    }

    static func summary(_ finding: [String: Any]) -> String {
        let details = finding["details"] as? [String: Any] ?? [:]
        return "\(finding["rule"]!) user \(details["username"] ?? "-") outcome \(details["outcome"] ?? "-") count "
            + "\(finding["count"] ?? "?") on \(endpoints(finding))"
    }

    @Test(arguments: CleartextOracleTests.captures)
    func everyCredentialTsharkSeesIsFound(capture: String) throws {
        let oracle = CleartextOracleTests.oracleCredentials(try CleartextOracleTests.oracle(capture))
        #expect(oracle.unclassified.isEmpty, "oracle auth items in no known protocol or command: \(oracle.unclassified)")
        guard !oracle.expected.isEmpty else { return }
        let run = try plainsight(["read", Paths.realCaptures.appendingPathComponent(capture).path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let findings = CleartextOracleTests.credentialFindings(run)
        for e in oracle.expected {
            let candidates = findings.filter { f in
                let details = f["details"] as? [String: Any] ?? [:]
                return (e.rule == nil || f["rule"] as? String == e.rule) && CleartextOracleTests.serverKey(f) == e.server
                    && (e.username == nil || details["username"] as? String == e.username)
                    && (e.outcome == nil || details["outcome"] as? String == e.outcome)
            }
            // The same flow, or a deduplicated finding (count > 1) naming an earlier flow to the same server.
            let found = candidates.contains {
                CleartextOracleTests.clientKey($0) == e.client || ($0["count"] as? Int ?? 1) > 1
            }
            #expect(
                found,
                "\(capture): missed \(e); PlainSight wrote: \(findings.map(CleartextOracleTests.summary))")
        }
    }

    @Test(arguments: CleartextOracleTests.captures)
    func noCredentialWhereTsharkSawNone(capture: String) throws {
        let oracle = CleartextOracleTests.oracleCredentials(try CleartextOracleTests.oracle(capture))
        let run = try plainsight(["read", Paths.realCaptures.appendingPathComponent(capture).path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        for f in CleartextOracleTests.credentialFindings(run) {
            let rule = f["rule"] as! String
            if CleartextOracleTests.mechanismsTsharkDoesNotShow.contains(rule) { continue }
            let user = (f["details"] as? [String: Any])?["username"] as? String
            let matched = oracle.expected.contains { e in
                e.server == CleartextOracleTests.serverKey(f) && (e.rule == nil || e.rule == rule)
                    && (e.username == nil || e.username == user)
            }
            #expect(matched, "\(capture): tshark shows no such credential: \(CleartextOracleTests.summary(f))")
        }
    }

    /// `notYetCovered` and `notReported` hold exactly what the oracles skip: no stale entry.
    @Test func notYetCoveredIsExactlyWhatTheOraclesSkip() throws {
        var skipped: [String: Int] = [:]
        for capture in CleartextOracleTests.captures {
            for (kind, n) in CleartextOracleTests.oracleCredentials(try CleartextOracleTests.oracle(capture)).skipped {
                skipped[kind, default: 0] += n
            }
        }
        let notReported = Set(CleartextOracleTests.notReported.keys)
        func list(_ keys: Set<String>) -> String {
            skipped.filter { keys.contains($0.key) }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                .joined(separator: ", ")
        }
        print(
            "CleartextOracleTests: oracle auth items not compared yet (protocols not covered): "
                + list(CleartextOracleTests.notYetCovered) + "; not reported by design: " + list(notReported))
        #expect(Set(skipped.keys).subtracting(notReported) == CleartextOracleTests.notYetCovered)
        #expect(Set(skipped.keys).intersection(notReported) == notReported)
        #expect(CleartextOracleTests.notYetCovered.isDisjoint(with: CleartextOracleTests.covered))
        #expect(CleartextOracleTests.notYetCovered.isDisjoint(with: notReported))
    }

    /// ndpi__mssql_tds.pcap holds SQL batches, RPCs and their responses
    /// picked up after the logins (no PRELOGIN or LOGIN7; tshark's
    /// `-z credentials` has no TDS entry): every connection is MS SQL in clear,
    /// and no credential is invented from query bytes. Eleven connections make
    /// one exposure on the server's port 1433; the twelfth starts with the
    /// server's response and no SYN, so the flow table takes the higher port
    /// (1433) as the client and its exposure lands on 10.111.111.111:1111.
    @Test func mssqlBatchesWithoutALoginAreAnExposureOnly() throws {
        let run = try plainsight(
            ["read", Paths.realCaptures.appendingPathComponent("ndpi__mssql_tds.pcap").path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let findings = run.records.filter { $0["type"] as? String == "finding" }
        let exposures = findings.filter { $0["rule"] as? String == "cleartext.mssql" }.map { f -> String in
            let server = (f["flow"] as! [String: Any])["server"] as! [String: Any]
            return "\(server["ip"]!):\(server["port"]!) ×\(f["count"] ?? 0) \(f["severity"] ?? "")"
        }
        #expect(exposures.sorted() == ["10.0.0.1:1433 ×11 medium", "10.111.111.111:1111 ×1 medium"])
        #expect(!findings.contains { ($0["rule"] as? String)?.hasPrefix("credential.") == true })
        #expect(run.flows.count == 12)
        #expect(run.flows.allSatisfy { $0["app"] as? String == "mssql" })
    }

    /// The PlainSight apps a conversation's tshark protocols name.
    static func cleartextAppsTsharkSees(_ c: [String: Any]) -> Set<String> {
        var protocols = Set(c["protocols"] as? [String] ?? [])
        // SNMPv3 has no community: `snmp` where one shows, `snmpv3` where none does.
        var snmpv3: Set<String> = []
        if !(c["auth"] as? [[String: Any]] ?? []).contains(where: { $0["community"] != nil }), protocols.remove("snmp") != nil {
            snmpv3 = ["snmpv3"]
        }
        // SMB over NetBIOS datagrams (UDP 138 browser announcements) is not an SMB session: only TCP is identified.
        if c["transport"] as? String == "udp" { protocols.remove("smb") }
        return Set(protocols.compactMap { CleartextOracleTests.cleartextApps[$0] }).union(snmpv3)
    }

    @Test(arguments: CleartextOracleTests.captures)
    func cleartextFlowsHaveTheirApp(capture: String) throws {
        let json = try CleartextOracleTests.oracle(capture)
        var expected: [String: Set<String>] = [:]
        for c in json["conversations"] as! [[String: Any]] {
            let apps = CleartextOracleTests.cleartextAppsTsharkSees(c)
            let key = endpoints(c)
            if !apps.isEmpty && CleartextOracleTests.appDisagreements["\(capture) \(key)"] == nil { expected[key] = apps }
        }
        guard !expected.isEmpty else { return }
        let run = try plainsight(["read", Paths.realCaptures.appendingPathComponent(capture).path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        // Ports reused by a later connection (ndpi__rtsp.pcap: a SYN answered by RST, then the real session):
        // the flow that carried payload names the app.
        let apps = Dictionary(
            run.flows.map { (endpoints($0), $0["app"] as? String ?? "-") }, uniquingKeysWith: { a, b in a == "unknown" ? b : a })
        for (conversation, want) in expected.sorted(by: { $0.key < $1.key }) {
            let got = apps[conversation] ?? "(no flow)"
            #expect(want.contains(got), "\(capture) \(conversation): app \(got), tshark dissects it as \(want.sorted())")
        }
    }
}
