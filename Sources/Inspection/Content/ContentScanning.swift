import Decoding
import Flows
import Scanning

// MARK: - Scanning cleartext for PII and secrets
//
// The content scanner (module Scanning) reads two kinds of bytes: the raw
// reassembled stream of every flow not known to be encrypted — any protocol,
// any port, each UDP datagram alone — and the decoded content streams the
// cleartext readers deliver (bodies de-chunked and inflated, form values,
// mail parts with base64 and quoted-printable undone). What it finds leaves
// as `ContentSighting`s, with the flow's other sightings.

/// A PII or secret match on a flow.
public struct ContentSighting: Sendable, Equatable {
    public var match: ScanMatch
    public var direction: Direction
    /// The decoded stream it was found in; nil: the raw stream.
    public var source: ContentKind?
    /// The file its decoded stream is (an upload, an attachment, an FTP
    /// transfer), as named; empty when none.
    public var file: [UInt8]

    public init(match: ScanMatch, direction: Direction, source: ContentKind?, file: [UInt8] = []) {
        self.match = match
        self.direction = direction
        self.source = source
        self.file = file
    }

    /// `stream`, or the decoded content's kind.
    public var sourceName: String { source?.name ?? "stream" }
}

/// What the scanner read and which of its caps it hit (the stats record's `content.scan` object).
public struct ScanCounters: Sendable, Equatable {
    /// Raw stream bytes scanned (TCP streams and UDP datagrams).
    public var streamBytes: UInt64 = 0
    /// Directions that reached `InspectionContext.scanDepth` and stopped being scanned.
    public var depthHits: UInt64 = 0
    /// Matches reported (before deduplication).
    public var matches: UInt64 = 0
    /// Decoded streams still open when their flow was released (scanned as they were).
    public var abandonedStreams: UInt64 = 0
    /// Most bytes the scanner's streams kept at once (tails between chunks, deferred windows, table headers).
    public var peakHeldBytes: UInt64 = 0
    /// A stream could not keep a hit's window within `ScanBudget.maxBytes`: judged on what was there.
    public var heldCapHits: UInt64 = 0
    /// Decoded streams found binary (`TextSniff`) and not scanned on, and the bytes they delivered after.
    public var binaryStreams: UInt64 = 0
    public var binaryBytes: UInt64 = 0

    public init() {}
}

/// The UTF-16LE text of a flow's two directions, held by reference and made
/// when the flow's scan first reads TCP bytes: the scan carries a pointer,
/// not 100 bytes. (The pipeline copies the scan to ask whether the flow is
/// done, after every packet; past 128 bytes the copy became a `memcpy` call.)
/// Unchecked Sendable: only its own flow's inspection, on one thread, touches it.
final class WideTexts: @unchecked Sendable {
    @exclusivity(unchecked) var toServer = WideText()
    @exclusivity(unchecked) var toClient = WideText()
}

/// The scan of one decoded stream; `shift`: the bytes of its name scanned before it.
struct PieceScan: Sendable {
    var state = StreamScanState()
    var shift: UInt64 = 0
    var sniff = TextSniff()
    /// Its first piece was seen (and its name scanned).
    var started = false
    /// The stream's name when it reads as a field's (`FieldName.plausible`),
    /// and its file name: empty for most streams.
    var field: [UInt8] = []
    var file: [UInt8] = []
    /// The columns of a stream that is a table (CSV, TSV), when it is one.
    var columns = CSVColumns()
    /// A UTF-16LE stream (`TextSniff` saw its byte order mark) is scanned
    /// narrowed, in the narrowed text's offsets.
    var wide: UTF16Narrowing?

    /// Scans text at `offset` of the stream (of the narrowed one, for UTF-16), naming table columns.
    mutating func scanText(
        _ text: UnsafeRawBufferPointer, at offset: UInt64, scanner: ContentScanner, budget: inout ScanBudget,
        matches: inout [ScanMatch]
    ) {
        scanner.scan(text, at: offset + shift, &state, budget: &budget, into: &matches)
        nameColumns(text, at: offset, &matches, budget: &budget)
    }

