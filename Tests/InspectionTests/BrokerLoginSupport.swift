import Testing
@testable import Flows
@testable import Inspection

// A runner for the broker and proxy readers (MQTT, Kafka, AMQP, NATS,
// SOCKS), driven through `CleartextAnalyzer` as FlowInspection drives them:
// chunks in order per direction, sightings collected after each call,
// nothing fed once the analyzer is done.

struct BrokerRun {
    let analyzer: CleartextAnalyzer
    var context: InspectionContext
    var offsets: (toServer: UInt64, toClient: UInt64) = (0, 0)
    var sightings: [Sighting] = []
    var done = false

    init(_ app: AppProtocol, maxDepth: UInt64 = 1 << 20, context: InspectionContext = InspectionContext()) {
        analyzer = CleartextAnalyzer.make(for: app, depth: maxDepth)!
        self.context = context
    }

    mutating func send(_ bytes: [UInt8], _ d: Direction) {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        if d == .toServer { offsets.toServer += UInt64(bytes.count) } else { offsets.toClient += UInt64(bytes.count) }
        guard !done else { return }
        let verdict = bytes.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: offset, context: &context) }
        analyzer.collect(into: &sightings)
        if case .done = verdict { done = true }
    }

    mutating func gap(_ d: Direction, length: UInt64 = 10) {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        if d == .toServer { offsets.toServer += length } else { offsets.toClient += length }
        guard !done else { return }
        if case .done = analyzer.gap(direction: d, offset: offset, length: length, context: &context) { done = true }
        analyzer.collect(into: &sightings)
    }

    /// Feeds the steps in order; the client (server) stream is cut at byte
    /// `clientSplit` (`serverSplit`) of its concatenation.
    mutating func play(_ steps: [Step], clientSplit: Int? = nil, serverSplit: Int? = nil, byteByByte: Bool = false) {
        var position = (client: 0, server: 0)
        for step in steps {
            let (bytes, d): ([UInt8], Direction)
            switch step {
            case .client(let b): (bytes, d) = (b, .toServer)
            case .server(let b): (bytes, d) = (b, .toClient)
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
}

/// The sightings of `steps`, with both directions ended afterwards.
func brokerSightings(
    _ app: AppProtocol, _ steps: [Step], clientSplit: Int? = nil, serverSplit: Int? = nil, byteByByte: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) -> [Sighting] {
    var run = BrokerRun(app)
    run.play(steps, clientSplit: clientSplit, serverSplit: serverSplit, byteByByte: byteByByte)
    run.endBoth()
    #expect(run.context.bufferedBytes == 0, "every held byte goes back to the budget", sourceLocation: sourceLocation)
    return run.sightings
}

/// Whole, byte by byte, and split at every byte of the client stream and of
/// the server stream: always `expected`.
func expectBrokerEverySplit(
    _ app: AppProtocol, _ steps: [Step], _ expected: [Sighting], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(brokerSightings(app, steps) == expected, sourceLocation: sourceLocation)
    #expect(brokerSightings(app, steps, byteByByte: true) == expected, "byte by byte", sourceLocation: sourceLocation)
    var clientLength = 0
    var serverLength = 0
    for step in steps {
        switch step {
        case .client(let b): clientLength += b.count
        case .server(let b): serverLength += b.count
        }
    }
    for k in 1..<max(clientLength, 2) {
        let got = brokerSightings(app, steps, clientSplit: k)
        #expect(got == expected, "client split at \(k)", sourceLocation: sourceLocation)
        if got != expected { break }
    }
    for k in 1..<max(serverLength, 2) {
        let got = brokerSightings(app, steps, serverSplit: k)
        #expect(got == expected, "server split at \(k)", sourceLocation: sourceLocation)
        if got != expected { break }
    }
}

/// Big-endian 32-bit.
func be32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }

/// An unsigned integer in 7-bit groups, least significant first (MQTT's
/// Variable Byte Integer, Kafka's unsigned varint).
func base128(_ v: Int) -> [UInt8] {
    var out: [UInt8] = []
    var n = v
    repeat {
        var byte = UInt8(n & 0x7f)
        n >>= 7
        if n > 0 { byte |= 0x80 }
        out.append(byte)
    } while n > 0
    return out
}
