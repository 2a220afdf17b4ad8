import Decoding
import Flows

/// Reads a TLS (or SSL 2.0-compatible) handshake out of a flow's two byte
/// streams: the record layer, handshake messages across records and TCP
/// segments, ChangeCipherSpec and alerts. It stops at what is encrypted (after
/// ChangeCipherSpec, after a TLS 1.3 ServerHello) and says `.done` once the
/// hellos and, where visible, the certificate chain are in: the flow is then
/// bypassed and its application data costs nothing.
///
/// Bytes are read in place from the chunk the pipeline hands in. Only a
/// handshake message that straddles chunks is copied (into `pending`), under
/// `InspectionContext`'s shared budget. The analyzer is a class because its
/// state is large next to the flow slot that refers to it; one is allocated
/// per TLS flow, never per packet.
public final class TLSAnalyzer: StreamAnalyzer {
    // Owned by one flow slot on the packet thread: no dynamic exclusivity
    // checks (they cost more than the parsing of a small record).
    /// The handshake read so far, its ClientHello kept unread (the pipeline
    /// takes it so: `takeHandshake`).
    @exclusivity(unchecked) var collected = TLSHandshake()
    @exclusivity(unchecked) var toServer: RecordReader
    @exclusivity(unchecked) var toClient: RecordReader

    /// Largest handshake message read (a certificate chain is the largest).
    public static let maxHandshakeMessage = 65_536
    /// Certificates kept per flow and the largest one.
    public static let maxCertificates = 8
    /// Largest record body (2^14 + 2048, RFC 5246 §6.2.3).
    static let maxRecordBody = 16_384 + 2048

    /// Starts reading each direction at the given stream offsets (0 for TLS
    /// from the first byte; after the upgrade command for STARTTLS; after the
    /// proxy's answer inside a tunnel).
    public init(
        startingAt offsets: (toServer: UInt64, toClient: UInt64) = (0, 0), upgradedFrom: AppProtocol? = nil,
        tunnel: TunnelKind? = nil
    ) {
        toServer = RecordReader(expectedOffset: offsets.toServer)
        toClient = RecordReader(expectedOffset: offsets.toClient)
        collected.upgradedFrom = upgradedFrom
        collected.tunnel = tunnel
    }

    /// Nothing more to learn: the client's hello (or its direction is over)
    /// and the server's first flight (or its direction is over).
    public var isDone: Bool {
        (clientHelloSeen || toServer.isFinished) && (serverFlightComplete || toClient.isFinished)
    }

    /// The server's stream has said enough once its first flight is in; the
    /// client's is read on until the analyzer is done (a second ClientHello
    /// after a HelloRetryRequest, an alert refusing the server's certificate).
    func hasSaidEnough(_ direction: Direction) -> Bool {
        direction == .toServer ? isDone : serverFlightComplete
    }

    // Kept as flags, set as messages arrive: they are tested per chunk, and
    // reading them from `collected` copied the hellos each time.
    var clientHelloSeen = false
    /// The ServerHello and, below TLS 1.3, the certificate or ServerHelloDone are in.
    var serverFlightComplete = false

