import CZlib

/// Incremental gzip / zlib / raw-deflate decompression with the system zlib,
/// for HTTP `Content-Encoding: gzip` and `deflate` (RFC 9110 §8.4.1).
///
/// Input is given a chunk at a time (`setInput`), then `step()` is called
/// until it asks for more: each step inflates into one fixed output buffer
/// and returns a view of what it produced (valid until the next step). The
/// z_stream and the buffer live at fixed addresses (zlib checks that its
/// stream does not move) and are freed with the object; what they cost is
/// `Inflater.charge`, which the owner reserves from the context's budget.
final class Inflater {
    enum Format {
        /// RFC 1952 (`gzip`, `x-gzip`).
        case gzip
        /// RFC 1950 (`deflate` as specified) or raw RFC 1951 (`deflate` as many
        /// servers send it): told apart by the first byte.
        case deflate
    }

    enum Step {
        /// The input is used up: give the next chunk.
        case needInput
        /// The output buffer filled: step again.
        case moreOutput
        /// The compressed stream ended (bytes after it are ignored).
        case end
        /// Not valid compressed data.
        case corrupt
    }

    static let outputSize = 8 << 10
    /// Bytes an inflater holds: the output buffer, zlib's state and its 32 KiB window.
    static let charge = outputSize + (40 << 10)

    let format: Format
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutablePointer<UInt8>
    private var initialized = false
    private(set) var finished = false

    init(format: Format) {
        self.format = format
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(capacity: Inflater.outputSize)
    }

    deinit {
        if initialized { inflateEnd(stream) }
        stream.deallocate()
        output.deallocate()
    }

    /// Compressed bytes read and decompressed bytes produced so far.
    var totalIn: UInt64 { UInt64(stream.pointee.total_in) }
    var totalOut: UInt64 { UInt64(stream.pointee.total_out) }

    /// The next compressed bytes; they must stay valid until `step()` answers `.needInput`.
    /// False when zlib could not start (the body is not decoded).
    func setInput(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        if !initialized {
            // gzip: 16 + 15; zlib: 15; raw deflate: -15 (zlib's windowBits convention).
            // A zlib header's first byte is CM = 8 with CINFO <= 7 (RFC 1950 §2.2).
            let first = base.load(as: UInt8.self)
            let bits: Int32 = format == .gzip ? 31 : (first & 0x0f == 8 && first >> 4 <= 7) ? 15 : -15
            guard inflateInit2_(stream, bits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                return false
            }
            initialized = true
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(bytes.count)
        return true
    }

    /// Inflates what it can into the output buffer.
    func step() -> (produced: UnsafeRawBufferPointer, Step) {
        guard initialized, !finished else { return (UnsafeRawBufferPointer(start: nil, count: 0), finished ? .end : .needInput) }
        stream.pointee.next_out = output
        stream.pointee.avail_out = uInt(Inflater.outputSize)
        let rc = inflate(stream, Z_NO_FLUSH)
        let produced = UnsafeRawBufferPointer(start: output, count: Inflater.outputSize - Int(stream.pointee.avail_out))
        switch rc {
        case Z_STREAM_END:
            finished = true
            stream.pointee.avail_in = 0
            return (produced, .end)
        case Z_OK:
            return (produced, stream.pointee.avail_out == 0 ? .moreOutput : .needInput)
        case Z_BUF_ERROR:
            return (produced, .needInput)  // no progress without more input
        default:
            return (produced, .corrupt)
        }
    }
}
