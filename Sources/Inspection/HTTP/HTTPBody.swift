import Flows

/// A request or response body for the content stage, in HTTP/1 or HTTP/2:
/// gRPC and gRPC-Web bodies (`application/grpc…`, no content coding) are
/// read message by message (`GRPCMessageReader`), any other decoded whole
/// (`HTTPBodyDecoder`).
struct HTTPBodyContent {
    // Exactly one is set (an optional, so it mutates in place).
    private var body: HTTPBodyDecoder?
    private let messages: GRPCMessageReader?

    /// Nil when the body is not decoded (`HTTPBodyDecoder`'s reasons).
    init?(
        request: Bool, direction: Direction, contentType: [UInt8], coding: HTTPContentCoding,
        grpcEncoding: HTTPContentCoding, ids: inout UInt32, context: inout InspectionContext
    ) {
        let (grpc, text) = contentType.withUnsafeBytes {
            let media = MIMEHeader.mediaType($0)
            return (MIMEHeader.hasPrefix(media, "application/grpc"), MIMEHeader.hasPrefix(media, "application/grpc-web-text"))
        }
        if grpc && coding == .identity {
            messages = GRPCMessageReader(encoding: grpcEncoding, base64: text, direction: direction)
        } else {
            guard let decoder = HTTPBodyDecoder(
                request: request, direction: direction, contentType: contentType, coding: coding, ids: &ids,
                context: &context)
            else { return nil }
            body = decoder
            messages = nil
        }
    }

    /// Body bytes as they arrive on the wire (de-chunked, de-framed), the
    /// first at stream offset `offset`: the bytes that reach the content stage
    /// decoded are marked for the raw scan to skip.
    mutating func feed(
        _ wire: UnsafeRawBufferPointer, at offset: UInt64, ids: inout UInt32, _ context: inout InspectionContext
    ) {
        if let messages { return messages.feed(wire, at: offset, ids: &ids, &context) }
        body?.feed(wire, ids: &ids, &context)
        context.decodes(from: offset, count: body?.wireDecoded(of: wire.count) ?? 0)
    }

    /// The body ended: all of it was read (`complete`), or it was cut short (HTTP/2 RST_STREAM).
    mutating func finish(complete: Bool, ids: inout UInt32, _ context: inout InspectionContext) {
        body?.finish(complete: complete, ids: &ids, &context)
        messages?.finish(ids: &ids, &context)
    }

    /// The direction stopped inside the body.
    mutating func abandon(_ context: inout InspectionContext) {
        body?.abandon(&context)
        messages?.abandon(&context)
    }
}

/// Decodes one HTTP message body for the content stage: the framing (chunks)
/// is undone by `HTTPAnalyzer`, which hands over the body bytes in order;
/// this undoes the content coding — `gzip`, `deflate` (zlib or raw), `br`,
/// `zstd`, or none (RFC 9110 §8.4) — and splits the result by media type: an url-encoded
/// form into its values, a `multipart/*` body into its parts, anything else
/// as one stream.
///
/// Caps: `ContentLimits.maxDecodedBytes` decoded bytes per body, and
/// decompression stops at `ContentLimits.maxRatio` times its input once
/// past `ContentLimits.ratioFloor` (both counted). An unsupported coding or
/// corrupt compressed data leaves the body (or its rest) undelivered,
/// counted. What it holds is reserved from the context's budget when it
/// starts (refused: the body is not decoded, `bufferCapHits` counts it),
/// and what a brotli or zstd decompressor grows to after each step (refused:
/// the rest is not decoded; past `Decompressor.maxMemory`, `memoryCapHits`).
struct HTTPBodyDecoder {
    // Exactly one of the three is set (optionals, so they mutate in place).
    private var whole: ContentStream?
    private var form: FormDecoder?
    private var parts: MIMEReader?
    /// An HTML page, read for an identity provider's SAML form as well.
    private var samlPage: SAMLAutoPostPage?
    private var decompressor: Decompressor?
    /// The body is compressed (the decompressor is dropped when its stream ends).
    private let compressed: Bool
    private var decoded: UInt64 = 0
    private var charged: Int
    /// The part of `charged` that is the decompressor's.
    private var decompressorCharge = 0
    private var stopped = false