    func noteServerFlight() {
        guard let hello = collected.serverHello else { return }
        serverFlightComplete = hello.version >= .tls13 || hello.isSSLv2 || collected.certificateMessageSeen
            || collected.serverHelloDoneSeen
    }

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        var reader = RecordReader(expectedOffset: 0)
        if direction == .toServer { swap(&reader, &toServer) } else { swap(&reader, &toClient) }
        read(bytes, offset: offset, into: &reader, direction: direction, context: &context)
        if direction == .toServer { swap(&reader, &toServer) } else { swap(&reader, &toClient) }
        return verdict(&context)
    }

    /// Once done, the flow is bypassed: nothing more arrives, so whatever a
    /// reader still holds (a message cut by the last segment) goes back to the budget now.
    func verdict(_ context: inout InspectionContext) -> AnalyzerVerdict {
        guard isDone else { return .needMore }
        toServer.stop(&context)
        toClient.stop(&context)
        return .done
    }

    /// Lost bytes: records cannot be found again reliably, so the direction stops.
    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        if direction == .toServer { toServer.stop(&context) } else { toClient.stop(&context) }
        return verdict(&context)
    }

    public func end(direction: Direction, context: inout InspectionContext) {
        if direction == .toServer { toServer.stop(&context) } else { toClient.stop(&context) }
    }

    // MARK: record layer

    func read(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, into r: inout RecordReader, direction: Direction,
        context: inout InspectionContext
    ) {
        guard !r.isFinished else { return }
        let end = offset + UInt64(bytes.count)
        guard end > r.expectedOffset else { return }  // before the TLS start (STARTTLS preamble)
        guard offset <= r.expectedOffset else {
            r.stop(&context)  // bytes between the start and this chunk never arrived
            return
        }
        var i = Int(r.expectedOffset - offset)
        r.expectedOffset = end
        // A direction stops the moment it has told what it can, wherever the
        // chunk boundaries fell, so the facts never depend on segmentation.
        while i < bytes.count && !r.isFinished && !hasSaidEnough(direction) {
            if r.bodyRemaining == 0 {
                i = readHeader(bytes, from: i, into: &r, direction: direction, context: &context)
                continue
            }
            let n = min(r.bodyRemaining, bytes.count - i)
            let body = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)])
            r.bodyRemaining -= n
            i += n
            readBody(body, into: &r, direction: direction, context: &context)
            if r.bodyRemaining == 0 { endRecord(&r, direction: direction, context: &context) }
        }
    }

    /// Collects a record header (5 bytes; 2 for an SSL 2.0 record at the
    /// stream start) and validates it. Returns the next index.
    func readHeader(
        _ bytes: UnsafeRawBufferPointer, from start: Int, into r: inout RecordReader, direction: Direction,
        context: inout InspectionContext
    ) -> Int {
        var i = start
        if r.headerCount == 0 && !r.sawRecord && bytes[i] & 0x80 != 0 { r.isSSLv2Record = true }
        let headerLength = r.isSSLv2Record ? 2 : 5
        while r.headerCount < headerLength && i < bytes.count {
            r.setHeaderByte(bytes[i])
            i += 1
        }
        guard r.headerCount == headerLength else { return i }
        r.headerCount = 0
        r.sawRecord = true
        let h = r.header
        if r.isSSLv2Record {
            r.recordType = 0
            r.bodyRemaining = Int(h.0 & 0x7f) << 8 | Int(h.1)
        } else {
            r.recordType = h.0
            r.bodyRemaining = Int(h.3) << 8 | Int(h.4)
            guard (TLSContentType.changeCipherSpec...TLSContentType.heartbeat).contains(h.0), h.1 == 3,
                r.bodyRemaining <= TLSAnalyzer.maxRecordBody
            else {
                context.counters.tlsMalformed &+= 1
                giveUp(&r, "invalid TLS record header", context: &context)
                return bytes.count
            }
        }
        if r.bodyRemaining == 0 { endRecord(&r, direction: direction, context: &context) }
        return i
    }

    func readBody(
        _ body: UnsafeRawBufferPointer, into r: inout RecordReader, direction: Direction,
        context: inout InspectionContext
    ) {
        if r.isSSLv2Record {
            // An SSL 2.0 hello is read whole (it is small: the copy is the record).
            guard r.append(body, limit: TLSAnalyzer.maxRecordBody, &context) else {
                giveUp(&r, nil, context: &context)
                return
            }
            return
        }
        guard !r.encrypted else { return }
        switch r.recordType {
        case TLSContentType.handshake:
            readHandshakeBytes(body, into: &r, direction: direction, context: &context)
        case TLSContentType.alert:
            // Alerts are (level, description) pairs; one record may carry several.
            for b in body {
                if r.alertCount == 0 {
                    r.alertLevel = b
                    r.alertCount = 1
                } else {
                    noteAlert(level: r.alertLevel, description: b, direction)
                    r.alertCount = 0
                }
            }
        default:
            break
        }
    }

    func endRecord(_ r: inout RecordReader, direction: Direction, context: inout InspectionContext) {
        if r.isSSLv2Record {
            r.isSSLv2Record = false
            let record = r.pending
            r.releasePending(&context)
            record.withUnsafeBytes { readSSLv2Hello($0, direction: direction, &r, context: &context) }
            if direction == .toClient { r.encrypted = true }  // the rest of an SSL 2.0 server stream is opaque to us
            return
        }
        r.alertCount = 0
        switch r.recordType {
        case TLSContentType.changeCipherSpec where collected.helloRetryRequest != nil:
            // TLS 1.3 middlebox compatibility (RFC 8446 §D.4): a CCS around a
            // HelloRetryRequest changes nothing; the next hellos are in clear.
            break
        case TLSContentType.changeCipherSpec, TLSContentType.applicationData:
            // Everything after is encrypted.
            r.encrypted = true
            r.releasePending(&context)
        default:
            break
        }
    }

    // MARK: handshake messages

    /// Feeds bytes of the handshake stream (the concatenated bodies of
    /// handshake records). Whole messages inside `body` are read in place;
    /// a message split across chunks or records is assembled in `pending`.
    func readHandshakeBytes(
        _ body: UnsafeRawBufferPointer, into r: inout RecordReader, direction: Direction,
        context: inout InspectionContext
    ) {
        var rest = body
        while !rest.isEmpty && !r.isFinished && !r.encrypted && !hasSaidEnough(direction) {
            if r.pending.isEmpty && rest.count >= 4 {
                let length = Int(rest[1]) << 16 | Int(rest[2]) << 8 | Int(rest[3])
                guard length <= TLSAnalyzer.maxHandshakeMessage else {
                    context.counters.tlsOversizedMessages &+= 1
                    giveUp(&r, "handshake message of \(length) bytes (over the \(TLSAnalyzer.maxHandshakeMessage) cap)", context: &context)
                    return
                }
                if rest.count >= 4 + length {
                    readMessage(type: rest[0], UnsafeRawBufferPointer(rebasing: rest[4..<(4 + length)]), direction: direction, &r, context: &context)
                    rest = UnsafeRawBufferPointer(rebasing: rest[(4 + length)...])
                    continue
                }
            }
            // Assemble: first the 4-byte header, then exactly the body.
            let need: Int
            if r.pending.count < 4 {
                need = 4 - r.pending.count
            } else {
                let p = r.pending
                let length = Int(p[1]) << 16 | Int(p[2]) << 8 | Int(p[3])
                guard length <= TLSAnalyzer.maxHandshakeMessage else {
                    context.counters.tlsOversizedMessages &+= 1
                    giveUp(&r, "handshake message of \(length) bytes (over the \(TLSAnalyzer.maxHandshakeMessage) cap)", context: &context)
                    return
                }
                need = 4 + length - p.count
            }
            if r.pending.isEmpty && rest.count >= 4 {
                // The header is in view (and was checked above): room for the whole message at once.
                r.pending.reserveCapacity(4 + (Int(rest[1]) << 16 | Int(rest[2]) << 8 | Int(rest[3])))
            }
            let take = min(need, rest.count)
            guard r.append(UnsafeRawBufferPointer(rebasing: rest[..<take]), limit: 4 + TLSAnalyzer.maxHandshakeMessage, &context)
            else {
                giveUp(&r, nil, context: &context)
                return
            }
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            let p = r.pending
            guard p.count >= 4 else { continue }
            // The header may have been completed by this chunk's last bytes: check it now.
            let length = Int(p[1]) << 16 | Int(p[2]) << 8 | Int(p[3])
            guard length <= TLSAnalyzer.maxHandshakeMessage else {
                context.counters.tlsOversizedMessages &+= 1
                giveUp(&r, "handshake message of \(length) bytes (over the \(TLSAnalyzer.maxHandshakeMessage) cap)", context: &context)
                return
            }
            if p.count == 4 + length {
                r.releasePending(&context)
                p.withUnsafeBytes { m in
                    readMessage(
                        type: m[0], UnsafeRawBufferPointer(rebasing: m[4...]), direction: direction, &r, context: &context,
                        assembled: p)
                }
            }
        }
    }

    /// `assembled`: the whole message, when it was put together in a reader's
    /// buffer (a certificate chain keeps that buffer instead of copying it).
    func readMessage(
        type: UInt8, _ body: UnsafeRawBufferPointer, direction: Direction, _ r: inout RecordReader,
        context: inout InspectionContext, assembled: [UInt8]? = nil
    ) {
        do {
            switch (direction, type) {
            case (.toServer, TLSHandshakeType.clientHello):
                context.counters.tlsClientHellos &+= 1
                guard !clientHelloSeen else { break }
                guard keep(body.count, &context) else { return giveUp(&r, TLSAnalyzer.factsBudgetFull, context: &context) }
                // Kept as received and read when judged: validating it here
                // cost the packet thread more than the rest of the handshake.
                collected.clientHelloMessage = Array(body)
                clientHelloSeen = true
            case (.toClient, TLSHandshakeType.serverHello):
                let hello = try ServerHello(parsing: body)
                context.counters.tlsServerHellos &+= 1
                guard keep(body.count, &context) else { return giveUp(&r, TLSAnalyzer.factsBudgetFull, context: &context) }
                if hello.isHelloRetryRequest {
                    collected.helloRetryRequest = hello
                } else if collected.serverHello == nil {
                    collected.serverHello = hello
                    // TLS 1.3: everything after the ServerHello is encrypted.
                    if hello.version >= .tls13 { r.encrypted = true }
                    noteServerFlight()
                }
            case (.toClient, TLSHandshakeType.certificate) where !collected.certificateMessageSeen:
                collected.certificateMessageSeen = true
                noteServerFlight()
                try readCertificates(body, assembled: assembled, context: &context)
            case (.toClient, TLSHandshakeType.serverHelloDone):
                collected.serverHelloDoneSeen = true
                noteServerFlight()
            default:
                break
            }
        } catch {
            context.counters.tlsMalformed &+= 1
            giveUp(&r, "\(direction == .toServer ? "client" : "server") handshake message \(type): \(error)", context: &context)
        }
    }

    /// A TLS 1.2 Certificate message: a 24-bit list of 24-bit-length DER
    /// certificates. The first `maxCertificates` that fit the facts budget are
    /// kept (once one does not, the rest are dropped too), as one copy of the
    /// message, or the reassembly buffer it came in.
    func readCertificates(_ body: UnsafeRawBufferPointer, assembled: [UInt8]?, context: inout InspectionContext) throws {
        var r = ByteReader(body)
        var list = try r.lengthPrefixed24()
        var kept = 0
        var keeping = true
        defer {
            if kept > 0 {
                collected.certificateMessage = assembled ?? Array(body)
                collected.certificateListStart = assembled == nil ? 3 : 7
                collected.certificatesKept = kept
            }
        }
        while list.readableBytes > 0 {
            let der = try list.lengthPrefixed24()
            keeping = keeping && kept < TLSAnalyzer.maxCertificates && keep(der.readableBytes, &context)
            if keeping { kept += 1 } else { context.counters.tlsCertificatesDropped &+= 1 }
        }
    }

    func readSSLv2Hello(
        _ record: UnsafeRawBufferPointer, direction: Direction, _ r: inout RecordReader, context: inout InspectionContext
    ) {
        do {
            if direction == .toServer {
                let hello = try ClientHello(sslv2: record)
                context.counters.tlsClientHellos &+= 1
                if !clientHelloSeen {
                    collected.clientHello = hello
                    clientHelloSeen = true
                }
            } else {
                let hello = try ServerHello(sslv2: record)
                context.counters.tlsServerHellos &+= 1
                if collected.serverHello == nil { collected.serverHello = hello }
                if let der = hello.sslv2Certificate {
                    collected.certificateMessageSeen = true
                    collected.certificates = [der]
                }
                noteServerFlight()
            }
        } catch {
            context.counters.tlsMalformed &+= 1
            giveUp(&r, "SSLv2 hello: \(error)", context: &context)
        }
    }

    /// Bytes of hellos and certificates this flow keeps, charged to the
    /// context's facts budget until `release`.
    var keptBytes = 0

    static let factsBudgetFull = "the analyzers' budget for kept handshake facts is full"

    func keep(_ n: Int, _ context: inout InspectionContext) -> Bool {
        guard context.keep(n) else { return false }
        keptBytes += n
        return true
    }

    /// Hands the handshake over to be judged, its ClientHello unread
    /// (`TLSHandshake.readClientHello`), leaving an empty one (the flow is
    /// done with it: no copy, and its memory is freed by the judge).
    public func takeHandshake() -> TLSHandshake {
        var taken = TLSHandshake()
        swap(&taken, &collected)
        return taken
    }

    /// The handshake read so far with its ClientHello read (tests and tools).
    public var handshake: TLSHandshake {
        var h = collected
        _ = h.readClientHello()
        return h
    }

    /// Gives back everything the flow holds (its record has been written).
    public func release(_ context: inout InspectionContext) {
        toServer.stop(&context)
        toClient.stop(&context)
        context.unkeep(keptBytes)
        keptBytes = 0
    }

    func noteAlert(level: UInt8, description: UInt8, _ direction: Direction) {
        if level == 2 && collected.fatalAlert == nil { collected.fatalAlert = (description, direction) }
    }

    func giveUp(_ r: inout RecordReader, _ problem: String?, context: inout InspectionContext) {
        if let problem, collected.problem == nil { collected.problem = problem }
        r.stop(&context)
    }
}

