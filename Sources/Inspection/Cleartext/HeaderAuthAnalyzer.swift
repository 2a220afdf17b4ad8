import Flows

/// Reads the logins of the HTTP-shaped signalling protocols — SIP (RFC 3261)
/// and RTSP (RFC 2326, RFC 7826) — and reports the `Authorization` and
/// `Proxy-Authorization` credentials their requests carry, with the verdict
/// of the matching response.
///
/// A message is a start line, header lines and an empty line, then a body
/// of `Content-Length` bytes (RFC 3261 §7.5 and §20.14, compact `l`; RFC
/// 7826 §18.17). Over TCP both directions are cut into lines by
/// `LineDialogue` and bodies are skipped by length; over UDP (SIP, RFC 3261
/// §18.3) each chunk is one datagram holding one message, read in place.
/// The header values are parsed by HTTP's own parsers
/// (`HTTPAnalyzer.authorization`); the mechanism is renamed for the
/// protocol (`Dialect.mechanism`).
///
/// A response answers the request with the same `CSeq` (and, in SIP, the
/// same `Call-ID`) sent the other way: 2xx accepts a credential, 401, 403
/// and 407 reject it, other final answers leave it `.unknown`; provisional
/// (1xx) answers are passed over. A retransmitted request (same keys, same
/// secret) is not counted twice. At most `maxPending` credentials wait for
/// an answer; past it the oldest goes out as `.unknown` (counted in
/// `cleartextPendingOverflows`), and so does every waiting one when the
/// answers can no longer come.
///
/// Over TCP it is `.done` once both directions stopped, or once a
/// credential was accepted and nothing else waits (later requests repeat the
/// same credential). An RTSP interleaved binary frame (`$`, RFC 2326 §10.12)
/// where a message should start, or any line that is not a start line, ends
/// the reading: the media that follows is not text, and a stream that is no
/// longer SIP/RTSP cannot be framed. Over UDP it is never `.done` (a later
/// datagram may carry another login), like SNMP.
///
/// Over TCP, lost bytes — a connection picked up mid-stream (SIP keeps its
/// TCP connections open for hours of REGISTER refreshes), or a gap — cost
/// the message they fall in: lines are passed over until one starts a
/// message (a status line, or a request line with the protocol's version),
/// and reading goes on from there. The credentials waiting for an answer
/// keep waiting: answers are matched by their keys, not by order.
public final class HeaderAuthAnalyzer: StreamAnalyzer, SightingSource, LineDialogue, TwoWayDialogue {
    public enum Dialect: Sendable { case sip, rtsp }

    public let dialect: Dialect
    /// Each chunk is one datagram (SIP over UDP).
    public let datagrams: Bool
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []

    /// Credentials waiting for their response; past it the oldest is emitted as `.unknown`.
    static let maxPending = 8
    /// Bytes of a `Call-ID` or `CSeq` value kept to match a response to its request.
    static let maxKey = 128
    /// Credential headers read per message (more are passed over).
    static let maxCredentialsPerMessage = 4

    // One flow's state, used on the packet thread only.
    @exclusivity(unchecked) var toServer = LoginLineReader()
    @exclusivity(unchecked) var toClient = LoginLineReader()
    @exclusivity(unchecked) var messages = (toServer: HeaderMessage(), toClient: HeaderMessage())
    var rawRequest: (length: UInt64, capture: Bool)?
    var lineNotContent: Range<Int>?
    var isDone = false
    var accepted = false
    var pending: [PendingHeaderCredential] = []

    public init(dialect: Dialect, datagrams: Bool, maxDepth: UInt64) {
        self.dialect = dialect
        self.datagrams = datagrams
        self.maxDepth = maxDepth
    }

