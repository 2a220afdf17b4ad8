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
/// sender that ends a message with a final block starts the next from an
/// empty window: the decompressor is replaced. One that loses its window (corrupt
/// data) is replaced too; a later message that refers back into the old window
/// fails and is counted, one that does not (`no_context_takeover`) decodes.
///
/// Caps: a message's stream stops at `ContentLimits.maxDecodedBytes`
/// (the inflating goes on, undelivered, to keep the window); inflating stops
/// for the direction once its output passes `ContentLimits.maxRatio` times
/// its input (past `ratioFloor`). The decompressor is charged to the
/// context's budget (refused: compressed messages are not delivered).
///
/// The raw scan skips what it could only misread or what reached the
/// scanner decoded: frame headers, masked or compressed payload, and
/// payload delivered as sent; it reads the rest (an unmasked server's
/// control frames, an uncompressed message past its cap).
struct WebSocketFrameReader: DirectionReader {
    var expectedOffset: UInt64 = 0
    private(set) var stopped = false

    // The frame header being read.
    private var headerRead = 0
    private var headerSize = 2
    /// FIN, RSV1-3 and the opcode.
    private var first: UInt8 = 0
    private var masked = false
    private var lengthCode: UInt8 = 0
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
    private var message: ContentStream?
    private var inflater: Decompressor?
    /// Inflating stopped for good (the ratio cap).
    private var inflating = true

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
                    if !stopped && payloadLeft == 0 { endFrame(&context) }
                }
                continue
            }
            let n = Int(min(payloadLeft, UInt64(bytes.count - i)))
            payload(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]), at: offset + UInt64(i), context: &context)
            i += n
            payloadLeft -= UInt64(n)
            if payloadLeft == 0 { endFrame(&context) }
        }
    }

    private mutating func header(_ b: UInt8) {
        switch headerRead {
        case 0:
            first = b
        case 1:
            masked = b & 0x80 != 0
            lengthCode = b & 0x7f
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
        let wellFormed: Bool
        switch opcode {
        case 0: wellFormed = inMessage
        case 1, 2: wellFormed = !inMessage
        case 8, 9, 10: wellFormed = fin && length <= 125 && rsv == 0
        default: wellFormed = false
        }
        guard wellFormed && length >> 63 == 0 else {
            context.counters.webSocketMalformed &+= 1
            return stop(&context)
        }
        guard !isControl && opcode != 0 else { return }
        inMessage = true
        messageRSV = rsv
        // RSV1 without permessage-deflate, or RSV2/RSV3: an extension PlainSight does not undo.
        if rsv & 0b011 != 0 || (rsv != 0 && !deflate) {
            context.counters.content.unsupportedCodings &+= 1
            return
        }
        if rsv != 0 && inflater == nil {
            guard inflating, context.reserve(Decompressor.initialCharge) else { return }
            inflater = Decompressor(format: .rawDeflate)
        }
        message = ContentStream(kind: .webSocketMessage, direction: direction, id: ids)
        ids &+= 1
    }

    /// Payload bytes of the current frame, the first at stream `offset`.
    private mutating func payload(_ bytes: UnsafeRawBufferPointer, at offset: UInt64, context: inout InspectionContext) {
        let data = !isControl
        let compressed = data && messageRSV != 0
        // What the raw scan skips: noise to it, or bytes the message delivers as sent.
        if masked || compressed {
            context.decodes(from: offset, count: bytes.count)
        } else if data, let message, message.open {
            let room = ContentLimits.maxDecodedBytes - message.offset
            context.decodes(from: offset, count: Int(min(UInt64(bytes.count), room)))
        }
        guard data && message != nil else { return }
        guard masked else { return deliver(bytes, compressed: compressed, context: &context) }
        withUnsafeTemporaryAllocation(byteCount: WebSocketFrameReader.unmaskSlice, alignment: 4) { scratch in
            var start = 0
            while start < bytes.count {
                let n = min(WebSocketFrameReader.unmaskSlice, bytes.count - start)
                for k in 0..<n {
                    let keyByte = UInt8(truncatingIfNeeded: mask >> (24 - 8 * Int((payloadRead &+ UInt64(k)) & 3)))
                    scratch[k] = bytes[start + k] ^ keyByte
                }
                payloadRead &+= UInt64(n)
                deliver(UnsafeRawBufferPointer(rebasing: scratch[..<n]), compressed: compressed, context: &context)
                start += n
            }
        }
    }

    /// Unmasked message bytes: written as they are, or inflated.
    private mutating func deliver(_ bytes: UnsafeRawBufferPointer, compressed: Bool, context: inout InspectionContext) {
        guard compressed else { return message?.write(bytes, &context) ?? () }
        guard let inflater else { return }
        guard inflater.setInput(bytes) else {
            context.counters.content.corruptCompressed &+= 1
            return dropInflater(&context)
        }
        inflate(inflater, context: &context)
    }

    /// Steps the decompressor until it needs input; its output goes to the
    /// message while the message's stream is open.
    private mutating func inflate(_ inflater: Decompressor, context: inout InspectionContext) {
        while true {
            let (produced, step) = inflater.step()
            message?.write(produced, &context)
            if inflater.totalOut > ContentLimits.ratioFloor && inflater.totalOut > ContentLimits.maxRatio * inflater.totalIn {
                context.counters.content.ratioCapHits &+= 1
                inflating = false
                return dropInflater(&context)
            }
            switch step {
            case .moreOutput: continue
            case .needInput: return
            case .end:
                // A final block: the sender starts its next message afresh. What follows in this one is ignored.
                dropInflater(&context, complete: true)
                return
            case .corrupt, .memoryCap:
                context.counters.content.corruptCompressed &+= 1
                return dropInflater(&context)
            }
        }
    }

    /// The direction's decompressor goes; the message being inflated ends
    /// (complete when its stream ended, else cut short), its budget returns.
    private mutating func dropInflater(_ context: inout InspectionContext, complete: Bool = false) {
        guard inflater != nil else { return }
        inflater = nil
        context.release(Decompressor.initialCharge)
        message?.finish(complete: complete, &context)
        message = nil
    }

    private mutating func endFrame(_ context: inout InspectionContext) {
        headerRead = 0
        headerSize = 2
        mask = 0
        guard !isControl && fin else { return }
        // The message ends: a compressed one with its flush block added back.
        if messageRSV != 0, message != nil, let inflater {
            WebSocketFrameReader.flushTail.withUnsafeBytes { tail in
                if inflater.setInput(tail) { inflate(inflater, context: &context) }
            }
        }
        message?.finish(complete: true, &context)
        message = nil
        inMessage = false
    }

    /// Nothing more is read: the message being read ends incomplete, the decompressor's budget returns.
    mutating func stop(_ context: inout InspectionContext) {
        message?.finish(complete: false, &context)
        message = nil
        if inflater != nil {
            inflater = nil
            context.release(Decompressor.initialCharge)
        }
        inMessage = false
        stopped = true
    }
}
