/// The SASL PLAIN message (RFC 4616 §2), `[authzid] NUL authcid NUL passwd`,
/// as mail (`AUTH PLAIN`), Kafka (SaslAuthenticate), AMQP (Start-Ok), MongoDB
/// (`saslStart`), Cassandra (AUTH_RESPONSE) and memcached (SASL Auth) carry it.
enum SASLPlain {
    /// The authcid and password; nil without two NULs. The password is
    /// everything after the second NUL.
    static func parse(_ message: UnsafeRawBufferPointer) -> (username: [UInt8], password: [UInt8])? {
        guard let first = message.nul(from: 0), let second = message.nul(from: first + 1) else { return nil }
        return (Array(message[(first + 1)..<second]), Array(message[(second + 1)...]))
    }
}
