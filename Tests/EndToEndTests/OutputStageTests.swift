import Foundation
import Testing

/// Handshakes are judged and records written on the output thread, in
/// batches: with many flows in flight at once, every finding must still come
/// before its flow's record, each record must count its own findings, and
/// each copy of a handshake must be judged exactly as the original.
@Suite struct OutputStageTests {
    /// `Captures/NAME` (Ethernet, IPv4, TCP) copied `copies` times, copy k
    /// `spacing` microseconds after copy k - 1, its TCP ports rewritten by
    /// `ports(k, source, destination)`.
    static func copies(
        of name: String, _ copies: Int, spacing: UInt64, ports: (Int, Int, Int) -> (Int, Int)
    ) throws -> URL {
        let original = try Data(contentsOf: Paths.captures.appendingPathComponent(name))
        let bytes = [UInt8](original)
        var packets: [(time: UInt64, frame: [UInt8])] = []
        var i = 24
        while i + 16 <= bytes.count {
            func u32(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 }
            let time = UInt64(u32(i)) * 1_000_000 + UInt64(u32(i + 4))
            let length = Int(u32(i + 8))
            packets.append((time, Array(bytes[(i + 16)..<(i + 16 + length)])))
            i += 16 + length
        }
        var out: [(time: UInt64, frame: [UInt8])] = []
        for k in 0..<copies {
            for var (time, frame) in packets {
                // Ethernet, IPv4 (IHL), TCP ports.
                let tcp = 14 + Int(frame[14] & 0x0f) * 4
                let (source, destination) = ports(
                    k, Int(frame[tcp]) << 8 | Int(frame[tcp + 1]), Int(frame[tcp + 2]) << 8 | Int(frame[tcp + 3]))
                frame[tcp..<(tcp + 4)] = [UInt8(source >> 8), UInt8(source & 0xff), UInt8(destination >> 8), UInt8(destination & 0xff)]
                time += UInt64(k) * spacing
                out.append((time, frame))
            }
        }
        out.sort { $0.time < $1.time }
        var file = Array(bytes[0..<24])
        for (time, frame) in out {
            for v in [UInt32(time / 1_000_000), UInt32(time % 1_000_000), UInt32(frame.count), UInt32(frame.count)] {
                file += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
            }
            file += frame
        }
        let url = Paths.temporaryDirectory().appendingPathComponent("\(name)-x\(copies).pcap")
        try Data(file).write(to: url)
        return url
    }

    /// `Captures/tls12-bad-certs.pcap` (four TLS 1.2 flows with certificate
    /// findings, server ports 14440-14443) copied `copies` times, each copy
    /// 10 ms after the previous one (so ~50 copies overlap) and with its own client ports.
    static func manyCopies(_ copies: Int) throws -> URL {
        try Self.copies(of: "tls12-bad-certs.pcap", copies, spacing: 10_000) { k, source, destination in
            let servers = 14440...14443
            let server = servers.contains(source) ? source : destination
            let client = 10_000 + k * 4 + (server - 14440)
            return servers.contains(source) ? (source, client) : (client, destination)
        }
    }

