import Flows

/// Reads the connection phase of a MySQL/MariaDB session (MySQL client/server
/// protocol, "Connection Phase") and reports the client's scrambled password
/// (`mysql_native_password`, `caching_sha2_password` and other challenge
/// responses an eavesdropper can attack offline) with its user name and the
/// server's verdict.
///
/// Packets are a 3-byte little-endian length and a sequence byte. Server: the
/// protocol-10 handshake (its default auth plugin), then OK (`0x00`, accepted),
/// ERR (`0xff`, rejected), AuthSwitchRequest (`0xfe`: a new plugin and
/// challenge; the client's next packet is the response that counts) or
/// AuthMoreData (`0x01`: passed over). Client: HandshakeResponse41 (or the
/// old 320 form) — capability flags, user name (NUL-terminated), auth
/// response (length-encoded, one-byte length or NUL-terminated per
/// CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA / CLIENT_SECURE_CONNECTION),
/// database, plugin name. A 32-byte SSLRequest (CLIENT_SSL) means TLS
/// follows: nothing is reported and the analyzer is done.
///
/// `mysql_clear_password` responses carry the password itself (NUL-ended):
/// reported as `.mysqlClearPassword`. Other plugins (sha256_password, GSSAPI,
/// Kerberos) send nothing crackable and are not reported.
///
/// After OK or ERR the analyzer is `.done`. Packets inside one chunk are read
/// in place; one that spans chunks is copied up to `maxMessage` bytes
/// (charged to the context's budget); longer ones are skipped and counted in
/// `oversizedMessages`. A credential whose verdict was not seen is emitted
/// as `.unknown`.
public final class MySQLLoginAnalyzer: StreamAnalyzer, FramedDialogue, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Packets longer than `maxMessage`: skipped unread.
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest packet copied when it spans chunks.
    public static let maxMessage = 8192

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    /// The server's greeting went by.
    var greeted = false
    /// The client's HandshakeResponse went by.
    var responded = false
    /// The server's default plugin (from its handshake).
    var serverPlugin: Plugin = .scrambled
    /// The server asked for another plugin: the client's next packet answers it.
    var switchedPlugin: Plugin?
    var user: [UInt8]?
    var pending: CredentialSighting?

    /// What an auth plugin's response is, as far as reporting goes.
    enum Plugin {
        /// A challenge response: crackable offline.
        case scrambled
        /// The password itself (`mysql_clear_password`).
        case clear
        /// Nothing to report (RSA-encrypted, GSSAPI, Kerberos, ...).
        case other

        init(name: UnsafeRawBufferPointer) {
            if name.isEmpty || name.bytesEqual(0, name.count, "mysql_native_password")
                || name.bytesEqual(0, name.count, "caching_sha2_password")
                || name.bytesEqual(0, name.count, "mysql_old_password")
                || name.bytesEqual(0, name.count, "client_ed25519")
            {
                self = .scrambled
            } else if name.bytesEqual(0, name.count, "mysql_clear_password") {
                self = .clear
            } else {
                self = .other
            }
        }
    }

    // Capability flags.
    static let clientConnectWithDB: UInt32 = 0x8
    static let clientProtocol41: UInt32 = 0x200
    static let clientSSL: UInt32 = 0x800
    static let clientSecureConnection: UInt32 = 0x8000
    static let clientPluginAuth: UInt32 = 0x8_0000
    static let clientPluginAuthLenencData: UInt32 = 0x20_0000

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    func finish(_ outcome: LoginOutcome) {
        guard var credential = pending else { return }
        pending = nil
        guard !credential.secret.isEmpty else { return }  // no password: nothing seen
        credential.outcome = outcome
        sightings.append(.credential(credential))
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int { 4 }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        Int(header >> 24 & 0xff) | Int(header >> 16 & 0xff) << 8 | Int(header >> 8 & 0xff) << 16
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        if direction == .toServer { return clientPacket(body, skipped: skipped) }
        guard !body.isEmpty else { return !skipped }
        let kind = body[0]
        guard greeted else {
            if kind == 0xff {  // refused before any login (host not allowed, too many connections)
                isDone = true
                return false
            }
            guard kind == 10, !skipped else { return false }
            greeted = true
            serverPlugin = MySQLLoginAnalyzer.handshakePlugin(body)
            return true
        }
        switch kind {
        case 0x00:
            guard responded else { return true }
            finish(.accepted)
            isDone = true
            return false
        case 0xff:
            finish(.rejected)
            isDone = true
            return false
        case 0xfe:
            // AuthSwitchRequest: plugin name NUL, challenge; a lone 0xfe asks for the pre-4.1 scramble.
            if body.count == 1 {
                switchedPlugin = .scrambled
            } else {
                let end = body.nul(from: 1) ?? body.count
                switchedPlugin = Plugin(name: UnsafeRawBufferPointer(rebasing: body[1..<end]))
            }
            return true
        default:
            return true  // AuthMoreData and the like
        }
    }

    /// HandshakeV10 (protocol version, server version NUL, connection id,
    /// 8 bytes of challenge, filler, capabilities (low), charset, status,
    /// capabilities (high), challenge length, 10 reserved, rest of the
    /// challenge (max(13, length - 8)), plugin name NUL).
    static func handshakePlugin(_ body: UnsafeRawBufferPointer) -> Plugin {
        guard let versionEnd = body.nul(from: 1) else { return .scrambled }
        let k = versionEnd + 1 + 4 + 8 + 1  // connection id, challenge part 1, filler
        guard k + 2 + 1 + 2 + 2 + 1 + 10 <= body.count else { return .scrambled }
        let capabilities = UInt32(body[k]) | UInt32(body[k + 1]) << 8 | UInt32(body[k + 5]) << 16 | UInt32(body[k + 6]) << 24
        let challengeLength = Int(body[k + 7])
        var p = k + 8 + 10
        if capabilities & clientSecureConnection != 0 { p += max(13, challengeLength - 8) }
        guard capabilities & clientPluginAuth != 0, p < body.count else { return .scrambled }
        let end = body.nul(from: p) ?? body.count
        return Plugin(name: UnsafeRawBufferPointer(rebasing: body[p..<end]))
    }

    func clientPacket(_ body: UnsafeRawBufferPointer, skipped: Bool) -> Bool {
        if !responded {
            guard !skipped else { return false }
            return handshakeResponse(body)
        }
        guard let plugin = switchedPlugin else { return true }  // public-key request, RSA-encrypted password, ...
        switchedPlugin = nil
        guard !skipped else { return true }
        switch plugin {
        case .scrambled:
            var credential = pending ?? CredentialSighting(mechanism: .mysqlNative, username: user, secret: [])
            credential.secret = Array(body)
            pending = credential
        case .clear:
            pending = CredentialSighting(
                mechanism: .mysqlClearPassword, username: pending?.username ?? user, secret: MySQLLoginAnalyzer.clearText(body))
        case .other:
            pending = nil
        }
        return true
    }

    /// HandshakeResponse41 / 320, or an SSLRequest.
    func handshakeResponse(_ body: UnsafeRawBufferPointer) -> Bool {
        responded = true
        guard let low = body.uint32LE(at: 0) else { return false }
        let capabilities = low & MySQLLoginAnalyzer.clientProtocol41 != 0 ? low : low & 0xffff
        if capabilities & MySQLLoginAnalyzer.clientSSL != 0 {
            let sslRequestLength = capabilities & MySQLLoginAnalyzer.clientProtocol41 != 0 ? 32 : 5
            if body.count == sslRequestLength {
                isDone = true  // TLS follows
                return false
            }
        }
        var k: Int
        if capabilities & MySQLLoginAnalyzer.clientProtocol41 != 0 {
            k = 32  // capabilities, max packet, charset, 23 bytes of filler
        } else {
            k = 5  // capabilities (2), max packet (3)
        }
        guard k <= body.count, let userEnd = body.nul(from: k) else { return false }
        user = Array(body[k..<userEnd])
        k = userEnd + 1
        let auth: Range<Int>
        if capabilities & MySQLLoginAnalyzer.clientProtocol41 == 0 {
            let end = capabilities & MySQLLoginAnalyzer.clientConnectWithDB != 0 ? (body.nul(from: k) ?? body.count) : body.count
            var authEnd = max(k, end)
            if authEnd > k && body[authEnd - 1] == 0 { authEnd -= 1 }
            auth = min(k, body.count)..<min(authEnd, body.count)
        } else if capabilities & MySQLLoginAnalyzer.clientPluginAuthLenencData != 0 {
            guard let (length, next) = MySQLLoginAnalyzer.lengthEncoded(body, at: k), length <= UInt64(body.count - next)
            else { return false }
            auth = next..<(next + Int(length))
        } else if capabilities & MySQLLoginAnalyzer.clientSecureConnection != 0 {
            guard k < body.count, k + 1 + Int(body[k]) <= body.count else { return false }
            auth = (k + 1)..<(k + 1 + Int(body[k]))
        } else {
            let end = body.nul(from: k) ?? body.count
            auth = min(k, body.count)..<end
        }
        var plugin = serverPlugin
        if capabilities & MySQLLoginAnalyzer.clientProtocol41 != 0 {
            k = auth.upperBound
            if capabilities & MySQLLoginAnalyzer.clientConnectWithDB != 0 && k < body.count {
                k = (body.nul(from: k) ?? body.count) + 1
            }
            if capabilities & MySQLLoginAnalyzer.clientPluginAuth != 0 && k < body.count {
                let end = body.nul(from: k) ?? body.count
                plugin = Plugin(name: UnsafeRawBufferPointer(rebasing: body[k..<end]))
            }
        }
        switch plugin {
        case .scrambled:
            // An empty response: an account without a password, nothing to crack (unless a switch follows).
            pending = CredentialSighting(mechanism: .mysqlNative, username: user, secret: Array(body[auth]))
        case .clear:
            pending = CredentialSighting(
                mechanism: .mysqlClearPassword, username: user, secret: MySQLLoginAnalyzer.clearText(body[auth]))
        case .other:
            break
        }
        return true
    }

    /// A `mysql_clear_password` response: the password, up to its NUL.
    static func clearText<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        Array(bytes.prefix { $0 != 0 })
    }

    /// A length-encoded integer at `k`: its value and the index after it.
    static func lengthEncoded(_ body: UnsafeRawBufferPointer, at k: Int) -> (UInt64, Int)? {
        guard k < body.count else { return nil }
        let first = body[k]
        let size: Int
        switch first {
        case 0..<0xfb: return (UInt64(first), k + 1)
        case 0xfc: size = 2
        case 0xfd: size = 3
        case 0xfe: size = 8
        default: return nil
        }
        guard k + 1 + size <= body.count else { return nil }
        var value: UInt64 = 0
        for b in 0..<size { value |= UInt64(body[k + 1 + b]) << (8 * UInt64(b)) }
        return (value, k + 1 + size)
    }
}
