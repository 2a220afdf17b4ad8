/// A RADIUS packet (RFC 2865 §3; accounting, RFC 2866 §3; dynamic
/// authorization, RFC 5176 §2.3), read in place from one UDP datagram:
///
///     Code (1) | Identifier (1) | Length (2) | Authenticator (16) | Attributes
///     Attribute: Type (1) | Length (1: the whole attribute, at least 2) | Value
///
/// Bytes past Length are padding (§3: ignored on reception). Everything but
/// the passwords crosses in clear: the user name, the NAS, the station's MAC
/// address and the address given to it. User-Password is hidden by an XOR
/// with MD5(shared secret + Request Authenticator) (§5.2); CHAP-Password and
/// Microsoft's MS-CHAP responses (RFC 2548) are challenge responses.
public enum RADIUSPacket {
    /// The parts of a packet, as views into the datagram.
    struct View {
        var code: UInt8
        var identifier: UInt8
        /// The Length field: the datagram's bytes past it are padding.
        var length: Int
        var authenticator: UnsafeRawBufferPointer
        /// The attributes, a chain that fills the packet exactly.
        var attributes: UnsafeRawBufferPointer

        /// The attributes in order.
        var all: Attributes { Attributes(bytes: attributes) }

        /// The value of the first attribute of `type`.
        func attribute(_ type: UInt8) -> UnsafeRawBufferPointer? {
            all.first { $0.type == type }?.value
        }

        /// Where the reply's Message-Authenticator is (RFC 3579 §3.2: 16 bytes
        /// of HMAC-MD5): first, protecting the Response Authenticator against
        /// BlastRADIUS even where the NAS does not check it; further down; or
        /// none (a type-80 attribute of another length is none).
        var messageAuthenticator: Signature {
            for a in all where a.type == RADIUSPacket.messageAuthenticatorType && a.value.count == 16 {
                return a.offset == 0 ? .first : .later
            }
            return .none
        }

        /// The EAP packet the request or reply carries: its EAP-Message
        /// attributes joined in order (RFC 3579 §3.1), nil when it has none.
        var eapMessage: [UInt8]? {
            var message: [UInt8]?
            for a in all where a.type == RADIUSPacket.eapMessageType { message = (message ?? []) + a.value }
            return message
        }

        /// The value of the first Microsoft vendor-specific attribute of
        /// `type`: Vendor-Specific (26) holding Vendor-Id 311, then
        /// sub-attributes shaped as attributes — Vendor type (1), Vendor length
        /// (1, counting both) and value (RFC 2865 §5.26, RFC 2548 §2).
        func microsoftAttribute(_ type: UInt8) -> UnsafeRawBufferPointer? {
            for a in all where a.type == RADIUSPacket.vendorSpecific && a.value.count >= 4 + 2 {
                let v = a.value
                guard v[0] == 0, v[1] == 0, v[2] == 0x01, v[3] == 0x37 else { continue }
                if let sub = Attributes(bytes: UnsafeRawBufferPointer(rebasing: v[4...])).first(where: { $0.type == type }) {
                    return sub.value
                }
            }
            return nil
        }
    }

    /// A chain of Type (1), Length (1, counting both) and value, read in
    /// order; it ends where an attribute would not fit.
    struct Attributes: Sequence, IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func next() -> (type: UInt8, value: UnsafeRawBufferPointer, offset: Int)? {
            guard bytes.count - offset >= 2 else { return nil }
            let length = Int(bytes[offset + 1])
            guard length >= 2, length <= bytes.count - offset else { return nil }
            defer { offset += length }
            return (bytes[offset], UnsafeRawBufferPointer(rebasing: bytes[(offset + 2)..<(offset + length)]), offset)
        }
    }

    enum Signature { case first, later, none }

    // Codes (RFC 2865 §3, RFC 2866 §3, RFC 5176 §2.3).
    static let accessRequest: UInt8 = 1
    static let accessAccept: UInt8 = 2
    static let accessReject: UInt8 = 3
    static let accountingRequest: UInt8 = 4
    static let accessChallenge: UInt8 = 11
    static let statusServer: UInt8 = 12

    // Attribute types (RFC 2865 §5, RFC 2869 §5, RFC 3579 §3, RFC 3162 §2.1).
    static let userName: UInt8 = 1
    static let userPassword: UInt8 = 2
    static let chapPassword: UInt8 = 3
    static let nasIPAddress: UInt8 = 4
    static let vendorSpecific: UInt8 = 26
    static let nasIdentifier: UInt8 = 32
    static let chapChallenge: UInt8 = 60
    static let eapMessageType: UInt8 = 79
    static let messageAuthenticatorType: UInt8 = 80
    static let nasIPv6Address: UInt8 = 95

    // Microsoft's vendor types (RFC 2548 §2.1.3, §2.3.1, §2.3.2).
    static let msCHAPResponse: UInt8 = 1
    static let msCHAPChallenge: UInt8 = 11
    static let msCHAP2Response: UInt8 = 25

    /// RFC 2865 §3: a packet is 20 to 4096 bytes.
    static let maxLength = 4096

    /// The name of an Access-* reply code, as reported.
    static func replyName(_ code: UInt8) -> String {
        switch code {
        case accessAccept: "Access-Accept"
        case accessReject: "Access-Reject"
        default: "Access-Challenge"
        }
    }

    /// The packet in `datagram`: nil unless its code is one RADIUS defines
    /// (1–5, 11–13, 40–45), its Length lies within 20...4096 and the datagram,
    /// its attributes (each of a non-zero type and at least 2 bytes) fill it
    /// up to Length exactly, and a request names its NAS as the RFCs require
    /// (NAS-IP-Address, NAS-Identifier or NAS-IPv6-Address: RFC 2865 §4.1,
    /// RFC 2866 §4.1).
    static func parse(_ datagram: UnsafeRawBufferPointer) -> View? {
        guard datagram.count >= 20 else { return nil }
        let code = datagram[0]
        guard (1...5).contains(code) || (11...13).contains(code) || (40...45).contains(code) else { return nil }
        let length = Int(datagram[2]) << 8 | Int(datagram[3])
        guard length >= 20, length <= maxLength, length <= datagram.count else { return nil }
        let attributes = UnsafeRawBufferPointer(rebasing: datagram[20..<length])
        var i = 0
        while i < attributes.count {
            guard attributes.count - i >= 2, attributes[i] != 0 else { return nil }
            let size = Int(attributes[i + 1])
            guard size >= 2, size <= attributes.count - i else { return nil }
            i += size
        }
        let view = View(
            code: code, identifier: datagram[1], length: length,
            authenticator: UnsafeRawBufferPointer(rebasing: datagram[4..<20]), attributes: attributes)
        if code == accessRequest || code == accountingRequest {
            guard view.attribute(nasIPAddress) != nil || view.attribute(nasIdentifier) != nil
                || view.attribute(nasIPv6Address) != nil
            else { return nil }
        }
        return view
    }
}
