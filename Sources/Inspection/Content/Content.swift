import Flows
import Scanning

// MARK: - The content interface (decoded bodies for the content scanner)
//
// The cleartext readers decode what a message carries — an HTTP body
// de-chunked and decompressed, the values of a url-encoded form, the parts of
// a multipart form, the parts of a mail sent with SMTP DATA with their
// base64 or quoted-printable undone — and hand it on as *content streams*:
// each stream is one body, form value or part, numbered per flow, delivered
// in pieces in order (`offset` says where a piece starts within its decoded
// stream), then ended once. The consumer (the content scanner of the next
// stage; until then the counting below) is chosen by `ContentSink`, a
// switch over concrete types: no existential on the packet path.

/// What a decoded stream is.
public enum ContentKind: UInt8, CaseIterable, Sendable {
    /// An HTTP request body (de-chunked, decompressed), not a form.
    case httpRequestBody
    /// An HTTP response body (de-chunked, decompressed), not multipart.
    case httpResponseBody
    /// One value of an `application/x-www-form-urlencoded` body, percent-decoded (`name`: the field).
    case httpFormValue
    /// One part of a `multipart/*` HTTP body (`name`, `filename` from Content-Disposition).
    case httpMultipartPart
    /// One leaf part of a mail sent with SMTP DATA (the whole body when it is not multipart),
    /// dot-unstuffed, its transfer encoding undone.
    case smtpMessagePart
    /// The bytes of an FTP data connection in its transfer direction (`filename`: the
    /// RETR/STOR argument, when the control channel was seen).
    case ftpData
    /// One HTTP/2 header block (request, response, trailers or pushed
    /// request) as HPACK decodes it, a `name: value` line per field: values
    /// the wire carries Huffman-coded or by table index are text only here.
    case http2Headers
    /// The header block of a mail or of one of its parts, or of a part of a
    /// `multipart/*` HTTP body, as it was sent (folded lines as they are).
    case mimeHeaders
    /// One leaf part of a mail a POP3 server sends in a `RETR` or `TOP` reply
    /// (dot-unstuffed, its transfer encoding undone), as for SMTP.
    case pop3MessagePart
    /// One leaf part of a mail in an IMAP literal: a FETCH of a whole message
    /// (`BODY[]`, `RFC822`, `BINARY[]`) or of a header, or an `APPEND`.
    case imapMessagePart
    /// The UTF-16LE text of one direction of a raw stream (`WideText`): runs
    /// of ASCII characters each followed by a zero byte (a SQL Server query
    /// and its rows, SMB), narrowed to a byte each, runs joined by a NUL. Only
    /// the raw scan makes it, from the bytes it scans.
    case utf16Text
    /// One leaf part of a news article: the body of an NNTP `ARTICLE` or
    /// `HEAD` reply, or an article a client posts (`POST`, `IHAVE`),
    /// dot-unstuffed and decoded as a mail.
    case nntpArticlePart
    /// One gRPC or gRPC-Web message (or gRPC-Web's trailers), de-framed,
    /// decompressed as `grpc-encoding` says and base64-decoded for
    /// `grpc-web-text`: protobuf, whose strings are text (`GRPCMessageReader`).
    case grpcMessage
    /// A header or cookie value that is base64 of a JSON object (a proxy's
    /// identity header, a client-side session cookie), decoded (`EncodedJSONValues`).
    case httpHeaderValue
    /// A SAML message (`SAMLResponse`, `SAMLRequest`): base64-decoded from a
    /// posted form (`FormDecoder`) or an identity provider's auto-submitting
    /// page, or inflated from a redirect's URL (`SAMLMessage`): XML.
    case samlMessage
    /// One WebSocket text or binary message after an HTTP/1.1 `101` (RFC
    /// 6455): its fragments joined, the client's masking undone, inflated
    /// when permessage-deflate compressed it (`WebSocketAnalyzer`). Never
    /// judged binary: a binary message is an application's framing around
    /// its strings (MQTT, STOMP, protobuf), read as the raw scan reads it.
    case webSocketMessage

