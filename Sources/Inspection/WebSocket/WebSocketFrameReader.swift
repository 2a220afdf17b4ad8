import Flows

/// One direction of a WebSocket connection, read frame by frame (RFC 6455
/// §5.2): a 2-byte header (FIN, RSV1-3, opcode; MASK and a 7-bit length),
/// a 16- or 64-bit length when the 7 bits say 126 or 127, the 4-byte masking
/// key when MASK is set, then the payload. The header is read a byte at a
/// time, so any segmentation reads the same frames; nothing is copied but
/// masked payload, unmasked through a stack buffer.
///
/// Data frames make messages: a text (1) or binary (2) frame starts one,
/// continuation frames (0) add to it, FIN ends it; control frames (close,
/// ping, pong) may come between fragments and are not delivered. A message
/// whose first frame sets RSV1 is compressed (permessage-deflate, RFC 7692
/// §7.2.2): its payload is raw DEFLATE cut after a sync flush, inflated by
/// one decompressor per direction that keeps its window from message to
/// message (the default "context takeover"), with the flush's empty block
/// (`00 00 FF FF`) the sender removed added back at the message's end. A
/// message that ends with a final block (allowed, RFC 7692 §7.2.3.5) ends
/// there (its remaining bytes are ignored), and the next compressed message
/// starts a new stream with the window kept. A decompressor that lost its
/// window (corrupt data) is replaced; a later message that refers back into
/// the old window fails and is counted, one that does not
/// (`no_context_takeover`) decodes.
///
/// Caps: a message's stream stops at `ContentLimits.maxDecodedBytes`
/// (the inflating goes on, undelivered, to keep the window); a message may
/// inflate to `ContentLimits.maxRatio` times the payload its frames announced
/// so far (at least `ratioFloor`), and past that inflating stops for the
/// direction: the announced lengths, not where the segments end, set the
/// cut, so it is the same however the bytes arrive. The decompressor is
/// charged to the context's budget (refused: compressed messages are not
/// delivered).
///
/// The raw scan skips what it could only misread or what reached the
/// scanner decoded: frame headers, masked payload, the payload of a
/// compressed message being inflated, and payload delivered as sent; it
/// reads the rest (an unmasked server's control frames, an uncompressed
/// message past its cap, a message of an extension not undone).
///
/// When the connection carries a protocol whose logins PlainSight reads (the
/// `101` chose `mqtt` or a STOMP version as its subprotocol), the payload of
/// the messages, one after the other, is that protocol's byte stream (MQTT
/// 3.1.1 and 5.0 §6: binary messages only, a packet may span messages and a
/// message hold several; STOMP: text or binary, a frame or more per
/// message): it goes to `inner` as well, at offsets of its own.
struct WebSocketFrameReader: DirectionReader {
    var expectedOffset: UInt64 = 0
    private(set) var stopped = false
    /// The login reader of the protocol inside, shared by both directions.
    var inner: CleartextAnalyzer?
    /// `inner` reads text messages too (STOMP), not only binary ones (MQTT).
    var innerReadsText = false
    /// `inner` answered `.done` to this direction's bytes.
    private(set) var innerDone = false
    /// Bytes of a message meant for `inner` were not decoded: its stream has a
    /// hole, told to it as a gap; nothing more goes to it from this direction.
    private var innerLost = false
    /// Bytes of this direction given to `inner`.
    private var innerOffset: UInt64 = 0

    // The frame header being read.
    private var headerRead = 0
    private var headerSize = 2
    /// FIN, RSV1-3 and the opcode.
    private var first: UInt8 = 0
    private var masked = false
    private var length: UInt64 = 0
    /// The masking key, its first byte in the high bits.
    private var mask: UInt32 = 0

    // The frame's payload.
    private var payloadLeft: UInt64 = 0
    /// Payload bytes read: where the next one is in the 4-byte masking cycle.
    private var payloadRead: UInt64 = 0

    // The message the data frames make.
    private var inMessage = false
    /// The message's first frame set an RSV bit (RSV1: compressed).
    private var messageRSV: UInt8 = 0
    /// The message is decoded: for the content stage, for `inner`, or both.
    private var decoding = false
    /// Its bytes go to `inner` too.
    private var toInner = false
    /// Its stream, with the content stage.
    private var message: ContentStream?
    private var inflater: Decompressor?
    /// Inflating stopped for good (the ratio cap).
    private var inflating = true
    /// The compressed stream ended with a final block inside this message:
    /// its remaining bytes are ignored, the next message restarts it.
    private var deflateEnded = false
    /// Payload the compressed message's frames announced, and what it inflated to (the ratio cap).
    private var messageIn: UInt64 = 0
    private var messageOut: UInt64 = 0

    /// The 4 bytes a sender removes from the end of each compressed message (RFC 7692 §7.2.1).
    private static let flushTail: [UInt8] = [0x00, 0x00, 0xff, 0xff]
    private static let unmaskSlice = 2048

    private var opcode: UInt8 { first & 0x0f }
    private var fin: Bool { first & 0x80 != 0 }
    private var rsv: UInt8 { first >> 4 & 0x07 }
    private var isControl: Bool { opcode & 0x08 != 0 }

