import Foundation
import Testing
@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Pipeline

/// The pipeline's table of announced FTP data connections.
@Suite("FTP data expectations")
struct FTPDataExpectationTests {
    static let control: FlowIdentity = {
        var p = DecodedPacket()
        p.source = IPAddress("10.0.0.5")!
        p.destination = IPAddress("192.0.2.10")!
        p.sourcePort = 51_234
        p.destinationPort = 21
        p.transport = .tcp
        p.tcpFlags = [.syn]
        var sentByLow = false
        let key = FlowKey(p, sentByLow: &sentByLow)
        return FlowIdentity(Flow(key: key, first: p, sentByLow: sentByLow))
    }()

    func address(_ k: Int) -> IPAddress { IPAddress(ipv4: 0xc000_0200 | UInt32(k & 0xff)) }

    @Test func announcedEndpointMatchesOnceWithItsTransfer() {
        var table = FTPDataExpectations(hasher: FlowHasher(seed: (1, 2, 3)))
        let server = IPAddress("192.0.2.10")!
        table.announce(server, 5001, mode: .passive, control: Self.control, now: 0)
        #expect(table.open(server, 5002, slot: 7, start: 1, now: 1) == nil, "another port")
        #expect(table.open(IPAddress("192.0.2.11")!, 5001, slot: 7, start: 1, now: 1) == nil, "another host")
        let t = table.transfer(server, 5001, .download, name: Array("a.txt".utf8), now: 2)
        #expect(t?.dataFlow == nil, "the transfer came before the connection")
        let entry = table.open(server, 5001, slot: 7, start: 3, now: 3)
        #expect(entry?.control == Self.control && entry?.transfer == .download && entry?.name == Array("a.txt".utf8))
        #expect(table.open(server, 5001, slot: 8, start: 4, now: 4) == nil, "an endpoint matches once")
        // A transfer command after the connection opened finds it.
        #expect(table.transfer(server, 5001, .upload, name: [], now: 5)?.dataFlow?.slot == 7)
        #expect(table.expired == 0 && table.dropped == 0)
    }

    @Test func entriesExpireAfterTheTimeout() {
        var table = FTPDataExpectations(hasher: FlowHasher(seed: (1, 2, 3)))
        table.announce(address(1), 5001, mode: .active, control: Self.control, now: 0)
        table.announce(address(2), 5001, mode: .active, control: Self.control, now: 0)
        table.announce(address(3), 5001, mode: .active, control: Self.control, now: 30_000_000)
        #expect(table.open(address(1), 5001, slot: 1, start: 0, now: FTPDataExpectations.timeout + 1) == nil)
        #expect(table.expired == 1)
        table.expire(now: FTPDataExpectations.timeout + 1)
        #expect(table.expired == 2 && table.count == 1)
        // The second address kept for a NATed 227 is not counted when it goes unused.
        table.announce(address(4), 5001, mode: .passive, control: Self.control, now: 0, countsWhenUnused: false)
        table.expire(now: FTPDataExpectations.timeout + 1)
        #expect(table.expired == 2 && table.count == 1)
        #expect(table.open(address(3), 5001, slot: 1, start: 0, now: FTPDataExpectations.timeout + 1) != nil)
    }