    /// Names each match the text named nothing for by its column, when the
    /// stream is a table (`matches` come from scanning `piece`).
    mutating func nameColumns(
        _ piece: UnsafeRawBufferPointer, at offset: UInt64, _ matches: inout [ScanMatch], budget: inout ScanBudget
    ) {
        guard columns.phase != .none else { return }
        var unnamed: [Int] = []
        for k in matches.indices where matches[k].field.isEmpty && matches[k].offset >= shift { unnamed.append(k) }
        unnamed.sort { matches[$0].offset < matches[$1].offset }
        let offsets = unnamed.map { matches[$0].offset - shift }
        columns.read(piece, at: offset, values: offsets, budget: &budget) { k, name in
            matches[unnamed[k]].field = Array(name)
        }
    }
}

/// The raw-stream scan of one flow: a state per direction. A direction is
/// scanned from the moment identification knows it is not the start of an
/// encrypted protocol (the whole flow identified, or that direction ruled out
/// by every probe) until the flow's end, an upgrade to TLS or the scan depth.
/// The UTF-16LE text in the bytes it scans (`WideText`) is scanned too, as a
/// decoded stream of each direction (`utf16-text`).
@usableFromInline struct FlowScan {
    @usableFromInline enum Phase {
        case waiting
        case scanning
        case stopped
    }

    var toServer = StreamScanState()
    var toClient = StreamScanState()
    var wide: WideTexts?
    @usableFromInline var toServerPhase = Phase.waiting
    @usableFromInline var toClientPhase = Phase.waiting

    @inlinable var isActive: Bool { toServerPhase != .stopped || toClientPhase != .stopped }

    func isScanning(_ d: Direction) -> Bool { (d == .toServer ? toServerPhase : toClientPhase) == .scanning }

    /// Starts scanning a waiting direction; false if it had started (or stopped) already.
    mutating func start(_ d: Direction) -> Bool {
        if d == .toServer {
            guard toServerPhase == .waiting else { return false }
            toServerPhase = .scanning
        } else {
            guard toClientPhase == .waiting else { return false }
            toClientPhase = .scanning
        }
        return true
    }

