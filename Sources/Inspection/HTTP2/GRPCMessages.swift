import Flows

/// The messages of one direction of a gRPC call whose `grpc-encoding` is one
/// PlainSight can undo (gzip, deflate, zstd). gRPC over HTTP/2 frames each
/// message as a Length-Prefixed-Message: a Compressed-Flag byte, a 4-byte
/// big-endian length, then the message; with the flag set the message is
/// compressed as `grpc-encoding` says. Each compressed message is
/// decompressed (an `HTTPBodyDecoder` of its own: the caps, the budget and
/// the slicing of a compressed body) and delivered as a `grpc-message`
/// stream. Uncompressed messages are left to the raw scan, which reads the
/// same bytes (the strings of a protobuf message are text); the compressed
/// ones' wire bytes are scanned raw too (noise to the rules). Nothing is
/// copied: prefixes are read a byte at a time, message bytes passed on.
struct GRPCMessageReader {
    private let coding: HTTPContentCoding
    private let direction: Direction
    /// Bytes of the current message's prefix read (5: the message follows).
    private var prefixRead = 0
    private var compressed = false
    private var length: UInt32 = 0
    /// Bytes of the current message still to come.
    private var left = 0
    /// The current message's decoder, when it is compressed (and the budget allowed it).
    private var message: HTTPBodyDecoder?

    /// Nil unless the call's `grpc-encoding` is one PlainSight decompresses.
    init?(encoding: HTTPContentCoding, direction: Direction) {
        switch encoding {
        case .gzip, .deflate, .zstd: break
        case .identity, .brotli, .unsupported: return nil
        }
        coding = encoding
        self.direction = direction
    }

    /// Body bytes (DATA frame payloads) in order.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext) {
        var i = 0
        while i < bytes.count {
            if prefixRead < 5 {
                let b = bytes[i]
                i += 1
                if prefixRead == 0 { compressed = b & 1 != 0 } else { length = length << 8 | UInt32(b) }
                prefixRead += 1
                if prefixRead == 5 { startMessage(ids: &ids, &context) }
                continue
            }
            let n = min(left, bytes.count - i)
            message?.feed(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]), ids: &ids, &context)
            i += n
            left -= n
            if left == 0 { endMessage(complete: true, ids: &ids, &context) }
        }
    }

    private mutating func startMessage(ids: inout UInt32, _ context: inout InspectionContext) {
        left = Int(length)
        if compressed {
            message = HTTPBodyDecoder(
                kind: .grpcMessage, direction: direction, contentType: [], coding: coding, ids: &ids, context: &context)
        }
        if left == 0 { endMessage(complete: true, ids: &ids, &context) }
    }

    private mutating func endMessage(complete: Bool, ids: inout UInt32, _ context: inout InspectionContext) {
        message?.finish(complete: complete, ids: &ids, &context)
        message = nil
        prefixRead = 0
        length = 0
    }

    /// The body ended (END_STREAM, trailers) or was reset: a message still
    /// being read ends incomplete.
    mutating func finish(ids: inout UInt32, _ context: inout InspectionContext) {
        endMessage(complete: false, ids: &ids, &context)
    }

    /// The direction stopped: the message being read ends incomplete.
    mutating func abandon(_ context: inout InspectionContext) {
        message?.abandon(&context)
        message = nil
    }
}