/// One direction's position in the record layer.
struct RecordReader {
    /// Stream offset of the next byte this reader expects.
    var expectedOffset: UInt64
    var header: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
    var headerCount = 0
    var recordType: UInt8 = 0
    var bodyRemaining = 0
    var isSSLv2Record = false
    var sawRecord = false
    /// ChangeCipherSpec or application data went by: the rest is ciphertext.
    var encrypted = false
    var stopped = false
    var alertLevel: UInt8 = 0
    var alertCount = 0
    /// A handshake message (or SSL 2.0 record) being assembled across chunks.
    var pending: [UInt8] = []

    var isFinished: Bool { stopped || encrypted }

    mutating func setHeaderByte(_ b: UInt8) {
        switch headerCount {
        case 0: header.0 = b
        case 1: header.1 = b
        case 2: header.2 = b
        case 3: header.3 = b
        default: header.4 = b
        }
        headerCount += 1
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer, limit: Int, _ context: inout InspectionContext) -> Bool {
        guard pending.count + bytes.count <= limit, context.reserve(bytes.count) else { return false }
        pending.append(contentsOf: bytes)
        return true
    }

    mutating func releasePending(_ context: inout InspectionContext) {
        context.release(pending.count)
        pending = []
    }

    mutating func stop(_ context: inout InspectionContext) {
        releasePending(&context)
        stopped = true
    }
}

extension ByteReader {
    mutating func lengthPrefixed24() throws -> ByteReader {
        let length = Int(try uint24())
        guard let slice = readSlice(length: length) else { throw TLSParseError.truncated }
        return slice
    }
}
