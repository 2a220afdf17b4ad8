#if canImport(Glibc)
import Glibc
#endif
import Flows

/// Finds credentials sent in clear over HTTP/1.x — `Authorization` and
/// `Proxy-Authorization` (Basic, Bearer, Digest, NTLM), API-key headers,
/// session cookies, passwords in URLs and in url-encoded forms — and, from
/// the response to each request, whether the server accepted them.
///
/// Each direction is read as a sequence of messages (keep-alive and
/// pipelining): start line and header lines (CRLF or bare LF), then the body
/// is skipped by its framing (`Content-Length`, `chunked` with extensions and
/// trailers, or to the end of the stream for a response with neither) without
/// looking at its bytes. The one exception is a POST/PUT body of type
/// `application/x-www-form-urlencoded` of at most `maxFormBody` bytes, which
/// is scanned for password fields. With the content stage on, every body is
/// decoded for it (`HTTPBodyContent`: by content coding and media type, or
/// message by message for gRPC-Web), and header values that are base64 JSON
/// (`EncodedJSONValues`).
///
/// Bytes are read in place. Only a line cut by a chunk boundary is copied
/// (up to `maxLine` bytes; a longer line is skipped and counted), and a form
/// body that spans chunks; both are charged to `InspectionContext`'s budget.
/// Nothing is allocated for an in-order chunk unless a sighting is made.
///
/// A credential from a request waits for that request's response (first in,
/// first out, at most `maxPendingRequests`): 401, 403 and 407 reject it, 2xx,
/// 3xx and a 101 accept it, anything else leaves it unknown; other 1xx interim
/// responses are passed over. When a direction stops — its end, a gap, a message that
/// does not parse, `maxDepth` bytes read — whatever waits is emitted with an
/// unknown outcome. The analyzer is `.done` once both directions stopped.
///
/// A class: one per HTTP flow, the flow slot holds a reference.
public final class HTTPAnalyzer: StreamAnalyzer, SightingSource {
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []

    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    /// Longest start, header, chunk-size or trailer line read.
    public static let maxLine = 8192
    /// Largest url-encoded form body scanned for passwords.
    public static let maxFormBody = 16_384
    /// Requests waiting for their response.
    public static let maxPendingRequests = 64

    // Owned by one flow slot on the packet thread (as in TLSAnalyzer).
    @exclusivity(unchecked) var toServer = MessageReader()
    @exclusivity(unchecked) var toClient = MessageReader()
    /// Requests whose response has not been read, oldest at `pendingHead`.
    @exclusivity(unchecked) var pending: [PendingRequest] = []
    var pendingHead = 0
    /// Requests past `maxPendingRequests`, queued after `pending` by count only.
    var overflowRequests = 0
    var nextRequest: UInt64 = 0
    /// The server switched the connection to HTTP/2 (`Upgrade: h2c`, `101`):
    /// where it starts, for the flow to hand the stream to `HTTP2Analyzer`.
    public internal(set) var h2cUpgrade: H2CUpgrade?
    /// The server switched the connection to WebSocket (`Upgrade: websocket`,
    /// `101`): where its frames start, for the flow to hand the stream to `WebSocketAnalyzer`.
    public internal(set) var webSocketUpgrade: WebSocketUpgrade?
    /// The proxy answered a `CONNECT` with 2xx: where the tunnel starts, for
    /// the flow to identify what speaks inside it.
    public internal(set) var tunnel: TunnelStart?
    /// Number of the next content stream (bodies, form values, parts) of this flow.
    var nextContentStream: UInt32 = 0
    /// What this flow's SAML redirect-binding messages may still inflate to.
    var samlRedirectBudget = SAMLMessage.redirectBytesPerFlow

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    public var isDone: Bool { toServer.phase == .stopped && toClient.phase == .stopped }