    @Test func theCapDropsTheEntryThatExpiresFirst() {
        var table = FTPDataExpectations(hasher: FlowHasher(seed: (4, 5, 6)))
        let cap = FTPDataExpectations.maxEntries
        for k in 0..<cap { table.announce(address(k), UInt16(1000 + k), mode: .passive, control: Self.control, now: Int64(k)) }
        #expect(table.count == cap && table.dropped == 0)
        table.announce(address(0), 9999, mode: .passive, control: Self.control, now: Int64(cap))
        #expect(table.count == cap && table.dropped == 1)
        #expect(table.open(address(0), 1000, slot: 1, start: 0, now: Int64(cap)) == nil, "the oldest went")
        #expect(table.open(address(0), 9999, slot: 1, start: 0, now: Int64(cap)) != nil)
        for k in 1..<cap { #expect(table.find(address(k), UInt16(1000 + k)) != nil, "entry \(k) still found") }
    }

    @Test func removalKeepsEveryOtherEntryReachable() {
        // Many entries, removed in an order that makes backward shifts cross the table's end.
        var table = FTPDataExpectations(hasher: FlowHasher(seed: (7, 8, 9)))
        for k in 0..<900 { table.announce(address(k), UInt16(k), mode: .passive, control: Self.control, now: 0) }
        for k in stride(from: 0, to: 900, by: 3) {
            #expect(table.open(address(k), UInt16(k), slot: 1, start: 0, now: FTPDataExpectations.timeout + 1) == nil)
        }
        #expect(table.count == 600)
        for k in 0..<900 where k % 3 != 0 { #expect(table.find(address(k), UInt16(k)) != nil) }
    }

    @Test func placementDependsOnTheSeed() {
        let a = FTPDataExpectations(hasher: FlowHasher(seed: (1, 2, 3)))
        let b = FTPDataExpectations(hasher: FlowHasher(seed: (1, 2, 4)))
        let same = FTPDataExpectations(hasher: FlowHasher(seed: (1, 2, 3)))
        let homes = (0..<64).map { a.home(address($0), 5001) }
        #expect(homes == (0..<64).map { same.home(address($0), 5001) })
        #expect(homes != (0..<64).map { b.home(address($0), 5001) })
    }
}

/// FTP data connections in real captures, against tshark's `ftp-data`
/// dissection (which links them by the same 227/229 replies; in these
/// captures it leaves the PORT ones undissected).
@Suite(.enabled(if: FileManager.default.fileExists(atPath: Paths.realCaptures.path)
                    && FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"),
                "../shared/captures/real or tshark is absent: FTP data comparison skipped"))
struct FTPDataCaptureTests {
    /// The conversations ("a:p b:p", sorted) of the TCP streams tshark
    /// dissects as ftp-data, and their payload bytes (retransmissions left
    /// out; every segment counted, also one tshark left undissected because
    /// it arrived out of order).
    static func tsharkDataConnections(_ capture: URL) throws -> [String: Int] {
        let text = try tshark([
            "-r", capture.path, "-Y", "tcp && !tcp.analysis.retransmission", "-T", "fields", "-e", "tcp.stream",
            "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "tcp.len",
            "-e", "frame.protocols",
        ])
        var conversations: [String: String] = [:]
        var bytes: [String: Int] = [:]
        var dissected: Set<String> = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 7 else { continue }
            conversations[f[0]] = ["\(f[1]):\(f[2])", "\(f[3]):\(f[4])"].sorted().joined(separator: " ")
            bytes[f[0], default: 0] += Int(f[5]) ?? 0
            if f[6].split(separator: ":").contains("ftp-data") { dissected.insert(f[0]) }
        }
        var result: [String: Int] = [:]
        for stream in dissected { result[conversations[stream]!] = bytes[stream]! }
        return result
    }

    static func conversation(_ record: [String: Any]) -> String {
        let f = record["flow"] as! [String: Any]
        let c = f["client"] as! [String: Any], s = f["server"] as! [String: Any]
        return ["\(c["ip"]!):\(c["port"]!)", "\(s["ip"]!):\(s["port"]!)"].sorted().joined(separator: " ")
    }

    @Test(arguments: [
        // Two passive transfers (LIST, RETR robots.txt) and two active ones (PORT: LIST, RETR).
        ("zeek__ftp__ipv4.pcap", 4),
        // Two passive transfers (LIST, RETR 1MB.zip).
        ("ndpi__ftp.pcap", 2),
    ])
    func dataConnectionsAreLinkedToTheirControl(capture: String, expected: Int) throws {
        let url = Paths.realCaptures.appendingPathComponent(capture)
        let run = try plainsight(["read", url.path, "--format", "json", "--analyzers", "all"])
        let records = parseRecords(run.stdout)
        let flows = records.filter { $0["type"] as? String == "flow" }
        let data = flows.filter { $0["app"] as? String == "ftp-data" }
        #expect(data.count == expected)
        // Each names its control connection: an FTP flow of the same run.
        let controls = Set(flows.filter { $0["app"] as? String == "ftp" }.map { ($0["flow"] as! [String: Any])["id"] as! String })
        for record in data {
            let control = try #require(record["control"] as? [String: Any])
            #expect(controls.contains(control["id"] as! String))
            #expect((control["server"] as? [String: Any])?["port"] as? Int == 21)
        }
        #expect(flows.filter { $0["app"] as? String != "ftp-data" }.allSatisfy { $0["control"] == nil })
        // Every connection tshark dissects as ftp-data is one of them, with as many bytes one way.
        let oracle = try FTPDataCaptureTests.tsharkDataConnections(url)
        #expect(!oracle.isEmpty)
        for (conversation, bytes) in oracle {
            let record = try #require(data.first { FTPDataCaptureTests.conversation($0) == conversation }, "\(conversation)")
            let counts = try #require(record["bytes"] as? [String: Int])
            #expect(counts.values.contains(bytes) && counts.values.contains(0))
        }
        // Each transfer is delivered as content once, all of its bytes.
        let stats = try #require(records.first { $0["type"] as? String == "stats" })
        let content = try #require(stats["content"] as? [String: Any])
        let streams = try #require(content["streams"] as? [String: Int])
        let decoded = try #require(content["decoded_bytes"] as? [String: Int])
        let carrying = data.filter { (($0["bytes"] as? [String: Int])?.values.reduce(0, +) ?? 0) > 0 }
        #expect(streams["ftp-data"] == carrying.count)
        let total = carrying.reduce(0) { $0 + (($1["bytes"] as? [String: Int])?.values.reduce(0, +) ?? 0) }
        #expect(decoded["ftp-data"] == total)
        // A finding says files crossed in clear.
        let findings = records.filter { $0["type"] as? String == "finding" }
        #expect(findings.filter { $0["rule"] as? String == "cleartext.ftp-data" }.count == expected)
    }
}

/// The loopback capture of Captures/record.sh (`RECORD_ONLY=ftpdata`).
@Suite struct FTPDataOwnCaptureTests {
    @Test func ownCaptureHasEveryKindOfDataConnection() throws {
        // Captures/ftp-data.pcap: RETR readme.txt (55 bytes) after PASV, PORT, EPSV and EPRT.
        let url = Paths.captures.appendingPathComponent("ftp-data.pcap")
        let run = try plainsight(["read", url.path, "--format", "json", "--analyzers", "all"])
        let records = parseRecords(run.stdout)
        let flows = records.filter { $0["type"] as? String == "flow" }
        let control = try #require(flows.first { $0["app"] as? String == "ftp" })
        let controlID = (control["flow"] as! [String: Any])["id"] as! String
        let data = flows.filter { $0["app"] as? String == "ftp-data" }
        func server(_ r: [String: Any]) -> Int { ((r["flow"] as! [String: Any])["server"] as! [String: Any])["port"] as! Int }
        #expect(Set(data.map(server)) == [12151, 12152, 12153, 12154])
        for record in data {
            #expect((record["control"] as? [String: Any])?["id"] as? String == controlID)
            // Passive: the FTP server is this flow's server and sends; active: the FTP server
            // opened the flow (the client's port 12153/12154 is its server side) and sends to it.
            let active = server(record) >= 12153
            #expect(record["bytes"] as? [String: Int] == (active ? ["to_server": 55, "to_client": 0] : ["to_server": 0, "to_client": 55]))
        }
        let stats = try #require(records.first { $0["type"] as? String == "stats" })
        let content = try #require(stats["content"] as? [String: Any])
        #expect((content["streams"] as? [String: Int])?["ftp-data"] == 4)
        #expect((content["decoded_bytes"] as? [String: Int])?["ftp-data"] == 220)
        let counters = try #require((stats["cleartext"] as? [String: Any])?["ftp_data"] as? [String: Int])
        #expect(counters == ["connections": 4, "expired": 0, "dropped": 0])
    }
}
