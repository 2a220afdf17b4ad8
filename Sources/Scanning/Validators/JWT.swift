// JSON Web Tokens in JWS compact form (RFC 7519 section 3, RFC 7515 section 7.1): three
// base64url parts without padding, header.payload.signature. The header is a JSON object naming
// its algorithm; the payload, when it is a JSON object, holds the claims. Only reached on a match,
// so it may allocate (the decoded parts, the members read).

/// What a JWT says about itself (never its signature).
public struct JWTFacts: Sendable, Equatable {
    /// Tokens longer than this are not read (real ones are well under 8 KiB).
    public static let maxTokenBytes = 16 * 1024

    /// Header "alg" ("none": an unsecured JWT, RFC 7519 section 6).
    public var algorithm: String?
    /// Payload "iss".
    public var issuer: String?
    /// Payload "iat" and "exp", NumericDate (seconds since 1970; fractions dropped).
    public var issuedAt: Int64?
    public var expires: Int64?

    /// exp − iat when both are present (and the difference fits).
    public var lifetime: Int64? {
        guard let issuedAt, let expires else { return nil }
        let (difference, overflow) = expires.subtractingReportingOverflow(issuedAt)
        return overflow ? nil : difference
    }

    /// nil unless `token` is header.payload.signature, each part base64url (the signature may be
    /// empty, as in an unsecured JWT), the header a JSON object with a string "alg", and the payload
    /// decodable. Claims are read when the payload is a JSON object; others are left nil.
    public init?(token: UnsafeRawBufferPointer) {
        guard token.count <= Self.maxTokenBytes,
              let firstDot = token.firstIndex(of: UInt8(ascii: ".")),
              let secondDot = token[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
              !token[(secondDot + 1)...].contains(UInt8(ascii: ".")),
              token[(secondDot + 1)...].allSatisfy(Base64URL.isAlphabet),
              let header = Base64URL.decode(UnsafeRawBufferPointer(rebasing: token[..<firstDot])),
              let payload = Base64URL.decode(UnsafeRawBufferPointer(rebasing: token[(firstDot + 1)..<secondDot])),
              let headerObject = header.withUnsafeBytes(JSONMembers.init),
              let algorithm = headerObject.string("alg")
        else { return nil }
        self.algorithm = algorithm
        if let claims = payload.withUnsafeBytes(JSONMembers.init) {
            issuer = claims.string("iss")
            issuedAt = claims.numericDate("iat")
            expires = claims.numericDate("exp")
        }
    }
}

/// base64url (RFC 4648 section 5) without padding, as JWS uses it.
enum Base64URL {
    static func isAlphabet(_ byte: UInt8) -> Bool { sextet(byte) != nil }

    static func sextet(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(byte - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }

    /// The decoded bytes; nil for a byte outside the alphabet (padding included) or a length that
    /// leaves a single character over (which cannot encode a byte).
    static func decode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count * 3 / 4)
        var bits: UInt32 = 0
        var held = 0
        for character in text {
            guard let value = sextet(character) else { return nil }
            bits = bits << 6 | value
            held += 6
            if held >= 8 {
                held -= 8
                bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(held)))
            }
        }
        return bytes
    }
}