    @Test func findingsPrecedeTheirFlowAndAreCountedWithManyFlowsInFlight() throws {
        let copies = 100
        let pcap = try Self.manyCopies(copies)
        defer { try? FileManager.default.removeItem(at: pcap.deletingLastPathComponent()) }
        let many = try plainsight(["read", pcap.path, "--format", "json"])
        let one = try plainsight(["read", Paths.captures.appendingPathComponent("tls12-bad-certs.pcap").path, "--format", "json"])
        #expect(many.status == one.status, "\(many.stderr)")

        func flowID(_ r: [String: Any]) -> String { (r["flow"] as? [String: Any])?["id"] as? String ?? "" }
        var findingsSeen: [String: Int] = [:]
        var recordsWritten = Set<String>()
        for r in many.records {
            switch r["type"] as? String {
            case "finding":
                #expect(!recordsWritten.contains(flowID(r)), "a finding after its flow's record")
                findingsSeen[flowID(r), default: 0] += 1
            case "flow":
                recordsWritten.insert(flowID(r))
                #expect(r["findings"] as? Int == findingsSeen[flowID(r)] ?? 0, "\(flowID(r))")
            default:
                break
            }
        }
        #expect(many.flows.count == copies * one.flows.count)
        let manyFindings = many.records.filter { $0["type"] as? String == "finding" }
        let oneFindings = one.records.filter { $0["type"] as? String == "finding" }
        #expect(!oneFindings.isEmpty)
        #expect(manyFindings.count == copies * oneFindings.count)

        // Every copy's `tls` object is the original's (keyed by server port).
        func tlsByServer(_ flows: [[String: Any]]) -> [String: [NSDictionary]] {
            var by: [String: [NSDictionary]] = [:]
            for f in flows {
                let server = ((f["flow"] as? [String: Any])?["server"] as? [String: Any])?["port"] as? Int ?? 0
                by["\(server)", default: []].append(f["tls"] as? NSDictionary ?? [:])
            }
            return by
        }
        let original = tlsByServer(one.flows)
        for (server, objects) in tlsByServer(many.flows) {
            #expect(objects.count == copies)
            for object in objects { #expect(object == original[server]?.first, "server port \(server)") }
        }
        let stats = try #require(many.stats)
        let oneStats = try #require(one.stats)
        let counts = stats["findings"] as? [String: Int] ?? [:]
        let oneCounts = oneStats["findings"] as? [String: Int] ?? [:]
        #expect(!counts.isEmpty)
        for (severity, n) in oneCounts { #expect(counts[severity] == copies * n, "\(severity)") }
    }

    /// The deduplicated findings are written once the input ends, their
    /// lines built in blocks alternately on the capture thread and on the
    /// (idle) output thread. `Captures/http-auth-curl.pcap` (8 findings: the
    /// exposure, 6 credentials, a JWT) 800 times, each copy a minute after the
    /// previous one with its own server port, gives 6,400 distinct findings:
    /// three full blocks and a short one. Each must come out once, in the
    /// order first seen, counted in the tallies unless an allowlist entry took it.
    @Test func manyDeduplicatedFindingsComeOutOnceEachInTheOrderFirstSeen() throws {
        let copies = 800
        let pcap = try Self.copies(of: "http-auth-curl.pcap", copies, spacing: 60_000_000) { k, source, destination in
            (source == 18090 ? 20_000 + k : source, destination == 18090 ? 20_000 + k : destination)
        }
        let dir = pcap.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: dir) }
        let allowlist = dir.appendingPathComponent("allow.yaml")
        try """
            allow:
              - rule: credential.*
                port: 20005
                reason: copy 5's credentials
              - rule: cleartext.http
                port: 20006
                reason: copy 6's exposure
            """.write(to: allowlist, atomically: true, encoding: .utf8)
        let run = try plainsight(["read", pcap.path, "--format", "json", "--allowlist", allowlist.path])
        #expect(run.status == 0, "\(run.stderr)")
        let findings = run.records.filter { $0["type"] as? String == "finding" }
        #expect(findings.count == copies * 8 - 7)
        let keys = findings.compactMap { ($0["details"] as? [String: Any])?["key"] as? String }
        #expect(keys.count == findings.count)
        #expect(Set(keys).count == keys.count, "a finding written twice")
        let ports = findings.map { (($0["flow"] as? [String: Any])?["server"] as? [String: Any])?["port"] as? Int ?? 0 }
        #expect(zip(ports, ports.dropFirst()).allSatisfy { $0 <= $1 }, "not in the order first seen")
        #expect(ports.filter { $0 == 20005 }.count == 2 && ports.filter { $0 == 20006 }.count == 7)
        let stats = try #require(run.stats)
        let tallies = try #require(stats["findings"] as? [String: Int])
        #expect(tallies.values.reduce(0, +) == findings.count)
        #expect((stats["allowlist"] as? [String: Any])?["suppressed"] as? Int == 7)
    }

    /// The capture thread keeps ClientHellos unread; the output thread reads
    /// them. A malformed one (its cipher-suite list given an odd length, in
    /// `Captures/tls12-bad-certs.pcap`) must still be counted in the stats
    /// and named on its flow, and the server's side still read.
    @Test func aMalformedClientHelloIsCountedAndNamedWhenReadOffTheCaptureThread() throws {
        var bytes = [UInt8](try Data(contentsOf: Paths.captures.appendingPathComponent("tls12-bad-certs.pcap")))
        var i = 24
        var corrupted = false
        while i + 16 <= bytes.count && !corrupted {
            let length = Int(bytes[i + 8]) | Int(bytes[i + 9]) << 8 | Int(bytes[i + 10]) << 16 | Int(bytes[i + 11]) << 24
            let frame = i + 16
            // Ethernet, IPv4, TCP: a payload that starts a handshake record holding a ClientHello.
            let tcp = frame + 14 + Int(bytes[frame + 14] & 0x0f) * 4
            let payload = tcp + Int(bytes[tcp + 12] >> 4) * 4
            if payload + 6 < frame + length && bytes[payload] == 22 && bytes[payload + 5] == 1 {
                // Record (5), handshake header (4), version (2), random (32), then the session id.
                let suites = payload + 5 + 4 + 2 + 32 + 1 + Int(bytes[payload + 5 + 4 + 2 + 32])
                bytes[suites + 1] |= 1
                corrupted = true
            }
            i += 16 + length
        }
        #expect(corrupted)
        let dir = Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pcap = dir.appendingPathComponent("malformed-client-hello.pcap")
        try Data(bytes).write(to: pcap)
        let run = try plainsight(["read", pcap.path, "--format", "json"])
        let tls = try #require((run.stats?["tls"] as? [String: Any]))
        #expect(tls["malformed"] as? Int == 1, "\(tls)")
        let named = run.flows.compactMap { $0["tls"] as? [String: Any] }.filter {
            ($0["problem"] as? String) == "client handshake message 1: list of 16-bit values has an odd length"
        }
        #expect(named.count == 1)
        // The client's hello is gone from that flow; the server's answer is still read.
        #expect(named.first?["sni"] == nil)
        #expect(named.first?["version"] as? String == "TLSv1.2")
    }
}
