import Flows

/// Finds credentials sent over HTTP/2 in clear (h2c, RFC 9113) — the usual
/// transport of gRPC between services — and, from the response on the same
/// stream, whether the server accepted them.
///
/// Each direction is cut into frames (§4.1), which may be split at any byte
/// across chunks. Header blocks (HEADERS or PUSH_PROMISE, then CONTINUATION
/// frames until END_HEADERS, §4.3) are decoded with HPACK (RFC 7541) — all of
/// them, since the dynamic table is shared by every block of a direction —
/// and the request's fields go through the HTTP/1 credential parsers:
/// `authorization` (Basic, Bearer, Digest, NTLM), API-key headers (gRPC
/// metadata such as `x-api-key`), session cookies, and `:path` (passwords in
/// the query).
///
/// Content (when the content stage takes it): every decoded header block
/// goes out as an `http2-headers` stream of `name: value` lines — HPACK
/// carries most values Huffman-coded or as table indices, which no scan of
/// the wire bytes can read — and the DATA frames of a request or response
/// are de-framed into its body (padding dropped), which `HTTPBodyDecoder`
/// decodes as it does an HTTP/1 body (gzip, forms, multipart), or, for
/// gRPC, into its messages (`GRPCMessageReader`: decompressed as
/// `grpc-encoding` says). Their wire bytes are then not scanned raw — only
/// those surely delivered: a header block in one frame of one chunk that
/// decoded whole (the usual case; a block spread over chunks or frames is
/// scanned raw as well), DATA bytes a body decoder took while it still decodes.
/// A header value that is base64 JSON (a proxy's identity header, a session
/// cookie) goes out decoded as well (`EncodedJSONValues`).
/// DATA frames of other streams are skipped by length without looking at
/// them.
///
/// Outcome, per stream: a final `:status` of 401, 403 or 407 rejects, 2xx
/// and 3xx accept (as in HTTP/1); a gRPC response (`content-type:
/// application/grpc`) is judged by its `grpc-status` instead, in the headers
/// or the trailers: 16 UNAUTHENTICATED or 7 PERMISSION_DENIED reject, any
/// other status means the call got past authentication. RST_STREAM, a
/// server's GOAWAY that excludes the stream, and a direction that stops leave
/// it unknown.
///
/// Identified by the client preface (prior knowledge, §3.4) or handed over by
/// the HTTP/1 analyzer after `Upgrade: h2c` and `101` (then the client's
/// stream 1 is the upgrading request). Frames are read in place; a frame
/// payload the analyzer reads that is cut by a chunk boundary, and a header
/// block spread over several frames, are copied (at most `maxHeaderBlock`
/// bytes, charged to the context's budget), as are the HPACK dynamic tables.
/// A gap, a frame that breaks the framing, an undecodable header block, or
/// `maxDepth` bytes stop a direction (HPACK cannot resynchronise).
///
/// A class: one per HTTP/2 flow, the flow slot holds a reference.
public final class HTTP2Analyzer: StreamAnalyzer, TwoWayDialogue, SightingSource {
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Requests (client streams) whose header blocks are read; the client
    /// direction stops at the next one: credentials come with the first
    /// calls, and a long-lived channel repeats them.
    public static let maxStreams = 256
    /// Requests with credentials waiting for their response; past it a
    /// request's credentials go out at once as unknown.
    public static let maxPendingStreams = 64
    /// Longest frame payload or header block copied when it spans chunks or
    /// frames; a longer one stops the direction (its HPACK state is lost).
    public static let maxHeaderBlock = 65_536
    /// Bodies decoded at once per direction (streams in flight); a later
    /// one is left to the raw scan (`http2BodyCapHits`).
    public static let maxOpenBodies = 16