    // MARK: StreamAnalyzer

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        // Read in place: swapping the reader out and back (to keep exclusive
        // access provable) copied its ~500 bytes six times per segment.
        // Reading one direction touches only the other one's reader (a
        // request looks at the response side, an upgrade stops the request side).
        if direction == .toServer {
            read(bytes, offset: offset, into: &toServer, direction: direction, context: &context)
        } else {
            read(bytes, offset: offset, into: &toClient, direction: direction, context: &context)
        }
        return isDone ? .done : .needMore
    }

    /// Message boundaries are lost with the bytes: the direction stops.
    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        stop(direction, context: &context)
        return isDone ? .done : .needMore
    }

    public func end(direction: Direction, context: inout InspectionContext) {
        // A body that runs to the end of the stream is complete now.
        if direction == .toServer {
            if toServer.untilEnd { toServer.finishBody(ids: &nextContentStream, &context) }
        } else if toClient.untilEnd {
            toClient.finishBody(ids: &nextContentStream, &context)
        }
        stop(direction, context: &context)
    }

    func stop(_ direction: Direction, context: inout InspectionContext) {
        if direction == .toServer {
            stop(&toServer, direction: direction, context: &context)
        } else {
            stop(&toClient, direction: direction, context: &context)
        }
    }

    /// Stops a direction: frees what it holds and emits, as unknown, the
    /// credentials of the request being read and of every request waiting for
    /// a response (with one direction gone, no outcome can be matched any more).
    func stop(_ r: inout MessageReader, direction: Direction, context: inout InspectionContext) {
        r.dropHeld(&context)
        r.dropForm(&context)
        r.abandonBody(&context)
        r.dropContentType(&context)
        for c in r.credentials { emit(c, .unknown) }
        r.credentials = []
        r.phase = .stopped
        flushPending()
    }

    func flushPending() {
        while pendingHead < pending.count {
            for c in pending[pendingHead].credentials { emit(c, .unknown) }
            pendingHead += 1
        }
        pending.removeAll(keepingCapacity: true)
        pendingHead = 0
        overflowRequests = 0
    }

    func emit(_ c: CredentialSighting, _ outcome: LoginOutcome) {
        var c = c
        c.outcome = outcome
        sightings.append(.credential(c))
    }

    // MARK: framing

    func read(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, into r: inout MessageReader, direction: Direction,
        context: inout InspectionContext
    ) {
        guard r.phase != .stopped else { return }
        // A direction whose first bytes went to identification without being
        // held (its first message did not look like HTTP) starts here.
        if !r.begun {
            r.begun = true
            r.expectedOffset = max(r.expectedOffset, offset)
        }
        let end = offset + UInt64(bytes.count)
        guard end > r.expectedOffset else { return }  // already read (a replayed prefix)
        guard offset <= r.expectedOffset else {
            stop(&r, direction: direction, context: &context)  // bytes in between never arrived
            return
        }
        var i = Int(r.expectedOffset - offset)
        r.chunkOffset = offset
        let allowed = maxDepth > offset ? maxDepth - offset : 0
        let limit = Int(min(UInt64(bytes.count), allowed))
        r.expectedOffset = offset + UInt64(max(limit, i))
        while i < limit && r.phase != .stopped {
            switch r.phase {
            case .body, .chunkData:
                i = skipBody(bytes, from: i, limit: limit, into: &r, direction: direction, context: &context)
            case .startLine, .headers, .chunkSize, .chunkDataEnd, .trailers:
                i = readLine(bytes, from: i, limit: limit, into: &r, direction: direction, context: &context)
            case .stopped:
                break
            }
        }
        if end >= maxDepth && r.phase != .stopped { stop(&r, direction: direction, context: &context) }
    }

    /// Counts body bytes off; only an eligible form body is looked at.
    func skipBody(
        _ bytes: UnsafeRawBufferPointer, from i: Int, limit: Int, into r: inout MessageReader, direction: Direction,
        context: inout InspectionContext
    ) -> Int {
        let n = Int(min(r.remaining, UInt64(limit - i)))
        if r.body != nil {
            r.body!.feed(
                UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]), at: r.chunkOffset + UInt64(i), ids: &nextContentStream,
                &context)
        }
        if r.scanForm {
            let part = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)])
            if r.form.isEmpty && UInt64(n) == r.remaining {
                // The whole body is in this chunk: read it in place.
                scanFormBody(part, into: &r)
                r.scanForm = false
            } else if r.formReserved == 0 && !context.reserve(Int(r.remaining)) {
                r.scanForm = false  // over budget (counted by the context): not scanned
            } else {
                if r.formReserved == 0 {
                    r.formReserved = Int(r.remaining)
                    r.form.reserveCapacity(r.formReserved)
                }
                r.form.append(contentsOf: part)
            }
        }
        r.remaining -= UInt64(n)
        if r.remaining == 0 {
            if r.phase == .chunkData {
                r.phase = .chunkDataEnd
            } else {
                if r.scanForm {
                    let form = r.form
                    r.form = []
                    form.withUnsafeBytes { scanFormBody($0, into: &r) }
                    context.release(r.formReserved)
                    r.formReserved = 0
                    r.scanForm = false
                }
                messageComplete(&r, &context)
            }
        }
        return i + n
    }

    /// Reads up to the next `\n` from `start`; a line cut by the chunk's end
    /// is held (charged, capped). Returns the next index.
    func readLine(
        _ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int, into r: inout MessageReader,
        direction: Direction, context: inout InspectionContext
    ) -> Int {
        // Safe: start < limit <= bytes.count, so the buffer is not empty.
        let base = bytes.baseAddress!
        guard let found = memchr(base + start, 0x0a, limit - start) else {
            let n = limit - start
            guard !r.skippingLine else { return limit }
            if r.held.count + n > HTTPAnalyzer.maxLine {
                context.counters.httpOversizedLines &+= 1
                r.dropHeld(&context)
                r.skippingLine = true
            } else if !context.reserve(n) {
                r.dropHeld(&context)  // over budget (counted by the context): the line is lost
                r.skippingLine = true
            } else {
                r.heldReserved += n
                r.held.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<limit]))
            }
            return limit
        }
        let newline = UnsafeRawPointer(found) - base
        let n = newline - start
        r.lineEnd = r.chunkOffset + UInt64(newline + 1)
        if r.skippingLine {
            r.skippingLine = false
            line(nil, into: &r, direction: direction, context: &context)
        } else if r.held.count + n > HTTPAnalyzer.maxLine {
            context.counters.httpOversizedLines &+= 1
            r.dropHeld(&context)
            line(nil, into: &r, direction: direction, context: &context)
        } else if r.held.isEmpty {
            line(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]), into: &r, direction: direction, context: &context)
        } else {
            // The rest of the held line is appended without charging: it is
            // released right after (the cap above bounds it).
            var held = r.held
            r.held = []
            held.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<newline]))
            context.release(r.heldReserved)
            r.heldReserved = 0
            held.withUnsafeBytes { line($0, into: &r, direction: direction, context: &context) }
        }
        return newline + 1
    }

    /// One line without its `\n`; nil for a line that was too long to read.
    func line(
        _ raw: UnsafeRawBufferPointer?, into r: inout MessageReader, direction: Direction,
        context: inout InspectionContext
    ) {
        var text = raw
        if let t = text, t.count > 0, t[t.count - 1] == 0x0d { text = t.slice(0, t.count - 1) }
        switch r.phase {
        case .startLine:
            guard let t = text else {
                // A request line too long to read: an opaque request (not HEAD); a status line: give up.
                if direction == .toServer {
                    r.startMessage(method: .other)
                } else {
                    malformed(&r, direction: direction, context: &context)
                }
                return
            }
            if t.isEmpty { return }  // stray line breaks between messages
            if direction == .toServer { requestLine(t, into: &r, context: &context) } else {
                statusLine(t, into: &r, context: &context)
            }
        case .headers:
            guard let t = text else { return }  // an oversized header line is skipped
            if t.isEmpty {
                headersDone(&r, direction: direction, context: &context)
            } else if t[0] != 0x20 && t[0] != 0x09 {  // obsolete folding: continuation lines are passed over
                header(t, into: &r, direction: direction, context: &context)
            }
        case .chunkSize:
            guard let t = text else { return malformed(&r, direction: direction, context: &context) }
            if t.isEmpty { return }  // tolerated: an extra line break after chunk data
            guard let size = HTTPAnalyzer.chunkSize(t) else { return malformed(&r, direction: direction, context: &context) }
            if size == 0 {
                r.phase = .trailers
            } else {
                r.remaining = size
                r.phase = .chunkData
            }
        case .chunkDataEnd:
            guard let t = text, t.isEmpty else { return malformed(&r, direction: direction, context: &context) }
            r.phase = .chunkSize
        case .trailers:
            if let t = text, t.isEmpty { messageComplete(&r, &context) }
        case .body, .chunkData, .stopped:
            break
        }
    }

    func malformed(_ r: inout MessageReader, direction: Direction, context: inout InspectionContext) {
        context.counters.httpMalformed &+= 1
        stop(&r, direction: direction, context: &context)
    }

    /// `method SP request-target SP HTTP-version` (RFC 9112 §3).
    func requestLine(_ t: UnsafeRawBufferPointer, into r: inout MessageReader, context: inout InspectionContext) {
        guard let sp1 = t.firstIndex(of: 0x20), sp1 > 0, let sp2 = t.lastIndex(of: 0x20), sp2 > sp1,
            t.slice(sp2 + 1, t.count).hasPrefix("HTTP/", caseInsensitive: false)
        else { return malformed(&r, direction: .toServer, context: &context) }
        let m = t.slice(0, sp1)
        let method: Method =
            m.equals("HEAD") ? .head : m.equals("POST") ? .post : m.equals("PUT") ? .put
            : m.equals("CONNECT") ? .connect : .other
        r.startMessage(method: method)
        let target = t.slice(sp1 + 1, sp2).trimmed
        HTTPAnalyzer.scanTarget(target, into: &r.credentials)
        if context.wantsContent {
            SAMLMessage.deliverRedirect(
                target, direction: .toServer, budget: &samlRedirectBudget, ids: &nextContentStream, context: &context)
        }
    }

    /// `HTTP-version SP status-code SP [reason-phrase]` (RFC 9112 §4).
    func statusLine(_ t: UnsafeRawBufferPointer, into r: inout MessageReader, context: inout InspectionContext) {
        guard t.hasPrefix("HTTP/", caseInsensitive: false), var k = t.firstIndex(of: 0x20) else {
            return malformed(&r, direction: .toClient, context: &context)
        }
        while k < t.count && t[k] == 0x20 { k += 1 }
        guard k + 3 <= t.count, (k + 3 == t.count || t[k + 3] == 0x20 || t[k + 3] == 0x09) else {
            return malformed(&r, direction: .toClient, context: &context)
        }
        var status = 0
        for d in t[k..<(k + 3)] {
            guard d >= 0x30 && d <= 0x39 else { return malformed(&r, direction: .toClient, context: &context) }
            status = status * 10 + Int(d - 0x30)
        }
        r.startMessage(method: .other)
        r.status = status
    }

    func header(
        _ t: UnsafeRawBufferPointer, into r: inout MessageReader, direction: Direction, context: inout InspectionContext
    ) {
        guard let colon = t.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return }
        let name = t.slice(0, colon).trimmed
        let value = t.slice(colon + 1, t.count).trimmed
        // What the content stage needs to decode the body, in both directions;
        // base64 JSON in a value (a proxy's identity header, a session cookie).
        if context.wantsContent {
            EncodedJSONValues.deliver(value, header: name, direction: direction, ids: &nextContentStream, context: &context)
            if name.equals("location", caseInsensitive: true) {
                SAMLMessage.deliverRedirect(
                    value, direction: direction, budget: &samlRedirectBudget, ids: &nextContentStream, context: &context)
            } else if name.equals("content-type", caseInsensitive: true) {
                r.keepContentType(value, &context)
            } else if name.equals("content-encoding", caseInsensitive: true) {
                r.contentCoding = HTTPContentCoding(value)
                return
            } else if name.equals("grpc-encoding", caseInsensitive: true) {
                r.grpcEncoding = HTTPContentCoding(value)  // gRPC-Web
                return
            }
        }
        // Framing, in both directions.
        if name.equals("content-length", caseInsensitive: true) {
            guard let n = HTTPAnalyzer.decimal(value) else {
                r.badFraming = true
                return
            }
            r.contentLength = n
            return
        }
        if name.equals("transfer-encoding", caseInsensitive: true) {
            // Chunked when it is the last coding applied.
            var last = value
            if let comma = value.lastIndex(of: UInt8(ascii: ",")) { last = value.slice(comma + 1, value.count).trimmed }
            r.transferEncoding = true
            r.chunked = last.equals("chunked", caseInsensitive: true)
            return
        }
        // An offer to switch to HTTP/2 in clear or to WebSocket, and the
        // server's acceptance (RFC 7540 §3.2, RFC 6455 §4.2.2).
        if name.equals("upgrade", caseInsensitive: true) {
            r.upgrade = value.contains("h2c") ? .h2c : value.contains("websocket") ? .webSocket : .none
        }
        if direction == .toClient {
            if name.equals("sec-websocket-extensions", caseInsensitive: true) && HTTPAnalyzer.namesPerMessageDeflate(value) {
                r.perMessageDeflate = true
            } else if name.equals("sec-websocket-protocol", caseInsensitive: true) {
                r.webSocketCarries = HTTPAnalyzer.webSocketSubprotocol(value)
            }
            if name.equals("set-cookie", caseInsensitive: true) {
                var found: [CredentialSighting] = []
                HTTPAnalyzer.setCookie(value, into: &found)
                for c in found { emit(c, .unknown) }
            }
            return
        }
        if name.equals("content-type", caseInsensitive: true) {
            r.formEncoded = value.hasPrefix("application/x-www-form-urlencoded", caseInsensitive: true)
        } else {
            HTTPAnalyzer.requestHeader(name: name, value: value, into: &r.credentials)
        }
    }

    func headersDone(_ r: inout MessageReader, direction: Direction, context: inout InspectionContext) {
        // A 2xx to CONNECT has no body whatever its headers say (RFC 9112 §6.3): the tunnel follows.
        let tunnelAnswer = direction == .toClient && r.status >= 200 && r.status < 300 && awaitsConnectAnswer
        if r.badFraming && !r.transferEncoding && !tunnelAnswer { return malformed(&r, direction: direction, context: &context) }
        if direction == .toServer {
            let credentials = r.credentials
            r.credentials = []
            r.request = enqueue(method: r.method, credentials: credentials, context: &context)
            if (r.upgrade != .none || r.method == .connect) && !r.transferEncoding && r.request != nil {
                pending[pending.count - 1].followedAt = r.lineEnd + (r.contentLength ?? 0)
                pending[pending.count - 1].offered = r.upgrade
            }
            if r.transferEncoding {
                // A request whose last coding is not chunked cannot be framed (RFC 9112 §6.3).
                guard r.chunked else { return malformed(&r, direction: direction, context: &context) }
                r.phase = .chunkSize
                startBody(&r, direction: direction, context: &context)
            } else if let n = r.contentLength, n > 0 {
                r.remaining = n
                r.phase = .body
                r.scanForm = (r.method == .post || r.method == .put) && r.formEncoded
                    && n <= UInt64(HTTPAnalyzer.maxFormBody)
                startBody(&r, direction: direction, context: &context)
            } else {
                messageComplete(&r, &context)
            }
            return
        }
        let status = r.status
        if status >= 100 && status < 200 && status != 101 {
            messageComplete(&r, &context)  // interim: the final response follows
            return
        }
        let request = dequeue()
        // A 101 switches to what the request offered and the response names.
        let switchesTo = status == 101 && r.upgrade == request.offered ? r.upgrade : .none
        if switchesTo == .h2c, let start = request.followedAt {
            // HTTP/2 follows; the request's response will come as its stream 1.
            h2cUpgrade = H2CUpgrade(
                toServer: start, toClient: r.lineEnd, credentials: request.credentials, nextContentStream: nextContentStream)
            stop(&r, direction: direction, context: &context)
            stop(.toServer, context: &context)
            return
        }
        let outcome = HTTPAnalyzer.outcome(status: status)
        for c in request.credentials { emit(c, outcome) }
        if tunnelAnswer, let start = request.followedAt {
            // A 2xx answer to CONNECT has no body: the tunnel starts after its head (RFC 9110 §9.3.6).
            tunnel = TunnelStart(kind: .httpConnect, toServer: start, toClient: r.lineEnd)
        }
        if switchesTo == .webSocket, let start = request.followedAt {
            // WebSocket frames follow the request and the 101's head (RFC 6455 §4.1).
            webSocketUpgrade = WebSocketUpgrade(
                toServer: start, toClient: r.lineEnd, deflate: r.perMessageDeflate, carries: r.webSocketCarries,
                nextContentStream: nextContentStream)
        }
        if status == 101 || tunnelAnswer {
            // Another protocol (or a tunnel) follows in both directions.
            stop(&r, direction: direction, context: &context)
            stop(.toServer, context: &context)
            return
        }
        if request.method == .head || status == 204 || status == 304 {
            messageComplete(&r, &context)
        } else if r.transferEncoding && r.chunked {
            r.phase = .chunkSize
            startBody(&r, direction: direction, context: &context)
        } else if !r.transferEncoding, let n = r.contentLength {
            if n == 0 {
                messageComplete(&r, &context)
            } else {
                r.remaining = n
                r.phase = .body
                startBody(&r, direction: direction, context: &context)
            }
        } else if context.wantsContent {
            // The body runs to the end of the stream (RFC 9112 §6.3 item 8): read it to there.
            r.remaining = .max
            r.phase = .body
            r.untilEnd = true
            startBody(&r, direction: direction, context: &context)
        } else {
            stop(&r, direction: direction, context: &context)  // the body runs to the end of the stream
        }
    }

    func messageComplete(_ r: inout MessageReader, _ context: inout InspectionContext) {
        r.finishBody(ids: &nextContentStream, &context)
        r.phase = .startLine
    }

    /// The body about to be read is decoded for the content stage, when it is wanted.
    func startBody(_ r: inout MessageReader, direction: Direction, context: inout InspectionContext) {
        guard context.wantsContent else { return }
        r.body = HTTPBodyContent(
            request: direction == .toServer, direction: direction, contentType: r.contentType, coding: r.contentCoding,
            grpcEncoding: r.grpcEncoding, ids: &nextContentStream, context: &context)
    }

    // MARK: requests waiting for responses

    /// Queues a finished request head; returns its number, or nil when its
    /// credentials went out at once (no response can come, or the queue is full).
    func enqueue(method: Method, credentials: [CredentialSighting], context: inout InspectionContext) -> UInt64? {
        guard toClient.phase != .stopped else {
            for c in credentials { emit(c, .unknown) }
            return nil
        }
        if overflowRequests > 0 || pending.count - pendingHead >= HTTPAnalyzer.maxPendingRequests {
            // Queued by count only, after the full queue, so later responses still pair up.
            context.counters.httpPendingOverflows &+= 1
            overflowRequests += 1
            for c in credentials { emit(c, .unknown) }
            return nil
        }
        if pendingHead > 0 && pendingHead >= pending.count / 2 {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
        let number = nextRequest
        nextRequest &+= 1
        pending.append(PendingRequest(number: number, method: method, credentials: credentials))
        return number
    }

    /// The oldest request without a response is a CONNECT.
    var awaitsConnectAnswer: Bool { pendingHead < pending.count && pending[pendingHead].method == .connect }

    /// The oldest request without a response (an unknown GET-like one when none is known).
    func dequeue() -> PendingRequest {
        if pendingHead < pending.count {
            let request = pending[pendingHead]
            pending[pendingHead].credentials = []
            pendingHead += 1
            if pendingHead == pending.count {
                pending.removeAll(keepingCapacity: true)
                pendingHead = 0
            }
            return request
        }
        if overflowRequests > 0 { overflowRequests -= 1 }
        return PendingRequest(number: .max, method: .other, credentials: [])
    }

    /// A form body's fields: sightings join its request while it waits, else go out as unknown.
    func scanFormBody(_ body: UnsafeRawBufferPointer, into r: inout MessageReader) {
        var found: [CredentialSighting] = []
        HTTPAnalyzer.formFields(body, mechanism: .httpForm, into: &found)
        guard !found.isEmpty else { return }
        if let number = r.request, pendingHead < pending.count, pending[pending.count - 1].number == number {
            pending[pending.count - 1].credentials += found
        } else {
            for c in found { emit(c, .unknown) }
        }
    }
}

