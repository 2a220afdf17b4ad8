import Flows

/// A login dialogue of a length-framed protocol (MySQL, PostgreSQL, MS SQL,
/// MongoDB, Cassandra, memcached, Kafka, AMQP, MQTT, SOCKS, SMB, Kerberos):
/// how its messages are cut, and what to do with each. The extension below
/// reads each direction's chunks into messages (`read`) and settles; the
/// `StreamAnalyzer` side is `TwoWayDialogue`'s. Most readers get `finish`
/// from `PendingLogin`.
protocol FramedDialogue: TwoWayDialogue where Reader == FramedMessageReader {
    /// Bytes of each direction read before it stops.
    var maxDepth: UInt64 { get }
    /// Longest message copied when it spans chunks.
    static var maxMessage: Int { get }
    /// Messages longer than `maxMessage`: skipped unread.
    var oversizedMessages: UInt64 { get set }
    /// Emits the credential waiting for a verdict (if any) with `outcome`.
    func finish(_ outcome: LoginOutcome)
    /// Bytes of the next message's header in `direction` (1...8).
    func headerSize(_ direction: Direction) -> Int
    /// The header's size once `have` of its bytes are in (accumulated
    /// big-endian in `header`): a header whose length its own bytes tell
    /// (MQTT's variable-length remaining length) grows one byte at a time.
    /// Never less than `have`. Defaults to `headerSize(direction)`.
    func headerSize(_ direction: Direction, header: UInt64, have: Int) -> Int
    /// The body length a complete header announces (header bytes accumulated
    /// big-endian in `header`); nil: not this protocol, the direction stops.
    func bodyLength(header: UInt64, direction: Direction) -> Int?
    /// A complete message. `body` is empty and `skipped` true when it was too
    /// long (or over budget) to keep. Returns false to stop the direction.
    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool
    /// Nothing more is read in either direction.
    var isDone: Bool { get set }
}

/// One direction of a length-framed protocol cut into messages. A message
/// inside one chunk is handed over in place; one that spans chunks is copied
/// (its whole length reserved from the context's budget up front), up to
/// `maxMessage` bytes: longer ones are skipped by length and counted.
struct FramedMessageReader: DirectionReader {
    /// Stream offset of the next byte to read.
    var expectedOffset: UInt64 = 0
    /// Ended, gapped, malformed or past the depth: nothing more is read.
    var stopped = false
    var header: UInt64 = 0
    var headerHave = 0
    var inBody = false
    var bodyLength = 0
    var bodyRemaining = 0
    /// The body read so far when it spans chunks.
    var held: [UInt8] = []
    /// Bytes reserved from the context for `held`.
    var charged = 0
    /// The body is not kept (too long, or refused by the budget).
    var skipping = false

    mutating func endMessage(_ context: inout InspectionContext) {
        header = 0
        headerHave = 0
        inBody = false
        bodyLength = 0
        bodyRemaining = 0
        skipping = false
        held.removeAll(keepingCapacity: true)
        context.release(charged)
        charged = 0
    }

    mutating func stop(_ context: inout InspectionContext) {
        endMessage(&context)
        held = []
        stopped = true
    }
}

/// For a protocol whose header is longer than the eight bytes a
/// `FramedDialogue` header holds (memcached's 24, TACACS+'s 12): each
/// direction reads its header as two, the first eight bytes — kept here
/// until the packet is complete — then the part that holds the body length
/// (any header bytes after it are read with the body).
struct SplitHeaders {
    var toServer: UInt64?
    var toClient: UInt64?

    /// The first eight bytes of `direction`'s current packet, once read.
    subscript(_ direction: Direction) -> UInt64? {
        get { direction == .toServer ? toServer : toClient }
        set { if direction == .toServer { toServer = newValue } else { toClient = newValue } }
    }

    /// The next header part's size in `direction`: 8, then `rest`.
    func size(_ direction: Direction, rest: Int) -> Int { self[direction] == nil ? 8 : rest }

    /// Takes a completed part: the first is kept (nil: the rest follows); the
    /// second gives the first eight bytes back, the packet being complete.
    mutating func take(_ part: UInt64, _ direction: Direction) -> UInt64? {
        guard let first = self[direction] else {
            self[direction] = part
            return nil
        }
        self[direction] = nil
        return first
    }
}

/// A login reader that holds at most one credential waiting for the
/// server's verdict (`pending`) and reports it once the verdict is known.
protocol PendingLogin: AnyObject {
    var pending: CredentialSighting? { get set }
    var sightings: [Sighting] { get set }
}

extension PendingLogin {
    /// Emits the credential waiting for a verdict (if any) with `outcome`.
    func finish(_ outcome: LoginOutcome) {
        guard var credential = pending else { return }
        pending = nil
        credential.outcome = outcome
        sightings.append(.credential(credential))
    }
}

extension FramedDialogue {
    func headerSize(_ direction: Direction, header: UInt64, have: Int) -> Int { headerSize(direction) }

