import Foundation
import Testing
@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection
@testable import Reporting
import TestSupport

/// A TLS 1.2 ServerHello record header and handshake type: enough to identify TLS.
let tlsServerBytes: [UInt8] = [0x16, 0x03, 0x03, 0x00, 0x31, 0x02, 0x00, 0x00, 0x2d, 0x03, 0x03]
let httpServerBytes = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)

@Suite("Reporter JSON records")
struct ReporterTests {
    // MARK: flow

    @Test func flowRecordHasTheContractFields() throws {
        let record = makeRecord(
            client: "10.0.0.5", 51234, server: "93.184.216.34", 443, packets: (14, 9), bytes: (439, 2049),
            inspection: inspection(port: 443, serverSays: tlsServerBytes))
        let text = try report { $0.flow(record) }
        #expect(text.hasSuffix("}\n"))
        let lines = try records(text)
        try #require(lines.count == 1)
        let r = lines[0]
        #expect(r["type"] as? String == "flow")
        #expect(r["ts_start"] as? String == "2026-11-28T06:37:20.123456Z")
        #expect(r["ts_end"] as? String == "2026-11-28T06:37:21.623456Z")
        let flow = try #require(r["flow"] as? [String: Any])
        #expect(flow["id"] as? String == record.identity.id)
        #expect(flow["transport"] as? String == "tcp")
        let client = try #require(flow["client"] as? [String: Any])
        let server = try #require(flow["server"] as? [String: Any])
        #expect(client["ip"] as? String == "10.0.0.5")
        #expect(client["port"] as? Int == 51234)
        #expect(server["ip"] as? String == "93.184.216.34")
        #expect(server["port"] as? Int == 443)
        #expect(flow["client_guessed"] == nil)
        #expect(Set(flow.keys) == ["id", "transport", "client", "server"])
        #expect(r["app"] as? String == "tls")
        #expect(r["encrypted"] as? Bool == true)
        let packets = try #require(r["packets"] as? [String: Any])
        #expect(packets["to_server"] as? Int == 14)
        #expect(packets["to_client"] as? Int == 9)
        let bytes = try #require(r["bytes"] as? [String: Any])
        #expect(bytes["to_server"] as? Int == 439)
        #expect(bytes["to_client"] as? Int == 2049)
        #expect(r["findings"] as? Int == 0)
        #expect(r["end_reason"] as? String == "closed")
        #expect(r["midstream"] == nil)
        #expect(r["gaps"] == nil)
        #expect(r["gap_bytes"] == nil)
        #expect(topLevelKeys(String(text.dropLast())) == [
            "type", "ts_start", "ts_end", "flow", "app", "encrypted", "packets", "bytes", "findings", "end_reason",
        ])
    }

    @Test func clientGuessedAppearsOnlyWhenGuessed() throws {
        let guessed = makeRecord(client: "192.0.2.10", 40000, server: "192.0.2.20", 80, guessed: true)
        let seen = makeRecord(client: "192.0.2.10", 40001, server: "192.0.2.20", 80, guessed: false)
        #expect(guessed.identity.clientGuessed)
        #expect(!seen.identity.clientGuessed)
        let lines = try records(try report { $0.flow(guessed); $0.flow(seen) })
        try #require(lines.count == 2)
        let g = try #require(lines[0]["flow"] as? [String: Any])
        let s = try #require(lines[1]["flow"] as? [String: Any])
        #expect(g["client_guessed"] as? Bool == true)
        #expect(s["client_guessed"] == nil)
        // The guessed client is the side with the higher port.
        #expect((g["client"] as? [String: Any])?["port"] as? Int == 40000)
    }

    @Test func encryptedIsFalseForIdentifiedCleartext() throws {
        let r = makeRecord(client: "10.1.1.1", 50000, server: "10.1.1.2", 80,
                           inspection: inspection(port: 80, serverSays: httpServerBytes))
        let line = try #require(try records(try report { $0.flow(r) }).first)
        #expect(line["app"] as? String == "http")
        #expect(line["encrypted"] as? Bool == false)
    }

    @Test func encryptedIsOmittedForUnknownApps() throws {
        let r = makeRecord(client: "10.1.1.1", 50000, server: "10.1.1.2", 9999,
                           inspection: inspection(port: 9999, serverSays: [0x00, 0x01, 0x02, 0x03]))
        let line = try #require(try records(try report { $0.flow(r) }).first)
        #expect(line["app"] as? String == "unknown")
        #expect(line["encrypted"] == nil)
    }

    @Test func encryptedIsOmittedWithoutPayload() throws {
        let r = makeRecord(client: "10.1.1.1", 50000, server: "10.1.1.2", 443, bytes: (0, 0),
                           inspection: inspection(port: 443, serverSays: tlsServerBytes))
        let line = try #require(try records(try report { $0.flow(r) }).first)
        #expect(line["app"] as? String == "tls")
        #expect(line["encrypted"] == nil)
    }

    @Test func udpFlowOverIPv6() throws {
        let r = makeRecord(client: "2001:db8::5", 53000, server: "2001:db8:0:0:1::53", 53, transport: .udp,
                           guessed: true, packets: (1, 1), bytes: (29, 45),
                           inspection: inspection(port: 53, transport: .udp, clientSays: dnsQuery))
        let line = try #require(try records(try report { $0.flow(r) }).first)
        let flow = try #require(line["flow"] as? [String: Any])
        #expect(flow["transport"] as? String == "udp")
        #expect((flow["client"] as? [String: Any])?["ip"] as? String == "2001:db8::5")
        #expect((flow["server"] as? [String: Any])?["ip"] as? String == "2001:db8::1:0:0:53")
        #expect(line["app"] as? String == "dns")
        #expect(line["encrypted"] as? Bool == false)
    }

    /// An IPv6 packet carrying IPv4-mapped addresses is not an IPv4 flow and
    /// is written in RFC 5952 §5's mixed form.
    @Test func ipv4MappedAddressesOfAnIPv6FlowKeepTheirIPv6Form() throws {
        var p = makePacket("10.0.0.5", 51000, "10.0.0.9", 80, flags: [.syn])
        p.isIPv6 = true  // same 128-bit values, carried by an IPv6 header
        let r = FlowRecord(flow: makeFlow(p), inspection: inspection(port: 80), findings: 0, endReason: .closed)
        let line = try #require(try records(try report { $0.flow(r) }).first)
        let flow = try #require(line["flow"] as? [String: Any])
        #expect((flow["client"] as? [String: Any])?["ip"] as? String == "::ffff:10.0.0.5")
        #expect((flow["server"] as? [String: Any])?["ip"] as? String == "::ffff:10.0.0.9")
        let v4 = FlowRecord(flow: makeFlow(makePacket("10.0.0.5", 51000, "10.0.0.9", 80, flags: [.syn])),
                            inspection: inspection(port: 80), findings: 0, endReason: .closed)
        let v4line = try #require(try records(try report { $0.flow(v4) }).first)
        #expect(((v4line["flow"] as? [String: Any])?["client"] as? [String: Any])?["ip"] as? String == "10.0.0.5")
    }

    @Test func optionalFlowFieldsAppearWhenSet() throws {
        var r = makeRecord(client: "10.0.0.1", 1234, server: "10.0.0.2", 21, findings: 3, endReason: .endOfInput)
        r.midstream = true
        r.gaps = 2
        r.gapBytes = 1460
        let line = try #require(try records(try report { $0.flow(r) }).first)
        #expect(line["midstream"] as? Bool == true)
        #expect(line["gaps"] as? Int == 2)
        #expect(line["gap_bytes"] as? Int == 1460)
        #expect(line["findings"] as? Int == 3)
        #expect(line["end_reason"] as? String == "end_of_input")
    }

    // MARK: finding

    func finding(direction: Direction?, evidence: String?, details: [(key: String, value: String)]) -> Finding {
        let record = makeRecord(client: "10.0.0.5", 51234, server: "10.0.0.9", 80)
        return Finding(
            timestamp: 1_795_847_840_123_456, rule: "credential.http-basic", category: .credential, severity: .high,
            flow: record.identity, direction: direction, app: .http, message: "HTTP Basic credentials in cleartext.",
            evidence: evidence, details: details)
    }

    @Test func findingHasTheContractFields() throws {
        let f = finding(direction: .toServer, evidence: "Basic dXNl****", details: [("user", "alice"), ("path", "/a\"b")])
        let text = try report { $0.finding(f) }
        let r = try #require(try records(text).first)
        #expect(r["type"] as? String == "finding")
        #expect(r["ts"] as? String == "2026-11-28T06:37:20.123456Z")
        #expect(r["rule"] as? String == "credential.http-basic")
        #expect(r["category"] as? String == "credential")
        #expect(r["severity"] as? String == "high")
        let flow = try #require(r["flow"] as? [String: Any])
        #expect(flow["id"] as? String == f.flow.id)
        #expect((flow["server"] as? [String: Any])?["port"] as? Int == 80)
        #expect(r["direction"] as? String == "to_server")
        #expect(r["app"] as? String == "http")
        #expect(r["message"] as? String == "HTTP Basic credentials in cleartext.")
        #expect(r["evidence"] as? String == "Basic dXNl****")
        let details = try #require(r["details"] as? [String: Any])
        #expect(details["user"] as? String == "alice")
        #expect(details["path"] as? String == "/a\"b")
        #expect(topLevelKeys(String(text.dropLast())) == [
            "type", "ts", "rule", "category", "severity", "flow", "direction", "app", "message", "evidence", "details",
        ])
        // Details keep their order.
        let detailsText = try #require(text.range(of: #""details":{"user":"alice","path":"/a\"b"}"#))
        #expect(!detailsText.isEmpty)
    }

    @Test func findingOmitsAbsentDirectionAndEvidence() throws {
        let f = finding(direction: nil, evidence: nil, details: [("version", "TLSv1.0")])
        let r = try #require(try records(try report { $0.finding(f) }).first)
        #expect(r["direction"] == nil)
        #expect(r["evidence"] == nil)
        #expect(r["details"] is [String: Any])
        #expect(!allStrings(r).contains(""))
    }

    @Test func findingToClientDirection() throws {
        let f = finding(direction: .toClient, evidence: nil, details: [])
        let r = try #require(try records(try report { $0.finding(f) }).first)
        #expect(r["direction"] as? String == "to_client")
        // No details: the field is either absent or an object, never a string.
        if let details = r["details"] { #expect(details is [String: Any]) }
    }

    /// Over two blocks on each side, the last one short on this side (4 full
    /// blocks and 17 lines) or on the helper's (3 and 17), each line different
    /// (evidence, a detail, and a string that needs escaping), so that a block
    /// out of place, lost or written twice shows.
    @Test(arguments: [4 * Reporter.findingsBlock + 17, 3 * Reporter.findingsBlock + 17])
    func manyFindingsRenderedPartlyOnAHelperComeOutAsWrittenOneByOne(count: Int) throws {
        let make: @Sendable (Int) -> Finding = { i in
            var f = ReporterTests().finding(
                direction: i % 2 == 0 ? .toServer : .toClient, evidence: "abcd****\(i)",
                details: [("n", String(i)), ("path", "/x\"\(i % 7)\n")])
            f.occurrences = (i + 1, f.timestamp, f.timestamp + Int64(i))
            return f
        }
        let oneByOne = try report { r in for i in 0..<count { r.finding(make(i)) } }
        let helper = DispatchQueue(label: "test.helper")
        let shared = try report { $0.findings(count: count, renderingAlsoOn: helper, make) }
        #expect(shared == oneByOne)
        let lines = try records(shared)
        #expect(lines.count == count)
        #expect(lines.indices.allSatisfy { (lines[$0]["details"] as? [String: Any])?["n"] as? String == String($0) }, "lines in order")
        // With no helper, or in text, it is the same as one by one.
        #expect(try report { $0.findings(count: count, renderingAlsoOn: nil, make) } == oneByOne)
        let textSummary = { (body: (Reporter) -> Void) in
            try report(.text) { r in
                body(r)
                r.stats(RunStats(), final: true, now: 0)
            }
        }
        #expect(try textSummary { $0.findings(count: count, renderingAlsoOn: helper, make) } == textSummary { r in for i in 0..<count { r.finding(make(i)) } })
    }

    // MARK: stats

    @Test func statsRecordHasTheContractFields() throws {
        var s = RunStats()
        s.packets = 1234
        s.wireBytes = 987_654
        s.decodedPackets = 1200
        s.flowCounters.flowsCreated = 42
        s.analyzers = ["flows"]
        s.kernelDrops = 7
        s.interfaceDrops = 1
        s.findingsBySeverity = [5, 4, 3, 2, 1]
        s.firstPacket = 1_000_000
        s.lastPacket = 2_500_000
        s.wallSeconds = 0.25
        let text = try report { $0.stats(s, final: true, now: 1_795_847_840_123_456) }
        let r = try #require(try records(text).first)
        #expect(r["type"] as? String == "stats")
        #expect(r["ts"] as? String == "2026-11-28T06:37:20.123456Z")
        #expect(r["final"] as? Bool == true)
        #expect(r["packets"] as? Int == 1234)
        #expect(r["bytes"] as? Int == 987_654)
        #expect(r["flows"] as? Int == 42)
        #expect(r["analyzers"] as? [String] == ["flows"])
        let drops = try #require(r["drops"] as? [String: Any])
        #expect(drops["kernel"] as? Int == 7)
        #expect(drops["interface"] as? Int == 1)
        let findings = try #require(r["findings"] as? [String: Any])
        #expect(findings["info"] as? Int == 5)
        #expect(findings["low"] as? Int == 4)
        #expect(findings["medium"] as? Int == 3)
        #expect(findings["high"] as? Int == 2)
        #expect(findings["critical"] as? Int == 1)
        #expect(Set(findings.keys) == ["info", "low", "medium", "high", "critical"])
        #expect(abs((r["capture_seconds"] as? Double ?? -1) - 1.5) < 1e-9)
        #expect(abs((r["wall_seconds"] as? Double ?? -1) - 0.25) < 1e-9)
        #expect(text.contains(#""capture_seconds":1.500000,"wall_seconds":0.250000"#))
        #expect(r["decoded_packets"] as? Int == 1200)
        #expect(r["input_error"] == nil)
        let keys = topLevelKeys(String(text.dropLast()))
        #expect(Array(keys.prefix(12)) == [
            "type", "ts", "final", "packets", "bytes", "flows", "analyzers", "drops", "findings", "capture_seconds",
            "wall_seconds", "decoded_packets",
        ])
    }

    @Test func statsOfAnOfflineRunWriteZeroDropsAndTheInputError() throws {
        var s = RunStats()
        s.inputError = "truncated capture at packet 7 (byte 812)"
        let text = try report { $0.stats(s, final: false, now: 0) }
        let r = try #require(try records(text).first)
        #expect(r["final"] as? Bool == false)
        let drops = try #require(r["drops"] as? [String: Any])
        #expect(drops["kernel"] as? Int == 0)
        #expect(drops["interface"] as? Int == 0)
        #expect(r["capture_seconds"] as? Double == 0)
        #expect(r["input_error"] as? String == "truncated capture at packet 7 (byte 812)")
        #expect(!allStrings(r).contains(""))
    }

    @Test func everyRecordIsOneLineOfJSON() throws {
        let flow = makeRecord(client: "10.0.0.1", 1111, server: "10.0.0.2", 23,
                              inspection: inspection(port: 23, serverSays: [0xff, 0xfd, 0x18]))
        let f = finding(direction: .toServer, evidence: "line1\nline2", details: [("k", "v\r\n")])
        let text = try report {
            $0.flow(flow)
            $0.finding(f)
            $0.stats(RunStats(), final: true, now: 5)
        }
        let lines = try records(text)
        #expect(lines.map { $0["type"] as? String } == ["flow", "finding", "stats"])
        #expect(text.split(separator: "\n").count == 3)
        for line in lines { #expect(!allStrings(line).contains("")) }
    }

    @Test func textFormatPrintsOnlyTheFinalSummary() throws {
        let flow = makeRecord(client: "10.0.0.1", 1111, server: "10.0.0.2", 80,
                              inspection: inspection(port: 80, serverSays: httpServerBytes))
        let periodic = try report(.text) {
            $0.flow(flow)
            $0.stats(RunStats(), final: false, now: 5)
        }
        #expect(periodic.isEmpty)
        let final = try report(.text) {
            $0.flow(flow)
            $0.stats(RunStats(), final: true, now: 5)
        }
        #expect(final.hasPrefix("PlainSight summary\n"))
        #expect(final.contains("10.0.0.2:80"))
    }
}