    /// The name in the stats record and in findings.
    public var name: String {
        switch self {
        case .httpRequestBody: "http-request-body"
        case .httpResponseBody: "http-response-body"
        case .httpFormValue: "http-form-value"
        case .httpMultipartPart: "http-multipart-part"
        case .smtpMessagePart: "smtp-message-part"
        case .ftpData: "ftp-data"
        case .http2Headers: "http2-headers"
        case .mimeHeaders: "mime-headers"
        case .pop3MessagePart: "pop3-message-part"
        case .imapMessagePart: "imap-message-part"
        case .utf16Text: "utf16-text"
        case .nntpArticlePart: "nntp-article-part"
        case .grpcMessage: "grpc-message"
        case .httpHeaderValue: "http-header-value"
        case .samlMessage: "saml-message"
        case .webSocketMessage: "websocket-message"
        }
    }

    /// Whether a stream of this kind that starts like a binary file is
    /// skipped (`TextSniff`). A header block is never a file: a control byte
    /// in a field value must not hide the block's other fields; narrowed
    /// UTF-16 text is text by construction; a protobuf message, or a
    /// WebSocket one, is binary framing around strings, read as the raw scan reads it.
    public var isSniffed: Bool {
        switch self {
        case .http2Headers, .mimeHeaders, .utf16Text, .grpcMessage, .webSocketMessage: false
        default: true
        }
    }
}

/// One piece of a decoded stream. Every view is valid only during the call
/// that receives it (it may point into the packet, when the wire bytes were
/// already the decoded ones, or into a decoder's scratch space).
public struct ContentPiece {
    public let kind: ContentKind
    public let direction: Direction
    /// The stream's number within its flow (numbers only grow; some may go unused).
    public let stream: UInt32
    /// Where `bytes` start within the decoded stream: pieces are contiguous.
    public let offset: UInt64
    public let bytes: UnsafeRawBufferPointer
    /// The media type (`text/html`, without parameters); empty when unknown.
    public let mediaType: UnsafeRawBufferPointer
    /// The form field or part name; empty when none.
    public let name: UnsafeRawBufferPointer
    /// The file name of an uploaded or attached part; empty when none.
    public let filename: UnsafeRawBufferPointer
}

/// The end of a stream that delivered at least one byte.
public struct ContentEnd: Sendable, Equatable {
    public let kind: ContentKind
    public let direction: Direction
    public let stream: UInt32
    /// Decoded bytes delivered.
    public let length: UInt64
    /// False when the stream was cut short: a cap, a gap, a direction's end
    /// or depth, malformed coding, a part without its closing boundary.
    public let complete: Bool
}

/// What the content stage implements. `flow` is the flow's slot in the
/// pipeline (`InspectionContext.flow`): a stream is named by (flow, stream),
/// and every stream of a flow is ended before its slot is reused.
public protocol ContentConsumer {
    mutating func consume(_ piece: ContentPiece, flow: UInt32)
    mutating func ended(_ end: ContentEnd, flow: UInt32)
}

/// Where decoded content goes. `.off`: the readers decode nothing and
/// nothing is scanned; `.scanning`: the content scanner reads the raw
/// streams and what the readers decode (`--analyzers content`);
/// `.counting`: decoded and counted only (benchmarks of the decoders);
/// `.recording`: kept whole, for tests and fuzzing.
public enum ContentSink: Sendable {
    case off
    case scanning(ContentScanner)
    case counting
    case recording(ContentRecorder)
}

/// Caps shared by every content decoder.
public enum ContentLimits {
    /// Decoded bytes delivered per stream (and per HTTP body before it is split
    /// into form values or parts); the rest is not decoded.
    public static let maxDecodedBytes: UInt64 = 1 << 20
    /// Decompression stops when the output exceeds this many times the input...
    public static let maxRatio: UInt64 = 100
    /// ...once the output is past this many bytes (small bodies compress well legitimately).
    public static let ratioFloor: UInt64 = 64 << 10
    /// Longest media type, name and file name kept (longer ones are cut).
    public static let maxLabel = 256
}