    /// `bytes`, the next of the direction, the first at stream `offset`.
    mutating func read(
        _ bytes: UnsafeRawBufferPointer, at offset: UInt64, direction: Direction, deflate: Bool, ids: inout UInt32,
        context: inout InspectionContext
    ) {
        var i = 0
        while i < bytes.count && !stopped {
            if headerRead < headerSize {
                context.decodes(from: offset + UInt64(i), count: 1)
                header(bytes[i])
                i += 1
                if headerRead == headerSize {
                    startFrame(direction: direction, deflate: deflate, ids: &ids, context: &context)
                    if !stopped && payloadLeft == 0 { endFrame(direction: direction, context: &context) }
                }
                continue
            }
            let n = Int(min(payloadLeft, UInt64(bytes.count - i)))
            payload(
                UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]), at: offset + UInt64(i), direction: direction,
                context: &context)
            i += n
            payloadLeft -= UInt64(n)
            if payloadLeft == 0 { endFrame(direction: direction, context: &context) }
        }
    }

    private mutating func header(_ b: UInt8) {
        switch headerRead {
        case 0:
            first = b
        case 1:
            masked = b & 0x80 != 0
            let lengthCode = b & 0x7f
            length = lengthCode < 126 ? UInt64(lengthCode) : 0
            headerSize = 2 + (lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0) + (masked ? 4 : 0)
        case 2..<(headerSize - (masked ? 4 : 0)):
            length = length << 8 | UInt64(b)
        default:
            mask = mask << 8 | UInt32(b)
        }
        headerRead += 1
    }

    /// The header is read: checks the framing rules and opens or continues the message.
    private mutating func startFrame(
        direction: Direction, deflate: Bool, ids: inout UInt32, context: inout InspectionContext
    ) {
        payloadLeft = length
        payloadRead = 0
        // A 64-bit length has its top bit clear (§5.2); opcodes 3-7 and 11-15 are
        // reserved; a control frame is whole (FIN), short and uncompressed (§5.5);
        // a continuation continues a message, a text or binary frame starts one (§5.4).
        // RSV1 is a compressed message's first frame's only (RFC 7692 §6.1).
        let wellFormed: Bool
        switch opcode {
        case 0: wellFormed = inMessage && !(deflate && rsv & 0b100 != 0)
        case 1, 2: wellFormed = !inMessage
        case 8, 9, 10: wellFormed = fin && length <= 125 && rsv == 0
        default: wellFormed = false
        }
        guard wellFormed && length >> 63 == 0 else {
            context.counters.webSocketMalformed &+= 1
            return stop(&context)
        }
        if opcode == 0 && rsv != 0 && decoding {
            // An extension's bit on a later fragment: what follows is not undone.
            context.counters.content.unsupportedCodings &+= 1
            message?.finish(complete: false, &context)
            message = nil
            decoding = false
            loseInner(direction: direction, context: &context)
        }
        // Lengths are announced by the peer: the sum saturates (the ratio cap then allows everything left).
        if opcode == 0 && messageRSV != 0 { messageIn = WebSocketFrameReader.saturatingSum(messageIn, length) }
        guard !isControl && opcode != 0 else { return }
        inMessage = true
        messageRSV = rsv
        toInner = inner != nil && !innerLost && (opcode == 2 || innerReadsText)
        decoding = false
        (messageIn, messageOut) = (length, 0)
        // With a protocol inside, every message is inflated (a later one may refer back into it).
        guard context.wantsContent || inner != nil else { return }
        // RSV1 without permessage-deflate, or RSV2/RSV3: an extension PlainSight does not undo.
        if rsv & 0b011 != 0 || (rsv != 0 && !deflate) {
            context.counters.content.unsupportedCodings &+= 1
            return loseInner(direction: direction, context: &context)
        }
        if rsv != 0 && inflater == nil {
            guard inflating, context.reserve(Decompressor.initialCharge) else {
                return loseInner(direction: direction, context: &context)
            }
            inflater = Decompressor(format: .rawDeflate)
        } else if rsv != 0 && deflateEnded {
            deflateEnded = false
            guard inflater!.restartKeepingWindow() else {
                context.counters.content.corruptCompressed &+= 1
                return dropInflater(direction: direction, context: &context)
            }
        }
        decoding = true
        if context.wantsContent {
            message = ContentStream(kind: .webSocketMessage, direction: direction, id: ids)
            ids &+= 1
        }
    }

    /// Payload bytes of the current frame, the first at stream `offset`.
    private mutating func payload(
        _ bytes: UnsafeRawBufferPointer, at offset: UInt64, direction: Direction, context: inout InspectionContext
    ) {
        let data = !isControl
        let compressed = data && messageRSV != 0
        // What the raw scan skips: noise to it, or bytes the message delivers as sent.
        if masked || (compressed && decoding) {
            context.decodes(from: offset, count: bytes.count)
        } else if data && decoding, let message, message.open {
            let room = ContentLimits.maxDecodedBytes - message.offset
            context.decodes(from: offset, count: Int(min(UInt64(bytes.count), room)))
        }
        guard data && decoding else { return }
        guard masked else { return deliver(bytes, compressed: compressed, direction: direction, context: &context) }
        withUnsafeTemporaryAllocation(byteCount: WebSocketFrameReader.unmaskSlice, alignment: 4) { scratch in
            var start = 0
            while start < bytes.count {
                let n = min(WebSocketFrameReader.unmaskSlice, bytes.count - start)
                for k in 0..<n {
                    let keyByte = UInt8(truncatingIfNeeded: mask >> (24 - 8 * Int((payloadRead &+ UInt64(k)) & 3)))
                    scratch[k] = bytes[start + k] ^ keyByte
                }
                payloadRead &+= UInt64(n)
                deliver(
                    UnsafeRawBufferPointer(rebasing: scratch[..<n]), compressed: compressed, direction: direction,
                    context: &context)
                start += n
            }
        }
    }

    /// Unmasked message bytes: passed on as they are, or inflated.
    private mutating func deliver(
        _ bytes: UnsafeRawBufferPointer, compressed: Bool, direction: Direction, context: inout InspectionContext
    ) {
        guard compressed else { return decoded(bytes, direction: direction, context: &context) }
        guard let inflater, !deflateEnded else { return }
        guard inflater.setInput(bytes) else {
            context.counters.content.corruptCompressed &+= 1
            return dropInflater(direction: direction, context: &context)
        }
        inflate(inflater, direction: direction, context: &context)
    }

    /// The message's bytes as sent: to its stream while it is open, and to
    /// the protocol inside.
    private mutating func decoded(_ bytes: UnsafeRawBufferPointer, direction: Direction, context: inout InspectionContext) {
        message?.write(bytes, &context)
        guard toInner, let inner, !bytes.isEmpty else { return }
        if inner.ingest(bytes, direction: direction, offset: innerOffset, context: &context) == .done { innerDone = true }
        innerOffset += UInt64(bytes.count)
    }

    /// Steps the decompressor until it needs input; its output is the
    /// message's, up to what the message may inflate to.
    private mutating func inflate(_ inflater: Decompressor, direction: Direction, context: inout InspectionContext) {
        while true {
            let (produced, step) = inflater.step()
            let (product, overflow) = ContentLimits.maxRatio.multipliedReportingOverflow(by: messageIn)
            let allowed = overflow ? .max : max(ContentLimits.ratioFloor, product)
            let room = allowed - messageOut
            guard UInt64(produced.count) <= room else {
                decoded(UnsafeRawBufferPointer(rebasing: produced[..<Int(room)]), direction: direction, context: &context)
                context.counters.content.ratioCapHits &+= 1
                inflating = false
                return dropInflater(direction: direction, context: &context)
            }
            messageOut += UInt64(produced.count)
            decoded(produced, direction: direction, context: &context)
            switch step {
            case .moreOutput: continue
            case .needInput: return
            case .end:
                deflateEnded = true  // a final block: the message's remaining bytes are ignored
                return
            case .corrupt, .memoryCap:
                context.counters.content.corruptCompressed &+= 1
                return dropInflater(direction: direction, context: &context)
            }
        }
    }

    /// The direction's decompressor goes; the message being inflated ends,
    /// cut short (a hole for `inner`), and its budget returns.
    private mutating func dropInflater(direction: Direction, context: inout InspectionContext) {
        guard inflater != nil else { return }
        inflater = nil
        deflateEnded = false
        context.release(Decompressor.initialCharge)
        message?.finish(complete: false, &context)
        message = nil
        decoding = false
        loseInner(direction: direction, context: &context)
    }

    /// A message meant for `inner` is not decoded, or not all of it: the
    /// protocol's stream has a hole there (MQTT and STOMP frames would be
    /// stitched across it), so `inner` hears of a gap and gets nothing more.
    private mutating func loseInner(direction: Direction, context: inout InspectionContext) {
        guard toInner, !innerLost, let inner else { return }
        innerLost = true
        toInner = false
        if inner.gap(direction: direction, offset: innerOffset, length: 1, context: &context) == .done { innerDone = true }
    }

    static func saturatingSum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    private mutating func endFrame(direction: Direction, context: inout InspectionContext) {
        headerRead = 0
        headerSize = 2
        mask = 0
        guard !isControl && fin else { return }
        // The message ends: a compressed one with its flush block added back.
        if messageRSV != 0, decoding, !deflateEnded, let inflater {
            WebSocketFrameReader.flushTail.withUnsafeBytes { tail in
                if inflater.setInput(tail) { inflate(inflater, direction: direction, context: &context) }
            }
        }
        message?.finish(complete: true, &context)
        message = nil
        decoding = false
        inMessage = false
    }

    /// Nothing more is read: the message being read ends incomplete, the
    /// decompressor's budget returns (`inner` is ended by the analyzer).
    mutating func stop(_ context: inout InspectionContext) {
        message?.finish(complete: false, &context)
        message = nil
        decoding = false
        if inflater != nil {
            inflater = nil
            context.release(Decompressor.initialCharge)
        }
        inMessage = false
        stopped = true
    }
}