/// The DNS query of InspectionTests' samples: `example.com` A IN.
let dnsQuery: [UInt8] =
    [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 1, 0, 1]

@Suite("FlowIdentity")
struct FlowIdentityTests {
    func identity(client: String = "10.0.0.5", clientPort: UInt16 = 51234, server: String = "10.0.0.9",
                  serverPort: UInt16 = 443, transport: TransportProtocol = .tcp,
                  start: Microseconds = 1_795_847_840_123_456) -> FlowIdentity {
        FlowIdentity(makeFlow(makePacket(client, clientPort, server, serverPort, transport: transport, flags: [.syn],
                                         time: start)))
    }

    @Test func idIsStableForTheSameInputs() {
        #expect(identity().id == identity().id)
        #expect(identity().hash == identity().hash)
        // Which packet started the flow does not matter, only its endpoints and start.
        let fromServer = FlowIdentity(makeFlow(makePacket("10.0.0.9", 443, "10.0.0.5", 51234, flags: [.syn, .ack],
                                                          time: 1_795_847_840_123_456)))
        #expect(fromServer.id == identity().id)
    }

    @Test func idIsCAndSixteenLowerCaseHexDigits() {
        var g = SplitMix64(seed: 0x1d_0005)
        for _ in 0..<2000 {
            let id = identity(clientPort: UInt16.random(in: 1024...65535, using: &g),
                              start: Int64.random(in: 0...4_000_000_000_000_000, using: &g)).id
            #expect(id.count == 17)
            #expect(id.first == "C")
            #expect(id.dropFirst().allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }, "\(id)")
        }
    }

    @Test func idDiffersWhenStartOrAPortDiffers() {
        let base = identity().id
        #expect(identity(start: 1_795_847_840_123_457).id != base)
        #expect(identity(clientPort: 51235).id != base)
        #expect(identity(serverPort: 444).id != base)
        #expect(identity(client: "10.0.0.6").id != base)
        #expect(identity(server: "10.0.0.10").id != base)
        #expect(identity(transport: .udp).id != base)
    }

    @Test func idsOfManyFlowsDoNotCollide() {
        var ids = Set<String>()
        for port in UInt16(1024)..<UInt16(11024) { ids.insert(identity(clientPort: port).id) }
        for t in Int64(0)..<10_000 { ids.insert(identity(start: t).id) }
        #expect(ids.count == 20_000)
    }

    @Test func jsonWritesTheSameId() throws {
        let i = identity()
        let text = jsonObject { Reporter.add(i, to: &$0) }
        let flow = try #require(try parseObject(text)["flow"] as? [String: Any])
        #expect(flow["id"] as? String == i.id)
    }
}