    // MARK: StreamAnalyzer

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        if datagrams {
            readDatagram(bytes, direction: direction, context: &context)
            return .needMore
        }
        return ingestStream(bytes, direction: direction, offset: offset, context: &context)
    }

    /// Over TCP lost bytes cost the message they fall in (the direction
    /// resumes at the next start line). A lost datagram is just not read.
    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !datagrams else { return isDone ? .done : .needMore }
        return skipGap(direction, offset: offset, length: length, context: &context)
    }

    public func end(direction: Direction, context: inout InspectionContext) {
        guard !isDone else { return }
        if datagrams {
            // A flow's end: no answer can come any more.
            flushPending()
            return
        }
        _ = stopStream(direction, context: &context)
    }

    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        let serverStopped = toClient.finished || messages.toClient.phase == .lost
        let clientStopped = toServer.finished || messages.toServer.phase == .lost
        if serverStopped { flushPending() }
        // Either side no longer speaking the protocol (RTSP media) ends the reading too.
        let lost = messages.toClient.phase == .lost || messages.toServer.phase == .lost
        if (serverStopped && clientStopped) || (accepted && pending.isEmpty) || lost { isDone = true }
        guard isDone else { return .needMore }
        flushPending()
        toServer.stop(&context)
        toClient.stop(&context)
        messages = (HeaderMessage(), HeaderMessage())
        return .done
    }

    // MARK: reading

    /// One UDP datagram: one message, its lines read in place.
    func readDatagram(_ bytes: UnsafeRawBufferPointer, direction: Direction, context: inout InspectionContext) {
        var start = 0
        while start < bytes.count {
            var lf = start
            while lf < bytes.count && bytes[lf] != 0x0a { lf += 1 }
            var end = lf
            if end > start && bytes[end - 1] == 0x0d { end -= 1 }
            let length = min(end - start, LoginLineReader.maxLine)
            let inHeaders = (direction == .toServer ? messages.toServer.phase : messages.toClient.phase) == .headers
            deliver(
                UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]), truncated: end - start > length,
                direction: direction, context: &context)
            rawRequest = nil
            // The empty line ended the message (read then); the rest is its body.
            if inHeaders && end == start { return }
            start = lf + 1
        }
        // A datagram holds exactly one message (RFC 3261 §18.3), with or without its empty line.
        if direction == .toServer { finishDatagram(&messages.toServer, direction, context: &context) } else {
            finishDatagram(&messages.toClient, direction, context: &context)
        }
    }

    func finishDatagram(_ m: inout HeaderMessage, _ direction: Direction, context: inout InspectionContext) {
        if m.phase == .headers { messageDone(&m, direction, context: &context) }
        m.reset()
        m.phase = .start  // the next datagram is a message of its own, whatever this one was
    }

    func deliver(_ bytes: UnsafeRawBufferPointer, truncated: Bool, direction: Direction, context: inout InspectionContext) {
        if direction == .toServer {
            line(LoginLine(bytes: bytes, truncated: truncated), &messages.toServer, direction, context: &context)
        } else {
            line(LoginLine(bytes: bytes, truncated: truncated), &messages.toClient, direction, context: &context)
        }
    }

    func rawData(_ bytes: UnsafeRawBufferPointer, context: inout InspectionContext) {}
    func rawDataEnded() {}

    func linesLost(_ direction: Direction, context: inout InspectionContext) {
        if direction == .toServer { messages.toServer.resume() } else { messages.toClient.resume() }
    }

    func line(_ line: LoginLine, _ m: inout HeaderMessage, _ direction: Direction, context: inout InspectionContext) {
        switch m.phase {
        case .lost:
            return
        case .start, .resuming:
            // Empty lines between messages are keep-alives (RFC 5626 §3.5.1) or stray CR LF.
            guard line.count > 0 else { return }
            if let status = statusCode(line) {
                m.isRequest = false
                m.status = status
                m.phase = .headers
            } else if isRequestLine(line) {
                m.isRequest = true
                m.phase = .headers
            } else if m.phase == .start {
                // Interleaved RTSP media (`$`) from here on, or not this protocol:
                // the framing cannot be trusted. (Resuming, such lines are passed over.)
                m.phase = .lost
            }
        case .headers:
            if line.count == 0 {
                let body = m.contentLength
                messageDone(&m, direction, context: &context)
                m.reset()
                if !datagrams && body > 0 { rawRequest = (body, false) }
            } else {
                header(line, &m)
            }
        }
    }

    /// `SIP/2.0 200 OK`, `RTSP/1.0 401 Unauthorized`: the status code.
    func statusCode(_ line: LoginLine) -> Int? {
        let versionEnd = line.wordEnd(from: 0)
        guard isVersion(line, 0, versionEnd), versionEnd + 4 <= line.count else { return nil }
        var code = 0
        for k in (versionEnd + 1)..<(versionEnd + 4) {
            let d = line[k]
            guard d >= 0x30 && d <= 0x39 else { return nil }
            code = code * 10 + Int(d - 0x30)
        }
        guard versionEnd + 4 == line.count || line[versionEnd + 4] == 0x20 else { return nil }
        return code
    }

    /// `METHOD request-uri VERSION` with an upper-case method token.
    func isRequestLine(_ line: LoginLine) -> Bool {
        let methodEnd = line.wordEnd(from: 0)
        guard methodEnd > 0, methodEnd < line.count else { return false }
        for k in 0..<methodEnd {
            let b = line[k]
            guard (b >= 0x41 && b <= 0x5a) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") else { return false }
        }
        var versionStart = line.count
        while versionStart > methodEnd && line[versionStart - 1] != 0x20 { versionStart -= 1 }
        return versionStart > methodEnd + 1 && isVersion(line, versionStart, line.count)
    }

    func isVersion(_ line: LoginLine, _ start: Int, _ end: Int) -> Bool {
        switch dialect {
        case .sip: line.word(start, end, is: "SIP/2.0")
        case .rtsp: line.word(start, end, is: "RTSP/1.0") || line.word(start, end, is: "RTSP/2.0")
        }
    }

    func header(_ line: LoginLine, _ m: inout HeaderMessage) {
        // A folded continuation (RFC 3261 §7.3.1) continues a header PlainSight does not read.
        guard line[0] != 0x20 && line[0] != 0x09 else { return }
        var colon = 0
        while colon < line.count && line[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < line.count else { return }
        var nameEnd = colon
        while nameEnd > 0 && (line[nameEnd - 1] == 0x20 || line[nameEnd - 1] == 0x09) { nameEnd -= 1 }
        var valueStart = colon + 1
        while valueStart < line.count && (line[valueStart] == 0x20 || line[valueStart] == 0x09) { valueStart += 1 }
        var valueEnd = line.count
        while valueEnd > valueStart && (line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09) { valueEnd -= 1 }
        let value = UnsafeRawBufferPointer(rebasing: line.bytes[valueStart..<valueEnd])
        if line.word(0, nameEnd, is: "CSeq") {
            HeaderMessage.keep(value, in: &m.cseq)
        } else if dialect == .sip && (line.word(0, nameEnd, is: "Call-ID") || line.word(0, nameEnd, is: "i")) {
            HeaderMessage.keep(value, in: &m.callID)
        } else if line.word(0, nameEnd, is: "Content-Length") || (dialect == .sip && line.word(0, nameEnd, is: "l")) {
            m.contentLength = HTTPAnalyzer.decimal(value) ?? 0
        } else if m.isRequest && !line.truncated
            && (line.word(0, nameEnd, is: "Authorization") || line.word(0, nameEnd, is: "Proxy-Authorization"))
            && m.credentials.count < HeaderAuthAnalyzer.maxCredentialsPerMessage
        {
            var found: [CredentialSighting] = []
            HTTPAnalyzer.authorization(value, into: &found)
            for var c in found {
                guard let mechanism = dialect.mechanism(for: c.mechanism) else { continue }
                c.mechanism = mechanism
                m.credentials.append(c)
            }
        }
    }

    // MARK: matching

    /// A message's headers are complete: a request's credentials wait for
    /// their response; a final response settles the credentials it answers.
    func messageDone(_ m: inout HeaderMessage, _ direction: Direction, context: inout InspectionContext) {
        if m.isRequest {
            for var c in m.credentials {
                c.direction = direction
                let retransmitted = pending.contains {
                    $0.sighting.direction == direction && $0.callID == m.callID && $0.cseq == m.cseq
                        && $0.sighting.secret == c.secret
                }
                guard !retransmitted else { continue }
                if pending.count >= HeaderAuthAnalyzer.maxPending {
                    context.counters.cleartextPendingOverflows &+= 1
                    emit(pending.removeFirst().sighting, .unknown)
                }
                pending.append(PendingHeaderCredential(sighting: c, callID: m.callID, cseq: m.cseq))
            }
            return
        }
        guard m.status >= 200 else { return }  // provisional
        let outcome: LoginOutcome =
            m.status < 300 ? .accepted : m.status == 401 || m.status == 403 || m.status == 407 ? .rejected : .unknown
        var k = 0
        while k < pending.count {
            let p = pending[k]
            if p.sighting.direction != direction && p.callID == m.callID && p.cseq == m.cseq {
                pending.remove(at: k)
                emit(p.sighting, outcome)
            } else {
                k += 1
            }
        }
    }

    func flushPending() {
        for p in pending { emit(p.sighting, .unknown) }
        pending.removeAll()
    }

    func emit(_ sighting: CredentialSighting, _ outcome: LoginOutcome) {
        var s = sighting
        s.outcome = outcome
        if outcome == .accepted { accepted = true }
        sightings.append(.credential(s))
    }
}

