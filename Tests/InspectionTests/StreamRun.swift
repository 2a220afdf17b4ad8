import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

/// What `StreamRun` drives: one cleartext reader, or `CleartextAnalyzer`
/// (the pipeline's dispatch over them), and how its sightings are taken.
protocol DrivenReader {
    func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict
    func gap(direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext) -> AnalyzerVerdict
    func end(direction: Direction, context: inout InspectionContext)
    /// Moves the sightings made so far into `outbox`.
    func collect(into outbox: inout [Sighting])
}

extension DrivenReader where Self: SightingSource {
    func collect(into outbox: inout [Sighting]) { moveSightings(into: &outbox) }
}

extension CleartextAnalyzer: DrivenReader {}
extension SMBLoginAnalyzer: DrivenReader {}
extension KerberosAnalyzer: DrivenReader {}

/// Drives one reader over a dialogue as FlowInspection does — chunks in order
/// per direction, sightings taken after each call — whole, with one direction
/// cut at a byte, or byte by byte. The one driver of the reader tests.
struct StreamRun<Analyzer: DrivenReader> {
    let analyzer: Analyzer
    var context: InspectionContext
    var offsets: (toServer: UInt64, toClient: UInt64) = (0, 0)
    var verdicts: [AnalyzerVerdict] = []
    var sightings: [Sighting] = []
    /// The analyzer answered `.done`.
    var done = false
    /// Nothing is fed once the analyzer is done (as FlowInspection does); off,
    /// later chunks still reach it (to test that it stays done).
    var stopsWhenDone: Bool

    init(_ analyzer: Analyzer, context: InspectionContext = InspectionContext(), stopsWhenDone: Bool = false) {
        self.analyzer = analyzer
        self.context = context
        self.stopsWhenDone = stopsWhenDone
    }

    mutating func send(_ bytes: [UInt8], _ d: Direction) {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        if d == .toServer { offsets.toServer += UInt64(bytes.count) } else { offsets.toClient += UInt64(bytes.count) }
        guard !(done && stopsWhenDone) else { return }
        let verdict = bytes.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: offset, context: &context) }
        verdicts.append(verdict)
        analyzer.collect(into: &sightings)
        if case .done = verdict { done = true }
    }

    /// `length` bytes of `d` are lost: at the current offset, or at `offset`
    /// (then the stream offsets stay as they are).
    @discardableResult
    mutating func gap(_ d: Direction, at offset: UInt64? = nil, length: UInt64 = 10) -> AnalyzerVerdict {
        let start = offset ?? (d == .toServer ? offsets.toServer : offsets.toClient)
        if offset == nil {
            if d == .toServer { offsets.toServer += length } else { offsets.toClient += length }
        }
        guard !(done && stopsWhenDone) else { return .done }
        let verdict = analyzer.gap(direction: d, offset: start, length: length, context: &context)
        analyzer.collect(into: &sightings)
        if case .done = verdict { done = true }
        return verdict
    }

    /// Feeds the steps in order; the client (server) stream is cut at byte
    /// `clientSplit` (`serverSplit`) of its concatenation.
    mutating func play(_ steps: [Step], clientSplit: Int? = nil, serverSplit: Int? = nil, byteByByte: Bool = false) {
        var position = (client: 0, server: 0)
        for step in steps {
            let (bytes, d): ([UInt8], Direction) =
                switch step {
                case .client(let b): (b, .toServer)
                case .server(let b): (b, .toClient)
                }
            let start = d == .toServer ? position.client : position.server
            let cut = d == .toServer ? clientSplit : serverSplit
            if byteByByte {
                for b in bytes { send([b], d) }
            } else if let k = cut, k > start, k < start + bytes.count {
                send(Array(bytes[..<(k - start)]), d)
                send(Array(bytes[(k - start)...]), d)
            } else {
                send(bytes, d)
            }
            if d == .toServer { position.client += bytes.count } else { position.server += bytes.count }
        }
    }

    /// Both directions end (FIN, or the flow's record is written).
    mutating func endBoth() {
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
        analyzer.collect(into: &sightings)
    }

    /// Plays `steps`, ends both directions, checks the budget came back, and returns the sightings.
    static func sightings(
        _ make: () -> Analyzer, _ steps: [Step], clientSplit: Int? = nil, serverSplit: Int? = nil,
        byteByByte: Bool = false, stopsWhenDone: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) -> [Sighting] {
        var run = StreamRun(make(), stopsWhenDone: stopsWhenDone)
        run.play(steps, clientSplit: clientSplit, serverSplit: serverSplit, byteByByte: byteByByte)
        run.endBoth()
        #expect(run.context.bufferedBytes == 0, "every held byte goes back to the budget", sourceLocation: sourceLocation)
        return run.sightings
    }

    /// Whole, byte by byte, and every cut of the client stream and of the server stream give `expected`.
    static func expectEverySplit(
        _ make: () -> Analyzer, _ steps: [Step], _ expected: [Sighting], stopsWhenDone: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        func run(clientSplit: Int? = nil, serverSplit: Int? = nil, byteByByte: Bool = false) -> [Sighting] {
            sightings(
                make, steps, clientSplit: clientSplit, serverSplit: serverSplit, byteByByte: byteByByte,
                stopsWhenDone: stopsWhenDone, sourceLocation: sourceLocation)
        }
        #expect(run() == expected, sourceLocation: sourceLocation)
        #expect(run(byteByByte: true) == expected, "byte by byte", sourceLocation: sourceLocation)
        var lengths = (client: 0, server: 0)
        for step in steps {
            switch step {
            case .client(let b): lengths.client += b.count
            case .server(let b): lengths.server += b.count
            }
        }
        for k in 1..<max(lengths.client, 2) {
            let got = run(clientSplit: k)
            #expect(got == expected, "client split at \(k)", sourceLocation: sourceLocation)
            if got != expected { break }
        }
        for k in 1..<max(lengths.server, 2) {
            let got = run(serverSplit: k)
            #expect(got == expected, "server split at \(k)", sourceLocation: sourceLocation)
            if got != expected { break }
        }
    }
}

/// `CleartextAnalyzer` made the way the pipeline makes it.
typealias PipelineRun = StreamRun<CleartextAnalyzer>

extension StreamRun where Analyzer == CleartextAnalyzer {
    init(
        _ app: AppProtocol, transport: TransportProtocol = .tcp, serverPort: UInt16 = 0, maxDepth: UInt64 = 1 << 20,
        context: InspectionContext = InspectionContext(), stopsWhenDone: Bool = false
    ) {
        self.init(
            CleartextAnalyzer.make(for: app, depth: maxDepth, transport: transport, serverPort: serverPort)!,
            context: context, stopsWhenDone: stopsWhenDone)
    }
}

/// Big-endian 32-bit length.
func bigEndian32(_ v: Int) -> [UInt8] { be16(v >> 16 & 0xffff) + be16(v & 0xffff) }