    /// Scans a chunk, less the ranges a reader took to decode (`InspectionContext.decodedRanges`).
    mutating func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, transport: TransportProtocol,
        scanner: ContentScanner, context: inout InspectionContext
    ) {
        guard !context.decodedRanges.isEmpty else {
            ingestRange(bytes, direction: direction, offset: offset, transport: transport, scanner: scanner, context: &context)
            return
        }
        // Swapped out, not copied: the scan below mutates the context, and a
        // copy would make clearing the list allocate a new buffer every packet.
        var ranges: [Range<UInt64>] = []
        swap(&ranges, &context.decodedRanges)
        defer {
            ranges.removeAll(keepingCapacity: true)
            swap(&ranges, &context.decodedRanges)
        }
        var from = offset
        let end = offset + UInt64(bytes.count)
        for range in ranges where range.upperBound > from && range.lowerBound < end {
            if range.lowerBound > from {
                let part = UnsafeRawBufferPointer(rebasing: bytes[Int(from - offset)..<Int(range.lowerBound - offset)])
                ingestRange(part, direction: direction, offset: from, transport: transport, scanner: scanner, context: &context)
            }
            from = max(from, min(range.upperBound, end))
        }
        if from < end {
            let part = UnsafeRawBufferPointer(rebasing: bytes[Int(from - offset)...])
            ingestRange(part, direction: direction, offset: from, transport: transport, scanner: scanner, context: &context)
        }
    }

    mutating func ingestRange(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, transport: TransportProtocol,
        scanner: ContentScanner, context: inout InspectionContext
    ) {
        if direction == .toServer {
            guard toServerPhase == .scanning else { return }
            if !FlowScan.scan(bytes, direction, offset, transport, &toServer, &wide, scanner, &context) {
                toServerPhase = .stopped
            }
        } else {
            guard toClientPhase == .scanning else { return }
            if !FlowScan.scan(bytes, direction, offset, transport, &toClient, &wide, scanner, &context) {
                toClientPhase = .stopped
            }
        }
    }

    /// Scans a chunk and its UTF-16LE text; false once the direction reached the scan depth.
    static func scan(
        _ bytes: UnsafeRawBufferPointer, _ direction: Direction, _ offset: UInt64, _ transport: TransportProtocol,
        _ state: inout StreamScanState, _ wide: inout WideTexts?, _ scanner: ContentScanner,
        _ context: inout InspectionContext
    ) -> Bool {
        var chunk = bytes
        let room = context.scanDepth > state.scannedBytes ? context.scanDepth - state.scannedBytes : 0
        if UInt64(chunk.count) > room { chunk = UnsafeRawBufferPointer(rebasing: bytes[..<Int(room)]) }
        context.counters.scan.streamBytes &+= UInt64(chunk.count)
        if transport == .udp {
            scanner.scanMessage(chunk, at: offset, &state, into: &context.scanMatches)
        } else {
            scanner.scan(chunk, at: offset, &state, budget: &context.scanBudget, into: &context.scanMatches)
        }
        context.adoptMatches(direction: direction, source: nil)
        if transport == .tcp {
            if wide == nil { wide = WideTexts() }
            let texts = wide!
            // A run the other direction holds ends when this one speaks (a query's
            // last packet: the reply cannot continue it).
            if direction == .toServer {
                if texts.toClient.isHolding { endRun(.toClient, &texts.toClient, &context) }
                readWide(chunk, direction, offset, &texts.toServer, &context)
            } else {
                if texts.toServer.isHolding { endRun(.toServer, &texts.toServer, &context) }
                readWide(chunk, direction, offset, &texts.toClient, &context)
            }
        }
        guard state.scannedBytes < context.scanDepth else {
            context.counters.scan.depthHits &+= 1
            scanner.finish(&state, budget: &context.scanBudget, into: &context.scanMatches)
            context.adoptMatches(direction: direction, source: nil)
            if let wide { endWide(direction, wide, complete: false, &context) }
            return false
        }
        return true
    }

    /// The narrowed stream of each direction, numbered where no reader's
    /// numbering (from 0, one by one) reaches.
    static func wideStream(_ direction: Direction) -> UInt32 { direction == .toServer ? .max - 1 : .max }

    /// Delivers the UTF-16LE text of a TCP chunk as the next piece of its
    /// direction's `utf16-text` stream. (Not of UDP datagrams: the protocols
    /// that carry UTF-16 run over TCP, and reading DNS's zero-laden datagrams
    /// one by one cost more than all the TCP.)
    static func readWide(
        _ chunk: UnsafeRawBufferPointer, _ direction: Direction, _ offset: UInt64, _ wide: inout WideText,
        _ context: inout InspectionContext
    ) {
        // The scratch is shared with the scans of decoded UTF-16 streams.
        if !context.wideText.isEmpty { context.wideText.removeAll(keepingCapacity: true) }
        let start = wide.length
        wide.read(chunk, at: offset, budget: &context.scanBudget, into: &context.wideText)
        guard !context.wideText.isEmpty else { return }
        // Swapped out, not copied (as `decodedRanges` in `ingest`): delivering mutates the context.
        var text: [UInt8] = []
        swap(&text, &context.wideText)
        deliverWide(text, direction, at: start, &context)
        text.removeAll(keepingCapacity: true)
        swap(&text, &context.wideText)
    }

    /// Ends a direction's `utf16-text` stream: the run it held is written,
    /// and the stream ended when it delivered a byte.
    static func endWide(_ direction: Direction, _ wide: WideTexts, complete: Bool, _ context: inout InspectionContext) {
        var text = direction == .toServer ? wide.toServer : wide.toClient
        if direction == .toServer { wide.toServer = WideText() } else { wide.toClient = WideText() }
        endRun(direction, &text, &context)
        text.release(budget: &context.scanBudget)
        guard text.length > 0 else { return }
        context.endContent(
            ContentEnd(kind: .utf16Text, direction: direction, stream: wideStream(direction), length: text.length, complete: complete))
    }

    /// Delivers the run a direction's text held.
    static func endRun(_ direction: Direction, _ wide: inout WideText, _ context: inout InspectionContext) {
        var text: [UInt8] = []
        let start = wide.length
        wide.endRun(into: &text)
        deliverWide(text, direction, at: start, &context)
    }

    static func deliverWide(_ text: [UInt8], _ direction: Direction, at offset: UInt64, _ context: inout InspectionContext) {
        guard !text.isEmpty else { return }
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        text.withUnsafeBytes {
            context.deliver(
                ContentPiece(
                    kind: .utf16Text, direction: direction, stream: wideStream(direction), offset: offset, bytes: $0,
                    mediaType: none, name: none, filename: none))
        }
    }

    /// The direction ended: hits waiting for more bytes are judged.
    mutating func end(direction: Direction, complete: Bool = true, scanner: ContentScanner, context: inout InspectionContext) {
        if direction == .toServer {
            scanner.finish(&toServer, budget: &context.scanBudget, into: &context.scanMatches)
            toServerPhase = .stopped
        } else {
            scanner.finish(&toClient, budget: &context.scanBudget, into: &context.scanMatches)
            toClientPhase = .stopped
        }
        context.adoptMatches(direction: direction, source: nil)
        if let wide { FlowScan.endWide(direction, wide, complete: complete, &context) }
    }

    /// Stops scanning (the rest of the flow is encrypted, or it is released):
    /// what was read so far is judged, nothing is kept.
    mutating func stop(scanner: ContentScanner, context: inout InspectionContext) {
        for d in [Direction.toServer, .toClient] where isScanning(d) {
            end(direction: d, complete: false, scanner: scanner, context: &context)
        }
        scanner.release(&toServer, budget: &context.scanBudget)
        scanner.release(&toClient, budget: &context.scanBudget)
        toServerPhase = .stopped
        toClientPhase = .stopped
    }
}