// MARK: - State

extension HTTPAnalyzer {
    enum Method: UInt8 {
        case head, post, put, connect, other
    }

    /// What a message's `Upgrade` header names (the ones read on from a `101`).
    enum Upgrade: UInt8 {
        case none, h2c, webSocket
    }

    enum Phase: UInt8 {
        case startLine, headers, body, chunkSize, chunkData, chunkDataEnd, trailers, stopped
    }

    struct PendingRequest {
        var number: UInt64
        var method: Method
        var credentials: [CredentialSighting]
        /// It offered an `Upgrade` or was a `CONNECT`: where the client's
        /// bytes after it start (HTTP/2's preface, WebSocket frames, the tunnel).
        var followedAt: UInt64?
        /// The protocol its `Upgrade` offered.
        var offered = Upgrade.none
    }

    /// One direction: where it is in the current message, and the line it holds.
    struct MessageReader {
        var phase = Phase.startLine
        var expectedOffset: UInt64 = 0
        /// Some bytes of the direction were read.
        var begun = false
        /// Body or chunk bytes left to skip.
        var remaining: UInt64 = 0
        /// A line cut by a chunk boundary (charged to the budget).
        var held: [UInt8] = []
        var heldReserved = 0
        /// The current line is past `maxLine` (or over budget): read to its end, not kept.
        var skippingLine = false
        /// Stream offsets: of the chunk being read, and just past the last complete line.
        var chunkOffset: UInt64 = 0
        var lineEnd: UInt64 = 0

