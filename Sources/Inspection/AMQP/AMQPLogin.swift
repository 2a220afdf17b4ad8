import Flows

/// Reads the connection negotiation of AMQP 0-9-1 (and the 0-9 and 0-8
/// dialects, whose Connection class is the same) and reports the password a
/// client sent in Connection.Start-Ok, with the broker's verdict.
///
/// The client opens with the 8-byte protocol header (`AMQP` 0 0 9 1; 0-9:
/// `AMQP` 1 1 0 9; 0-8: `AMQP` 1 1 8 0; spec §4.2.2), then both sides send
/// frames (§4.2.3): type (1 method, 2 header, 3 body, 8 heartbeat), channel
/// (2 bytes), size (4 bytes), payload, frame-end 0xCE. A method payload is
/// class id, method id, arguments (§4.2.4).
///
/// Connection.Start-Ok (class 10, method 11): client-properties (a field
/// table), mechanism (shortstr), response (longstr), locale. `PLAIN`'s
/// response is RFC 4616's `authzid NUL user NUL password`: reported as
/// `.saslPlain` (the same message as mail's AUTH PLAIN). RabbitMQ's
/// `AMQPLAIN` response is a field table (without its length) holding `LOGIN`
/// and `PASSWORD`: reported as `.amqpPassword`. `EXTERNAL` (a TLS client
/// certificate) sends no secret.
///
/// The broker's answer: Connection.Tune (10, 30) accepts; Connection.Close
/// (10, 50) with reply code 403 (ACCESS_REFUSED) rejects; another Close, or
/// the stream ending (brokers may just close the socket on a failed login,
/// which a capture cannot tell from its own end), leaves it `.unknown`.
/// Connection.Secure (10, 20) challenges are passed over.
///
/// AMQP 1.0 (`AMQP` 0 1 0 0, SASL `AMQP` 3 1 0 0) frames differently and is
/// not read. After the verdict the analyzer is `.done`. Frames inside one
/// chunk are read in place; one that spans chunks is copied up to
/// `maxMessage` bytes (charged to the context's budget); longer ones are
/// skipped and counted.
public final class AMQPLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    public internal(set) var sightings: [Sighting] = []
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest frame copied when it spans chunks (frames before Tune are at
    /// most 4096 bytes, §4.2.3's frame-min-size; some brokers send more).
    public static let maxMessage = 16384

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    /// The client's protocol header went by.
    var protocolHeaderSeen = false
    var pending: CredentialSighting?

    // Frame types, and the Connection class's methods (§4.2.3, class 10).
    static let methodFrame: UInt64 = 1
    static let heartbeatFrame: UInt64 = 8
    static let frameEnd: UInt8 = 0xce
    static let connectionClass: UInt16 = 10
    static let start: UInt16 = 10
    static let startOk: UInt16 = 11
    static let secure: UInt16 = 20
    static let tune: UInt16 = 30
    static let close: UInt16 = 50
    /// ACCESS_REFUSED (§1.2, reply codes).
    static let accessRefused: UInt16 = 403

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int {
        direction == .toServer && !protocolHeaderSeen ? 8 : 7
    }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        if direction == .toServer && !protocolHeaderSeen {
            return header >> 32 == 0x414d_5150 ? 0 : nil  // "AMQP"
        }
        let type = header >> 48
        guard (type >= 1 && type <= 3) || type == AMQPLoginAnalyzer.heartbeatFrame else { return nil }
        return Int(header & 0xffff_ffff) + 1  // the payload and its frame-end
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        if direction == .toServer && !protocolHeaderSeen {
            protocolHeaderSeen = true
            let version = header & 0xffff_ffff
            // 0-9-1, 0-9, 0-8; AMQP 1.0 is another protocol.
            guard version == 0x0000_0901 || version == 0x0101_0009 || version == 0x0101_0800 else {
                isDone = true
                return false
            }
            return true
        }
        if !skipped && body.last != AMQPLoginAnalyzer.frameEnd { return false }  // lost framing
        guard header >> 48 == AMQPLoginAnalyzer.methodFrame else {
            return direction == .toClient && header >> 48 == AMQPLoginAnalyzer.heartbeatFrame
        }
        let payload = skipped ? body : UnsafeRawBufferPointer(rebasing: body[0..<(body.count - 1)])
        guard let classID = payload.uint16BE(at: 0), let methodID = payload.uint16BE(at: 2),
            classID == AMQPLoginAnalyzer.connectionClass
        else {
            isDone = direction == .toServer && pending == nil
            return false
        }
        let arguments = UnsafeRawBufferPointer(rebasing: payload[4...])
        if direction == .toServer {
            // The client's first frame is Start-Ok; nothing after it matters.
            if methodID == AMQPLoginAnalyzer.startOk { pending = AMQPLoginAnalyzer.startOkCredential(arguments) }
            if pending == nil { isDone = true }
            return false
        }
        switch methodID {
        case AMQPLoginAnalyzer.start, AMQPLoginAnalyzer.secure:
            return true
        case AMQPLoginAnalyzer.tune:
            finish(.accepted)
        case AMQPLoginAnalyzer.close:
            finish(arguments.uint16BE(at: 0) == AMQPLoginAnalyzer.accessRefused ? .rejected : .unknown)
        default:
            finish(.unknown)
        }
        isDone = true
        return false
    }

    // MARK: Start-Ok

    /// client-properties (table), mechanism (shortstr), response (longstr).
    static func startOkCredential(_ arguments: UnsafeRawBufferPointer) -> CredentialSighting? {
        guard let tableLength = arguments.uint32BE(at: 0), Int(tableLength) <= arguments.count - 4 else { return nil }
        var k = 4 + Int(tableLength)
        guard let mechanism = shortString(arguments, at: &k), let response = longString(arguments, at: &k) else {
            return nil
        }
        if mechanism.bytesEqual(0, mechanism.count, "PLAIN") {
            guard let (user, password) = SASLPlain.parse(response) else { return nil }
            return CredentialSighting(mechanism: .saslPlain, username: user, secret: password)
        }
        if mechanism.bytesEqual(0, mechanism.count, "AMQPLAIN") {
            // The table's fields without its length; some old clients send the length too.
            var login = amqplain(response, from: 0)
            if login == nil, let length = response.uint32BE(at: 0), Int(length) == response.count - 4 {
                login = amqplain(response, from: 4)
            }
            guard let (user, password) = login else { return nil }
            return CredentialSighting(mechanism: .amqpPassword, username: user, secret: password)
        }
        return nil
    }

    /// `LOGIN` and `PASSWORD` of an AMQPLAIN field table (long strings, type `S`).
    static func amqplain(_ table: UnsafeRawBufferPointer, from start: Int) -> ([UInt8]?, [UInt8])? {
        var k = start
        var user: [UInt8]?
        var password: [UInt8]?
        while k < table.count {
            guard let name = shortString(table, at: &k), k < table.count else { return nil }
            let type = table[k]
            k += 1
            if type == UInt8(ascii: "S"), name.bytesEqual(0, name.count, "LOGIN") || name.bytesEqual(0, name.count, "PASSWORD") {
                guard let value = longString(table, at: &k) else { return nil }
                if name.count == 5 { user = Array(value) } else { password = Array(value) }
            } else {
                guard skipFieldValue(type, table, at: &k) else { return nil }
            }
        }
        return password.map { (user, $0) }
    }

    /// Moves `k` past a field value of `type` (§4.2.5.5, with RabbitMQ's
    /// types as brokers send them); false for an unknown type or a short table.
    static func skipFieldValue(_ type: UInt8, _ table: UnsafeRawBufferPointer, at k: inout Int) -> Bool {
        let size: Int
        switch type {
        case UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "B"): size = 1
        case UInt8(ascii: "s"), UInt8(ascii: "u"): size = 2
        case UInt8(ascii: "I"), UInt8(ascii: "i"), UInt8(ascii: "f"): size = 4
        case UInt8(ascii: "D"): size = 5
        case UInt8(ascii: "l"), UInt8(ascii: "L"), UInt8(ascii: "d"), UInt8(ascii: "T"): size = 8
        case UInt8(ascii: "V"): size = 0
        case UInt8(ascii: "S"), UInt8(ascii: "F"), UInt8(ascii: "A"), UInt8(ascii: "x"):
            return longString(table, at: &k) != nil
        default: return false
        }
        guard k + size <= table.count else { return false }
        k += size
        return true
    }

    /// A shortstr: one length byte, then the bytes.
    static func shortString(_ bytes: UnsafeRawBufferPointer, at k: inout Int) -> UnsafeRawBufferPointer? {
        guard k < bytes.count, k + 1 + Int(bytes[k]) <= bytes.count else { return nil }
        let value = UnsafeRawBufferPointer(rebasing: bytes[(k + 1)..<(k + 1 + Int(bytes[k]))])
        k += 1 + Int(bytes[k])
        return value
    }

    /// A longstr: a 4-byte big-endian length, then the bytes.
    static func longString(_ bytes: UnsafeRawBufferPointer, at k: inout Int) -> UnsafeRawBufferPointer? {
        guard let length = bytes.uint32BE(at: k), Int(length) <= bytes.count - k - 4 else { return nil }
        let value = UnsafeRawBufferPointer(rebasing: bytes[(k + 4)..<(k + 4 + Int(length))])
        k += 4 + Int(length)
        return value
    }
}
