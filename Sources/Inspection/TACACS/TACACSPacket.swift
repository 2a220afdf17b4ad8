/// TACACS+ (RFC 8907) packets, read in place. Every packet has a 12-byte
/// header (§4.1) and a body of its length:
///
///     version (1: 0xC0 or 0xC1) | type (1) | seq_no (1) | flags (1) | session_id (4) | length (4)
///
/// The body is obfuscated (§4.5): XORed with a pad of chained MD5s over the
/// session id, the shared key, the version and the sequence number — not
/// encryption (§10.1): known plaintext lets a weak key be guessed offline.
/// With `TAC_PLUS_UNENCRYPTED_FLAG` set, the body is sent as it is; some
/// clients send it as it is without the flag when no key is configured (the
/// Python `tacacs_plus` library with `secret=None`), so an authentication
/// body that reads exactly as one in clear is taken for one.
public enum TACACSPacket {
    // Header (§4.1).
    static let headerSize = 12
    static let majorVersion: UInt8 = 0xc0
    // Packet types: authentication 1, authorization 2, accounting 3.
    static let authentication: UInt8 = 1
    static let accounting: UInt8 = 3
    static let unencryptedFlag: UInt8 = 0x01
    /// Longest body a real server or client sends is a few KiB (arguments,
    /// messages); the field allows 4 GiB. Longer ones are not TACACS+ here.
    static let maxBody = 65_536

    // Authentication START (§5.1): actions and types.
    static let login: UInt8 = 1
    static let changePassword: UInt8 = 2
    static let sendAuth: UInt8 = 4
    static let pap: UInt8 = 2
    static let chap: UInt8 = 3
    static let msCHAP: UInt8 = 5
    static let msCHAPv2: UInt8 = 6
    static let enableService: UInt8 = 2

    // Authentication REPLY statuses and flags (§5.2).
    static let pass: UInt8 = 1
    static let fail: UInt8 = 2
    static let getData: UInt8 = 3
    static let getUser: UInt8 = 4
    static let getPass: UInt8 = 5
    static let follow: UInt8 = 0x21
    static let noEcho: UInt8 = 0x01

    /// The fields of a header, from its first 8 bytes (the length comes after them).
    struct Header {
        var version: UInt8
        var type: UInt8
        var sequence: UInt8
        var flags: UInt8
        var session: UInt32

        init(_ first8: UInt64) {
            version = UInt8(truncatingIfNeeded: first8 >> 56)
            type = UInt8(truncatingIfNeeded: first8 >> 48)
            sequence = UInt8(truncatingIfNeeded: first8 >> 40)
            flags = UInt8(truncatingIfNeeded: first8 >> 32)
            session = UInt32(truncatingIfNeeded: first8)
        }

        /// Version 12.0 or 12.1, one of the three packet types and a non-zero
        /// sequence number (flag bits other than the two defined are ignored, §4.1).
        var isValid: Bool {
            version & 0xf0 == TACACSPacket.majorVersion && version & 0x0f <= 1
                && (TACACSPacket.authentication...TACACSPacket.accounting).contains(type) && sequence != 0
        }

        /// Client packets carry odd sequence numbers, server packets even ones (§4.1).
        var fromClient: Bool { sequence & 1 == 1 }
    }

    /// An authentication START in clear (§5.1): nil unless its fields add up
    /// to the body exactly, with a defined action, type (unused, possibly 0,
    /// for the enable service: §5.4.2.6) and service.
    struct Start {
        var action: UInt8
        var authenType: UInt8
        var service: UInt8
        var user: UnsafeRawBufferPointer
        var data: UnsafeRawBufferPointer

        init?(_ body: UnsafeRawBufferPointer) {
            guard body.count >= 8 else { return nil }
            let lengths = (Int(body[4]), Int(body[5]), Int(body[6]), Int(body[7]))
            guard 8 + lengths.0 + lengths.1 + lengths.2 + lengths.3 == body.count,
                [TACACSPacket.login, TACACSPacket.changePassword, TACACSPacket.sendAuth].contains(body[0]),
                body[1] <= 15, body[3] <= 9, (1...6).contains(body[2]) || (body[2] == 0 && body[3] == TACACSPacket.enableService)
            else { return nil }
            action = body[0]
            authenType = body[2]
            service = body[3]
            user = UnsafeRawBufferPointer(rebasing: body[8..<(8 + lengths.0)])
            let dataStart = 8 + lengths.0 + lengths.1 + lengths.2
            data = UnsafeRawBufferPointer(rebasing: body[dataStart...])
        }
    }

    /// An authentication REPLY in clear (§5.2).
    struct Reply {
        var status: UInt8
        var flags: UInt8
        /// What the server sends the client: for outbound PAP (SENDAUTH), the password.
        var data: UnsafeRawBufferPointer

        init?(_ body: UnsafeRawBufferPointer) {
            guard body.count >= 6, let message = body.uint16BE(at: 2), let dataLength = body.uint16BE(at: 4),
                6 + Int(message) + Int(dataLength) == body.count, (1...7).contains(body[0]) || body[0] == TACACSPacket.follow,
                body[1] & ~TACACSPacket.noEcho == 0
            else { return nil }
            status = body[0]
            flags = body[1]
            data = UnsafeRawBufferPointer(rebasing: body[(6 + Int(message))...])
        }
    }

    /// An authentication CONTINUE in clear (§5.3): what the user typed.
    struct Continue {
        var userMessage: UnsafeRawBufferPointer
        /// The client gave the session up (TAC_PLUS_CONTINUE_FLAG_ABORT).
        var abort: Bool

        init?(_ body: UnsafeRawBufferPointer) {
            guard body.count >= 5, let message = body.uint16BE(at: 0), let data = body.uint16BE(at: 2),
                5 + Int(message) + Int(data) == body.count, body[4] & ~0x01 == 0
            else { return nil }
            userMessage = UnsafeRawBufferPointer(rebasing: body[5..<(5 + Int(message))])
            abort = body[4] & 0x01 != 0
        }
    }
}