        // The current message.
        var method = Method.other
        var status = 0
        var contentLength: UInt64?
        var badFraming = false
        var transferEncoding = false
        var chunked = false
        var formEncoded = false
        /// Request credentials read from the head, until it ends.
        var credentials: [CredentialSighting] = []
        /// The queued request whose body this is.
        var request: UInt64?
        var scanForm = false
        var form: [UInt8] = []
        var formReserved = 0
        /// The protocol the message's `Upgrade` names.
        var upgrade = Upgrade.none
        /// A response's `Sec-WebSocket-Extensions` accepts permessage-deflate.
        var perMessageDeflate = false
        /// The protocol a response's `Sec-WebSocket-Protocol` chose, when its logins are read.
        var webSocketCarries: AppProtocol?
        /// The body's `Content-Type` (capped; charged once per direction) and `Content-Encoding`.
        var contentType: [UInt8] = []
        var contentTypeReserved = 0
        var contentCoding = HTTPContentCoding.identity
        /// gRPC-Web's message compression.
        var grpcEncoding = HTTPContentCoding.identity
        /// The body being decoded for the content stage.
        var body: HTTPBodyContent?
        /// A response body without length that runs to the end of the stream.
        var untilEnd = false

        mutating func startMessage(method: Method) {
            self.method = method
            upgrade = .none
            perMessageDeflate = false
            webSocketCarries = nil
            status = 0
            contentLength = nil
            badFraming = false
            transferEncoding = false
            chunked = false
            formEncoded = false
            request = nil
            scanForm = false
            contentType.removeAll(keepingCapacity: true)
            contentCoding = .identity
            grpcEncoding = .identity
            untilEnd = false
            phase = .headers
        }

