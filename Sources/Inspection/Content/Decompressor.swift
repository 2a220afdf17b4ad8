import CBrotli
import CZlib
import CZstd

#if canImport(Glibc)
    import Glibc
#endif

/// Incremental decompression of an HTTP content coding (RFC 9110 §8.4.1):
/// `gzip` and `deflate` with the system zlib, `br` (RFC 7932) with libbrotli,
/// `zstd` (RFC 8878, RFC 9659) with libzstd.
///
/// Input is given a chunk at a time (`setInput`), then `step()` is called
/// until it asks for more: each step decompresses into one fixed output
/// buffer and returns a view of what it produced (valid until the next
/// step); `endInput()` at the end of the body. The library's state and the
/// buffer live at fixed addresses (zlib checks that its stream does not
/// move) and are freed with the object.
///
/// The output must not depend on where the wire cut the body: a corrupt
/// stream yields the same bytes before its error however it arrived. zlib
/// writes out as it decodes. libbrotli pushes out what its window holds
/// whenever its input runs out, and drops it on an error; libzstd does not
/// report what it wrote in a call that ends in an error. So both are given
/// whole slices of `sliceSize` compressed bytes, at the same offsets of the
/// body however it arrived (the start of a slice waits in `carry` for its
/// rest, a copy of at most 1 KiB; the last one for `endInput()`), and write
/// out what they still owe before they get the next slice: the calls into
/// the library are the same for any segmentation.
///
/// Memory: zlib holds a fixed 32 KiB window; brotli and zstd hold a window
/// the stream declares (up to 16 MiB and 2 GiB) and grow it as the output
/// needs. `footprint` is what the decompressor holds now, which its owner
/// charges to the context's budget after each step. None holds more than
/// `maxMemory`: brotli's allocations go through a counting allocator that
/// refuses past it, zstd refuses windows over 8 MiB (the limit RFC 9659 §3
/// sets for HTTP); a stream that needs more stops with `.memoryCap`.
final class Decompressor {
    enum Format {
        /// RFC 1952 (`gzip`, `x-gzip`).
        case gzip
        /// RFC 1950 (`deflate` as specified) or raw RFC 1951 (`deflate` as many
        /// servers send it): told apart by the first byte.
        case deflate
        /// Raw RFC 1951 only, whatever its first byte (WebSocket's
        /// permessage-deflate, RFC 7692 §7.2.2).
        case rawDeflate
        /// RFC 7932 (`br`).
        case brotli
        /// RFC 8878 (`zstd`).
        case zstd
    }

    enum Step {
        /// The input is used up: give the next chunk.
        case needInput
        /// The output buffer filled, or input is left: step again.
        case moreOutput
        /// The compressed stream ended (bytes after it are ignored).
        case end
        /// Not valid compressed data.
        case corrupt
        /// The stream needs more memory than `maxMemory` (a large window).
        case memoryCap
    }

    static let outputSize = 8 << 10
    /// What a decompressor is charged when it starts: the output buffer and
    /// zlib's state with its 32 KiB window (brotli and zstd are charged as they grow).
    static let initialCharge = outputSize + (40 << 10)
    /// Most a decompressor may hold: an 8 MiB window and the tables and block
    /// buffers around it.
    static let maxMemory = 9 << 20
    /// zstd windows up to 2^23 bytes (RFC 9659 §3: encoders for HTTP stay within 8 MiB).
    static let zstdWindowLog: Int32 = 23
    static let sliceSize = 1 << 10

    let format: Format
    private let output: UnsafeMutablePointer<UInt8>
    private var started = false
    private(set) var finished = false
    private(set) var totalIn: UInt64 = 0
    private(set) var totalOut: UInt64 = 0

