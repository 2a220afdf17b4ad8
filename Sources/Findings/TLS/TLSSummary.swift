import Inspection

/// The `tls` object of a flow record: what was negotiated, what the client
/// offered, fingerprints, and the server certificate when it was visible.
public struct TLSSummary: Sendable {
    public var version: String?
    public var cipher: String?
    public var sni: String?
    public var alpn: [String] = []
    public var clientVersions: [String] = []
    public var ja3: String?
    public var ja3s: String?
    public var ja4: String?
    /// `visible`, `encrypted` (TLS 1.3), or `not_seen` (resumed session, lost packets, …).
    public var certificateStatus: String?
    public var certificate: CertificateSummary?
    public var chainLength = 0
    /// The protocol upgraded by STARTTLS (`smtp`, `imap`, …).
    public var starttls: String?
    /// The proxy tunnel the handshake ran in (`http-connect`).
    public var tunnel: String?
    public var helloRetryRequest = false
    /// The first fatal alert, e.g. `handshake_failure (server)`.
    public var fatalAlert: String?
    /// Why reading the handshake stopped early, if it did.
    public var problem: String?

    public init() {}
}

public struct CertificateSummary: Sendable {
    public var subject: String
    public var issuer: String
    public var notBefore: Int64
    public var notAfter: Int64
    public var keyType: String
    public var keyBits: Int
    public var signatureAlgorithm: String
    public var sha256: String
    public var names: [String]

    init(_ c: CertificateFacts) {
        subject = c.subject
        issuer = c.issuer
        notBefore = c.notBefore
        notAfter = c.notAfter
        keyType = c.curve.map { "EC \($0)" } ?? c.keyType
        keyBits = c.keyBits
        signatureAlgorithm = c.signatureAlgorithm
        sha256 = c.sha256
        names = Array(c.names.prefix(16))
    }
}