    /// With the server's stream over no verdict can come; with both over (or
    /// the login decided) everything is let go.
    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        if toClient.stopped { finish(.unknown) }
        if toServer.stopped && toClient.stopped { isDone = true }
        guard isDone else { return .needMore }
        finish(.unknown)
        toServer.stop(&context)
        toClient.stop(&context)
        return .done
    }

    /// Reads one chunk of `direction` into messages. A chunk that does not
    /// continue the stream (a hole before it, a direction first seen past
    /// offset 0) stops the direction: the framing is lost with the bytes.
    func read(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, into r: inout FramedMessageReader, direction: Direction,
        context: inout InspectionContext
    ) {
        guard !r.stopped else { return }
        guard let unread = r.unread(bytes.count, at: offset, maxDepth: maxDepth, context: &context) else { return }
        var i = unread.lowerBound
        let n = unread.upperBound
        while i < n && !r.stopped && !isDone {
            if !r.inBody {
                var need = headerSize(direction, header: r.header, have: r.headerHave)
                while r.headerHave < need && i < n {
                    r.header = r.header << 8 | UInt64(bytes[i])
                    r.headerHave += 1
                    i += 1
                    need = headerSize(direction, header: r.header, have: r.headerHave)
                }
                guard r.headerHave == need else { break }
                guard let length = bodyLength(header: r.header, direction: direction), length >= 0 else {
                    r.stop(&context)
                    break
                }
                r.inBody = true
                r.bodyLength = length
                r.bodyRemaining = length
                if length > Self.maxMessage {
                    oversizedMessages &+= 1
                    context.counters.cleartextOversizedMessages &+= 1
                    r.skipping = true
                }
            }
            let available = n - i
            if r.bodyRemaining == r.bodyLength && !r.skipping && available >= r.bodyLength {
                // The whole body is in this chunk: read in place.
                let body = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + r.bodyLength)])
                i += r.bodyLength
                let header = r.header
                r.endMessage(&context)
                if !message(header: header, body: body, skipped: false, direction: direction, context: &context) {
                    r.stop(&context)
                }
                continue
            }
            let take = min(available, r.bodyRemaining)
            if !r.skipping && r.charged == 0 && r.bodyLength > 0 {
                if context.reserve(r.bodyLength) {
                    r.charged = r.bodyLength
                    r.held.reserveCapacity(r.bodyLength)
                } else {
                    r.skipping = true  // counted by the context
                }
            }
            if !r.skipping { r.held.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)])) }
            i += take
            r.bodyRemaining -= take
            guard r.bodyRemaining == 0 else { break }
            let header = r.header
            let skipped = r.skipping
            // Moved out for the call (a swap, no copy), then back to keep its capacity.
            var held: [UInt8] = []
            swap(&held, &r.held)
            let keep = held.withUnsafeBytes {
                message(header: header, body: skipped ? UnsafeRawBufferPointer(rebasing: $0[0..<0]) : $0,
                        skipped: skipped, direction: direction, context: &context)
            }
            swap(&held, &r.held)
            r.endMessage(&context)
            if !keep { r.stop(&context) }
        }
        if r.expectedOffset >= maxDepth && !r.stopped { r.stop(&context) }
    }
}

/// Small byte tests over a message body, read in place.
extension UnsafeRawBufferPointer {
    /// Index of the first NUL at or after `start`, or nil.
    func nul(from start: Int) -> Int? {
        var k = start
        while k < count {
            if self[k] == 0 { return k }
            k += 1
        }
        return nil
    }

    /// The bytes without a final CR (a line cut at its LF).
    func droppingCR() -> UnsafeRawBufferPointer {
        count > 0 && self[count - 1] == 0x0d ? UnsafeRawBufferPointer(rebasing: self[0..<(count - 1)]) : self
    }

    /// UTF-16LE text (UCS-2 in older protocols: TDS, SMB, NTLM) as UTF-8, so
    /// a name or password reads the same as in other protocols. An odd last
    /// byte is dropped.
    func utf8FromUTF16LE() -> [UInt8] {
        let units = stride(from: 0, to: count - 1, by: 2).map { UInt16(self[$0]) | UInt16(self[$0 + 1]) << 8 }
        return Array(String(decoding: units, as: UTF16.self).utf8)
    }

    /// `start..<end` holds exactly `text` (exact case).
    func bytesEqual(_ start: Int, _ end: Int, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard start >= 0, end <= count, end - start == n else { return false }
        let t = text.utf8Start
        for k in 0..<n where self[start + k] != t[k] { return false }
        return true
    }

    /// An unsigned integer in 7-bit groups, least significant first, the high
    /// bit saying another byte follows (MQTT's Variable Byte Integer, Kafka's
    /// unsigned varint), at most `maxBytes` long: its value and the index after it.
    func base128(at k: Int, maxBytes: Int) -> (Int, Int)? {
        var value = 0
        var i = k
        for group in 0..<maxBytes {
            guard i >= 0, i < count else { return nil }
            let byte = Int(self[i])
            i += 1
            value |= (byte & 0x7f) << (7 * group)
            if byte & 0x80 == 0 { return (value, i) }
        }
        return nil
    }

    func uint16BE(at k: Int) -> UInt16? {
        guard k >= 0, k + 2 <= count else { return nil }
        return UInt16(self[k]) << 8 | UInt16(self[k + 1])
    }

    func uint32BE(at k: Int) -> UInt32? {
        guard k >= 0, k + 4 <= count else { return nil }
        return UInt32(self[k]) << 24 | UInt32(self[k + 1]) << 16 | UInt32(self[k + 2]) << 8 | UInt32(self[k + 3])
    }

    func uint32LE(at k: Int) -> UInt32? {
        guard k >= 0, k + 4 <= count else { return nil }
        return UInt32(self[k]) | UInt32(self[k + 1]) << 8 | UInt32(self[k + 2]) << 16 | UInt32(self[k + 3]) << 24
    }
}
