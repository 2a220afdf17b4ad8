/// The SASL PLAIN message (RFC 4616 §2), `[authzid] NUL authcid NUL passwd`,
/// shared by the readers that meet it bare (MongoDB `saslStart`, Cassandra's
/// PasswordAuthenticator token, memcached binary SASL) or decoded from base64
/// (SMTP, IMAP, POP3 AUTH PLAIN).
enum SASLPlain {
    /// The user name (authcid) and the password; nil when there are not two NULs.
    static func split(_ message: UnsafeRawBufferPointer) -> (user: [UInt8], password: [UInt8])? {
        guard let first = message.nul(from: 0), let second = message.nul(from: first + 1) else { return nil }
        return (Array(message[(first + 1)..<second]), Array(message[(second + 1)...]))
    }
}