    // Owned by one flow slot on the packet thread (as in HTTPAnalyzer).
    @exclusivity(unchecked) var toServer: FrameReader
    @exclusivity(unchecked) var toClient: FrameReader
    @exclusivity(unchecked) var pending: [PendingStream] = []
    /// Client streams whose first header block was read, and the highest of them.
    var streamsRead = 0
    var lastClientStream: UInt32 = 0
    public private(set) var isDone = false
    /// The client stopped and no request waits for its response: the server
    /// side is read on only for its bodies (content), not for credentials.
    var responsesSettled = false
    /// The next content stream's number in this flow.
    var nextContentStream: UInt32 = 0
    /// What this flow's SAML redirect-binding messages may still inflate to.
    var samlRedirectBudget = SAMLMessage.redirectBytesPerFlow
    /// A header block written as text for the content stage (its capacity
    /// kept up to `HPACKDecoder.keptScratch`).
    var headerText: [UInt8] = []

    /// HTTP/2 with prior knowledge: both directions from their first byte.
    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
        toServer = FrameReader(start: 0, expectsPreface: true)
        toClient = FrameReader(start: 0, expectsPreface: false)
    }

    /// HTTP/2 after an HTTP/1.1 upgrade: from the offsets the HTTP/1
    /// analyzer found; the upgrading request is stream 1 (RFC 7540 §3.2).
    public init(maxDepth: UInt64, upgrade: H2CUpgrade) {
        self.maxDepth = maxDepth
        toServer = FrameReader(start: upgrade.toServer, expectsPreface: true)
        toClient = FrameReader(start: upgrade.toClient, expectsPreface: false)
        lastClientStream = 1
        streamsRead = 1
        nextContentStream = upgrade.nextContentStream
        if !upgrade.credentials.isEmpty { pending.append(PendingStream(stream: 1, credentials: upgrade.credentials)) }
    }

    // MARK: StreamAnalyzer (TwoWayDialogue's ingest, gap and end)

    /// Once the client stopped and nothing waits for a response, the server
    /// side has nothing more to say (unless its bodies are decoded for the
    /// content stage); once the server stopped, nothing waiting can be settled.
    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        if toServer.stopped && pending.isEmpty {
            responsesSettled = true
            if !context.wantsContent { toClient.stop(&context) }
        }
        if toClient.stopped {
            for p in pending { emit(p.credentials, .unknown) }
            pending = []
        }
        if toServer.stopped && toClient.stopped { isDone = true }
        return isDone ? .done : .needMore
    }

    func emit(_ credentials: [CredentialSighting], _ outcome: LoginOutcome) {
        for c in credentials {
            var c = c
            c.outcome = outcome
            sightings.append(.credential(c))
        }
    }

    // MARK: framing (RFC 9113 §4)

    func read(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, into r: inout FrameReader, direction: Direction,
        context: inout InspectionContext
    ) {
        guard !r.stopped else { return }
        if !r.begun && direction == .toClient && r.expectedOffset == 0 && offset > 0 {
            // Prior knowledge: the server's first frames (SETTINGS: nothing
            // else can precede a request) went to identification unkept.
            // Read from here, assuming this chunk starts a frame, and allow
            // what those SETTINGS may have allowed.
            r.expectedOffset = offset
            toServer.decoder.limit = HPACKDecoder.maxTableSize
            toServer.maxFrameSize = HTTP2Frame.largestMaxFrameSize
        }
        // Before HTTP/2 starts (an upgrade's offset) a chunk counts as seen.
        guard let unread = r.unread(bytes.count, at: offset, maxDepth: maxDepth, context: &context) else { return }
        r.begun = true
        var i = unread.lowerBound
        let n = unread.upperBound
        while i < n && !r.stopped {
            if r.prefaceRead < HTTP2Analyzer.preface.count {
                // §3.4: the client's first 24 bytes are the preface (already
                // matched by the probe for prior knowledge; not after an upgrade).
                guard bytes[i] == HTTP2Analyzer.preface[r.prefaceRead] else {
                    return malformed(&r, context: &context)
                }
                r.prefaceRead += 1
                i += 1
            } else if r.frame == nil {
                while i < n && r.headerHave < HTTP2Frame.headerSize {
                    if r.headerHave < 5 {
                        r.first5 = r.first5 << 8 | UInt64(bytes[i])
                    } else {
                        r.streamBytes = r.streamBytes << 8 | UInt32(bytes[i])
                    }
                    r.headerHave += 1
                    i += 1
                }
                if r.headerHave == HTTP2Frame.headerSize {
                    let frame = HTTP2Frame(first5: r.first5, streamBytes: r.streamBytes)
                    beginFrame(frame, into: &r, direction: direction, context: &context)
                }
            } else if r.readLeft > 0 {
                i = readPayload(bytes, from: i, limit: n, offset: offset, into: &r, direction: direction, context: &context)
            } else if r.dataStream != nil {
                i = readData(bytes, from: i, limit: n, offset: offset, into: &r, context: &context)
            } else {
                let skipped = min(r.skipLeft, n - i)
                i += skipped
                r.skipLeft -= skipped
                if r.skipLeft == 0 { r.frame = nil }
            }
        }
        if offset + UInt64(bytes.count) >= maxDepth && !r.stopped { r.stop(&context) }
    }

    /// A frame header is complete: checks it against the framing rules, and
    /// processes a frame without a payload to read at once.
    func beginFrame(_ frame: HTTP2Frame, into r: inout FrameReader, direction: Direction, context: inout InspectionContext) {
        r.first5 = 0
        r.streamBytes = 0
        r.headerHave = 0
        // §4.2: no frame above the receiver's SETTINGS_MAX_FRAME_SIZE.
        guard frame.length <= r.maxFrameSize else { return malformed(&r, context: &context) }
        // §6.10: a header block's CONTINUATION frames follow it on its stream, nothing in between.
        if r.blockStream != 0 {
            guard frame.type == HTTP2Frame.continuation && frame.stream == r.blockStream else {
                return malformed(&r, context: &context)
            }
        } else if frame.type == HTTP2Frame.continuation {
            return malformed(&r, context: &context)
        }
        let read = frame.bytesRead
        guard read <= HTTP2Analyzer.maxHeaderBlock else {
            context.counters.http2OversizedHeaderBlocks &+= 1
            r.stop(&context)
            return
        }
        r.frame = frame
        r.readLeft = read
        r.skipLeft = frame.length - read
        if frame.type == HTTP2Frame.data, r.bodies.contains(where: { $0.stream == frame.stream }) {
            // §6.1: [pad length] data [padding]; the pad length may be in the next chunk.
            guard frame.flags & HTTP2Frame.padded == 0 || frame.length >= 1 else { return malformed(&r, context: &context) }
            r.dataStream = frame.stream
            r.padLengthPending = frame.flags & HTTP2Frame.padded != 0
            r.dataLeft = r.padLengthPending ? 0 : frame.length
            if frame.length == 0 { finishDataFrame(&r, context: &context) }
            return
        }
        if read == 0 {
            // An empty frame of a type that is read (an empty SETTINGS, a
            // CONTINUATION that only ends its block) is processed now;
            // DATA and the other skipped types are only counted off.
            if frame.readsPayload {
                let empty = UnsafeRawBufferPointer(start: nil, count: 0)
                process(frame, payload: empty, into: &r, direction: direction, context: &context)
            }
            if !r.stopped && r.skipLeft == 0 { r.frame = nil }
        }
    }

    /// A DATA frame of a body being decoded: its data bytes go to the body
    /// as they arrive (in place), its padding is skipped. Returns the next index.
    func readData(
        _ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int, offset: UInt64, into r: inout FrameReader,
        context: inout InspectionContext
    ) -> Int {
        var i = start
        if r.padLengthPending {
            let pad = Int(bytes[i])
            i += 1
            r.skipLeft -= 1
            r.padLengthPending = false
            guard pad <= r.skipLeft else {
                malformed(&r, context: &context)
                return limit
            }
            r.dataLeft = r.skipLeft - pad
        }
        let n = min(r.dataLeft, limit - i)
        if n > 0, let k = r.bodies.firstIndex(where: { $0.stream == r.dataStream }) {
            let data = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)])
            // Bytes a decoder stopped on (a cap, corrupt data, past the
            // compressed stream's end) or still holds are scanned raw.
            r.bodies[k].content.feed(data, at: offset + UInt64(i), ids: &nextContentStream, &context)
        }
        i += n
        r.dataLeft -= n
        r.skipLeft -= n
        if r.dataLeft == 0 {
            let padding = min(r.skipLeft, limit - i)
            i += padding
            r.skipLeft -= padding
            if r.skipLeft == 0 { finishDataFrame(&r, context: &context) }
        }
        return i
    }

    /// The DATA frame being read is over (the next byte starts a frame);
    /// END_STREAM ends its body.
    func finishDataFrame(_ r: inout FrameReader, context: inout InspectionContext) {
        if let frame = r.frame, frame.flags & HTTP2Frame.endStream != 0 {
            r.endBody(stream: frame.stream, complete: true, ids: &nextContentStream, context: &context)
        }
        r.dataStream = nil
        r.frame = nil
    }

    /// Reads the payload bytes to process: in place when the chunk holds them
    /// all, else copied (charged) until complete. Returns the next index.
    func readPayload(
        _ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int, offset: UInt64, into r: inout FrameReader,
        direction: Direction, context: inout InspectionContext
    ) -> Int {
        guard let frame = r.frame else { return start }
        var i = start
        if r.held.isEmpty && limit - i >= r.readLeft {
            let payload = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + r.readLeft)])
            r.payloadOffset = offset + UInt64(i)
            i += r.readLeft
            r.readLeft = 0
            process(frame, payload: payload, into: &r, direction: direction, context: &context)
            r.payloadOffset = nil
        } else {
            if r.heldCharged == 0 {
                guard context.reserve(r.readLeft) else {
                    r.stop(&context)  // over budget (counted by the context)
                    return limit
                }
                r.heldCharged = r.readLeft
                r.held.reserveCapacity(r.readLeft)
            }
            let n = min(r.readLeft, limit - i)
            r.held.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]))
            i += n
            r.readLeft -= n
            if r.readLeft == 0 {
                let held = r.held
                r.held = []
                held.withUnsafeBytes { process(frame, payload: $0, into: &r, direction: direction, context: &context) }
                context.release(r.heldCharged)
                r.heldCharged = 0
            }
        }
        if r.readLeft == 0 && r.skipLeft == 0 && !r.stopped { r.frame = nil }
        return i
    }

    func malformed(_ r: inout FrameReader, context: inout InspectionContext) {
        context.counters.http2Malformed &+= 1
        r.stop(&context)
    }

    /// One frame whose payload (the part worth reading) is complete.
    func process(
        _ frame: HTTP2Frame, payload p: UnsafeRawBufferPointer, into r: inout FrameReader, direction: Direction,
        context: inout InspectionContext
    ) {
        switch frame.type {
        case HTTP2Frame.headers, HTTP2Frame.pushPromise:
            // §6.2, §6.6: [pad length] [priority: 5 bytes | promised stream: 4 bytes] fragment [padding].
            guard frame.stream != 0 else { return malformed(&r, context: &context) }
            var lo = 0
            var hi = p.count
            if frame.flags & HTTP2Frame.padded != 0 {
                guard hi >= 1, Int(p[0]) <= hi - 1 else { return malformed(&r, context: &context) }
                hi -= Int(p[0])
                lo = 1
            }
            let fixed = frame.type == HTTP2Frame.pushPromise ? 4 : frame.flags & HTTP2Frame.priorityFlag != 0 ? 5 : 0
            guard hi - lo >= fixed else { return malformed(&r, context: &context) }
            lo += fixed
            r.blockKind = frame.type
            r.blockEndStream = frame.flags & HTTP2Frame.endStream != 0
            let last = frame.flags & HTTP2Frame.endHeaders != 0
            fragment(p, lo, hi, stream: frame.stream, last: last, into: &r, direction: direction, context: &context)
        case HTTP2Frame.continuation:
            let last = frame.flags & HTTP2Frame.endHeaders != 0
            fragment(p, 0, p.count, stream: frame.stream, last: last, into: &r, direction: direction, context: &context)
        case HTTP2Frame.settings:
            settings(frame, p, into: &r, direction: direction, context: &context)
        case HTTP2Frame.rstStream:
            // §6.4: the stream ends without (more of) a response, in both directions.
            guard frame.stream != 0, frame.length == 4 else { return malformed(&r, context: &context) }
            settleStream(frame.stream, .unknown)
            r.endBody(stream: frame.stream, complete: false, ids: &nextContentStream, context: &context)
            if direction == .toServer {
                toClient.endBody(stream: frame.stream, complete: false, ids: &nextContentStream, context: &context)
            } else {
                toServer.endBody(stream: frame.stream, complete: false, ids: &nextContentStream, context: &context)
            }
        case HTTP2Frame.goAway:
            // §6.8: streams above the last one the server processed will not be answered.
            guard frame.stream == 0, p.count == 8 else { return malformed(&r, context: &context) }
            if direction == .toClient, let last = p.uint32BE(at: 0) {
                let lastStream = last & 0x7fff_ffff
                for waiting in pending where waiting.stream > lastStream { emit(waiting.credentials, .unknown) }
                pending.removeAll { $0.stream > lastStream }
            }
        default:
            break
        }
    }

    /// §6.5: SETTINGS from one side bound what the other side sends: the
    /// HPACK table its encoder may use, and its frame size.
    func settings(
        _ frame: HTTP2Frame, _ p: UnsafeRawBufferPointer, into r: inout FrameReader, direction: Direction,
        context: inout InspectionContext
    ) {
        guard frame.stream == 0 else { return malformed(&r, context: &context) }
        if frame.flags & HTTP2Frame.ack != 0 {
            if p.count != 0 { malformed(&r, context: &context) }
            return
        }
        guard p.count % 6 == 0 else { return malformed(&r, context: &context) }
        var k = 0
        while k < p.count {
            let id = UInt16(p[k]) << 8 | UInt16(p[k + 1])
            let value = Int(p.uint32BE(at: k + 2) ?? 0)
            k += 6
            if id == HTTP2Frame.settingsHeaderTableSize {
                if direction == .toServer { toClient.decoder.limit = value } else { toServer.decoder.limit = value }
            } else if id == HTTP2Frame.settingsMaxFrameSize {
                guard value >= HTTP2Frame.defaultMaxFrameSize && value <= HTTP2Frame.largestMaxFrameSize else {
                    return malformed(&r, context: &context)
                }
                if direction == .toServer { toClient.maxFrameSize = value } else { toServer.maxFrameSize = value }
            }
        }
    }

    /// A header block fragment `p[lo..<hi]`: decoded in place when it is the
    /// whole block, else collected (charged) until END_HEADERS.
    func fragment(
        _ p: UnsafeRawBufferPointer, _ lo: Int, _ hi: Int, stream: UInt32, last: Bool, into r: inout FrameReader,
        direction: Direction, context: inout InspectionContext
    ) {
        let part = UnsafeRawBufferPointer(rebasing: p[lo..<hi])
        if r.blockStream == 0 && last {
            // The whole block in one frame; in place, its wire bytes are known.
            let wire = r.payloadOffset.map { ($0 + UInt64(lo))..<($0 + UInt64(hi)) }
            headerBlock(part, stream: stream, wire: wire, into: &r, direction: direction, context: &context)
            return
        }
        r.blockStream = stream
        guard r.block.count + part.count <= HTTP2Analyzer.maxHeaderBlock else {
            context.counters.http2OversizedHeaderBlocks &+= 1
            r.stop(&context)
            return
        }
        guard context.reserve(part.count) else {
            r.stop(&context)  // over budget (counted by the context)
            return
        }
        r.blockCharged += part.count
        r.block.append(contentsOf: part)
        guard last else { return }
        let block = r.block
        r.block = []
        r.blockStream = 0
        block.withUnsafeBytes { headerBlock($0, stream: stream, wire: nil, into: &r, direction: direction, context: &context) }
        context.release(r.blockCharged)
        r.blockCharged = 0
    }

    // MARK: header blocks

    /// A complete header block: decoded (always, for the HPACK state), then
    /// read as a request, a response or trailers. `wire`: where the block
    /// lies in the chunk being read, when it is there whole.
    func headerBlock(
        _ block: UnsafeRawBufferPointer, stream: UInt32, wire: Range<UInt64>?, into r: inout FrameReader,
        direction: Direction, context: inout InspectionContext
    ) {
        let isRequest = direction == .toServer && r.blockKind == HTTP2Frame.headers && stream > lastClientStream
        if isRequest {
            guard streamsRead < HTTP2Analyzer.maxStreams else {
                context.counters.http2StreamCapHits &+= 1
                r.stop(&context)
                return
            }
            streamsRead += 1
            lastClientStream = stream
        }
        if let failure = r.decoder.decode(block, context: &context) {
            switch failure {
            case .malformed: context.counters.http2Malformed &+= 1
            case .tableOverflow: context.counters.http2TableOverflows &+= 1
            case .budget: break  // counted by the context
            }
            r.stop(&context)
            return
        }
        if r.decoder.truncated { context.counters.http2TruncatedHeaderLists &+= 1 }
        // A server push's request (PUSH_PROMISE) is not the client's: decoded for the table only.
        if r.blockKind == HTTP2Frame.headers {
            if isRequest {
                request(stream, r.decoder, context: &context)
            } else if direction == .toClient && !responsesSettled {
                response(stream, r.decoder, endStream: r.blockEndStream)
            }
        }
        if context.wantsContent {
            // Scanned decoded instead of as HPACK when all its fields went out.
            if deliverFields(r.decoder, direction: direction, context: &context), !r.decoder.truncated, let wire {
                context.decodes(from: wire.lowerBound, count: wire.count)
            }
            // Base64 JSON in a value (a proxy's identity header, a session cookie), once
            // the block's text is out and its budget back; not the pseudo-headers (`:path`).
            // A SAML message in the URL of `:path` or `location` (the redirect binding).
            r.decoder.forEachField { name, value in
                if MIMEHeader.equals(name, ":path") || MIMEHeader.equals(name, "location") {
                    SAMLMessage.deliverRedirect(
                        value, direction: direction, budget: &samlRedirectBudget, ids: &nextContentStream, context: &context)
                }
                guard name.first != UInt8(ascii: ":") else { return }
                EncodedJSONValues.deliver(value, header: name, direction: direction, ids: &nextContentStream, context: &context)
            }
            if r.blockKind == HTTP2Frame.headers { startOrEndBody(stream, into: &r, direction: direction, context: &context) }
        }
        r.decoder.endBlock()
    }

    // MARK: content

    /// The block's fields as one `http2-headers` stream of `name: value`
    /// lines (its bytes charged while they are written); false when the
    /// budget refused them (or there are none).
    func deliverFields(_ decoder: HPACKDecoder, direction: Direction, context: inout InspectionContext) -> Bool {
        let size = decoder.fields.count * 4 + (decoder.fields.last?.valueEnd ?? 0)
        guard size > 0, context.reserve(size) else { return false }
        defer {
            context.release(size)
            headerText.removeAll(keepingCapacity: headerText.capacity <= HPACKDecoder.keptScratch)
        }
        decoder.forEachField { name, value in
            headerText.append(contentsOf: name)
            headerText.append(UInt8(ascii: ":"))
            headerText.append(UInt8(ascii: " "))
            headerText.append(contentsOf: value)
            headerText.append(UInt8(ascii: "\r"))
            headerText.append(UInt8(ascii: "\n"))
        }
        var stream = ContentStream(kind: .http2Headers, direction: direction, id: nextContentStream)
        nextContentStream &+= 1
        headerText.withUnsafeBytes { stream.write($0, &context) }
        stream.finish(complete: !decoder.truncated, &context)
        return true
    }

    /// A HEADERS block on `stream`: the first of a request or a final
    /// response starts its body unless it ends the stream; trailers (a block
    /// after the body began) end it.
    func startOrEndBody(_ stream: UInt32, into r: inout FrameReader, direction: Direction, context: inout InspectionContext) {
        if r.bodies.contains(where: { $0.stream == stream }) {
            if r.blockEndStream { r.endBody(stream: stream, complete: true, ids: &nextContentStream, context: &context) }
            return
        }
        guard !r.blockEndStream else { return }
        var contentType: [UInt8] = []
        var coding = HTTPContentCoding.identity
        var grpcEncoding = HTTPContentCoding.identity
        var interim = false
        r.decoder.forEachField { name, value in
            if name.bytesEqual(0, name.count, "content-type") {
                contentType = Array(value)
            } else if name.bytesEqual(0, name.count, "content-encoding") {
                coding = HTTPContentCoding(value)
            } else if name.bytesEqual(0, name.count, "grpc-encoding") {
                grpcEncoding = HTTPContentCoding(value)
            } else if name.bytesEqual(0, name.count, ":status") {
                interim = value.count == 3 && value[0] == UInt8(ascii: "1")
            }
        }
        guard !interim else { return }
        guard r.bodies.count < HTTP2Analyzer.maxOpenBodies else {
            context.counters.http2BodyCapHits &+= 1
            return
        }
        if let content = HTTPBodyContent(
            request: direction == .toServer, direction: direction, contentType: contentType, coding: coding,
            grpcEncoding: grpcEncoding, ids: &nextContentStream, context: &context)
        {
            r.bodies.append(Body(stream: stream, content: content))
        }
    }

    /// A request's fields through the HTTP/1 credential parsers.
    func request(_ stream: UInt32, _ decoder: HPACKDecoder, context: inout InspectionContext) {
        var found: [CredentialSighting] = []
        decoder.forEachField { name, value in
            if name.bytesEqual(0, name.count, ":path") {
                HTTPAnalyzer.scanTarget(value, into: &found)
            } else {
                HTTPAnalyzer.requestHeader(name: name, value: value, into: &found)
            }
        }
        guard !found.isEmpty else { return }
        if toClient.stopped {
            emit(found, .unknown)
        } else if pending.count >= HTTP2Analyzer.maxPendingStreams {
            context.counters.http2PendingOverflows &+= 1
            emit(found, .unknown)
        } else {
            pending.append(PendingStream(stream: stream, credentials: found))
        }
    }

    /// A response's (or trailers') fields: its status settles the stream's
    /// credentials; a `set-cookie` session cookie is a sighting of its own.
    func response(_ stream: UInt32, _ decoder: HPACKDecoder, endStream: Bool) {
        var status: Int?
        var grpc = false
        var grpcStatus: Int?
        var cookies: [CredentialSighting] = []
        decoder.forEachField { name, value in
            if name.bytesEqual(0, name.count, ":status") {
                status = HTTPAnalyzer.decimal(value).map { Int(clamping: $0) }
            } else if name.bytesEqual(0, name.count, "content-type") {
                grpc = value.count >= 16 && value.bytesEqual(0, 16, "application/grpc")
            } else if name.bytesEqual(0, name.count, "grpc-status") {
                grpcStatus = HTTPAnalyzer.decimal(value).map { Int(clamping: $0) }
            } else if name.bytesEqual(0, name.count, "set-cookie") {
                HTTPAnalyzer.setCookie(value, into: &cookies)
            }
        }
        emit(cookies, .unknown)
        guard let k = pending.firstIndex(where: { $0.stream == stream }) else { return }
        let outcome: LoginOutcome
        if let g = grpcStatus {
            outcome = HTTP2Analyzer.outcome(grpcStatus: g)
        } else if pending[k].awaitingTrailers {
            outcome = .unknown  // trailers without a grpc-status
        } else if let s = status {
            if s >= 100 && s < 200 { return }  // interim (§8.1): the final response follows
            if grpc && s == 200 && !endStream {
                pending[k].awaitingTrailers = true  // gRPC: the verdict is in the trailers
                return
            }
            outcome = HTTPAnalyzer.outcome(status: s)
        } else {
            return  // no status: not a response head (§8.3.2 requires one)
        }
        emit(pending[k].credentials, outcome)
        pending.remove(at: k)
    }

    /// gRPC status codes (grpc/doc/statuscodes.md): 16 UNAUTHENTICATED and 7
    /// PERMISSION_DENIED reject; any other status came from past the
    /// authentication check.
    static func outcome(grpcStatus: Int) -> LoginOutcome {
        grpcStatus == 16 || grpcStatus == 7 ? .rejected : .accepted
    }

    func settleStream(_ stream: UInt32, _ outcome: LoginOutcome) {
        guard let k = pending.firstIndex(where: { $0.stream == stream }) else { return }
        emit(pending[k].credentials, outcome)
        pending.remove(at: k)
    }

    /// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` as bytes.
    static let preface: [UInt8] = Array(
        UnsafeRawBufferPointer(start: Probes.http2Preface.utf8Start, count: Probes.http2Preface.utf8CodeUnitCount))
}

