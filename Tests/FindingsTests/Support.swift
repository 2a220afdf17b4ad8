import Foundation
import Testing
import TestSupport
@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection

typealias B = TLSBytes

// MARK: - Files

/// The repository's `Patterns/` folder, found from this file.
let patternsURL: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Patterns")

/// The repository root.
let repositoryURL: URL = patternsURL.deletingLastPathComponent()

/// A fresh directory under the system temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("plainsight-findings-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

// MARK: - Time

/// Microseconds since the Unix epoch for a UTC civil time, computed with
/// Foundation's Gregorian calendar (independently of the code under test).
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Int64 {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
    return Int64(date.timeIntervalSince1970) * 1_000_000
}

let oneDay: Int64 = 86_400_000_000

// MARK: - Flows

func makeFlowIdentity(serverPort: UInt16 = 443, start: Int64 = utc(2024, 6, 1)) -> FlowIdentity {
    var p = DecodedPacket()
    p.source = IPAddress("10.0.0.5")!
    p.destination = IPAddress("192.0.2.10")!
    p.sourcePort = 51_234
    p.destinationPort = serverPort
    p.transport = .tcp
    p.tcpFlags = [.syn]
    p.timestamp = start
    var sentByLow = false
    let key = FlowKey(p, sentByLow: &sentByLow)
    return FlowIdentity(Flow(key: key, first: p, sentByLow: sentByLow))
}

// MARK: - Hellos

func parseClientHello(_ spec: B.ClientHelloSpec) throws -> ClientHello {
    try B.clientHelloBody(spec).withUnsafeBytes { try ClientHello(parsing: $0) }
}

func parseServerHello(_ spec: B.ServerHelloSpec) throws -> ServerHello {
    try B.serverHelloBody(spec).withUnsafeBytes { try ServerHello(parsing: $0) }
}

/// Runs the TLS analyzer over whole client and server streams.
func analyze(client: [UInt8], server: [UInt8]) -> TLSHandshake {
    var context = InspectionContext()
    let analyzer = TLSAnalyzer()
    _ = client.withUnsafeBytes { analyzer.ingest($0, direction: .toServer, offset: 0, context: &context) }
    _ = server.withUnsafeBytes { analyzer.ingest($0, direction: .toClient, offset: 0, context: &context) }
    return analyzer.handshake
}

// MARK: - Findings

extension Finding {
    /// The details as a dictionary (keys are unique within a finding).
    var detailMap: [String: String] { Dictionary(details.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }
}

func findings(_ all: [Finding], _ rule: String) -> [Finding] { all.filter { $0.rule == rule } }

/// A finished cleartext flow's record on `identity`.
func makeRecord(_ identity: FlowIdentity, app: AppProtocol, bytes: UInt64 = 100, end: Int64) -> FlowRecord {
    var p = DecodedPacket()
    p.source = identity.client
    p.destination = identity.server
    p.sourcePort = identity.clientPort
    p.destinationPort = identity.serverPort
    p.transport = .tcp
    p.tcpFlags = [.syn]
    p.timestamp = identity.start
    var sentByLow = false
    let flow = Flow(key: FlowKey(p, sentByLow: &sentByLow), first: p, sentByLow: sentByLow)
    var r = FlowRecord(
        flow: flow, inspection: FlowInspection(serverPort: identity.serverPort, transport: .tcp, selection: .all),
        findings: 0, endReason: .closed)
    r.app = app
    r.bytes = (bytes, bytes)
    r.end = end
    return r
}