    /// Starts a body; nil when it is not decoded (coding unsupported, budget full).
    init?(
        request: Bool, direction: Direction, contentType: [UInt8], coding: HTTPContentCoding, ids: inout UInt32,
        context: inout InspectionContext
    ) {
        self.init(
            kind: request ? .httpRequestBody : .httpResponseBody, direction: direction, contentType: contentType,
            coding: coding, ids: &ids, context: &context)
    }

    /// Starts a body delivered as one stream of `kind` unless its media type
    /// is a form or a multipart; nil when it is not decoded.
    init?(
        kind: ContentKind, direction: Direction, contentType: [UInt8], coding: HTTPContentCoding, ids: inout UInt32,
        context: inout InspectionContext
    ) {
        var format: Decompressor.Format?
        switch coding {
        case .identity: format = nil
        case .gzip: format = .gzip
        case .deflate: format = .deflate
        case .brotli: format = .brotli
        case .zstd: format = .zstd
        case .unsupported:
            context.counters.content.unsupportedCodings &+= 1
            return nil
        }
        var whole: ContentStream?
        var form: FormDecoder?
        var parts: MIMEReader?
        var samlPage: SAMLAutoPostPage?
        var charge = format == nil ? 0 : Decompressor.initialCharge
        contentType.withUnsafeBytes { value in
            let media = MIMEHeader.mediaType(value)
            if MIMEHeader.equals(media, "application/x-www-form-urlencoded") {
                form = FormDecoder(direction: direction)
                charge += FormDecoder.charge
            } else if MIMEHeader.hasPrefix(media, "multipart/"), let boundary = MIMEHeader.parameter(value, "boundary"),
                let reader = MIMEReader(parts: .httpMultipartPart, direction: direction, boundary: boundary)
            {
                parts = reader
                charge += MIMEReader.charge
            } else {
                whole = ContentStream(kind: kind, direction: direction, id: ids, mediaType: Array(media)[...])
                ids &+= 1
                charge += ContentStream.labelBytes
                if MIMEHeader.equals(media, "text/html") { samlPage = SAMLAutoPostPage(direction: direction) }
            }
        }
        guard context.reserve(charge) else { return nil }
        self.whole = whole
        self.form = form
        self.parts = parts
        self.samlPage = samlPage
        charged = charge
        compressed = format != nil
        if let format {
            decompressor = Decompressor(format: format)
            decompressorCharge = Decompressor.initialCharge
        }
    }

    /// An uncompressed url-encoded form: its wire bytes read as well as its
    /// values do, and they keep each value next to its field name (the
    /// context word a rule may need), so the raw scan keeps them too.
    var isPlainForm: Bool { form != nil && !compressed }

    /// How many of the `n` wire bytes just fed reach the content stage
    /// decoded (from the front), so that the raw scan may skip them: none for
    /// a plain form (above), nor once the body stopped (a cap, corrupt data)
    /// or its compressed stream ended (what follows is ignored); and not the
    /// ones a brotli or zstd decompressor still holds for the rest of their
    /// slice, which may lie past the stream's end.
    func wireDecoded(of n: Int) -> Int {
        guard !isPlainForm && !stopped else { return 0 }
        guard compressed else { return n }
        guard let decompressor else { return 0 }
        return max(0, n - decompressor.heldInput)
    }

    /// Body bytes as they arrive on the wire (de-chunked).
    mutating func feed(_ wire: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext) {
        guard !stopped, !wire.isEmpty else { return }
        guard compressed else { return decodedBytes(wire, ids: &ids, &context) }
        guard let decompressor else { return }  // its stream ended: what follows is ignored
        guard decompressor.setInput(wire) else {
            context.counters.content.corruptCompressed &+= 1
            return stop(complete: false, &context)
        }
        decompress(decompressor, ids: &ids, &context)
    }