// MARK: - State

extension HTTP2Analyzer {
    /// A request or response body being decoded.
    struct Body {
        var stream: UInt32
        var content: HTTPBodyContent
    }

    struct PendingStream {
        var stream: UInt32
        var credentials: [CredentialSighting]
        /// A gRPC response head came without a verdict: it is in the trailers.
        var awaitingTrailers = false
    }

    /// One direction: where it is in the frame sequence, what it holds, and its HPACK state.
    struct FrameReader: DirectionReader {
        /// Stream offset of the next byte to read.
        var expectedOffset: UInt64
        var begun = false
        var stopped = false
        /// Bytes of the client preface matched (24 when none is expected).
        var prefaceRead: Int
        /// The frame header being read.
        var first5: UInt64 = 0
        var streamBytes: UInt32 = 0
        var headerHave = 0
        /// The frame whose payload is being read or skipped.
        var frame: HTTP2Frame?
        var readLeft = 0
        var skipLeft = 0
        /// A payload to read cut by a chunk boundary (charged).
        var held: [UInt8] = []
        var heldCharged = 0
        /// The open header block: its stream (0: none), fragments so far (charged), first frame's type and END_STREAM.
        var blockStream: UInt32 = 0
        var block: [UInt8] = []
        var blockCharged = 0
        var blockKind = HTTP2Frame.headers
        var blockEndStream = false
        var decoder = HPACKDecoder()
        /// The largest frame this direction may send: the receiver's SETTINGS_MAX_FRAME_SIZE.
        var maxFrameSize = HTTP2Frame.defaultMaxFrameSize
        /// Bodies of this direction being decoded for the content stage.
        var bodies: [Body] = []
        /// The DATA frame being read belongs to a decoded body (its stream; nil: skipped):
        /// its pad length is still to come, and the data bytes left after it.
        var dataStream: UInt32?
        var padLengthPending = false
        var dataLeft = 0
        /// Stream offset of the payload being processed, when it is read in place.
        var payloadOffset: UInt64?