        mutating func keepContentType(_ value: UnsafeRawBufferPointer, _ context: inout InspectionContext) {
            if contentTypeReserved == 0 {
                guard context.reserve(ContentLimits.maxLabel) else { return }
                contentTypeReserved = ContentLimits.maxLabel
                contentType.reserveCapacity(ContentLimits.maxLabel)
            }
            contentType.removeAll(keepingCapacity: true)
            contentType.append(contentsOf: value.prefix(ContentLimits.maxLabel))
        }

        mutating func dropContentType(_ context: inout InspectionContext) {
            context.release(contentTypeReserved)
            contentTypeReserved = 0
            contentType = []
        }

        /// The body was read to its end.
        mutating func finishBody(ids: inout UInt32, _ context: inout InspectionContext) {
            body?.finish(complete: true, ids: &ids, &context)
            body = nil
        }

        mutating func abandonBody(_ context: inout InspectionContext) {
            body?.abandon(&context)
            body = nil
        }

        mutating func dropHeld(_ context: inout InspectionContext) {
            context.release(heldReserved)
            heldReserved = 0
            held = []
        }

        mutating func dropForm(_ context: inout InspectionContext) {
            context.release(formReserved)
            formReserved = 0
            form = []
            scanForm = false
        }
    }
}

// MARK: - Credential parsing (runs on one header or body in place)