extension InspectionContext {
    /// A reader takes stream bytes `offset..<offset+count` of the chunk being
    /// read to decode them for the scanner: the raw scan skips them.
    mutating func decodes(from offset: UInt64, count: Int) {
        guard count > 0, case .scanning = content else { return }
        let range = offset..<(offset + UInt64(count))
        if let last = decodedRanges.last, last.upperBound == range.lowerBound {
            decodedRanges[decodedRanges.count - 1] = last.lowerBound..<range.upperBound
        } else {
            decodedRanges.append(range)
        }
    }

    /// The content scanner, when content is scanned.
    public var scanner: ContentScanner? {
        if case .scanning(let scanner) = content { return scanner }
        return nil
    }

    /// Sightings of the flow being inspected, until the pipeline takes them.
    /// Inlinable: asked for every packet (an opaque getter copied the whole context first).
    @inlinable public var hasContentSightings: Bool { !contentSightings.isEmpty }

    /// Kept as sightings from the start: the pipeline hands them on as they
    /// are (converting a taken array copied every match and freed it again).
    public mutating func takeContentSightings() -> [Sighting] {
        defer { contentSightings = [] }
        return contentSightings
    }

    /// Moves what the scanner just reported into sightings. A decoded
    /// stream's `field` (a form field's or a part's name) is the field of a
    /// match the text itself named none for; `file` is the stream's file.
    mutating func adoptMatches(
        direction: Direction, source: ContentKind?, shift: UInt64 = 0, field: [UInt8] = [], file: [UInt8] = []
    ) {
        guard !scanMatches.isEmpty else { return }
        counters.scan.matches &+= UInt64(scanMatches.count)
        for var match in scanMatches {
            match.offset = match.offset > shift ? match.offset - shift : 0
            if match.field.isEmpty { match.field = field }
            contentSightings.append(.content(ContentSighting(match: match, direction: direction, source: source, file: file)))
        }
        scanMatches.removeAll(keepingCapacity: true)
    }

    /// Scans a decoded piece in its stream's own offsets. A named stream (a
    /// form value, a multipart part) is scanned after its name and `=`, as the
    /// form spelt it: a rule that wants `api_key=...` or an "SSN" nearby sees
    /// them. Offsets reported are the value's own.
    mutating func scanPiece(_ piece: ContentPiece, scanner: ContentScanner) {
        // Scanned where it lies in the table: taking the scan out and putting
        // it back cost two lookups and a copy of its state for every piece.
        let (shift, field, file) = InspectionContext.scan(
            piece, scanner: scanner, &pieceScans[UInt64(flow) << 32 | UInt64(piece.stream), default: PieceScan()],
            budget: &scanBudget, matches: &scanMatches, counters: &counters.scan, scanBinary: scanBinary,
            narrowed: &wideText)
        adoptMatches(direction: piece.direction, source: piece.kind, shift: shift, field: field, file: file)
    }

