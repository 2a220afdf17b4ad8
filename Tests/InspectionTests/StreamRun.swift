import Testing
@testable import Flows
@testable import Inspection

/// Drives one cleartext reader (any `StreamAnalyzer` that makes sightings)
/// over a dialogue: whole, with one direction cut at a byte, or byte by byte.
struct StreamRun<Analyzer: StreamAnalyzer & SightingSource> {
    var analyzer: Analyzer
    var context = InspectionContext()
    var offsets: (toServer: UInt64, toClient: UInt64) = (0, 0)
    var verdicts: [AnalyzerVerdict] = []

    init(_ analyzer: Analyzer) {
        self.analyzer = analyzer
    }

    mutating func send(_ bytes: [UInt8], _ d: Direction) {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        verdicts.append(bytes.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: offset, context: &context) })
        if d == .toServer { offsets.toServer += UInt64(bytes.count) } else { offsets.toClient += UInt64(bytes.count) }
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

    mutating func endBoth() {
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
    }

    /// Plays `steps`, ends both directions, checks the budget came back, and returns the sightings.
    static func sightings(
        _ make: () -> Analyzer, _ steps: [Step], clientSplit: Int? = nil, serverSplit: Int? = nil,
        byteByByte: Bool = false
    ) -> [Sighting] {
        var run = StreamRun(make())
        run.play(steps, clientSplit: clientSplit, serverSplit: serverSplit, byteByByte: byteByByte)
        run.endBoth()
        #expect(run.context.bufferedBytes == 0, "every held byte goes back to the budget")
        return run.analyzer.sightings
    }

    /// Whole, byte by byte, and every cut of the client stream and of the server stream give `expected`.
    static func expectEverySplit(
        _ make: () -> Analyzer, _ steps: [Step], _ expected: [Sighting], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(sightings(make, steps) == expected, sourceLocation: sourceLocation)
        #expect(sightings(make, steps, byteByByte: true) == expected, "byte by byte", sourceLocation: sourceLocation)
        var lengths = (client: 0, server: 0)
        for step in steps {
            switch step {
            case .client(let b): lengths.client += b.count
            case .server(let b): lengths.server += b.count
            }
        }
        for k in 1..<max(lengths.client, 2) {
            let got = sightings(make, steps, clientSplit: k)
            #expect(got == expected, "client split at \(k)", sourceLocation: sourceLocation)
            if got != expected { break }
        }
        for k in 1..<max(lengths.server, 2) {
            let got = sightings(make, steps, serverSplit: k)
            #expect(got == expected, "server split at \(k)", sourceLocation: sourceLocation)
            if got != expected { break }
        }
    }
}

/// Big-endian 32-bit length.
func bigEndian32(_ v: Int) -> [UInt8] { be16(v >> 16 & 0xffff) + be16(v & 0xffff) }