extension HTTPAnalyzer {
    static let apiKeyHeaders: [StaticString] = ["x-api-key", "x-api-token", "x-auth-token", "api-key", "x-access-token"]

    static func isAPIKeyHeader(_ name: UnsafeRawBufferPointer) -> Bool {
        apiKeyHeaders.contains { name.equals($0, caseInsensitive: true) }
    }

    /// `Authorization` / `Proxy-Authorization`: `<scheme> <credentials>`.
    static func authorization(_ value: UnsafeRawBufferPointer, into out: inout [CredentialSighting]) {
        let space = value.firstIndex(where: { $0 == 0x20 || $0 == 0x09 }) ?? value.count
        let scheme = value.slice(0, space)
        let rest = value.slice(space, value.count).trimmed
        guard !rest.isEmpty else { return }
        if scheme.equals("basic", caseInsensitive: true) {
            if let decoded = CleartextBase64.decode(rest), let colon = decoded.firstIndex(of: UInt8(ascii: ":")) {
                out.append(
                    CredentialSighting(
                        mechanism: .httpBasic, username: Array(decoded[..<colon]), secret: Array(decoded[(colon + 1)...])))
            } else {
                out.append(CredentialSighting(mechanism: .httpBasic, username: nil, secret: Array(rest)))
            }
        } else if scheme.equals("bearer", caseInsensitive: true) {
            out.append(CredentialSighting(mechanism: .httpBearer, username: nil, secret: Array(rest)))
        } else if scheme.equals("digest", caseInsensitive: true) {
            var username: [UInt8]?
            var response: [UInt8]?
            digestParameters(rest) { name, value in
                if name.equals("username", caseInsensitive: true) { username = Array(value) }
                if name.equals("response", caseInsensitive: true) { response = Array(value) }
            }
            if let response {
                out.append(CredentialSighting(mechanism: .httpDigest, username: username, secret: response))
            }
        } else if scheme.equals("ntlm", caseInsensitive: true) || scheme.equals("negotiate", caseInsensitive: true) {
            if let decoded = CleartextBase64.decode(rest), let c = NTLMMessage.authenticate(decoded) { out.append(c) }
        }
    }

    /// The credentials one request header field carries — HTTP/1 and HTTP/2
    /// alike: `Authorization`/`Proxy-Authorization`, session cookies in
    /// `Cookie`, API-key headers. `value` is trimmed.
    static func requestHeader(
        name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, into out: inout [CredentialSighting]
    ) {
        if name.equals("authorization", caseInsensitive: true) || name.equals("proxy-authorization", caseInsensitive: true) {
            authorization(value, into: &out)
        } else if name.equals("cookie", caseInsensitive: true) {
            var rest = value
            while !rest.isEmpty {
                let semicolon = rest.firstIndex(of: UInt8(ascii: ";")) ?? rest.count
                cookie(rest.slice(0, semicolon), direction: .toServer, into: &out)
                rest = semicolon < rest.count ? rest.slice(semicolon + 1, rest.count) : rest.slice(0, 0)
            }
        } else if isAPIKeyHeader(name) && !value.isEmpty {
            out.append(CredentialSighting(mechanism: .httpAPIKey, username: nil, secret: Array(value)))
        }
    }

    /// `Set-Cookie`: only the first pair is the cookie; the rest are its attributes.
    static func setCookie(_ value: UnsafeRawBufferPointer, into out: inout [CredentialSighting]) {
        var pair = value
        if let semicolon = value.firstIndex(of: UInt8(ascii: ";")) { pair = value.slice(0, semicolon) }
        cookie(pair, direction: .toClient, into: &out)
    }

    /// What a final response status says of the request's credentials:
    /// 401, 403 and 407 reject them; 2xx, 3xx and a `101` (the server
    /// switched protocols for the request, so it let it in) accept them.
    static func outcome(status: Int) -> LoginOutcome {
        if status == 401 || status == 403 || status == 407 { return .rejected }
        return status >= 200 && status < 400 || status == 101 ? .accepted : .unknown
    }