    /// `scanPiece` on the piece's scan; returns the bytes of its name scanned
    /// before it, and the stream's field and file names. `narrowed`: room for
    /// a UTF-16 piece's text.
    private static func scan(
        _ piece: ContentPiece, scanner: ContentScanner, _ scan: inout PieceScan, budget: inout ScanBudget,
        matches: inout [ScanMatch], counters: inout ScanCounters, scanBinary: Bool, narrowed: inout [UInt8]
    ) -> (shift: UInt64, field: [UInt8], file: [UInt8]) {
        if !scan.started {
            scan.started = true
            // A SAML message's name is one of the binding's two (which
            // `plausible` would take for a token: five capitals).
            if piece.kind == .samlMessage || FieldName.plausible(piece.name) { scan.field = Array(piece.name) }
            scan.file = Array(piece.filename)  // capped by its stream (`ContentLimits.maxLabel`)
            if !piece.name.isEmpty {
                var prefix = Array(piece.name.prefix(ContentLimits.maxLabel))
                prefix.append(UInt8(ascii: "="))
                scan.shift = UInt64(prefix.count)
                prefix.withUnsafeBytes { scanner.scan($0, at: 0, &scan.state, budget: &budget, into: &matches) }
            }
        }
        let before = scan.sniff.verdict
        if before == .undecided && !scanBinary && piece.kind.isSniffed { scan.sniff.read(piece.bytes) }
        switch scan.sniff.verdict {
        case .binary:
            if before != .binary {
                // Judged on what it said before; nothing more is read or kept.
                counters.binaryStreams &+= 1
                scanner.finish(&scan.state, budget: &budget, into: &matches)
                scan.columns.stop(&budget)
            }
            counters.binaryBytes &+= UInt64(piece.bytes.count)
        case .utf16:
            narrowed.removeAll(keepingCapacity: true)
            if scan.wide == nil { scan.wide = UTF16Narrowing() }
            let start = scan.wide!.length
            scan.wide!.read(piece.bytes, at: piece.offset, into: &narrowed)
            if !narrowed.isEmpty {  // a piece of one byte narrows to nothing
                narrowed.withUnsafeBytes { scan.scanText($0, at: start, scanner: scanner, budget: &budget, matches: &matches) }
            }
        case .undecided where scan.sniff.startsFF:
            break  // a lone FF, maybe a byte order mark's first half: no rule matches it
        case .undecided, .text:
            scan.scanText(piece.bytes, at: piece.offset, scanner: scanner, budget: &budget, matches: &matches)
        }
        return (scan.shift, scan.field, scan.file)
    }

    /// A decoded stream ended: what waited for more bytes is judged.
    mutating func endPieceScan(_ end: ContentEnd, scanner: ContentScanner) {
        guard var scan = pieceScans.removeValue(forKey: UInt64(flow) << 32 | UInt64(end.stream)) else { return }
        // A UTF-16 stream was scanned narrowed: its columns lie in the narrowed text.
        let length = scan.wide?.length ?? end.length
        scanner.finish(&scan.state, budget: &scanBudget, into: &scanMatches)
        // Values judged at the end lie in what was read.
        scan.nameColumns(UnsafeRawBufferPointer(start: nil, count: 0), at: length, &scanMatches, budget: &scanBudget)
        scan.columns.stop(&scanBudget)
        adoptMatches(direction: end.direction, source: end.kind, shift: scan.shift, field: scan.field, file: scan.file)
    }

    /// The flow in the current slot is released: decoded streams it left open are judged as they are.
    mutating func abandonPieceScans(scanner: ContentScanner) {
        guard !pieceScans.isEmpty else { return }
        for key in pieceScans.keys where key >> 32 == UInt64(flow) {
            guard var scan = pieceScans.removeValue(forKey: key) else { continue }
            counters.scan.abandonedStreams &+= 1
            scanner.release(&scan.state, budget: &scanBudget)
            scan.columns.stop(&scanBudget)
        }
    }
}
