import Flows

/// The messages of one direction of a gRPC or gRPC-Web call, each delivered
/// as a `grpc-message` stream. gRPC frames each message as a
/// Length-Prefixed-Message: a flags byte, a 4-byte big-endian length, then
/// the message; flag bit 0 says the message is compressed as the call's
/// `grpc-encoding` says (gzip, deflate, zstd undone; others, such as
/// `snappy`, left undelivered and counted as `unsupported_codings`).
/// gRPC-Web (PROTOCOL-WEB.md) frames its trailers the same way, with flag
/// bit 7 (`grpc-status: 0` lines, delivered like a message), and
/// `application/grpc-web-text` sends the whole framing base64-encoded, in
/// pieces that may each end in padding.
///
/// Reading message by message rather than scanning the wire: a value split
/// across two HTTP/2 DATA frames (16 KiB each by default), or written in
/// base64, is whole in the message; two messages are never joined into one
/// value. Each message is an `HTTPBodyDecoder` of its own (the caps, the
/// budget and the slicing of a compressed body); uncompressed messages are
/// passed on in place. Prefixes are read a byte at a time, nothing is copied.
///
/// A class: it holds a message's whole decoder, and the body that holds it
/// (`HTTPBodyContent`, in every HTTP message reader) stays small to move.
final class GRPCMessageReader {
    private let coding: HTTPContentCoding
    private let direction: Direction
    /// `application/grpc-web-text`: the base64 decoder in front of the framing.
    private var text: TransferDecoder?
    /// Bytes of the current message's prefix read (5: the message follows).
    private var prefixRead = 0
    private var compressed = false
    private var length: UInt32 = 0
    /// Bytes of the current message still to come.
    private var left = 0
    /// The current message's decoder (nil: the budget refused it, or its
    /// compression is not one PlainSight undoes).
    private var message: HTTPBodyDecoder?
    /// Of the last bytes fed, how many from the front were framing or reached a message's stream.
    private var delivered = 0
    private var deliveringAll = true

    /// `encoding`: the call's `grpc-encoding`; `base64`: gRPC-Web text.
    init(encoding: HTTPContentCoding, base64: Bool, direction: Direction) {
        coding = encoding
        text = base64 ? TransferDecoder(.base64) : nil
        self.direction = direction
    }

    /// How many of the `n` body bytes just fed the messages took, from the
    /// front, so that the raw scan may skip them (base64 text: all or none).
    func wireDecoded(of n: Int) -> Int { min(delivered, n) }

    /// Body bytes (DATA frame payloads, a de-chunked HTTP/1 body) in order.
    func feed(_ bytes: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext) {
        delivered = 0
        deliveringAll = true
        guard var text else { return read(bytes, ids: &ids, &context) }
        // Decoded through a stack buffer (base64 is 3/4 of its input).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TransferDecoder.slice + 4) { out in
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + TransferDecoder.slice)
                let n = text.decode(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), into: out)
                read(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[..<n]), ids: &ids, &context)
                start = end
            }
        }
        self.text = text
        delivered = deliveringAll ? bytes.count : 0
    }

    private func read(_ bytes: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext) {
        var i = 0
        while i < bytes.count {
            if prefixRead < 5 {
                let b = bytes[i]
                i += 1
                if prefixRead == 0 { compressed = b & 1 != 0 } else { length = length << 8 | UInt32(b) }
                prefixRead += 1
                if deliveringAll { delivered += 1 }
                if prefixRead == 5 { startMessage(ids: &ids, &context) }
                continue
            }
            let n = min(left, bytes.count - i)
            if message != nil {
                message!.feed(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]), ids: &ids, &context)
                // Compressed bytes read raw are noise: they count as taken
                // even past the stream's end (a plain message's stop here).
                let taken = compressed ? n : message!.wireDecoded(of: n)
                if deliveringAll { delivered += taken }
                if taken < n { deliveringAll = false }
            } else {
                deliveringAll = false
            }
            i += n
            left -= n
            if left == 0 { endMessage(complete: true, ids: &ids, &context) }
        }
    }

    private func startMessage(ids: inout UInt32, _ context: inout InspectionContext) {
        left = Int(length)
        // A message flagged compressed in a call without `grpc-encoding`
        // breaks the protocol (gRPC answers INTERNAL): not delivered.
        if !compressed || coding != .identity {
            message = HTTPBodyDecoder(
                kind: .grpcMessage, direction: direction, contentType: [], coding: compressed ? coding : .identity,
                ids: &ids, context: &context)
        }
        if left == 0 { endMessage(complete: true, ids: &ids, &context) }
    }

    private func endMessage(complete: Bool, ids: inout UInt32, _ context: inout InspectionContext) {
        message?.finish(complete: complete, ids: &ids, &context)
        message = nil
        prefixRead = 0
        length = 0
    }

    /// The body ended (END_STREAM, trailers, the end of an HTTP/1 body) or
    /// was reset: a message still being read ends incomplete.
    func finish(ids: inout UInt32, _ context: inout InspectionContext) {
        endMessage(complete: false, ids: &ids, &context)
    }

    /// The direction stopped: the message being read ends incomplete.
    func abandon(_ context: inout InspectionContext) {
        message?.abandon(&context)
        message = nil
    }
}
