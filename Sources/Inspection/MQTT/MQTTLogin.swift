import Flows

/// Reads the start of an MQTT session — 3.1 (`MQIsdp`, level 3), 3.1.1
/// (OASIS MQTT 3.1.1, level 4) and 5.0 (OASIS MQTT 5.0, level 5) — and
/// reports the password a client sent in CONNECT, with its user name and the
/// broker's verdict from CONNACK.
///
/// Every packet starts with a fixed header (§2.2 in 3.1.1 and 5.0): a type
/// and flags byte, then the Remaining Length, 1 to 4 bytes of 7 bits each,
/// least significant group first, the high bit saying another byte follows
/// (the header is read one byte at a time through `FramedDialogue`).
/// CONNECT (§3.1): protocol name, level, Connect Flags (bit 7 user name,
/// bit 6 password, bit 2 will), keep alive, 5.0 properties, then the payload
/// in this order: client id, (5.0: will properties), will topic, will
/// payload, user name, password. A 5.0 CONNECT whose properties name an
/// AUTHENTICATION METHOD (0x15) starts enhanced authentication (§4.12): its
/// AUTH packets are not read (SCRAM and Kerberos exchanges travel there), but
/// the analyzer notes it (`enhancedAuthentication`) and still waits for the
/// CONNACK.
///
/// CONNACK (§3.2): return code (3.x) or reason code (5.0). 0 accepts; 3.x
/// codes 4 (bad user name or password) and 5 (not authorized) and 5.0 codes
/// 0x86 (bad user name or password), 0x87 (not authorized) and 0x8C (bad
/// authentication method) reject; other refusals (protocol version, client
/// id, server unavailable) say nothing about the password: `.unknown`.
///
/// Only CONNECT and CONNACK are read: the analyzer is `.done` after CONNACK,
/// or right after a CONNECT that carries no password. Packets inside one
/// chunk are read in place; one that spans chunks is copied up to
/// `maxMessage` bytes (charged to the context's budget); longer ones (a will
/// payload of many kilobytes) are skipped and counted.
public final class MQTTLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Packets longer than `maxMessage`: skipped unread.
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest packet copied when it spans chunks.
    public static let maxMessage = 16384
    /// The 5.0 CONNECT named an AUTHENTICATION METHOD: an enhanced (SASL-like)
    /// exchange follows in AUTH packets, which are not read.
    public private(set) var enhancedAuthentication = false

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    /// The protocol level of the CONNECT (3, 4 or 5); CONNACK codes depend on it.
    var level: UInt8 = 4
    var pending: CredentialSighting?

    // Packet types (§2.1.2).
    static let connect: UInt8 = 1
    static let connack: UInt8 = 2
    static let auth: UInt8 = 15

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int { 2 }

    /// The type byte, then Remaining Length bytes while the last one read has
    /// its continuation bit (at most 4 of them, §2.2.3).
    func headerSize(_ direction: Direction, header: UInt64, have: Int) -> Int {
        guard have >= 2 else { return 2 }
        return header & 0x80 != 0 && have < 5 ? have + 1 : have
    }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        // Every packet type is 1...15, so the type byte is the header's highest non-zero byte.
        guard header != 0 else { return nil }
        let size = (64 - header.leadingZeroBitCount + 7) / 8
        guard size >= 2, header >> UInt64(8 * (size - 1)) >= 0x10 else { return nil }
        var length = 0
        for k in 0..<(size - 1) {
            let byte = Int(header >> UInt64(8 * (size - 2 - k)) & 0xff)
            if k == size - 2 && byte & 0x80 != 0 { return nil }  // a fifth length byte: malformed
            length |= (byte & 0x7f) << (7 * k)
        }
        return length
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        let size = (64 - header.leadingZeroBitCount + 7) / 8
        let type = UInt8(truncatingIfNeeded: header >> UInt64(8 * (size - 1))) >> 4
        if direction == .toServer {
            // Only the first packet matters: CONNECT (§3.1: the first packet a client sends).
            guard type == MQTTLoginAnalyzer.connect, !skipped else {
                isDone = pending == nil
                return false
            }
            pending = connect(body)
            if pending == nil { isDone = true }  // no password: nothing to report
            return false
        }
        switch type {
        case MQTTLoginAnalyzer.auth:
            return true  // an enhanced-authentication step; the CONNACK decides
        case MQTTLoginAnalyzer.connack:
            finish(skipped ? .unknown : connackOutcome(body))
            isDone = true
            return false
        default:
            return false  // not MQTT, or the CONNACK was not the broker's first answer
        }
    }

    /// The password of a CONNECT body (after the fixed header), nil when it
    /// has none or does not parse.
    func connect(_ body: UnsafeRawBufferPointer) -> CredentialSighting? {
        var k = 0
        guard let name = MQTTLoginAnalyzer.field(body, at: &k), name.count == 4 || name.count == 6,
            k + 4 <= body.count
        else { return nil }
        level = body[k]
        let flags = body[k + 1]
        k += 4  // level, flags, keep alive
        if level >= 5 {
            guard let (length, next) = MQTTLoginAnalyzer.variableInteger(body, at: k), length <= body.count - next
            else { return nil }
            let properties = UnsafeRawBufferPointer(rebasing: body[next..<(next + length)])
            enhancedAuthentication = MQTTLoginAnalyzer.hasProperty(MQTTLoginAnalyzer.authenticationMethod, in: properties)
            k = next + length
        }
        guard MQTTLoginAnalyzer.field(body, at: &k) != nil else { return nil }  // client id
        if flags & 0x04 != 0 {  // will flag
            if level >= 5 {
                guard let (length, next) = MQTTLoginAnalyzer.variableInteger(body, at: k), length <= body.count - next
                else { return nil }
                k = next + length
            }
            guard MQTTLoginAnalyzer.field(body, at: &k) != nil, MQTTLoginAnalyzer.field(body, at: &k) != nil
            else { return nil }
        }
        var user: UnsafeRawBufferPointer?
        if flags & 0x80 != 0 {
            guard let u = MQTTLoginAnalyzer.field(body, at: &k) else { return nil }
            user = u
        }
        guard flags & 0x40 != 0, let password = MQTTLoginAnalyzer.field(body, at: &k) else { return nil }
        return CredentialSighting(mechanism: .mqttPassword, username: user.map { Array($0) }, secret: Array(password))
    }

    /// CONNACK: acknowledge flags, then the return code (3.x) or reason code (5.0).
    func connackOutcome(_ body: UnsafeRawBufferPointer) -> LoginOutcome {
        guard body.count >= 2 else { return .unknown }
        let code = body[1]
        if code == 0 { return .accepted }
        let refusedCredentials: Bool =
            level >= 5 ? code == 0x86 || code == 0x87 || code == 0x8c : code == 4 || code == 5
        return refusedCredentials ? .rejected : .unknown
    }

    // MARK: fields

    /// AUTHENTICATION METHOD (5.0 §3.1.2.11.9).
    static let authenticationMethod: UInt8 = 0x15

    /// A UTF-8 string or binary data field (§1.5.4, §1.5.6): two-byte
    /// big-endian length, then the bytes. Moves `k` past it.
    static func field(_ body: UnsafeRawBufferPointer, at k: inout Int) -> UnsafeRawBufferPointer? {
        guard let length = body.uint16BE(at: k), k + 2 + Int(length) <= body.count else { return nil }
        let value = UnsafeRawBufferPointer(rebasing: body[(k + 2)..<(k + 2 + Int(length))])
        k += 2 + Int(length)
        return value
    }

    /// A Variable Byte Integer (5.0 §1.5.5, at most 4 bytes) at `k`: its value and the index after it.
    static func variableInteger(_ body: UnsafeRawBufferPointer, at k: Int) -> (Int, Int)? {
        body.base128(at: k, maxBytes: 4)
    }

    /// Whether a 5.0 property list holds `id`. Each property is an
    /// identifier then a value whose form the identifier fixes (5.0 §2.2.2.2).
    static func hasProperty(_ id: UInt8, in properties: UnsafeRawBufferPointer) -> Bool {
        var k = 0
        while k < properties.count {
            let property = properties[k]
            if property == id { return true }
            k += 1
            switch property {
            case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2a: k += 1  // byte
            case 0x13, 0x21, 0x22, 0x23: k += 2  // two-byte integer
            case 0x02, 0x11, 0x18, 0x27: k += 4  // four-byte integer
            case 0x0b:  // variable byte integer
                guard let (_, next) = variableInteger(properties, at: k) else { return false }
                k = next
            case 0x03, 0x08, 0x09, 0x12, 0x15, 0x16, 0x1a, 0x1c, 0x1f:  // string or binary data
                guard field(properties, at: &k) != nil else { return false }
            case 0x26:  // user property: a string pair
                guard field(properties, at: &k) != nil, field(properties, at: &k) != nil else { return false }
            default:
                return false  // an unknown identifier: its length is unknown
            }
        }
        return false
    }
}
