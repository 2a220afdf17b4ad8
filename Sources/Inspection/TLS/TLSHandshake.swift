import Flows

/// Everything read from one TLS handshake: the hellos, the certificate chain
/// when it travels in clear (TLS 1.2 and older), and how the handshake went.
public struct TLSHandshake: Sendable {
    /// The client's first hello, once `readClientHello()` has read it (an
    /// SSL 2.0-format one is read as it arrives).
    public var clientHello: ClientHello?
    /// The body of the client's first ClientHello as received, not yet
    /// read: the packet thread only keeps it, and the judgement reads it off that thread.
    var clientHelloMessage: [UInt8]?
    public var serverHello: ServerHello?
    /// A TLS 1.3 HelloRetryRequest (the server asked for another key share).
    public var helloRetryRequest: ServerHello?
    /// DER certificates as sent, leaf first (at most `TLSAnalyzer.maxCertificates`).
    /// Read out of `certificateMessage` when asked for: the analyzer keeps the
    /// message as one copy (or its reassembly buffer itself), not an array per certificate.
    public var certificates: [[UInt8]] {
        get {
            var list: [[UInt8]] = []
            var i = certificateListStart
            while list.count < certificatesKept && i + 3 <= certificateMessage.count {
                let length = Int(certificateMessage[i]) << 16 | Int(certificateMessage[i + 1]) << 8 | Int(certificateMessage[i + 2])
                list.append(Array(certificateMessage[(i + 3)..<(i + 3 + length)]))
                i += 3 + length
            }
            return list
        }
        set {
            certificateMessage = newValue.flatMap { [UInt8($0.count >> 16), UInt8($0.count >> 8 & 0xff), UInt8($0.count & 0xff)] + $0 }
            certificateListStart = 0
            certificatesKept = newValue.count
        }
    }
    /// A TLS Certificate message (or an SSL 2.0 certificate re-encoded as
    /// one): 24-bit-length-prefixed DER certificates from `certificateListStart`.
    var certificateMessage: [UInt8] = []
    var certificateListStart = 0
    /// The first this many certificates of the list were kept.
    var certificatesKept = 0

    /// Bytes held for the certificates (what a queue of handshakes holds).
    public var certificateBytes: Int { certificateMessage.count }
    public var certificateMessageSeen = false
    public var serverHelloDoneSeen = false
    /// The first fatal alert sent in clear, and by whom.
    public var fatalAlert: (description: UInt8, sentBy: Direction)?
    /// The cleartext protocol this TLS stream was upgraded from (STARTTLS).
    public var upgradedFrom: AppProtocol?
    /// The proxy tunnel this TLS stream runs in (HTTP CONNECT).
    public var tunnel: TunnelKind?
    /// The first message that could not be read, and why: reading that
    /// direction stopped there (a malformed ClientHello is found only by
    /// `readClientHello()`, and stops nothing).
    public var problem: String?

    public init() {}

    /// Reads the kept ClientHello into `clientHello`. False when it is
    /// malformed: then it is dropped and `problem` says why (unless
    /// something earlier stopped the reading).
    public mutating func readClientHello() -> Bool {
        guard let message = clientHelloMessage else { return true }
        clientHelloMessage = nil
        do {
            clientHello = try ClientHello(body: message)
            return true
        } catch {
            if problem == nil { problem = "client handshake message \(TLSHandshakeType.clientHello): \(error)" }
            return false
        }
    }

    /// The negotiated version: the ServerHello's, else the SSL 2.0 one.
    public var version: TLSVersion? { serverHello?.version }

    /// In TLS 1.3 the certificate travels encrypted: the chain cannot be judged.
    public var certificateEncrypted: Bool {
        guard let v = version else { return false }
        return v >= .tls13
    }
}

/// TLS alert descriptions (RFC 8446 §6, RFC 5246 §7.2) by their IANA names.
public enum TLSAlert {
    static let names: [UInt8: String] = [
        0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
        22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure", 41: "no_certificate",
        42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
        46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied", 50: "decode_error",
        51: "decrypt_error", 60: "export_restriction", 70: "protocol_version", 71: "insufficient_security",
        80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled", 100: "no_renegotiation",
        109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
        113: "bad_certificate_status_response", 115: "unknown_psk_identity", 116: "certificate_required",
        120: "no_application_protocol",
    ]

    public static func name(_ description: UInt8) -> String { names[description] ?? "alert_\(description)" }
}