/// What the content decoders did (the stats record's `content` object).
public struct ContentCounters: Sendable, Equatable {
    /// Streams ended, by `ContentKind.rawValue`.
    public var streams = [UInt64](repeating: 0, count: ContentKind.allCases.count)
    /// Decoded bytes delivered, by `ContentKind.rawValue`.
    public var bytes = [UInt64](repeating: 0, count: ContentKind.allCases.count)
    /// Streams or bodies cut at `ContentLimits.maxDecodedBytes`.
    public var decodedCapHits: UInt64 = 0
    /// Decompressions stopped by `ContentLimits.maxRatio` (zip bombs).
    public var ratioCapHits: UInt64 = 0
    /// Multipart entities nested past `MIMEReader.maxNesting`: delivered as one part, undivided.
    public var nestingCapHits: UInt64 = 0
    /// Compressed bodies that did not decompress (the rest of the body is not decoded).
    public var corruptCompressed: UInt64 = 0
    /// Compressed bodies whose decompressor needed more than `Decompressor.maxMemory`
    /// (a brotli or zstd window over 8 MiB): the rest of the body is not decoded.
    public var memoryCapHits: UInt64 = 0
    /// Bodies in a content coding not decoded (compress, dictionary codings, stacked codings): not delivered.
    public var unsupportedCodings: UInt64 = 0

    public init() {}
}

/// Keeps every stream whole (tests, fuzzing); checks that pieces arrive
/// contiguous and that each stream ends once. A class: the sink is a copy.
public final class ContentRecorder: @unchecked Sendable {
    public struct Stream: Equatable {
        public var flow: UInt32
        public var kind: ContentKind
        public var direction: Direction
        public var id: UInt32
        public var mediaType: String
        public var name: String
        public var filename: String
        public var bytes: [UInt8] = []
        /// nil until the stream ended.
        public var complete: Bool?
    }

    public private(set) var streams: [Stream] = []
    /// Pieces not starting where their stream's previous piece ended, ends of
    /// unknown or already ended streams, labels changing within a stream.
    public private(set) var violations: [String] = []
    /// Bytes kept at most (the rest is counted in `length` but not kept).
    let keep: Int

    public init(keep: Int = 1 << 22) { self.keep = keep }

    func index(flow: UInt32, _ id: UInt32) -> Int? {
        streams.lastIndex { $0.flow == flow && $0.id == id && $0.complete == nil }
    }

    func consume(_ piece: ContentPiece, flow: UInt32) {
        let text = { (b: UnsafeRawBufferPointer) in String(decoding: b, as: UTF8.self) }
        if let k = index(flow: flow, piece.stream) {
            if UInt64(streams[k].bytes.count) != piece.offset && streams[k].bytes.count < keep {
                violations.append("stream \(piece.stream): piece at \(piece.offset) after \(streams[k].bytes.count) bytes")
            }
            if streams[k].kind != piece.kind || streams[k].mediaType != text(piece.mediaType) {
                violations.append("stream \(piece.stream): labels changed")
            }
            if streams[k].bytes.count < keep { streams[k].bytes += piece.bytes.prefix(keep - streams[k].bytes.count) }
        } else {
            if piece.offset != 0 { violations.append("stream \(piece.stream): starts at \(piece.offset)") }
            if piece.bytes.isEmpty { violations.append("stream \(piece.stream): empty piece") }
            streams.append(
                Stream(
                    flow: flow, kind: piece.kind, direction: piece.direction, id: piece.stream,
                    mediaType: text(piece.mediaType), name: text(piece.name), filename: text(piece.filename),
                    bytes: Array(piece.bytes.prefix(keep))))
        }
    }

    func ended(_ end: ContentEnd, flow: UInt32) {
        guard let k = index(flow: flow, end.stream) else {
            violations.append("stream \(end.stream): ended but never started (or ended twice)")
            return
        }
        if UInt64(streams[k].bytes.count) != end.length && streams[k].bytes.count < keep {
            violations.append("stream \(end.stream): ended at \(end.length) after \(streams[k].bytes.count) bytes")
        }
        streams[k].complete = end.complete
    }