    /// Steps the decompressor until it needs input, its stream ends or a cap stops it.
    private mutating func decompress(_ decompressor: Decompressor, ids: inout UInt32, _ context: inout InspectionContext) {
        while !stopped {
            let (produced, step) = decompressor.step()
            decodedBytes(produced, ids: &ids, &context)
            if stopped { return }  // the decoded cap
            if decompressor.totalOut > ContentLimits.ratioFloor
                && decompressor.totalOut > ContentLimits.maxRatio * decompressor.totalIn
            {
                context.counters.content.ratioCapHits &+= 1
                return stop(complete: false, &context)
            }
            // brotli and zstd grow their windows as the output needs: charge the growth.
            let grown = decompressor.footprint - decompressorCharge
            if grown > 0 && (step == .moreOutput || step == .needInput) {
                guard context.reserve(grown) else { return stop(complete: false, &context) }
                decompressorCharge += grown
                charged += grown
            }
            switch step {
            case .moreOutput: continue
            case .needInput: return
            case .end:
                self.decompressor = nil  // done: its memory goes back now
                context.release(decompressorCharge)
                charged -= decompressorCharge
                decompressorCharge = 0
                return
            case .corrupt:
                context.counters.content.corruptCompressed &+= 1
                return stop(complete: false, &context)
            case .memoryCap:
                context.counters.content.memoryCapHits &+= 1
                return stop(complete: false, &context)
            }
        }
    }

    private mutating func decodedBytes(_ bytes: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext) {
        guard !bytes.isEmpty else { return }
        var piece = bytes
        let room = ContentLimits.maxDecodedBytes - decoded
        let capped = UInt64(bytes.count) > room
        if capped {
            piece = UnsafeRawBufferPointer(rebasing: bytes[..<Int(room)])
            context.counters.content.decodedCapHits &+= 1
        }
        decoded += UInt64(piece.count)
        whole?.write(piece, &context)
        samlPage?.read(piece, ids: &ids, &context)
        form?.read(piece, ids: &ids, &context)
        parts?.read(piece, ids: &ids, &context)
        if capped { stop(complete: false, &context) }
    }

    /// The direction stopped inside the body (a gap, a cap, the end of the
    /// capture): the body ends incomplete, and a brotli or zstd slice still
    /// being gathered (see `Decompressor`) is not decoded.
    mutating func abandon(_ context: inout InspectionContext) { stop(complete: false, &context) }

    /// The body ended: all of it was read (`complete`), or the message was cut short (HTTP/2 RST_STREAM).
    mutating func finish(complete: Bool, ids: inout UInt32, _ context: inout InspectionContext) {
        // The last brotli or zstd slice (see `Decompressor`) goes in now.
        if !stopped, let decompressor, decompressor.endInput() { decompress(decompressor, ids: &ids, &context) }
        // A compressed body whose stream did not end is incomplete too.
        stop(complete: complete && decompressor == nil, &context)
    }

    private mutating func stop(complete: Bool, _ context: inout InspectionContext) {
        guard !stopped else { return }
        stopped = true
        whole?.finish(complete: complete, &context)
        samlPage?.finish(&context)
        form?.finish(complete: complete, &context)
        parts?.finish(complete: complete, &context)
        decompressor = nil
        context.release(charged)
        charged = 0
        decompressorCharge = 0
    }
}

/// `Content-Encoding` (RFC 9110 §8.4.1): what PlainSight can undo.
enum HTTPContentCoding: UInt8 {
    case identity, gzip, deflate, brotli, zstd, unsupported

    init(_ value: UnsafeRawBufferPointer) {
        let v = MIMEHeader.trimmed(value)
        if v.isEmpty || MIMEHeader.equals(v, "identity") {
            self = .identity
        } else if MIMEHeader.equals(v, "gzip") || MIMEHeader.equals(v, "x-gzip") {
            self = .gzip
        } else if MIMEHeader.equals(v, "deflate") {
            self = .deflate
        } else if MIMEHeader.equals(v, "br") {
            self = .brotli
        } else if MIMEHeader.equals(v, "zstd") {
            self = .zstd
        } else {
            self = .unsupported  // compress, dcb/dcz dictionaries, or codings stacked with a comma
        }
    }
}