    // The state of the one library `format` uses (set once started).
    private var zlib: UnsafeMutablePointer<z_stream>?
    private var brotli: OpaquePointer?
    /// brotli's allocations: bytes held, and whether one was refused (brotli only).
    private let brotliHeap: UnsafeMutablePointer<CountedHeap>?
    private var zstd: OpaquePointer?
    /// The compressed bytes not yet consumed (brotli, zstd; zlib keeps its own).
    private var pending = UnsafeRawBufferPointer(start: nil, count: 0)
    /// brotli, zstd: the slice being gathered, indexed from the slice's start; bytes
    /// `carryStart..<carried` are in it and not yet consumed.
    private let carry: UnsafeMutableRawBufferPointer?
    private var carryStart = 0
    private var carried = 0
    private var inputEnded = false
    /// brotli or zstd stopped with decoded bytes still to write out (the output buffer was full).
    private var owesOutput = false
    /// zstd: a frame just ended; another may follow (RFC 8878 §3), else the body ends here.
    private var frameEnded = false

    init(format: Format) {
        self.format = format
        output = .allocate(capacity: Decompressor.outputSize)
        if format == .brotli {
            let heap = UnsafeMutablePointer<CountedHeap>.allocate(capacity: 1)
            heap.initialize(to: CountedHeap(limit: Decompressor.maxMemory - Decompressor.outputSize - Decompressor.sliceSize))
            brotliHeap = heap
        } else {
            brotliHeap = nil
        }
        carry = format == .brotli || format == .zstd ? .allocate(byteCount: Decompressor.sliceSize, alignment: 1) : nil
    }

    deinit {
        if let zlib {
            inflateEnd(zlib)
            zlib.deallocate()
        }
        if let brotli { BrotliDecoderDestroyInstance(brotli) }
        if let zstd { ZSTD_freeDStream(zstd) }
        brotliHeap?.deallocate()
        carry?.deallocate()
        output.deallocate()
    }

    /// Bytes the decompressor holds now: its output buffer and the library's state.
    var footprint: Int {
        switch format {
        case .gzip, .deflate, .rawDeflate: return Decompressor.initialCharge
        case .brotli: return Decompressor.outputSize + Decompressor.sliceSize + (brotliHeap?.pointee.held ?? 0)
        case .zstd: return Decompressor.outputSize + Decompressor.sliceSize + (zstd.map { ZSTD_sizeof_DStream($0) } ?? 0)
        }
    }

    /// The next compressed bytes; they must stay valid until `step()` answers `.needInput`.
    /// False when the library could not start (the body is not decoded).
    func setInput(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        if !started {
            guard start(firstByte: base.load(as: UInt8.self)) else { return false }
            started = true
        }
        if let zlib {
            zlib.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
            zlib.pointee.avail_in = uInt(bytes.count)
        } else {
            pending = bytes
        }
        return true
    }

    /// zlib formats, after the end of a stream: the next one starts, its
    /// back-references reaching into the window the last one left (a raw
    /// DEFLATE sender that ends a message with a final block keeps its window
    /// for the next, RFC 7692 §7.2.2). False when zlib refuses.
    func restartKeepingWindow() -> Bool {
        guard let zlib else { return false }
        return withUnsafeTemporaryAllocation(of: Bytef.self, capacity: 1 << 15) { window in
            var n: uInt = 0
            guard inflateGetDictionary(zlib, window.baseAddress, &n) == Z_OK, inflateReset(zlib) == Z_OK,
                n == 0 || inflateSetDictionary(zlib, window.baseAddress, n) == Z_OK
            else { return false }
            finished = false
            return true
        }
    }

    /// Compressed bytes given and not yet consumed, held for the rest of their
    /// slice (the most recent ones): whether they are compressed data or bytes
    /// past the stream's end is not known yet.
    var heldInput: Int { carried - carryStart }

    /// The body ended: the last, shorter slice (brotli, zstd) goes in at the
    /// next steps, and a zstd body whose last frame ended is complete. True
    /// when there is something left to step through.
    func endInput() -> Bool {
        inputEnded = true
        return carried > carryStart || owesOutput || frameEnded
    }