    /// `name=value` or `name="quoted value"` pairs separated by commas (RFC 7616 §3.4).
    static func digestParameters(
        _ text: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void
    ) {
        var k = 0
        let n = text.count
        while k < n {
            while k < n && (text[k] == 0x20 || text[k] == 0x09 || text[k] == UInt8(ascii: ",")) { k += 1 }
            let nameStart = k
            while k < n && text[k] != UInt8(ascii: "=") && text[k] != UInt8(ascii: ",") { k += 1 }
            let name = text.slice(nameStart, k).trimmed
            guard k < n && text[k] == UInt8(ascii: "=") else { continue }
            k += 1
            while k < n && (text[k] == 0x20 || text[k] == 0x09) { k += 1 }
            if k < n && text[k] == UInt8(ascii: "\"") {
                k += 1
                let valueStart = k
                while k < n && text[k] != UInt8(ascii: "\"") { k += text[k] == UInt8(ascii: "\\") ? 2 : 1 }
                body(name, text.slice(valueStart, min(k, n)))
                k += 1
            } else {
                let valueStart = k
                while k < n && text[k] != UInt8(ascii: ",") { k += 1 }
                body(name, text.slice(valueStart, k).trimmed)
            }
        }
    }

    /// One `name=value` cookie; a session-like name makes a sighting.
    static func cookie(_ pair: UnsafeRawBufferPointer, direction: Direction, into out: inout [CredentialSighting]) {
        guard let eq = pair.firstIndex(of: UInt8(ascii: "=")) else { return }
        let name = pair.slice(0, eq).trimmed
        let value = pair.slice(eq + 1, pair.count).trimmed
        guard !value.isEmpty, isSessionCookie(name) else { return }
        out.append(
            CredentialSighting(mechanism: .httpCookie, username: Array(name), secret: Array(value), direction: direction))
    }

    /// `sess` anywhere, or ending in `sid`, `token`, `auth`, `jwt` (covers
    /// JSESSIONID, PHPSESSID, ASP.NET_SessionId, connect.sid).
    static func isSessionCookie(_ name: UnsafeRawBufferPointer) -> Bool {
        name.contains("sess") || name.hasSuffix("sid") || name.hasSuffix("token") || name.hasSuffix("auth")
            || name.hasSuffix("jwt")
    }

    /// The request target: userinfo in an absolute-form URL, password fields in the query.
    static func scanTarget(_ target: UnsafeRawBufferPointer, into out: inout [CredentialSighting]) {
        // scheme ":" "//" authority (RFC 3986 §3): the scheme is letters, digits, `+`, `-`, `.`.
        var k = 0
        while k < target.count, isSchemeByte(target[k]) { k += 1 }
        if k > 0, k + 3 <= target.count, target[k] == UInt8(ascii: ":"), target[k + 1] == UInt8(ascii: "/"),
            target[k + 2] == UInt8(ascii: "/")
        {
            let authorityStart = k + 3
            let authorityEnd =
                target.slice(authorityStart, target.count).firstIndex(where: {
                    $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
                }).map { $0 + authorityStart } ?? target.count
            let authority = target.slice(authorityStart, authorityEnd)
            if let at = authority.lastIndex(of: UInt8(ascii: "@")) {
                let userinfo = authority.slice(0, at)
                if let colon = userinfo.firstIndex(of: UInt8(ascii: ":")) {
                    out.append(
                        CredentialSighting(
                            mechanism: .urlPassword, username: percentDecoded(userinfo.slice(0, colon), plusIsSpace: false),
                            secret: percentDecoded(userinfo.slice(colon + 1, userinfo.count), plusIsSpace: false)))
                }
            }
        }
        if let q = target.firstIndex(of: UInt8(ascii: "?")) {
            let query = target.slice(q + 1, target.count)
            formFields(query.slice(0, query.firstIndex(of: UInt8(ascii: "#")) ?? query.count), mechanism: .httpForm, into: &out)
        }
    }