        init(start: UInt64, expectsPreface: Bool) {
            expectedOffset = start
            prefaceRead = expectsPreface ? 0 : HTTP2Analyzer.preface.count
        }

        /// The placeholder swapped in while a direction's reader reads.
        init() { self.init(start: 0, expectsPreface: false) }

        mutating func stop(_ context: inout InspectionContext) {
            guard !stopped else { return }
            stopped = true
            context.release(heldCharged + blockCharged)
            heldCharged = 0
            blockCharged = 0
            held = []
            block = []
            frame = nil
            dataStream = nil
            decoder.release(&context)
            for k in bodies.indices { bodies[k].content.abandon(&context) }
            bodies = []
        }

        /// Ends `stream`'s body, if it has one here.
        mutating func endBody(stream: UInt32, complete: Bool, ids: inout UInt32, context: inout InspectionContext) {
            guard let k = bodies.firstIndex(where: { $0.stream == stream }) else { return }
            bodies[k].content.finish(complete: complete, ids: &ids, &context)
            bodies.remove(at: k)
        }
    }
}

extension HPACKDecoder {
    /// Calls `body` with each listed field of the last block, in order, in place.
    func forEachField(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        scratch.withUnsafeBytes { all in
            var start = 0
            for field in fields {
                body(
                    UnsafeRawBufferPointer(rebasing: all[start..<field.nameEnd]),
                    UnsafeRawBufferPointer(rebasing: all[field.nameEnd..<field.valueEnd]))
                start = field.valueEnd
            }
        }
    }
}