    private func start(firstByte: UInt8) -> Bool {
        switch format {
        case .gzip, .deflate, .rawDeflate:
            // gzip: 16 + 15; zlib: 15; raw deflate: -15 (zlib's windowBits convention).
            // A zlib header's first byte is CM = 8 with CINFO <= 7 (RFC 1950 §2.2).
            let zlibHeader = firstByte & 0x0f == 8 && firstByte >> 4 <= 7
            let bits: Int32 = format == .gzip ? 31 : format == .deflate && zlibHeader ? 15 : -15
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard inflateInit2_(stream, bits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                return false
            }
            zlib = stream
        case .brotli:
            guard let brotliHeap else { return false }
            brotli = BrotliDecoderCreateInstance(
                { heap, size in heap!.assumingMemoryBound(to: CountedHeap.self).pointee.allocate(size) },
                { heap, block in heap!.assumingMemoryBound(to: CountedHeap.self).pointee.free(block) },
                UnsafeMutableRawPointer(brotliHeap))
            guard brotli != nil else { return false }
        case .zstd:
            guard let stream = ZSTD_createDStream() else { return false }
            zstd = stream
            guard ZSTD_isError(ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, Decompressor.zstdWindowLog)) == 0
            else { return false }
        }
        return true
    }

    /// Decompresses what it can into the output buffer.
    func step() -> (produced: UnsafeRawBufferPointer, Step) {
        guard started, !finished else { return (UnsafeRawBufferPointer(start: nil, count: 0), finished ? .end : .needInput) }
        var (count, step): (Int, Step) = (0, .corrupt)
        if let zlib {
            (count, step) = stepZlib(zlib)
        } else {
            // Write out what the library still owes before giving it the next slice.
            var input = UnsafeRawBufferPointer(start: nil, count: 0)
            if !owesOutput {
                guard let slice = nextSlice() else {
                    if inputEnded && frameEnded { finished = true }
                    return (UnsafeRawBufferPointer(start: nil, count: 0), finished ? .end : .needInput)
                }
                input = slice
            }
            let used: Int
            if let brotli {
                (count, step, used) = stepBrotli(brotli, input)
            } else if let zstd {
                (count, step, used) = stepZstd(zstd, input)
            } else {
                used = 0
            }
            consumedSlice(used, of: input)
            // The library wants more input, and some is there: the rest of the slice, or the next.
            if step == .needInput && (owesOutput || !pending.isEmpty || carried > carryStart) { step = .moreOutput }
            // zstd: the last frame ended with the body.
            if step == .needInput && inputEnded && frameEnded { step = .end }
        }
        totalOut &+= UInt64(count)
        if step == .end { finished = true }
        return (UnsafeRawBufferPointer(start: output, count: count), step)
    }

    private func stepZlib(_ stream: UnsafeMutablePointer<z_stream>) -> (Int, Step) {
        stream.pointee.next_out = output
        stream.pointee.avail_out = uInt(Decompressor.outputSize)
        let before = stream.pointee.avail_in
        let rc = inflate(stream, Z_NO_FLUSH)
        totalIn &+= UInt64(before - stream.pointee.avail_in)
        let count = Decompressor.outputSize - Int(stream.pointee.avail_out)
        switch rc {
        case Z_STREAM_END:
            stream.pointee.avail_in = 0
            return (count, .end)
        case Z_OK: return (count, stream.pointee.avail_out == 0 ? .moreOutput : .needInput)
        case Z_BUF_ERROR: return (count, .needInput)  // no progress without more input
        default: return (count, .corrupt)
        }
    }

    private func stepBrotli(_ state: OpaquePointer, _ input: UnsafeRawBufferPointer) -> (Int, Step, used: Int) {
        var availableIn = input.count
        var nextIn = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var availableOut = Decompressor.outputSize
        var nextOut: UnsafeMutablePointer<UInt8>? = output
        let result = BrotliDecoderDecompressStream(state, &availableIn, &nextIn, &availableOut, &nextOut, nil)
        owesOutput = result == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT
        let count = Decompressor.outputSize - availableOut
        let used = input.count - availableIn
        switch result {
        case BROTLI_DECODER_RESULT_SUCCESS: return (count, .end, used)
        case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: return (count, .moreOutput, used)
        case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT: return (count, .needInput, used)
        default: return (count, brotliHeap?.pointee.refused == true ? .memoryCap : .corrupt, used)
        }
    }

    private func stepZstd(_ stream: OpaquePointer, _ input: UnsafeRawBufferPointer) -> (Int, Step, used: Int) {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var out = ZSTD_outBuffer(dst: output, size: Decompressor.outputSize, pos: 0)
        let rc = ZSTD_decompressStream(stream, &out, &inBuffer)
        // A full buffer: zstd may hold more decoded bytes.
        owesOutput = ZSTD_isError(rc) == 0 && out.pos == out.size
        if ZSTD_isError(rc) != 0 {
            return (out.pos, ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge ? .memoryCap : .corrupt, inBuffer.pos)
        }
        if ZSTD_sizeof_DStream(stream) + Decompressor.outputSize + Decompressor.sliceSize > Decompressor.maxMemory { return (out.pos, .memoryCap, inBuffer.pos) }
        frameEnded = rc == 0  // the frame is complete and flushed: the next one starts at the next call
        if frameEnded { return (out.pos, .needInput, inBuffer.pos) }
        return (out.pos, owesOutput ? .moreOutput : .needInput, inBuffer.pos)
    }

    /// brotli and zstd: the rest of the slice being fed, which runs to the next multiple of `sliceSize` of
    /// the body's compressed bytes (the last one to the body's end); nil while it is still being gathered.
    private func nextSlice() -> UnsafeRawBufferPointer? {
        guard let carry else { return nil }
        let size = Decompressor.sliceSize
        let toSliceEnd = size - Int(totalIn % UInt64(size))
        guard carried > carryStart || pending.count < toSliceEnd else {
            return UnsafeRawBufferPointer(rebasing: pending[..<toSliceEnd])  // in place
        }
        if carried == carryStart { (carryStart, carried) = (size - toSliceEnd, size - toSliceEnd) }
        let take = min(size - carried, pending.count)
        if take > 0 {
            UnsafeMutableRawBufferPointer(rebasing: carry[carried..<(carried + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: pending[..<take]))
            carried += take
            dropPending(take)
        }
        guard carried == size || (inputEnded && carried > carryStart) else { return nil }
        return UnsafeRawBufferPointer(rebasing: carry[carryStart..<carried])
    }

    /// `n` bytes of `input` (a slice from `nextSlice`, or nothing) were consumed.
    private func consumedSlice(_ n: Int, of input: UnsafeRawBufferPointer) {
        totalIn &+= UInt64(n)
        if input.baseAddress == pending.baseAddress {
            dropPending(n)
        } else {
            carryStart += n
        }
    }

    private func dropPending(_ n: Int) {
        pending = n == pending.count ? UnsafeRawBufferPointer(start: nil, count: 0) : UnsafeRawBufferPointer(rebasing: pending[n...])
    }
}

/// The allocator brotli is given: it counts what it hands out (each block
/// carries its size in front) and refuses past `limit`.
struct CountedHeap {
    private(set) var held = 0
    let limit: Int
    private(set) var refused = false
    private static let header = 16  // keeps malloc's 16-byte alignment

    init(limit: Int) { self.limit = limit }

    mutating func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        let total = size + CountedHeap.header
        guard held + total <= limit, let block = malloc(total) else {
            refused = true
            return nil
        }
        block.storeBytes(of: total, as: Int.self)
        held += total
        return block + CountedHeap.header
    }

    mutating func free(_ address: UnsafeMutableRawPointer?) {
        guard let address else { return }
        let block = address - CountedHeap.header
        held -= block.load(as: Int.self)
        Glibc.free(block)
    }
}