extension HeaderAuthAnalyzer.Dialect {
    /// What HTTP's parser found, renamed for this protocol; nil: not reported
    /// (SIP forbids Basic, RFC 3261 §22.1; bearer and NTLM are not SIP/RTSP schemes).
    func mechanism(for http: CredentialMechanism) -> CredentialMechanism? {
        switch (self, http) {
        case (.sip, .httpDigest): .sipDigest
        case (.rtsp, .httpDigest): .rtspDigest
        case (.rtsp, .httpBasic): .rtspBasic
        default: nil
        }
    }
}

/// The message being read in one direction.
struct HeaderMessage {
    enum Phase {
        case start, headers, lost
        /// After lost bytes: lines are passed over until one starts a message.
        case resuming
    }

    var phase = Phase.start
    var isRequest = false
    var status = 0
    /// `Call-ID` (SIP) and `CSeq` values, kept to match a response to its
    /// request (buffers reused from message to message).
    var callID: [UInt8] = []
    var cseq: [UInt8] = []
    var contentLength: UInt64 = 0
    var credentials: [CredentialSighting] = []

    /// Lost bytes cut the message being read: what it gathered is dropped.
    mutating func resume() {
        reset()
        if phase != .lost { phase = .resuming }
    }

    mutating func reset() {
        if phase != .lost { phase = .start }
        isRequest = false
        status = 0
        callID.removeAll(keepingCapacity: true)
        cseq.removeAll(keepingCapacity: true)
        contentLength = 0
        if !credentials.isEmpty { credentials.removeAll() }
    }

    static func keep(_ value: UnsafeRawBufferPointer, in buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: value[..<min(value.count, HeaderAuthAnalyzer.maxKey)]))
    }
}

struct PendingHeaderCredential {
    var sighting: CredentialSighting
    var callID: [UInt8]
    var cseq: [UInt8]
}
