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
/// The raw scan skips the wire bytes of a binary body that reached the
/// scanner decoded — the prefixes, and each message's bytes its decoder
/// took — and reads the rest:
/// a message not delivered (its coding not undone, the budget full), bytes
/// after a cap or corrupt compressed data, or past a compressed stream's end.
/// A text body is read raw as well (base64 read raw finds nothing, and
/// skipping it would lose a value that a body that is not base64 after all —
/// an error page — holds across its first stray byte); such a body is
/// decoded up to that byte, not past it.
///
/// A class: it holds a message's whole decoder, and the body that holds it
/// (`HTTPBodyContent`, in every HTTP message reader) stays small to move.
final class GRPCMessageReader {
    private let coding: HTTPContentCoding
    private let direction: Direction
    /// `application/grpc-web-text`: the base64 decoder in front of the framing.
    private var text: TransferDecoder?
    /// The text body held a byte outside base64: nothing more is decoded.
    private var notBase64 = false
    /// Bytes of the current message's prefix read (5: the message follows).
    private var prefixRead = 0
    private var compressed = false
    private var length: UInt32 = 0
    /// Bytes of the current message still to come.
    private var left = 0
    /// The current message's decoder (nil: the budget refused it, or its
    /// compression is not one PlainSight undoes).
    private var message: HTTPBodyDecoder?

    /// `encoding`: the call's `grpc-encoding`; `base64`: gRPC-Web text.
    init(encoding: HTTPContentCoding, base64: Bool, direction: Direction) {
        coding = encoding
        text = base64 ? TransferDecoder(.base64) : nil
        self.direction = direction
    }

    /// Body bytes (DATA frame payloads, a de-chunked HTTP/1 body) in order,
    /// the first at stream offset `offset`; marks what the raw scan skips.
    func feed(_ bytes: UnsafeRawBufferPointer, at offset: UInt64, ids: inout UInt32, _ context: inout InspectionContext) {
        guard var text else { return read(bytes, at: offset, ids: &ids, &context) }
        guard !notBase64 else { return }
        // Up to the first byte outside base64, wherever the chunks are cut:
        // the same bytes are decoded for any segmentation.
        let valid = GRPCMessageReader.base64Prefix(bytes)
        // Decoded through a stack buffer (base64 is 3/4 of its input).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TransferDecoder.slice + 4) { out in
            var start = 0
            while start < valid {
                let end = min(valid, start + TransferDecoder.slice)
                let n = text.decode(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), into: out)
                read(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[..<n]), at: nil, ids: &ids, &context)
                start = end
            }
        }
        self.text = text
        if valid < bytes.count {
            notBase64 = true
            abandon(&context)
        }
    }

    /// How many bytes from the front are base64: alphabet, padding, line breaks.
    static func base64Prefix(_ bytes: UnsafeRawBufferPointer) -> Int {
        CleartextBase64.standardValues.withUnsafeBufferPointer { table in
            bytes.firstIndex { table[Int($0)] >= 64 && $0 != UInt8(ascii: "=") && $0 != 0x0d && $0 != 0x0a } ?? bytes.count
        }
    }

    /// Frames `bytes`; `offset`: their stream offset (nil: decoded text, not on the wire).
    private func read(_ bytes: UnsafeRawBufferPointer, at offset: UInt64?, ids: inout UInt32, _ context: inout InspectionContext) {
        var i = 0
        while i < bytes.count {
            if prefixRead < 5 {
                let take = min(5 - prefixRead, bytes.count - i)
                for b in bytes[i..<(i + take)] {
                    if prefixRead == 0 { compressed = b & 1 != 0 } else { length = length << 8 | UInt32(b) }
                    prefixRead += 1
                }
                if let offset { context.decodes(from: offset + UInt64(i), count: take) }
                i += take
                if prefixRead == 5 { startMessage(ids: &ids, &context) }
                continue
            }
            let n = min(left, bytes.count - i)
            var taken = 0
            if message != nil {
                message!.feed(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]), ids: &ids, &context)
                taken = message!.wireDecoded(of: n)
            }
            if let offset { context.decodes(from: offset + UInt64(i), count: taken) }
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

    /// The direction stopped (or the text is not base64): the message being read ends incomplete.
    func abandon(_ context: inout InspectionContext) {
        message?.abandon(&context)
        message = nil
    }
}
