import Foundation
import Testing
@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection
@testable import Reporting

#if canImport(Glibc)
import Glibc
import TestSupport
#endif

// MARK: - Deterministic randomness


func randomBytes(_ count: Int, using g: inout SplitMix64) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
}

// MARK: - JSON

/// The bytes of a one-field object built with `body`.
func jsonObject(_ body: (inout JSONObject) -> Void) -> String {
    var o = JSONObject()
    body(&o)
    o.close()
    return String(decoding: o.bytes, as: UTF8.self)
}

/// Parses one JSON object (throws when it is not one).
func parseObject(_ text: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    return try #require(value as? [String: Any], "not an object: \(text)")
}

/// Every string value anywhere in `value` (for the "never empty strings" rule).
func allStrings(_ value: Any) -> [String] {
    if let s = value as? String { return [s] }
    if let d = value as? [String: Any] { return d.values.flatMap(allStrings) }
    if let a = value as? [Any] { return a.flatMap(allStrings) }
    return []
}

/// The top-level keys of one JSON object line, in the order written
/// (a small scanner: strings and nesting are skipped properly).
func topLevelKeys(_ line: String) -> [String] {
    let bytes = Array(line.utf8)
    var keys: [String] = []
    var depth = 0
    var i = 0
    var expectKey = false
    while i < bytes.count {
        let b = bytes[i]
        if b == UInt8(ascii: "\"") {
            var j = i + 1
            while j < bytes.count && bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
            if depth == 1 && expectKey { keys.append(String(decoding: bytes[(i + 1)..<j], as: UTF8.self)) }
            expectKey = false
            i = j + 1
            continue
        }
        switch b {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
            if depth == 1 { expectKey = true }
        case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
        case UInt8(ascii: ","): if depth == 1 { expectKey = true }
        default: break
        }
        i += 1
    }
    return keys
}

// MARK: - Files

/// A fresh directory under /tmp, removed by `removeTree`.
func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/plainsight-reporting-XXXXXX".utf8CString)
    return try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
}

func removeTree(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

func fileMode(_ path: String) -> mode_t? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return st.st_mode & 0o7777
}

func readFile(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

// MARK: - Packets and flows (as Tests/FlowsTests/Support.swift makes them)

func address(_ text: String) -> IPAddress {
    guard let a = IPAddress(text) else { fatalError("bad address \(text)") }
    return a
}

func makePacket(
    _ source: String, _ sourcePort: UInt16, _ destination: String, _ destinationPort: UInt16,
    transport: TransportProtocol = .tcp, flags: TCPFlags = [.ack], time: Microseconds = 0
) -> DecodedPacket {
    var p = DecodedPacket()
    p.source = address(source)
    p.destination = address(destination)
    p.sourcePort = sourcePort
    p.destinationPort = destinationPort
    p.transport = transport
    p.isIPv6 = source.contains(":")
    p.tcpFlags = transport == .tcp ? flags : []
    p.timestamp = time
    return p
}

func makeFlow(_ packet: DecodedPacket) -> Flow {
    var sentByLow = false
    let k = FlowKey(packet, sentByLow: &sentByLow)
    return Flow(key: k, first: packet, sentByLow: sentByLow)
}

/// An inspection that has seen `bytes` from the server (or nothing).
func inspection(port: UInt16, transport: TransportProtocol = .tcp, serverSays bytes: [UInt8]? = nil,
                clientSays clientBytes: [UInt8]? = nil) -> FlowInspection {
    var i = FlowInspection(serverPort: port, transport: transport, selection: .all)
    if let bytes { bytes.withUnsafeBytes { i.ingest($0, direction: .toClient, offset: 0) } }
    if let clientBytes { clientBytes.withUnsafeBytes { i.ingest($0, direction: .toServer, offset: 0) } }
    return i
}

/// A finished flow record: `client` connects to `server`, with a SYN unless `guessed`.
func makeRecord(
    client: String, _ clientPort: UInt16, server: String, _ serverPort: UInt16, transport: TransportProtocol = .tcp,
    guessed: Bool = false, start: Microseconds = 1_795_847_840_123_456, duration: Microseconds = 1_500_000,
    packets: (UInt64, UInt64) = (3, 2), bytes: (UInt64, UInt64) = (300, 2000), inspection i: FlowInspection? = nil,
    findings: Int = 0, endReason: FlowEndReason = .closed
) -> FlowRecord {
    let flags: TCPFlags = guessed ? [.ack] : [.syn]
    var flow = makeFlow(makePacket(client, clientPort, server, serverPort, transport: transport, flags: flags, time: start))
    flow.lastSeen = start + duration
    flow.packets = (toServer: packets.0, toClient: packets.1)
    flow.bytes = (toServer: bytes.0, toClient: bytes.1)
    let inspected = i ?? inspection(port: serverPort, transport: transport)
    return FlowRecord(flow: flow, inspection: inspected, findings: findings, endReason: endReason)
}

/// Runs `body` with a Reporter writing JSON (or text) to a temporary file;
/// returns what the file holds afterwards.
func report(_ format: OutputFormat = .json, _ body: (Reporter) -> Void) throws -> String {
    let dir = try makeTemporaryDirectory()
    defer { removeTree(dir) }
    let path = dir + "/out.jsonl"
    do {
        let out = try OutputFile(path: path)
        let reporter = Reporter(format: format, output: out)
        body(reporter)
        reporter.flush()
    }
    return String(decoding: try readFile(path), as: UTF8.self)
}

/// The JSON Lines of `text`, parsed.
func records(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { try parseObject(String($0)) }
}
