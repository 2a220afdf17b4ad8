import Testing
@testable import Flows
@testable import Inspection

// The broker and proxy readers (MQTT, Kafka, AMQP, NATS, SOCKS) are driven
// through `CleartextAnalyzer` by `StreamRun`, nothing fed once the analyzer
// is done (as FlowInspection does).

/// The sightings of `steps`, with both directions ended afterwards.
func brokerSightings(
    _ app: AppProtocol, _ steps: [Step], clientSplit: Int? = nil, serverSplit: Int? = nil, byteByByte: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) -> [Sighting] {
    PipelineRun.sightings(
        { CleartextAnalyzer.make(for: app, depth: 1 << 20)! }, steps, clientSplit: clientSplit, serverSplit: serverSplit,
        byteByByte: byteByByte, stopsWhenDone: true, sourceLocation: sourceLocation)
}

/// Whole, byte by byte, and split at every byte of the client stream and of
/// the server stream: always `expected`.
func expectBrokerEverySplit(
    _ app: AppProtocol, _ steps: [Step], _ expected: [Sighting], sourceLocation: SourceLocation = #_sourceLocation
) {
    PipelineRun.expectEverySplit(
        { CleartextAnalyzer.make(for: app, depth: 1 << 20)! }, steps, expected, stopsWhenDone: true,
        sourceLocation: sourceLocation)
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