    /// Streams not ended yet.
    public var open: [Stream] { streams.filter { $0.complete == nil } }
}

extension InspectionContext {
    /// A reader decodes content only when someone takes it.
    public var wantsContent: Bool {
        if case .off = content { return false }
        return true
    }

    /// Counts a piece and hands it to the sink.
    mutating func deliver(_ piece: ContentPiece) {
        counters.content.bytes[Int(piece.kind.rawValue)] &+= UInt64(piece.bytes.count)
        switch content {
        case .off, .counting: break
        case .scanning(let scanner): scanPiece(piece, scanner: scanner)
        case .recording(let recorder): recorder.consume(piece, flow: flow)
        }
    }

    mutating func endContent(_ end: ContentEnd) {
        counters.content.streams[Int(end.kind.rawValue)] &+= 1
        switch content {
        case .off, .counting: break
        case .scanning(let scanner): endPieceScan(end, scanner: scanner)
        case .recording(let recorder): recorder.ended(end, flow: flow)
        }
    }
}

/// One decoded stream being written: its labels (kept, capped), how much it
/// delivered, the per-stream cap. Its owner charges the labels' bytes.
struct ContentStream {
    let kind: ContentKind
    let direction: Direction
    let id: UInt32
    private(set) var offset: UInt64 = 0
    /// False once the cap was reached or the stream ended: later bytes are dropped.
    private(set) var open = true
    private(set) var capped = false
    private var ended = false
    /// Media type, name and file name, one after the other.
    private var labels: [UInt8] = []
    private var mediaTypeEnd = 0
    private var nameEnd = 0

    init(
        kind: ContentKind, direction: Direction, id: UInt32, mediaType: ArraySlice<UInt8> = [],
        name: ArraySlice<UInt8> = [], filename: ArraySlice<UInt8> = []
    ) {
        self.kind = kind
        self.direction = direction
        self.id = id
        if !(mediaType.isEmpty && name.isEmpty && filename.isEmpty) {
            labels.reserveCapacity(3 * ContentLimits.maxLabel)
            labels += mediaType.prefix(ContentLimits.maxLabel)
            mediaTypeEnd = labels.count
            labels += name.prefix(ContentLimits.maxLabel)
            nameEnd = labels.count
            labels += filename.prefix(ContentLimits.maxLabel)
        }
    }

    /// Bytes a stream's labels may hold (what owners charge for one).
    static let labelBytes = 3 * ContentLimits.maxLabel

    mutating func write(_ bytes: UnsafeRawBufferPointer, _ context: inout InspectionContext) {
        guard open, !bytes.isEmpty else { return }
        var piece = bytes
        let room = ContentLimits.maxDecodedBytes - offset
        if UInt64(piece.count) > room {
            piece = UnsafeRawBufferPointer(rebasing: bytes[..<Int(room)])
            context.counters.content.decodedCapHits &+= 1
            open = false
            capped = true
        }
        if !piece.isEmpty {
            labels.withUnsafeBytes { l in
                context.deliver(
                    ContentPiece(
                        kind: kind, direction: direction, stream: id, offset: offset, bytes: piece,
                        mediaType: UnsafeRawBufferPointer(rebasing: l[0..<mediaTypeEnd]),
                        name: UnsafeRawBufferPointer(rebasing: l[mediaTypeEnd..<nameEnd]),
                        filename: UnsafeRawBufferPointer(rebasing: l[nameEnd..<l.count])))
            }
            offset += UInt64(piece.count)
        }
        if capped { finish(complete: false, &context) }
    }

    /// Ends the stream (once); a stream that delivered nothing never existed.
    mutating func finish(complete: Bool, _ context: inout InspectionContext) {
        guard !ended else { return }
        ended = true
        open = false
        if offset > 0 {
            context.endContent(
                ContentEnd(kind: kind, direction: direction, stream: id, length: offset, complete: complete && !capped))
        }
        labels = []
    }
}