    static func isSchemeByte(_ b: UInt8) -> Bool {
        (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a || b >= 0x30 && b <= 0x39 || b == 0x2b || b == 0x2d || b == 0x2e
    }

    static let passwordFields: [StaticString] = ["password", "passwd", "pwd", "pass", "secret"]
    static let userFields: [StaticString] = ["user", "username", "login", "email"]

    /// `name=value&...` (a query or an url-encoded form): each field named
    /// like a password makes a sighting, with the user field if there is one.
    static func formFields(
        _ text: UnsafeRawBufferPointer, mechanism: CredentialMechanism, into out: inout [CredentialSighting]
    ) {
        var user: UnsafeRawBufferPointer?
        var hasPassword = false
        forEachField(text) { name, value in
            if user == nil && userFields.contains(where: { name.equals($0, caseInsensitive: true) }) { user = value }
            if !value.isEmpty && passwordFields.contains(where: { name.equals($0, caseInsensitive: true) }) {
                hasPassword = true
            }
        }
        guard hasPassword else { return }
        let username = user.flatMap { $0.isEmpty ? nil : percentDecoded($0, plusIsSpace: true) }
        forEachField(text) { name, value in
            if !value.isEmpty && passwordFields.contains(where: { name.equals($0, caseInsensitive: true) }) {
                out.append(
                    CredentialSighting(mechanism: mechanism, username: username, secret: percentDecoded(value, plusIsSpace: true)))
            }
        }
    }

    static func forEachField(
        _ text: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void
    ) {
        var rest = text
        while !rest.isEmpty {
            let amp = rest.firstIndex(of: UInt8(ascii: "&")) ?? rest.count
            let field = rest.slice(0, amp)
            if let eq = field.firstIndex(of: UInt8(ascii: "=")) {
                body(field.slice(0, eq).trimmedLineBreaks, field.slice(eq + 1, field.count).trimmedLineBreaks)
            }
            rest = amp < rest.count ? rest.slice(amp + 1, rest.count) : rest.slice(0, 0)
        }
    }

    static func percentDecoded(_ text: UnsafeRawBufferPointer, plusIsSpace: Bool) -> [UInt8] {
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: b - 0x30
            case 0x41...0x46: b - 0x41 + 10
            case 0x61...0x66: b - 0x61 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var k = 0
        while k < text.count {
            let b = text[k]
            if b == UInt8(ascii: "%"), k + 2 < text.count, let hi = hex(text[k + 1]), let lo = hex(text[k + 2]) {
                out.append(hi << 4 | lo)
                k += 3
                continue
            }
            out.append(plusIsSpace && b == UInt8(ascii: "+") ? 0x20 : b)
            k += 1
        }
        return out
    }

    /// `1*HEXDIG [ chunk-ext ]` (RFC 9112 §7.1); nil when not a size.
    /// A `Sec-WebSocket-Extensions` value lists `permessage-deflate` (with
    /// any parameters: its window sizes and context takeover do not change
    /// how it is inflated), RFC 7692 §5.
    static func namesPerMessageDeflate(_ value: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        for end in 0...value.count where end == value.count || value[end] == UInt8(ascii: ",") {
            var item = value.slice(start, end)
            if let semicolon = item.firstIndex(of: UInt8(ascii: ";")) { item = item.slice(0, semicolon) }
            if item.trimmed.equals("permessage-deflate", caseInsensitive: true) { return true }
            start = end + 1
        }
        return false
    }

    /// The subprotocol a server chose (RFC 6455 §4.2.2), when PlainSight reads
    /// its logins: MQTT's names (3.1.1 and 5.0 §6; `mqttv3.1` for 3.1) and
    /// STOMP's (`v10.stomp`, `v11.stomp`, `v12.stomp`, as RabbitMQ's Web STOMP and
    /// stomp.js name them).
    static func webSocketSubprotocol(_ value: UnsafeRawBufferPointer) -> AppProtocol? {
        if value.equals("mqtt", caseInsensitive: true) || value.equals("mqttv3.1", caseInsensitive: true) { return .mqtt }
        if value.equals("v10.stomp", caseInsensitive: true) || value.equals("v11.stomp", caseInsensitive: true)
            || value.equals("v12.stomp", caseInsensitive: true)
        {
            return .stomp
        }
        return nil
    }

    static func chunkSize(_ line: UnsafeRawBufferPointer) -> UInt64? {
        var size: UInt64 = 0
        var digits = 0
        for b in line {
            let v: UInt64
            switch b {
            case 0x30...0x39: v = UInt64(b - 0x30)
            case 0x41...0x46: v = UInt64(b - 0x41 + 10)
            case 0x61...0x66: v = UInt64(b - 0x61 + 10)
            case UInt8(ascii: ";"), 0x20, 0x09: return digits > 0 ? size : nil
            default: return nil
            }
            digits += 1
            guard digits <= 15 else { return nil }
            size = size << 4 | v
        }
        return digits > 0 ? size : nil
    }

    static func decimal(_ text: UnsafeRawBufferPointer) -> UInt64? {
        guard !text.isEmpty, text.count <= 18 else { return nil }
        var n: UInt64 = 0
        for b in text {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            n = n * 10 + UInt64(b - 0x30)
        }
        return n
    }
}

// MARK: - Byte tests in place

extension UnsafeRawBufferPointer {
    fileprivate func slice(_ from: Int, _ to: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[from..<to])
    }

    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmed: UnsafeRawBufferPointer {
        var a = 0
        var b = count
        while a < b && (self[a] == 0x20 || self[a] == 0x09) { a += 1 }
        while b > a && (self[b - 1] == 0x20 || self[b - 1] == 0x09) { b -= 1 }
        return slice(a, b)
    }

    /// Without leading and trailing whitespace including line breaks (a form body may end in one).
    fileprivate var trimmedLineBreaks: UnsafeRawBufferPointer {
        var a = 0
        var b = count
        func space(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0d || c == 0x0a }
        while a < b && space(self[a]) { a += 1 }
        while b > a && space(self[b - 1]) { b -= 1 }
        return slice(a, b)
    }

    fileprivate func equals(_ text: StaticString, caseInsensitive: Bool = false) -> Bool {
        count == text.utf8CodeUnitCount && hasPrefix(text, caseInsensitive: caseInsensitive)
    }

    fileprivate func hasPrefix(_ text: StaticString, caseInsensitive: Bool) -> Bool {
        matches(text, at: 0, caseInsensitive: caseInsensitive)
    }

    fileprivate func hasSuffix(_ text: StaticString) -> Bool {
        count >= text.utf8CodeUnitCount && matches(text, at: count - text.utf8CodeUnitCount, caseInsensitive: true)
    }

    fileprivate func contains(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard count >= n else { return false }
        for start in 0...(count - n) where matches(text, at: start, caseInsensitive: true) { return true }
        return false
    }

    /// Case-insensitive only for letters: `text` is lower-case ASCII.
    fileprivate func matches(_ text: StaticString, at offset: Int, caseInsensitive: Bool) -> Bool {
        let n = text.utf8CodeUnitCount
        guard offset >= 0, count - offset >= n else { return false }
        let t = text.utf8Start
        for k in 0..<n {
            var a = self[offset + k]
            let b = t[k]
            if caseInsensitive && a >= 0x41 && a <= 0x5a { a |= 0x20 }
            if a != b { return false }
        }
        return true
    }
}
