import Foundation
import Testing

/// Found in review of the first RADIUS reader (2267c1d), whole binary: a
/// capture built byte-exact here.
struct RADIUSReviewCaptureTests {
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    /// One Ethernet/IPv4/UDP frame.
    static func frame(from src: [UInt8], _ sport: Int, to dst: [UInt8], _ dport: Int, _ payload: [UInt8]) -> [UInt8] {
        var ip: [UInt8] = [0x45, 0] + be16(20 + 8 + payload.count) + [0, 1, 0x40, 0, 64, 17, 0, 0] + src + dst
        var sum = 0
        for k in stride(from: 0, to: 20, by: 2) { sum += Int(ip[k]) << 8 | Int(ip[k + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        ip[10] = UInt8((~sum >> 8) & 0xff)
        ip[11] = UInt8(~sum & 0xff)
        let udp = be16(sport) + be16(dport) + be16(8 + payload.count) + [0, 0]
        return [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00] + ip + udp + payload
    }

    static func pcap(_ frames: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(1)
        for (k, f) in frames.enumerated() {
            out += le32(1_700_000_000) + le32(UInt32(k * 1000)) + le32(UInt32(f.count)) + le32(UInt32(f.count)) + f
        }
        return out
    }

    static func radius(_ code: UInt8, id: UInt8, _ attributes: [[UInt8]], authenticator: [UInt8]) -> [UInt8] {
        let body = attributes.flatMap { $0 }
        return [code, id] + be16(20 + body.count) + authenticator + body
    }

    static func run(_ frames: [[UInt8]]) throws -> PlainSightRun {
        let path = Paths.temporaryDirectory().appendingPathComponent("radius-review.pcap")
        try Data(Self.pcap(frames)).write(to: path)
        return try plainsight(["read", path.path, "--format", "json"])
    }

    /// A NAS that sends from UDP port 1645 (the old RADIUS port, Cisco's
    /// fixed source port) to its server on 1812. The higher port is not the
    /// client here: before, the RADIUS server became the flow's "client" and
    /// `cleartext.radius-forgeable-reply` and `cleartext.radius` were pinned
    /// on the NAS's endpoint 10.0.0.1:1645.
    @Test func theBareReplyFindingNamesTheRADIUSServer() throws {
        let nas: [UInt8] = [10, 0, 0, 1], server: [UInt8] = [10, 0, 0, 2]
        let request = Self.radius(
            1, id: 9,
            [[1, 7] + Array("alice".utf8), [2, 18] + (0..<16).map { UInt8(0x90 + $0) }, [4, 6] + nas],
            authenticator: (0..<16).map { UInt8(0x10 + $0) })
        let accept = Self.radius(2, id: 9, [], authenticator: (0..<16).map { UInt8(0xe0 + $0) })
        let run = try Self.run([
            Self.frame(from: nas, 1645, to: server, 1812, request), Self.frame(from: server, 1812, to: nas, 1645, accept),
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.flows.first?["app"] as? String == "radius")
        let findings = run.records.filter { $0["type"] as? String == "finding" }
        func serverOf(_ f: [String: Any]) -> String {
            let s = (f["flow"] as? [String: Any])?["server"] as? [String: Any]
            return "\(s?["ip"] as? String ?? "?"):\(s?["port"] as? Int ?? 0)"
        }
        let bare = findings.first { $0["rule"] as? String == "cleartext.radius-forgeable-reply" }
        #expect(bare != nil)
        #expect(bare.map(serverOf) == "10.0.0.2:1812", "the finding blames the NAS")
        let exposure = findings.first { $0["rule"] as? String == "cleartext.radius" }
        #expect(exposure.map(serverOf) == "10.0.0.2:1812")
    }
}
